"""Starting a child process (argv only, its own session, umask 077), and finding a tool on PATH.
`keygen.proc.run` waits for, bounds and stops what starts here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

IS_POSIX = os.name == "posix"


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
