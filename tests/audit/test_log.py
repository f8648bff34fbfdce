"""The audit log: where it lives, what `keygen audit` shows, and that concurrent writers never tear a line."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from keygen.audit import log as audit
from tests.helpers import WINDOWS, run_keygen


def test_default_path_is_the_user_log_directory(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYGEN_AUDIT_LOG")
    path = audit.default_path()
    if WINDOWS:  # platformdirs asks Windows for the known folder: %LOCALAPPDATA%\\keygen\\Logs
        assert path == Path(os.environ["LOCALAPPDATA"]) / "keygen" / "Logs" / "audit.jsonl"
        return
    # platformdirs on Linux: $XDG_STATE_HOME/keygen/log (no doubled app-author folder).
    assert path == home / ".local" / "state" / "keygen" / "log" / "audit.jsonl"


def test_env_and_flag_choose_the_file(tmp_path: Path) -> None:
    proc = run_keygen("audit", "--path", env={"KEYGEN_AUDIT_LOG": str(tmp_path / "env.jsonl")})
    assert proc.stdout.strip() == str(tmp_path / "env.jsonl")
    proc = run_keygen("audit", "--path", "--audit-log", str(tmp_path / "flag.jsonl"))
    assert proc.stdout.strip() == str(tmp_path / "flag.jsonl")


def test_generate_writes_to_audit_log_flag(tmp_path: Path) -> None:
    log = tmp_path / "deep" / "audit.jsonl"
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--audit-log", str(log))
    assert proc.returncode == 0, proc.stderr
    if not WINDOWS:  # Windows has no mode bits to assert (README)
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    shown = run_keygen("audit", "--audit-log", str(log))
    assert "generate  ok (exit 0)  openssl" in shown.stdout
    assert "openssl genpkey -out privateKey.pem" in shown.stdout


def test_corrupt_lines_are_reported_and_skipped(audit_log: Path) -> None:
    good = {"time": "2026-01-01T00:00:00Z", "command": "generate", "result": "ok", "exit_code": 0}
    audit_log.write_text(json.dumps(good) + "\n{not json\n[1, 2]\n\n" + json.dumps({**good, "exit_code": 4}) + "\n")
    proc = run_keygen("audit")
    assert proc.returncode == 0
    assert proc.stdout.count("generate  ok") == 2
    assert "line 2 skipped" in proc.stderr and "line 3 skipped" in proc.stderr
    doc = json.loads(run_keygen("audit", "--json", "--last", "1").stdout)
    assert [r["exit_code"] for r in doc["records"]] == [4]
    assert [p["line_no"] for p in doc["skipped"]] == [2, 3]


def test_unwritable_audit_log_is_a_warning_not_a_lost_key(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--audit-log", str(blocker / "audit.jsonl"))
    assert proc.returncode == 0
    assert "warning: the audit log" in proc.stderr
    assert (tmp_path / "k" / "privateKey.pem").exists()


def _writer(path: str, n: int, tag: int) -> None:
    for i in range(n):
        # Big records make torn writes likely if appends were not whole.
        audit.append(Path(path), {"writer": tag, "i": i, "pad": "x" * 20000})


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(log), 40, tag)) for tag in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    records, problems = audit.read(log)
    assert problems == []
    assert len(records) == 160
    assert sorted((r["writer"], r["i"]) for r in records) == [(t, i) for t in range(4) for i in range(40)]


def test_a_directory_as_the_audit_log_is_exit_14(tmp_path: Path) -> None:
    (tmp_path / "log-dir").mkdir()
    proc = run_keygen("audit", "--audit-log", str(tmp_path / "log-dir"))
    assert proc.returncode == 14
    assert "is a directory, not a regular file" in proc.stderr and "hint:" in proc.stderr
    doc = json.loads(run_keygen("audit", "--json", "--audit-log", str(tmp_path / "log-dir")).stdout)
    assert doc["error"]["code"] == 14
