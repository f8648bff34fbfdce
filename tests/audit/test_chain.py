"""The audit chain: every kind of tampering is found and located; 0.1.0 lines are not an alarm;
anchors prove a head is still there; `keygen audit verify` exits 0, 1, 2 or 6 as documented."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keygen.audit import chain as audit_chain
from keygen.audit import log as audit
from keygen.audit import verify as audit_verify
from keygen.cli.app import app

runner = CliRunner()


def entry(i: int) -> dict[str, Any]:
    return {"time": f"2026-11-29T10:00:{i:02d}Z", "command": "exchange", "result": "ok", "exit_code": 0, "i": i}


def make_log(path: Path, n: int = 6, *, limit: int = 0) -> list[bytes]:
    for i in range(1, n + 1):
        audit.append(path, entry(i), limit=limit)
    return path.read_bytes().splitlines(keepends=True)


def legacy(i: int) -> bytes:
    """A line as keygen 0.1.0 wrote it: the record alone, no seq, prev or hash."""
    return (json.dumps({"time": f"2025-01-01T00:00:{i:02d}Z", "command": "generate", "result": "ok"}) + "\n").encode()


def check(path: Path, anchor: str | None = None) -> audit_verify.Verdict:
    return audit_verify.verify(path, anchor)


def brk(path: Path) -> tuple[str, int]:
    verdict = check(path)
    assert verdict.walk is not None and verdict.walk.brk is not None, "no break found"
    assert verdict.exit_code == 1
    return verdict.walk.brk.kind, verdict.walk.brk.line


def test_a_fresh_log_is_one_whole_chain(audit_log: Path) -> None:
    lines = make_log(audit_log)
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert first["seq"] == 1 and len(first["log_id"]) == 32 and "prev" not in first
    # prev is the SHA-256 of the previous line's exact bytes, its newline included.
    assert second["seq"] == 2 and second["prev"] == hashlib.sha256(lines[0]).hexdigest()
    # hash: the line without its `, "hash": ...` tail, closed by `}`.
    body = lines[1][: lines[1].rindex(b', "hash": ')] + b"}"
    assert second["hash"] == hashlib.sha256(body).hexdigest()
    verdict = check(audit_log)
    assert verdict.exit_code == 0 and verdict.walk is not None
    assert (verdict.walk.chained, verdict.walk.unchained, verdict.walk.brk) == (6, 0, None)
    assert verdict.walk.head is not None and verdict.walk.head.digest == hashlib.sha256(lines[-1]).hexdigest()


def edit_value(lines: list[bytes], k: int) -> list[bytes]:
    out = list(lines)
    out[k] = out[k].replace(b'"i": ', b'"i": 9')
    assert out[k] != lines[k]
    return out


def reseal(line: bytes) -> bytes:
    """An editor who recomputes the edited line's own hash (but not the chain after it)."""
    value = json.loads(line)
    value.pop("hash")
    body = json.dumps(value, ensure_ascii=False).encode()
    return body[:-1] + b', "hash": "' + hashlib.sha256(body).hexdigest().encode() + b'"}\n'


def swap(lines: list[bytes], a: int, b: int) -> list[bytes]:
    out = list(lines)
    out[a], out[b] = out[b], out[a]
    return out


HAND_WRITTEN = b'{"time": "2026-11-29T10:00:30Z", "command": "generate", "result": "ok", "exit_code": 0}\n'

