"""Shared test code: running the real CLI, described machines, pseudo-terminals, fake Windows trees;
in submodules, the Amazon Pay stand-in server (`standin`), TLS material (`tls`), key pairs
(`pairs`) and the Node SDK runner (`node_sdk`).

Tests import from here, never from each other (and never from conftest, which holds fixtures only).
"""

from __future__ import annotations

import ntpath
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keygen.host import ToolInfo
from keygen.host.windows import GitForWindows

try:
    import pty
except ImportError:  # Windows: pty needs termios
    pty = None  # type: ignore[assignment]
NO_PTY = "needs a pty (no pty/termios on Windows)"

REPO = Path(__file__).resolve().parents[2]
#: The CLI as a user runs it from a checkout.
KEYGEN = [sys.executable, "-m", "keygen"]
OPENSSL = shutil.which("openssl")
SSH_KEYGEN = shutil.which("ssh-keygen")


def _openssl_major(openssl: str | None = OPENSSL) -> int:
    if openssl is None:
        return 0
    out = subprocess.run([openssl, "version"], capture_output=True, text=True, check=False).stdout
    match = re.match(r"OpenSSL (\d+)\.", out)
    return int(match.group(1)) if match else 0


#: The flag for PKCS#1 output: OpenSSL 3 writes PKCS#8 unless told `-traditional`; OpenSSL 1.1.1
#: (Debian 11, run by .ci/distros) writes PKCS#1 already and has no such flag.
TRADITIONAL: tuple[str, ...] = ("-traditional",) if _openssl_major() >= 3 else ()
#: The same for the openssl that makes test data (the macOS lane: the system's, not LibreSSL).
DATA_TRADITIONAL: tuple[str, ...] = (
    ("-traditional",) if _openssl_major(os.environ.get("KEYGEN_DATA_OPENSSL") or OPENSSL) >= 3 else ()
)


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


def readme_fingerprint(pub: Path) -> tuple[str, str]:
    """keygen's fingerprint of `pub` and its hex, by the documentation's own two commands.

    The commands are taken from docs/reference/commands/generate.md as written (with
    `publicKey.pub` replaced by `pub`), so the documentation and what keygen prints cannot drift apart."""
    text = (REPO / "docs" / "reference" / "commands" / "generate.md").read_text(encoding="utf-8")
    spki = r"openssl pkey -pubin -in publicKey\.pub -outform DER \| "
    b64 = re.search(f"`({spki}openssl dgst -sha256 -binary \\| openssl base64)`", text)
    hexa = re.search(f"`({spki}sha256sum)`", text)
    assert b64 is not None and hexa is not None, "the generate page names both fingerprint commands"

    def sh(command: str) -> str:
        # A pipeline of plain words, run stage by stage (no shell needed, so Windows runs it too).
        data = b""
        for stage in command.split(" | "):
            argv = [str(pub) if word == "publicKey.pub" else word for word in shlex.split(stage)]
            if shutil.which(argv[0]) is None:
                import pytest

                pytest.skip(f"the documented fingerprint command needs {argv[0]}")
            data = subprocess.run(argv, input=data, capture_output=True, check=True).stdout
        return data.decode("ascii")

    return "SHA256:" + sh(b64.group(1)).strip().rstrip("="), sh(hexa.group(1)).split()[0]


def private_key_body(path: Path) -> list[str]:
    """The base64 lines of a private key: what must never appear in any output or record."""
    return [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("-----")]


def process_gone(pid: int, within: float = 5.0) -> bool:
    """True once pid no longer runs (a zombie awaiting its reaper counts as gone)."""
    import time

    deadline = time.monotonic() + within
    while not _pid_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _pid_gone(pid: int) -> bool:
    if WINDOWS:  # os.kill(pid, 0) would send CTRL_C_EVENT there: ask for the exit code instead
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32")
        kernel32.OpenProcess.restype = ctypes.c_void_p
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return True
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(ctypes.c_void_p(handle), ctypes.byref(code))
        kernel32.CloseHandle(ctypes.c_void_p(handle))
        return bool(ok) and code.value != 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


def run_in_pty(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    answers: tuple[bytes, ...] = (),
    prompt: bytes = b"passphrase",
    timeout: float = 60,
) -> tuple[int, str]:
    """Run argv with a pseudo-terminal as its controlling terminal and stdio, like a person's
    terminal window; type each answer after the next `prompt` appears. Returns (exit code, output)."""
    full_env = {**os.environ, **(env or {})}
    if pty is None:
        import pytest

        pytest.skip(NO_PTY)
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.chdir(cwd)
            os.execvpe(argv[0], argv, full_env)
        finally:
            os._exit(127)
    out = bytearray()
    pending = list(answers)
    seen_from = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child side closed
                    break
                if not chunk:
                    break
                out += chunk
            elif pending and prompt in bytes(out[seen_from:]).lower():
                # Output went quiet after a prompt: it is waiting for us.
                os.write(fd, pending.pop(0) + b"\n")
                seen_from = len(out)
        else:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"{argv} did not finish in {timeout} s; output so far: {out.decode(errors='replace')}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace").replace("\r\n", "\n")


def rooted_exists(root: Path) -> Callable[[str], bool]:
    """An `exists` that maps `C:\\X\\Y` to `<root>/C/X/Y`: fake Windows trees laid out in a temporary directory."""

    def exists(windows_path: str) -> bool:
        drive, rest = ntpath.splitdrive(windows_path)
        parts = [p for p in rest.replace("/", "\\").split("\\") if p]
        return root.joinpath(drive.rstrip(":") or "_", *parts).is_file()

    return exists


