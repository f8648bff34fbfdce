"""Concurrent runs: exactly one winner per directory, and every audit line whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keygen.audit import log as audit
from tests.helpers import OPENSSL

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")


def start(out: Path, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "keygen", "generate", "--out-dir", str(out), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KEYGEN_AUDIT_LOG": str(log)},
    )


def finish(procs: list[subprocess.Popen[str]]) -> list[int]:
    codes = []
    for p in procs:
        p.communicate(timeout=120)
        codes.append(p.returncode)
    return codes


def pair_matches(out: Path) -> bool:
    derived = subprocess.run(
        [OPENSSL or "openssl", "pkey", "-in", str(out / "privateKey.pem"), "-pubout"], capture_output=True, check=True
    ).stdout
    return derived == (out / "publicKey.pub").read_bytes()


@pytest.mark.parametrize("n", [2, 8])
def test_many_runs_into_one_dir(tmp_path: Path, n: int) -> None:
    out, log = tmp_path / "keys", tmp_path / "audit.jsonl"
    out.mkdir()
    codes = finish([start(out, log) for _ in range(n)])
    assert codes.count(0) == 1 and codes.count(5) == n - 1, codes
    assert sorted(p.name for p in out.iterdir()) == ["privateKey.pem", "publicKey.pub"]
    assert pair_matches(out)
    records, problems = audit.read(log)
    assert problems == []
    # Losers refused before running anything, so only runs that ran a command left a record.
    assert [r["exit_code"] for r in records].count(0) == 1


def test_runs_into_different_dirs_share_one_audit_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    outs = [tmp_path / f"keys-{i}" for i in range(6)]
    codes = finish([start(out, log) for out in outs])
    assert codes == [0] * 6
    records, problems = audit.read(log)
    assert problems == [] and len(records) == 6
    assert sorted(r["dir"] for r in records) == sorted(str(o) for o in outs)
    assert all(pair_matches(o) for o in outs)
    assert len({r["fingerprint"] for r in records}) == 6
    assert all(line.startswith("{") and line.endswith("}") for line in log.read_text().splitlines())
    json.loads(log.read_text().splitlines()[-1])
