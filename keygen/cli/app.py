"""The Typer app: each command parses, calls its core in `keygen.commands`, and hands the result
to the renderer. Nothing else lives here.

The choices of `--os`, `--shell`, `--method` and `--region` come from `keygen.host.platforms` and
`keygen.amazon_pay`; the process edge (usage errors, output failures, completion) is `keygen.cli.main`.
No `from __future__ import annotations` here: Typer on Python 3.9 drops the `Annotated`
metadata of string annotations (options would lose their names and checks).
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from keygen.cli import audit, confirm, lifecycle
from keygen.cli.common import (
    AuditLogOption,
    EnvironmentOption,
    JsonFlag,
    MethodOption,
    RegionOption,
    ShellOption,
    VerboseFlag,
    choice,
    environment_name,
    show,
    version_option,
)
from keygen.host import platforms
from keygen.host.platforms import OSES, SDKS

#: The commands, in the order `keygen --help` lists them.

app = typer.Typer(
    name="keygen",
    help="Make the Amazon Pay RSA-2048 key pair with the documented commands, exactly, and prove it is right.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # -h as well as --help, for every command (Click hands the setting down to each subcommand).
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=version_option, is_eager=True)
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
    replace_key_in_use: Annotated[
        bool, typer.Option("--replace-key-in-use", help="With --force: replace a pair whose Public Key ID is in use.")
    ] = False,
) -> None:
    """Run the documented commands, check the pair, and publish it only when every check passes."""
    from keygen import render
    from keygen.commands import generate as generate_mod

    chosen = platforms.method(method)
    options = generate_mod.Options(
        out_dir, region, force, dry_run, timeout, audit_log, chosen, literal, shell, interactive, replace_key_in_use
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
    from keygen.commands import verify as verify_mod

    result = verify_mod.command(
        private_key,
        public_key,
        private_only=private_only,
        public_only=public_only,
        fix=fix,
        second_opinion=second_opinion,
    )
    show(result, as_json=as_json, verbose=verbose)


@app.command("public-key")
def public_key_cmd(
    private_key: Annotated[
        Path, typer.Argument(readable=False, help="The private key (default: privateKey.pem).")
    ] = Path("privateKey.pem"),
    out: Annotated[
        Optional[Path],
        typer.Option("-o", "--out", readable=False, help="The new file (default: publicKey.pub beside the key)."),
    ] = None,
    as_json: JsonFlag = False,
    audit_log: AuditLogOption = None,
    verbose: VerboseFlag = False,
) -> None:
    """Write the public key from a private key (the documented `openssl rsa -in PRIV -pubout`), never over a file."""
    from keygen.commands import public_key as public_key_mod

    result = public_key_mod.command(public_key_mod.Options(private_key, out, audit_log))
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
    name: Annotated[
        Optional[str], typer.Option("--name", help="The name the keys got in Integration Central (recorded).")
    ] = None,
) -> None:
    """Print the public key ready to paste and the Integration Central steps; record the Public Key ID."""
    from keygen.commands import exchange as exchange_mod

    options = exchange_mod.Options(
        public_key,
        region,
        public_key_id,
        open_browser,
        audit_log,
        sdks=tuple(sdk or ()),
        private_key=private_key,
        environment=environment_name(environment),
        name=name,
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
    from keygen.commands import plan

    chosen = platforms.method(method)
    show(plan.command(os_name, shell, chosen), as_json=as_json)


@app.command("doctor")
def doctor_cmd(method: MethodOption = "auto", as_json: JsonFlag = False) -> None:
    """Check this machine: OS, shell, tools and versions, what generate would do, and each problem's fix."""
    from keygen.commands import doctor

    chosen = platforms.method(method)
    show(doctor.command(chosen), as_json=as_json)


# The commands kept in modules of their own: `confirm`, the `audit` group, `keys`, `rotate`, `retire`.
app.command()(confirm.confirm)
app.add_typer(audit.audit_app, name="audit")
app.command()(lifecycle.keys)
app.command()(lifecycle.rotate)
app.command()(lifecycle.retire)
