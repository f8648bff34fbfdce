"""Typer commands: parse, call the core, hand the result to the renderer. Nothing else lives here.

The choices of `--os`, `--shell`, `--method` and `--region` come from `keygen.platforms` and
`keygen.amazon_pay`; the process edge (usage errors, output failures, completion) is `keygen.edge`.
No `from __future__ import annotations` here: Typer 0.23 on Python 3.9 drops the `Annotated`
metadata of string annotations (options would lose their names and checks).
"""

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from keygen import platforms
from keygen.amazon_pay import REGIONS
from keygen.platforms import METHODS, OSES, SDKS, SHELLS

if TYPE_CHECKING:
    from keygen.result import Result

#: The commands, in the order `keygen --help` lists them.
COMMANDS = ("generate", "verify", "exchange", "confirm", "plan", "doctor", "audit")

app = typer.Typer(
    name="keygen",
    help="Make the Amazon Pay RSA-2048 key pair with the documented commands, exactly, and prove it is right.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def choice(values: Sequence[str]) -> dict[str, Any]:
    """An option that takes one of `values` (from the one table), checked and completed by Typer.
    A repeatable option (a list) has each of its values checked."""

    def check(value: Any) -> Any:
        for one in value if isinstance(value, (list, tuple)) else [value]:
            if one is not None and one not in values:
                raise typer.BadParameter(f"{one!r} is not one of: {', '.join(values)}")
        return value

    def complete(incomplete: str) -> list[str]:
        return [v for v in values if v.startswith(incomplete)]

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
AuditLogOption = Annotated[
    Optional[Path],
    typer.Option(
        "--audit-log",
        readable=False,
        help="Audit log file (default: KEYGEN_AUDIT_LOG, else the user log directory).",
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

    raise typer.Exit(render.emit(result, as_json=as_json, verbose=verbose))


def _version_callback(value: bool) -> None:
    if value:
        from keygen.edge import version

        raise typer.Exit(version())


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version_callback, is_eager=True)
    ] = False,
) -> None:
    """keygen: the Amazon Pay key pair, made by the documented commands and checked."""


@app.command()
def generate(
    out_dir: Annotated[
        Path, typer.Option("--out-dir", readable=False, help="Directory for privateKey.pem and publicKey.pub.")
    ] = Path("."),
    region: RegionOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Move existing key files aside to timestamped backups.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; run and write nothing.")] = False,
    as_json: JsonFlag = False,
    audit_log: AuditLogOption = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds each documented command may take.")] = 120.0,
    method: MethodOption = "auto",
    literal: Annotated[
        bool, typer.Option("--literal", help="Type each documented line into a real shell, `>` and all.")
    ] = False,
    shell: ShellOption = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", help="Let ssh-keygen ask for a passphrase on this terminal.")
    ] = False,
    verbose: VerboseFlag = False,
) -> None:
    """Run the documented commands, check the pair, and publish it only when every check passes."""
    from keygen import generate as generate_mod
    from keygen import render

    chosen = platforms.method(method)
    options = generate_mod.Options(
        out_dir, region, force, dry_run, timeout, audit_log, chosen, literal, shell, interactive
    )
    show(generate_mod.command(options, progress=render.progress(as_json)), as_json=as_json, verbose=verbose)


@app.command()
def verify(
    private_key: Annotated[
        Optional[Path],
        typer.Argument(
            readable=False, help="Private key file (default: privateKey.pem; with --public-only: the public key file)."
        ),
    ] = None,
    public_key: Annotated[
        Optional[Path], typer.Argument(readable=False, help="Public key file (default: publicKey.pub).")
    ] = None,
    private_only: Annotated[bool, typer.Option("--private-only", help="Check only the private key.")] = False,
    public_only: Annotated[
        bool, typer.Option("--public-only", help="Check only a public key (the one file given).")
    ] = False,
    as_json: JsonFlag = False,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix", help="Rewrite a public key's encoding as plain ASCII (keeps a backup). Never a private key."
        ),
    ] = False,
    second_opinion: Annotated[
        bool, typer.Option("--second-opinion/--no-second-opinion", help="Also ask the system's openssl and ssh-keygen.")
    ] = True,
    verbose: VerboseFlag = False,
) -> None:
    """Check a key pair from anywhere: each finding named, with the fix. Exit 0 ok, 1 failed, 2 usage."""
    from keygen import verify as verify_mod

    result = verify_mod.command(
        private_key,
        public_key,
        private_only=private_only,
        public_only=public_only,
        fix=fix,
        second_opinion=second_opinion,
    )
    show(result, as_json=as_json, verbose=verbose)


@app.command()
def exchange(
    region: RegionOption = None,
    public_key: Annotated[
        Path, typer.Option("--public-key", readable=False, help="The public key to exchange.")
    ] = Path("publicKey.pub"),
    public_key_id: Annotated[
        Optional[str],
        typer.Option(
            "--public-key-id", help="The ID Integration Central gave: recorded in the audit log with the key."
        ),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the region's Integration Central in the browser.")
    ] = False,
    as_json: JsonFlag = False,
    audit_log: AuditLogOption = None,
    sdk: Annotated[
        Optional[list[str]],
        typer.Option("--sdk", **choice(SDKS), help="Print this SDK's configuration block (repeatable)."),
    ] = None,
    private_key: Annotated[
        Optional[Path],
        typer.Option(
            "--private-key",
            readable=False,
            help="The private key the SDK blocks name (default: privateKey.pem beside the key).",
        ),
    ] = None,
    environment: EnvironmentOption = None,
) -> None:
    """Print the public key ready to paste and the Integration Central steps; record the Public Key ID."""
    from keygen import exchange as exchange_mod

    options = exchange_mod.Options(
        public_key,
        region,
        public_key_id,
        open_browser,
        audit_log,
        sdks=tuple(sdk or ()),
        private_key=private_key,
        environment=environment_name(environment),
    )
    show(exchange_mod.exchange(options), as_json=as_json)


@app.command("plan")
def plan_cmd(
    os_name: Annotated[
        Optional[str], typer.Option("--os", **choice(OSES), help="Describe a typical machine with this OS instead.")
    ] = None,
    shell: ShellOption = None,
    method: MethodOption = "auto",
    as_json: JsonFlag = False,
) -> None:
    """Show the documented commands generate would run, as typed in the shell, and why this method."""
    from keygen import plan

    chosen = platforms.method(method)
    show(plan.command(os_name, shell, chosen), as_json=as_json)


@app.command("doctor")
def doctor_cmd(method: MethodOption = "auto", as_json: JsonFlag = False) -> None:
    """Check this machine: OS, shell, tools and versions, what generate would do, and each problem's fix."""
    from keygen import doctor

    chosen = platforms.method(method)
    show(doctor.command(chosen), as_json=as_json)


# The commands kept in modules of their own: `confirm` registers itself on `app`; `audit` is a group.
from keygen import cli_confirm  # noqa: E402, F401
from keygen.cli_audit import audit_app  # noqa: E402

app.add_typer(audit_app, name="audit")
