"""Risky surroundings are warned about, with the risk and the fix; they do not stop the run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import NO_MODE_BITS, OPENSSL, WINDOWS, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")


def warnings_of(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> list[str]:
    proc = run_keygen(*args, "--json", cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    warnings: list[str] = json.loads(proc.stdout)["warnings"]
    return warnings


@pytest.mark.skipif(WINDOWS, reason=NO_MODE_BITS)
@pytest.mark.parametrize(("mode", "who"), [(0o777, "everyone"), (0o770, "its group"), (0o1777, "everyone")])
def test_shared_writable_dir_is_warned_about(tmp_path: Path, mode: int, who: str) -> None:
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(mode)
    found = warnings_of("generate", "--out-dir", str(out))
    assert any(f"writable by {who}" in w and "chmod 700" in w for w in found), found
    assert (out / "privateKey.pem").exists()


def test_private_dir_has_no_warning(tmp_path: Path) -> None:
    assert warnings_of("generate", "--out-dir", str(tmp_path / "mine")) == []


@pytest.mark.skipif(
    shutil.which("git") is None,
    reason="needs git (the Windows lane has no Git for Windows: its git.exe there is a stand-in)"
    if WINDOWS
    else "needs git",
)
def test_git_work_tree_that_would_commit_the_key(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    found = warnings_of("generate", "--out-dir", str(tmp_path / "keys"))
    assert any("does not ignore privateKey.pem" in w and "/keys/privateKey.pem" in w for w in found), found
    (tmp_path / ".gitignore").write_text("privateKey.pem\n")
    assert warnings_of("generate", "--out-dir", str(tmp_path / "keys2")) == []
    # The dry run gives the same warning before anything is made.
    (tmp_path / ".gitignore").unlink()
    (tmp_path / "keys3").mkdir()
    assert any("git" in w for w in warnings_of("generate", "--out-dir", str(tmp_path / "keys3"), "--dry-run"))


def test_tool_from_the_current_directory(tmp_path: Path) -> None:
    if WINDOWS:  # a copy: Windows runs only what has a PATHEXT extension, and Wine makes no links
        shutil.copyfile(OPENSSL or "", tmp_path / "openssl.exe")
    else:
        (tmp_path / "openssl").symlink_to(OPENSSL or "/usr/bin/openssl")
    env = {"PATH": "." + os.pathsep + os.environ["PATH"]}
    found = warnings_of("generate", "--out-dir", "keys", cwd=tmp_path, env=env)
    assert any("found in the current directory" in w for w in found), found


@pytest.mark.skipif(WINDOWS, reason=NO_MODE_BITS)
def test_tool_from_a_world_writable_directory(tmp_path: Path, audit_log: Path) -> None:
    bindir = tmp_path / "open-bin"
    bindir.mkdir()
    bindir.chmod(0o777)
    (bindir / "openssl").symlink_to(OPENSSL or "/usr/bin/openssl")
    env = {"PATH": str(bindir) + os.pathsep + os.environ["PATH"]}
    found = warnings_of("generate", "--out-dir", str(tmp_path / "k"), env=env)
    assert any("everyone can write to" in w for w in found), found
    record = json.loads(audit_log.read_text().splitlines()[-1])
    assert record["steps"][0]["executable"] == str(bindir / "openssl")
