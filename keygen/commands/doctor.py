"""`keygen doctor`: this machine as generate sees it (OS, shell, tools, versions), and each problem's fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from keygen.commands.plan import Note, Plan, describe
from keygen.errors import KeygenError
from keygen.host import Host, ToolInfo, detect_host, hints, shell_dict
from keygen.host.platforms import Method, is_posix_shell
from keygen.recipes.method import ssh_keygen_too_old
from keygen.result import Result


@dataclass
class Doctor(Result):
    """This machine as generate sees it, and each problem with its fix."""

    command: ClassVar[str] = "doctor"
    plan: Plan
    problems: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def error(self) -> KeygenError | None:  # type: ignore[override]
        return self.plan.error

    def facts(self) -> dict[str, Any]:
        plan, host = self.plan, self.plan.host
        choice = plan.choice
        return {
            "os": host.os,
            "shell": shell_dict(host.shell),
            "tools": {"openssl": _tool_dict(host.openssl), "ssh-keygen": _tool_dict(host.ssh_keygen)},
            "git_for_windows": vars(host.git) if host.git else None,
            "generate": {
                "method": choice.recipe.name,
                "reason": choice.reason,
                "executable": choice.executable,
                "lines": plan.lines,
            }
            if choice
            else None,
            "problems": [n.as_dict() for n in self.problems],
            "notes": [n.as_dict() for n in plan.notes],
        }


def _missing_tool(host: Host, method: Method, windows_console: bool) -> list[Note]:
    """The tool the document names for this shell, missing where generate would choose for itself."""
    preferred, where = ("ssh-keygen", "(the OpenSSH client)") if windows_console else ("openssl", "on PATH")
    if host.tool(preferred) is not None or method != "auto":
        return []
    return [
        Note(
            "warning",
            f"{preferred}, the documented tool here, was not found {where}; generate uses another path",
            hints.install_hint(preferred, host.os),
        )
    ]


def _old_ssh_keygen(host: Host, method: Method, windows_console: bool) -> list[Note]:
    """An ssh-keygen before 8.1 where generate may use it: the Windows consoles' documented tool, or
    a method asked for by name."""
    ssh = host.ssh_keygen
    if ssh is None or not ssh_keygen_too_old(ssh) or not (windows_console or method != "auto"):
        return []
    also = f"; {hints.OPENSSH_CLIENT_INSTALL}" if host.os == "windows" else ""
    return [
        Note(
            "warning",
            f"ssh-keygen is {ssh.version_label}: before 8.1 it writes PKCS#1 or OpenSSH format despite `-m PKCS8`",
            "update the OpenSSH client to 8.1 or later" + also,
        )
    ]


def command(method: Method = "auto") -> Doctor:
    """`keygen doctor` once Typer parsed its command line."""
    # Doctor shows every tool's version, so it asks each one (generate asks only what it needs).
    return diagnose(detect_host(versions=("openssl", "ssh-keygen"), method=method), method)


def diagnose(host: Host, method: Method = "auto") -> Doctor:
    """Everything `plan` says, plus each problem on this machine with its fix."""
    plan = describe(host, method)
    doc = Doctor(plan)
    windows_console = host.os == "windows" and not is_posix_shell(plan.shell)
    if plan.error is not None:
        doc.problems.append(Note("problem", plan.error.message, plan.error.hint))
    else:
        # The documented tool missing, or an ssh-keygen too old to write PKCS#8.
        doc.problems += _missing_tool(host, method, windows_console) + _old_ssh_keygen(host, method, windows_console)
    if host.shell is None:
        doc.problems.append(
            Note("warning", "the shell could not be detected", "pass --shell NAME to `plan` to see its lines")
        )
    if windows_console and plan.error is None:
        doc.problems += _git_bash_missing(host)
    return doc


def _git_bash_missing(host: Host) -> list[Note]:
    """From a Windows console, the document's third path needs Git Bash."""
    if host.git is not None:
        return []
    return [Note("tip", "Git Bash (the document's third path) is not installed", hints.GIT_BASH_INSTALL)]


def _tool_dict(tool: ToolInfo | None) -> dict[str, Any] | None:
    if tool is None:
        return None
    return {
        "path": tool.path,
        "version": tool.version_text,
        "flavor": tool.flavor,
        "version_number": ".".join(map(str, tool.version)) if tool.version else None,
    }
