"""Ctrl-C and SIGTERM at any moment of any command: exit 130, one line, no traceback, nothing left.

Every command that runs offline (generate with the real openssl, with a slow stand-in and with
--force over an old pair; verify and verify --fix; exchange; confirm against the local stand-in;
plan; doctor; audit) runs as a child, as users run it (`python -m keygen` and the console script
beside this Python, in turn; text and --json; SIGINT and SIGTERM), and gets the signal after a
seeded random delay spread across the first 500 ms of keygen's own code, or across its whole run
when that is shorter (measured by an uninterrupted run first), so that every signal can land
inside the run. Each try then ends one of two ways and no other:

- interrupted: exit 130, standard error exactly `keygen: interrupted` and nothing on standard
  output (under --json: standard error empty, one JSON object, error `interrupted`, exit 130);
  DIR exactly as it was (no staging directory `.keygen-*`, no key, old files untouched, no backup
  slot), no temporary file beside a key `verify --fix` was mending, no stand-in openssl left
  running, and the audit log absent or whole JSON lines (generate's record, if a step ran, says
  `interrupted`);
- complete: the signal came after the run ended, or after its point of no return (generate: the
  checked pair being published; every command: its result being printed), from where keygen
  finishes and ignores it. Exit code, standard error and standard output are then those of the
  uninterrupted run (for generate, whose keys and durations differ, the envelope or the last
  line), and DIR holds the complete, matching pair (with --force, the old pair in its backup slot).

Python's own start-up comes first and is not keygen's. Measured here (Linux, Python 3.11, two
cores, the editable install; the command `plan`, 60 signals each at 0-30 ms after exec): keygen's
handler is in place about 30 ms after exec when idle, for both entry points (50 under load).
Before that SIGINT is the interpreter's: a silent death by signal 2 before it installs its own
handler, then a KeyboardInterrupt in `site` or runpy's imports (exit 1, or death by signal 2, with
a traceback through the interpreter's frames); SIGTERM is a silent death by signal 15. Counted:
SIGINT 13 silent -2, 36 exit 1 with a traceback, 3 -2 with a traceback, 8 keygen's 130; SIGTERM
40 silent -15, 20 keygen's 130. Nothing of keygen has run then, so nothing is in DIR. It cannot be
avoided by keygen: none of its code runs before the interpreter has initialised and run `site`
(and runpy, or the console script's own imports), and its first line (`keygen.__main__.run`)
installs the handler (before this change SIGTERM also killed it silently for the ~50 ms of
imports before `main()`). Closing the rest would take start-up tricks outside keygen's code (a
native launcher blocking the signals, a .pth or sitecustomize hook), which would still leave the
interpreter's own initialisation. So each try's window starts once keygen's handler is in
place: Python never catches SIGTERM itself, so a caught SIGTERM (Linux: SigCgt in
/proc/PID/status; elsewhere `ps -o caught=`) means keygen's first line has run.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import NO_SIGNALS, OPENSSL, WINDOWS, process_gone
from tests.helpers.pairs import make_pair
from tests.helpers.standin import StandIn as AmazonPayStandIn

pytestmark = [
    pytest.mark.skipif(WINDOWS, reason=NO_SIGNALS),
    pytest.mark.skipif(OPENSSL is None, reason="needs openssl"),
]

StandIn = Callable[..., str]
WINDOW_S = 0.5
GOOD_ID = "SANDBOX-AB12CD34EF56GH78IJ90KL12"
CONSOLE_SCRIPT = Path(sys.executable).parent / "keygen"
ENTRIES = [[sys.executable, "-m", "keygen"]] + ([[str(CONSOLE_SCRIPT)]] if CONSOLE_SCRIPT.is_file() else [])
LINE = "keygen: interrupted\n"


def catches_sigterm(pid: int) -> bool | None:
    """Whether `pid` has a handler for SIGTERM; None when this system cannot say."""
    bit = 1 << (signal.SIGTERM - 1)
    if os.path.isdir("/proc/self"):
        try:
            with open(f"/proc/{pid}/status") as status:
                caught = next(line for line in status if line.startswith("SigCgt:"))
        except (OSError, StopIteration):
            return False  # gone already
        return bool(int(caught.split()[1], 16) & bit)
    done = subprocess.run(["ps", "-o", "caught=", "-p", str(pid)], capture_output=True, text=True, check=False)
    if not done.stdout.strip():
        return None if done.stderr.strip() else False  # ps cannot say, or the process is gone
    try:
        return bool(int(done.stdout.strip(), 16) & bit)
    except ValueError:
        return None


@dataclass
class Ran:
    code: int
    out: str
    err: str
    #: Seconds from keygen's handler being in place to the exit.
    duration: float

    def said(self, work: Path, *, last_line_only: bool) -> tuple[object, str]:
        """What the run printed, with what differs between two complete runs taken out: the
        directory it ran in, backup slots' times; under --json the envelope and the facts' names
        (generate's durations and fingerprints differ), in text the last line for generate."""
        out = re.sub(r"\d{8}T\d{6}Z(-\d+)?", "STAMP", self.out.replace(str(work), "WORK"))
        if out.startswith("{"):
            doc = json.loads(out)
            printed: object = ({k: doc[k] for k in ("command", "ok", "exit_code", "error")}, list(doc))
        else:
            printed = out.splitlines()[-1:] if last_line_only else out
        return printed, self.err


def run_and_signal(argv: list[str], *, env: dict[str, str], cwd: Path, sig: int | None, delay: float = 0.0) -> Ran:
    """Start argv; once keygen's handler is in place wait `delay` and send `sig` (None: no signal)."""
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while proc.poll() is None:
        caught = catches_sigterm(proc.pid)
        if caught is None:
            proc.kill()
            proc.communicate()
            pytest.skip("this system cannot tell when keygen's handler is in place (no /proc, no ps -o caught)")
        if caught:
            break
        assert time.monotonic() < deadline, "keygen never installed its handler"
        time.sleep(0.001)
    ready = time.monotonic()
    if sig is not None:
        time.sleep(delay)
        proc.send_signal(sig)  # nothing happens if it has exited already
    out, err = proc.communicate(timeout=60)
    return Ran(proc.returncode, out, err, time.monotonic() - ready)


def assert_interrupted(ran: Ran, as_json: bool) -> None:
    if as_json:
        assert ran.err == "", ran
        doc = json.loads(ran.out)
        assert doc["exit_code"] == 130 and doc["ok"] is False and doc["error"]["kind"] == "interrupted", doc
    else:
        assert (ran.err, ran.out) == (LINE, ""), ran


def audit_lines(log: Path) -> list[dict[str, object]]:
    """The log's records; every line must be whole JSON (an absent log has none)."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


Snapshot = dict[str, "bytes | None"]


def snapshot(directory: Path) -> Snapshot:
    """Every entry under `directory`: a file's bytes, None for a directory."""
    return {
        str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None) for p in sorted(directory.rglob("*"))
    }


