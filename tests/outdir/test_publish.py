"""Publishing where the platform differs: no hard links (FAT, some network shares), no follow_symlinks."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from keygen.commands import generate as gen
from keygen.host import detect_host
from keygen.outdir import publish
from tests.helpers import OPENSSL, WINDOWS

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")


def make(out: Path, force: bool = False) -> gen.Outcome:
    return gen.generate(gen.Options(out_dir=out, force=force), detect_host())


def test_without_hard_links_the_pair_is_renamed_into_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(publish.os, "link", no_links)
    outcome = make(tmp_path)
    assert outcome.error is None, outcome.error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["privateKey.pem", "publicKey.pub"]
    assert WINDOWS or stat.S_IMODE((tmp_path / "privateKey.pem").stat().st_mode) == 0o600  # no mode bits there


def test_without_hard_links_an_existing_name_is_still_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename fallback takes a last look first: it never replaces what appeared meanwhile, and
    the half of the pair it had already put in place is taken back."""

    def no_links_and_an_intruder(src: Any, dst: Any, **kwargs: Any) -> None:
        if str(dst).endswith("publicKey.pub"):
            Path(dst).write_text("theirs\n")
        raise OSError(errno.EOPNOTSUPP, "Operation not supported")

    monkeypatch.setattr(publish.os, "link", no_links_and_an_intruder)
    outcome = make(tmp_path)
    assert outcome.exit_code == 5
    assert (tmp_path / "publicKey.pub").read_text() == "theirs\n"
    assert not (tmp_path / "privateKey.pem").exists()  # rolled back


def test_platform_without_follow_symlinks_for_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows' os.link rejects follow_symlinks=False: keygen must not pass it there."""
    real_link = os.link

    def strict_link(src: Any, dst: Any, **kwargs: Any) -> None:
        if "follow_symlinks" in kwargs:
            raise NotImplementedError("link: follow_symlinks unavailable on this platform")
        real_link(src, dst)

    monkeypatch.setattr(publish.os, "link", strict_link)
    monkeypatch.setattr(publish.os, "supports_follow_symlinks", set())
    outcome = make(tmp_path)
    assert outcome.error is None, outcome.error
    assert (tmp_path / "privateKey.pem").is_file()


def test_windows_refuses_a_dir_too_long_to_run_a_program_in(tmp_path: Path) -> None:
    from keygen import outdir
    from keygen.errors import DirUnusable

    room = outdir.WINDOWS_MAX_CWD - len(str(tmp_path.absolute())) - len(outdir.STAGING_PREFIX) - 8 - 3
    outdir.check_windows_length(tmp_path / ("d" * room))  # fits: staging path is exactly the limit
    with pytest.raises(DirUnusable) as raised:
        outdir.check_windows_length(tmp_path / ("d" * (room + 1)))
    assert "too long a path for Windows" in raised.value.message and "shorter --out-dir" in raised.value.hint


def test_missing_parent_hint_fits_the_platform(tmp_path: Path) -> None:
    from keygen.outdir import mkdir_hint

    parent = tmp_path / "it's a dir"
    assert mkdir_hint(parent, windows=True) == f'mkdir "{parent}"'
    if WINDOWS:
        pytest.skip("the POSIX hint runs in sh (no MSYS bash.exe in the Windows lane); cmd's runs in the lane's e2e")
    posix = mkdir_hint(parent, windows=False)
    subprocess.run(["sh", "-c", posix], check=True)  # the hint runs as printed, quotes and all
    assert parent.is_dir()
