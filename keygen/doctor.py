"""`keygen plan` and `keygen doctor`: what generate would run here (or on a described machine), and why.

Both work from a `Host` value, so every OS and shell combination can be shown and tested without
that machine: `plan --os windows --shell powershell` describes a typical Windows PowerShell with
the documented tools in place; without `--os` the machine at hand is looked at. The command lines
shown are the recipe's documented lines, byte for byte; anything keygen adds (a safer line for
Windows PowerShell 5.1, how to open Git Bash) is labelled as such, never mixed into them.
"""

from __future__ import annotations

import ntpath
from dataclasses import dataclass, field
from typing import Any, Literal

from keygen import hints, recipes
from keygen.errors import ExitCode, KeygenError
from keygen.host import (
    POSIX_SHELLS,
    GitForWindows,
    Host,
    OSName,
    ShellInfo,
    ToolInfo,
    check_combination,
)
from keygen.plan import Choice, Method, choose, ssh_keygen_too_old

#: What a described machine's user is most likely typing into when no --shell is given.
DEFAULT_SHELL: dict[str, str] = {"linux": "bash", "macos": "zsh", "windows": "powershell"}
#: The default Git for Windows install, for a described Windows machine in Git Bash.
DEFAULT_GIT_ROOT = r"C:\Program Files\Git"

Severity = Literal["problem", "warning", "tip"]


@dataclass(frozen=True)
class Note:
    severity: Severity
    message: str
    fix: str = ""
    #: Lines to type, when the note offers some (exactly as they are to be typed).
    lines: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "message": self.message, "fix": self.fix, "lines": list(self.lines)}


@dataclass
class Plan:
    host: Host
    method: Method
    described: bool
    choice: Choice | None = None
    error: KeygenError | None = None
    notes: list[Note] = field(default_factory=list)

    @property
    def shell(self) -> str | None:
        return self.host.shell.name if self.host.shell else None

    @property
    def lines(self) -> list[str]:
        return [s.line for s in self.choice.recipe.steps] if self.choice else []

    @property
    def exit_code(self) -> int:
        return int(self.error.code) if self.error else int(ExitCode.OK)


# --- described machines ------------------------------------------------------------------------


def described_host(os_name: OSName, shell: str | None = None) -> Host:
    """A typical machine of that kind with the documented tools where its vendor puts them.

    Versions are left unknown: a described machine is never judged too old.
    """
    check_combination(os_name, shell)
    shell = shell or DEFAULT_SHELL[os_name]
    if os_name == "windows":
        git = None
        openssl = None
        if shell == "git-bash" or shell in POSIX_SHELLS:
            git = GitForWindows(
                root=DEFAULT_GIT_ROOT,
                bash=ntpath.join(DEFAULT_GIT_ROOT, "usr", "bin", "bash.exe"),
                openssl=ntpath.join(DEFAULT_GIT_ROOT, "mingw64", "bin", "openssl.exe"),
                found_by="assumed (described machine)",
            )
            openssl = ToolInfo("openssl", git.openssl or "openssl")
        return Host(
            os="windows",
            shell=ShellInfo(shell, None, "given"),
            openssl=openssl,
            ssh_keygen=ToolInfo("ssh-keygen", r"C:\Windows\System32\OpenSSH\ssh-keygen.exe"),
            git=git,
        )
    return Host(
        os=os_name,
        shell=ShellInfo(shell, None, "given"),
        openssl=ToolInfo("openssl", "/usr/bin/openssl"),
        ssh_keygen=ToolInfo("ssh-keygen", "/usr/bin/ssh-keygen"),
    )


# --- the plan ----------------------------------------------------------------------------------


def powershell_ascii_line(step: recipes.Step) -> str:
    """The same command with PowerShell's own ASCII writer in place of 5.1's UTF-16 `>`."""
    command = step.line.partition(" > ")[0]
    return f"{command} | Out-File -Encoding ascii {step.stdout_to}"


def prompt(shell: str | None) -> str:
    if shell == "cmd":
        return "> "
    if shell in ("powershell", "pwsh"):
        return "PS> "
    return "$ "


def open_git_bash(shell: str | None, git: GitForWindows) -> tuple[str, ...]:
    """Lines that open Git Bash from cmd or PowerShell: a new window, or bash in this console."""
    launcher = git.launcher
    console_bash = ntpath.join(git.root, "bin", "bash.exe")
    if shell == "cmd":
        return (f'start "" "{launcher}"', f'"{console_bash}" --login -i')
    return (f"& '{launcher}'", f"& '{console_bash}' --login -i")


