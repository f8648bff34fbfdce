"""keygen.proc.interrupt in-process: what the handler does where it lands. The process's real
signal handling is left alone (signal.signal is replaced); tests/cli/test_interrupt.py sends real
signals to real runs."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from keygen.proc import interrupt


@pytest.fixture(autouse=True)
def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, object]]]:
    """install() as the console script calls it, with the dispositions recorded instead of set."""
    dispositions: list[tuple[int, object]] = []
    monkeypatch.setattr(interrupt.signal, "signal", lambda sig, how: dispositions.append((sig, how)))
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    monkeypatch.setattr(interrupt, "_installed", False)
    monkeypatch.setattr(interrupt, "_depth", 0)
    monkeypatch.setattr(interrupt, "_pending", False)
    interrupt.install()
    yield dispositions


def signal_arrives() -> None:
    """What Python does when SIGINT is due: run the handler where the main thread is."""
    interrupt._handle(signal.SIGINT, sys._getframe(1))


def test_the_first_signal_raises_and_every_later_one_is_ignored(installed: list[tuple[int, object]]) -> None:
    with pytest.raises(KeyboardInterrupt) as caught:
        signal_arrives()
    # Not KeyboardInterrupt itself: CPython ends the process by SIGINT when that exact type left an
    # exec() of source text, even caught (python -m keygen exited -2 instead of 130).
    assert type(caught.value) is interrupt.Interrupt
    assert set(installed[-2:]) == {(s, signal.SIG_IGN) for s in interrupt.SIGNALS}


def test_a_deferred_section_finishes_and_then_raises() -> None:
    done = []
    with pytest.raises(interrupt.Interrupt), interrupt.deferred():
        with interrupt.deferred():
            signal_arrives()
            done.append("inner")
        done.append("outer")  # nested: only the outermost section raises, at its end
    assert done == ["inner", "outer"]
    with interrupt.deferred():  # delivered once
        pass


def test_an_interrupt_in_a_section_that_fails_replaces_the_failure() -> None:
    with pytest.raises(interrupt.Interrupt) as caught, interrupt.deferred():
        signal_arrives()
        raise OSError("disk full")
    assert isinstance(caught.value.__context__, OSError)


def test_an_interrupt_while_a_class_is_made_waits_for_the_next_section() -> None:
    """Python before 3.12 turns an exception from __set_name__ into RuntimeError (an `except
    Exception` would take it for a failure): the class is made, and the interrupt waits."""

    class Trips:
        def __set_name__(self, owner: type, name: str) -> None:
            signal_arrives()

    @dataclass
    class Made:
        tripped: object = Trips()
        more: list[str] = field(default_factory=list)

    assert Made().more == []
    with pytest.raises(interrupt.Interrupt):
        interrupt.ignore()  # the point of no return raises it instead of going on


def test_an_interrupt_in_a_destructor_is_neither_printed_nor_lost(capsys: pytest.CaptureFixture[str]) -> None:
    class Dies:
        def __del__(self) -> None:
            signal_arrives()

    Dies()  # the handler raised inside __del__: Python cannot propagate it there
    assert capsys.readouterr().err == ""
    with pytest.raises(interrupt.Interrupt), interrupt.deferred():
        pass


def test_a_clean_up_runs_whole_even_with_an_interrupt_waiting() -> None:
    interrupt._pending = True
    cleaned = []
    with pytest.raises(interrupt.Interrupt), interrupt.deferred():
        cleaned.append(True)
    assert cleaned == [True]


def test_ignore_is_the_point_of_no_return(installed: list[tuple[int, object]]) -> None:
    interrupt.ignore()
    assert set(installed[-2:]) == {(s, signal.SIG_IGN) for s in interrupt.SIGNALS}


def test_without_install_nothing_is_touched(
    monkeypatch: pytest.MonkeyPatch, installed: list[tuple[int, object]]
) -> None:
    monkeypatch.setattr(interrupt, "_installed", False)
    before = list(installed)
    interrupt.ignore()
    with interrupt.deferred():
        pass
    assert installed == before
