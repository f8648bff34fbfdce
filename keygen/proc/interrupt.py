"""Ctrl-C and SIGTERM: the one handler, the sections an interrupt must not cut in two, and the
point after which a run completes whatever arrives.

The console script installs the handler before anything else of keygen is imported. The first
SIGINT or SIGTERM then becomes KeyboardInterrupt in the main thread, and every later one is
ignored, so the clean-up on the way out is never cut short. Inside `deferred()` (a staging
directory being made and handed over, a child being started and made stoppable, a clean-up) the
first one waits and is raised where the section ends, so nothing is left half-done. `ignore()`
marks the point of no return (a checked pair being published, a result being printed): from
there the run finishes and exits with its own code. One that lands where Python cannot raise it
as itself (a destructor, a weakref callback, a class being made) waits the same way instead of
being printed and lost, or turned into another error.

Without `install()` (keygen used as a library, the tests) nothing here touches the process's
signal handling: `deferred()` then only nests, and `ignore()` does nothing.
"""

from __future__ import annotations

import signal
import sys
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
#: How many `deferred()` sections the main thread is in, and whether an interrupt waits to be raised.
_depth = 0
_pending = False


def _handle(signum: int, frame: FrameType | None) -> None:
    global _pending
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    if _depth or _making_a_class(frame):
        _pending = True
        return
    raise Interrupt


def _making_a_class(frame: FrameType | None) -> bool:
    """Whether a class is being made (`__set_name__` is on the stack: a dataclass's fields while a
    module is imported). Python before 3.12 turns any exception from there into RuntimeError
    (measured: exit 70 "internal error", or a traceback while keygen was imported), and an
    `except Exception` on the way would take the interrupt for an ordinary failure."""
    while frame is not None:
        if frame.f_code.co_name == "__set_name__":
            return True
        frame = frame.f_back
    return False


def _unraisable(hook: sys.UnraisableHookArgs) -> None:
    """The handler runs wherever the main thread is, a destructor or a weakref callback included
    (measured: importlib's module-lock callback), where Python cannot propagate an exception and
    prints `Exception ignored in` instead. An interrupt raised there is neither printed nor lost:
    it waits, as inside a deferred section, for the next place that raises it."""
    global _pending
    if isinstance(hook.exc_value, Interrupt):
        _pending = True
        return
    sys.__unraisablehook__(hook)


def _raise_pending() -> None:
    global _pending
    if _pending and not _depth:
        _pending = False
        raise Interrupt


def install() -> None:
    """Make SIGINT and SIGTERM end the run through KeyboardInterrupt (the console script's first act)."""
    global _installed
    sys.unraisablehook = _unraisable
    for sig in SIGNALS:
        signal.signal(sig, _handle)
    _installed = True


def ignore() -> None:
    """From here the run completes: SIGINT and SIGTERM are ignored until the process exits.

    One that came before is raised here instead (Python also runs a handler that is due before it
    changes one), so a caller that has not begun what must not be cut short never begins it."""
    _raise_pending()
    if _installed:
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


@contextmanager
def deferred() -> Iterator[None]:
    """A section an interrupt must not cut in two: one that arrives inside it (or waits already) is
    raised where it ends, in place of any exception the section raised. Never before it begins: a
    clean-up on the way out of a failure must run whole. Only the main thread defers: signals
    reach no other."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        _raise_pending()
