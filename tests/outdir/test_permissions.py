"""Every permission failure an unprivileged user can meet is a clear error with its exit code
(6 for the file system), never an internal error (70) and never Click's usage error (2).

Root may enter, read and write anywhere, so these run only unprivileged: `.ci/unprivileged` runs
the whole suite as a plain user, and the distro lane (.ci/e2e.py) repeats the audit and DIR cases
inside Debian 11 and 13.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, run_keygen

StandIn = Callable[..., str]
pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="POSIX permissions"),
    pytest.mark.skipif(
        os.name == "posix" and os.geteuid() == 0,
        reason="root ignores permission bits: runs unprivileged in .ci/unprivileged",
    ),
]


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A directory the user cannot enter (mode 0000), holding an audit log; opened again afterwards."""
    path = tmp_path / "locked"
    path.mkdir()
    (path / "audit.jsonl").write_text('{"command": "generate"}\n')
    path.chmod(0)
    yield path
    path.chmod(0o700)


def assert_clear(proc: object, code: int, *words: str) -> None:
    stderr: str = proc.stderr  # type: ignore[attr-defined]
    assert proc.returncode == code, stderr  # type: ignore[attr-defined]
    lines = stderr.strip().splitlines()
    assert lines[-2].startswith("keygen: error: ") and lines[-1].startswith("  hint: "), stderr
    for word in words:
        assert word in stderr
    assert "Traceback" not in stderr and "internal error" not in stderr


def test_audit_log_behind_a_directory_the_user_cannot_enter(locked: Path) -> None:
    log = locked / "audit.jsonl"
    proc = run_keygen("audit", env={"KEYGEN_AUDIT_LOG": str(log)})
    assert_clear(proc, 6, str(log), "Permission denied", "ls -ld")
    proc = run_keygen("audit", "--json", "--audit-log", str(log))
    assert proc.returncode == 6
    doc = json.loads(proc.stdout)
    assert doc["error"]["code"] == 6 and str(log) in doc["error"]["message"] and doc["error"]["hint"]


def test_default_audit_log_directory_the_user_cannot_enter(tmp_path: Path) -> None:
    home = tmp_path / "home"
    state = home / ".local" / "state"
    (state / "keygen" / "log").mkdir(parents=True)
    state.chmod(0)
    try:
        env = {"HOME": str(home), "XDG_STATE_HOME": str(state), "KEYGEN_AUDIT_LOG": ""}
        proc = run_keygen("audit", env=env)
    finally:
        state.chmod(0o700)
    assert_clear(proc, 6, "audit.jsonl", "Permission denied")


def test_unreadable_audit_log_file(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text("{}\n")
    log.chmod(0)
    proc = run_keygen("audit", "--audit-log", str(log))
    assert_clear(proc, 6, str(log), "Permission denied")


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_an_unwritable_audit_log_is_a_warning_and_the_keys_are_made(tmp_path: Path, locked: Path) -> None:
    env = {"KEYGEN_AUDIT_LOG": str(locked / "audit.jsonl")}
    proc = run_keygen("generate", "--json", "--out-dir", str(tmp_path / "keys"), env=env)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["audit_log"] is None
    assert any("audit log" in w and "Permission denied" in w for w in doc["warnings"])
    assert (tmp_path / "keys" / "privateKey.pem").is_file()
    proc = run_keygen(
        "exchange",
        "--public-key",
        str(tmp_path / "keys" / "publicKey.pub"),
        "--public-key-id",
        "SANDBOX-AEXAMPLE0123456789ABCDEF",
        env=env,
    )
    assert proc.returncode == 0 and "was not recorded" in proc.stderr


@pytest.mark.parametrize(
    ("layout", "words"),
    [
        ("inside-000", ("cannot look at", "Permission denied", "ls -ld")),
        ("000", ("not writable",)),
        ("300", ("not readable", "chmod u+r")),
        ("500", ("not writable",)),
    ],
)
def test_dir_the_user_cannot_use(tmp_path: Path, layout: str, words: tuple[str, ...]) -> None:
    """DIR inside a directory the user cannot enter, or DIR without read, write or search."""
    box = tmp_path / "box"
    box.mkdir()
    out = box / "keys" if layout == "inside-000" else box
    box.chmod(0 if layout == "inside-000" else int(layout, 8))
    try:
        for extra in ((), ("--dry-run",)):
            proc = run_keygen("generate", "--out-dir", str(out), *extra)
            assert_clear(proc, 6, *words)
    finally:
        box.chmod(0o700)
    assert [p.name for p in box.iterdir()] == []


def test_fix_in_a_read_only_directory(tmp_path: Path, key_zoo: dict[str, Path]) -> None:
    box = tmp_path / "box"
    box.mkdir()
    shutil.copyfile(key_zoo["privateKey.pem"], box / "privateKey.pem")
    shutil.copyfile(key_zoo["bom.pub"], box / "publicKey.pub")
    box.chmod(0o500)
    try:
        proc = run_keygen("verify", "--fix", "--no-second-opinion", cwd=box)
        json_proc = run_keygen("verify", "--fix", "--json", "--no-second-opinion", cwd=box)
    finally:
        box.chmod(0o700)
    assert_clear(proc, 6, "cannot fix publicKey.pub", "Permission denied", "--fix writes a backup")
    # What was found is still shown (on stderr), before the error.
    assert "WARN public_key.encoding" in proc.stderr
    doc = json.loads(json_proc.stdout)
    assert json_proc.returncode == 6 and doc["error"]["code"] == 6 and doc["fixed"] == []
    assert sorted(p.name for p in box.iterdir()) == ["privateKey.pem", "publicKey.pub"]
    assert (box / "publicKey.pub").read_bytes() == key_zoo["bom.pub"].read_bytes()


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_force_cannot_move_the_old_keys_aside(tmp_path: Path, stand_in: StandIn) -> None:
    """DIR turns read-only (chmod 500) while openssl works: --force cannot move the old pair aside
    to its backups; it stops with exit 6 and the old pair is exactly as it was."""
    old = {"privateKey.pem": "old private", "publicKey.pub": "old public"}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
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
        proc = run_keygen("generate", "--force", "--out-dir", str(tmp_path), env={"PATH": path})
    finally:
        tmp_path.chmod(0o700)
    assert_clear(proc, 6, "Permission denied")
    assert {name: (tmp_path / name).read_text() for name in old} == old
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".bak")]


def test_unreadable_key_is_a_failed_check_not_a_usage_error(tmp_path: Path, key_zoo: dict[str, Path]) -> None:
    """verify reports a key it cannot read as it reports a missing one: a `*.file` finding, exit 1."""
    shutil.copyfile(key_zoo["privateKey.pem"], tmp_path / "privateKey.pem")
    shutil.copyfile(key_zoo["publicKey.pub"], tmp_path / "publicKey.pub")
    (tmp_path / "privateKey.pem").chmod(0)
    proc = run_keygen("verify", "--json", "--no-second-opinion", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["private_key.file"]["status"] == "fail"
    assert "Permission denied" in checks["private_key.file"]["summary"] and checks["private_key.file"]["fix"]
