"""Text output people read: counts said in words, no "None", -v for detail, colour for verdicts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from keygen.audit import log as audit
from tests.helpers import OPENSSL, on_a_terminal, run_keygen


def pair(zoo: dict[str, Path], tmp_path: Path, private: str, public: str) -> Path:
    shutil.copyfile(zoo[private], tmp_path / "privateKey.pem")
    shutil.copyfile(zoo[public], tmp_path / "publicKey.pub")
    (tmp_path / "privateKey.pem").chmod(0o600)
    return tmp_path


def test_one_warning_is_said_in_the_singular(key_zoo: dict[str, Path], tmp_path: Path) -> None:
    where = pair(key_zoo, tmp_path, "privateKey.pem", "bom.pub")
    done = run_keygen("verify", "--no-second-opinion", cwd=where)
    assert done.returncode == 0
    assert ", 1 warning, 0 failed." in done.stdout
    assert "1 warnings" not in done.stdout


def test_a_record_without_an_exit_code_shows_no_none(audit_log: Path) -> None:
    audit.append(audit_log, {"time": "2026-01-01T00:00:00Z", "command": "generate", "result": "interrupted"})
    audit.append(audit_log, {"time": "2026-01-02T00:00:00Z", "command": "exchange", "public_key_id": "X"})
    done = run_keygen("audit")
    assert done.returncode == 0
    assert "None" not in done.stdout
    assert "generate  interrupted (exit ?)" in done.stdout and "exchange  ? (exit ?)" in done.stdout


def test_last_limits_the_records_and_the_keys_in_text(audit_log: Path) -> None:
    for n, fingerprint in enumerate(("SHA256:old", "SHA256:mid", "SHA256:new")):
        audit.append(
            audit_log,
            {"time": f"2026-01-0{n + 1}T00:00:00Z", "command": "generate", "result": "ok", "exit_code": 0,
             "dir": f"/k/{n}", "fingerprint": fingerprint, "steps": []},
        )  # fmt: skip
    out = run_keygen("audit", "--last", "1").stdout
    assert "/k/2" in out and "/k/1" not in out and "/k/0" not in out
    keys = out[out.index("Keys by fingerprint:") :]
    assert "SHA256:new" in keys and "SHA256:mid" not in keys and "SHA256:old" not in keys
    doc = json.loads(run_keygen("audit", "--last", "2", "--json").stdout)
    assert [k["fingerprint"] for k in doc["keys"]] == ["SHA256:mid", "SHA256:new"]


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_verbose_generate_shows_every_command_and_check(tmp_path: Path) -> None:
    quiet = run_keygen("generate", "--out-dir", str(tmp_path / "a"))
    assert quiet.returncode == 0
    assert "argv:" not in quiet.stdout and "ok   pair.match" not in quiet.stdout
    loud = run_keygen("generate", "-v", "--out-dir", str(tmp_path / "b"))
    assert loud.returncode == 0
    argv_lines = [line for line in loud.stdout.splitlines() if line.startswith("    argv: ")]
    assert len(argv_lines) == 2 and argv_lines[0].startswith("    argv: openssl genpkey -out privateKey.pem")
    assert "ok   pair.match" in loud.stdout


def test_fail_and_warn_are_coloured_on_a_terminal(key_zoo: dict[str, Path], tmp_path: Path) -> None:
    where = pair(key_zoo, tmp_path, "privateKey.pem", "powershell.pub")
    shown = on_a_terminal(["verify", "--no-second-opinion"], {"TERM": "xterm"}, where)
    assert "\x1b[31mFAIL\x1b[0m public_key.encoding" in shown
    where = pair(key_zoo, tmp_path, "privateKey.pem", "bom.pub")
    shown = on_a_terminal(["verify", "--no-second-opinion"], {"TERM": "xterm"}, where)
    assert "\x1b[33mWARN\x1b[0m public_key.encoding" in shown
    dumb = on_a_terminal(["verify", "--no-second-opinion"], {"TERM": "dumb"}, where)
    assert "\x1b[" not in dumb and "WARN public_key.encoding" in dumb


def test_one_tool_agreeing_once_is_one_line_in_the_singular(key_zoo: dict[str, Path], tmp_path: Path) -> None:
    shutil.copyfile(key_zoo["publicKey.pub"], tmp_path / "publicKey.pub")
    done = run_keygen("verify", "--public-only", cwd=tmp_path)
    assert done.returncode == 0
    assert [line for line in done.stdout.splitlines() if "Second opinion" in line] == [
        "Second opinion: openssl agrees (1 answer)"
    ]
