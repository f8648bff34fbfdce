"""What the CLI promises around every command: output failures, bugs said plainly, progress on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from keygen import amazon_pay
from tests.helpers import OPENSSL, run_keygen, terminal_run


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_full_disk_on_stdout_is_exit_7(tmp_path: Path, unbuffered: str) -> None:
    # Buffered (no PYTHONUNBUFFERED, as under `env -i` in CI) the text waits in Python's buffer and
    # a second flush at exit must not turn exit 7 into Python's 120.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "keygen", "audit", "--path"],
            env=env,
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
    from keygen.audit import log as audit
    from keygen.cli.main import main

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(audit, "resolve", broken)
    monkeypatch.setattr(sys, "argv", ["keygen", "audit"])
    assert main() == 70
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "KEYGEN_DEBUG=1" in err
    assert "Traceback" not in err
    monkeypatch.setenv("KEYGEN_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main()


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_progress_goes_to_a_terminal(tmp_path: Path) -> None:
    """With stderr a terminal, keygen says what it is running while openssl works."""
    code, text = terminal_run(["generate", "--out-dir", str(tmp_path)], {})
    assert code == 0
    assert "running: openssl genpkey -out privateKey.pem" in text
    assert "checking the key pair" in text
    # Progress is for people: with stderr not a terminal (CI, --json) there is none.
    quiet = run_keygen("generate", "--out-dir", str(tmp_path / "b"))
    assert "running:" not in quiet.stderr


def test_cli_choices_are_the_one_tables_lists() -> None:
    """The choices of --method, --shell, --os and --region are the table's own lists, in its order."""
    from keygen import amazon_pay
    from keygen.host import platforms

    for args, values in (
        (("generate", "--method", "x"), platforms.METHODS),
        (("plan", "--shell", "x"), platforms.SHELLS),
        (("plan", "--os", "x"), platforms.OSES),
        (("generate", "--region", "x"), tuple(amazon_pay.REGIONS)),
    ):
        done = run_keygen(*args)
        assert done.returncode == 2
        assert f"is not one of: {', '.join(values)}" in done.stderr


def test_confirm_and_exchange_choices_come_from_the_core_tables() -> None:
    from keygen.amazon_pay import sdk_config, signing
    from keygen.cli import confirm as cli_confirm

    assert sorted(cli_confirm.ALGORITHMS) == sorted(signing.ALGORITHM_CHOICES)
    assert list(signing.API_HOSTS) == list(amazon_pay.REGIONS)
    for args, values in (
        (("confirm", "--algorithm", "x"), cli_confirm.ALGORITHMS),
        (("exchange", "--sdk", "x"), sdk_config.SDKS),
        (("confirm", "--region", "x"), tuple(amazon_pay.REGIONS)),
    ):
        done = run_keygen(*args)
        assert done.returncode == 2, done.stderr
        assert f"is not one of: {', '.join(values)}" in done.stderr
