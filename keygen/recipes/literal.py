"""Literal mode: each documented line goes to a real shell exactly as a person would type it.

This is the only place keygen lets a shell interpret anything, and it still never asks subprocess
for a shell: the line is one argv element after the shell's own "run this" flag, so what the
shell sees is byte for byte the documented line, `>` and all. That reproduces the document's own
experience, shell artefacts included (PowerShell 5.1's UTF-16 `>`, the empty file a failing
redirect leaves), which the checks then judge like any other output.
"""

from __future__ import annotations

import ntpath
from collections.abc import Mapping
from dataclasses import dataclass

from keygen.errors import ToolMissing, UsageError
from keygen.host import Host
from keygen.host.platforms import POSIX_SHELLS, SHELLS, WINDOWS_ONLY
from keygen.proc import run


@dataclass(frozen=True)
class LiteralShell:
    name: str
    path: str


def shell_argv(name: str, line: str) -> tuple[str, ...]:
    """The argv that makes `name` run `line` once and exit, with no profile or rc file in the way.

    POSIX shells read no rc file for `-c` unless interactive or login (fish reads config.fish;
    that is the user's shell as they have it). `cmd /d` skips AutoRun; PowerShell's -NoProfile
    and -NonInteractive keep a profile or a prompt from changing what runs.
    """
    if name in POSIX_SHELLS:
        return (name, "-c", line)
    if name == "git-bash":
        return ("bash", "-c", line)
    if name == "cmd":
        return ("cmd", "/d", "/c", line)
    if name in ("powershell", "pwsh"):
        return (name, "-NoProfile", "-NonInteractive", "-Command", line)
    raise _unknown_shell(name)


def _unknown_shell(name: str) -> UsageError:
    return UsageError(f"literal mode does not know the shell {name!r}", f"use one of: {', '.join(SHELLS)}")


def default_shell(host: Host) -> str:
    """The shell the user is in, when literal mode can drive it; else the platform's plain shell."""
    if host.shell and host.shell.name in SHELLS:
        return host.shell.name
    return "cmd" if host.os == "windows" else "sh"


def resolve(name: str, host: Host, env: Mapping[str, str]) -> LiteralShell:
    """Find the shell's executable: Git Bash's own bash for git-bash, else the one on PATH."""
    if name not in SHELLS:
        raise _unknown_shell(name)
    if name == "git-bash":
        return _git_bash(host)
    return _on_path(name, host, env)


def _git_bash(host: Host) -> LiteralShell:
    if host.git and host.git.bash:
        return LiteralShell("git-bash", host.git.bash)
    raise ToolMissing(
        "Git Bash was not found, so the lines cannot be typed into it",
        "install Git for Windows (`winget install --id Git.Git -e --source winget`), or pick another --shell",
    )


def _on_path(name: str, host: Host, env: Mapping[str, str]) -> LiteralShell:
    program = name + ".exe" if host.os == "windows" and name in ("cmd", "powershell", "pwsh") else name
    path = run.which(program, path=env.get("PATH"))
    if path is not None:
        return LiteralShell(name, path)
    where = " (it exists only on Windows)" if name in WINDOWS_ONLY and host.os != "windows" else ""
    raise ToolMissing(
        f"the shell {name} was not found on PATH{where}, so literal mode cannot type the lines into it",
        "install it, or pick another with --shell (for example --shell sh)",
    )


def shell_env(shell: LiteralShell, host: Host, env: Mapping[str, str]) -> dict[str, str]:
    """Git Bash puts mingw64's tools first on PATH; a bare `bash -c` from cmd would not.

    Not run on real Windows yet: this mirrors what Git Bash's profile does so that `openssl` in
    the line resolves to Git's openssl, as it does for a person typing it into Git Bash.
    """
    out = dict(env)
    if shell.name == "git-bash" and host.git:
        extra = [ntpath.dirname(p) for p in (host.git.openssl, host.git.bash) if p]
        out["PATH"] = ";".join([*extra, env.get("PATH", "")]) if extra else env.get("PATH", "")
        out.setdefault("MSYSTEM", "MINGW64")
    return out
