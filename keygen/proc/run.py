"""The one place that starts processes.

Always an argv list, never subprocess's own shell (literal mode passes the documented line as one
argument to a real shell's `-c`). The child runs in its own session so that a timeout or Ctrl-C can stop it
and everything it started; its umask keeps any file it creates owner-only from the first byte.
Output is drained by threads into bounded buffers, so a flooding tool cannot exhaust memory.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from keygen.proc import interrupt, winproc

#: How much of each stream is kept; the rest is counted, not stored.
CAPTURE_LIMIT = 64 * 1024
#: Grace period between SIGTERM and SIGKILL when stopping a child.
KILL_GRACE_S = 1.0

IS_POSIX = os.name == "posix"
#: Windows has no SIGKILL: there every stop is a termination of the whole tree (keygen.proc.winproc).
SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def which(name: str, path: str | None = None) -> str | None:
    found = shutil.which(name, path=path)
    return os.path.abspath(found) if found else None


def _session(umask: int, new_session: bool) -> dict[str, Any]:
    """The child's own session (so it and all it starts can be stopped) and its umask."""
    if IS_POSIX:
        return {"umask": umask, "start_new_session": new_session}
    if new_session:  # pragma: no cover - Windows only
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {}  # pragma: no cover - Windows only


def _stdio(stdout_fd: int | None, stdin_data: bytes | None, inherit: bool) -> tuple[int | None, int | None, int | None]:
    if inherit:
        return None, stdout_fd, None
    stdin = subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL
    return stdin, (stdout_fd if stdout_fd is not None else subprocess.PIPE), subprocess.PIPE


def start(
    argv: Sequence[str],
    *,
    executable: str,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    stdout_fd: int | None = None,
    stdin_data: bytes | None = None,
    umask: int = 0o077,
    new_session: bool = True,
    inherit_stdio: bool = False,
) -> subprocess.Popen[bytes]:
    """Start argv (argv[0] kept as given, `executable` is what starts): always an argv list, never a
    shell; its own session; a umask that keeps what it creates owner-only from the first byte."""
    stdin, stdout, stderr = _stdio(stdout_fd, stdin_data, inherit_stdio)
    return subprocess.Popen(
        list(argv),
        executable=executable,
        cwd=os.fspath(cwd),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        env=dict(env) if env is not None else None,
        close_fds=True,
        **_session(umask, new_session),
    )


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    executable: str
    cwd: str
    returncode: int | None
    duration_s: float
    stdout: bytes
    stderr: bytes
    stdout_bytes: int
    stderr_bytes: int
    timed_out: bool = False
    #: The signal that ended the child, when one did (POSIX).
    signal: int | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@dataclass
class _Drain:
    """Reads a pipe to EOF in a thread, keeping only the first CAPTURE_LIMIT bytes."""

    stream: IO[bytes]
    kept: bytearray = field(default_factory=bytearray)
    total: int = 0

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        fd = self.stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.total += len(chunk)
            room = CAPTURE_LIMIT - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]
        self.stream.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the child and every process in its session: TERM, a grace period, then KILL."""
    if proc.poll() is not None:
        return
    if IS_POSIX:
        for sig in (signal.SIGTERM, SIGKILL):
            _signal_group(proc, sig)
            try:
                proc.wait(KILL_GRACE_S)
            except subprocess.TimeoutExpired:
                continue
            _sweep(proc)
            return
    else:  # pragma: no cover - Windows only
        _signal_group(proc, SIGKILL)
    proc.wait()


def _leads_group(proc: subprocess.Popen[bytes]) -> bool:
    """False for a child sharing keygen's group (interactive mode): never signal our own group."""
    try:
        return os.getpgid(proc.pid) == proc.pid
    except (ProcessLookupError, PermissionError):
        return True


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if IS_POSIX and not _leads_group(proc):
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
    elif IS_POSIX:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
    else:  # pragma: no cover - Windows only
        winproc.kill_tree(proc.pid)


def _watch(proc: subprocess.Popen[bytes], finished: threading.Event, timeout: float, flag: list[bool]) -> None:
    """Stop the child's whole group when the timeout passes: TERM, a grace period, then KILL."""
    if finished.wait(timeout):
        return
    flag.append(True)
    _signal_group(proc, signal.SIGTERM)
    if not finished.wait(KILL_GRACE_S):
        _signal_group(proc, SIGKILL)


def _sweep(proc: subprocess.Popen[bytes]) -> None:
    """After a timeout the leader is gone; make sure nothing it started lives on."""
    _signal_group(proc, SIGKILL)


def _feed(proc: subprocess.Popen[bytes], data: bytes | None) -> None:
    if proc.stdin is None:
        return
    with contextlib.suppress(OSError):
        proc.stdin.write(data or b"")
        proc.stdin.close()


