"""Nothing lost: refusals, backups, links, failures, timeouts, interrupts and races, each with its exit code."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import (
    NO_MODE_BITS,
    NO_SIGNALS,
    NO_SYMLINKS,
    OPENSSL,
    REPO,
    SYMLINKS,
    TRADITIONAL,
    WINDOWS,
    process_gone,
    run_keygen,
)

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")

StandIn = Callable[..., str]


def snapshot(directory: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry of DIR with its mode and content (or link target): 'left exactly as it was'."""
    snap: dict[str, tuple[int, bytes | str]] = {}
    for entry in sorted(directory.iterdir()):
        st = entry.lstat()
        if stat.S_ISLNK(st.st_mode):
            snap[entry.name] = (st.st_mode, os.readlink(entry))
        elif stat.S_ISREG(st.st_mode):
            snap[entry.name] = (st.st_mode, entry.read_bytes())
        else:
            snap[entry.name] = (st.st_mode, "")
    return snap


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


# --- exit 5: refusing to overwrite ---------------------------------------------------------------


_LINK = pytest.mark.skipif(not SYMLINKS, reason=NO_SYMLINKS)


@pytest.mark.parametrize(
    "layout",
    [
        "private",
        "public",
        "both",
        pytest.param("symlink", marks=_LINK),
        pytest.param("dangling", marks=_LINK),
        "directory",
    ],
)
def test_existing_files_are_refused_and_dir_left_as_it_was(tmp_path: Path, layout: str, audit_log: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("someone else's file\n")
    keys = tmp_path / "keys"
    keys.mkdir()
    if layout in ("private", "both"):
        (keys / "privateKey.pem").write_text("old private\n")
    if layout in ("public", "both"):
        (keys / "publicKey.pub").write_text("old public\n")
    if layout == "symlink":
        (keys / "privateKey.pem").symlink_to(outside)
    if layout == "dangling":
        (keys / "publicKey.pub").symlink_to(tmp_path / "nothing-here")
    if layout == "directory":
        (keys / "privateKey.pem").mkdir()
    before = snapshot(keys)
    proc = run_keygen("generate", "--out-dir", str(keys))
    assert proc.returncode == 5, proc.stderr
    assert "already exist" in proc.stderr and "--force" in proc.stderr
    assert snapshot(keys) == before
    assert outside.read_text() == "someone else's file\n"
    assert not audit_log.exists()  # nothing ran, so nothing to record
    no_traceback(proc)


def test_refusal_in_json(tmp_path: Path) -> None:
    (tmp_path / "publicKey.pub").write_text("old\n")
    proc = run_keygen("generate", "--out-dir", str(tmp_path), "--json")
    assert proc.returncode == 5
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and doc["error"]["code"] == 5 and doc["error"]["kind"] == "refused"
    assert "publicKey.pub" in doc["error"]["message"] and "--force" in doc["error"]["hint"]


def test_dry_run_reports_the_refusal_without_touching(tmp_path: Path) -> None:
    (tmp_path / "privateKey.pem").write_text("old\n")
    before = snapshot(tmp_path)
    proc = run_keygen("generate", "--out-dir", str(tmp_path), "--dry-run")
    assert proc.returncode == 5
    assert "a real run refuses" in proc.stderr
    assert snapshot(tmp_path) == before
    forced = run_keygen("generate", "--out-dir", str(tmp_path), "--dry-run", "--force")
    assert forced.returncode == 0
    assert "would be moved aside to timestamped backups" in forced.stdout
    assert snapshot(tmp_path) == before


# --- --force: moved aside, never deleted ---------------------------------------------------------


def test_force_moves_old_files_aside(tmp_path: Path) -> None:
    (tmp_path / "privateKey.pem").write_text("old private\n")
    (tmp_path / "publicKey.pub").write_text("old public\n")
    proc = run_keygen("generate", "--out-dir", str(tmp_path), "--force", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    backups = {Path(b["original"]).name: Path(b["backup"]) for b in doc["backups"]}
    assert backups["privateKey.pem"].read_text() == "old private\n"
    assert backups["publicKey.pub"].read_text() == "old public\n"
    # Both in one slot, DIR/.keygen-backups/<UTC time>/, under their own names.
    slot = backups["privateKey.pem"].parent
    assert slot == backups["publicKey.pub"].parent and slot.parent == tmp_path / ".keygen-backups"
    assert re.fullmatch(r"\d{8}T\d{6}Z", slot.name) and backups["privateKey.pem"].name == "privateKey.pem"
    assert (slot.parent / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / "privateKey.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    # A second forced run in the same second keeps every earlier generation too (slot <time>-2).
    again = run_keygen("generate", "--out-dir", str(tmp_path), "--force", "--json")
    assert again.returncode == 0
    slots = sorted(p for p in slot.parent.iterdir() if p.is_dir())
    assert len(slots) == 2 and all(sorted(os.listdir(p)) == ["privateKey.pem", "publicKey.pub"] for p in slots)
    assert {Path(b["backup"]).parent for b in json.loads(again.stdout)["backups"]} != {slot}
    assert sorted(os.listdir(tmp_path)) == [".keygen-backups", "privateKey.pem", "publicKey.pub"]
    assert "moved aside" in run_keygen("generate", "--out-dir", str(tmp_path), "--force").stdout


@_LINK
def test_force_moves_a_link_aside_without_following_it(tmp_path: Path) -> None:
    target = tmp_path / "precious.pem"
    target.write_text("not yours\n")
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "privateKey.pem").symlink_to(target)
    proc = run_keygen("generate", "--out-dir", str(keys), "--force", "--json")
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == "not yours\n"
    backup = Path(json.loads(proc.stdout)["backups"][0]["backup"])
    assert backup.is_symlink() and os.readlink(backup) == str(target)
    assert not (keys / "privateKey.pem").is_symlink()


# --- exit 4: a documented command failed ----------------------------------------------------------


def test_failing_step_one(tmp_path: Path, stand_in: StandIn, audit_log: Path) -> None:
    path = stand_in(
        "openssl",
        """
        case "$1" in
          genpkey) echo "genpkey: out of entropy" >&2; exit 3 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python="""
        if ARGS[0] == "genpkey":
            print("genpkey: out of entropy", file=sys.stderr)
            raise SystemExit(3)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path), env={"PATH": path})
    assert proc.returncode == 4
    assert "exited 3" in proc.stderr and "out of entropy" in proc.stderr
    assert "openssl genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048" in proc.stderr
    assert list(tmp_path.iterdir()) == []
    rec = json.loads(audit_log.read_text().splitlines()[-1])
    assert rec["result"] == "command_failed" and rec["exit_code"] == 4
    assert rec["steps"][0]["exit_code"] == 3 and "out of entropy" in rec["steps"][0]["stderr"]
    no_traceback(proc)


def test_failing_step_two_publishes_nothing(tmp_path: Path, stand_in: StandIn) -> None:
    path = stand_in(
        "openssl",
        """
        case "$1" in
          rsa) echo "unable to load key" >&2; exit 1 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python="""
        if ARGS[0] == "rsa":
            print("unable to load key", file=sys.stderr)
            raise SystemExit(1)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path), "--json", env={"PATH": path})
    assert proc.returncode == 4
    doc = json.loads(proc.stdout)
    # The records say why a step failed: shown if this ever fails (it did once in the Windows lane
    # under load, step one exiting 1, with no stderr in the report).
    assert [s["exit_code"] for s in doc["steps"]] == [0, 1], doc["steps"]
    assert doc["error"]["kind"] == "command_failed"
    assert list(tmp_path.iterdir()) == []


