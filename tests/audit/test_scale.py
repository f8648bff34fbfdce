"""The audit log at scale (issue 25): the commands that read it hold one record at a time, and the
tail is read from the tail. Nothing here is timed: memory is compared between a log of 2,000 and
one of 20,000 records (a command holding every record needs about ten times as much for the
second), and the tail read is checked by what it reads, not by how long it takes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from keygen import render
from keygen.audit import files, history
from keygen.audit import log as audit
from tests.helpers import KEYGEN, REPO, WINDOWS, run_keygen


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("keygen_bench_audit", REPO / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = load_bench()

#: The read commands that must not hold the log; `keygen audit` without --last prints every record,
#: writing each as it is read (text and --json).
READS = [
    ["audit", "verify"],
    ["audit", "--last", "5"],
    ["audit", "show", "last"],
    ["audit", "show", "1"],
    ["audit"],
    ["audit", "--json"],
]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    built = {}
    for n in (2_000, 20_000):
        log = tmp_path_factory.mktemp(f"log{n}") / "audit.jsonl"
        bench.build_log(log, n)
        built[n] = log
    return built


@pytest.mark.skipif(WINDOWS or not hasattr(os, "wait4"), reason="ru_maxrss of one child: os.wait4 (POSIX)")
@pytest.mark.parametrize("args", READS, ids=[" ".join(a) for a in READS])
def test_a_read_command_does_not_hold_every_record(logs: dict[int, Path], args: list[str]) -> None:
    peaks = {}
    for n, log in logs.items():
        _, kib, code = bench.peak([*KEYGEN, *args], {**os.environ, "KEYGEN_AUDIT_LOG": str(log)})
        assert code == 0, (args, n)
        peaks[n] = kib
    assert peaks[20_000] <= 1.5 * peaks[2_000], (
        f"{' '.join(args)}: {peaks[2_000]} KiB at 2,000, {peaks[20_000]} at 20,000"
    )


def test_the_tail_is_read_from_the_tail(logs: dict[int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """`--last 5` and `show last` read a few blocks from the end of the newest file, never its front
    nor an older file; the records they give are the log's last ones."""
    log = logs[20_000]
    assert len(files.rotated_files(log)) >= 2, "the default rotation should have split 40 MB"
    read: list[tuple[str, int]] = []
    real = files.lines_backwards

    def spying(part: files.Part, block: int = files.TAIL_BLOCK):  # type: ignore[no-untyped-def]
        for offset, raw in real(part, block):
            read.append((part.path.name, offset))
            yield offset, raw

    monkeypatch.setattr(files, "lines_backwards", spying)
    listing = audit.show(log, 5)
    assert [r["seq"] for r in listing.records] == list(range(19_996, 20_001))
    assert {name for name, _ in read} == {"audit.jsonl"} and len(read) == 5


def test_the_key_history_streams_and_matches_the_whole_read(logs: dict[int, Path]) -> None:
    """One pass, one record at a time (log.records is a generator), same keys as from the list."""
    log = logs[2_000]
    streamed = history.key_history(audit.records(log))
    whole = history.key_history(audit.read(log)[0])
    assert [k.fingerprint for k in streamed] == [k.fingerprint for k in whole] and len(streamed) == 4
    assert [len(k.ids) for k in streamed] == [1, 1, 1, 1] and all(k.created for k in streamed)


def test_last_and_the_full_listing_agree(logs: dict[int, Path]) -> None:
    log = logs[2_000]
    full = audit.show(log)
    last = audit.show(log, 3)
    assert last.records == full.records[-3:] and [k.fingerprint for k in last.keys] == [
        k.fingerprint for k in full.keys[-3:]
    ]
    done = run_keygen("audit", "show", "last", "--json", env={"KEYGEN_AUDIT_LOG": str(log)})
    shown = json.loads(done.stdout)
    assert shown["seq"] == 2_000 and shown["record"] == full.records[-1] and shown["warnings"] == []


def _printed(listing: audit.Listing, as_json: bool, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = render.emit(listing, as_json=as_json)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_the_streamed_listing_prints_what_the_held_one_did(
    tmp_path: Path, as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """`keygen audit` writes each record as it reads it; the text (escaped for the terminal) and the
    JSON document are byte for byte those of the listing that held every record, across rotated
    files, with a skipped line's warning and a record full of control characters."""
    log = tmp_path / "audit.jsonl"
    bench.build_log(log, 1_200, limit=600_000)
    assert files.rotated_files(log), "the log should span several files"
    with log.open("ab") as f:
        f.write(b'not json\n{"command":"generate","dir":"a\\u001b[31m\\r\\u0085\\u2028\\u202eb","time":"t"}\n')
    held = _printed(audit.show(log), as_json, capsys)
    with audit.listed(log) as listing:
        assert listing.each is not None and listing.records == []  # the streamed path, nothing held
        streamed = _printed(listing, as_json, capsys)
    assert streamed == held
    code, out, err = streamed
    assert code == 0 and "skipped: not JSON" in (out if as_json else err)
    assert "\x1b" not in out and "\u0085" not in out and "\u2028" not in out and "\u202e" not in out
    if as_json:
        document = json.loads(out)
        assert len(document["records"]) == 1_201 and document["keys"] and document["warnings"]
    else:
        assert out.count("  confirm  ") == 1_200 - 2 * 3 and "Keys by fingerprint:" in out


def test_an_empty_log_is_still_no_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"")
    with audit.listed(log) as listing:
        assert listing.each is None
        assert _printed(listing, False, capsys) == (0, f"No records in {log}.\n", "")
        assert json.loads(_printed(listing, True, capsys)[1])["records"] == []


@pytest.mark.skipif(WINDOWS, reason="the pipe and /dev/full are made with sh")
@pytest.mark.parametrize("args", ["audit", "audit --json"])
def test_the_streamed_listing_fails_its_output_as_every_command_does(logs: dict[int, Path], args: str) -> None:
    """Standard output closed by its reader half way: silent, exit 0; full: exit 7, one error."""
    env = {**os.environ, "KEYGEN": " ".join(KEYGEN), "KEYGEN_AUDIT_LOG": str(logs[2_000])}
    closed = subprocess.run(["sh", "-c", f"($KEYGEN {args}; echo $? > status) | head -c 100 > /dev/null; cat status"],
                            capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert closed.stdout.strip() == "0" and closed.stderr == ""
    full = subprocess.run(["sh", "-c", f"$KEYGEN {args} > /dev/full"],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert full.returncode == 7
    assert full.stderr.splitlines()[0] == "keygen: error: cannot write to standard output: No space left on device"
    assert len(full.stderr.splitlines()) == 2 and "Traceback" not in full.stderr
