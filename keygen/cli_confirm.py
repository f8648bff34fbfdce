"""The `keygen confirm` Typer command: parse, call keygen.confirm, render. Registered on cli.app."""

# No `from __future__ import annotations` here: with it, Typer 0.23 on Python 3.9 cannot see the
# Annotated metadata and silently turns every option into a default one (`--environment`, `--as-json`).
import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from keygen.cli import Region, _environment, _err, _out, app, fail
from keygen.sdk_config import Sdk


class Algorithm(str, enum.Enum):
    v1 = "v1"
    v2 = "v2"
    both = "both"


@app.command()
def confirm(
    public_key_id: Annotated[
        Optional[str],
        typer.Option("--public-key-id", help="The ID to confirm (default: the one exchange recorded for this key)."),
    ] = None,
    private_key: Annotated[
        Path, typer.Option("--private-key", readable=False, help="The private key that signs.")
    ] = Path("privateKey.pem"),
    region: Annotated[
        Optional[Region], typer.Option("--region", help="The ID's region (default: as recorded).")
    ] = None,
    environment: Annotated[
        Optional[bool],
        typer.Option("--sandbox/--live", help="For an ID without a SANDBOX-/LIVE- prefix: which environment."),
    ] = None,
    algorithm: Annotated[
        Algorithm, typer.Option("--algorithm", help="v2 (AMZN-PAY-RSASSA-PSS-V2), v1 (AMZN-PAY-RSASSA-PSS) or both.")
    ] = Algorithm.v2,
    endpoint: Annotated[
        Optional[str],
        typer.Option("--endpoint", help="API base URL (default: the region's; also KEYGEN_AMAZON_PAY_ENDPOINT)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the connection and for each read.")
    ] = 20.0,
    sdk: Annotated[
        Optional[list[Sdk]],
        typer.Option("--sdk", help="On success, print this SDK's configuration block (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
    audit_log: Annotated[
        Optional[Path],
        typer.Option("--audit-log", readable=False, help="Audit log file to read the ID from and record in."),
    ] = None,
) -> None:
    """Send one signed read-only request to Amazon Pay: does this private key work with this Public Key ID?"""
    from keygen import confirm as confirm_mod
    from keygen import render_confirm

    options = confirm_mod.Options(
        private_key=private_key,
        public_key_id=public_key_id,
        region=region.value if region else None,
        environment=_environment(environment),
        algorithm=algorithm.value,
        endpoint=endpoint,
        timeout=timeout,
        audit_log=audit_log,
        sdks=tuple(s.value for s in sdk or ()),
    )
    outcome = confirm_mod.confirm(options)
    if as_json:
        from keygen.report import dumps

        _out(dumps(render_confirm.confirm_json(outcome)))
        raise typer.Exit(outcome.exit_code)
    text = render_confirm.confirm_text(outcome)
    if text:
        (_out if outcome.error is None else _err)(text)
    for warning in outcome.warnings:
        _err(f"keygen: warning: {warning}")
    if outcome.error:
        fail(outcome.error)
    raise typer.Exit(0)
