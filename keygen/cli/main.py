"""The process edge: argv in, exit code out, and every failure said one way.

Typer parses; this module makes whatever happens around it keep keygen's output contract:
usage errors (Click's included) are `keygen: error:` plus a hint, or one JSON object under
`--json`, exit 2; `--show-completion SHELL` and `--install-completion SHELL` honour SHELL; a
closed pipe is silent; a closed or full standard output is exit 7; a bug is one line, exit 70;
Ctrl-C or SIGTERM is `keygen: interrupted` (the envelope under `--json`), exit 130.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, Optional

from keygen import stream
from keygen.cli import COMMANDS
from keygen.errors import DirUnusable, ExitCode, Interrupted, KeygenError, OutputFailed, ToolMissing, UsageError

#: The shells Typer has completion scripts for.
COMPLETION_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
COMPLETION_FLAGS = ("--show-completion", "--install-completion")


def wants_json(argv: Sequence[str]) -> bool:
    return "--json" in argv[: argv.index("--")] if "--" in argv else "--json" in argv


def command_of(argv: Sequence[str]) -> str:
    """The subcommand named on the command line ("" when none is)."""
    return next((a for a in argv if a in COMMANDS), "")


def report(error: KeygenError, argv: Sequence[str]) -> int:
    """Say a failure that happened outside a command's own result (usage, completion, output)."""
    from keygen import render
    from keygen.result import Failure

    return render.emit(Failure(command_of(argv), error), as_json=wants_json(argv))


def usage_error(exc: Exception, argv: Sequence[str]) -> UsageError:
    """Click's usage error, in keygen's words: the message, and where the options are listed."""
    # The full path of the command that failed to parse (`keygen audit verify`), else the app's.
    where = getattr(getattr(exc, "ctx", None), "command_path", None) or "keygen"
    if type(exc).__name__ == "NoArgsIsHelpError" or not argv:
        return UsageError(
            "no command given", f"choose one of: {', '.join(COMMANDS)} (keygen --help says what each does)"
        )
    message = str(getattr(exc, "format_message", lambda: str(exc))()).rstrip(".")
    message = message[0].lower() + message[1:] if message[:1].isupper() else message
    return UsageError(message, f"`{where} --help` lists the options and arguments")


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


def run(argv: Sequence[str]) -> int:
    from keygen.cli.app import app

    try:
        if not argv and "_KEYGEN_COMPLETE" not in os.environ:  # completion requests come with no argv
            # Click's no_args_is_help is exit 0 (Click 8.1) or 2 with the help on stderr (8.2): one way here.
            return report(usage_error(Exception(), argv), argv)
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


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one command line; its exit code. Every way out passes through here."""
    args = list(sys.argv[1:] if argv is None else argv)
    stream.install()
    code = _guarded(args)
    # Every interrupt ends here, whatever it cut short: caught below, turned into Exit(130) by
    # Typer, or a command's interrupted result (`show` prints none): said once, the one way.
    return interrupted(args) if code == ExitCode.INTERRUPTED else code


def interrupted(argv: Sequence[str]) -> int:
    """Ctrl-C or SIGTERM, said the same way for every command: `keygen: interrupted` on standard
    error, or under `--json` the envelope with the error `interrupted`; exit 130."""
    if wants_json(argv):
        try:
            report(Interrupted("interrupted", "run the command again"), argv)
            return int(ExitCode.INTERRUPTED)
        except OutputFailed:  # a closed standard output: the exit code says it
            return int(ExitCode.INTERRUPTED)
        except Exception:  # noqa: BLE001, S110 - the renderer's import was what the interrupt cut in
            pass  # two (a half-imported module cannot be imported again): the plain line says it
    stream.err("keygen: interrupted")
    return int(ExitCode.INTERRUPTED)


def _guarded(args: list[str]) -> int:
    try:
        return run(args)
    except KeyboardInterrupt:
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
    stream.err(stream.printable(f"keygen: internal error: {type(exc).__name__}: {exc}"))
    stream.err("  hint: this is a bug in keygen; rerun with KEYGEN_DEBUG=1 for a traceback and report it")
    return int(ExitCode.INTERNAL)
