"""The process edge: argv in, exit code out, and every failure said one way.

Typer parses; this module makes whatever happens around it keep keygen's output contract:
usage errors (Click's included) are `keygen: error:` plus a hint, or one JSON object under
`--json`, exit 2; `--show-completion SHELL` and `--install-completion SHELL` honour SHELL; a
closed pipe is silent; a closed or full standard output is exit 7; a bug is one line, exit 70.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, Optional

from keygen.errors import ExitCode, KeygenError, OutputFailed, UsageError
from keygen.render import stream

#: The shells Typer has completion scripts for.
COMPLETION_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
COMPLETION_FLAGS = ("--show-completion", "--install-completion")


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def wants_json(argv: Sequence[str]) -> bool:
    return "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv


def command_of(argv: Sequence[str]) -> str:
    """The subcommand named on the command line ("" when none is)."""
    from keygen.cli import COMMANDS

    return next((a for a in argv if a in COMMANDS), "")


def report(error: KeygenError, argv: Sequence[str]) -> int:
    """Say a failure that happened outside a command's own result (usage, completion, output)."""
    from keygen import render
    from keygen.result import Failure

    return render.emit(Failure(command_of(argv), error), as_json=wants_json(argv))


def usage_error(exc: Exception, argv: Sequence[str]) -> UsageError:
    """Click's usage error, in keygen's words: the message, and where the options are listed."""
    ctx = getattr(exc, "ctx", None)
    command = getattr(getattr(ctx, "command", None), "name", None)
    if type(exc).__name__ == "NoArgsIsHelpError" or not argv:
        from keygen.cli import COMMANDS

        return UsageError(
            "no command given", f"choose one of: {', '.join(COMMANDS)} (keygen --help says what each does)"
        )
    message = str(getattr(exc, "format_message", lambda: str(exc))()).rstrip(".")
    message = message[0].lower() + message[1:] if message[:1].isupper() else message
    where = f"keygen {command} --help" if command and command != "keygen" else "keygen --help"
    return UsageError(message, f"`{where}` lists the options and arguments")


def completion(argv: Sequence[str]) -> Optional[int]:
    """`--show-completion SHELL` / `--install-completion SHELL`: Typer ignores SHELL when it can
    detect the current shell (0.28), and fails when it cannot; keygen uses SHELL as given."""
    if len(argv) != 2 or argv[0] not in COMPLETION_FLAGS or argv[1].startswith("-"):
        return None
    shell = argv[1]
    if shell not in COMPLETION_SHELLS:
        raise UsageError(f"no completion for the shell {shell!r}", f"use one of: {', '.join(COMPLETION_SHELLS)}")
    # typer.completion's own names (it is a public module; the functions live in a private one).
    from typer import completion as typer_completion

    names: dict[str, Any] = vars(typer_completion)
    init, script_of, install = names["completion_init"], names["get_completion_script"], names["install"]
    init()
    if argv[0] == "--show-completion":
        script = script_of(prog_name="keygen", complete_var="_KEYGEN_COMPLETE", shell=shell)
        stream.out(script)
        return 0
    try:
        _, path = install(shell=shell, prog_name="keygen", complete_var="_KEYGEN_COMPLETE")
    except Exception as exc:  # noqa: BLE001 - PowerShell's profile is found by running it
        from keygen.errors import DirUnusable

        raise DirUnusable(
            f"could not install {shell} completion: {exc}",
            f"print the script with `keygen --show-completion {shell}` and add it to the shell's start-up file",
        ) from None
    stream.out(f"{shell} completion installed in {path}; it takes effect in a new shell")
    return 0


def _click_error() -> type[Exception]:
    """Click's base exception, reached through Typer's public API (Typer vendors Click privately)."""
    import typer

    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def run(argv: Sequence[str]) -> int:
    from keygen.cli import app

    try:
        handled = completion(argv)
        if handled is not None:
            return handled
        import typer.main

        code = typer.main.get_command(app).main(list(argv), prog_name="keygen", standalone_mode=False)
    except KeygenError:
        raise
    except Exception as exc:
        if isinstance(exc, _click_error()):
            return report(usage_error(exc, argv), argv)
        if type(exc).__name__ == "Abort":
            raise KeyboardInterrupt from None
        raise
    return int(code) if isinstance(code, int) else 0


def main(argv: Optional[Sequence[str]] = None) -> None:
    stream.install()
    args = list(sys.argv[1:] if argv is None else argv)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    sys.exit(_guarded(args))


def _guarded(args: list[str]) -> int:
    try:
        return run(args)
    except KeyboardInterrupt:
        stream.err("keygen: interrupted")
        return int(ExitCode.INTERRUPTED)
    except OutputFailed as exc:
        return stream.report_output_failure(exc)
    except KeygenError as exc:
        try:
            return report(exc, args)
        except OutputFailed as failed:
            return stream.report_output_failure(failed)
    except Exception as exc:
        if os.environ.get("KEYGEN_DEBUG"):
            raise
        return _bug(exc)


def _bug(exc: BaseException) -> int:
    stream.err(f"keygen: internal error: {type(exc).__name__}: {exc}")
    stream.err("  hint: this is a bug in keygen; rerun with KEYGEN_DEBUG=1 for a traceback and report it")
    return int(ExitCode.INTERNAL)


def version() -> None:
    """`keygen --version`, answered before Typer is imported (scripts and CI images probe it most)."""
    from keygen import __version__

    stream.install()
    try:
        stream.out(f"keygen {__version__}")
    except OutputFailed as exc:
        sys.exit(stream.report_output_failure(exc))
    sys.exit(0)
