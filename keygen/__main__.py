"""Entry point of `keygen` and `python -m keygen`."""

from __future__ import annotations

import os
import sys


def _version_fast() -> None:
    """`keygen --version` on POSIX with nothing but `os`: one write(2) of the line.

    A reader that went away is silence (exit 0), as for every command. Any other failure (stdout
    closed or full) wrote nothing, so the guarded path below says it in keygen's words (exit 7).
    Windows keeps the text stream (its line ends).
    """
    if os.name != "posix":
        return
    from keygen import __version__

    try:
        os.write(1, f"keygen {__version__}\n".encode())
    except BrokenPipeError:
        sys.exit(0)
    except OSError:
        return
    sys.exit(0)


def main() -> None:
    # `keygen --version` is what scripts and CI images probe most: answer it before Typer (or
    # anything of keygen's but its version) is imported.
    if sys.argv[1:] == ["--version"]:
        _version_fast()
        from keygen.edge import version

        version()
    if sys.argv[1:2] != ["generate"]:
        from keygen.edge import main as edge_main

        edge_main()
        return
    # generate: its first documented step starts before the rest of keygen loads (keygen.headstart).
    from keygen import headstart

    try:
        headstart.begin(sys.argv[1:])
        from keygen.edge import main as edge_main

        edge_main()
    except KeyboardInterrupt:
        # Before keygen's own handling was loaded: said as it says it (edge reports every later one).
        import contextlib

        with contextlib.suppress(OSError):  # no stderr to say it on: the exit status says it
            os.write(2, b"keygen: interrupted\n")
        sys.exit(130)
    finally:
        headstart.abandon()  # nothing, once generate took the step over


def run() -> None:
    """The console script's and `python -m keygen`'s entry: `main`, then the process ends at once."""
    try:
        main()
    except SystemExit as done:
        _end_now(done.code)
        raise


def _end_now(code: object) -> None:
    """End the process without the interpreter's teardown (finalising every module and object:
    about 15 ms of each run, after the answer is out). Only when nothing needs the teardown: no
    other thread, no atexit callback, an exit status that is a number; standard output and error
    are flushed first, as the teardown would."""
    import atexit

    if code is not None and not isinstance(code, int):
        return
    # No threading module, no threads (`keygen --version` never imports it: nor does this).
    threading = sys.modules.get("threading")
    if (threading is not None and threading.active_count() != 1) or atexit._ncallbacks() != 0:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the teardown says it in its own way: leave it to it
            return
    os._exit(code or 0)


if __name__ == "__main__":
    run()
