"""Nothing a file, a path, a record or a server says can steer the terminal (issue 20): every text
line goes through one emitter (keygen.render) that shows control characters escaped; JSON stays
exact JSON, with nothing a terminal acts on left raw."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from keygen import render, stream
from keygen.audit import log as audit
from keygen.errors import ExitCode, UsageError
from keygen.render import Text
from keygen.render.style import Style
from keygen.result import Failure
from tests.faults.hostile import assert_clean
from tests.helpers import OPENSSL, WINDOWS, on_a_terminal, run_keygen

HOSTILE = "k\x1b]0;pwned\x07\x1b[2J\rOK\x9b31m\u202eyek\nforged line\x7f"


def test_printable_shows_every_control_character_and_keeps_ordinary_text() -> None:
    shown = stream.printable(HOSTILE)
    assert shown == "k\\x1b]0;pwned\\x07\\x1b[2J\\rOK\\x9b31m\\u202eyek\\nforged line\\x7f"
    assert stream.printable("C:\\Users\\ключ\tx — ok") == "C:\\Users\\ключ\tx — ok"


def test_with_colour_only_keygens_own_colour_codes_pass(capsys: pytest.CaptureFixture[str]) -> None:
    painted = Style(colour=True)
    render._write(Text([painted.mark("pass") + " " + HOSTILE + painted.heading("\x1b[31mred")]))
    out = capsys.readouterr().out
    assert out.startswith("\x1b[32mok\x1b[0m   k\\x1b]0;")
    assert out.endswith("\x1b[1m\\x1b[31mred\x1b[0m\n")
    assert_clean([out.replace("\x1b[32m", "").replace("\x1b[0m", "").replace("\x1b[1m", "")])


def test_the_one_emitter_escapes_body_warnings_error_and_hint(capsys: pytest.CaptureFixture[str]) -> None:
    render._write(Text([HOSTILE, "second"]))
    failure = Failure("", UsageError(f"bad {HOSTILE}", f"hint {HOSTILE}"))
    failure.warnings.append(f"warn {HOSTILE}")
    render._write_warnings_and_error(failure)
    out, err = capsys.readouterr()
    assert out.count("\n") == 2 and out.endswith("\\nforged line\\x7f\nsecond\n")
    assert err.count("\n") == 3
    assert_clean([out, err])


def test_json_stays_exact_and_leaves_nothing_raw(capsys: pytest.CaptureFixture[str]) -> None:
    failure = Failure("", UsageError(HOSTILE, None))
    assert render.emit(failure, as_json=True) == ExitCode.USAGE
    out = capsys.readouterr().out
    assert json.loads(out)["error"]["message"] == HOSTILE
    assert_clean([out])


@pytest.mark.skipif(OPENSSL is None or WINDOWS, reason="needs openssl and a file system that allows ESC in names")
def test_generate_and_verify_echo_hostile_paths_escaped(tmp_path: Path) -> None:
    out = tmp_path / "keys\x1b]0;pwned\x07\x1b[2J\rdir"
    made = run_keygen("generate", "--out-dir", str(out))
    assert made.returncode == 0, made.stderr
    assert "keys\\x1b]0;pwned\\x07\\x1b[2J\\rdir" in made.stdout
    checked = run_keygen("verify", str(out / "privateKey.pem"), str(out / "publicKey.pub"))
    missing = run_keygen("verify", str(out / "nope\x1b[2J.pem"))
    as_json = run_keygen("generate", "--out-dir", str(out / "two"), "--json")
    assert json.loads(as_json.stdout)["dir"] == str(out / "two")
    assert missing.returncode != 0 and "nope\\x1b[2J.pem" in missing.stdout + missing.stderr
    assert_clean([r.stdout + r.stderr for r in (made, checked, missing, as_json)])


@pytest.mark.skipif(OPENSSL is None or WINDOWS, reason="needs openssl and a terminal (pty)")
def test_on_a_terminal_only_keygens_colours_reach_it(tmp_path: Path) -> None:
    out = tmp_path / "k\x1b]0;t\x07\x1b[31mred"
    shown = on_a_terminal(["generate", "--out-dir", str(out)], dict(os.environ), tmp_path)
    assert "k\\x1b]0;t\\x07\\x1b[31mred" in shown
    assert "\x1b]" not in shown and "\x07" not in shown and "\x1b[31mred" not in shown


def test_records_from_the_log_are_shown_escaped(audit_log: Path) -> None:
    audit.append(audit_log, {"time": "2026-01-01T00:00:00Z", "command": "generate", "result": "ok", "exit_code": 0,
                             "dir": f"/k/{HOSTILE}", "fingerprint": f"SHA256:{HOSTILE}", "steps": []})
    listed = run_keygen("audit")
    shown = run_keygen("audit", "show", "last")
    assert listed.returncode == 0 and "/k/k\\x1b]0;pwned" in listed.stdout
    assert shown.returncode == 0 and json.loads(shown.stdout)["dir"] == f"/k/{HOSTILE}"
    assert_clean([listed.stdout, listed.stderr, shown.stdout, shown.stderr])
