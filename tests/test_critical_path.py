"""The critical path's shortcuts change nothing a user sees: work started early or beside a step
gives the answers the same work gives in order, and what is never asked for is never used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from keygen import checks, host, opinion, parallel
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
def test_early_answers_are_the_answers_asked_in_order(tmp_path: Path) -> None:
    pair = make_pair(tmp_path)
    report = checks.check_pair(pair.private, pair.public, strict=False)
    in_order = opinion.second_opinion(report, os.environ)
    early = opinion.Early(str(pair.private), str(pair.public), os.environ)
    assert len(early.answers) == 5  # every command started at once
    beside = opinion.second_opinion(report, os.environ, early)
    assert early.answers == {}  # each one taken by the question that asks it
    early.close()
    assert [o.as_dict() for o in beside] == [o.as_dict() for o in in_order]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on Windows")
def test_early_hands_no_tool_a_fifo_or_a_missing_file(tmp_path: Path) -> None:
    fifo = tmp_path / "privateKey.pem"
    os.mkfifo(fifo)
    early = opinion.Early(str(fifo), str(tmp_path / "missing.pub"), os.environ)
    assert early.answers == {}  # nothing started: a FIFO could hang a tool
    early.close()


@needs_tools
def test_verify_priv_pub_from_the_command_line_matches_the_library_run(tmp_path: Path) -> None:
    """`keygen verify PRIV PUB` starts the tools before Typer is imported: same report as in-process."""
    pair = make_pair(tmp_path)
    proc = run_keygen("verify", str(pair.private), str(pair.public), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "openssl and ssh-keygen agree (5 answers)" in proc.stdout


def test_generate_records_the_openssl_version_asked_beside_the_step(tmp_path: Path) -> None:
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


def test_generate_records_the_shell_it_detected_beside_the_step(tmp_path: Path) -> None:
    """Outside Windows the shell chooses nothing for generate, so it is detected while openssl works:
    the result and the audit record still name the shell plan names, and so does a dry run."""
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


@pytest.mark.parametrize("args", [["--version"], ["plan"], ["plan", "--bogus"]])
def test_the_console_entry_keeps_every_exit_status_and_output(args: list[str], tmp_path: Path) -> None:
    """`run` (the console script's entry) ends the process itself: same status, same bytes, as `main`."""
    code = "import sys; from keygen.__main__ import {}; sys.argv = ['keygen', *sys.argv[1:]]; {}()"
    both = [
        subprocess.run(
            [sys.executable, "-c", code.format(entry, entry), *args], capture_output=True, text=True, cwd=tmp_path
        )
        for entry in ("main", "run")
    ]
    assert both[0].returncode == both[1].returncode
    assert both[0].stdout == both[1].stdout and both[0].stderr == both[1].stderr
