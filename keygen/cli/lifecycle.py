"""`keygen keys`, `keygen rotate` and `keygen retire`: a key's life after generate, from the audit
log. `keygen.cli.app` registers them."""

# No `from __future__ import annotations` here: Typer on Python 3.9 drops the `Annotated`
# metadata of string annotations (see keygen.cli.app).
from pathlib import Path
from typing import Annotated, Optional

import typer

from keygen.cli.common import AuditLogOption, JsonFlag, VerboseFlag, show


def keys(
    max_age: Annotated[
        Optional[float],
        typer.Option(
            "--max-age",
            metavar="DAYS",
            help="Exit 13 when a key in use is older than DAYS (default for the `due` state: 90).",
        ),
    ] = None,
    as_json: JsonFlag = False,
    audit_log: AuditLogOption = None,
    verbose: VerboseFlag = False,
) -> None:
    """Every key the audit log knows, newest first: its Public Key ID, name, age and state."""
    from keygen.commands import keys as keys_mod

    show(keys_mod.keys(audit_log, max_age), as_json=as_json, verbose=verbose)


def rotate(
    public_key_id: Annotated[
        Optional[str], typer.Option("--public-key-id", help="The key to replace (default: the one in use).")
    ] = None,
    out_dir: Annotated[
        Optional[Path],
        typer.Option("--out-dir", readable=False, help="Folder for the new pair (default: beside the old one)."),
    ] = None,
    as_json: JsonFlag = False,
    audit_log: AuditLogOption = None,
) -> None:
    """Replace a key step by step: new pair, new ID, confirm, switch, delete the old one. Resumable."""
    from keygen.commands import rotate as rotate_mod

    options = rotate_mod.Options(public_key_id, out_dir, audit_log)
    show(rotate_mod.rotate(options), as_json=as_json)


def retire(
    public_key_id: Annotated[str, typer.Argument(help="The Public Key ID deleted in Integration Central.")],
    force: Annotated[
        bool, typer.Option("--force", help="Retire it even without a confirmed key to replace it.")
    ] = False,
    as_json: JsonFlag = False,
    audit_log: AuditLogOption = None,
) -> None:
    """Record a Public Key ID deleted in Integration Central; its old pair moves to the backups folder."""
    from keygen.commands import rotate as rotate_mod

    show(rotate_mod.retire(public_key_id, audit_log=audit_log, force=force), as_json=as_json)