#: (name, change to the 6 lines, expected kind, expected 1-based line)
TAMPERING: list[tuple[str, Callable[[list[bytes]], list[bytes]], str, int]] = [
    ("edited middle line", lambda ls: edit_value(ls, 2), "edited", 3),
    ("edited first line", lambda ls: edit_value(ls, 0), "edited", 1),
    ("edited last line", lambda ls: edit_value(ls, 5), "edited", 6),
    ("edited and resealed", lambda ls: [*ls[:2], reseal(edit_value(ls, 2)[2]), *ls[3:]], "edited", 4),
    ("line made not JSON", lambda ls: [*ls[:3], b"{garbage\n", *ls[4:]], "edited", 4),
    ("removed middle line", lambda ls: [*ls[:2], *ls[3:]], "removed", 3),
    ("removed two lines", lambda ls: [*ls[:1], *ls[3:]], "removed", 2),
    ("removed first line", lambda ls: ls[1:], "removed", 1),
    ("reordered neighbours", lambda ls: swap(ls, 2, 3), "reordered", 3),
    ("reordered first two", lambda ls: swap(ls, 0, 1), "reordered", 1),
    ("reordered far apart", lambda ls: swap(ls, 1, 4), "reordered", 2),
    ("truncated last line", lambda ls: [*ls[:5], ls[5][:40]], "truncated", 6),
    ("last newline cut", lambda ls: [*ls[:5], ls[5][:-1]], "truncated", 6),
    ("inserted by hand", lambda ls: [*ls[:3], HAND_WRITTEN, *ls[3:]], "inserted", 4),
    ("inserted at the end", lambda ls: [*ls, HAND_WRITTEN], "inserted", 7),
    ("inserted copy", lambda ls: [*ls[:4], ls[1], *ls[4:]], "inserted", 5),
    ("inserted blank line", lambda ls: [*ls[:2], b"\n", *ls[2:]], "inserted", 3),
]


