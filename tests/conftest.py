"""Shared fixtures. No test may write into a home directory it was not given: every test, and every
process it starts, runs with HOME, the XDG directories and KEYGEN_AUDIT_LOG pointed into its own
temporary directory. The session itself starts in a decoy home of its own (not the real one, which
other programs on the machine, keygen in another terminal included, may change at any time); a guard
fails any test after which the decoy's keygen directories or top level changed, i.e. something
wrote where HOME pointed before the test's own was set.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    DATA_TRADITIONAL,
    NO_SH,
    OPENSSL,
    PY_PRELUDE,
    SSH_KEYGEN,
    WINDOWS,
    schemas,
    write_python_tool,
)
from tests.helpers.pairs import Pair, make_pair
from tests.helpers.standin import StandIn


def _decoy_home() -> Path:
    """The session's own home, set before any test module (or keygen) is imported."""
    decoy = Path(tempfile.mkdtemp(prefix="keygen-tests-home-")).resolve()
    os.environ["HOME"] = os.environ["USERPROFILE"] = str(decoy)
    for var, sub in _XDG:
        os.environ[var] = str(decoy / sub)
    return decoy


_XDG = (
    ("XDG_STATE_HOME", ".local/state"),
    ("XDG_CONFIG_HOME", ".config"),
    ("XDG_CACHE_HOME", ".cache"),
    ("XDG_DATA_HOME", ".local/share"),
)
SESSION_HOME = _decoy_home()


def pytest_configure(config: pytest.Config) -> None:
    # Every keygen --json output in the suite is validated against docs/schemas/ (tests/helpers/schemas.py).
    schemas.install()

def _snapshot(home: Path) -> dict[str, tuple[int, int]]:
    """Every path under the session's home with its modification time and size (it is small: only
    what a test wrongly wrote there)."""
    snap: dict[str, tuple[int, int]] = {}
    for path in home.rglob("*"):
        try:
            st = path.lstat()
        except OSError:
            continue
        snap[str(path.relative_to(home))] = (st.st_mtime_ns if not stat.S_ISDIR(st.st_mode) else 0, st.st_size)
    return snap


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every home-like variable into a temporary home, and fail if the session's changed."""
    before = _snapshot(SESSION_HOME)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for var, sub in _XDG:
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("KEYGEN_AUDIT_LOG", str(home / "audit.jsonl"))
    monkeypatch.delenv("KEYGEN_DEBUG", raising=False)
    yield home
    after = _snapshot(SESSION_HOME)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"a test wrote outside its own home directory (into {SESSION_HOME}): {changed}"


@pytest.fixture
def home(_no_real_home: Path) -> Path:
    return _no_real_home


@pytest.fixture
def audit_log(home: Path) -> Path:
    return home / "audit.jsonl"


