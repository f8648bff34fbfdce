"""Advice you can run blind: every command verify and exchange print, for each situation that prints
it, is run by /bin/sh in a scratch copy and must succeed, change no file that existed (a `--fix`
keeps the original in the backup folder), and, for a fix, end with the `keygen verify` that passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Union

import pytest

from tests.helpers import OPENSSL, SSH_KEYGEN, advice_run, run_keygen

pytestmark = pytest.mark.skipif(
    OPENSSL is None or SSH_KEYGEN is None, reason="needs openssl and ssh-keygen (no ssh-keygen.exe in the Windows lane)"
)

PASS = b"secret123\n"
Source = Union[str, bytes]

#: id -> (files: scratch name -> zoo name, or bytes to write), keygen arguments, stdin for prompts.
SITUATIONS: dict[str, tuple[dict[str, Source], list[str], bytes]] = {
    "files-swapped": ({"privateKey.pem": "publicKey.pub", "publicKey.pub": "privateKey.pem"}, ["verify"], b""),
    "mismatched-pair": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "other.pub"}, ["verify"], b""),
    "ssh-rsa-line": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "ssh_rsa_line.pub"}, ["verify"], b""),
    "ssh-rsa-line-public-only": ({"publicKey.pub": "ssh_rsa_line.pub"}, ["verify", "--public-only"], b""),
    "rfc4716": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "rfc4716.pub"}, ["verify"], b""),
    "pkcs1-public": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "pkcs1_public.pub"}, ["verify"], b""),
    "utf16-bom": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "powershell.pub"}, ["verify"], b""),
    "utf16-no-bom": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "utf16le_no_bom.pub"}, ["verify"], b""),
    "utf8-bom": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "bom.pub"}, ["verify"], b""),
    "mixed-line-ends": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "mixed.pub"}, ["verify"], b""),
    "verify-privateKey-pub16": (
        {"privateKey.pem": "privateKey.pem", "pub16.pub": "powershell.pub", "publicKey.pub": "other.pub"},
        ["verify", "privateKey.pem", "pub16.pub"],
        b"",
    ),
    "pkcs1-private": ({"privateKey.pem": "pkcs1.pem", "publicKey.pub": "publicKey.pub"}, ["verify"], b""),
    "openssh-private": ({"privateKey.pem": "openssh.pem", "publicKey.pub": "publicKey.pub"}, ["verify"], b""),
    "openssh-private-side-file": (
        {"sdk_readme.pem": "sdk_readme.pem", "sdk_readme.pem.pub": "sdk_readme.pem.pub"},
        ["verify", "sdk_readme.pem", "sdk_readme.pem.pub"],
        b"",
    ),
    "encrypted-pkcs8": ({"privateKey.pem": "encrypted_pkcs8.pem", "publicKey.pub": "publicKey.pub"}, ["verify"], PASS),
    "encrypted-pkcs1": ({"privateKey.pem": "encrypted_pkcs1.pem", "publicKey.pub": "publicKey.pub"}, ["verify"], PASS),
    "encrypted-openssh": (
        {"privateKey.pem": "openssh_encrypted.pem", "publicKey.pub": "publicKey.pub"},
        ["verify"],
        PASS,
    ),
    "rsa-1024": ({"privateKey.pem": "rsa1024.pem", "publicKey.pub": "rsa1024.pub"}, ["verify"], b""),
    "ec": ({"privateKey.pem": "ec.pem", "publicKey.pub": "ec.pub"}, ["verify"], b""),
    "private-readable-by-others": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "publicKey.pub"}, [], b""),
    "names-with-spaces-and-quotes": (
        {"my keys/private key.pem": "pkcs1.pem", "my keys/it's $HOME.pub": "ssh_rsa_line.pub"},
        ["verify", "my keys/private key.pem", "my keys/it's $HOME.pub"],
        b"",
    ),
    "fresh-name-taken": (
        {"privateKey.pem": "privateKey.pem", "publicKey.pub": "rfc4716.pub", "publicKey.new.pub": b"mine\n",
         "publicKey.spki.pub": b"mine too\n"},
        ["verify"],
        b"",
    ),
    "exchange-elsewhere": (
        {"privateKey.pem": "other.pem", "other/dir/pub.pub": "ssh_rsa_line.pub"},
        ["exchange", "--public-key", "other/dir/pub.pub"],
        b"",
    ),
}  # fmt: skip

TALLY = advice_run.Tally()


def _lay_out(root: Path, files: dict[str, Source], zoo: dict[str, Path]) -> None:
    for name, source in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(zoo[source], target)
            os.chmod(target, 0o600 if source.endswith(".pem") else 0o644)


def _rsa_pss(root: Path, *opts: str) -> None:
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", *opts,
         "-out", "privateKey.pem"], cwd=root, check=True, capture_output=True,
    )  # fmt: skip
    os.chmod(root / "privateKey.pem", 0o600)
    subprocess.run(["openssl", "pkey", "-in", "privateKey.pem", "-pubout", "-out", "publicKey.pub"], cwd=root,
                   check=True, capture_output=True)  # fmt: skip


def _printed(doc: dict[str, object]) -> list[str]:
    texts = [str(c["fix"]) for c in doc.get("checks", []) if c["status"] != "pass"]  # type: ignore[attr-defined]
    error = doc.get("error")
    if isinstance(error, dict):
        texts.append(str(error.get("hint") or ""))
    for text in texts:
        assert not advice_run.bare_commands(text), f"a command outside backticks: {text}"
    return [cmd for text in texts for cmd in advice_run.commands_in(text)]


def _run_situation(name: str, situation: Path, args: list[str], stdin: bytes, tmp_path: Path) -> int:
    cli = [*args, "--json"] if args else ["verify", "--json"]
    done = run_keygen(*cli, cwd=situation, env={"KEYGEN_SHELL": "posix"})
    doc = json.loads(done.stdout)
    commands = list(dict.fromkeys(_printed(doc)))
    assert commands, f"{name}: no command printed: {doc}"
    for i, command in enumerate(commands):
        advice_run.run_blind(command, situation, tmp_path / f"run{i}", stdin)
        TALLY.commands += 1
    TALLY.situations.add(name)
    return len(commands)


@pytest.mark.parametrize("name", sorted(SITUATIONS))
def test_printed_commands_run_blind(name: str, key_zoo: dict[str, Path], tmp_path: Path) -> None:
    files, args, stdin = SITUATIONS[name]
    situation = tmp_path / "situation"
    situation.mkdir()
    _lay_out(situation, files, key_zoo)
    if name == "private-readable-by-others":
        os.chmod(situation / "privateKey.pem", 0o644)
    _run_situation(name, situation, args, stdin, tmp_path)


@pytest.mark.parametrize(
    "opts",
    [(), ("-pkeyopt", "rsa_pss_keygen_saltlen:32"),
     ("-pkeyopt", "rsa_pss_keygen_md:sha256", "-pkeyopt", "rsa_pss_keygen_mgf1_md:sha256",
      "-pkeyopt", "rsa_pss_keygen_saltlen:32")],
    ids=["rsa-pss-no-params", "rsa-pss-saltlen-32", "rsa-pss-sha256-saltlen-32"],
)  # fmt: skip
def test_rsa_pss_way_out_runs_blind(opts: tuple[str, ...], tmp_path: Path) -> None:
    situation = tmp_path / "situation"
    situation.mkdir()
    _rsa_pss(situation, *opts)
    assert _run_situation("rsa-pss" + "".join(opts), situation, ["verify"], b"", tmp_path) >= 1


@pytest.mark.parametrize("method", ["openssl", "ssh-keygen"])
def test_plan_lines_run_blind_in_an_empty_directory(method: str, tmp_path: Path) -> None:
    """`keygen plan` prints the documented lines "in an empty directory": typed there, they make a
    pair that keygen verify passes."""
    doc = json.loads(run_keygen("plan", "--method", method, "--shell", "bash", "--json").stdout)
    text = run_keygen("plan", "--method", method, "--shell", "bash").stdout
    assert "in an empty directory" in text
    work = tmp_path / "empty"
    work.mkdir()
    for line in doc["lines"]:
        # ssh-keygen asks for a passphrase; with no terminal it reads stdin: Enter twice, none.
        done = subprocess.run(["/bin/sh", "-c", line], cwd=work, input=b"\n\n", capture_output=True,
                              start_new_session=True, env=dict(os.environ, PATH=advice_run.venv_path()),
                              timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, (line, done.stderr)
        TALLY.commands += 1
    assert run_keygen("verify", cwd=work).returncode == 0
    empty = tmp_path / "another-empty"
    empty.mkdir()
    for command in advice_run.commands_in(text):  # `keygen generate`, in another empty directory
        advice_run.run_blind(command, empty, tmp_path / "run")
        TALLY.commands += 1
    TALLY.situations.add(f"plan-{method}")


def test_exchange_next_steps_name_the_file_and_the_record_line_runs(key_zoo: dict[str, Path], tmp_path: Path) -> None:
    """Run elsewhere, exchange names the public key as typed (never ./publicKey.pub or a
    privateKey.pem of the current directory), and its "record the ID" line runs with a real ID."""
    situation = tmp_path / "situation"
    _lay_out(situation, {"privateKey.pem": "other.pem", "other/dir/it's.pub": "publicKey.pub"}, key_zoo)
    done = run_keygen("exchange", "--public-key", "other/dir/it's.pub", cwd=situation, env={"KEYGEN_SHELL": "posix"})
    assert done.returncode == 0, done.stderr
    assert "paste other/dir/it's.pub" in done.stdout and "Upload only other/dir/it's.pub" in done.stdout
    assert "privateKey.pem" not in done.stdout and "publicKey.pub" not in done.stdout
    [line] = [ln.split(": ", 1)[1] for ln in done.stdout.splitlines() if ln.startswith("Then record the ID")]
    assert line.endswith(" --public-key-id ID")
    command = line[: -len("ID")].replace("--region REGION", "--region eu") + "SANDBOX-ABCDEFGHIJKLMNOPQRSTUVWX"
    advice_run.run_blind(command, situation, tmp_path / "run")
    TALLY.commands += 1
    TALLY.situations.add("exchange-record-id")


def test_zz_tally() -> None:
    """The figures for the report (run after the situations above, in file order)."""
    if not TALLY.situations:
        pytest.skip("run with the situations above to count them")
    print(f"\nadvice run blind: {TALLY.commands} commands in {len(TALLY.situations)} situations")
    assert TALLY.commands >= len(TALLY.situations)
