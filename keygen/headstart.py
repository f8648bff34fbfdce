"""`keygen generate`'s first documented step, started before the rest of keygen is loaded.

`openssl genpkey` is most of a run's time, and keygen's own start-up (the interpreter, then its
modules: about 45 ms) used to come before it. For a command line keygen.shortcut takes, on POSIX,
with openssl as the method (auto or `--method openssl`) and no `--dry-run`, `__main__` calls
`begin` first. It reads the line, finds openssl as detection would (`spawn.which`), claims DIR
exactly as every run does (`outdir.claim`: the same checks, lock, refusal of taken names and 0700
staging directory; a refusal here starts nothing, and the run then refuses in its own words) and
starts the documented argv with `spawn.start`, the arguments `run.run` would give it. Only light
modules are loaded for that; the rest of keygen loads while openssl works.

generate then `take`s what was started, if it is what this run would start (same DIR, `--force`,
executable and argv): the claim becomes its Workspace's and the process its first step's, waited
for, bounded by `--timeout` from its start, stopped on Ctrl-C and recorded like any step. Anything
that ends the run before that (Ctrl-C or SIGTERM while keygen loads, a bug) reaches `abandon`, from
`__main__`: the step is stopped, the staging directory removed, DIR unlocked, and the audit log
records the step as interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from keygen import outdir, recipes, shortcut, spawn
from keygen.errors import KeygenError


class Started:
    """The first step of the run `begin` read from the command line, started in a claimed DIR."""

    def __init__(
        self, given: dict[str, Any], claim: outdir.Claim, executable: str, proc: subprocess.Popen[bytes], at: float
    ) -> None:
        self.given, self.claim, self.executable, self.proc, self.at = given, claim, executable, proc, at
        self.step = recipes.OPENSSL.steps[0]
        self.out_dir = Path(given.get("out_dir", "."))
        self.force = bool(given.get("force", False))

    def matches(self, out_dir: Path, force: bool, executable: str, argv: Sequence[str]) -> bool:
        return (self.out_dir, self.force, self.executable, self.step.argv) == (out_dir, force, executable, tuple(argv))

    def stop(self) -> None:
        """Stop the step (with everything it started) unless it has ended; remove its staging
        directory; unlock DIR."""
        from keygen import run

        try:
            run.stop(self.proc)
        finally:
            _remove(self.claim)


_STARTED: Optional[Started] = None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wanted(argv: Sequence[str], environ: Mapping[str, str]) -> Optional[tuple[dict[str, Any], str]]:
    """The parameters and openssl's path when this command line's first step may start now."""
    parsed = shortcut.parse(argv, environ) if os.name == "posix" and _STARTED is None else None
    if parsed is None or parsed[0] != "generate":
        return None
    given = parsed[1]
    if given.get("dry_run") or given.get("method", "auto") not in ("auto", "openssl"):
        return None
    executable = spawn.which("openssl", path=environ.get("PATH"))
    return (given, executable) if executable is not None else None


def begin(argv: Sequence[str], environ: Optional[Mapping[str, str]] = None) -> None:
    """Start generate's first step now, when this command line allows it (see the module's text)."""
    global _STARTED
    environ = os.environ if environ is None else environ
    wanted = _wanted(argv, environ)
    if wanted is None:
        return
    given, executable = wanted
    try:
        claim = outdir.claim(Path(given.get("out_dir", ".")), force=bool(given.get("force", False)))
    except (KeygenError, OSError):
        return  # the run refuses, or fails, in its own words, with nothing started
    # From here a SIGTERM must end in `abandon` (the step stopped, DIR cleaned), as it does later.
    signal.signal(signal.SIGTERM, _interrupt)
    at = time.monotonic()
    try:
        proc = spawn.start(recipes.OPENSSL.steps[0].argv, executable=executable, cwd=claim.staging, env=environ)
    except OSError:
        _remove(claim)  # the run fails to start it too, and says why
        return
    except BaseException:
        _remove(claim)  # interrupted while starting it: nothing of this run stays in DIR
        raise
    _STARTED = Started(given, claim, executable, proc, at)


def _remove(claim: outdir.Claim) -> None:
    import shutil

    shutil.rmtree(claim.staging, ignore_errors=True)
    claim.release()


def take(out_dir: Path, force: bool, executable: str, argv: Sequence[str]) -> Optional[Started]:
    """What `begin` started, handed over to the run when it is that run's first step. Anything else
    (never the case for a line the shortcut reads, but the run must not depend on it) is stopped."""
    global _STARTED
    started, _STARTED = _STARTED, None
    if started is None:
        return None
    if started.matches(out_dir, force, executable, argv):
        return started
    _end(started, os.environ)
    return None


def abandon(environ: Optional[Mapping[str, str]] = None) -> None:
    """The run ended before it took its started step: stop it, clean DIR, and record it."""
    global _STARTED
    started, _STARTED = _STARTED, None
    if started is not None:
        _end(started, os.environ if environ is None else environ)


def _end(started: Started, environ: Mapping[str, str]) -> None:
    """Stop a step no run took over, clean DIR, and record it: every documented command that ran
    is in the audit log. A record that cannot be made is said in one line, never a traceback."""
    duration = time.monotonic() - started.at
    started.stop()
    try:
        _record(started, duration, environ)
    except Exception as exc:  # noqa: BLE001 - the run is over: say it, and let it end as it was ending
        with contextlib.suppress(OSError):
            os.write(2, f"keygen: warning: the stopped step could not be recorded: {exc}\n".encode())


def _record(started: Started, duration_s: float, environ: Mapping[str, str]) -> None:
    """The audit record of a step stopped before the run took it over: what ran, where, for how
    long, and that it was interrupted (the run's own record, had it got that far)."""
    from keygen import generate
    from keygen.host import detect_host
    from keygen.method import choose
    from keygen.steps import StepRecord

    options = shortcut.generate_options(started.given)
    # Nothing is asked of the machine that decides nothing now (openssl's version, the shell).
    outcome = generate.Outcome(options=options, host=detect_host(method=options.method, later=("openssl", "shell")))
    outcome.error = generate.interrupted(outcome)
    step, staging = started.step, str(started.claim.staging)
    outcome.steps.append(
        StepRecord(step.line, step.argv, started.executable, None, staging, None, None, duration_s, "interrupted")
    )
    with contextlib.suppress(KeygenError):  # the record names the step and its executable either way
        outcome.choice = choose(outcome.host, options.method)
    generate.record(outcome, environ)
