"""`keygen generate`, end to end: plan, stage, run the documented steps, check, publish, record.

The CLI builds the Options and the Host, calls `generate`, and renders the Outcome; nothing here
prints. Every exit path (success, refusal, failure, Ctrl-C) leaves DIR holding either the old
files or a checked pair, never anything in between, and writes one audit record once a step ran.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keygen import __version__, audit, checks, recipes, run
from keygen.errors import CommandFailed, ExitCode, Interrupted, KeygenError, ToolMissing
from keygen.host import Host
from keygen.plan import Choice, Method, choose
from keygen.publish import Published, Workspace, check_dir, existing, refusal

DEFAULT_TIMEOUT_S = 120.0
#: Variables that make ssh-keygen ask a GUI program for a passphrase instead of reading stdin.
ASKPASS_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    out_dir: Path
    region: str | None = None
    force: bool = False
    dry_run: bool = False
    timeout: float = DEFAULT_TIMEOUT_S
    audit_log: Path | None = None
    method: Method = "auto"


@dataclass(frozen=True)
class StepRecord:
    """What ran, as an auditor needs it; holds no key material."""

    line: str
    argv: tuple[str, ...]
    executable: str
    tool_version: str | None
    cwd: str
    stdout_to: str | None
    exit_code: int | None
    duration_s: float
    stderr: str
    timed_out: bool = False
    signal: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "argv": list(self.argv),
            "executable": self.executable,
            "tool_version": self.tool_version,
            "cwd": self.cwd,
            "stdout_to": self.stdout_to,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 4),
            "stderr": self.stderr,
            "timed_out": self.timed_out,
            "signal": self.signal,
        }


@dataclass
class Outcome:
    options: Options
    host: Host
    choice: Choice | None = None
    steps: list[StepRecord] = field(default_factory=list)
    report: checks.Report | None = None
    published: Published | None = None
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)
    audit_path: Path | None = None
    #: Names already in DIR (dry run: what a real run would refuse or back up).
    taken: list[str] = field(default_factory=list)
    side_files: list[str] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: _utc_now())

    @property
    def exit_code(self) -> int:
        return int(self.error.code) if self.error else int(ExitCode.OK)

    @property
    def fingerprint(self) -> str | None:
        return self.report.fingerprint if self.report else None


def _utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _warm_imports() -> threading.Thread:
    """Import the checking and logging libraries while openssl works: it hides their start-up cost."""

    def work() -> None:
        try:
            from cryptography.hazmat.primitives import hashes, serialization  # noqa: F401
            from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: F401
        except ImportError:
            pass

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def step_env(choice: Choice, environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    if choice.recipe.tool == "ssh-keygen":
        # Without these, ssh-keygen reads the (empty) passphrase from stdin: no prompt, no GUI popup.
        for name in ASKPASS_VARS:
            env.pop(name, None)
    return env


def run_steps(
    choice: Choice,
    staging: Path,
    timeout: float,
    outcome: Outcome,
    progress: Progress | None,
    environ: Mapping[str, str],
) -> None:
    env = step_env(choice, environ)
    stdin = b"\n\n" if choice.recipe.tool == "ssh-keygen" else None
    for step in choice.recipe.steps:
        if progress:
            progress(f"running: {step.line}")
        fd = None
        if step.stdout_to:
            # keygen's own `>`: a new file in the private staging directory, never an existing one.
            fd = os.open(
                staging / step.stdout_to, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
        try:
            done = run.run(
                step.argv,
                executable=choice.executable,
                cwd=staging,
                timeout=timeout,
                stdout_fd=fd,
                stdin_data=stdin,
                env=env,
            )
        except OSError as exc:
            raise ToolMissing(
                f"cannot run {choice.executable}: {exc.strerror}", "check that the tool is installed and executable"
            ) from None
        finally:
            if fd is not None:
                os.close(fd)
        record = StepRecord(
            line=step.line,
            argv=step.argv,
            executable=choice.executable,
            tool_version=choice.tool.version_text,
            cwd=str(staging),
            stdout_to=step.stdout_to,
            exit_code=done.returncode,
            duration_s=done.duration_s,
            stderr=run.trim_stderr(done.stderr),
            timed_out=done.timed_out,
            signal=done.signal,
        )
        outcome.steps.append(record)
        if done.timed_out:
            raise CommandFailed(
                f"`{step.line}` did not finish within {timeout:g} s and was stopped",
                "raise --timeout, or check that the tool is not waiting for input",
            )
        if not done.ok:
            how = f"was killed by signal {done.signal}" if done.signal else f"exited {done.returncode}"
            detail = f": {record.stderr.splitlines()[-1]}" if record.stderr else ""
            raise CommandFailed(
                f"`{step.line}` {how}{detail}", "see the command's error output above; the tool itself failed"
            )


def generate(
    options: Options, host: Host, *, progress: Progress | None = None, environ: Mapping[str, str] | None = None
) -> Outcome:
    environ = os.environ if environ is None else environ
    outcome = Outcome(options=options, host=host)
    try:
        outcome.choice = choose(host, options.method)
        if options.dry_run:
            check_dir(options.out_dir, create=False)
            outcome.taken = existing(options.out_dir) if options.out_dir.is_dir() else []
            if outcome.taken and not options.force:
                raise refusal(options.out_dir, outcome.taken)
            return outcome
        warm = _warm_imports()
        with Workspace(options.out_dir, force=options.force) as ws:
            assert ws.staging is not None
            run_steps(outcome.choice, ws.staging, options.timeout, outcome, progress, environ)
            outcome.side_files = [n for n in outcome.choice.recipe.side_files if (ws.staging / n).exists()]
            warm.join()
            if progress:
                progress("checking the key pair")
            report = checks.check_pair(ws.staging / recipes.PRIVATE_KEY, ws.staging / recipes.PUBLIC_KEY, strict=True)
            report = _relabel(report, ws.staging, options.out_dir)
            outcome.report = report
            if not report.ok:
                raise checks_failed(report)
            outcome.published = ws.publish()
    except KeygenError as exc:
        outcome.error = exc
    except KeyboardInterrupt:
        outcome.error = Interrupted(
            "interrupted; nothing was published and the staging directory was removed", "run keygen generate again"
        )
    finally:
        if outcome.steps:
            _record(outcome, environ)
    return outcome


def checks_failed(report: checks.Report) -> KeygenError:
    from keygen.errors import ChecksFailed

    failed = report.failed
    first = failed[0]
    more = f" (and {len(failed) - 1} more failed check{'s' if len(failed) > 2 else ''})" if len(failed) > 1 else ""
    return ChecksFailed(
        f"the new key pair failed its checks, so nothing was published: {first.name}: {first.summary}{more}", first.fix
    )


def _relabel(report: checks.Report, staging: Path, out_dir: Path) -> checks.Report:
    """Check texts name the staged files; say the final names instead (staging is gone after)."""
    prefix = str(staging) + os.sep

    def fix(c: checks.Check) -> checks.Check:
        return checks.Check(c.name, c.status, c.summary.replace(prefix, ""), c.fix.replace(prefix, ""))

    return checks.Report(report.private, report.public, [fix(c) for c in report.checks], report.fingerprint)


#: Variables that change what openssl or ssh-keygen do; recorded by name and value.
TOOL_ENV_VARS = (
    "OPENSSL_CONF",
    "OPENSSL_MODULES",
    "OPENSSL_ENGINES",
    "OPENSSL_ia32cap",
    "RANDFILE",
    "SSH_ASKPASS",
    "SSH_ASKPASS_REQUIRE",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "MSYSTEM",
)


def audit_record(outcome: Outcome, environ: Mapping[str, str]) -> dict[str, Any]:
    host, choice, options = outcome.host, outcome.choice, outcome.options
    return {
        "time": outcome.started_at,
        "command": "generate",
        "keygen_version": __version__,
        "user": host.user,
        "host": host.hostname,
        "os": host.os,
        "shell": {"name": host.shell.name, "path": host.shell.path} if host.shell else None,
        "method": choice.recipe.name if choice else options.method,
        "method_reason": choice.reason if choice else None,
        "dir": str(options.out_dir.absolute()),
        "env": {k: environ[k] for k in TOOL_ENV_VARS if k in environ},
        "steps": [s.as_dict() for s in outcome.steps],
        "checks": [c.as_dict() for c in outcome.report.checks] if outcome.report else [],
        "fingerprint": outcome.fingerprint,
        "files": [f.__dict__ for f in outcome.published.files] if outcome.published else [],
        "backups": [b.__dict__ for b in outcome.published.backups] if outcome.published else [],
        "side_files_not_published": outcome.side_files,
        "result": "ok" if outcome.error is None else outcome.error.kind,
        "exit_code": outcome.exit_code,
        "error": outcome.error.as_dict() if outcome.error else None,
    }


def _record(outcome: Outcome, environ: Mapping[str, str]) -> None:
    path = audit.resolve(outcome.options.audit_log, environ)
    outcome.audit_path = path
    try:
        audit.append(path, audit_record(outcome, environ))
    except OSError as exc:
        outcome.warnings.append(
            f"the audit log {path} could not be written ({exc.strerror or exc}); the keys are unaffected"
        )
        outcome.audit_path = None