@dataclass
class Case:
    """One command line, what it needs around it, and how its complete and interrupted runs look."""

    args: list[str]
    #: Makes the try's directory ready (the files the command reads, the old pair...).
    prepare: Callable[[Path], None] = lambda path: None
    #: Checks the try's directory (what it held before, the directory) once the run ended, interrupted or not.
    check_dir: Callable[[Snapshot, Path, bool], None] = lambda before, work, interrupted: None


def run_tries(case: Case, tmp_path: Path, tries: int, seed: str, env: dict[str, str] | None = None) -> Counter[str]:
    """The uninterrupted run first (the complete outcome, and how long the run lasts), then `tries`
    signalled runs; returns how many were interrupted and how many completed."""
    rnd = random.Random(seed)
    full_env = {**os.environ, **(env or {})}
    references: dict[bool, Ran] = {}
    for as_json in (False, True):
        work = tmp_path / f"reference-{as_json}"
        work.mkdir()
        case.prepare(work)
        full_env["KEYGEN_AUDIT_LOG"] = str(work / "audit.jsonl")
        references[as_json] = run_and_signal(
            [*ENTRIES[0], *case.args, *(["--json"] if as_json else [])], env=full_env, cwd=work, sig=None
        )
        assert references[as_json].code != 130 and "Traceback" not in references[as_json].err
    window = min(WINDOW_S, 1.2 * max(r.duration for r in references.values()))
    outcomes: Counter[str] = Counter()
    for n in range(tries):
        sig = (signal.SIGINT, signal.SIGTERM)[n % 2]
        as_json = n % 4 >= 2
        entry = ENTRIES[(n // 2) % len(ENTRIES)]
        work = tmp_path / f"try-{n}"
        work.mkdir()
        case.prepare(work)
        before = snapshot(work)
        log = work / "audit.jsonl"
        full_env["KEYGEN_AUDIT_LOG"] = str(log)
        delay = rnd.uniform(0, window)
        ran = run_and_signal(
            [*entry, *case.args, *(["--json"] if as_json else [])], env=full_env, cwd=work, sig=sig, delay=delay
        )
        what = f"try {n}: {signal.Signals(sig).name} after {delay * 1000:.0f} ms, {entry[-1]}, json={as_json}: {ran}"
        assert "Traceback" not in ran.err + ran.out, what
        audit_lines(log)  # whole JSON lines, or no log
        if ran.code == 130:
            assert_interrupted(ran, as_json)
            outcomes["interrupted"] += 1
        else:
            reference = references[as_json]
            assert ran.code == reference.code, what
            last_line_only = case.args[0] == "generate"
            said = reference.said(tmp_path / f"reference-{as_json}", last_line_only=last_line_only)
            assert ran.said(work, last_line_only=last_line_only) == said, what
            outcomes["complete"] += 1
        case.check_dir(before, work, ran.code == 130)
    print(f"{' '.join(case.args)}: {dict(outcomes)} (window {window * 1000:.0f} ms)")
    return outcomes


def kept_as_it_was(before: Snapshot, work: Path) -> None:
    """The directory as it was (the try's own audit log aside)."""
    assert {k: v for k, v in snapshot(work).items() if k != "audit.jsonl"} == before


# --- generate ------------------------------------------------------------------------------------


def derived_public(private: Path) -> bytes:
    return subprocess.run(
        [OPENSSL or "openssl", "pkey", "-in", str(private), "-pubout"], capture_output=True, check=True, timeout=60
    ).stdout


def generate_case(*, force: bool = False) -> Case:
    """generate into DIR (`keys`, beside the try's audit log), which holds an unrelated file, and
    with --force an old pair as well."""

    def prepare(work: Path) -> None:
        keys = work / "keys"
        keys.mkdir()
        (keys / "other.txt").write_text("keep me\n")
        if force:
            (keys / "privateKey.pem").write_text("old private\n")
            (keys / "publicKey.pub").write_text("old public\n")

    def check(before: Snapshot, work: Path, interrupted: bool) -> None:
        keys = work / "keys"
        if interrupted:
            kept_as_it_was(before, work)
            records = audit_lines(work / "audit.jsonl")
            assert [r["result"] for r in records] in ([], ["interrupted"]), records
            return
        names = sorted(p.name for p in keys.iterdir())
        assert names == sorted(
            {"other.txt", "privateKey.pem", "publicKey.pub", *([".keygen-backups"] if force else [])}
        )
        assert (keys / "other.txt").read_text() == "keep me\n"
        assert derived_public(keys / "privateKey.pem") == (keys / "publicKey.pub").read_bytes()
        if force:
            (slot,) = [p for p in (keys / ".keygen-backups").iterdir() if p.is_dir()]
            assert (slot / "privateKey.pem").read_bytes() == before["keys/privateKey.pem"]
            assert (slot / "publicKey.pub").read_bytes() == before["keys/publicKey.pub"]
        assert [r["result"] for r in audit_lines(work / "audit.jsonl")] == ["ok"]

    return Case(["generate", "--out-dir", "keys", *(["--force"] if force else [])], prepare, check)


def test_generate_with_the_real_openssl(tmp_path: Path) -> None:
    outcomes = run_tries(generate_case(), tmp_path, tries=12, seed="generate")
    assert outcomes["interrupted"] > 0, outcomes


def test_generate_over_an_old_pair_with_force(tmp_path: Path) -> None:
    outcomes = run_tries(generate_case(force=True), tmp_path, tries=6, seed="generate --force")
    assert outcomes["interrupted"] > 0, outcomes


def test_generate_with_a_slow_openssl(tmp_path: Path, stand_in: StandIn) -> None:
    """Each step starts 100 ms late, so the signals also land while a step's process is starting,
    running and being stopped; none of the stand-in's processes may outlive the run."""
    pids = tmp_path / "pids"
    path = stand_in("openssl", f'echo $$ >> {pids}\nsleep 0.1\nexec "$REAL" "$@"\n')
    outcomes = run_tries(generate_case(), tmp_path, tries=8, seed="slow openssl", env={"PATH": path})
    assert outcomes["interrupted"] > 0, outcomes
    assert all(process_gone(int(pid)) for pid in pids.read_text().split())


# --- the other commands ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pair_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    pair = make_pair(tmp_path_factory.mktemp("pair"))
    return pair.private.read_bytes(), pair.public.read_bytes()


def with_pair(pair: tuple[bytes, bytes], *, bom: bool = False) -> Callable[[Path], None]:
    def prepare(work: Path) -> None:
        (work / "privateKey.pem").write_bytes(pair[0])
        (work / "publicKey.pub").write_bytes((b"\xef\xbb\xbf" if bom else b"") + pair[1])
        (work / "privateKey.pem").chmod(0o600)

    return prepare


def mended_or_as_it_was(pair: tuple[bytes, bytes]) -> Callable[[Snapshot, Path, bool], None]:
    """verify --fix: the public key as it was, or mended with the original kept in a backup slot;
    never a temporary file, never a mended key without its backup."""

    def check(before: Snapshot, work: Path, interrupted: bool) -> None:
        assert not [p for p in work.rglob("*") if p.name.endswith(".keygen-tmp")]
        public = (work / "publicKey.pub").read_bytes()
        if public == before["publicKey.pub"]:
            assert interrupted
            kept_as_it_was(before, work)
            return
        assert public == pair[1]
        (backup,) = (work / ".keygen-backups").glob("*/publicKey.pub")
        assert backup.read_bytes() == before["publicKey.pub"]

    return check


def unchanged(before: Snapshot, work: Path, interrupted: bool) -> None:
    kept_as_it_was(before, work)


def seeded_log(work: Path) -> None:
    """A log for `keygen audit` to read: one exchange record (the audit command only reads it)."""
    from keygen.audit import store

    store.append(work / "seeded.jsonl", {"time": "2026-01-01T00:00:00Z", "command": "exchange", "result": "ok"})


@pytest.mark.parametrize(
    "name", ["verify", "verify --fix", "exchange", "plan", "doctor", "audit"], ids=lambda name: name.replace(" ", "")
)
def test_other_commands(tmp_path: Path, pair_bytes: tuple[bytes, bytes], name: str) -> None:
    cases = {
        "verify": Case(["verify", "privateKey.pem", "publicKey.pub"], with_pair(pair_bytes), unchanged),
        "verify --fix": Case(
            ["verify", "--fix", "privateKey.pem", "publicKey.pub"],
            with_pair(pair_bytes, bom=True),
            mended_or_as_it_was(pair_bytes),
        ),
        "exchange": Case(
            ["exchange", "--public-key", "publicKey.pub", "--public-key-id", GOOD_ID], with_pair(pair_bytes), unchanged
        ),
        "plan": Case(["plan"], check_dir=unchanged),
        "doctor": Case(["doctor"], check_dir=unchanged),
        "audit": Case(["audit", "--audit-log", "seeded.jsonl"], seeded_log, unchanged),
    }
    outcomes = run_tries(cases[name], tmp_path, tries=4, seed=name)
    assert sum(outcomes.values()) == 4


def test_confirm_against_the_local_stand_in(
    tmp_path: Path, pair_bytes: tuple[bytes, bytes], standin: AmazonPayStandIn
) -> None:
    registered = tmp_path / "registered.pub"
    registered.write_bytes(pair_bytes[1])
    standin.register(GOOD_ID, registered, region="us")
    case = Case(
        ["confirm", "--private-key", "privateKey.pem", "--public-key-id", GOOD_ID, "--region", "us"],
        with_pair(pair_bytes),
        unchanged,
    )
    outcomes = run_tries(case, tmp_path, tries=4, seed="confirm", env={"KEYGEN_AMAZON_PAY_ENDPOINT": standin.url})
    assert sum(outcomes.values()) == 4