def make_plan(host: Host, method: Method = "auto", *, described: bool = False) -> Plan:
    plan = Plan(host=host, method=method, described=described)
    try:
        plan.choice = choose(host, method)
    except KeygenError as exc:
        plan.error = exc
    shell = plan.shell
    choice = plan.choice
    if choice:
        if shell == "powershell":
            for step in choice.recipe.steps:
                if step.stdout_to:
                    plan.notes.append(
                        Note(
                            "warning",
                            f"in Windows PowerShell 5.1, `>` writes {step.stdout_to} as UTF-16 with a byte order "
                            "mark, which openssl, ssh-keygen and the Amazon Pay SDKs cannot read",
                            f"type this line instead of the documented one; it writes ASCII (with CRLF line "
                            f"ends, which load fine), or let `keygen generate` write {step.stdout_to} for you",
                            (powershell_ascii_line(step),),
                        )
                    )
        if choice.recipe.tool == "ssh-keygen":
            plan.notes.append(
                Note(
                    "tip",
                    "press Enter at both passphrase prompts: the Amazon Pay SDKs cannot load an encrypted key",
                )
            )
            plan.notes.append(
                Note(
                    "tip",
                    f"ssh-keygen also writes {recipes.SSH_SIDE_FILE} (OpenSSH format): it is not the documented "
                    f"public key; upload {recipes.PUBLIC_KEY}. Start in an empty directory: `-e` exports a stale "
                    f"{recipes.SSH_SIDE_FILE} instead of the new key",
                )
            )
    if host.os == "windows" and shell in ("cmd", "powershell", "pwsh") and host.git is not None:
        plan.notes.append(
            Note(
                "tip",
                f"Git Bash is installed ({host.git.root}): the document's third path types the openssl lines "
                "into it. Open it from the Start menu (Git Bash), in a new window, or in this console:",
                "",
                open_git_bash(shell, host.git),
            )
        )
    return plan


def plan_dict(plan: Plan) -> dict[str, Any]:
    host, choice = plan.host, plan.choice
    return {
        "command": "plan",
        "ok": plan.error is None,
        "exit_code": plan.exit_code,
        "described": plan.described,
        "os": host.os,
        "shell": _shell_dict(host.shell),
        "method": {
            "asked": plan.method,
            "name": choice.recipe.name,
            "reason": choice.reason,
            "executable": choice.executable,
            "tool_version": choice.tool.version_text,
            "where": choice.recipe.where,
        }
        if choice
        else None,
        "lines": plan.lines,
        "steps": [{"line": s.line, "argv": list(s.argv), "stdout_to": s.stdout_to} for s in choice.recipe.steps]
        if choice
        else [],
        "notes": [n.as_dict() for n in plan.notes],
        "error": plan.error.as_dict() if plan.error else None,
    }


def plan_text(plan: Plan) -> str:
    host, choice = plan.host, plan.choice
    where = f"{_os_label(host.os)}, {_shell_label(plan.shell)}"
    head = f"Plan for {where}"
    if plan.described:
        head += " (described, not detected: the documented tools are assumed in their usual places)"
    lines = [head]
    if choice is None:
        return "\n".join(lines)
    lines.append(f"Method: {choice.recipe.name} ({choice.reason})")
    lines.append(f"The documented lines, as typed in {_shell_label(plan.shell)}, in an empty directory:")
    p = prompt(plan.shell)
    lines += [f"  {p}{line}" for line in plan.lines]
    lines += _note_lines(plan.notes, p)
    lines.append("`keygen generate` runs these same commands for you, checks the pair and publishes it safely.")
    return "\n".join(lines)


def _note_lines(notes: list[Note], p: str) -> list[str]:
    out: list[str] = []
    labels = {"problem": "Problem", "warning": "Warning", "tip": "Tip"}
    for n in notes:
        out.append(f"{labels[n.severity]}: {n.message}")
        if n.fix:
            out.append(f"  fix: {n.fix}" if n.severity == "problem" else f"  {n.fix}")
        out += [f"  {p}{line}" for line in n.lines]
    return out


# --- doctor ------------------------------------------------------------------------------------


@dataclass
class Doctor:
    plan: Plan
    problems: list[Note] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return int(ExitCode.TOOL_MISSING) if self.plan.choice is None else int(ExitCode.OK)