def run(
    argv: Sequence[str],
    *,
    executable: str,
    cwd: str | os.PathLike[str],
    timeout: float | None,
    stdout_fd: int | None = None,
    stdin_data: bytes | None = None,
    env: Mapping[str, str] | None = None,
    umask: int = 0o077,
    new_session: bool = True,
    inherit_stdio: bool = False,
) -> Completed:
    """Run argv (argv[0] kept as given, `executable` is what starts) and wait for it.

    `stdout_fd`, when given, receives the child's stdout (keygen's own `>`); otherwise stdout is
    captured. KeyboardInterrupt and other BaseExceptions stop the child before propagating.
    `inherit_stdio` lets the child talk to the user's terminal (interactive ssh-keygen).
    """
    proc: subprocess.Popen[bytes] | None = None
    drains: list[_Drain] = []
    threads: list[threading.Thread] = []
    finished = threading.Event()
    timed_out: list[bool] = []
    watchdog: threading.Thread | None = None
    begun = time.monotonic()
    try:
        # Started and made stoppable as one step: an interrupt waits until the child is known here
        # (cut short inside Popen or just after it, it would leave the child running on its own).
        with interrupt.deferred():
            proc = start(
                argv,
                executable=executable,
                cwd=cwd,
                env=env,
                stdout_fd=stdout_fd,
                stdin_data=stdin_data,
                umask=umask,
                new_session=new_session,
                inherit_stdio=inherit_stdio,
            )
            drains = [_Drain(stream) for stream in (proc.stdout, proc.stderr) if stream is not None]
            threads = [d.start() for d in drains]
            watchdog = _watchdog(proc, finished, timeout, begun, timed_out)
        _feed(proc, stdin_data)
        proc.wait()
    except BaseException:
        finished.set()
        if proc is not None:
            stop(proc)
        raise
    finally:
        finished.set()
        if watchdog is not None:
            watchdog.join()
        if timed_out and proc is not None:
            _sweep(proc)
        for thread in threads:
            # A grandchild that kept the pipe open must not block us forever.
            thread.join(KILL_GRACE_S * 2)
    out = drains[0] if proc.stdout is not None else None
    err = drains[-1] if proc.stderr is not None else None
    return _completed(argv, executable, cwd, proc.returncode, time.monotonic() - begun, out, err, bool(timed_out))


def _watchdog(
    proc: subprocess.Popen[bytes], finished: threading.Event, timeout: float | None, begun: float, flag: list[bool]
) -> threading.Thread | None:
    """The thread that stops the child when its time is up (counted from its start). A blocking
    wait returns the moment the child exits; Popen.wait(timeout) would poll with sleeps of up to
    50 ms, a visible share of keygen's own cost."""
    if timeout is None:
        return None
    left = max(0.0, timeout - (time.monotonic() - begun))
    watchdog = threading.Thread(target=_watch, args=(proc, finished, left, flag), daemon=True)
    watchdog.start()
    return watchdog


def _completed(
    argv: Sequence[str],
    executable: str,
    cwd: str | os.PathLike[str],
    code: int | None,
    duration_s: float,
    out: _Drain | None,
    err: _Drain | None,
    timed_out: bool,
) -> Completed:
    return Completed(
        argv=tuple(argv),
        executable=executable,
        cwd=os.fspath(cwd),
        returncode=code,
        duration_s=duration_s,
        stdout=bytes(out.kept) if out else b"",
        stderr=bytes(err.kept) if err else b"",
        stdout_bytes=out.total if out else 0,
        stderr_bytes=err.total if err else 0,
        timed_out=timed_out,
        signal=-code if (IS_POSIX and code is not None and code < 0) else None,
    )


_PEM_PRIVATE = r"(?s)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END \1PRIVATE KEY-----|\Z)"
#: Long base64 runs are what key material looks like once the armour is gone.
_BASE64_RUN = r"[A-Za-z0-9+/=]{60,}"
_PROGRESS = r"^[.+*\s]+$"
STDERR_LIMIT = 2000


#: How the tools say a command failed: `openssl:Error: 'x' is an invalid command.` (LibreSSL, with
#: exit 0), `Error opening Private Key k.pem`, `140...:error:02FFF002:...`, `unable to load Private Key`.
_ERROR_LINE = r"(?i)(^|:)error\b|^unable to |\bis an invalid command\b"


def error_lines(raw: bytes) -> list[str]:
    """The lines of a tool's stderr that say it failed (its progress and notes are not failures)."""
    return [line for line in trim_stderr(raw).splitlines() if re.search(_ERROR_LINE, line.strip())]


def redact(text: str) -> str:
    """Remove anything shaped like key material: tools are trusted, records still must be safe."""
    text = re.sub(_PEM_PRIVATE, "[private key removed]", text)
    return re.sub(_BASE64_RUN, "[base64 removed]", text)


def trim_stderr(raw: bytes, limit: int = STDERR_LIMIT) -> str:
    """Stderr as it is worth recording: decoded, progress dots dropped, secrets removed, bounded."""
    text = raw.decode("utf-8", "replace")
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not re.match(_PROGRESS, ln)]
    text = redact("\n".join(lines))
    if len(text) > limit:
        text = text[: limit - 20] + "\n[... trimmed]"
    return text

