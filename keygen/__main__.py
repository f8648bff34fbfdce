"""Entry point of `keygen` and `python -m keygen`."""

from __future__ import annotations

import sys


def _utf8_when_redirected() -> None:
    """Redirected output is UTF-8, whatever the locale's code page.

    On Windows a pipe or file gets the ANSI code page (cp1252 and the like), which cannot carry a
    path such as `C:\\ключи`: printing it would crash. A terminal is left alone (the console API
    takes any text), and so is a stream that is UTF-8 already.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        try:
            if encoding != "utf8" and hasattr(stream, "reconfigure") and not stream.isatty():
                stream.reconfigure(encoding="utf-8", errors="backslashreplace")
        except (OSError, ValueError):  # a closed stream: the output path reports that (exit 7)
            pass


def main() -> None:
    _utf8_when_redirected()
    # `keygen --version` is what scripts and CI images probe most: answer it before Typer is imported
    # (Typer alone costs more than the interpreter's own start-up).
    if sys.argv[1:] == ["--version"]:
        from keygen import __version__

        sys.stdout.write(f"keygen {__version__}\n")
        return
    from keygen.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
