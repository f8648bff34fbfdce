"""The fix table of docs/how-to/mend-a-key.md ("What it recognises"): every command in it is what keygen prints for that
situation, and runs blind in it (succeeds, changes no file that existed, ends with a passing
keygen verify)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Union

import pytest

from tests.helpers import OPENSSL, REPO, SSH_KEYGEN, advice_run, run_keygen

pytestmark = pytest.mark.skipif(
    OPENSSL is None or SSH_KEYGEN is None, reason="needs openssl and ssh-keygen (no ssh-keygen.exe in the Windows lane)"
)

PASS = b"secret123\n"
Source = Union[str, bytes]

#: A phrase of the row's first column -> the files of the situation (from the key zoo, or bytes).
ROWS: dict[str, dict[str, Source]] = {
    "Public key in UTF-16": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "powershell.pub"},
    "UTF-8 BOM, or CRLF and LF mixed": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "bom.pub"},
    # Both layouts are made below from the zoo's good pair: every line break a bare CR.
    "Public key with a broken PEM layout": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "publicKey.pub"},
    "Private key with a broken PEM layout": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "publicKey.pub"},
    "Non-ASCII text": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "caf\u00e9\n".encode()},
    "`BEGIN RSA PRIVATE KEY`": {"privateKey.pem": "pkcs1.pem", "publicKey.pub": "publicKey.pub"},
    "`BEGIN OPENSSH PRIVATE KEY`": {"privateKey.pem": "openssh.pem", "publicKey.pub": "publicKey.pub"},
    "Encrypted private key": {"privateKey.pem": "encrypted_pkcs8.pem", "publicKey.pub": "publicKey.pub"},
    "`---- BEGIN SSH2 PUBLIC KEY ----`": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "rfc4716.pub"},
    "`ssh-rsa AAAA...` line": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "ssh_rsa_line.pub"},
    "`BEGIN RSA PUBLIC KEY`": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "pkcs1_public.pub"},
    "RSA of another size": {"privateKey.pem": "rsa1024.pem", "publicKey.pub": "rsa1024.pub"},
    "RSA-PSS restricted key": {},  # made by openssl below
    "EC, Ed25519, DSA": {"privateKey.pem": "ec.pem", "publicKey.pub": "ec.pub"},
    "The two files swapped": {"privateKey.pem": "publicKey.pub", "publicKey.pub": "privateKey.pem"},
    "A pair that does not match": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "other.pub"},
    "Empty file": {"privateKey.pem": "privateKey.pem", "publicKey.pub": b""},
    # The public key is gone: written again from the private key (keygen public-key), not a new pair.
    "Missing file": {"privateKey.pem": "privateKey.pem"},
    "Private key readable by others": {"privateKey.pem": "privateKey.pem", "publicKey.pub": "publicKey.pub"},
}


def table_rows() -> list[tuple[str, list[str]]]:
    text = (REPO / "docs" / "how-to" / "mend-a-key.md").read_text()
    section = text.split("## What it recognises", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in section.splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append((cells[0], advice_run.commands_in(cells[2].replace("\\|", "|"))))
    return rows


def _situation(key: str, root: Path, zoo: dict[str, Path]) -> None:
    import subprocess

    for name, source in ROWS[key].items():
        if isinstance(source, bytes):
            (root / name).write_bytes(source)
        else:
            shutil.copyfile(zoo[source], root / name)
            os.chmod(root / name, 0o600 if source.endswith(".pem") else 0o644)
    if key == "RSA-PSS restricted key":
        for argv in (
            ["openssl", "genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt",
             "rsa_pss_keygen_saltlen:32", "-out", "privateKey.pem"],
            ["openssl", "pkey", "-in", "privateKey.pem", "-pubout", "-out", "publicKey.pub"],
        ):  # fmt: skip
            subprocess.run(argv, cwd=root, check=True, capture_output=True)
    if "broken PEM layout" in key:
        mangled = root / ("publicKey.pub" if key.startswith("Public") else "privateKey.pem")
        mangled.write_bytes(mangled.read_bytes().replace(b"\n", b"\r"))
    if key == "Private key readable by others":
        os.chmod(root / "privateKey.pem", 0o644)


def test_every_row_with_commands_has_a_situation() -> None:
    rows = table_rows()
    assert len(rows) >= 20
    for first, commands in rows:
        if commands:
            assert any(key in first for key in ROWS), f"fix table row without a situation here: {first}"


@pytest.mark.parametrize("key", sorted(ROWS))
def test_readme_fix_table_commands_are_printed_and_run_blind(
    key: str, key_zoo: dict[str, Path], tmp_path: Path
) -> None:
    [(first, commands)] = [(f, c) for f, c in table_rows() if key in f]
    assert commands, f"no command in the fix table row {first}"
    situation = tmp_path / "situation"
    situation.mkdir()
    _situation(key, situation, key_zoo)
    doc = json.loads(run_keygen("verify", "--json", cwd=situation, env={"KEYGEN_SHELL": "posix"}).stdout)
    printed = {cmd for c in doc["checks"] for cmd in advice_run.commands_in(c["fix"])}
    stdin = PASS if key == "Encrypted private key" else b""
    for i, command in enumerate(commands):
        assert command in printed, f"the docs say {command!r}, keygen prints {sorted(printed)}"
        advice_run.run_blind(command, situation, tmp_path / f"run{i}", stdin)
