"""Choosing the documented path for a host: which recipe, which executable, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from keygen import hints, recipes
from keygen.errors import ToolMissing, UsageError
from keygen.host import Host, ToolInfo

Method = Literal["auto", "openssl", "ssh-keygen", "git-bash"]
METHODS: tuple[Method, ...] = ("auto", "openssl", "ssh-keygen", "git-bash")
#: ssh-keygen writes PKCS#8 for `-m PKCS8` only from OpenSSH 8.1 on (FACTS.md).
SSH_KEYGEN_PKCS8_SINCE = (8, 1)
WINDOWS_CONSOLE_SHELLS = ("cmd", "powershell", "pwsh")


@dataclass(frozen=True)
class Choice:
    recipe: recipes.Recipe
    executable: str
    tool: ToolInfo
    reason: str


def ssh_keygen_too_old(tool: ToolInfo) -> bool:
    return tool.version is not None and tool.version[:2] < SSH_KEYGEN_PKCS8_SINCE


def _old_ssh_keygen_reason(tool: ToolInfo) -> str:
    return (
        f"ssh-keygen is {tool.version_label}, which writes PKCS#1 or OpenSSH format despite "
        "`-m PKCS8` (8.1 or later needed)"
    )


def _git_bash_tool(host: Host) -> ToolInfo | None:
    if host.git and host.git.openssl:
        return ToolInfo("openssl", host.git.openssl)
    return None


def choose(host: Host, method: Method = "auto") -> Choice:
    """Pick the recipe; raise ToolMissing (exit 3) with hints when nothing documented can run."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}", f"use one of: {', '.join(METHODS)}")
    if method == "openssl":
        if host.openssl:
            return Choice(recipes.OPENSSL, host.openssl.path, host.openssl, "asked for with --method openssl")
        raise _missing(host, "openssl")
    if method == "ssh-keygen":
        if host.ssh_keygen:
            return Choice(
                recipes.SSH_KEYGEN, host.ssh_keygen.path, host.ssh_keygen, "asked for with --method ssh-keygen"
            )
        raise _missing(host, "ssh-keygen")
    if method == "git-bash":
        tool = _git_bash_tool(host)
        if tool:
            return Choice(recipes.GIT_BASH, tool.path, tool, "asked for with --method git-bash")
        raise ToolMissing("Git Bash's openssl was not found", hints.GIT_BASH_INSTALL)
    return _auto(host)


def _auto(host: Host) -> Choice:
    shell = host.shell.name if host.shell else None
    if host.os != "windows":
        if host.openssl:
            return Choice(
                recipes.OPENSSL, host.openssl.path, host.openssl, f"openssl is the documented path on {_os_label(host)}"
            )
        if host.ssh_keygen and not ssh_keygen_too_old(host.ssh_keygen):
            return Choice(
                recipes.SSH_KEYGEN,
                host.ssh_keygen.path,
                host.ssh_keygen,
                "openssl is missing; ssh-keygen is the document's other path",
            )
        raise _missing(host, "openssl")
    if shell == "git-bash":
        tool = host.openssl or _git_bash_tool(host)
        if tool:
            return Choice(recipes.GIT_BASH, tool.path, tool, "in Git Bash the document uses its openssl")
    # cmd, PowerShell or an unknown Windows shell: the document's ssh-keygen lines.
    ssh = host.ssh_keygen
    fallback = _git_bash_tool(host) or host.openssl
    if ssh and not ssh_keygen_too_old(ssh):
        where = shell or "a Windows console"
        return Choice(recipes.SSH_KEYGEN, ssh.path, ssh, f"in {where} the document uses ssh-keygen")
    why = _old_ssh_keygen_reason(ssh) if ssh else "ssh-keygen (the OpenSSH client) is not installed"
    if fallback:
        recipe = recipes.GIT_BASH if host.git and fallback.path == host.git.openssl else recipes.OPENSSL
        return Choice(recipe, fallback.path, fallback, f"{why}; using the documented openssl lines instead")
    raise ToolMissing(
        f"no documented tool can run here: {why}, and Git Bash's openssl was not found",
        f"{hints.GIT_BASH_INSTALL}; or {hints.OPENSSH_CLIENT_INSTALL} (OpenSSH 8.1 or later)",
    )


def _os_label(host: Host) -> str:
    return {"linux": "Linux", "macos": "macOS", "windows": "Windows"}.get(host.os, host.os)


def _missing(host: Host, tool: str) -> ToolMissing:
    return ToolMissing(f"{tool} was not found on PATH", hints.install_hint(tool, host.os))
