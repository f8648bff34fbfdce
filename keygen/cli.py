"""Typer commands: parse, call the core, render. Nothing else lives here."""

from __future__ import annotations

import enum
import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional

import typer

from keygen import __version__
from keygen.errors import ExitCode, KeygenError, UsageError

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


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


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
) -> None:
    """Run the documented commands, check the pair, and publish it only when every check passes."""
    from keygen import host as host_mod
    from keygen import report
    from keygen.generate import Options
    from keygen.generate import generate as run_generate

    if not timeout > 0 or timeout != timeout:
        fail(
            UsageError(f"--timeout must be a positive number of seconds, not {timeout:g}", "for example --timeout 60"),
            as_json=as_json,
            command="generate",
        )
    host = host_mod.detect_host(tools=("openssl", "ssh-keygen"), versions=("openssl",))
    options = Options(
        out_dir=out_dir,
        region=region.value if region else None,
        force=force,
        dry_run=dry_run,
        timeout=timeout,
        audit_log=audit_log,
    )
    show_progress = not as_json and sys.stderr.isatty()
    outcome = run_generate(options, host, progress=_progress if show_progress else None)
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


@app.command("audit")
def audit_cmd(
    last: Optional[int] = typer.Option(None, "--last", min=1, help="Show only the last N records."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    path: bool = typer.Option(False, "--path", help="Print the audit log's path and exit."),
    audit_log: Optional[Path] = typer.Option(None, "--audit-log", help="Audit log file to read."),
) -> None:
    """Show the audit log: what ran, when, where, and what came of it."""
    from keygen import audit, report

    log = audit.resolve(audit_log)
    if path:
        _out(str(log))
        raise typer.Exit(0)
    if not log.exists():
        records: list[dict[str, Any]] = []
        problems: list[audit.Problem] = []
    else:
        try:
            records, problems = audit.read(log)
        except OSError as exc:
            fail(
                KeygenError(f"cannot read the audit log {log}: {exc.strerror}", "check its permissions"),
                as_json=as_json,
                command="audit",
            )
    shown = list(audit.iter_last(records, last))
    if as_json:
        _out(
            report.dumps(
                {"command": "audit", "path": str(log), "records": shown, "skipped": [vars(p) for p in problems]}
            )
        )
    else:
        if not records:
            _out(f"No records in {log}.")
        for r in shown:
            steps = "; ".join(s.get("line", "?") for s in r.get("steps", []) if isinstance(s, dict))
            _out(
                f"{r.get('time', '?')}  {r.get('command', '?')}  {r.get('result', '?')} (exit {r.get('exit_code')})  "
                f"{r.get('method', '?')}  {r.get('dir', '?')}  {r.get('fingerprint') or '-'}"
            )
            if steps:
                _out(f"    ran: {steps}")
        for p in problems:
            _err(f"keygen: warning: {log} line {p.line_no} skipped: {p.reason}")
    raise typer.Exit(0)


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # The one command people time in scripts: answer it without importing the CLI machinery.
    if sys.argv[1:] == ["--version"]:
        _out(f"keygen {__version__}")
        return
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