def test_timeout_stops_the_tool(tmp_path: Path, stand_in: StandIn) -> None:
    pidfile = tmp_path / "pid"
    work = tmp_path / "work"
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) echo $$ > {pidfile}; exec sleep 60 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python=f"""
        if ARGS[0] == "genpkey":
            open({str(pidfile)!r}, "w").write(str(os.getpid()))
            time.sleep(60)
        real()
    """,
    )
    started = time.monotonic()
    proc = run_keygen("generate", "--out-dir", str(work), "--timeout", "1", env={"PATH": path})
    assert time.monotonic() - started < 20
    assert proc.returncode == 4
    assert "did not finish within 1 s" in proc.stderr and "--timeout" in proc.stderr
    pid = int(pidfile.read_text())
    assert process_gone(pid)
    assert list(work.iterdir()) == []


# --- exit 1: the tool ran but its output failed the checks ------------------------------------------


_RSA_1024 = "genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:1024"
_PKCS1 = " ".join(["genrsa", *TRADITIONAL, "-out", "privateKey.pem", "2048"])
_EC = "genpkey -out privateKey.pem -algorithm EC -pkeyopt ec_paramgen_curve:P-256"


def _py_real(args: str) -> str:
    return f"subprocess.call([REAL, *{args.split()!r}], stderr=subprocess.DEVNULL)"


