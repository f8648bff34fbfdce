"""Typer commands: parse, call the core, render. Nothing else lives here."""

from __future__ import annotations

import enum
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, Optional

import typer

from keygen import __version__, console
from keygen.cli_audit import audit_app
from keygen.errors import ExitCode, KeygenError, OutputFailed, UsageError
from keygen.sdk_config import Sdk

if TYPE_CHECKING:
    from keygen.plan import Method

app = typer.Typer(
    name="keygen",
    help="Make the Amazon Pay RSA-2048 key pair with the documented commands, exactly, and prove it is right.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Region(str, enum.Enum):
    us = "us"
    eu = "eu"
    jp = "jp"


class MethodName(str, enum.Enum):
    auto = "auto"
    openssl = "openssl"
    ssh_keygen = "ssh-keygen"
    git_bash = "git-bash"


class ShellName(str, enum.Enum):
    bash = "bash"
    zsh = "zsh"
    sh = "sh"
    dash = "dash"
    fish = "fish"
    cmd = "cmd"
    powershell = "powershell"
    pwsh = "pwsh"
    git_bash = "git-bash"


class OSChoice(str, enum.Enum):
    linux = "linux"
    macos = "macos"
    windows = "windows"


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _out(text: str) -> None:
    _emit(lambda: sys.stdout.write(text + "\n"))


def _out_bytes(data: bytes) -> None:
    """Exact bytes (a script's CRLF must not become CR CR LF in Windows' text-mode stdout)."""

    def write() -> None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)

    _emit(write)


def _emit(write: Callable[[], object]) -> None:
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`keygen audit | head -1`): stop writing; the command's own result
        # (and exit code) stands.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as exc:
        raise OutputFailed(
            f"cannot write to standard output: {exc.strerror or exc}",
            "check where the output goes (a full disk, a closed file); the command itself finished",
        ) from None


def fail(error: KeygenError, *, as_json: bool = False, command: str = "") -> NoReturn:
    """Report a failure as one line plus a hint (or one JSON object) and exit with its code."""
    if as_json:
        from keygen.report import dumps

        _out(dumps({"command": command, "ok": False, "exit_code": int(error.code), "error": error.as_dict()}))
    else:
        _err(f"keygen: error: {error.message}")
        if error.hint:
            _err(f"  hint: {error.hint}")
    raise typer.Exit(int(error.code))


def _progress(message: str) -> None:
    _err(f"keygen: {message}")


def _version_callback(value: bool) -> None:
    if value:
        _out(f"keygen {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version_callback, is_eager=True
    ),
) -> None:
    """keygen: the Amazon Pay key pair, made by the documented commands and checked."""


