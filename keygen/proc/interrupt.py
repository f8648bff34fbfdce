"""Ctrl-C and SIGTERM: the one handler, the sections an interrupt must not cut in two, and the
point after which a run completes whatever arrives.

The console script installs the handler before anything else of keygen is imported. The first
SIGINT or SIGTERM then becomes KeyboardInterrupt in the main thread, and every later one is
ignored, so the clean-up on the way out is never cut short. Inside `deferred()` (a staging
directory being made and handed over, a child being started and made stoppable, a clean-up) the
first one waits and is raised where the section ends, so nothing is left half-done. `ignore()`
marks the point of no return (a checked pair being published, a result being printed): from
there the run finishes and exits with its own code.

Without `install()` (keygen used as a library, the tests) nothing here touches the process's
signal handling: `deferred()` then only nests, and `ignore()` does nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: SIGINT is Ctrl-C; SIGTERM is what `kill`, timeouts and service managers send. Windows has both
#: names (SIGTERM is never delivered there: TerminateProcess cannot be caught).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


class Interrupt(KeyboardInterrupt):
    """What the handler raises: a KeyboardInterrupt to every `except KeyboardInterrupt` (and to
    Typer), but not that exact type, which CPython checks for by identity. A KeyboardInterrupt
    itself leaving `exec` of source text (a dataclass being made while a module is imported)
    marks the interpreter to end by SIGINT even when it is caught: `python -m keygen` said
    `keygen: interrupted` and then died of signal 2 instead of exiting 130 (measured: 6 in 150
    SIGTERMs into generate)."""


_installed = False
#: How many `deferred()` sections the main thread is in, and whether an interrupt waits for them.
_depth = 0
_pending = False


def _handle(signum: int, frame: FrameType | None) -> None:
    global _pending
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    if _depth:
        _pending = True
        return
    raise Interrupt


def install() -> None:
    """Make SIGINT and SIGTERM end the run through KeyboardInterrupt (the console script's first act)."""
    global _installed
    for sig in SIGNALS:
        signal.signal(sig, _handle)
    _installed = True


def ignore() -> None:
    """From here the run completes: SIGINT and SIGTERM are ignored until the process exits.

    One that arrived just before is raised here (Python runs a pending handler before it changes
    one), so a caller that has not begun what must not be cut short never begins it."""
    if _installed:
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


@contextmanager
def deferred() -> Iterator[None]:
    """A section an interrupt must not cut in two: one that arrives inside it is raised where it ends
    (in place of any exception the section raised). Only the main thread defers: signals reach no other."""
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth and _pending:
            _pending = False
            raise Interrupt
