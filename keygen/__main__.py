"""Entry point of `keygen` and `python -m keygen`."""

from __future__ import annotations

import sys


def run() -> None:
    """The console script's entry. A Ctrl-C that lands while keygen itself is still being imported
    is answered like any later one (edge.main installs the handler that says it)."""
    try:
        from keygen.cli.main import interrupted, main
    except KeyboardInterrupt:
        sys.stderr.write("keygen: interrupted\n")
        sys.exit(130)
    try:
        code = main()
    except KeyboardInterrupt:  # between the handler's install and the guarded run
        code = interrupted()
    sys.exit(code)


if __name__ == "__main__":
    run()
