"""`keygen generate`, end to end: choose, stage, run the documented steps, check, publish, record.

The CLI builds the Options and the Host, calls `generate`, and renders the Outcome; nothing here
prints. Every exit path (success, refusal, failure, Ctrl-C) leaves DIR holding either the old
files or a checked pair, never anything in between, and writes one audit record once a step ran.
The record is the Outcome's own facts (what `--json` prints) plus who, where and the tool
environment: the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from keygen import __version__, amazon_pay, recipes
from keygen import host as host_mod
from keygen.audit import log as audit
from keygen.commands import keys as keys_mod
from keygen.errors import DirUnusable, Interrupted, KeygenError, Refused, UsageError
from keygen.host import Host, shell_dict
from keygen.host.platforms import Method
from keygen.keys import checks
from keygen.keys.failed_pair import checks_failed, nothing_to_fix
from keygen.outdir import check_dir, existing, refusal, safety
from keygen.outdir.publish import Published, Workspace
from keygen.proc import interrupt
from keygen.recipes.literal import default_shell, resolve, shell_env
from keygen.recipes.method import Choice, choose
from keygen.recipes.steps import Progress, Runner, StepRecord, step_env
from keygen.result import Failure, Result, utc_timestamp

if TYPE_CHECKING:
    from keygen.keys import checks
    from keygen.recipes import literal

DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Options:
    """What `keygen generate`'s command line says; the defaults are the CLI's (a test holds them equal)."""

    out_dir: Path = Path(".")
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
    #: The second confirmation `--force` needs over a pair whose Public Key ID is in use.
    replace_key_in_use: bool = False


@dataclass
class Outcome(Result):
    command: ClassVar[str] = "generate"
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
    started_at: str = field(default_factory=utc_timestamp)
    #: Literal mode's shell, once resolved.
    literal: literal.LiteralShell | None = None

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

    def facts(self) -> dict[str, Any]:
        """What happened, as data: `--json` prints it and the audit record is built from it."""
        o, host, report = self.options, self.host, self.report
        return {
            "keygen_version": __version__,
            "dry_run": o.dry_run,
            "dir": str(o.out_dir.absolute()),
            "os": host.os,
            "shell": shell_dict(host.shell),
            "method": self.method_facts(),
            "literal": {"shell": self.literal.name, "path": self.literal.path} if self.literal else None,
            "interactive": o.interactive,
            "steps": self.planned_steps() if o.dry_run else [s.as_dict() for s in self.steps],
            "checks": [c.as_dict() for c in report.checks] if report else [],
            "fingerprint": self.fingerprint,
            "fingerprint_hex": report.fingerprint_hex if report else None,
            "line_ends": self.line_ends,
            **self.published_facts(),
            "existing": self.taken,
            "side_files_not_published": self.side_files,
            "next": {
                "public_key": str(o.out_dir.absolute() / recipes.PUBLIC_KEY),
                "integration_central": [
                    {"region": r.code, "name": r.name, "url": r.integration_central}
                    for r in amazon_pay.regions(o.region)
                ],
            },
            "audit_log": str(self.audit_path) if self.audit_path else None,
        }

    def method_facts(self) -> dict[str, Any] | None:
        choice = self.choice
        if choice is None:
            return None
        return {
            "name": choice.recipe.name,
            "reason": choice.reason,
            "executable": choice.executable,
            "tool_version": choice.tool.version_text,
        }

    def published_facts(self) -> dict[str, Any]:
        published = self.published
        return {
            "files": [vars(f) for f in published.files] if published else [],
            "backups": [vars(b) for b in published.backups] if published else [],
        }

    def planned_steps(self) -> list[dict[str, Any]]:
        choice = self.choice
        if choice is None:
            return []
        return [
            {
                "line": s.line,
                "argv": list(s.argv),
                "executable": choice.executable,
                "tool_version": choice.tool.version_text,
                "stdout_to": s.stdout_to,
                "exit_code": None,
            }
            for s in choice.recipe.steps
        ]


def leftover_warning(staging: Path) -> str:
    try:
        empty = not any(p.name != ".gitignore" for p in staging.iterdir())
    except OSError:
        empty = False
    what = "it is empty" if empty else "it may hold the unpublished private key"
    return f"the staging directory {staging} could not be removed (read-only?); {what}: delete it when you can"


def _dry_run(outcome: Outcome, environ: Mapping[str, str]) -> None:
    options = outcome.options
    check_dir(options.out_dir, create=False)
    outcome.taken = existing(options.out_dir) if options.out_dir.is_dir() else []
    outcome.warnings += safety.surroundings(options.out_dir, environ)
    if outcome.taken and not options.force:
        raise refusal(options.out_dir, outcome.taken)


def _run_and_publish(outcome: Outcome, ws: Workspace, progress: Progress | None, environ: Mapping[str, str]) -> None:
    options, host, choice = outcome.options, outcome.host, outcome.choice
    assert ws.staging is not None and choice is not None
    try:
        env = step_env(choice, environ, os_name=host.os, helper_dir=ws.staging, interactive=options.interactive)
        if outcome.literal is not None:
            env = shell_env(outcome.literal, host, env)
        Runner(
            choice,
            ws.staging,
            options.timeout,
            env,
            outcome.literal,
            options.interactive,
            outcome.steps,
            progress,
        ).run_all()
    finally:
        outcome.warnings += safety.surroundings(options.out_dir, environ)
    outcome.side_files = [n for n in choice.recipe.side_files if (ws.staging / n).exists()]
    if progress:
        progress("checking the key pair")

    names = checks.Names(recipes.PRIVATE_KEY, recipes.PUBLIC_KEY)
    report = checks.check_pair(
        ws.staging / recipes.PRIVATE_KEY, ws.staging / recipes.PUBLIC_KEY, strict=True, validate_rsa=False, names=names
    )
    outcome.report = report
    if not report.ok:
        outcome.report = nothing_to_fix(report)
        raise checks_failed(report, choice, interactive=options.interactive)
    # The point of no return: a Ctrl-C that came before it is raised here and nothing is published;
    # from here the run completes (publish, clean up, record, print) and a later one changes nothing.
    interrupt.ignore()
    outcome.published = ws.publish()


def command(options: Options, *, progress: Progress | None = None) -> Result:
    """`keygen generate` once Typer parsed its command line: the checks a parser cannot make,
    this machine, then `generate`."""
    try:
        if not options.timeout > 0 or options.timeout != options.timeout:
            raise UsageError(
                f"--timeout must be a positive number of seconds, not {options.timeout:g}", "for example --timeout 60"
            )
        host_mod.check_shell(host_mod.current_os(), options.shell)
    except KeygenError as exc:
        return Failure(Outcome.command, exc)
    host = host_mod.detect_host(method=options.method, shell=options.shell)
    return generate(options, host, progress=progress)


def generate(
    options: Options, host: Host, *, progress: Progress | None = None, environ: Mapping[str, str] | None = None
) -> Outcome:
    environ = os.environ if environ is None else environ
    outcome = Outcome(options=options, host=host)
    ws: Workspace | None = None
    try:
        outcome.choice = choose(host, options.method)
        outcome.warnings += safety.tool_warnings(outcome.choice.executable, Path.cwd(), environ)
        if options.literal:
            outcome.literal = resolve(options.shell or default_shell(host), host, environ)
        if options.force and not options.replace_key_in_use:
            _refuse_key_in_use(options, environ)
        if options.dry_run:
            _dry_run(outcome, environ)
            return outcome
        ws = Workspace(options.out_dir, force=options.force)
        with ws:
            _run_and_publish(outcome, ws, progress, environ)
    except KeygenError as exc:
        outcome.error = exc
    except OSError as exc:
        outcome.error = _dir_failed(options.out_dir, exc)
    except KeyboardInterrupt:
        outcome.error = interrupted(outcome)
    finally:
        if ws is not None and ws.leftover is not None:
            outcome.warnings.append(leftover_warning(ws.leftover))
        if outcome.steps:
            record(outcome, environ)
    return outcome


def _refuse_key_in_use(options: Options, environ: Mapping[str, str]) -> None:
    """--force over a pair the log records with a Public Key ID in use: name it, ask twice."""
    key = keys_mod.in_use(options.out_dir, options.audit_log, environ)
    if key is not None:
        raise Refused(
            f"{options.out_dir / recipes.PUBLIC_KEY} is {key.fingerprint}, Public Key ID {key.public_key_id} "
            f"({key.state}): replacing it breaks every integration that uses that ID",
            "to replace a key in use, run keygen rotate (new pair beside the old one); "
            "to replace it anyway, add --replace-key-in-use to --force",
        )


def _dir_failed(out_dir: Path, exc: OSError) -> DirUnusable:
    """Whatever the tools could not cause (they are mapped in steps) is the directory failing
    under us: removed, moved, made read-only, or out of space."""
    return DirUnusable(
        f"{out_dir} disappeared while keygen worked"
        if not out_dir.is_dir()
        else f"cannot write in {out_dir}: {exc.strerror or exc}",
        "make sure nothing else changes the directory while keygen runs, then run it again",
    )


def interrupted(outcome: Outcome) -> Interrupted:
    if outcome.published:
        # Only the clean-up was cut short: the pair is in place, checked and whole.
        return Interrupted("interrupted after the checked pair was published", "the pair is complete; nothing to do")
    return Interrupted(
        "interrupted; nothing was published and the staging directory was removed", "run keygen generate again"
    )


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
#: Facts that describe the screen, not the run: not recorded.
_NOT_RECORDED = ("next", "audit_log", "dry_run", "existing")


def audit_record(outcome: Outcome, environ: Mapping[str, str]) -> dict[str, Any]:
    """The run's envelope and facts (as `--json` prints them), with when, who, where and the tools'
    environment; `result` names the outcome for `keygen audit`."""
    host = outcome.host
    envelope = {k: v for k, v in outcome.envelope().items() if k not in _NOT_RECORDED}
    return {
        "time": outcome.started_at,
        "user": host.user,
        "host": host.hostname,
        "env": {k: environ[k] for k in TOOL_ENV_VARS if k in environ},
        "result": "ok" if outcome.error is None else outcome.error.kind,
        **envelope,
    }


def record(outcome: Outcome, environ: Mapping[str, str]) -> None:
    try:
        outcome.audit_path = audit.record(outcome.options.audit_log, audit_record(outcome, environ), environ)
    except OSError as exc:
        path = audit.resolve(outcome.options.audit_log, environ)
        outcome.warnings.append(
            f"the audit log {path} could not be written ({exc.strerror or exc}); the keys are unaffected"
        )
        outcome.audit_path = None
