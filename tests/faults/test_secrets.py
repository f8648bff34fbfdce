"""The private key never appears, whole or in part, in anything keygen prints or writes outside DIR."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import NO_MODE_BITS, OPENSSL, WINDOWS, private_key_body, run_keygen
from tests.helpers.standin import StandIn as StandInServer

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
StandIn = Callable[..., str]


def fragments(private_key: Path) -> list[str]:
    """Pieces that would betray the key: each base64 line, the body's first and last 24 characters
    (also across line breaks), and the DER bytes' hex at the start of the body."""
    lines = private_key_body(private_key)
    body = "".join(lines)
    der = base64.b64decode(body)
    return [*lines, body[:24], body[-24:], body[100:124], der[:32].hex(), der[-32:].hex()]


def everything_under(root: Path, skip: Path) -> str:
    texts = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_relative_to(skip):
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def test_no_command_or_failure_path_leaks_the_key(tmp_path: Path, home: Path, stand_in: StandIn) -> None:
    keys = tmp_path / "keys"
    outputs: list[str] = []

    def keygen(*args: str, env: dict[str, str] | None = None) -> None:
        proc = run_keygen(*args, cwd=keys if keys.exists() else tmp_path, env=env)
        assert "Traceback" not in proc.stderr, proc.stderr
        outputs.extend([proc.stdout, proc.stderr])

    keygen("generate", "--out-dir", str(keys))
    keygen("generate", "--out-dir", str(keys), "--json")  # refused
    keygen("generate", "--out-dir", str(keys), "--json", "--force")
    keygen("generate", "--out-dir", str(keys), "--dry-run", "--json")
    keygen("audit")
    keygen("audit", "--json")
    keygen("audit", "verify", "--json")
    for which in ("1", "2", "last"):
        keygen("audit", "show", which, "--json")
        for shell in ("posix", "cmd", "powershell"):
            keygen("audit", "show", which, "--script", shell)
    private = keys / "privateKey.pem"
    secret = fragments(private)
    # Commands that read the key.
    keygen("verify")
    keygen("verify", "--json")
    keygen("verify", str(private), str(private), "--json")  # the private key given as the public one
    keygen("verify", str(private), "--json")
    keygen("exchange", "--public-key", str(private))  # the wrong file offered for upload
    keygen("exchange", "--public-key", str(keys / "publicKey.pub"), "--public-key-id", "SANDBOX-" + "A" * 24)
    keygen("exchange", "--public-key", str(keys / "publicKey.pub"), "--public-key-id", "SANDBOX-" + "A" * 24,
           "--region", "eu", "--sdk", "node", "--sdk", "java")
    with StandInServer() as server:  # confirm: refused (no key registered), then a network failure
        for args in ((), ("--json",)):
            keygen("confirm", "--region", "eu", "--private-key", str(private), *args,
                   env={"KEYGEN_AMAZON_PAY_ENDPOINT": server.url})
    keygen("confirm", "--region", "eu", "--private-key", str(private), env={"KEYGEN_AMAZON_PAY_ENDPOINT": server.url})
    keygen("confirm", "--region", "eu", "--private-key", str(keys / "publicKey.pub"),
           "--public-key-id", "LIVE-" + "B" * 24)
    keygen("doctor", "--json")
    keygen("plan", "--json")
    # Failure paths in which a broken tool spills the key onto stdout and stderr.
    spill = stand_in(
        "openssl",
        f"""
        case "$1" in
          rsa) cat {private}; cat {private} >&2; exit 1 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python=f"""
        if ARGS[0] == "rsa":
            key = open({str(private)!r}, "rb").read()
            sys.stdout.buffer.write(key)
            sys.stderr.buffer.write(key)
            raise SystemExit(1)
        real()
    """,
    )
    keygen("generate", "--out-dir", str(tmp_path / "spill"), "--json", env={"PATH": spill})
    keygen("generate", "--out-dir", str(tmp_path / "spill2"), env={"PATH": spill})
    printed = "\n".join(outputs)
    written = everything_under(home, skip=keys) + everything_under(tmp_path, skip=keys)
    for piece in secret:
        assert piece not in printed, f"printed: {piece[:8]}..."
        assert piece not in written, f"written outside DIR: {piece[:8]}..."
    assert "PRIVATE KEY-----\nMI" not in printed


@pytest.mark.skipif(WINDOWS, reason=NO_MODE_BITS)
def test_audit_log_and_its_directory_are_owner_only(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEYGEN_AUDIT_LOG")
    log_dir = home / ".local" / "state" / "keygen" / "log"
    log_dir.mkdir(parents=True, mode=0o755)
    log_dir.chmod(0o755)
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"))
    assert proc.returncode == 0, proc.stderr
    assert (log_dir / "audit.jsonl").stat().st_mode & 0o777 == 0o600
    assert log_dir.stat().st_mode & 0o777 == 0o700


def test_tool_environment_is_recorded(tmp_path: Path, audit_log: Path) -> None:
    import json

    conf = tmp_path / "openssl.cnf"
    conf.write_text("openssl_conf = x\n[x]\n")
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), env={"OPENSSL_CONF": str(conf)})
    record = json.loads(audit_log.read_text().splitlines()[-1])
    assert record["env"]["OPENSSL_CONF"] == str(conf), proc.stderr
    assert os.path.isabs(record["steps"][0]["executable"])
