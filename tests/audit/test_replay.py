"""`keygen audit show`: one record in full, and replay scripts that make a pair `keygen verify`
passes (run by real sh, bash and dash), refuse to write over key files, and leave nothing behind
when a step fails; the cmd and PowerShell scripts are checked for what they hold."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keygen import recipes
from keygen.audit import log as audit
from tests.helpers import OPENSSL, SSH_KEYGEN, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
NO_SH_SCRIPT = "runs a POSIX sh script (no MSYS bash.exe in the Windows lane)"
POSIX_SHELLS = [s for s in ("sh", "bash", "dash") if shutil.which(s)]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log holding a real openssl generate (1), a real ssh-keygen generate (2) and an exchange (3)."""
    root = tmp_path_factory.mktemp("recorded")
    log = root / "audit.jsonl"
    env = {"KEYGEN_AUDIT_LOG": str(log)}
    assert run_keygen("generate", "--out-dir", str(root / "a"), env=env).returncode == 0
    if SSH_KEYGEN:
        assert run_keygen("generate", "--out-dir", str(root / "b"), "--method", "ssh-keygen", env=env).returncode == 0
    pub = str(root / "a" / "publicKey.pub")
    assert run_keygen("exchange", "--public-key", pub, "--public-key-id", "LIVE-" + "B" * 24, env=env).returncode == 0
    return log


def script_for(log: Path, which: str, shell: str) -> str:
    done = run_keygen("audit", "show", which, "--script", shell, "--audit-log", str(log))
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_script(
    shell: str, script: Path, target: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # A new session and no stdin: ssh-keygen reads an empty passphrase, as generate arranges.
    full = {k: v for k, v in os.environ.items() if k not in recipes.SSH_ASKPASS_VARS}
    return subprocess.run(
        [shell, str(script), str(target)],
        capture_output=True,
        text=True,
        env={**full, **(env or {})},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=120,
        check=False,
    )


def test_show_prints_one_record_in_full(recorded: Path) -> None:
    done = run_keygen("audit", "show", "1", "--audit-log", str(recorded))
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record == audit.read(recorded)[0][0]
    assert record["seq"] == 1 and record["steps"][0]["line"] == recipes.OPENSSL_LINES[0]
    doc = json.loads(run_keygen("audit", "show", "last", "--json", "--audit-log", str(recorded)).stdout)
    assert doc["ok"] and doc["record"]["command"] == "exchange" and doc["script"] is None
    assert doc["line"] == doc["seq"] == len(audit.read(recorded)[0])


@pytest.mark.parametrize(("which", "code", "words"), [("99", 2, "has no record 99"), ("x", 2, "neither a record")])
def test_show_refuses_what_is_not_there(recorded: Path, which: str, code: int, words: str) -> None:
    done = run_keygen("audit", "show", which, "--audit-log", str(recorded))
    assert done.returncode == code and words in done.stderr and "hint:" in done.stderr


def test_no_script_for_a_record_that_ran_nothing(recorded: Path) -> None:
    done = run_keygen("audit", "show", "last", "--script", "posix", "--audit-log", str(recorded))
    assert done.returncode == 2 and done.stdout == ""
    assert "ran no documented commands (it is 'exchange')" in done.stderr


@pytest.mark.parametrize(
    "shell",
    POSIX_SHELLS
    or [pytest.param("sh", marks=pytest.mark.skip(reason=NO_SH_SCRIPT))],
)
def test_posix_script_makes_a_pair_keygen_verify_passes(recorded: Path, tmp_path: Path, shell: str) -> None:
    script = tmp_path / "replay.sh"
    script.write_text(script_for(recorded, "1", "posix"))
    target = tmp_path / "out"
    target.mkdir()
    done = run_script(shell, script, target)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in target.iterdir()) == ["privateKey.pem", "publicKey.pub"]
    assert (target / "privateKey.pem").stat().st_mode & 0o777 == 0o600
    checked = run_keygen("verify", str(target / "privateKey.pem"), str(target / "publicKey.pub"))
    assert checked.returncode == 0, checked.stdout
    # A second run refuses (exit 5) and touches nothing.
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    again = run_script(shell, script, target)
    assert again.returncode == 5 and "refusing: privateKey.pem already exists" in again.stderr
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


