"""The output contract at the process edge, through the real CLI in child processes: pipes, a full
or closed standard output, usage errors as text and JSON, colour only on a terminal, one envelope."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from keygen.render.common import suggested_name
from tests.helpers import KEYGEN, OPENSSL, WINDOWS, on_a_terminal, run_keygen

#: These edges are made with sh's own syntax (`| true`, `> /dev/full`, `>&-`).
NO_SH_PIPES = "builds the pipe, /dev/full or closed descriptor with sh (no MSYS bash.exe in the Windows lane)"


def shell(command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `command` in sh, with `keygen` meaning this checkout's CLI (pipes and redirections are real)."""
    if WINDOWS:
        pytest.skip(NO_SH_PIPES)
    env = {**os.environ, "KEYGEN": " ".join(KEYGEN)}
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.mark.parametrize("args", ["--version", "--help", "audit --path"])
def test_a_closed_pipe_is_silent_and_exit_0(args: str) -> None:
    # `$?` of a pipeline is the last command's: ask for keygen's own status with a subshell.
    done = shell(f"($KEYGEN {args}; echo $? > status) | true; cat status")
    assert done.stdout.strip() == "0", done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("args", ["--version", "--help", "doctor", "audit --path"])
def test_a_full_stdout_is_exit_7_with_one_error(args: str) -> None:
    done = shell(f"$KEYGEN {args} > /dev/full")
    assert done.returncode == 7
    lines = done.stderr.splitlines()
    assert lines[0] == "keygen: error: cannot write to standard output: No space left on device"
    assert lines[1].startswith("  hint: ") and len(lines) == 2
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize("args", ["--version", "--help", "doctor"])
def test_a_closed_stdout_is_exit_7(args: str) -> None:
    done = shell(f"$KEYGEN {args} >&-")
    assert done.returncode == 7
    assert done.stderr.splitlines()[0] == "keygen: error: cannot write to standard output: it is closed"
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_generate_with_stdout_closed_publishes_then_exits_7(tmp_path: Path) -> None:
    """The descriptor is not reused for a key file or a lock: the pair is whole, only the output failed."""
    done = shell(f"$KEYGEN generate --out-dir {tmp_path} >&-")
    assert done.returncode == 7, done.stderr
    assert "cannot write to standard output: it is closed" in done.stderr
    assert (tmp_path / "privateKey.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert run_keygen("verify", "--no-second-opinion", cwd=tmp_path).returncode == 0


USAGE = [
    (
        ("generate", "--region", "xx"),
        "generate",
        re.escape("invalid value for '--region': 'xx' is not one of: us, eu, jp"),
    ),
    (
        ("generate", "--timeout", "abc"),
        "generate",
        re.escape("invalid value for '--timeout': 'abc' is not a valid float"),
    ),
    (("audit", "--last", "0"), "audit", re.escape("invalid value for '--last': 0 is not in the range x>=1")),
    # Click 8.1 says "argument (c)", 8.2 "argument(s) (c)": the form is the contract, not Click's words.
    (("verify", "a", "b", "c"), "verify", r"got unexpected extra argument(\(s\))? \(c\)"),
]


@pytest.mark.parametrize(("args", "command", "message"), USAGE)
def test_usage_errors_are_one_error_and_a_hint(args: tuple[str, ...], command: str, message: str) -> None:
    done = run_keygen(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    error, hint = done.stderr.splitlines()
    assert re.fullmatch(f"keygen: error: {message}", error), error
    assert hint == f"  hint: `keygen {command} --help` lists the options and arguments"


@pytest.mark.parametrize(("args", "command", "message"), USAGE)
def test_usage_errors_under_json_are_one_object(args: tuple[str, ...], command: str, message: str) -> None:
    done = run_keygen(*args, "--json")
    assert done.returncode == 2 and done.stderr == ""
    doc = json.loads(done.stdout)
    assert doc["command"] == command and doc["ok"] is False and doc["exit_code"] == 2
    assert doc["error"]["kind"] == "usage" and re.fullmatch(message, doc["error"]["message"])
    assert doc["warnings"] == []


def test_no_command_is_a_usage_error() -> None:
    done = run_keygen()
    assert done.returncode == 2
    assert done.stderr.startswith("keygen: error: no command given\n  hint: choose one of: generate, verify")


ENVELOPE = ["command", "ok", "exit_code", "error", "warnings"]


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_every_command_json_starts_with_the_one_envelope(tmp_path: Path) -> None:
    runs = {
        "generate": ("generate", "--out-dir", str(tmp_path)),
        "verify": ("verify", "--no-second-opinion"),
        "public-key": ("public-key", "-o", "again.pub"),
        "exchange": ("exchange",),
        "plan": ("plan", "--os", "linux"),
        "doctor": ("doctor",),
        "audit": ("audit",),
        "audit verify": ("audit", "verify"),
        "keys": ("keys",),
    }
    from keygen.cli import COMMANDS

    assert set(runs) == set(COMMANDS) - {"confirm", "rotate", "retire"} | {"audit verify"}
    for command, args in runs.items():
        done = run_keygen(*args, "--json", cwd=tmp_path)
        doc = json.loads(done.stdout)
        assert list(doc)[:5] == ENVELOPE, command
        assert doc["command"] == command and doc["exit_code"] == done.returncode == 0, (command, done.stderr)
        assert doc["ok"] is True and doc["error"] is None and isinstance(doc["warnings"], list)
    # The ones whose success needs more than a scratch directory (a live ID; a record): their failures.
    for command, args, code in (
        # Nothing listens on port 9 of loopback: refused, exit 8, and no request leaves the machine.
        ("confirm", ("confirm", "--public-key-id", "SANDBOX-AB12CD34EF56GH78IJ90KL12", "--region", "eu",
                     "--endpoint", "http://127.0.0.1:9"), 8),
        ("audit show", ("audit", "show", "last", "--audit-log", str(tmp_path / "empty.jsonl")), 2),
        # A new key (no Public Key ID) is nothing to rotate or retire.
        ("rotate", ("rotate",), 2),
        ("retire", ("retire", "SANDBOX-AB12CD34EF56GH78IJ90KL12"), 2),
    ):
        done = run_keygen(*args, "--json", cwd=tmp_path)
        doc = json.loads(done.stdout)
        assert list(doc)[:5] == ENVELOPE, command
        assert doc["command"] == command and doc["exit_code"] == done.returncode == code, (command, done.stdout)
        assert doc["ok"] is False and doc["error"]["code"] == code


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_generate_json_and_audit_record_are_the_same_facts(tmp_path: Path, audit_log: Path) -> None:
    doc = json.loads(run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json").stdout)
    record = json.loads(audit_log.read_text().splitlines()[-1])
    for key in ("command", "ok", "exit_code", "error", "method", "steps", "checks", "fingerprint", "files", "shell"):
        assert record[key] == doc[key], key
    assert {"time", "user", "host", "env", "result"} <= set(record)


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_generate_text_ends_with_the_next_step_and_the_record(tmp_path: Path, audit_log: Path) -> None:
    done = run_keygen("generate", "--out-dir", str(tmp_path), "--region", "eu")
    tail = done.stdout.splitlines()[-2:]
    assert tail == [
        f"Then record the ID it shows: keygen exchange --public-key {tmp_path / 'publicKey.pub'} "
        f"--name {suggested_name()} --region eu --public-key-id ID",
        f"Audit record: {audit_log}",
    ]


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_colour_on_a_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_keygen("generate", "--out-dir", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = on_a_terminal(["verify", "-v"], {"TERM": "xterm"}, tmp_path)
    assert "\x1b[32mok\x1b[0m" in coloured and "\x1b[1m" in coloured
    plain = on_a_terminal(["verify", "-v"], {"NO_COLOR": "1", "TERM": "xterm"}, tmp_path)
    assert "\x1b[" not in plain and "ok   private_key.format" in plain
    piped = run_keygen("verify", "-v", cwd=tmp_path)
    assert "\x1b[" not in piped.stdout
    as_json = on_a_terminal(["verify", "--json"], {"TERM": "xterm"}, tmp_path)
    assert "\x1b[" not in as_json


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish", "powershell"])
def test_show_completion_honours_the_shell_named(shell_name: str) -> None:
    """Typer 0.28 prints the detected shell's script whatever is named: keygen uses the name."""
    done = run_keygen("--show-completion", shell_name, env={"SHELL": "/bin/bash"})
    assert done.returncode == 0, done.stderr
    marks = {
        "bash": "complete -o default -F",
        "zsh": "#compdef keygen",
        "fish": "complete --command keygen",
        "powershell": "Register-ArgumentCompleter",
    }
    assert marks[shell_name] in done.stdout
    for other, mark in marks.items():
        if other != shell_name:
            assert mark not in done.stdout


@pytest.mark.parametrize(
    ("shell_name", "installed"), [("zsh", ".zfunc/_keygen"), ("fish", ".config/fish/completions/keygen.fish")]
)
def test_install_completion_honours_the_shell_named(shell_name: str, installed: str, home: Path) -> None:
    done = run_keygen("--install-completion", shell_name, env={"SHELL": "/bin/bash"})
    assert done.returncode == 0, done.stderr
    assert (home / installed).is_file()
    assert not (home / ".bash_completions").exists()


def test_unknown_completion_shell_is_a_usage_error() -> None:
    done = run_keygen("--show-completion", "tcsh")
    assert done.returncode == 2 and done.stderr.startswith("keygen: error: no completion for the shell 'tcsh'")


@pytest.mark.skipif(
    any(shutil.which(s) for s in ("pwsh", "powershell")), reason="PowerShell is installed: install would succeed"
)
def test_install_completion_for_a_missing_powershell_is_tool_missing(home: Path) -> None:
    done = run_keygen("--install-completion", "powershell")
    assert done.returncode == 3
    assert done.stderr.startswith("keygen: error: powershell was not found on PATH")
    assert "keygen --show-completion powershell" in done.stderr


def test_completion_without_a_name_uses_the_detected_shell_or_says_to_name_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shellingham

    from keygen.cli import main as edge
    from keygen.errors import UsageError

    def undetectable(*args: object, **kwargs: object) -> tuple[str, str]:
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", undetectable)
    monkeypatch.setenv("SHELL", "/usr/bin/fish")
    assert edge._current_shell() == "fish"
    monkeypatch.delenv("SHELL")
    with pytest.raises(UsageError, match="cannot tell which shell to complete for"):
        edge._current_shell()
