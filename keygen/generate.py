"""`keygen generate`, end to end: plan, stage, run the documented steps, check, publish, record.

The CLI builds the Options and the Host, calls `generate`, and renders the Outcome; nothing here
prints. Every exit path (success, refusal, failure, Ctrl-C) leaves DIR holding either the old
files or a checked pair, never anything in between, and writes one audit record once a step ran.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keygen import __version__, audit, literal, recipes, run, safety
from keygen.errors import ChecksFailed, CommandFailed, DirUnusable, ExitCode, Interrupted, KeygenError, ToolMissing
from keygen.host import Host, OSName
from keygen.plan import Choice, Method, choose
from keygen.publish import Published, Workspace, check_dir, existing, refusal

if TYPE_CHECKING:
    # Imported where used: the warm-up thread loads them while openssl works (start-up cost).
    from keygen import checks

DEFAULT_TIMEOUT_S = 120.0

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
    #: Type each documented line into a real shell (`--literal [--shell NAME]`).
    literal: bool = False
    shell: str | None = None
    #: Let ssh-keygen ask for a passphrase on the user's terminal, as the document's reader would see.
    interactive: bool = False


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
    #: Literal mode: the shell that interpreted `line` (argv is then `[shell, -c, line]`).
    shell: str | None = None
    shell_path: str | None = None

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
            "shell": {"name": self.shell, "path": self.shell_path} if self.shell else None,
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
    started_at: str = field(default_factory=audit.timestamp)
    #: Literal mode's shell, once resolved.
    literal: literal.LiteralShell | None = None

    @property
    def exit_code(self) -> int:
        return int(self.error.code) if self.error else int(ExitCode.OK)

    @property
    def fingerprint(self) -> str | None:
        return self.report.fingerprint if self.report else None

    @property
    def line_ends(self) -> dict[str, str | None]:
        """Each file's line-end style as made ("lf", or "crlf" from a native Windows openssl)."""
        if self.report is None:
            return {}
        return {
            role: ins.line_ends
            for role, ins in (("private_key", self.report.private), ("public_key", self.report.public))
            if ins is not None
        }


def _warm_imports() -> threading.Thread:
    """Import the checking and rendering code while openssl works: it hides their start-up cost."""

    def work() -> None:
        try:
            from cryptography.hazmat.primitives import hashes, serialization  # noqa: F401
            from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: F401

            from keygen import checks, report  # noqa: F401
        except ImportError:
            pass

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


#: Windows askpass helper: ssh-keygen runs it for the passphrase and reads one empty line back.
ASKPASS_HELPER = "keygen-askpass.cmd"
ASKPASS_HELPER_TEXT = "@echo(\r\n"


def step_env(
    choice: Choice,
    environ: Mapping[str, str],
    *,
    os_name: OSName = "linux",
    helper_dir: Path | None = None,
    interactive: bool = False,
) -> dict[str, str]:
    """The child's environment: unchanged for openssl; for ssh-keygen, whatever makes it not ask.

    POSIX: without DISPLAY, WAYLAND_DISPLAY and the askpass variables, and with no controlling
    terminal (a new session), ssh-keygen reads the passphrase from stdin, where it finds an empty
    line: no prompt, no GUI popup, an unencrypted key, and no `-N` in argv.
    """
    env = dict(environ)
    if choice.recipe.tool != "ssh-keygen":
        return env
    for name in recipes.SSH_ASKPASS_VARS:
        env.pop(name, None)
    if os_name == "windows" and not interactive:
        env.update(windows_askpass_env(helper_dir))
    return env


