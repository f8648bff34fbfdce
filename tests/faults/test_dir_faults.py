"""The output directory fails under keygen: it disappears, or turns read-only, between the steps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, WINDOWS, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
StandIn = Callable[..., str]


@pytest.mark.parametrize("how", ["removed", "moved"])
def test_dir_disappears_between_the_steps(tmp_path: Path, stand_in: StandIn, how: str) -> None:
    out = tmp_path / "keys"
    action = 'rm -rf "$D"' if how == "removed" else 'mv "$D" "$D.elsewhere"'
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) "$REAL" "$@" 2>/dev/null; D=$(dirname "$PWD"); {action} ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python=f"""
        if ARGS[0] == "genpkey":
            subprocess.call([REAL, *ARGS], stderr=subprocess.DEVNULL)
            D = os.path.dirname(os.getcwd())
            os.chdir(os.path.dirname(D))  # Windows keeps a directory that is some process's cwd
            import shutil
            shutil.rmtree(D) if {how == "removed"} else os.rename(D, D + ".elsewhere")
            raise SystemExit(0)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(out), "--json", env={"PATH": path})
    doc = json.loads(proc.stdout)
    assert proc.returncode == 6, proc.stdout
    assert "disappeared" in doc["error"]["message"] and doc["error"]["hint"]
    assert not out.exists()
    assert "Traceback" not in proc.stderr
    if how == "moved":
        # keygen cannot clean what was moved out of its reach; it published nothing there either.
        assert not (tmp_path / "keys.elsewhere" / "privateKey.pem").exists()


def test_dir_turns_read_only_between_the_steps(tmp_path: Path, stand_in: StandIn) -> None:
    """`chattr +i` on DIR while openssl works: even root cannot add or remove its entries."""
    if WINDOWS:
        pytest.skip("needs chattr +i (Linux's immutable flag): Windows has nothing that stops even an admin")
    if shutil.which("chattr") is None:
        pytest.skip("needs chattr")
    out = tmp_path / "keys"
    out.mkdir()
    flag = tmp_path / "made-read-only"
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          rsa) chattr +i "$(dirname "$PWD")" && touch {flag}; exec "$REAL" "$@" ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
    )
    try:
        proc = run_keygen("generate", "--out-dir", str(out), "--json", env={"PATH": path})
    finally:
        subprocess.run(["chattr", "-i", str(out)], check=False)
    if not flag.exists():
        pytest.skip("this file system has no immutable flag")
    assert proc.returncode == 6, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert "cannot" in doc["error"]["message"] and doc["error"]["hint"]
    names = [p.name for p in out.iterdir()]
    assert "privateKey.pem" not in names and "publicKey.pub" not in names
    # The staging directory could not be unlinked from an immutable DIR, but nothing secret is left in it.
    for leftover in out.iterdir():
        assert leftover.name.startswith(".keygen-staging-") and list(leftover.iterdir()) == []
        assert any(str(leftover) in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes through 0500: runs unprivileged")
def test_dir_turns_read_only_between_the_steps_by_permissions(tmp_path: Path, stand_in: StandIn) -> None:
    """The twin of the `chattr +i` test for an unprivileged user: `chmod 500` on DIR while openssl
    works (no capability needed), as a read-only mount or another process would leave it."""
    out = tmp_path / "keys"
    out.mkdir()
    path = stand_in(
        "openssl",
        """
        case "$1" in
          rsa) chmod 500 "$(dirname "$PWD")"; exec "$REAL" "$@" ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
    )
    try:
        proc = run_keygen("generate", "--out-dir", str(out), "--json", env={"PATH": path})
    finally:
        out.chmod(0o700)
    assert proc.returncode == 6, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert "cannot" in doc["error"]["message"] and doc["error"]["hint"]
    names = [p.name for p in out.iterdir()]
    assert "privateKey.pem" not in names and "publicKey.pub" not in names
    # The staging directory could not be unlinked from a read-only DIR, but nothing secret is left in it.
    for leftover in out.iterdir():
        assert leftover.name.startswith(".keygen-staging-") and list(leftover.iterdir()) == []
        assert any(str(leftover) in w for w in doc["warnings"]), doc["warnings"]
