"""What every command module of the CLI shares: choices, the common options, and the hand-over
to the renderer (`show`).

No `from __future__ import annotations` here: Typer on Python 3.9 drops the `Annotated`
metadata of string annotations (options would lose their names and checks).
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from keygen.amazon_pay import REGIONS
from keygen.errors import ExitCode
from keygen.host.platforms import METHODS, SHELLS

if TYPE_CHECKING:
    from keygen.result import Result


def choice(values: Sequence[str]) -> dict[str, Any]:
    """An option that takes one of `values` (from the one table), checked and completed by Typer.
    Any case is taken (`--region EU`) and becomes the table's own spelling; a repeatable option
    (a list) has each of its values checked."""
    by_folded = {v.casefold(): v for v in values}

    def one(value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        if value.casefold() not in by_folded:
            raise typer.BadParameter(f"{value!r} is not one of: {', '.join(values)}")
        return by_folded[value.casefold()]

    def check(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [one(v) for v in value]
        return one(value)

    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete.casefold())]

    return {"callback": check, "autocompletion": complete, "metavar": "|".join(values)}


JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
VerboseFlag = Annotated[bool, typer.Option("-v", "--verbose", help="Show every command run, and every check.")]
RegionOption = Annotated[
    Optional[str], typer.Option("--region", **choice(tuple(REGIONS)), help="Integration Central region.")
]
MethodOption = Annotated[
    str,
    typer.Option(
        "--method", **choice(METHODS), help="Which documented path: auto picks the one for this OS and shell."
    ),
]
ShellOption = Annotated[
    Optional[str],
    typer.Option("--shell", **choice(SHELLS), help="The shell the lines are typed into (default: detected)."),
]


def audit_log_usable(ctx: typer.Context, value: Optional[Path]) -> Optional[Path]:
    """A command that writes the audit log refuses (exit 14), before it does any work, a log path that
    is a FIFO, a device, a socket, a directory or a link (keygen.audit.log.usable)."""
    if not ctx.resilient_parsing:
        from keygen.audit import log

        log.usable(value)
    return value


AuditLogOption = Annotated[
    Optional[Path],
    typer.Option(
        "--audit-log",
        readable=False,
        callback=audit_log_usable,
        help="Audit log file (default: KEYGEN_AUDIT_LOG, else the user log directory; `off`: no log).",
    ),
]


EnvironmentOption = Annotated[
    Optional[bool],
    typer.Option("--sandbox/--live", help="For an ID without a SANDBOX-/LIVE- prefix: which environment."),
]


def environment_name(sandbox: Optional[bool]) -> Optional[str]:
    return None if sandbox is None else ("sandbox" if sandbox else "live")


def show(result: "Result", *, as_json: bool = False, verbose: bool = False) -> None:
    from keygen import render

    if result.exit_code == ExitCode.INTERRUPTED:
        # An interrupted command is said by the process edge, the same way as every interrupt
        # (keygen.cli.main.interrupted); its details are in the audit record.
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    raise typer.Exit(render.emit(result, as_json=as_json, verbose=verbose))


def version_option(value: bool) -> None:
    if value:
        from keygen.cli.version import version

        raise typer.Exit(version())
