"""The one table of operating systems, shells and methods. The CLI's choices are built from it.

Names here are what `--os`, `--shell` and `--method` accept, what shellingham reports, and what
the JSON and the audit record carry.
"""

from __future__ import annotations

from typing import Literal

OSName = Literal["linux", "macos", "windows", "other"]
#: The OSes `--os` describes, and their labels in text.
OS_LABELS: dict[str, str] = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
OSES: tuple[str, ...] = tuple(OS_LABELS)

#: POSIX shells (on Windows they are Git Bash equivalents).
POSIX_SHELLS: tuple[str, ...] = ("bash", "sh", "dash", "zsh", "fish")
#: Windows consoles: the document's ssh-keygen path is typed here.
WINDOWS_CONSOLES: tuple[str, ...] = ("cmd", "powershell", "pwsh")
#: Shells that exist only on Windows.
WINDOWS_ONLY: tuple[str, ...] = ("git-bash", "cmd", "powershell")
#: The official SDKs, as `--sdk` names them (their blocks: keygen.amazon_pay.sdk_config). Here, not there, so
#: that the CLI's choices cost no import of the block builders.
SDKS: tuple[str, ...] = ("php", "node", "java", "dotnet", "ruby")
#: Every shell `--shell` accepts (and literal mode can type into).
SHELLS: tuple[str, ...] = ("bash", "zsh", "sh", "dash", "fish", "cmd", "powershell", "pwsh", "git-bash")
#: Where each shell exists. pwsh (PowerShell 7) runs everywhere.
SHELLS_BY_OS: dict[str, tuple[str, ...]] = {
    "linux": (*POSIX_SHELLS, "pwsh"),
    "macos": (*POSIX_SHELLS, "pwsh"),
    "windows": ("cmd", "powershell", "pwsh", "git-bash", *POSIX_SHELLS),
}
#: What a described machine's user most likely types into when no --shell is given.
DEFAULT_SHELL: dict[str, str] = {"linux": "bash", "macos": "zsh", "windows": "powershell"}
SHELL_LABELS: dict[str, str] = {
    "cmd": "the Windows command prompt (cmd)",
    "powershell": "Windows PowerShell 5.1",
    "pwsh": "PowerShell 7 (pwsh)",
    "git-bash": "Git Bash",
}

Method = Literal["auto", "openssl", "ssh-keygen", "git-bash"]
#: `--method`: auto picks the documented path for the OS and shell; the others name one.
METHODS: tuple[Method, ...] = ("auto", "openssl", "ssh-keygen", "git-bash")


def method(value: str) -> Method:
    """`--method`'s value (already checked against METHODS) as the table's Method."""
    return next(m for m in METHODS if m == value)


def os_label(os_name: str) -> str:
    return OS_LABELS.get(os_name, os_name)


def shell_label(shell: str | None) -> str:
    return SHELL_LABELS.get(shell or "", shell or "an unknown shell")


def is_posix_shell(shell: str | None) -> bool:
    """bash, zsh... and Git Bash: the shells the openssl lines are typed into."""
    return shell == "git-bash" or shell in POSIX_SHELLS