@pytest.mark.parametrize(("name", "change", "kind", "line_no"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_found_and_located(
    audit_log: Path, name: str, change: Callable[[list[bytes]], list[bytes]], kind: str, line_no: int
) -> None:
    lines = make_log(audit_log)
    assert check(audit_log).exit_code == 0
    audit_log.write_bytes(b"".join(change(lines)))
    assert brk(audit_log) == (kind, line_no)


def test_verify_command_names_the_break(audit_log: Path) -> None:
    lines = make_log(audit_log)
    audit_log.write_bytes(b"".join(swap(lines, 2, 3)))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"keygen: error: the audit chain is broken (reordered): {audit_log} line 3 holds record 4" in result.output
    assert "hint:" in result.output
    doc = json.loads(runner.invoke(app, ["audit", "verify", "--json"]).output)
    assert doc["ok"] is False and doc["exit_code"] == 1
    assert doc["break"] == {
        "kind": "reordered",
        "file": str(audit_log),
        "line": 3,
        "message": doc["break"]["message"],
    }
    assert doc["records"] == 2 and doc["head"]["seq"] == 2


def test_a_0_1_0_log_is_unchained_not_tampered(audit_log: Path) -> None:
    audit_log.write_bytes(b"".join(legacy(i) for i in range(3)))
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 line(s) from keygen 0.1.0 before the chain began: unchained" in result.output
    # The chain begins after them, and still verifies; the listing shows old and new records alike.
    make_log(audit_log, 2)
    doc = json.loads(runner.invoke(app, ["audit", "verify", "--json"]).output)
    assert (doc["ok"], doc["unchained"], doc["records"], doc["break"]) == (True, 3, 2, None)
    assert doc["head"]["line"] == 5
    assert len(json.loads(runner.invoke(app, ["audit", "--json"]).output)["records"]) == 5


def test_a_0_1_0_line_after_the_chain_began_is_inserted(audit_log: Path) -> None:
    make_log(audit_log, 3)
    with open(audit_log, "ab") as fh:
        fh.write(legacy(9))
    assert brk(audit_log) == ("inserted", 4)


def test_writer_after_a_damaged_last_line_keeps_the_damage_visible(audit_log: Path) -> None:
    lines = make_log(audit_log, 3)
    audit_log.write_bytes(b"".join(lines)[:-30])  # the last line cut short
    audit.append(audit_log, entry(4))
    after = audit_log.read_bytes().splitlines(keepends=True)
    # The new record is whole, on its own line, and the cut line is still reported where it is.
    assert len(after) == 4 and json.loads(after[3])["seq"] == 1
    assert brk(audit_log) == ("edited", 3)


def test_anchor_proves_the_head_is_still_there(audit_log: Path) -> None:
    make_log(audit_log, 3)
    first = runner.invoke(app, ["audit", "verify", "--json"])
    head = json.loads(first.output)["head"]["sha256"]
    make_log(audit_log, 2)  # the log grows: the anchor is no longer the head, but is still in it
    result = runner.invoke(app, ["audit", "verify", "--anchor", f"sha256:{head}"])
    assert result.exit_code == 0, result.output
    assert f"Anchor sha256:{head}: found, record 3" in result.output
    # Someone rewrites the whole log and recomputes every hash: the chain is whole, the anchor is not.
    records = [{k: v for k, v in r.items() if k not in audit_chain.CHAIN_FIELDS} for r in audit.read(audit_log)[0]]
    records[1]["result"] = "rewritten"
    audit_log.unlink()
    for r in records:
        audit.append(audit_log, r)
    assert check(audit_log).exit_code == 0
    result = runner.invoke(app, ["audit", "verify", "--anchor", head])
    assert result.exit_code == 1
    assert f"no record of the audit log has the anchor's hash sha256:{head}" in result.output


def test_bad_anchor_is_a_usage_error(audit_log: Path) -> None:
    make_log(audit_log, 1)
    result = runner.invoke(app, ["audit", "verify", "--anchor", "abc"])
    assert result.exit_code == 2 and "is not a SHA-256 hash" in result.output


def test_missing_and_unreadable_logs_keep_their_exit_codes(tmp_path: Path) -> None:
    """A log that is not there is a usage error (a mistyped path must not verify as a whole chain);
    an empty one has nothing to verify, and an anchor it cannot hold fails."""
    missing = runner.invoke(app, ["audit", "verify", "--audit-log", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "there is no audit log at" in missing.output
    assert not (tmp_path / "none.jsonl").exists()
    (tmp_path / "empty.jsonl").touch()
    empty_log = str(tmp_path / "empty.jsonl")
    empty = runner.invoke(app, ["audit", "verify", "--audit-log", empty_log])
    assert empty.exit_code == 0 and "no records: nothing to verify" in empty.output
    anchored = runner.invoke(app, ["audit", "verify", "--audit-log", empty_log, "--anchor", "a" * 64])
    assert anchored.exit_code == 1
    (tmp_path / "dir.jsonl").mkdir()
    unreadable = runner.invoke(app, ["audit", "verify", "--audit-log", str(tmp_path / "dir.jsonl"), "--json"])
    assert unreadable.exit_code == 14 and json.loads(unreadable.output)["error"]["code"] == 14  # a directory


def test_listing_keeps_its_options_beside_the_subcommands(audit_log: Path) -> None:
    make_log(audit_log, 4)
    listed = runner.invoke(app, ["audit", "--last", "2", "--json"])
    assert listed.exit_code == 0
    assert [r["seq"] for r in json.loads(listed.output)["records"]] == [3, 4]
    assert runner.invoke(app, ["audit", "--path"]).output.strip() == str(audit_log)
    other = audit_log.with_name("other.jsonl")
    make_log(other, 2)
    # The group's --audit-log reaches the subcommands too.
    doc = json.loads(runner.invoke(app, ["audit", "--audit-log", str(other), "verify", "--json"]).output)
    assert doc["path"] == str(other) and doc["records"] == 2


def test_completion_knows_the_subcommands_and_shells() -> None:
    from tests.helpers import run_keygen

    def complete(words: str, cword: str) -> list[str]:
        env = {"_KEYGEN_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
        done = run_keygen(env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert {"verify", "show"} <= set(complete("keygen audit ", "2"))
    assert complete("keygen audit show 1 --script ", "5") == ["posix", "cmd", "powershell"]
    assert "--anchor" in complete("keygen audit verify --", "3")