@pytest.fixture
def stand_in(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Make stand-in executables: `stand_in("openssl", "<sh body>")` returns a PATH string with it first.

    The body is a POSIX sh script; `$REAL` is the real tool's path, for stand-ins that wrap it.
    `python=` gives the same stand-in in Python (REAL, ARGS and `real(*argv)` are defined for it): on
    POSIX the sh body is used when there is one, on Windows the Python one always (as a .exe); a
    stand-in with no Python body skips the test on Windows. KEYGEN_TEST_PYTHON_STAND_INS=1 makes POSIX use
    the Python ones too (to try them without Windows).
    """
    bindir = tmp_path_factory.mktemp("stand-in-bin")

    def make(name: str, body: str = "", *, only: bool = False, python: str | None = None) -> str:
        real = shutil.which(name) or ""
        rest = "" if only else os.pathsep + os.environ.get("PATH", "")
        if python is not None and (WINDOWS or not body or os.environ.get("KEYGEN_TEST_PYTHON_STAND_INS")):
            write_python_tool(bindir / name, PY_PRELUDE.format(real=real) + textwrap.dedent(python))
            return str(bindir) + rest
        if WINDOWS:
            pytest.skip(NO_SH)
        script = bindir / name
        script.write_text(f"#!/bin/sh\nREAL={real}\n" + textwrap.dedent(body))
        script.chmod(0o755)
        return str(bindir) + rest

    return make


def _make_key_zoo(root: Path) -> dict[str, Path]:
    """Every kind of key file issue 4 names, made by the real tools (openssl, ssh-keygen)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_ASKPASS")}
    if os.environ.get("KEYGEN_DATA_OPENSSL"):  # the macOS lane: the zoo is made by the system's openssl
        env["PATH"] = os.path.dirname(os.environ["KEYGEN_DATA_OPENSSL"]) + os.pathsep + env.get("PATH", "")

    def sh(*argv: str, out: str | None = None) -> None:
        stdout = open(root / out, "wb") if out else subprocess.DEVNULL  # noqa: SIM115 - closed below
        try:
            subprocess.run(
                argv,
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=subprocess.DEVNULL,
                check=True,
                start_new_session=True,
                timeout=60,
            )
        finally:
            if out:
                stdout.close()  # type: ignore[union-attr]

    sh("openssl", "genpkey", "-out", "privateKey.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
    sh("openssl", "rsa", "-in", "privateKey.pem", "-pubout", out="publicKey.pub")
    sh("openssl", "rsa", "-in", "privateKey.pem", *DATA_TRADITIONAL, "-out", "pkcs1.pem")
    sh("openssl", "rsa", "-in", "privateKey.pem", "-RSAPublicKey_out", "-out", "pkcs1_public.pub")
    sh(
        "openssl",
        "pkcs8",
        "-topk8",
        "-in",
        "privateKey.pem",
        "-out",
        "encrypted_pkcs8.pem",
        "-passout",
        "pass:secret123",
    )
    sh(
        "openssl",
        "rsa",
        "-in",
        "privateKey.pem",
        *DATA_TRADITIONAL,
        "-aes256",
        "-passout",
        "pass:secret123",
        "-out",
        "encrypted_pkcs1.pem",
    )
    # The same key rewritten by ssh-keygen in its own format (what -p does without -m PKCS8).
    shutil.copyfile(root / "privateKey.pem", root / "openssh.pem")
    os.chmod(root / "openssh.pem", 0o600)
    sh("ssh-keygen", "-p", "-P", "", "-N", "", "-f", "openssh.pem")
    shutil.copyfile(root / "privateKey.pem", root / "openssh_encrypted.pem")
    os.chmod(root / "openssh_encrypted.pem", 0o600)
    sh("ssh-keygen", "-p", "-P", "", "-N", "secret123", "-f", "openssh_encrypted.pem")
    # The public key as an ssh-rsa line and as RFC 4716 (`-e` without `-m PKCS8`).
    sh("ssh-keygen", "-i", "-m", "PKCS8", "-f", "publicKey.pub", out="ssh_rsa_line.pub")
    sh("ssh-keygen", "-e", "-f", "ssh_rsa_line.pub", out="rfc4716.pub")
    # An SDK README's line: ssh-keygen without -m PKCS8 (OpenSSH format) and its .pem.pub side file.
    sh("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", "sdk_readme.pem")
    # The documented ssh-keygen pair: another key, for the mismatch case.
    sh("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PKCS8", "-N", "", "-f", "other.pem")
    sh("ssh-keygen", "-f", "other.pem", "-e", "-m", "PKCS8", out="other.pub")
    sh("openssl", "genpkey", "-out", "rsa1024.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024")
    sh("openssl", "rsa", "-in", "rsa1024.pem", "-pubout", out="rsa1024.pub")
    sh("openssl", "genpkey", "-out", "ec.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    sh("openssl", "ec", "-in", "ec.pem", "-out", "ec_traditional.pem")
    sh("openssl", "pkey", "-in", "ec.pem", "-pubout", out="ec.pub")
    sh("openssl", "genpkey", "-out", "ed25519.pem", "-algorithm", "ed25519")
    sh("openssl", "pkey", "-in", "ed25519.pem", "-pubout", out="ed25519.pub")
    # Line ends as a native Windows openssl writes them (CRLF throughout), a file edited into a mix,
    # and Windows PowerShell 5.1's `>`: UTF-16LE with a BOM and CRLF.
    public = (root / "publicKey.pub").read_bytes().replace(b"\r\n", b"\n")
    private = (root / "privateKey.pem").read_bytes().replace(b"\r\n", b"\n")
    (root / "crlf.pub").write_bytes(public.replace(b"\n", b"\r\n"))
    (root / "crlf.pem").write_bytes(private.replace(b"\n", b"\r\n"))
    os.chmod(root / "crlf.pem", 0o600)
    (root / "mixed.pub").write_bytes(public.replace(b"\n", b"\r\n", 3))
    (root / "bom.pub").write_bytes(b"\xef\xbb\xbf" + public)
    (root / "bom_crlf.pub").write_bytes(b"\xef\xbb\xbf" + public.replace(b"\n", b"\r\n"))
    (root / "powershell.pub").write_bytes(public.replace(b"\n", b"\r\n").decode("ascii").encode("utf-16"))
    (root / "utf16le_no_bom.pub").write_bytes(public.decode("ascii").encode("utf-16-le"))
    return {p.name: p for p in root.iterdir()}


@pytest.fixture(scope="session")
def key_zoo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Read-only key files of every kind (copy one into tmp_path before changing it)."""
    if not OPENSSL:
        pytest.skip("needs openssl")
    if not SSH_KEYGEN:
        pytest.skip("needs ssh-keygen (no ssh-keygen.exe in the Windows lane)")
    return _make_key_zoo(tmp_path_factory.mktemp("key-zoo"))


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pair, Pair]:
    """Two RSA pairs made by openssl, for the stand-in server and confirm (one set per module)."""
    root = tmp_path_factory.mktemp("pairs")
    return make_pair(root / "a"), make_pair(root / "b")


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A local Amazon Pay stand-in server on 127.0.0.1, stopped after the test."""
    with StandIn() as s:
        yield s
