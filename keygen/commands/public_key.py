"""`keygen public-key PRIV [-o OUT]`: the public key written again from its private key, by the
document's second line (`openssl rsa -in PRIV -pubout`), as `ssh-keygen -y` and `age-keygen -y` do.

The line runs as generate runs it: argv, never a shell, with the openssl keygen finds (Git Bash's
`openssl.exe` on Windows when none is on PATH), its `>` opened by keygen as a new file in a private
staging directory beside OUT. The private key is checked before anything runs (an encrypted or
OpenSSH key would make openssl ask or fail); the new file is checked as a pair with it, and only
then given its final name by a link that never replaces anything. OUT that exists is refused (exit
5), before anything runs and again at the link. Each run that ran the line is one audit record,
built like generate's from what `--json` prints.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen import __version__, recipes
from keygen import host as host_mod
from keygen.audit import log as audit
from keygen.commands.generate import TOOL_ENV_VARS
from keygen.errors import ChecksFailed, DirUnusable, Interrupted, KeygenError, Refused, ToolMissing
from keygen.host import Host, hints
from keygen.keys import checks
from keygen.keys.failed_pair import nothing_to_fix
from keygen.outdir import STAGING_PREFIX, check_dir

# The same no-clobber link, flush and mode as generate's publish.
from keygen.outdir.publish import PublishedFile, _fsync, _umask, fsync_dir, link_or_rename
from keygen.proc import interrupt
from keygen.recipes.method import Choice
from keygen.recipes.steps import Runner, StepRecord
from keygen.result import Result, utc_timestamp

DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Options:
    private_key: Path = Path(recipes.PRIVATE_KEY)
    #: Where the public key goes; None: the documented name beside the private key.
    out: Path | None = None
    audit_log: Path | None = None

    @property
    def target(self) -> Path:
        return self.out if self.out is not None else self.private_key.parent / recipes.PUBLIC_KEY


@dataclass
class Outcome(Result):
    command: ClassVar[str] = "public-key"
    options: Options
    host: Host
    choice: Choice | None = None
    steps: list[StepRecord] = field(default_factory=list)
    report: checks.Report | None = None
    published: PublishedFile | None = None
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)
    audit_path: Path | None = None
    started_at: str = field(default_factory=utc_timestamp)

    def facts(self) -> dict[str, Any]:
        o, report, choice = self.options, self.report, self.choice
        return {
            "keygen_version": __version__,
            "os": self.host.os,
            "private_key": str(o.private_key),
            "public_key": str(o.target),
            "method": {"executable": choice.executable, "tool_version": choice.tool.version_text} if choice else None,
            "steps": [s.as_dict() for s in self.steps],
            "checks": [c.as_dict() for c in report.checks] if report else [],
            "fingerprint": report.fingerprint if report else None,
            "fingerprint_hex": report.fingerprint_hex if report else None,
            "files": [vars(self.published)] if self.published else [],
            "audit_log": str(self.audit_path) if self.audit_path else None,
        }


def the_step(private_key: Path, name: str) -> recipes.Step:
    """The document's second line for this private key: argv exactly `openssl rsa -in PRIV -pubout`,
    its stdout into `name` (in the staging directory, where the step runs: PRIV is made absolute)."""
    private = os.path.abspath(private_key)
    line = f"openssl rsa -in {shlex.quote(private)} -pubout > {shlex.quote(name)}"
    return recipes.Step(line=line, argv=("openssl", "rsa", "-in", private, "-pubout"), stdout_to=name)


def choose_openssl(host: Host) -> Choice:
    """The openssl generate's openssl lines would run: on PATH, else Git Bash's (Windows)."""
    recipe = recipes.Recipe("public-key", "openssl", (), recipes.OPENSSL.where)
    if host.openssl:
        return Choice(recipe, host.openssl.path, host.openssl, "openssl on PATH")
    if host.git and host.git.openssl:
        tool = host_mod.probe_openssl(host.git.openssl, os.getcwd())
        return Choice(recipe, tool.path, tool, "Git Bash's openssl (none on PATH)")
    raise ToolMissing("openssl was not found", hints.install_hint("openssl", host.os))


def command(options: Options) -> Result:
    """`keygen public-key` once Typer parsed it: this machine's openssl, then `public_key`."""
    host = host_mod.detect_host(tools=("openssl",), versions=("openssl",), method="openssl")
    return public_key(options, host)


