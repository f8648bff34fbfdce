"""Command-line manners users expect of a CLI: -h is --help everywhere, choices take any case,
one option name means one thing, and a log that is not there is an error for the commands that read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, run_keygen

EVERY_COMMAND = [
    [],
    ["generate"],
    ["verify"],
    ["exchange"],
    ["confirm"],
    ["plan"],
    ["doctor"],
    ["audit"],
    ["audit", "verify"],
    ["audit", "show"],
]


@pytest.mark.parametrize("words", EVERY_COMMAND, ids=lambda w: " ".join(w) or "keygen")
def test_dash_h_is_help(words: list[str]) -> None:
    short, long = run_keygen(*words, "-h"), run_keygen(*words, "--help")
    assert short.returncode == long.returncode == 0, short.stderr
    assert short.stdout == long.stdout
    assert short.stdout.startswith(f"Usage: keygen {' '.join(words)}".rstrip() + " ")
    assert "-h, --help" in short.stdout


def test_choices_take_any_case_and_become_the_tables_spelling() -> None:
    done = run_keygen("plan", "--os", "MacOS", "--shell", "ZSH", "--method", "OpenSSL", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert (plan["os"], plan["shell"]["name"], plan["method"]["name"]) == ("macos", "zsh", "openssl")


def test_a_choice_in_the_wrong_case_is_still_checked() -> None:
    done = run_keygen("plan", "--os", "BeOS")
    assert done.returncode == 2
    assert "'BeOS' is not one of: linux, macos, windows" in done.stderr


def test_region_in_capitals_is_the_region(tmp_path: Path) -> None:
    if OPENSSL is None:
        pytest.skip("needs openssl")
    done = run_keygen("generate", "--dry-run", "--json", "--region", "EU", "--out-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert [ic["region"] for ic in json.loads(done.stdout)["next"]["integration_central"]] == ["eu"]


def test_audit_path_prints_the_path_and_audit_log_names_the_file(tmp_path: Path) -> None:
    log = tmp_path / "somewhere" / "audit.jsonl"
    printed = run_keygen("audit", "--path", "--audit-log", str(log))
    assert (printed.returncode, printed.stdout.strip()) == (0, str(log))
    for sub in (["verify"], ["show", "last"]):
        done = run_keygen("audit", *sub, "--path", str(log))
        assert done.returncode == 2
        assert "no such option: --path" in done.stderr
        assert f"`keygen audit {sub[0]} --help`" in done.stderr


@pytest.mark.parametrize(
    ("words", "command"),
    [(["audit"], "audit"), (["audit", "verify"], "audit verify"), (["audit", "show", "last"], "audit show")],
)
def test_a_log_that_is_not_there_is_an_error_for_the_read_commands(
    tmp_path: Path, words: list[str], command: str
) -> None:
    log = tmp_path / "typo" / "audit.jsonl"
    text = run_keygen(*words, "--audit-log", str(log))
    assert text.returncode == 2
    assert text.stdout == ""
    assert text.stderr.startswith(f"keygen: error: there is no audit log at {log}\n  hint: ")
    as_json = json.loads(run_keygen(*words, "--audit-log", str(log), "--json").stdout)
    assert (as_json["command"], as_json["ok"], as_json["exit_code"]) == (command, False, 2)
    assert as_json["error"]["kind"] == "usage"


def test_a_log_with_only_rotated_files_is_still_read(tmp_path: Path, audit_log: Path) -> None:
    """Rotation moves the live file aside; until the next record the rotated files are the log."""
    if OPENSSL is None:
        pytest.skip("needs openssl")
    assert run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--audit-log", str(audit_log)).returncode == 0
    audit_log.rename(audit_log.with_name(audit_log.name + ".1"))
    listed = run_keygen("audit", "--json", "--audit-log", str(audit_log))
    assert listed.returncode == 0, listed.stderr
    assert [r["command"] for r in json.loads(listed.stdout)["records"]] == ["generate"]
    assert run_keygen("audit", "verify", "--audit-log", str(audit_log)).returncode == 0
