"""Rotation keeps the chain, concurrent writers (real processes) leave one valid chain, and a writer
that waited on a file rotated meanwhile writes into the new one."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keygen.audit import log as audit
from keygen.audit import store as audit_store
from keygen.audit import verify as audit_verify
from keygen.cli.app import app
from tests.helpers import OPENSSL, run_keygen

runner = CliRunner()


def records_in(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def whole(log: Path) -> audit_verify.Verdict:
    verdict = audit_verify.verify(log)
    assert verdict.walk is not None
    assert verdict.walk.brk is None, verdict.walk.brk
    assert verdict.exit_code == 0
    return verdict


def test_rotation_names_the_files_and_links_them(audit_log: Path) -> None:
    for i in range(7):
        audit.append(audit_log, {"i": i, "pad": "x" * 150}, limit=600)
    rotated = audit_store.rotated_files(audit_log)
    assert [p.name for p in rotated] == [f"audit.jsonl.{n}" for n in range(1, len(rotated) + 1)]
    assert len(rotated) >= 2
    assert all(p.stat().st_size <= 600 for p in rotated)
    # Oldest first: .1 holds record 1; the live file's first record links to the newest rotated one.
    assert records_in(rotated[0])[0]["seq"] == 1
    last_rotated = rotated[-1].read_bytes().splitlines(keepends=True)[-1]
    first_live = records_in(audit_log)[0]
    import hashlib

    assert first_live["prev"] == hashlib.sha256(last_rotated).hexdigest()
    verdict = whole(audit_log)
    assert verdict.walk is not None and verdict.walk.chained == 7
    assert [r["i"] for r in audit.read(audit_log)[0]] == list(range(7))


def test_verify_walks_across_files_and_finds_a_removed_one(audit_log: Path) -> None:
    for i in range(6):
        audit.append(audit_log, {"i": i}, limit=1)  # every record in a file of its own
    assert len(audit_store.rotated_files(audit_log)) == 5
    doc = json.loads(runner.invoke(app, ["audit", "verify", "--json"]).output)
    assert doc["ok"] and doc["records"] == 6 and len(doc["files"]) == 6
    audit_log.with_name("audit.jsonl.3").unlink()
    doc = json.loads(runner.invoke(app, ["audit", "verify", "--json"]).output)
    assert doc["exit_code"] == 1
    assert doc["break"]["kind"] == "removed"
    assert doc["break"]["file"].endswith("audit.jsonl.4") and doc["break"]["line"] == 1


def test_edit_in_a_rotated_file_is_located_there(audit_log: Path) -> None:
    for i in range(4):
        audit.append(audit_log, {"i": i}, limit=1)
    older = audit_log.with_name("audit.jsonl.2")
    older.write_bytes(older.read_bytes().replace(b'"i": 1', b'"i": 7'))
    verdict = audit_verify.verify(audit_log)
    assert verdict.walk is not None and verdict.walk.brk is not None
    assert (verdict.walk.brk.kind, verdict.walk.brk.file, verdict.walk.brk.line) == ("edited", str(older), 1)


def test_rotation_size_comes_from_the_environment(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    assert audit_store.max_bytes({}) == 10 * 1024 * 1024
    assert audit_store.max_bytes({"KEYGEN_AUDIT_MAX_BYTES": "0"}) == 0
    assert audit_store.max_bytes({"KEYGEN_AUDIT_MAX_BYTES": "lots"}) == audit_store.DEFAULT_MAX_BYTES
    pub = tmp_path / "publicKey.pub"
    if OPENSSL is None:
        pytest.skip("needs openssl")
    subprocess.run([OPENSSL, "genpkey", "-algorithm", "RSA", "-out", str(tmp_path / "k.pem")], check=True)
    subprocess.run([OPENSSL, "pkey", "-in", str(tmp_path / "k.pem"), "-pubout", "-out", str(pub)], check=True)
    env = {"KEYGEN_AUDIT_LOG": str(log), "KEYGEN_AUDIT_MAX_BYTES": "300"}
    for _ in range(3):
        done = run_keygen("exchange", "--public-key", str(pub), "--public-key-id", "SANDBOX-" + "A" * 24, env=env)
        assert done.returncode == 0, done.stderr
    assert [p.name for p in audit_store.rotated_files(log)] == ["audit.jsonl.1", "audit.jsonl.2"]
    done = run_keygen("audit", "verify", env=env)
    assert done.returncode == 0, done.stderr
    assert "3 files: audit.jsonl.1, audit.jsonl.2, audit.jsonl" in done.stdout


def _writer(path: str, n: int, tag: int, limit: int) -> None:
    for i in range(n):
        audit.append(Path(path), {"writer": tag, "i": i, "pad": "x" * 3000}, limit=limit)


@pytest.mark.parametrize("limit", [0, 40_000], ids=["one file", "rotating"])
def test_eight_concurrent_writers_leave_one_valid_chain(tmp_path: Path, limit: int) -> None:
    log = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(log), 25, tag, limit)) for tag in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    verdict = whole(log)
    assert verdict.walk is not None and verdict.walk.chained == 200
    records, problems = audit.read(log)
    assert problems == []
    assert [r["seq"] for r in records] == list(range(1, 201))
    assert sorted((r["writer"], r["i"]) for r in records) == [(t, i) for t in range(8) for i in range(25)]
    if limit:
        rotated = audit_store.rotated_files(log)
        assert len(rotated) >= 10
        assert all(p.stat().st_size <= limit for p in rotated)


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_eight_concurrent_exchange_runs_chain(tmp_path: Path) -> None:
    pub = tmp_path / "publicKey.pub"
    subprocess.run([OPENSSL, "genpkey", "-algorithm", "RSA", "-out", str(tmp_path / "k.pem")], check=True)
    subprocess.run([OPENSSL, "pkey", "-in", str(tmp_path / "k.pem"), "-pubout", "-out", str(pub)], check=True)
    log = tmp_path / "audit.jsonl"
    env = {**os.environ, "KEYGEN_AUDIT_LOG": str(log), "KEYGEN_AUDIT_MAX_BYTES": "1500"}
    argv = [sys.executable, "-m", "keygen", "exchange", "--public-key", str(pub), "--json"]
    procs = [
        subprocess.Popen([*argv, "--public-key-id", f"SANDBOX-{i:024d}"], env=env, stdout=subprocess.DEVNULL)
        for i in range(8)
    ]
    assert [p.wait(120) for p in procs] == [0] * 8
    verdict = whole(log)
    assert verdict.walk is not None and verdict.walk.chained == 8
    ids = sorted(str(r["public_key_id"]) for r in audit.read(log)[0])
    assert ids == [f"SANDBOX-{i:024d}" for i in range(8)]
    assert audit_store.rotated_files(log), "1500 bytes hold only a few exchange records: it must have rotated"


_WAITER = """
import sys
from pathlib import Path
from keygen.audit import log as audit
audit.append(Path(sys.argv[1]), {"who": "waiter"}, limit=0)
"""


@pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir() or os.name != "posix",
    reason="holds the log's flock from the test and reads /proc: POSIX only (concurrent writers test Windows' lock)",
)
def test_a_writer_that_waited_on_a_rotated_file_writes_into_the_new_one(audit_log: Path) -> None:
    import fcntl

    for i in range(2):
        audit.append(audit_log, {"i": i})
    before = audit_log.read_bytes()
    fd = os.open(audit_log, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a rotating writer holds it
    try:
        waiter = subprocess.Popen([sys.executable, "-c", _WAITER, str(audit_log)])
        _wait_until_open(waiter.pid, audit_log)
        os.rename(audit_log, audit_log.with_name("audit.jsonl.1"))  # the rotation, under the lock
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert waiter.wait(60) == 0
    # Nothing was appended to the rotated file; the record went into a new live file, linked to it.
    assert audit_log.with_name("audit.jsonl.1").read_bytes() == before
    assert [r["who"] for r in records_in(audit_log)] == ["waiter"]
    assert whole(audit_log).walk.chained == 3  # type: ignore[union-attr]


def _wait_until_open(pid: int, path: Path) -> None:
    """Until the child holds the file open (and so is queued on its lock)."""
    target = str(path.resolve())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{n}") == target for n in fds):
                time.sleep(0.2)  # past open(), into flock()
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError("the waiting writer never opened the log")
