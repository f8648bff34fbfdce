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

from keygen.errors import DirUnusable, ExitCode, KeygenError, OutputFailed, ToolMissing, UsageError
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


def _current_shell() -> str:
    """The shell to complete for when none is named: the detected one, else $SHELL."""
    try:
        import shellingham

        name = str(shellingham.detect_shell()[0])
    except Exception:  # noqa: BLE001 - shellingham raises several kinds; all mean "unknown"
        name = os.path.basename(os.environ.get("SHELL", ""))
    if name not in COMPLETION_SHELLS:
        raise UsageError(
            f"cannot tell which shell to complete for (found {name or 'none'})",
            f"name it: keygen --show-completion SHELL, with SHELL one of {', '.join(COMPLETION_SHELLS)}",
        )
    return name


def _install_completion(shell: str, install: Any) -> int:
    try:
        _, path = install(shell=shell, prog_name="keygen", complete_var="_KEYGEN_COMPLETE")
    except FileNotFoundError:
        # PowerShell's profile path is asked of PowerShell itself.
        raise ToolMissing(
            f"{shell} was not found on PATH, so its profile (where completion goes) is unknown",
            f"install {shell}, or print the script with `keygen --show-completion {shell}` and add it yourself",
        ) from None
    except Exception as exc:  # noqa: BLE001 - writing start-up files can fail in several ways
        raise DirUnusable(
            f"could not install {shell} completion: {exc}",
            f"print the script with `keygen --show-completion {shell}` and add it to the shell's start-up file",
        ) from None
    stream.out(f"{shell} completion installed in {path}; it takes effect in a new shell")
    return 0


def completion(argv: Sequence[str]) -> Optional[int]:
    """`--show-completion [SHELL]` / `--install-completion [SHELL]`: Typer 0.28 ignores SHELL when
    it can detect the current shell, and fails in its own words when it cannot; keygen uses SHELL
    as given, else the detected shell, and says so in its own words when there is none."""
    if not argv or argv[0] not in COMPLETION_FLAGS or len(argv) > 2 or argv[1:2] == ["--help"]:
        return None
    shell = argv[1] if len(argv) == 2 else _current_shell()
    if shell not in COMPLETION_SHELLS:
        raise UsageError(f"no completion for the shell {shell!r}", f"use one of: {', '.join(COMPLETION_SHELLS)}")
    # typer.completion's own names (it is a public module; the functions live in a private one).
    from typer import completion as typer_completion

    names: dict[str, Any] = vars(typer_completion)
    names["completion_init"]()
    if argv[0] == "--install-completion":
        return _install_completion(shell, names["install"])
    stream.out(names["get_completion_script"](prog_name="keygen", complete_var="_KEYGEN_COMPLETE", shell=shell))
    return 0


def _click_error() -> type[Exception]:
    """Click's base exception, reached through Typer's public API (Typer vendors Click privately)."""
    import typer

    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def only_named(app: Any, argv: Sequence[str]) -> Any:
    """The app with just the command argv starts with: Typer builds a Click parser for every
    command it holds, and only one runs. Anything else (options first, no such command, shell
    completion) gets the whole app, so that Click answers as it always does."""
    from keygen.cli import COMMANDS

    name = argv[0] if argv else ""
    if name not in COMMANDS or "_KEYGEN_COMPLETE" in os.environ:
        return app
    import copy

    one = copy.copy(app)
    one.registered_commands = [
        c for c in app.registered_commands if (c.name or c.callback.__name__).replace("_", "-") == name
    ]
    one.registered_groups = [g for g in app.registered_groups if g.name == name]
    return one


#: The tools whose versions a command shows, asked before Typer is imported (see `_probe_early`).
_SHOWS_VERSIONS = {"plan": ("openssl",), "doctor": ("openssl", "ssh-keygen")}


def _probe_early(argv: Sequence[str]) -> None:
    """Start the processes a command will wait for, so that they answer while Python imports the
    rest of keygen (and Typer): plan and doctor print the tools' versions. An answer nobody asks
    for (e.g. `plan --method ssh-keygen`) is only waited for."""
    tools = _SHOWS_VERSIONS.get(argv[0] if argv else "")
    if tools and "--os" not in argv and "--help" not in argv:
        from keygen.host import probe_early

        probe_early(tools)


def run(argv: Sequence[str]) -> int:
    from keygen import shortcut

    _probe_early(argv)
    # The common command lines need no parser but their own words (keygen.shortcut).
    code = shortcut.run(argv)
    if code is not None:
        return code
    from keygen.cli import app

    try:
        if not argv and "_KEYGEN_COMPLETE" not in os.environ:  # completion requests come with no argv
            # Click's no_args_is_help is exit 0 (Click 8.1) or 2 with the help on stderr (8.2): one way here.
            return report(usage_error(Exception(), argv), argv)
        handled = completion(argv)
        if handled is not None:
            return handled
        import typer.main

        code = typer.main.get_command(only_named(app, argv)).main(list(argv), prog_name="keygen", standalone_mode=False)
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
