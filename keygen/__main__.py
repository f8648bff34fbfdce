"""Entry point of `keygen` and `python -m keygen`."""

from __future__ import annotations

import sys


def main() -> None:
    # `keygen --version` is what scripts and CI images probe most: answer it before Typer is imported
    # (Typer alone costs more than the interpreter's own start-up), through the same output path.
    if sys.argv[1:] == ["--version"]:
        from keygen.edge import version

        version()
    from keygen.edge import main as edge_main

    edge_main()


if __name__ == "__main__":
    main()