def windows_askpass_env(helper_dir: Path | None) -> dict[str, str]:
    """FACTS.md's Windows route; NOT YET RUN ON REAL WINDOWS (only built and inspected in tests).

    Win32-OpenSSH reads passphrases from the console with _getwch(), never from stdin, so the
    Linux trick cannot work there. It asks the SSH_ASKPASS program instead when
    SSH_ASKPASS_REQUIRE=force (8.6 and later), or, in 7.7 and 8.1, when DISPLAY is set and stdin is
    a pipe (keygen's stdin is one). The helper prints an empty line: the empty passphrase.
    """
    if helper_dir is None:
        return {}
    helper = helper_dir / ASKPASS_HELPER
    fd = os.open(helper, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
    with os.fdopen(fd, "w", encoding="ascii", newline="") as f:
        f.write(ASKPASS_HELPER_TEXT)
    return {"SSH_ASKPASS": str(helper), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": "keygen:0"}


#: Where an interactive child's stdout goes when the step has no `>`: the terminal's stderr, so
#: that `--json` keeps stdout to its one object.
_STDERR_FD = 2


def _step_record(
    step: recipes.Step,
    argv: tuple[str, ...],
    executable: str,
    choice: Choice,
    staging: Path,
    shell: literal.LiteralShell | None,
    started: float,
    done: run.Completed | None,
    why: str = "",
) -> StepRecord:
    """The audit view of one step; `done` is None when it never finished (`why` says what happened)."""
    return StepRecord(
        line=step.line,
        argv=argv,
        executable=executable,
        tool_version=choice.tool.version_text,
        cwd=str(staging),
        stdout_to=step.stdout_to,
        exit_code=done.returncode if done else None,
        duration_s=done.duration_s if done else time.monotonic() - started,
        stderr=run.trim_stderr(done.stderr) if done else why,
        timed_out=done.timed_out if done else False,
        signal=done.signal if done else None,
        shell=shell.name if shell else None,
        shell_path=shell.path if shell else None,
    )


def run_steps(
    choice: Choice,
    staging: Path,
    timeout: float,
    outcome: Outcome,
    progress: Progress | None,
    environ: Mapping[str, str],
) -> None:
    options, host = outcome.options, outcome.host
    interactive = options.interactive
    env = step_env(choice, environ, os_name=host.os, helper_dir=staging, interactive=interactive)
    shell = outcome.literal
    if shell is not None:
        env = literal.shell_env(shell, host, env)
    # ssh-keygen reads an empty passphrase (and its confirmation) here; openssl reads nothing.
    stdin = b"\n\n" if choice.recipe.tool == "ssh-keygen" else None
    for step in choice.recipe.steps:
        if progress:
            progress(f"running: {step.line}" + (f"  (typed into {shell.name})" if shell else ""))
        if shell is not None:
            argv, executable, stdout_to = literal.shell_argv(shell.name, step.line), shell.path, None
        else:
            argv, executable, stdout_to = step.argv, choice.executable, step.stdout_to
        fd = None
        if stdout_to:
            # keygen's own `>`: a new file in the private staging directory, never an existing one.
            fd = os.open(
                staging / stdout_to, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
        started = time.monotonic()

        def record(done: run.Completed | None, why: str = "") -> StepRecord:
            return _step_record(step, tuple(argv), executable, choice, staging, shell, started, done, why)  # noqa: B023 - used within this iteration only

        # Interactive: the person at the terminal answers ssh-keygen's prompts, so it shares our
        # session (the terminal and Ctrl-C reach it) and the terminal is its stdin and stderr.
        io: dict[str, Any] = (
            {"stdout_fd": fd if fd is not None else _STDERR_FD, "new_session": False, "inherit_stdio": True}
            if interactive
            else {"stdout_fd": fd, "stdin_data": stdin}
        )
        try:
            done = run.run(argv, executable=executable, cwd=staging, timeout=timeout, env=env, **io)
        except OSError as exc:
            outcome.steps.append(record(None, f"could not start: {exc.strerror}"))
            if not staging.is_dir():
                raise  # the directory went away under us: generate() reports it as such
            raise ToolMissing(
                f"cannot run {executable}: {exc.strerror}", "check that the tool is installed and executable"
            ) from None
        except KeyboardInterrupt:
            # The step ran and was stopped: the audit record must show it (no exit code of its own).
            outcome.steps.append(record(None, "interrupted"))
            raise
        finally:
            if fd is not None:
                os.close(fd)
        ran = record(done)
        outcome.steps.append(ran)
        if done.timed_out:
            raise CommandFailed(
                f"`{step.line}` did not finish within {timeout:g} s and was stopped",
                "raise --timeout, or check that the tool is not waiting for input",
            )
        if not done.ok:
            how = f"was killed by signal {done.signal}" if done.signal else f"exited {done.returncode}"
            detail = f": {ran.stderr.splitlines()[-1]}" if ran.stderr else ""
            via = f" (typed into {shell.name})" if shell else ""
            raise CommandFailed(
                f"`{step.line}`{via} {how}{detail}", "see the command's error output above; the tool itself failed"
            )


def leftover_warning(staging: Path) -> str:
    try:
        empty = not any(p.name != ".gitignore" for p in staging.iterdir())
    except OSError:
        empty = False
    what = "it is empty" if empty else "it may hold the unpublished private key"
    return f"the staging directory {staging} could not be removed (read-only?); {what}: delete it when you can"


def surroundings(out_dir: Path, environ: Mapping[str, str]) -> list[str]:
    """Risks around DIR that do not stop a run: who else can write there, and git."""
    if not out_dir.is_dir():
        return []
    return safety.dir_warnings(out_dir) + safety.git_warnings(out_dir, environ)


def generate(
    options: Options, host: Host, *, progress: Progress | None = None, environ: Mapping[str, str] | None = None
) -> Outcome:
    environ = os.environ if environ is None else environ
    outcome = Outcome(options=options, host=host)
    warm: threading.Thread | None = None
    ws: Workspace | None = None
    try:
        outcome.choice = choose(host, options.method)
        outcome.warnings += safety.tool_warnings(outcome.choice.executable, Path.cwd(), environ)
        if options.literal:
            outcome.literal = literal.resolve(options.shell or literal.default_shell(host), host, environ)
        if options.dry_run:
            check_dir(options.out_dir, create=False)
            outcome.taken = existing(options.out_dir) if options.out_dir.is_dir() else []
            outcome.warnings += surroundings(options.out_dir, environ)
            if outcome.taken and not options.force:
                raise refusal(options.out_dir, outcome.taken)
            return outcome
        ws = Workspace(options.out_dir, force=options.force)
        with ws:
            assert ws.staging is not None
            # Started only once there is work to overlap, and always joined below: a daemon thread
            # still inside an extension import when the interpreter exits can abort the process.
            warm = _warm_imports()
            outcome.warnings += surroundings(options.out_dir, environ)
            run_steps(outcome.choice, ws.staging, options.timeout, outcome, progress, environ)
            outcome.side_files = [n for n in outcome.choice.recipe.side_files if (ws.staging / n).exists()]
            warm.join()
            if progress:
                progress("checking the key pair")
            from keygen import checks

            report = checks.check_pair(
                ws.staging / recipes.PRIVATE_KEY, ws.staging / recipes.PUBLIC_KEY, strict=True, validate_rsa=False
            )
            report = _relabel(report, ws.staging, options.out_dir)
            outcome.report = report
            if not report.ok:
                error = checks_failed(report)
                _name_old_ssh_keygen(error, report, outcome.choice)
                if options.interactive and _encrypted(report):
                    error.hint = (
                        "a passphrase was typed at ssh-keygen's prompt, so the key is encrypted and the "
                        "Amazon Pay SDKs cannot load it; run again and press Enter at both prompts, or "
                        "without --interactive"
                    )
                raise error
            outcome.published = ws.publish()
    except KeygenError as exc:
        outcome.error = exc
    except OSError as exc:
        # Whatever the tools could not cause (they are mapped in run_steps) is the directory failing
        # under us: removed, moved, made read-only, or out of space.
        gone = not options.out_dir.is_dir()
        outcome.error = DirUnusable(
            f"{options.out_dir} disappeared while keygen worked"
            if gone
            else f"cannot write in {options.out_dir}: {exc.strerror or exc}",
            "make sure nothing else changes the directory while keygen runs, then run it again",
        )
    except KeyboardInterrupt:
        if outcome.published:
            # Only the clean-up was cut short: the pair is in place, checked and whole.
            outcome.error = Interrupted(
                "interrupted after the checked pair was published", "the pair is complete; nothing to do"
            )
        else:
            outcome.error = Interrupted(
                "interrupted; nothing was published and the staging directory was removed",
                "run keygen generate again",
            )
    finally:
        if warm is not None:
            warm.join()
        if ws is not None and ws.leftover is not None:
            outcome.warnings.append(leftover_warning(ws.leftover))
        if outcome.steps:
            _record(outcome, environ)
    return outcome


#: What ssh-keygen before 8.1 writes for `-m PKCS8` (FACTS.md), by PEM label.
_OLD_SSH_KEYGEN_FORMS = {
    "RSA PRIVATE KEY": "PKCS#1 (OpenSSH up to 7.7 ignores `-m PKCS8` for new keys)",
    "OPENSSH PRIVATE KEY": "the OpenSSH format (OpenSSH 7.8 to 8.0 ignore `-m PKCS8` for new keys)",
}


def _name_old_ssh_keygen(error: KeygenError, report: checks.Report, choice: Choice | None) -> None:
    """The checks say what the file is; with the ssh-keygen recipe, say why it is so and what to do."""
    form = report.private.form if report.private else None
    if choice is None or choice.recipe.tool != "ssh-keygen" or form not in _OLD_SSH_KEYGEN_FORMS:
        return
    if report.private is not None and report.private.text and "ENCRYPTED" in report.private.text:
        return
    version = f" ({choice.tool.version_label})" if choice.tool.version else ""
    error.message += f"; cause: this ssh-keygen{version} wrote {_OLD_SSH_KEYGEN_FORMS[form]}"
    error.hint = (
        "use OpenSSH 8.1 or later, or the openssl lines (--method openssl; on Windows, Git Bash: "
        "--method git-bash); nothing was kept, so there is no key to convert"
    )


def _encrypted(report: checks.Report) -> bool:
    return any(c.name.startswith("private_key.") and "encrypted" in c.summary for c in report.failed)


def checks_failed(report: checks.Report) -> KeygenError:

    failed = report.failed
    first = failed[0]
    more = f" (and {len(failed) - 1} more failed check{'s' if len(failed) > 2 else ''})" if len(failed) > 1 else ""
    # The checks' own fixes name files that were never published: point at running again instead.
    return ChecksFailed(
        f"the new key pair failed its checks, so nothing was published: {first.name}: {first.summary}{more}",
        "nothing was kept (the staged files are removed): run keygen generate again; if it fails the same way, "
        "keygen doctor shows what on this machine causes it",
    )


def _relabel(report: checks.Report, staging: Path, out_dir: Path) -> checks.Report:
    """Check texts name the staged files; say the final names instead (staging is gone after)."""
    from keygen import checks

    prefix = str(staging) + os.sep

    def fix(c: checks.Check) -> checks.Check:
        # A failed check's fix would name a staged file that is removed, never published.
        advice = "nothing was published, so there is nothing to fix: see the hint" if c.status == "fail" else c.fix
        return checks.Check(c.name, c.status, c.summary.replace(prefix, ""), advice.replace(prefix, ""))

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
        "literal": {"shell": outcome.literal.name, "path": outcome.literal.path} if outcome.literal else None,
        "interactive": options.interactive,
        "dir": str(options.out_dir.absolute()),
        "env": {k: environ[k] for k in TOOL_ENV_VARS if k in environ},
        "steps": [s.as_dict() for s in outcome.steps],
        "checks": [c.as_dict() for c in outcome.report.checks] if outcome.report else [],
        "fingerprint": outcome.fingerprint,
        "line_ends": outcome.line_ends,
        "files": [f.__dict__ for f in outcome.published.files] if outcome.published else [],
        "backups": [b.__dict__ for b in outcome.published.backups] if outcome.published else [],
        "side_files_not_published": outcome.side_files,
        "result": "ok" if outcome.error is None else outcome.error.kind,
        "exit_code": outcome.exit_code,
        "error": outcome.error.as_dict() if outcome.error else None,
        "warnings": outcome.warnings,
    }


def _record(outcome: Outcome, environ: Mapping[str, str]) -> None:
    try:
        outcome.audit_path = audit.record(outcome.options.audit_log, audit_record(outcome, environ), environ)
    except OSError as exc:
        path = audit.resolve(outcome.options.audit_log, environ)
        outcome.warnings.append(
            f"the audit log {path} could not be written ({exc.strerror or exc}); the keys are unaffected"
        )
        outcome.audit_path = None
