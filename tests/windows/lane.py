"""The Windows lane's machinery, shared by its test modules: a scratch area, the Git for Windows tree
keygen looks for (with the lane's openssl.exe in `mingw64\\bin`), and a way to run Wine's cmd.exe.

Set up by `bash .ci/windows e2e`; anywhere else the tests that use it are skipped (`pytestmark`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

LANE = os.environ.get("KEYGEN_WINDOWS_LANE")
SKIP = pytest.mark.skipif(not LANE, reason="runs in the Windows lane: bash .ci/windows e2e")

PYTHON = os.environ.get("KEYGEN_WINE_PYTHON", "C:\\Python313\\python.exe")
SCRIPTS = PYTHON.rsplit("\\", 1)[0] + "\\Scripts"
OPENSSL_EXE = Path(os.environ.get("KEYGEN_WIN_OPENSSL", "/nonexistent"))
STAND_INS = Path(os.environ.get("KEYGEN_WIN_STAND_INS", "/nonexistent"))
LINUX_OPENSSL = shutil.which("openssl")


def winpath(path: Path) -> str:
    """Wine maps the Linux root to drive Z:."""
    return "Z:" + str(path).replace("/", "\\")


def drive_c() -> Path:
    return Path(os.environ["WINEPREFIX"]) / "drive_c"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, object]:
        doc = json.loads(self.out)
        assert isinstance(doc, dict)
        return doc


@dataclass
class Lane:
    """A scratch area, the Git for Windows tree keygen looks for, and a way to run cmd.exe."""

    root: Path
    program_files: Path
    audit_log: Path

    def bat(self, body: list[str], *, program_files: Path | None = None, name: str = "run.bat") -> Path:
        """A batch file as a user's session would be: keygen on PATH, Git for Windows installed."""
        lines = [
            "@echo off",
            f'set "PATH={SCRIPTS};%PATH%"',
            # Wine derives these from its registry: point them at this test's own tree.
            f'set "ProgramW6432={winpath(program_files or self.program_files)}"',
            f'set "ProgramFiles={winpath(program_files or self.program_files)}"',
            f'set "KEYGEN_AUDIT_LOG={winpath(self.audit_log)}"',
            *body,
        ]
        path = self.root / name
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
        return path

    def start(self, body: list[str], *, shell: str = "cmd", env: dict[str, str] | None = None,
              **kw: Path) -> subprocess.Popen[bytes]:
        bat = self.bat(body, **kw)
        # A Windows user's PATH has no openssl of its own: Git Bash's is found through the Git tree.
        full_env = {k: v for k, v in os.environ.items() if k != "WINEPATH"}
        full_env.update(env or {})
        shell_exe = "cmd" if shell == "cmd" else shell
        return subprocess.Popen(
            ["wine", shell_exe, "/c", winpath(bat)],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )

    def cmd(self, body: list[str], *, timeout: float = 180, **kw: object) -> Ran:
        proc = self.start(body, **kw)  # type: ignore[arg-type]
        out, err = proc.communicate(timeout=timeout)
        # A Windows pipe carries the ANSI code page (cp1252 in this prefix); keygen writes what it
        # lacks as \uXXXX escapes, so JSON decodes to the exact path.
        return Ran(proc.returncode, out.decode("cp1252", "replace"), err.decode("cp1252", "replace"))

    def keygen(self, *args: str, **kw: object) -> Ran:
        return self.cmd(["keygen " + " ".join(args)], **kw)


def lay_out_git(program_files: Path) -> Path:
    r"""`<ProgramFiles>\Git` as the installer lays it out, with the lane's openssl.exe in mingw64\bin."""
    git = program_files / "Git"
    for rel in ("bin/bash.exe", "usr/bin/bash.exe", "cmd/git.exe", "git-bash.exe"):
        (git / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(STAND_INS / ("git.exe" if rel.endswith("git.exe") else "bash.exe"), git / rel)
    (git / "mingw64" / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(OPENSSL_EXE, git / "mingw64" / "bin" / "openssl.exe")
    return git



def assert_linux_openssl_accepts(out: Path) -> None:
    """The pair a Windows openssl made is a good pair to Linux's openssl too."""
    assert LINUX_OPENSSL, "the lane's host has openssl"
    check = subprocess.run(
        [LINUX_OPENSSL, "rsa", "-in", str(out / "privateKey.pem"), "-check", "-noout"],
        capture_output=True, text=True, check=False,
    )
    assert check.returncode == 0 and "RSA key ok" in check.stdout, check.stderr
    derived = subprocess.run(
        [LINUX_OPENSSL, "pkey", "-in", str(out / "privateKey.pem"), "-pubout"],
        capture_output=True, check=True,
    ).stdout
    assert (out / "publicKey.pub").read_bytes().replace(b"\r\n", b"\n") == derived
