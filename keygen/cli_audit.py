"""`keygen audit` and its subcommands, `verify` and `show`: parse, call the core, render.

`audit` is a group that runs its own callback when no subcommand follows, so `keygen audit
--last 2` still lists the records as it did before `verify` and `show` existed.
"""

# No `from __future__ import annotations` here: Typer before 0.24 (the newest on Python 3.9) reads
# the parameters' Annotated metadata only from evaluated annotations, not from strings.
import enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

audit_app = typer.Typer(
    name="audit",
    help="Show the audit log: what ran, when, where, and what came of it; `verify` and `show` below.",
    invoke_without_command=True,
    rich_markup_mode=None,
)


class ScriptShell(str, enum.Enum):
    posix = "posix"
    cmd = "cmd"
    powershell = "powershell"


JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
LogPath = Annotated[
    Optional[Path], typer.Option("--path", "--audit-log", readable=False, help="Audit log file to read.")
]


@audit_app.callback()
def audit_cmd(
    ctx: typer.Context,
    last: Annotated[Optional[int], typer.Option("--last", min=1, help="Show only the last N records.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    path: Annotated[bool, typer.Option("--path", help="Print the audit log's path and exit.")] = False,
    audit_log: Annotated[
        Optional[Path], typer.Option("--audit-log", readable=False, help="Audit log file to read.")
    ] = None,
) -> None:
    """Show the audit log: what ran, when, where, and what came of it."""
    from keygen import audit, report
    from keygen.cli import _err, _out, fail
    from keygen.errors import KeygenError

    ctx.obj = audit_log  # `keygen audit --audit-log P verify` reads P too
    if ctx.invoked_subcommand is not None:
        return
    log = audit.resolve(audit_log)
    if path:
        _out(str(log))
        raise typer.Exit(0)
    records: list[dict[str, Any]] = []
    problems: list[audit.Problem] = []
    try:
        records, problems = audit.read_if_there(log)
    except KeygenError as exc:
        fail(exc, as_json=as_json, command="audit")
    if as_json:
        _out(report.dumps(report.audit_json(log, records, problems, last)))
    else:
        _out(report.audit_text(log, records, last))
        for p in problems:
            _err(f"keygen: warning: {p.file or log} line {p.line_no} skipped: {p.reason}")
    raise typer.Exit(0)


@audit_app.command("verify")
def audit_verify_cmd(
    ctx: typer.Context,
    log_path: LogPath = None,
    as_json: JsonFlag = False,
    anchor: Annotated[
        Optional[str],
        typer.Option("--anchor", help="A head hash printed earlier: prove the log still holds that record."),
    ] = None,
) -> None:
    """Walk the hash chain across every file of the log; exit 0 whole, 1 at the first break (named)."""
    from keygen import audit, audit_verify
    from keygen.cli import _out, fail
    from keygen.report import dumps

    verdict = audit_verify.verify(audit.resolve(log_path or ctx.obj), anchor)
    if as_json:
        _out(dumps(audit_verify.as_json(verdict)))
    else:
        text = audit_verify.render_text(verdict)
        if text:
            _out(text)
        if verdict.error:
            fail(verdict.error)
    raise typer.Exit(verdict.exit_code)


@audit_app.command("show")
def audit_show_cmd(
    ctx: typer.Context,
    which: Annotated[str, typer.Argument(metavar="N|last", help="A record's seq (keygen audit --json), or last.")],
    script: Annotated[
        Optional[ScriptShell],
        typer.Option("--script", help="Print a script that repeats the record's documented steps in this shell."),
    ] = None,
    as_json: JsonFlag = False,
    log_path: LogPath = None,
) -> None:
    """One record in full, or (--script) a script that makes a new pair by the same documented steps."""
    from keygen import audit, audit_replay
    from keygen.cli import _err, _out, _out_bytes, fail
    from keygen.report import dumps

    shown = audit_replay.show(audit.resolve(log_path or ctx.obj), which, script.value if script else None)
    if as_json:
        _out(dumps(audit_replay.as_json(shown)))
        raise typer.Exit(shown.exit_code)
    for warning in shown.warnings:
        _err(f"keygen: warning: {warning}")
    if shown.error:
        fail(shown.error)
    if shown.script is not None:
        _out_bytes(shown.script.encode("ascii", "replace"))
    else:
        _out(dumps(shown.record))
    raise typer.Exit(0)
