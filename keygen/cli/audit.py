"""`keygen audit` and its subcommands, `verify` and `show`: parse, call the core, hand the result
to the renderer.

`audit` is a group that runs its own callback when no subcommand follows, so `keygen audit
--last 2` still lists the records as it did before `verify` and `show` existed.
"""

# No `from __future__ import annotations` here: Typer before 0.24 (the newest on Python 3.9) reads
# the parameters' Annotated metadata only from evaluated annotations, not from strings.
from pathlib import Path
from typing import Annotated, Optional

import typer

from keygen.cli.common import JsonFlag, choice, show

audit_app = typer.Typer(
    name="audit",
    help="Show the audit log: what ran, when, where, and what came of it; `verify` and `show` below.",
    invoke_without_command=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: The shells `keygen audit show --script` writes for.
SCRIPT_SHELLS = ("posix", "cmd", "powershell")

#: One meaning per option name: `--audit-log FILE` names the log everywhere; `keygen audit --path`
#: prints where it is.
LogPath = Annotated[Optional[Path], typer.Option("--audit-log", readable=False, help="Audit log file to read.")]


@audit_app.callback()
def audit_cmd(
    ctx: typer.Context,
    last: Annotated[Optional[int], typer.Option("--last", min=1, help="Show only the last N records and keys.")] = None,
    as_json: JsonFlag = False,
    path: Annotated[bool, typer.Option("--path", help="Print the audit log's path and exit.")] = False,
    audit_log: LogPath = None,
) -> None:
    """Show the audit log: what ran, when, where, and what came of it."""
    from keygen.audit import log
    from keygen.commands import audit

    ctx.obj = audit_log  # `keygen audit --audit-log P verify` reads P too
    if ctx.invoked_subcommand is not None:
        return
    if last or path:
        show(audit.listing(log.resolve(audit_log), last, path_only=path), as_json=as_json)
        return
    with audit.whole_listing(log.resolve(audit_log)) as listing:  # the files stay open while it prints
        show(listing, as_json=as_json)


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
    from keygen.audit import log
    from keygen.commands import audit

    show(audit.verify(log.resolve(log_path or ctx.obj), anchor), as_json=as_json)


@audit_app.command("show")
def audit_show_cmd(
    ctx: typer.Context,
    which: Annotated[str, typer.Argument(metavar="N|last", help="A record's seq (keygen audit --json), or last.")],
    script: Annotated[
        Optional[str],
        typer.Option(
            "--script",
            **choice(SCRIPT_SHELLS),
            help="Print a script that repeats the record's documented steps in this shell.",
        ),
    ] = None,
    as_json: JsonFlag = False,
    log_path: LogPath = None,
) -> None:
    """One record in full, or (--script) a script that makes a new pair by the same documented steps."""
    from keygen.audit import log
    from keygen.commands import audit

    show(audit.show(log.resolve(log_path or ctx.obj), which, script), as_json=as_json)
