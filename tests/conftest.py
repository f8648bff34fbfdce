"""Shared fixtures. No test may write into the real home directory: every test runs with HOME,
the XDG directories and KEYGEN_AUDIT_LOG pointed into its own temporary directory, and a guard
fails any test after which the real home's keygen directories or top level changed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_HOME = Path(os.path.expanduser("~")).resolve()
OPENSSL = shutil.which("openssl")
SSH_KEYGEN = shutil.which("ssh-keygen")
#: Where keygen (or anything it uses) would write under a real home.
_GUARDED = (".local/state/keygen", ".config/keygen", ".cache/keygen", ".local/share/keygen", "Library/Logs/keygen")


def _snapshot(home: Path) -> dict[str, tuple[int, int]]:
    snap: dict[str, tuple[int, int]] = {}
    try:
        for entry in os.scandir(home):
            st = entry.stat(follow_symlinks=False)
            snap[entry.name] = (st.st_mtime_ns if not stat.S_ISDIR(st.st_mode) else 0, st.st_size)
    except OSError:
        pass
    for rel in _GUARDED:
        base = home / rel
        if base.exists():
            for path in base.rglob("*"):
                st = path.lstat()
                snap[str(path.relative_to(home))] = (st.st_mtime_ns, st.st_size)
    return snap


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every home-like variable into a temporary home, and fail if the real one changed."""
    before = _snapshot(REAL_HOME)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for var, sub in (
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("KEYGEN_AUDIT_LOG", str(home / "audit.jsonl"))
    monkeypatch.delenv("KEYGEN_DEBUG", raising=False)
    yield home
    after = _snapshot(REAL_HOME)
    # Dotfiles at the top of a real home change for reasons of their own (shell history); keygen's
    # own directories and any visible entry must not.
    changed = sorted(
        k
        for k in set(before) | set(after)
        if before.get(k) != after.get(k) and (k.startswith(_GUARDED) or not k.startswith("."))
    )
    assert not changed, f"a test wrote into the real home directory: {changed}"


@pytest.fixture
def home(_no_real_home: Path) -> Path:
    return _no_real_home


@pytest.fixture
def audit_log(home: Path) -> Path:
    return home / "audit.jsonl"


def run_keygen(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process, as a user would (python -m keygen)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "keygen", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input.decode() if input is not None else None,
    )


@pytest.fixture
def stand_in(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Make stand-in executables: `stand_in("openssl", "<sh body>")` returns a PATH string with it first.

    The body is a POSIX sh script; `$REAL` is the real tool's path, for stand-ins that wrap it.
    """
    bindir = tmp_path / "stand-in-bin"
    bindir.mkdir()

    def make(name: str, body: str, *, only: bool = False) -> str:
        real = shutil.which(name) or ""
        script = bindir / name
        script.write_text(f"#!/bin/sh\nREAL={real}\n" + textwrap.dedent(body))
        script.chmod(0o755)
        rest = "" if only else os.pathsep + os.environ.get("PATH", "")
        return str(bindir) + rest

    return make


def private_key_body(path: Path) -> list[str]:
    """The base64 lines of a private key: what must never appear in any output or record."""
    return [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("-----")]
