"""Entry point of `keygen` and `python -m keygen`."""

from __future__ import annotations

import sys


def main() -> None:
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
