"""What the CLI promises around every command: output failures, bugs said plainly, progress on a terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import NO_PTY, OPENSSL, pty, run_keygen


def test_full_disk_on_stdout_is_exit_7(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "keygen", "audit", "--path"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 7
    assert "cannot write to standard output" in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_a_reader_that_goes_away_is_not_an_error(tmp_path: Path) -> None:
    """`keygen generate | head -1`: the pair is made and published, and nothing complains."""
    # Windows has no head: a reader of one byte in Python goes away the same way.
    head = [sys.executable, "-c", "import sys; sys.stdin.buffer.read(1)"] if os.name == "nt" else ["head", "-c", "1"]
    reader = subprocess.Popen(head, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    proc = subprocess.run(
        [sys.executable, "-m", "keygen", "generate", "--out-dir", str(tmp_path), "--json"],
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait(10)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert (tmp_path / "privateKey.pem").is_file()


def test_a_bug_is_exit_70_with_one_line_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug (here: planted) is said as a bug, in one line, with how to get the traceback."""
    from keygen import __main__, audit

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(audit, "resolve", broken)
    monkeypatch.setattr(sys, "argv", ["keygen", "audit"])
    with pytest.raises(SystemExit) as exited:
        __main__.main()
    assert exited.value.code == 70
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "KEYGEN_DEBUG=1" in err
    assert "Traceback" not in err
    monkeypatch.setenv("KEYGEN_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        __main__.main()


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
@pytest.mark.skipif(pty is None, reason=NO_PTY)
def test_progress_goes_to_a_terminal(tmp_path: Path) -> None:
    """With stderr a terminal, keygen says what it is running while openssl works."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "keygen", "generate", "--out-dir", str(tmp_path)],
        stdin=child,
        stdout=subprocess.PIPE,
        stderr=child,
        env=os.environ.copy(),
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.wait(60)
    os.close(main)
    assert proc.returncode == 0
    text = seen.decode(errors="replace")
    assert "running: openssl genpkey -out privateKey.pem" in text
    assert "checking the key pair" in text
    # Progress is for people: with stderr not a terminal (CI, --json) there is none.
    quiet = run_keygen("generate", "--out-dir", str(tmp_path / "b"))
    assert "running:" not in quiet.stderr


def test_cli_choices_are_the_cores_own_lists() -> None:
    """Typer needs enums for its choices; they must never drift from the data the core uses."""
    from keygen import amazon_pay, cli, host, plan

    assert [m.value for m in cli.MethodName] == list(plan.METHODS)
    assert sorted(s.value for s in cli.ShellName) == sorted(host.SHELLS)
    assert [r.value for r in cli.Region] == list(amazon_pay.REGIONS)
    assert [o.value for o in cli.OSChoice] == list(host.SHELLS_BY_OS)
    from keygen import cli_confirm, sdk_config, signing

    assert [a.value for a in cli_confirm.Algorithm] == list(signing.ALGORITHM_CHOICES)
    assert [s.value for s in cli.Sdk] == list(sdk_config.SDKS)
    assert list(signing.API_HOSTS) == list(amazon_pay.REGIONS)
