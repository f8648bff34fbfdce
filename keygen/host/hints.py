"""Install hints: how to get a missing tool on the machine at hand."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from keygen.host.platforms import OSName

#: Linux package managers by os-release ID (or ID_LIKE), with the package for each tool.
_LINUX: tuple[tuple[tuple[str, ...], str, Mapping[str, str]], ...] = (
    (("debian", "ubuntu"), "sudo apt-get install -y {pkg}", {"openssl": "openssl", "ssh-keygen": "openssh-client"}),
    (
        ("fedora", "rhel", "centos"),
        "sudo dnf install -y {pkg}",
        {"openssl": "openssl", "ssh-keygen": "openssh-clients"},
    ),
    (("alpine",), "apk add {pkg}", {"openssl": "openssl", "ssh-keygen": "openssh-keygen"}),
    (("arch",), "sudo pacman -S {pkg}", {"openssl": "openssl", "ssh-keygen": "openssh"}),
    (("suse", "opensuse"), "sudo zypper install {pkg}", {"openssl": "openssl", "ssh-keygen": "openssh-clients"}),
)

GIT_BASH_INSTALL = (
    "install Git for Windows, which brings Git Bash and its openssl: "
    "`winget install --id Git.Git -e --source winget`, `choco install git`, `scoop install git`, "
    "or the installer from git-scm.com"
)
OPENSSH_CLIENT_INSTALL = (
    "add the OpenSSH client from an elevated PowerShell: "
    "`Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0`"
)


def linux_distro(os_release: Path = Path("/etc/os-release")) -> set[str]:
    try:
        text = os_release.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    ids: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip('"').lower().split())
    return ids


def install_hint(tool: str, os_name: OSName, distro: set[str] | None = None) -> str:
    """One line a user can act on to get `tool` (openssl or ssh-keygen)."""
    if os_name == "windows":
        return GIT_BASH_INSTALL if tool == "openssl" else f"{OPENSSH_CLIENT_INSTALL}; or {GIT_BASH_INSTALL}"
    if os_name == "macos":
        pkg = "openssl" if tool == "openssl" else "openssh"
        return f"macOS ships {tool} in /usr/bin; if it is gone, `brew install {pkg}`"
    if os_name == "linux":
        return _linux_hint(tool, linux_distro() if distro is None else distro)
    return f"install {tool} and make sure it is on PATH"


def _linux_hint(tool: str, ids: set[str]) -> str:
    """The line for this distribution's package manager; every known one when the distribution is not."""
    for names, template, packages in _LINUX:
        if ids & set(names):
            return f"install it: `{template.format(pkg=packages[tool])}`"
    return "install it with your package manager: " + ", ".join(
        f"`{template.format(pkg=packages[tool])}`" for _, template, packages in _LINUX
    )
