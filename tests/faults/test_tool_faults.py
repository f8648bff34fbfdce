"""Faults of the tool itself: missing, unusable, hanging, dying, flooding, lying."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, WINDOWS, process_gone, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
StandIn = Callable[..., str]


def assert_clean(out: Path) -> None:
    """Nothing but a checked pair may stand under a final name, and no staging is left behind."""
    names = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert names in ([], ["privateKey.pem", "publicKey.pub"]), names
    assert not [n for n in names if n.startswith(".keygen-staging-")]


def test_openssl_not_executable_or_a_directory(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "openssl").write_text("#!/bin/sh\nexit 0\n")  # no execute bit
    (tmp_path / "bin2" / "openssl").mkdir(parents=True)  # a directory named openssl
    for path in (str(bindir), str(tmp_path / "bin2")):
        proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), env={"PATH": path})
        assert proc.returncode == 3, proc.stderr
        assert "openssl was not found" in proc.stderr and "hint:" in proc.stderr
    assert not (tmp_path / "k").exists()


def test_exec_failure_is_exit_3(tmp_path: Path, stand_in: StandIn) -> None:
    """A file that is executable but cannot be executed (bad interpreter; on Windows, not a program)."""
    path = stand_in("openssl", "", python="")
    if WINDOWS:
        (Path(path.split(os.pathsep)[0]) / "openssl.exe").write_bytes(b"MZ but not a program\r\n")
    else:
        (Path(path.split(os.pathsep)[0]) / "openssl").write_text("#!/nonexistent/interpreter\n")
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), env={"PATH": path})
    assert proc.returncode == 3, proc.stderr
    assert "cannot run" in proc.stderr
    assert_clean(tmp_path / "k")


def test_hang_is_stopped_with_everything_it_started(tmp_path: Path, stand_in: StandIn) -> None:
    pids = tmp_path / "pids"
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) sleep 60 & echo $! >> {pids}; echo $$ >> {pids}; wait ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python=f"""
        if ARGS[0] == "genpkey":
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            with open({str(pids)!r}, "a") as f:
                f.write(f"{{child.pid}}\\n{{os.getpid()}}\\n")
            child.wait()
        real()
    """,
    )
    # Under Wine a Python stand-in can take over half a second just to start: it must get to start
    # its child before the timeout, or there would be no tree to stop.
    timeout = "5" if WINDOWS else "0.5"
    started = time.monotonic()
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--timeout", timeout, env={"PATH": path})
    assert proc.returncode == 4 and f"did not finish within {timeout} s" in proc.stderr
    assert time.monotonic() - started < 15 + float(timeout)
    for pid in map(int, pids.read_text().split()):
        assert process_gone(pid)
    assert_clean(tmp_path / "k")


def test_tool_killed_by_a_signal(tmp_path: Path, stand_in: StandIn) -> None:
    path = stand_in(
        "openssl",
        """
        case "$1" in
          genpkey) kill -9 $$ ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        # Windows has no signals: os.kill() there is TerminateProcess with that exit code.
        python="""
        if ARGS[0] == "genpkey":
            os.kill(os.getpid(), 9)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json", env={"PATH": path})
    assert proc.returncode == 4
    doc = json.loads(proc.stdout)
    if WINDOWS:
        assert "exited 9" in doc["error"]["message"]
        assert doc["steps"][0]["signal"] is None
    else:
        assert "killed by signal 9" in doc["error"]["message"]
        assert doc["steps"][0]["signal"] == 9
    assert_clean(tmp_path / "k")


_ENCRYPTED = "genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:hunter2"


def _libressl() -> bool:
    done = subprocess.run(["openssl", "version"], capture_output=True, text=True, timeout=30)
    return done.stdout.startswith("LibreSSL")


@pytest.mark.parametrize(
    ("body", "py"),
    [
        ('printf "garbage\\n" > privateKey.pem', 'open("privateKey.pem", "w").write("garbage\\n")'),
        ("head -c 3000 /dev/urandom > privateKey.pem", 'open("privateKey.pem", "wb").write(os.urandom(3000))'),
        (
            '"$REAL" genpkey -out privateKey.pem -algorithm ED25519',
            'subprocess.call([REAL, "genpkey", "-out", "privateKey.pem", "-algorithm", "ED25519"])',
        ),
        (f'"$REAL" {_ENCRYPTED}', f"subprocess.call([REAL, *{_ENCRYPTED.split()!r}])"),
    ],
    ids=["text-garbage", "binary-garbage", "ed25519", "encrypted"],
)
def test_exit_0_with_wrong_output(tmp_path: Path, stand_in: StandIn, body: str, py: str) -> None:
    if "ED25519" in body and _libressl():
        pytest.skip("LibreSSL 3.3.6 (the macOS lane's openssl) cannot make an Ed25519 key")
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) {body}; exit 0 ;;
          rsa) cat privateKey.pem; exit 0 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python=f"""
        if ARGS[0] == "genpkey":
            {py}
            raise SystemExit(0)
        if ARGS[0] == "rsa":
            sys.stdout.buffer.write(open("privateKey.pem", "rb").read())
            raise SystemExit(0)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json", env={"PATH": path})
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["error"]["kind"] == "checks_failed" and doc["error"]["hint"]
    assert any(c["status"] == "fail" for c in doc["checks"])
    assert_clean(tmp_path / "k")
    assert "Traceback" not in proc.stderr


