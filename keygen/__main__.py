"""Entry point of `keygen` and `python -m keygen`."""

from __future__ import annotations

import sys


def run() -> None:
    """The console script's entry. Ctrl-C and SIGTERM are keygen's from its first line: one that
    lands while the rest of keygen is still being imported is answered like any later one.

    A bare `keygen --version`, what scripts and CI images ask most, is answered first, by the
    function the app's own `--version` option calls (its one implementation): it needs nothing of
    keygen but the version and standard output."""
    from keygen.proc import interrupt

    interrupt.install()
    try:
        code = _version() if sys.argv[1:] == ["--version"] else _main()
        # The exit code is decided: the interpreter's own teardown (threads joined, streams
        # flushed) is not cut short by a late Ctrl-C, which would print a traceback there.
        interrupt.ignore()
    except KeyboardInterrupt:
        # Before main() could say it (while keygen was imported) or after it returned: said the
        # same way. The handler ignores every later signal, so nothing cuts this short.
        code = _interrupted()
    sys.exit(code)


def _version() -> int:
    from keygen.cli.version import version

    return version()


def _main() -> int:
    from keygen.cli.main import main

    return main()


def _interrupted() -> int:
    try:
        from keygen.cli.main import interrupted

        return interrupted(sys.argv[1:])
    except Exception:  # noqa: BLE001 - the edge's own import was what the interrupt cut in two
        sys.stderr.write("keygen: interrupted\n")  # (a half-imported module cannot be imported again)
        return 130


if __name__ == "__main__":
    run()