@pytest.mark.skipif(SSH_KEYGEN is None, reason="needs ssh-keygen (no ssh-keygen.exe in the Windows lane)")
def test_posix_script_replays_the_ssh_keygen_record(recorded: Path, tmp_path: Path) -> None:
    script = tmp_path / "replay.sh"
    text = script_for(recorded, "2", "posix")
    assert recipes.SSH_KEYGEN_LINES[1] in text and "openssl" not in text.split("set -u", 1)[1]
    script.write_text(text)
    done = run_script("sh", script, tmp_path)
    assert done.returncode == 0, done.stderr
    # ssh-keygen's side file stays in the private directory, which is removed.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["privateKey.pem", "publicKey.pub", "replay.sh"]
    assert run_keygen("verify", cwd=tmp_path).returncode == 0


@pytest.mark.skipif(shutil.which("sh") is None, reason=NO_SH_SCRIPT)
def test_posix_script_refuses_when_only_the_public_key_exists(recorded: Path, tmp_path: Path) -> None:
    script = tmp_path / "replay.sh"
    script.write_text(script_for(recorded, "1", "posix"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "publicKey.pub").write_text("keep me\n")
    done = run_script("sh", script, tmp_path / "out")
    assert done.returncode == 5
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["publicKey.pub"]
    assert (tmp_path / "out" / "publicKey.pub").read_text() == "keep me\n"


def test_a_failing_step_leaves_nothing_behind(recorded: Path, tmp_path: Path, stand_in) -> None:  # type: ignore[no-untyped-def]
    path = stand_in(
        "openssl",
        """
        case "$1" in
          rsa) echo 'unable to load key' >&2; exit 1 ;;
          *) exec "$REAL" "$@" ;;
        esac
        """,
    )
    script = tmp_path / "replay.sh"
    script.write_text(script_for(recorded, "1", "posix"))
    (tmp_path / "out").mkdir()
    done = run_script("sh", script, tmp_path / "out", env={"PATH": path})
    assert done.returncode == 4 and "a documented step failed" in done.stderr
    assert list((tmp_path / "out").iterdir()) == []  # no half pair, no private directory


def test_tampered_steps_make_no_script(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    steps = [{"line": "rm -rf / > publicKey.pub"}, {"line": recipes.OPENSSL_LINES[1]}]
    audit.append(log, {"command": "generate", "result": "ok", "steps": steps})
    done = run_keygen("audit", "show", "1", "--script", "posix", "--audit-log", str(log))
    assert done.returncode == 2 and done.stdout == ""
    assert "does not hold the whole of a documented recipe" in done.stderr


def test_cmd_script_is_plain_batch(recorded: Path) -> None:
    done = subprocess.run(
        [*_keygen(), "audit", "show", "2" if SSH_KEYGEN else "1", "--script", "cmd", "--audit-log", str(recorded)],
        capture_output=True,
        check=True,
    )
    raw = done.stdout
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout: cmd's goto misreads LF-only files
    text = raw.decode("ascii")
    lines = text.split("\r\n")
    assert lines[0] == "@echo off"
    for expected in (
        "if exist privateKey.pem goto taken",
        "if exist publicKey.pub goto taken",
        ":taken",
        "exit /b 5",
        "if errorlevel 1 goto failed",
        'move "%WORK%\\privateKey.pem" privateKey.pem >nul',
        'rmdir /s /q "%WORK%"',
    ):
        assert expected in lines, expected
    recipe = recipes.SSH_KEYGEN_LINES if SSH_KEYGEN else recipes.OPENSSL_LINES
    assert [ln for ln in lines if ln in recipe] == list(recipe)  # the documented lines, `>` and all
    # Every line before the first documented one is a comment or plain batch: no key material.
    assert "PRIVATE KEY" not in text


def test_powershell_script_avoids_5_1_utf16_redirect(recorded: Path) -> None:
    raw = subprocess.run(
        [*_keygen(), "audit", "show", "1", "--script", "powershell", "--audit-log", str(recorded)],
        capture_output=True,
        check=True,
    ).stdout
    text = raw.decode("ascii")
    assert "param([string]$Dir = '.')" in text
    assert "    openssl rsa -in privateKey.pem -pubout | Out-File -Encoding ascii publicKey.pub" in text
    assert f"    {recipes.OPENSSL_LINES[1]}" in text  # PowerShell 7 keeps the documented `>`
    assert f"  {recipes.OPENSSL_LINES[0]}" in text
    assert "[System.IO.File]::Move(" in text and "exit 5" in text
    assert "$ErrorActionPreference = 'Stop'" not in text


def test_record_text_cannot_break_out_of_a_comment(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    record = {
        "command": "generate",
        "result": "ok",
        "host": "evil\r\ndel /q *.pem & echo %PATH%\n$(rm -rf ~)`whoami`",
        "steps": [{"line": line} for line in recipes.OPENSSL_LINES],
    }
    audit.append(log, record)
    for shell in ("posix", "cmd", "powershell"):
        text = run_keygen("audit", "show", "1", "--script", shell, "--audit-log", str(log)).stdout
        about = next(ln for ln in text.splitlines() if "recorded" in ln and " on " in ln)
        assert "del /q" not in text.replace(about, "") and "rm -rf ~" not in text
        for bad in ("&", "%", "$", "`", "\r"):
            assert bad not in about


def _keygen() -> list[str]:
    return [sys.executable, "-m", "keygen"]


WINE = shutil.which("wine")
WINE_PREFIX = os.environ.get("KEYGEN_WINEPREFIX")
WINE_OPENSSL = os.environ.get("KEYGEN_WINE_OPENSSL")


@pytest.mark.skipif(
    os.name != "nt" and not (WINE and WINE_PREFIX and WINE_OPENSSL),
    reason="opt-in: set KEYGEN_WINEPREFIX (a ready Wine prefix) and KEYGEN_WINE_OPENSSL (a Windows openssl.exe)",
)
def test_cmd_script_under_wine_cmd(recorded: Path, tmp_path: Path) -> None:
    """Wine's real cmd.exe runs the batch script: a pair on the first run, exit 5 on the second.
    On Windows it is the cmd.exe beside the suite, with the openssl.exe on PATH."""
    (tmp_path / "bin").mkdir()
    if os.name != "nt":
        assert WINE and WINE_PREFIX and WINE_OPENSSL
        shutil.copy(WINE_OPENSSL, tmp_path / "bin" / "openssl.exe")
    (tmp_path / "replay.cmd").write_bytes(
        subprocess.run(
            [*_keygen(), "audit", "show", "1", "--script", "cmd", "--audit-log", str(recorded)],
            capture_output=True,
            check=True,
        ).stdout
    )
    (tmp_path / "out").mkdir()
    env = dict(os.environ)
    if os.name != "nt":
        env.update({"WINEPREFIX": WINE_PREFIX or "", "WINEDEBUG": "-all", "WINEPATH": f"Z:{tmp_path / 'bin'}"})
    cmd = ["cmd"] if os.name == "nt" else [WINE or "wine", "cmd"]

    def wine_cmd(log: str) -> int:
        # Output goes to a file inside Wine: a pipe would be held open by wineserver.
        return subprocess.run(
            [*cmd, "/c", f"replay.cmd out > {log} 2>&1"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=180,
            check=False,
        ).returncode

    assert wine_cmd("first.txt") == 0, (tmp_path / "first.txt").read_text(errors="replace")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["privateKey.pem", "publicKey.pub"]
    checked = run_keygen("verify", str(tmp_path / "out" / "privateKey.pem"), str(tmp_path / "out" / "publicKey.pub"))
    assert checked.returncode == 0, checked.stdout
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert wine_cmd("second.txt") == 5
    assert "refusing" in (tmp_path / "second.txt").read_text(errors="replace")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
