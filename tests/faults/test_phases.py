"""Ctrl-C or SIGTERM in each phase of a run: before the first step, between the steps, during the
checks, during publishing. Signals become KeyboardInterrupt in keygen's main thread (SIGTERM too,
see cli.main), so each phase is hit by raising it exactly there, in-process, with the real tools."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keygen.commands import generate as gen
from keygen.host import detect_host
from keygen.keys import checks
from keygen.outdir import publish
from keygen.proc import run
from tests.helpers import OPENSSL

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")

OLD = {"privateKey.pem": "old private\n", "publicKey.pub": "old public\n"}


def setup_dir(tmp_path: Path, with_old_pair: bool) -> Path:
    out = tmp_path / "keys"
    out.mkdir()
    (out / "notes.txt").write_text("unrelated\n")
    if with_old_pair:
        for name, text in OLD.items():
            (out / name).write_text(text)
    return out


def assert_as_before(out: Path, with_old_pair: bool) -> None:
    names = sorted(p.name for p in out.iterdir())
    expected = sorted(["notes.txt", *(OLD if with_old_pair else [])])
    assert names == expected, names
    if with_old_pair:
        for name, text in OLD.items():
            assert (out / name).read_text() == text


def interrupt() -> None:
    raise KeyboardInterrupt


def generate_with(out: Path, force: bool) -> gen.Outcome:
    host = detect_host()
    return gen.generate(gen.Options(out_dir=out, force=force), host)


@pytest.mark.parametrize("with_old_pair", [False, True], ids=["empty-dir", "forced-over-old-pair"])
@pytest.mark.parametrize("phase", ["before-first-step", "between-steps", "during-checks", "during-publish"])
def test_interrupt_in_each_phase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_log: Path, phase: str, with_old_pair: bool
) -> None:
    out = setup_dir(tmp_path, with_old_pair)
    real_run: Callable[..., Any] = run.run
    if phase == "before-first-step":

        def first_step(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("cwd") and ".keygen-staging-" in str(kwargs["cwd"]):
                interrupt()
            return real_run(*args, **kwargs)

        monkeypatch.setattr(run, "run", first_step)
    elif phase == "between-steps":
        calls: list[str] = []

        def second_step(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("cwd") and ".keygen-staging-" in str(kwargs["cwd"]):
                calls.append("step")
                if len(calls) == 2:
                    interrupt()
            return real_run(*args, **kwargs)

        monkeypatch.setattr(run, "run", second_step)
    elif phase == "during-checks":
        monkeypatch.setattr(checks, "check_pair", lambda *a, **k: interrupt())
    else:
        real_link = os.link
        links: list[str] = []

        def link_then_stop(src: Any, dst: Any, **kwargs: Any) -> None:
            if ".keygen-staging-" in str(src):
                links.append(str(dst))
                if len(links) == 2:  # the private key is already published: roll it back
                    interrupt()
            real_link(src, dst, **kwargs)

        monkeypatch.setattr(publish.os, "link", link_then_stop)
    outcome = generate_with(out, force=with_old_pair)
    assert outcome.exit_code == 130
    assert outcome.error is not None and "interrupted" in outcome.error.message
    assert_as_before(out, with_old_pair)
    if phase != "before-first-step":
        record = json.loads(audit_log.read_text().splitlines()[-1])
        assert record["exit_code"] == 130 and record["result"] == "interrupted"


def test_interrupt_after_publishing_says_the_pair_is_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during the clean-up after publishing: the pair stays, and the message says so."""
    out = setup_dir(tmp_path, with_old_pair=False)
    real_exit = publish.Workspace.__exit__

    def exit_then_stop(self: publish.Workspace, *exc: Any) -> None:
        real_exit(self, *exc)
        if exc[0] is None:
            interrupt()

    monkeypatch.setattr(publish.Workspace, "__exit__", exit_then_stop)
    outcome = generate_with(out, force=False)
    assert outcome.exit_code == 130
    assert outcome.error is not None and "after the checked pair was published" in outcome.error.message
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "privateKey.pem", "publicKey.pub"]