def public_key(options: Options, host: Host, *, environ: Mapping[str, str] | None = None) -> Outcome:
    environ = os.environ if environ is None else environ
    outcome = Outcome(options=options, host=host)
    try:
        _run(outcome, environ)
    except KeygenError as exc:
        outcome.error = exc
    except OSError as exc:
        outcome.error = DirUnusable(
            f"cannot write in {options.target.parent}: {exc.strerror or exc}",
            "make sure the directory exists, is writable and has free space, then run it again",
        )
    except KeyboardInterrupt:
        outcome.error = (
            Interrupted("interrupted; nothing was published", "run keygen public-key again")
            if outcome.published is None
            else Interrupted("interrupted after the checked public key was published", "nothing to do")
        )
    finally:
        if outcome.steps:
            record(outcome, environ)
    return outcome


def _refuse_taken(target: Path) -> None:
    if os.path.lexists(target):
        raise Refused(
            f"{target} already exists; keygen never overwrites a key",
            "name a new file with -o (or move the old one away yourself first)",
        )


def _check_private(outcome: Outcome) -> None:
    """The private key must pass its own checks first: openssl would ask for an encrypted key's
    passphrase, and cannot read the OpenSSH format."""
    private = outcome.options.private_key
    report = checks.check_pair(private, None, strict=False)
    if not report.ok:
        outcome.report = report
        first = report.failed[0]
        raise ChecksFailed(f"{private} cannot be used: {first.name}: {first.summary}", first.fix)


def _run(outcome: Outcome, environ: Mapping[str, str]) -> None:
    options = outcome.options
    target = options.target
    _refuse_taken(target)
    check_dir(target.parent, create=False)
    _check_private(outcome)
    outcome.choice = choose_openssl(outcome.host)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=target.parent.absolute()))
    try:
        staged = _write(outcome, staging, target.name, environ)
        _check_and_publish(outcome, staged, target)
    finally:
        with interrupt.deferred():
            shutil.rmtree(staging, ignore_errors=True)
            if os.path.lexists(staging):
                outcome.warnings.append(f"the staging directory {staging} could not be removed: delete it when you can")


def _write(outcome: Outcome, staging: Path, name: str, environ: Mapping[str, str]) -> Path:
    choice = outcome.choice
    assert choice is not None
    step = the_step(outcome.options.private_key, name)
    ran = Choice(choice.recipe._replace(steps=(step,)), choice.executable, choice.tool, choice.reason)
    Runner(ran, staging, DEFAULT_TIMEOUT_S, dict(environ), None, False, outcome.steps).run_all()
    return staging / name


def _check_and_publish(outcome: Outcome, staged: Path, target: Path) -> None:
    names = checks.Names(str(outcome.options.private_key), str(target))
    report = checks.check_pair(outcome.options.private_key, staged, strict=False, validate_rsa=False, names=names)
    if not report.ok:
        outcome.report = nothing_to_fix(report)
        first = report.failed[0]
        raise ChecksFailed(
            f"the public key openssl wrote failed its checks, so nothing was published: {first.name}: {first.summary}",
            "nothing was kept; run keygen verify on the private key, and keygen doctor for this machine's openssl",
        )
    outcome.report = report
    os.chmod(staged, 0o644 & ~_umask())
    _fsync(staged)
    interrupt.ignore()  # the point of no return, as in generate
    try:
        link_or_rename(staged, target)
    except FileExistsError:
        _refuse_taken(target)
        raise
    fsync_dir(target.parent)
    st = os.lstat(target)
    mode = f"{stat.S_IMODE(st.st_mode):04o}" if os.name == "posix" else None
    outcome.published = PublishedFile(str(target), mode, st.st_size)



#: Facts that describe the screen, not the run: not recorded.
_NOT_RECORDED = ("audit_log",)


def record(outcome: Outcome, environ: Mapping[str, str]) -> None:
    """One audit record, shaped as generate's: when, who, where, the tools' environment, the facts."""
    host = outcome.host
    entry = {
        "time": outcome.started_at,
        "user": host.user,
        "host": host.hostname,
        "env": {k: environ[k] for k in TOOL_ENV_VARS if k in environ},
        "result": "ok" if outcome.error is None else outcome.error.kind,
        **{k: v for k, v in outcome.envelope().items() if k not in _NOT_RECORDED},
    }
    try:
        outcome.audit_path = audit.record(outcome.options.audit_log, entry, environ)
    except OSError as exc:
        path = audit.resolve(outcome.options.audit_log, environ)
        why = exc.strerror or exc
        outcome.warnings.append(f"the audit log {path} could not be written ({why}); the key is unaffected")

