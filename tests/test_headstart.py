"""keygen.headstart: generate's first step starts before the rest of keygen loads, and is either
taken over by the run or stopped, cleaned up and recorded. Nothing it does may differ from a run
without it: the same refusals before anything runs, the same files, the same audit record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from keygen import headstart, outdir
from keygen.errors import Refused
from tests.helpers import OPENSSL, run_keygen

pytestmark = pytest.mark.skipif(
    OPENSSL is None or os.name != "posix", reason="POSIX with openssl: the head start's case"
)


@pytest.fixture(autouse=True)
def _sigterm_as_it_was() -> Iterator[None]:
    """`begin` makes SIGTERM interrupt (as keygen does): this process gets its own handler back."""
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)
    headstart.abandon({"PATH": os.environ["PATH"], "KEYGEN_AUDIT_LOG": os.devnull})


#: Run keygen in a child whose audit hook notes which of keygen's modules were loaded when each
#: process started (python -m keygen, as run_keygen, with a hook in front).
WATCH = """
import os, sys
def hook(event, args):
    if event == "subprocess.Popen":
        loaded = sorted(m for m in sys.modules if m.startswith("keygen."))
        os.write(2, ("STARTED " + " ".join(map(str, args[1][:2])) + " WITH " + ",".join(loaded) + "\\n").encode())
sys.addaudithook(hook)
sys.argv = ["keygen", *sys.argv[1:]]
from keygen.__main__ import run
run()
"""


def watched(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WATCH, *args], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True
    )


def test_generate_starts_genpkey_before_the_rest_of_keygen_loads_and_publishes_as_always(tmp_path: Path) -> None:
    env = {"KEYGEN_AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    done = watched(["generate", "--json", "--out-dir", "keys"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    first = next(line for line in done.stderr.splitlines() if line.startswith("STARTED"))
    assert first.startswith("STARTED openssl genpkey WITH ")
    loaded = first.split(" WITH ")[1].split(",")
    assert "keygen.headstart" in loaded and not {"keygen.edge", "keygen.generate", "keygen.render"} & set(loaded)
    out = json.loads(done.stdout)
    assert out["ok"] and [s["argv"][:2] for s in out["steps"]] == [["openssl", "genpkey"], ["openssl", "rsa"]]
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["privateKey.pem", "publicKey.pub"]
    record = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
    assert record["result"] == "ok" and record["steps"] == out["steps"]


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--dry-run", "--out-dir", "keys"],
        ["generate", "--method", "ssh-keygen", "--out-dir", "keys"],
        ["generate", "--literal", "--out-dir", "keys"],
        ["generate", "--timeout", "60", "--out-dir", "keys"],
    ],
    ids=["dry run", "ssh-keygen", "literal", "an option the shortcut does not read"],
)
def test_other_lines_start_nothing_early(args: list[str], tmp_path: Path) -> None:
    done = watched(args, tmp_path, {"KEYGEN_AUDIT_LOG": str(tmp_path / "audit.jsonl")})
    started = [line for line in done.stderr.splitlines() if line.startswith("STARTED")]
    # Every process (the steps, openssl's version, the shells) starts once generate's code is loaded.
    assert started and all("keygen.generate" in line.split(" WITH ")[1].split(",") for line in started), started


def test_a_taken_dir_starts_nothing_and_the_run_refuses_as_always(tmp_path: Path) -> None:
    (tmp_path / "privateKey.pem").write_text("old key\n")
    headstart.begin(["generate", "--out-dir", str(tmp_path)], {"PATH": os.environ["PATH"]})
    assert headstart._STARTED is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["privateKey.pem"]
    proc = run_keygen("generate", "--out-dir", str(tmp_path))
    assert proc.returncode == 5 and "already exist" in proc.stderr
    assert (tmp_path / "privateKey.pem").read_text() == "old key\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["privateKey.pem"]


def test_no_openssl_on_path_starts_nothing(tmp_path: Path) -> None:
    headstart.begin(["generate", "--out-dir", str(tmp_path / "keys")], {"PATH": str(tmp_path)})
    assert headstart._STARTED is None and not (tmp_path / "keys").exists()


def _staged(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(outdir.STAGING_PREFIX)]


def test_a_run_ended_before_it_took_its_step_stops_it_cleans_up_and_records_it(tmp_path: Path) -> None:
    keys, log = tmp_path / "keys", tmp_path / "audit.jsonl"
    environ = {"PATH": os.environ["PATH"], "KEYGEN_AUDIT_LOG": str(log)}
    headstart.begin(["generate", "--out-dir", str(keys)], environ)
    started = headstart._STARTED
    assert started is not None and started.proc.poll() is None and len(_staged(keys)) == 1
    with pytest.raises(Refused, match="another keygen run"):
        outdir.claim(keys, force=False)  # DIR is locked while the step runs
    headstart.abandon(environ)
    assert started.proc.returncode is not None and headstart._STARTED is None
    assert list(keys.iterdir()) == []  # no staging directory, no key
    outdir.claim(keys, force=False).release()  # and DIR is unlocked
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["result"] == "interrupted" and record["ok"] is False
    assert [s["line"] for s in record["steps"]] == [started.step.line]
    assert record["steps"][0]["exit_code"] is None and record["steps"][0]["stderr"] == "interrupted"
    assert record["steps"][0]["executable"] == started.executable


def test_a_started_step_for_another_run_is_stopped_recorded_and_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys, log = tmp_path / "keys", tmp_path / "audit.jsonl"
    monkeypatch.setenv("KEYGEN_AUDIT_LOG", str(log))
    headstart.begin(["generate", "--out-dir", str(keys)], {"PATH": os.environ["PATH"]})
    started = headstart._STARTED
    assert started is not None
    assert headstart.take(tmp_path / "elsewhere", False, started.executable, started.step.argv) is None
    assert started.proc.returncode is not None and list(keys.iterdir()) == []
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["result"] == "interrupted" and record["steps"][0]["line"] == started.step.line
    headstart.abandon()  # nothing left to abandon
    assert headstart._STARTED is None


@pytest.mark.parametrize(
    ("when", "recorded"),
    [("import keygen.edge", True), ("subprocess.Popen", False)],
    ids=["after genpkey started", "while it was being started"],
)
def test_sigterm_while_keygen_loads_stops_the_step_and_leaves_no_key(when: str, recorded: bool, tmp_path: Path) -> None:
    """SIGTERM before the run could take its step: exit 130 in keygen's words, DIR left empty, and
    an audit record of the interrupted step once it had started (none when it never had)."""
    event, _, name = when.partition(" ")
    trigger = f"""
import os, signal, sys
def hook(event, args):
    if event == {event!r} and ({name!r} == "" or args[0] == {name!r}):
        os.kill(os.getpid(), signal.SIGTERM)
sys.addaudithook(hook)
sys.argv = ["keygen", *sys.argv[1:]]
from keygen.__main__ import run
run()
"""
    log = tmp_path / "audit.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", trigger, "generate", "--out-dir", "keys"],
        cwd=tmp_path,
        env={**os.environ, "KEYGEN_AUDIT_LOG": str(log)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "keygen: interrupted\n"
    assert list((tmp_path / "keys").iterdir()) == []
    if recorded:
        record = json.loads(log.read_text().splitlines()[-1])
        assert record["result"] == "interrupted" and record["steps"][0]["argv"][:2] == ["openssl", "genpkey"]
    else:
        assert not log.exists()