@app.command()
def generate(
    out_dir: Path = typer.Option(Path("."), "--out-dir", help="Directory for privateKey.pem and publicKey.pub."),
    region: Optional[Region] = typer.Option(None, "--region", help="Integration Central region for the next step."),
    force: bool = typer.Option(False, "--force", help="Move existing key files aside to timestamped backups."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; run and write nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    audit_log: Optional[Path] = typer.Option(
        None, "--audit-log", help="Audit log file (default: KEYGEN_AUDIT_LOG, else the user log directory)."
    ),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds each documented command may take."),
    method: MethodName = typer.Option(
        MethodName.auto, "--method", help="Which documented path: auto picks the one for this OS and shell."
    ),
    literal: bool = typer.Option(
        False, "--literal", help="Type each documented line into a real shell, `>` and all, instead of running argv."
    ),
    shell: Optional[ShellName] = typer.Option(
        None, "--shell", help="The shell you are in (default: detected); --literal types the lines into it."
    ),
    interactive: bool = typer.Option(
        False, "--interactive", help="Let ssh-keygen ask for a passphrase on this terminal, as the document does."
    ),
) -> None:
    """Run the documented commands, check the pair, and publish it only when every check passes."""
    from keygen import host as host_mod
    from keygen.generate import Options
    from keygen.generate import generate as run_generate

    if not timeout > 0 or timeout != timeout:
        fail(
            UsageError(f"--timeout must be a positive number of seconds, not {timeout:g}", "for example --timeout 60"),
            as_json=as_json,
            command="generate",
        )
    shell_name = shell.value if shell else None
    try:
        _check_shell(host_mod.current_os(), shell_name)
    except KeygenError as exc:
        fail(exc, as_json=as_json, command="generate")
    host = host_mod.detect_host(method=method.value, shell=shell_name)
    options = Options(
        out_dir=out_dir,
        region=region.value if region else None,
        force=force,
        dry_run=dry_run,
        timeout=timeout,
        audit_log=audit_log,
        method=_method(method),
        literal=literal,
        shell=shell_name,
        interactive=interactive,
    )
    show_progress = not as_json and sys.stderr.isatty()
    outcome = run_generate(options, host, progress=_progress if show_progress else None)
    from keygen import report  # already loaded by generate's warm-up thread while openssl worked

    if as_json:
        _out(report.dumps(report.generate_json(outcome)))
    else:
        text = report.generate_text(outcome)
        if text:
            (_out if outcome.error is None else _err)(text)
        for warning in outcome.warnings:
            _err(f"keygen: warning: {warning}")
        if outcome.error:
            fail(outcome.error)
    raise typer.Exit(outcome.exit_code)


@app.command()
def verify(
    private_key: Optional[Path] = typer.Argument(
        None, help="Private key file (default: privateKey.pem; with --public-only: the public key file)."
    ),
    public_key: Optional[Path] = typer.Argument(None, help="Public key file (default: publicKey.pub)."),
    private_only: bool = typer.Option(False, "--private-only", help="Check only the private key."),
    public_only: bool = typer.Option(False, "--public-only", help="Check only a public key (the one file given)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    fix: bool = typer.Option(
        False, "--fix", help="Rewrite a public key's encoding as plain ASCII (keeps a backup). Never a private key."
    ),
    second_opinion: bool = typer.Option(
        True, "--second-opinion/--no-second-opinion", help="Also ask the system's openssl and ssh-keygen."
    ),
) -> None:
    """Check a key pair from anywhere: each finding named, with the fix. Exit 0 ok, 1 failed, 2 usage."""
    from keygen import verify as verify_mod

    try:
        priv, pub, defaulted = verify_mod.resolve_targets(
            private_key, public_key, private_only=private_only, public_only=public_only
        )
    except KeygenError as exc:
        fail(exc, as_json=as_json, command="verify")
    options = verify_mod.Options(priv, pub, fix=fix, second_opinion=second_opinion, defaulted=defaulted)
    outcome = verify_mod.verify(options)
    if as_json:
        from keygen.report import dumps

        _out(dumps(verify_mod.as_json(outcome)))
    elif outcome.error:
        fail(outcome.error)
    else:
        _out(verify_mod.render_text(outcome))
    raise typer.Exit(outcome.exit_code)


@app.command()
def exchange(
    region: Optional[Region] = typer.Option(None, "--region", help="Integration Central region (default: all three)."),
    public_key: Path = typer.Option(Path("publicKey.pub"), "--public-key", help="The public key to exchange."),
    public_key_id: Optional[str] = typer.Option(
        None, "--public-key-id", help="The ID Integration Central gave: recorded in the audit log with the key."
    ),
    open_browser: bool = typer.Option(False, "--open", help="Open the region's Integration Central in the browser."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
    audit_log: Optional[Path] = typer.Option(None, "--audit-log", help="Audit log file to record the ID in."),
    sdk: list[Sdk] = typer.Option([], "--sdk", help="Print this SDK's configuration block (repeatable)."),
    private_key: Optional[Path] = typer.Option(
        None, "--private-key", help="The private key the SDK blocks name (default: privateKey.pem beside the key)."
    ),
    environment: Optional[bool] = typer.Option(None, "--sandbox/--live", help="For an ID without a prefix."),
) -> None:
    """Print the public key ready to paste and the Integration Central steps; record the Public Key ID."""
    from keygen import exchange as exchange_mod

    options = exchange_mod.Options(
        public_key=public_key,
        region=region.value if region else None,
        public_key_id=public_key_id,
        open_browser=open_browser,
        audit_log=audit_log,
        sdks=tuple(s.value for s in sdk),
        private_key=private_key,
        environment=_environment(environment),
    )
    outcome = exchange_mod.exchange(options)
    if as_json:
        from keygen.report import dumps

        _out(dumps(exchange_mod.as_json(outcome)))
        raise typer.Exit(outcome.exit_code)
    text = exchange_mod.render_text(outcome)
    if text:
        (_out if outcome.error is None else _err)(text)
    for warning in outcome.warnings:
        _err(f"keygen: warning: {warning}")
    if outcome.error:
        fail(outcome.error)
    raise typer.Exit(0)


def _environment(sandbox: Optional[bool]) -> Optional[str]:
    return None if sandbox is None else ("sandbox" if sandbox else "live")


def _method(method: MethodName) -> Method:
    from keygen.plan import METHODS

    return next(m for m in METHODS if m == method.value)


def _check_shell(os_name: str, shell: Optional[str]) -> None:
    from keygen.host import SHELLS_BY_OS, check_combination

    if os_name in SHELLS_BY_OS:
        check_combination(os_name, shell)


@app.command("plan")
def plan_cmd(
    os_name: Optional[OSChoice] = typer.Option(
        None, "--os", help="Describe a typical machine with this OS instead of looking at this one."
    ),
    shell: Optional[ShellName] = typer.Option(None, "--shell", help="The shell the lines are typed into."),
    method: MethodName = typer.Option(MethodName.auto, "--method", help="Which documented path."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Show the documented commands generate would run, as typed in the shell, and why this method."""
    from keygen import doctor
    from keygen import host as host_mod
    from keygen.report import dumps

    shell_name = shell.value if shell else None
    try:
        if os_name is not None:
            host = doctor.described_host(os_name.value, shell_name)
        else:
            _check_shell(host_mod.current_os(), shell_name)
            host = host_mod.detect_host(method=method.value, shell=shell_name)
    except KeygenError as exc:
        fail(exc, as_json=as_json, command="plan")
    plan = doctor.make_plan(host, _method(method), described=os_name is not None)
    if as_json:
        _out(dumps(doctor.plan_dict(plan)))
    else:
        _out(doctor.plan_text(plan))
        if plan.error:
            fail(plan.error)
    raise typer.Exit(plan.exit_code)


@app.command("doctor")
def doctor_cmd(
    method: MethodName = typer.Option(MethodName.auto, "--method", help="Which documented path to judge."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of text."),
) -> None:
    """Check this machine: OS, shell, tools and versions, what generate would do, and each problem's fix."""
    from keygen import doctor
    from keygen import host as host_mod
    from keygen.report import dumps

    # Doctor shows every tool's version, so it asks each one (generate asks only what it needs).
    host = host_mod.detect_host(versions=("openssl", "ssh-keygen"), method=method.value)
    result = doctor.diagnose(host, _method(method))
    if as_json:
        _out(dumps(doctor.doctor_dict(result)))
    else:
        (_out if result.exit_code == 0 else _err)(doctor.doctor_text(result))
    raise typer.Exit(result.exit_code)


app.add_typer(audit_app, name="audit")


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


from keygen import cli_confirm  # noqa: E402, F401 - registers `keygen confirm` on app


def main() -> None:
    console.fit_stdout()
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app(prog_name="keygen")
    except KeyboardInterrupt:
        _err("keygen: interrupted")
        sys.exit(int(ExitCode.INTERRUPTED))
    except KeygenError as exc:  # an error raised outside a command's own handling
        _err(f"keygen: error: {exc.message}")
        if exc.hint:
            _err(f"  hint: {exc.hint}")
        sys.exit(int(exc.code))
    except Exception as exc:
        if os.environ.get("KEYGEN_DEBUG"):
            raise
        _err(f"keygen: internal error: {type(exc).__name__}: {exc}")
        _err("  hint: this is a bug in keygen; rerun with KEYGEN_DEBUG=1 for a traceback and report it")
        sys.exit(int(ExitCode.INTERNAL))
