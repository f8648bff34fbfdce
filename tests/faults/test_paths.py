"""Adversarial directories and names: nothing followed, clobbered, or blocked forever."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import NO_SYMLINKS, OPENSSL, SYMLINKS, WINDOWS, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")


@pytest.mark.parametrize(
    "name",
    # Windows forbids `"` in a file name: its awkward quote is the single one alone.
    [
        "with spaces",
        "quote's" if WINDOWS else 'quote\'s "double"',
        "nön-ÄSCII ключ",
        "-leading-dash",
        "semi;colon $(x) `y`",
    ],
)
def test_awkward_directory_names(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    proc = run_keygen("generate", f"--out-dir={out}", "--json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["privateKey.pem", "publicKey.pub"]
    assert json.loads(proc.stdout)["dir"] == str(out)
    # Nothing was created beside it by a shell misreading the name.
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_non_ascii_dir_through_a_legacy_code_page_pipe(tmp_path: Path) -> None:
    """`keygen generate --out-dir ключ | more` on Windows: stdout is a cp1252 pipe, which has no Cyrillic.
    The letters it lacks come out as JSON escapes: readable text, and JSON that decodes to the exact path."""
    out = tmp_path / "nön-ÄSCII ключ"
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}  # what a Windows pipe gets; set, so POSIX tries it too
    for extra in ([], ["--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "keygen", "generate", "--out-dir", str(out), "--force", *extra],
            capture_output=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr.decode("cp1252", "replace")
        text = proc.stdout.decode("cp1252")
        if extra:
            assert json.loads(text)["dir"] == str(out)
        else:
            assert "nön-ÄSCII \\u043a\\u043b\\u044e\\u0447" in text
    assert sorted(p.name for p in out.iterdir() if ".bak" not in p.name) == ["privateKey.pem", "publicKey.pub"]


def test_leading_dash_directory_as_a_separate_argument(tmp_path: Path) -> None:
    proc = run_keygen("generate", "--out-dir", "-dash", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "-dash" / "privateKey.pem").is_file()


@pytest.mark.parametrize("spelling", ["a/../b", "b/", "./b//", "a/./../b/."])
def test_dot_dot_and_trailing_separators(tmp_path: Path, spelling: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    proc = run_keygen("generate", "--out-dir", spelling, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["privateKey.pem", "publicKey.pub"]
    assert list((tmp_path / "a").iterdir()) == []


@pytest.mark.skipif(not SYMLINKS, reason=NO_SYMLINKS)
def test_dir_itself_a_link_is_used_as_the_directory_it_names(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "link"))
    assert proc.returncode == 0, proc.stderr
    assert (real / "privateKey.pem").is_file()
    assert (tmp_path / "link").is_symlink()


@pytest.mark.skipif(WINDOWS, reason="os.mkfifo is POSIX: Windows names pipes only under \\\\.\\pipe")
@pytest.mark.parametrize("name", ["privateKey.pem", "publicKey.pub"])
def test_fifo_at_a_final_name_is_refused_without_blocking(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    proc = run_keygen("generate", "--out-dir", str(tmp_path), timeout=30)
    assert proc.returncode == 5
    assert stat.S_ISFIFO((tmp_path / name).lstat().st_mode)
    proc = run_keygen("generate", "--out-dir", str(tmp_path), "--force", "--json", timeout=30)
    assert proc.returncode == 0, proc.stderr
    backup = Path(json.loads(proc.stdout)["backups"][0]["backup"])
    assert stat.S_ISFIFO(backup.lstat().st_mode)  # moved aside, never opened


def test_existing_staging_like_names_do_not_block(tmp_path: Path) -> None:
    (tmp_path / ".keygen-staging-abc123").mkdir()
    (tmp_path / ".keygen-staging-file").write_text("not ours")
    proc = run_keygen("generate", "--out-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / ".keygen-staging-abc123").is_dir()
    assert (tmp_path / ".keygen-staging-file").read_text() == "not ours"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".keygen-staging-abc123",
        ".keygen-staging-file",
        "privateKey.pem",
        "publicKey.pub",
    ]


@pytest.mark.skipif(not SYMLINKS, reason=NO_SYMLINKS)
def test_link_to_a_directory_at_a_final_name(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "publicKey.pub").symlink_to(elsewhere)
    proc = run_keygen("generate", "--out-dir", str(keys))
    assert proc.returncode == 5
    assert list(elsewhere.iterdir()) == []