@pytest.mark.parametrize(
    ("genpkey", "py", "finding"),
    [
        (f'"$REAL" {_RSA_1024}', _py_real(_RSA_1024), "private_key.size"),
        (f'"$REAL" {_PKCS1} 2>/dev/null', _py_real(_PKCS1), "private_key.format"),
        (f'"$REAL" {_EC}', _py_real(_EC), "private_key.algorithm"),
    ],
    ids=["1024-bit", "pkcs1", "ec"],  # a genpkey that writes nothing: tests/recipes/test_libressl.py
)
def test_wrong_output_fails_checks_and_publishes_nothing(
    tmp_path: Path, stand_in: StandIn, genpkey: str, py: str, finding: str
) -> None:
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) {genpkey} ;;
          rsa) if [ -f privateKey.pem ]; then "$REAL" pkey -in privateKey.pem -pubout; fi; exit 0 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python=f"""
        if ARGS[0] == "genpkey":
            {py}
            raise SystemExit(0)
        if ARGS[0] == "rsa":
            if os.path.exists("privateKey.pem"):
                subprocess.call([REAL, "pkey", "-in", "privateKey.pem", "-pubout"])
            raise SystemExit(0)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path), "--json", env={"PATH": path})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    failed = [c["name"] for c in doc["checks"] if c["status"] == "fail"]
    assert finding in failed
    assert "nothing was published" in doc["error"]["message"]
    assert doc["error"]["hint"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(WINDOWS, reason=NO_MODE_BITS)
def test_private_key_is_owner_only_from_its_first_byte(tmp_path: Path, stand_in: StandIn) -> None:
    """Like OpenSSL 1.x and LibreSSL, this stand-in creates the key with the umask's mode."""
    seen = tmp_path / "mode-at-creation"
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) : > privateKey.pem; stat -c %a privateKey.pem > {seen}
                   "$REAL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 > privateKey.pem ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "keys"), env={"PATH": path})
    assert proc.returncode == 0, proc.stderr
    assert seen.read_text().strip() == "600"
    assert stat.S_IMODE((tmp_path / "keys" / "privateKey.pem").stat().st_mode) == 0o600


def test_something_appearing_at_a_final_name_mid_run_is_not_clobbered(tmp_path: Path, stand_in: StandIn) -> None:
    """Another program writes publicKey.pub while openssl works: keygen refuses and rolls back."""
    path = stand_in(
        "openssl",
        """
        case "$1" in
          rsa) echo "theirs" > ../publicKey.pub; exec "$REAL" "$@" ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python="""
        if ARGS[0] == "rsa":
            open("../publicKey.pub", "wb").write(b"theirs\\n")
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path), env={"PATH": path})
    assert proc.returncode == 5, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["publicKey.pub"]
    assert (tmp_path / "publicKey.pub").read_text() == "theirs\n"


