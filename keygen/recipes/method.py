"""Choosing a method: which documented recipe runs on a host, with which executable, and why.

(`keygen.commands.plan` describes a plan for people; this module only chooses.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from keygen import recipes
from keygen.errors import ToolMissing, UsageError
from keygen.host import Host, ToolInfo, hints, parse_openssl_version
from keygen.host.platforms import METHODS, Method, is_posix_shell, os_label

#: ssh-keygen writes PKCS#8 for `-m PKCS8` only from OpenSSH 8.1 on (FACTS.md).
SSH_KEYGEN_PKCS8_SINCE = (8, 1)


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
        # The version Git Bash's openssl gave (host detection asks it) is recorded with every step.
        flavor, version = parse_openssl_version(host.git.openssl_version or "")
        return ToolInfo("openssl", host.git.openssl, host.git.openssl_version, flavor, version)
    return None


def choose(host: Host, method: Method = "auto") -> Choice:
    """Pick the recipe; raise ToolMissing (exit 3) with hints when nothing documented can run."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}", f"use one of: {', '.join(METHODS)}")
    return _CHOOSERS[method](host)


def _asked_openssl(host: Host) -> Choice:
    if host.openssl:
        return Choice(recipes.OPENSSL, host.openssl.path, host.openssl, "asked for with --method openssl")
    raise _missing(host, "openssl")


def _asked_ssh_keygen(host: Host) -> Choice:
    ssh = host.ssh_keygen
    if not ssh:
        raise _missing(host, "ssh-keygen")
    # Asked for by name: run it even when it is too old, so its output can be examined;
    # the checks then name the cause and the fix. The reason says so up front.
    why = "asked for with --method ssh-keygen"
    if ssh_keygen_too_old(ssh):
        why += f"; expect failed checks: {_old_ssh_keygen_reason(ssh)}"
    return Choice(recipes.SSH_KEYGEN, ssh.path, ssh, why)


def _asked_git_bash(host: Host) -> Choice:
    tool = _git_bash_tool(host)
    if tool:
        return Choice(recipes.GIT_BASH, tool.path, tool, "asked for with --method git-bash")
    if host.os != "windows":
        raise ToolMissing(
            f"--method git-bash is the document's Windows path; Git Bash does not exist on {os_label(host.os)}",
            "use --method openssl (the documented path here) or leave --method at auto",
        )
    raise ToolMissing("Git Bash's openssl was not found (no Git for Windows install)", hints.GIT_BASH_INSTALL)


def _auto(host: Host) -> Choice:
    if host.os != "windows":
        return _auto_posix(host)
    shell = host.shell.name if host.shell else None
    # A POSIX shell takes the openssl lines; a console (or a POSIX shell without openssl), ssh-keygen.
    return _openssl_in_posix_shell(host, shell) or _ssh_keygen_in_console(host, shell)


def _openssl_in_posix_shell(host: Host, shell: str | None) -> Choice | None:
    """Git Bash (or "an equivalent emulation software") on Windows: the document's openssl lines."""
    if not is_posix_shell(shell):
        return None
    tool = host.openssl or _git_bash_tool(host)
    if not tool:
        return None
    if shell == "git-bash":
        return Choice(recipes.GIT_BASH, tool.path, tool, "in Git Bash the document uses openssl")
    return Choice(
        recipes.OPENSSL, tool.path, tool, f"in {shell} on Windows (a Git Bash equivalent) the document uses openssl"
    )


def _ssh_keygen_in_console(host: Host, shell: str | None) -> Choice:
    """A Windows console (or a POSIX shell without openssl): ssh-keygen, when it is new enough."""
    ssh = host.ssh_keygen
    if not ssh or ssh_keygen_too_old(ssh):
        return _windows_fallback(
            host, _old_ssh_keygen_reason(ssh) if ssh else "ssh-keygen (the OpenSSH client) is not installed"
        )
    if is_posix_shell(shell):
        why = f"openssl was not found in {shell}; ssh-keygen is the document's other path"
    else:
        why = f"in {_console_label(shell)} the document uses ssh-keygen"
    return Choice(recipes.SSH_KEYGEN, ssh.path, ssh, why)


def _auto_posix(host: Host) -> Choice:
    if host.openssl:
        return Choice(
            recipes.OPENSSL, host.openssl.path, host.openssl, f"openssl is the documented path on {os_label(host.os)}"
        )
    ssh = host.ssh_keygen
    if ssh and not ssh_keygen_too_old(ssh):
        return Choice(recipes.SSH_KEYGEN, ssh.path, ssh, "openssl is missing; ssh-keygen is the document's other path")
    missing = _missing(host, "openssl")
    if ssh:
        missing.message += f", and {_old_ssh_keygen_reason(ssh)}"
    raise missing


def _windows_fallback(host: Host, why: str) -> Choice:
    """No usable ssh-keygen in a Windows console: Git Bash's openssl (or any openssl) runs the openssl lines."""
    fallback = _git_bash_tool(host) or host.openssl
    if fallback:  # never set in a POSIX shell: there it was tried first
        via_git = host.git is not None and fallback.path == host.git.openssl
        recipe = recipes.GIT_BASH if via_git else recipes.OPENSSL
        source = "Git Bash's openssl" if via_git else "openssl"
        return Choice(recipe, fallback.path, fallback, f"{why}; running the documented openssl lines with {source}")
    raise ToolMissing(
        f"no documented tool can run here: {why}, and Git Bash's openssl was not found",
        f"{hints.GIT_BASH_INSTALL}; or {hints.OPENSSH_CLIENT_INSTALL} (OpenSSH 8.1 or later)",
    )


def _console_label(shell: str | None) -> str:
    """How a choice's reason names a Windows console (the PowerShell version is not known here)."""
    return {
        "cmd": "the Windows command prompt (cmd)",
        "powershell": "Windows PowerShell",
        "pwsh": "PowerShell 7 (pwsh)",
    }.get(shell or "", "a Windows console")


def _missing(host: Host, tool: str) -> ToolMissing:
    return ToolMissing(f"{tool} was not found on PATH", hints.install_hint(tool, host.os))


#: --method: what each one asks for ("auto": the document's path for this host).
_CHOOSERS: dict[Method, Callable[[Host], Choice]] = {
    "auto": _auto,
    "openssl": _asked_openssl,
    "ssh-keygen": _asked_ssh_keygen,
    "git-bash": _asked_git_bash,
}
