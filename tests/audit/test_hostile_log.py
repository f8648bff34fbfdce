"""Hand-edited logs (issue 20): a chained log admits no unchained record anywhere; files beside it
that rotation never writes are reported and not trusted; an anchor proves every record up to it;
`audit show last` warns about a line appended by hand; a replay script's comments stay legible;
16 writers rotating at once leave every record exactly once in one chain."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keygen.audit import log as audit
from keygen.audit import replay, store
from keygen.audit import verify as audit_verify
from keygen.cli.app import app
from keygen.recipes import OPENSSL as RECIPE

runner = CliRunner()
FORGED_ID = "LIVE-" + "F" * 24
KEY = "SHA256:" + "k" * 43


def exchange(i: int) -> dict[str, Any]:
    return {
        "time": f"2026-11-29T10:00:{i:02d}Z",
        "command": "exchange",
        "result": "ok",
        "exit_code": 0,
        "fingerprint": KEY,
        "public_key_id": f"SANDBOX-{i:024d}",
    }


FORGED = (json.dumps({**exchange(0), "public_key_id": FORGED_ID}) + "\n").encode()


def legacy(i: int) -> bytes:
    return (json.dumps({"time": f"2025-01-01T00:00:{i:02d}Z", "command": "generate", "result": "ok"}) + "\n").encode()


def chained(log: Path, n: int = 3, limit: int = 0) -> None:
    for i in range(1, n + 1):
        audit.append(log, exchange(i), limit=limit)


def verdict(log: Path, anchor: str | None = None) -> audit_verify.Verdict:
    return audit_verify.verify(log, anchor)


def test_an_unchained_record_put_before_the_chain_breaks_it_even_with_an_anchor(audit_log: Path) -> None:
    chained(audit_log)
    head = verdict(audit_log).walk.head.digest  # type: ignore[union-attr]
    audit_log.write_bytes(FORGED + audit_log.read_bytes())
    v = verdict(audit_log, head)
    assert v.exit_code == 1 and v.walk is not None and v.walk.brk is not None
    assert (v.walk.brk.kind, v.walk.brk.line) == ("inserted", 1)
    assert "put before the chain by hand" in v.walk.brk.message
    result = runner.invoke(app, ["audit", "verify", "--anchor", head])
    assert result.exit_code == 1 and "(inserted)" in result.output


@pytest.mark.parametrize("where", ["between", "after"])
def test_an_unchained_record_between_or_after_chained_ones_breaks_it(audit_log: Path, where: str) -> None:
    chained(audit_log)
    lines = audit_log.read_bytes().splitlines(keepends=True)
    at = 1 if where == "between" else 3
    audit_log.write_bytes(b"".join([*lines[:at], FORGED, *lines[at:]]))
    v = verdict(audit_log)
    assert v.walk is not None and v.walk.brk is not None and (v.walk.brk.kind, v.walk.brk.line) == ("inserted", at + 1)


def test_a_0_1_0_log_upgraded_by_keygen_verifies_and_a_line_added_before_it_later_does_not(audit_log: Path) -> None:
    audit_log.write_bytes(legacy(1) + legacy(2))
    assert verdict(audit_log).exit_code == 0  # no chained record at all: a legacy log
    chained(audit_log, 2)
    first = json.loads(audit_log.read_bytes().splitlines()[2])
    assert first["prelude"]["bytes"] == len(legacy(1) + legacy(2))
    v = verdict(audit_log)
    assert v.exit_code == 0 and v.walk is not None and (v.walk.unchained, v.walk.chained) == (2, 2)
    audit_log.write_bytes(FORGED + audit_log.read_bytes())
    v = verdict(audit_log)
    assert v.walk is not None and v.walk.brk is not None and v.walk.brk.kind == "inserted"


@pytest.mark.parametrize("name", ["audit.jsonl.0", "audit.jsonl.007"])
def test_a_file_rotation_never_writes_is_reported_and_not_trusted(audit_log: Path, name: str) -> None:
    chained(audit_log, 4, limit=1)  # .1 .2 .3 and the live file
    stray = audit_log.with_name(name)
    stray.write_bytes(FORGED)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1, result.output
    assert f"beside the audit log: {stray}" in result.output
    doc = json.loads(runner.invoke(app, ["audit", "verify", "--json"]).output)
    assert doc["strays"] == [str(stray)] and str(stray) not in doc["files"]
    listed = json.loads(runner.invoke(app, ["audit", "--json"]).output)
    assert FORGED_ID not in json.dumps(listed) and len(listed["records"]) == 4
    assert [p.name for p in store.rotated_files(audit_log)] == ["audit.jsonl.1", "audit.jsonl.2", "audit.jsonl.3"]
    audit.append(audit_log, exchange(5), limit=1)  # rotation goes on past the stray: .4
    assert audit_log.with_name("audit.jsonl.4").exists()


def test_an_anchor_proves_the_records_before_it(audit_log: Path) -> None:
    chained(audit_log, 3)
    anchor = json.loads(runner.invoke(app, ["audit", "verify", "--json"]).output)["head"]["sha256"]
    chained(audit_log, 2)
    lines = audit_log.read_bytes().splitlines(keepends=True)
    assert runner.invoke(app, ["audit", "verify", "--anchor", anchor]).exit_code == 0
    # A record before the anchor removed: the chain breaks before the anchor is reached.
    audit_log.write_bytes(b"".join([lines[0], *lines[2:]]))
    v = verdict(audit_log, anchor)
    assert v.exit_code == 1 and v.anchor_line is None


def test_show_last_warns_about_a_line_appended_by_hand(audit_log: Path) -> None:
    chained(audit_log)
    clean = runner.invoke(app, ["audit", "show", "last"])
    assert clean.exit_code == 0 and "warning" not in clean.output
    with open(audit_log, "ab") as fh:
        fh.write(FORGED)
    result = runner.invoke(app, ["audit", "show", "last"])
    assert FORGED_ID in result.output
    assert f"warning: {audit_log} line 4 carries no seq, prev and hash although the log is chained" in result.output
    doc = json.loads(runner.invoke(app, ["audit", "show", "last", "--json"]).output)
    assert doc["line"] == 4 and doc["warnings"]


def test_show_last_of_a_legacy_log_does_not_warn(audit_log: Path) -> None:
    audit_log.write_bytes(legacy(1) + legacy(2))
    result = runner.invoke(app, ["audit", "show", "last", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["warnings"] == []


def test_a_replay_scripts_comments_are_legible_whatever_the_record_holds(audit_log: Path) -> None:
    record = {
        "time": "2026-11-29T10:00:00Z",
        "command": "generate",
        "result": "ok",
        "exit_code": 0,
        "user": "Jos\u00e9\x1b]0;owned\x07",
        "host": "h\u00f6st",
        "dir": "/k",
        "method": {"name": "openssl", "why": "default"},
        "keygen_version": "0.3.0",
        "steps": [{"line": s.line, "executable": "/usr/bin/openssl", "tool_version": "3.0"} for s in RECIPE.steps],
    }
    audit.append(audit_log, record)
    result = runner.invoke(app, ["audit", "show", "1", "--script", "posix"])
    assert result.exit_code == 0, result.output
    comments = [line for line in result.output.splitlines() if line.startswith("# ")]
    assert "# method openssl, result ok, keygen 0.3.0" in comments
    user = "Jos\\u00e9\\u001b\\u005d0\\u003bowned\\u0007"  # each character legible, none acted on
    assert f"# recorded 2026-11-29T10:00:00Z by {user} on h\\u00f6st in /k" in comments
    assert all("?" not in line and line.isascii() and line.isprintable() for line in comments)
    assert replay._comment("a\u20acb") == "a\\u20acb"


def _writer(path: str, tag: int, n: int) -> None:
    for i in range(n):
        audit.append(Path(path), {"writer": tag, "i": i, "pad": "x" * 1000}, limit=20_000)


def test_sixteen_concurrent_writers_with_rotation_leave_each_record_once_in_one_chain(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(log), tag, 12)) for tag in range(16)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    v = verdict(log)
    assert v.exit_code == 0 and v.walk is not None and v.walk.chained == 16 * 12
    records, problems = audit.read(log)
    assert problems == [] and [r["seq"] for r in records] == list(range(1, 16 * 12 + 1))
    assert sorted((r["writer"], r["i"]) for r in records) == [(t, i) for t in range(16) for i in range(12)]
    assert len(store.rotated_files(log)) >= 5 and v.strays == []
