"""Describing a plan: the documented lines generate would run on a host, as typed in its shell.

Works from a `Host` value, so every OS and shell combination can be shown and tested without
that machine: `plan --os windows --shell powershell` describes a typical Windows PowerShell with
the documented tools in place; without `--os` the machine at hand is looked at. The lines are the
recipe's documented lines, byte for byte; anything keygen adds (a safer line for Windows
PowerShell 5.1, how to open Git Bash) is a labelled note, never mixed into them.
(`keygen.recipes.method` chooses the method; this module describes the plan around the choice.)
"""

from __future__ import annotations

import ntpath
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from keygen import host as host_mod
from keygen import recipes
from keygen.errors import KeygenError
from keygen.host import Host, ShellInfo, ToolInfo, check_combination, shell_dict
from keygen.host.macos import which_openssl
from keygen.host.platforms import DEFAULT_SHELL, Method, OSName, is_posix_shell
from keygen.host.windows import GitForWindows
from keygen.recipes.method import Choice, choose
from keygen.recipes.quoting import powershell_ascii_line
from keygen.result import Failure, Result

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
class Plan(Result):
    """What generate would run on a host (detected or described), why, and what to mind."""

    command: ClassVar[str] = "plan"
    host: Host
    method: Method
    described: bool
    choice: Choice | None = None
    error: KeygenError | None = None
    notes: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def shell(self) -> str | None:
        return self.host.shell.name if self.host.shell else None

    @property
    def typed_in(self) -> str | None:
        """The shell the documented lines are typed into: Git Bash when its openssl runs them from
        a Windows console (openssl is not on cmd's or PowerShell's PATH), else the shell itself."""
        choice = self.choice
        if choice is not None and choice.recipe.name == "git-bash" and not is_posix_shell(self.shell):
            return "git-bash"
        return self.shell

    @property
    def lines(self) -> list[str]:
        return [s.line for s in self.choice.recipe.steps] if self.choice else []

    def facts(self) -> dict[str, Any]:
        host, choice = self.host, self.choice
        return {
            "described": self.described,
            "os": host.os,
            "shell": shell_dict(host.shell),
            "method": {
                "asked": self.method,
                "name": choice.recipe.name,
                "reason": choice.reason,
                "executable": choice.executable,
                "tool_version": choice.tool.version_text,
                "where": choice.recipe.where,
            }
            if choice
            else None,
            "typed_in": self.typed_in,
            "lines": self.lines,
            "steps": [{"line": s.line, "argv": list(s.argv), "stdout_to": s.stdout_to} for s in choice.recipe.steps]
            if choice
            else [],
            "notes": [n.as_dict() for n in self.notes],
        }


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
        if is_posix_shell(shell):
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


#: Each shell's prompt, as the plan shows it before a line to type (any other shell: "$ ").
_PROMPTS: dict[str | None, str] = {"cmd": "> ", "powershell": "PS> ", "pwsh": "PS> "}


def prompt(shell: str | None) -> str:
    return _PROMPTS.get(shell, "$ ")


def open_git_bash(shell: str | None, git: GitForWindows) -> tuple[str, ...]:
    """Lines that open Git Bash from cmd or PowerShell: a new window, or bash in this console."""
    launcher = git.launcher
    console_bash = ntpath.join(git.root, "bin", "bash.exe")
    if shell == "cmd":
        return (f'start "" "{launcher}"', f'"{console_bash}" --login -i')
    return (f"& '{launcher}'", f"& '{console_bash}' --login -i")


def command(os_name: str | None = None, shell: str | None = None, method: Method = "auto") -> Result:
    """`keygen plan` once Typer parsed its command line:
    a described machine (`--os`), else this one."""
    try:
        if os_name is not None:
            host = described_host(os_name, shell)  # type: ignore[arg-type]
        else:
            host_mod.check_shell(host_mod.current_os(), shell)
            host = host_mod.detect_host(method=method, shell=shell)
    except KeygenError as exc:
        return Failure(Plan.command, exc)
    return describe(host, method, described=os_name is not None)


def describe(host: Host, method: Method = "auto", *, described: bool = False) -> Plan:
    """The plan for `host`: the chosen method's lines and the notes that matter in its shell."""
    plan = Plan(host=host, method=method, described=described)
    try:
        plan.choice = choose(host, method)
    except KeygenError as exc:
        plan.error = exc
    if plan.choice is not None:
        plan.notes += _powershell_notes(plan, plan.choice) + _ssh_keygen_notes(plan.choice)
    plan.notes += _git_bash_notes(host, plan.shell) + _mac_openssl_notes(host, plan.choice)
    return plan


def _mac_openssl_notes(host: Host, choice: Choice | None) -> list[Note]:
    """On a Mac, which openssl the documented line runs (macOS's LibreSSL or Homebrew's OpenSSL)."""
    if host.os != "macos" or choice is None or choice.recipe.tool != "openssl" or host.openssl is None:
        return []
    return [Note("tip", which_openssl(host.openssl))]


def _powershell_notes(plan: Plan, choice: Choice) -> list[Note]:
    """Typed into Windows PowerShell, each documented `>` needs a line that writes ASCII instead."""
    if plan.typed_in != "powershell":
        return []
    return [_ascii_instead(step) for step in choice.recipe.steps if step.stdout_to]


def _ascii_instead(step: recipes.Step) -> Note:
    return Note(
        "warning",
        f"in Windows PowerShell 5.1, `>` writes {step.stdout_to} as UTF-16 with a byte order "
        "mark, which openssl, ssh-keygen and the Amazon Pay SDKs cannot read",
        f"type this line instead of the documented one; it writes ASCII (with CRLF line "
        f"ends, which load fine), or let `keygen generate` write {step.stdout_to} for you",
        (powershell_ascii_line(step),),
    )


def _ssh_keygen_notes(choice: Choice) -> list[Note]:
    if choice.recipe.tool != "ssh-keygen":
        return []
    return [
        Note("tip", "press Enter at both passphrase prompts: the Amazon Pay SDKs cannot load an encrypted key"),
        Note(
            "tip",
            f"ssh-keygen also writes {recipes.SSH_SIDE_FILE} (OpenSSH format): it is not the documented "
            f"public key; upload {recipes.PUBLIC_KEY}. Start in an empty directory: `-e` exports a stale "
            f"{recipes.SSH_SIDE_FILE} instead of the new key",
        ),
    ]


def _git_bash_notes(host: Host, shell: str | None) -> list[Note]:
    """From a Windows console, the way into an installed Git Bash (the document's third path)."""
    if host.os != "windows" or shell not in ("cmd", "powershell", "pwsh") or host.git is None:
        return []
    return [
        Note(
            "tip",
            f"Git Bash is installed ({host.git.root}): the document's third path types the openssl lines "
            "into it. Open it from the Start menu (Git Bash), in a new window, or in this console:",
            "",
            open_git_bash(shell, host.git),
        )
    ]