def text_of(result: Any, *, verbose: bool = False) -> str:
    """A result's text body as the renderer writes it (plain: tests do not run on a terminal)."""
    from keygen import render

    return "\n".join(render.body(result, verbose=verbose).lines)


# --- described machines (shared by the plan, doctor and literal tests) --------------------------

OPENSSL_TOOL = ToolInfo("openssl", "/usr/bin/openssl", "OpenSSL 3.0.19 27 Jan 2026", "OpenSSL", (3, 0, 19))
LIBRESSL = ToolInfo("openssl", "/usr/bin/openssl", "LibreSSL 3.3.6", "LibreSSL", (3, 3, 6))
SSH_92 = ToolInfo("ssh-keygen", "/usr/bin/ssh-keygen", "OpenSSH_9.2p1", "OpenSSH", (9, 2))
WIN_SSH = r"C:\Windows\System32\OpenSSH\ssh-keygen.exe"
WIN_SSH_77 = ToolInfo("ssh-keygen", WIN_SSH, "OpenSSH_for_Windows_7.7p1, LibreSSL 2.6.5", "OpenSSH", (7, 7))
WIN_SSH_80 = ToolInfo("ssh-keygen", WIN_SSH, "OpenSSH_for_Windows_8.0p1", "OpenSSH", (8, 0))
WIN_SSH_81 = ToolInfo("ssh-keygen", WIN_SSH, "OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2", "OpenSSH", (8, 1))
WIN_SSH_96 = ToolInfo("ssh-keygen", WIN_SSH, "OpenSSH_for_Windows_9.5p1, LibreSSL 3.8.2", "OpenSSH", (9, 5))
GIT = GitForWindows(
    root=r"C:\Program Files\Git",
    bash=r"C:\Program Files\Git\usr\bin\bash.exe",
    openssl=r"C:\Program Files\Git\mingw64\bin\openssl.exe",
    found_by="%ProgramW6432%",
)
GIT_BASH_OPENSSL = ToolInfo("openssl", r"/mingw64/bin/openssl", "OpenSSL 3.2.1 30 Jan 2024", "OpenSSL", (3, 2, 1))


def terminal_run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[int, str]:
    """Run keygen with a pseudo-terminal as stdin, stdout and stderr (NO_COLOR removed unless given);
    return its exit code and everything it wrote."""
    env = {k: v for k, v in {**os.environ, **env}.items() if k != "NO_COLOR" or "NO_COLOR" in env}
    if pty is None:
        import pytest

        pytest.skip(NO_PTY)
    main, child = pty.openpty()
    proc = subprocess.Popen([*KEYGEN, *args], stdin=child, stdout=child, stderr=child, env=env, cwd=cwd)
    os.close(child)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the child side closed
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    code = proc.wait(60)
    os.close(main)
    return code, out.decode(errors="replace")


def on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """What keygen writes on a terminal."""
    return terminal_run(args, env, cwd)[1]


WINDOWS = os.name == "nt"
#: A stand-in written only as a POSIX sh script cannot run on Windows (the lane has no MSYS bash.exe).
NO_SH = "the stand-in is a POSIX sh script (no MSYS bash.exe in the Windows lane)"
NO_MODE_BITS = "file mode bits are POSIX: Windows has none to assert (its ACLs are another matter: how-to/windows.md)"
NO_SIGNALS = (
    "needs POSIX signals to a running keygen: Windows has none (send_signal(SIGTERM) there is an "
    "uncatchable TerminateProcess, and CTRL_C_EVENT reaches only a whole console)"
)


def _symlinks_work() -> bool:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / "link"
        try:
            link.symlink_to(Path(tmp) / "target")
        except OSError:
            return False
        return link.is_symlink()


#: Wine's CreateSymbolicLinkW reports success and makes nothing; real Windows needs Developer Mode.
SYMLINKS = not WINDOWS or _symlinks_work()
NO_SYMLINKS = "needs symbolic links, which this Windows cannot make (Wine makes none; Windows needs Developer Mode)"
#: What every Python stand-in starts with: the real tool's path, and a way to hand over to it.
PY_PRELUDE = """\
import os, subprocess, sys, time
REAL = {real!r}
ARGS = sys.argv[1:]
def real(*argv):
    sys.stdout.flush()
    raise SystemExit(subprocess.call([REAL, *(argv or ARGS)]))
"""


def _windows_launcher() -> bytes:
    """pip's own console-script launcher (distlib's t64.exe): it runs the interpreter named on the
    `#!` line after it with the zip appended to it, whose `__main__.py` is the script (ScriptMaker)."""
    import pip

    return (Path(pip.__file__).parent / "_vendor" / "distlib" / "t64.exe").read_bytes()


def write_python_tool(path: Path, source: str) -> Path:
    """An executable running `source` with this Python: a `#!` script on POSIX, a .exe on Windows."""
    if not WINDOWS:
        path.write_text(f"#!{sys.executable}\n{source}")
        path.chmod(0o755)
        return path
    import io
    import zipfile

    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("__main__.py", source)
    exe = path.with_name(path.name + ".exe")
    exe.write_bytes(_windows_launcher() + f'#!"{sys.executable}"\r\n'.encode() + payload.getvalue())
    return exe