def diagnose(host: Host, method: Method = "auto") -> Doctor:
    """Everything `plan` says, plus each problem on this machine with its fix."""
    plan = make_plan(host, method)
    doc = Doctor(plan)
    if plan.error is not None:
        doc.problems.append(Note("problem", plan.error.message, plan.error.hint))
    shell = plan.shell
    windows_console = host.os == "windows" and shell not in ("git-bash", *POSIX_SHELLS)
    preferred = "ssh-keygen" if windows_console else "openssl"
    tool = host.tool(preferred)
    if plan.error is None:
        if tool is None and method == "auto":
            where = "on PATH" if preferred == "openssl" else "(the OpenSSH client)"
            doc.problems.append(
                Note(
                    "warning",
                    f"{preferred}, the documented tool here, was not found {where}; generate uses another path",
                    hints.install_hint(preferred, host.os),
                )
            )
        if (
            host.ssh_keygen is not None
            and ssh_keygen_too_old(host.ssh_keygen)
            and (windows_console or method != "auto")
        ):
            doc.problems.append(
                Note(
                    "warning",
                    f"ssh-keygen is {host.ssh_keygen.version_label}: before 8.1 it writes PKCS#1 or OpenSSH "
                    "format despite `-m PKCS8`",
                    "update the OpenSSH client to 8.1 or later"
                    + (f"; {hints.OPENSSH_CLIENT_INSTALL}" if host.os == "windows" else ""),
                )
            )
    if host.shell is None:
        doc.problems.append(
            Note("warning", "the shell could not be detected", "pass --shell NAME to `plan` to see its lines")
        )
    if windows_console and host.git is None and plan.error is None:
        doc.problems.append(
            Note("tip", "Git Bash (the document's third path) is not installed", hints.GIT_BASH_INSTALL)
        )
    return doc


def _tool_dict(tool: ToolInfo | None) -> dict[str, Any] | None:
    if tool is None:
        return None
    return {
        "path": tool.path,
        "version": tool.version_text,
        "flavor": tool.flavor,
        "version_number": ".".join(map(str, tool.version)) if tool.version else None,
    }


def _shell_dict(shell: ShellInfo | None) -> dict[str, Any] | None:
    return {"name": shell.name, "path": shell.path, "source": shell.source} if shell else None


def doctor_dict(doc: Doctor) -> dict[str, Any]:
    plan, host = doc.plan, doc.plan.host
    choice = plan.choice
    return {
        "command": "doctor",
        "ok": doc.exit_code == 0,
        "exit_code": doc.exit_code,
        "os": host.os,
        "shell": _shell_dict(host.shell),
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
        "problems": [n.as_dict() for n in doc.problems],
        "notes": [n.as_dict() for n in plan.notes],
        "error": plan.error.as_dict() if plan.error else None,
    }


def doctor_text(doc: Doctor) -> str:
    plan, host = doc.plan, doc.plan.host
    lines = [f"OS: {_os_label(host.os)}"]
    shell = host.shell
    lines.append(
        f"Shell: {_shell_label(shell.name)} ({shell.path or 'path unknown'}; found by {shell.source})"
        if shell
        else "Shell: not detected"
    )
    for name, tool in (("openssl", host.openssl), ("ssh-keygen", host.ssh_keygen)):
        if tool is None:
            lines.append(f"{name}: not found")
        else:
            version = tool.version_text or "version not asked"
            lines.append(f"{name}: {tool.path} ({version})")
    if host.os == "windows":
        git = host.git
        lines.append(
            f"Git for Windows: {git.root} (found by {git.found_by}; bash {git.bash or 'missing'}, "
            f"openssl {git.openssl or 'missing'})"
            if git
            else "Git for Windows: not found"
        )
    choice = plan.choice
    if choice:
        lines.append(f"generate would run: {choice.recipe.name} ({choice.reason})")
        lines += [f"  {prompt(plan.shell)}{line}" for line in plan.lines]
    else:
        lines.append("generate cannot run here.")
    for n in doc.problems:
        label = {"problem": "Problem", "warning": "Warning", "tip": "Tip"}[n.severity]
        lines.append(f"{label}: {n.message}")
        if n.fix:
            lines.append(f"  fix: {n.fix}")
    lines += _note_lines([n for n in plan.notes if n.severity == "warning"], prompt(plan.shell))
    if not doc.problems:
        lines.append("No problems found.")
    return "\n".join(lines)


def _os_label(os_name: str) -> str:
    return {"linux": "Linux", "macos": "macOS", "windows": "Windows"}.get(os_name, os_name)


def _shell_label(shell: str | None) -> str:
    return {
        "cmd": "the Windows command prompt (cmd)",
        "powershell": "Windows PowerShell 5.1",
        "pwsh": "PowerShell 7 (pwsh)",
        "git-bash": "Git Bash",
    }.get(shell or "", shell or "an unknown shell")