def test_rsa_step_writing_the_private_key_to_stdout_is_caught(tmp_path: Path, stand_in: StandIn) -> None:
    """A broken step two that prints the private key: caught by the checks, and never echoed."""
    path = stand_in(
        "openssl",
        """
        case "$1" in
          rsa) cat privateKey.pem; echo "$(cat privateKey.pem)" >&2; exit 0 ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python="""
        if ARGS[0] == "rsa":
            key = open("privateKey.pem", "rb").read()
            sys.stdout.buffer.write(key)
            sys.stderr.buffer.write(key)
            raise SystemExit(0)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json", env={"PATH": path})
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert next(c for c in doc["checks"] if c["name"] == "public_key.format")["status"] == "fail"
    assert "PRIVATE KEY-----" not in proc.stdout.replace("PRIVATE KEY)", "")
    assert "MII" not in proc.stdout + proc.stderr
    assert_clean(tmp_path / "k")


def test_flooding_and_non_utf8_output(tmp_path: Path, stand_in: StandIn) -> None:
    path = stand_in(
        "openssl",
        """
        case "$1" in
          genpkey) head -c 20000000 /dev/zero | tr '\\0' 'x' >&2; printf '\\377\\376 bad bytes \\351\\n' >&2
                   exec "$REAL" "$@" ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python="""
        if ARGS[0] == "genpkey":
            for _ in range(20):
                sys.stderr.buffer.write(b"x" * 1_000_000)
            sys.stderr.buffer.write(b"\\377\\376 bad bytes \\351\\n")
            sys.stderr.flush()
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json", env={"PATH": path})
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert len(doc["steps"][0]["stderr"]) <= 2000
    assert len(proc.stdout) < 100_000


def test_flooding_stdout_into_the_redirect_is_bounded_by_the_checks(tmp_path: Path, stand_in: StandIn) -> None:
    path = stand_in(
        "openssl",
        """
        case "$1" in
          rsa) head -c 3000000 /dev/zero ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
        python="""
        if ARGS[0] == "rsa":
            sys.stdout.buffer.write(bytes(3_000_000))
            raise SystemExit(0)
        real()
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json", env={"PATH": path})
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert any("refused without reading" in c["summary"] for c in doc["checks"] if c["status"] == "fail")
    assert_clean(tmp_path / "k")


@pytest.mark.skipif(WINDOWS, reason="a full disk is simulated with RLIMIT_FSIZE (ulimit -f), which Windows lacks")
@pytest.mark.parametrize("step", ["genpkey", "rsa"])
def test_file_size_limit_while_writing(tmp_path: Path, stand_in: StandIn, step: str) -> None:
    """The disk fills (simulated with RLIMIT_FSIZE on the child): the write fails, the run fails cleanly."""
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          {step}) ulimit -f 0; exec "$REAL" "$@" ;;
          *) exec "$REAL" "$@" ;;
        esac
    """,
    )
    proc = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json", env={"PATH": path})
    assert proc.returncode in (1, 4), proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["error"]["message"] and doc["error"]["hint"]
    assert_clean(tmp_path / "k")
