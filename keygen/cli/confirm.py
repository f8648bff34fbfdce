"""The `keygen confirm` command: parse, call keygen.commands.confirm, hand the result to the
renderer. `keygen.cli.app` registers it."""

# No `from __future__ import annotations` here: with it, Typer 0.23 on Python 3.9 cannot see the
# Annotated metadata and silently turns every option into a default one (`--environment`, `--as-json`).
from pathlib import Path
from typing import Annotated, Optional

import typer

from keygen.amazon_pay import REGIONS
from keygen.cli.common import EnvironmentOption, JsonFlag, audit_log_usable, choice, environment_name, show
from keygen.host.platforms import SDKS

ALGORITHMS = ("v2", "v1", "both")


def confirm(
    public_key_id: Annotated[
        Optional[str],
        typer.Option("--public-key-id", help="The ID to confirm (default: the one exchange recorded for this key)."),
    ] = None,
    private_key: Annotated[
        Path, typer.Option("--private-key", readable=False, help="The private key that signs.")
    ] = Path("privateKey.pem"),
    region: Annotated[
        Optional[str],
        typer.Option("--region", **choice(tuple(REGIONS)), help="The ID's region (default: as recorded)."),
    ] = None,
    environment: EnvironmentOption = None,
    algorithm: Annotated[
        str,
        typer.Option(
            "--algorithm",
            **choice(ALGORITHMS),
            help="v2 (AMZN-PAY-RSASSA-PSS-V2), v1 (AMZN-PAY-RSASSA-PSS) or both.",
        ),
    ] = "v2",
    endpoint: Annotated[
        Optional[str],
        typer.Option("--endpoint", help="API base URL (default: the region's; also KEYGEN_AMAZON_PAY_ENDPOINT)."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="Seconds for the whole exchange: connect, send, every read (at most 600)."),
    ] = 20.0,
    sdk: Annotated[
        Optional[list[str]],
        typer.Option("--sdk", **choice(SDKS), help="On success, print this SDK's configuration block (repeatable)."),
    ] = None,
    as_json: JsonFlag = False,
    audit_log: Annotated[
        Optional[Path],
        typer.Option(
            "--audit-log",
            readable=False,
            callback=audit_log_usable,
            help="Audit log file to read the ID from and record in (`off`: no log).",
        ),
    ] = None,
) -> None:
    """Send one signed read-only request to Amazon Pay: does this private key work with this Public Key ID?"""
    from keygen.commands import confirm as confirm_mod
    from keygen.commands.confirm.outcome import Options

    options = Options(
        private_key=private_key,
        public_key_id=public_key_id,
        region=region,
        environment=environment_name(environment),
        algorithm=algorithm,
        endpoint=endpoint,
        timeout=timeout,
        audit_log=audit_log,
        sdks=tuple(sdk or ()),
    )
    show(confirm_mod.confirm(options), as_json=as_json)