# --- exit 3, 2, 6 ---------------------------------------------------------------------------------


def test_missing_openssl(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), env={"PATH": str(empty)})
    assert proc.returncode == 3
    assert "openssl was not found" in proc.stderr
    assert "hint:" in proc.stderr and "install" in proc.stderr
    assert not (tmp_path / "k").exists()
    no_traceback(proc)


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--region", "mars"],
        ["generate", "--timeout", "0"],
        ["generate", "--timeout", "-5"],
        ["generate", "--timeout", "soon"],
        ["generate", "--no-such-flag"],
        ["no-such-command"],
        ["audit", "--last", "0"],
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str]) -> None:
    proc = run_keygen(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    no_traceback(proc)
    assert list(tmp_path.iterdir()) == []


def test_unusable_directories(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    for out, words in ((tmp_path / "no" / "such" / "dir", "parent"), (not_a_dir, "not a directory")):
        proc = run_keygen("generate", "--out-dir", str(out))
        assert proc.returncode == 6, proc.stderr
        assert words in proc.stderr and "hint:" in proc.stderr
        no_traceback(proc)


@pytest.mark.skipif(
    WINDOWS,
    reason="an unwritable directory needs POSIX mode bits: Windows' read-only attribute does not stop "
    "creating files in a directory, and Wine enforces no ACLs",
)
def test_unwritable_directory(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        tmp_path.chmod(0o500)
        try:
            proc = run_keygen("generate", "--out-dir", str(tmp_path))
        finally:
            tmp_path.chmod(0o700)
        assert proc.returncode == 6
        return
    # Root may write anywhere: run keygen as an unprivileged user against a root-owned directory.
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("needs setpriv to drop root")
    base = Path(tempfile.mkdtemp(prefix="keygen-ro-"))
    try:
        base.chmod(0o755)
        target = base / "keys"
        target.mkdir(mode=0o755)
        proc = subprocess.run(
            [
                setpriv,
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                sys.executable,
                "-m",
                "keygen",
                "generate",
                "--out-dir",
                str(target),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=base,
            env={**os.environ, "PYTHONPATH": str(REPO), "HOME": str(base), "KEYGEN_AUDIT_LOG": str(base / "a")},
        )
        assert proc.returncode == 6, proc.stderr
        assert "not writable" in proc.stderr
        assert list(target.iterdir()) == []
    finally:
        shutil.rmtree(base)


# --- 130: interrupted -------------------------------------------------------------------------------


@pytest.mark.skipif(WINDOWS, reason=NO_SIGNALS)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_cleans_up(tmp_path: Path, stand_in: StandIn, audit_log: Path, sig: int) -> None:
    pidfile = tmp_path / "pid"
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "other.txt").write_text("keep me")
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) "$REAL" "$@"; echo $$ > {pidfile}; exec sleep 60 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "keygen", "generate", "--out-dir", str(keys)],
        env={**os.environ, "PATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert time.monotonic() < deadline, "the stand-in never started"
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert sorted(p.name for p in keys.iterdir()) == ["other.txt"]  # staging, and its half-made key, gone
    assert process_gone(int(pidfile.read_text()))
    rec = json.loads(audit_log.read_text().splitlines()[-1])
    assert rec["exit_code"] == 130 and rec["result"] == "interrupted"


# --- races --------------------------------------------------------------------------------------------


def test_two_runs_into_one_dir(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "keygen", "generate", "--out-dir", str(tmp_path), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    # communicate, not wait: an unread pipe fills (Windows' are much smaller than Linux's) and the writer blocks.
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    results = [(p.returncode, out) for p, out in zip(procs, outputs)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 5], results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["privateKey.pem", "publicKey.pub"]
    derived = subprocess.run(
        [OPENSSL, "pkey", "-in", str(tmp_path / "privateKey.pem"), "-pubout"], capture_output=True, check=True
    ).stdout
    assert derived == (tmp_path / "publicKey.pub").read_bytes()
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
