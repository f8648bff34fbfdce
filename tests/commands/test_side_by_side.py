"""Work done side by side changes nothing a user sees: the second opinion's commands started beside
verify's own checks give the answers the same commands give in order, and what is never asked for
is never used; generate records the tool and shell plan names."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from keygen import host
from keygen.keys import checks, opinion
from keygen.proc import parallel
from tests.helpers import OPENSSL, SSH_KEYGEN, run_keygen
from tests.helpers.pairs import make_pair

needs_tools = pytest.mark.skipif(
    OPENSSL is None or SSH_KEYGEN is None, reason="needs openssl and ssh-keygen (no ssh-keygen.exe in the Windows lane)"
)


def test_all_of_keeps_order_and_raises_only_after_every_job_finished() -> None:
    finished: list[str] = []
    gate = threading.Event()

    def slow() -> str:
        gate.wait(5)
        finished.append("slow")
        return "slow"

    def boom() -> str:
        gate.set()
        raise ValueError("boom")

    assert parallel.all_of([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]
    with pytest.raises(ValueError, match="boom"):
        parallel.all_of([slow, boom])
    assert finished == ["slow"]  # the slow job was joined, not abandoned


@needs_tools
def test_answers_started_beside_are_the_answers_asked_in_order(tmp_path: Path) -> None:
    pair = make_pair(tmp_path)
    report = checks.check_pair(pair.private, pair.public, strict=False)
    in_order = opinion.second_opinion(report, os.environ)
    early = opinion.Answers(str(pair.private), str(pair.public), os.environ)
    assert len(early.answers) == 5  # every command started at once
    beside = opinion.second_opinion(report, os.environ, early)
    assert early.answers == {}  # each one taken by the question that asks it
    early.close()
    assert [o.as_dict() for o in beside] == [o.as_dict() for o in in_order]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on Windows")
def test_answers_hand_no_tool_a_fifo_or_a_missing_file(tmp_path: Path) -> None:
    fifo = tmp_path / "privateKey.pem"
    os.mkfifo(fifo)
    early = opinion.Answers(str(fifo), str(tmp_path / "missing.pub"), os.environ)
    assert early.answers == {}  # nothing started: a FIFO could hang a tool
    early.close()


@needs_tools
def test_verify_priv_pub_from_the_command_line_matches_the_library_run(tmp_path: Path) -> None:
    """`keygen verify PRIV PUB` asks all five questions of the system's tools, and they agree."""
    pair = make_pair(tmp_path)
    proc = run_keygen("verify", str(pair.private), str(pair.public), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "openssl and ssh-keygen agree (5 answers)" in proc.stdout


def test_generate_records_the_openssl_version(tmp_path: Path) -> None:
    if OPENSSL is None:
        pytest.skip("needs openssl")
    env = {"KEYGEN_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    proc = run_keygen("generate", "--json", "--out-dir", str(tmp_path / "keys"), env=env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    version = host.probe_openssl(OPENSSL, str(tmp_path)).version_text
    assert version and out["method"]["tool_version"] == version
    assert [s["tool_version"] for s in out["steps"]] == [version, version]
    record = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
    assert [s["tool_version"] for s in record["steps"]] == [version, version]


def test_generate_records_the_shell_plan_names(tmp_path: Path) -> None:
    """The result and the audit record name the shell plan names, and so does a dry run."""
    if OPENSSL is None:
        pytest.skip("needs openssl")
    env = {"KEYGEN_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "SHELL": "/bin/sh"}
    planned = json.loads(run_keygen("plan", "--json", env=env).stdout)["shell"]
    assert planned is not None and planned["name"]
    made = run_keygen("generate", "--json", "--out-dir", str(tmp_path / "keys"), env=env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["shell"] == planned
    assert json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])["shell"] == planned
    dry = run_keygen("generate", "--dry-run", "--json", "--out-dir", str(tmp_path / "dry"), env=env)
    assert json.loads(dry.stdout)["shell"] == planned


def test_a_dry_run_still_names_the_openssl_version(tmp_path: Path) -> None:
    if OPENSSL is None:
        pytest.skip("needs openssl")
    proc = run_keygen("generate", "--dry-run", "--json", "--out-dir", str(tmp_path))
    out = json.loads(proc.stdout)
    assert out["method"]["tool_version"] == host.probe_openssl(OPENSSL, str(tmp_path)).version_text
