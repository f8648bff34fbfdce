"""Work done side by side: a function run in a thread, its result (or exception) collected where
it is needed.

keygen's own cost is mostly waiting (for a version probe, for the second opinion's tools), so
waits that do not depend on each other run side by side. A thread and a join are all it takes;
an exception reaches the caller of `result()` as if the function had run there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from keygen.proc import interrupt

T = TypeVar("T")


class Background(Generic[T]):
    """`fn()` started at once in a thread; `result()` waits for it and returns or raises as `fn` did.

    Non-daemon on purpose: every Background is joined by its owner, and a daemon thread still
    inside an extension import when the interpreter exits can abort the process.
    """

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def all_of(fns: Iterable[Callable[[], T]]) -> list[T]:
    """Every function at once, their results in order (the first exception, after all finished).

    Nothing outlives the call: a Ctrl-C while the threads start waits until each started one is
    known here, and is raised once they are all joined (left running, they went on using what the
    caller was already cleaning up)."""
    started: list[Background[T]] = []
    error: BaseException | None = None
    try:
        with interrupt.deferred():
            for fn in fns:
                started.append(Background(fn))
    except BaseException as exc:  # noqa: BLE001 - re-raised once every started job is joined
        error = exc
    outcomes: list[T] = []
    for job in started:
        try:
            outcomes.append(job.result())
        except BaseException as exc:  # noqa: BLE001 - re-raised once every job is joined
            error = error or exc
    if error is not None:
        raise error
    return outcomes
