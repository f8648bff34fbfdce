"""Windows specifics of finding the tools: Git for Windows (its bash and openssl) and the in-box
OpenSSH client. Pure over their arguments (Windows paths via ntpath), so they run on Linux too.
"""

from __future__ import annotations

import ntpath
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class GitForWindows:
    root: str
    bash: str | None
    openssl: str | None
    found_by: str

    @property
    def launcher(self) -> str:
        """git-bash.exe: what the Start menu's "Git Bash" entry runs (a mintty window)."""
        return ntpath.join(self.root, "git-bash.exe")


#: `exists(windows_path)`: is there a file at this path? The seam that lets tests lay out fake
#: Git for Windows trees in a temporary directory and drive the finder from Linux.
Exists = Callable[[str], bool]
#: `read_registry(hive, key, value)`: a registry string value, or None.
RegistryReader = Callable[[str, str, str], "str | None"]

_BASH_IN_ROOT = (ntpath.join("usr", "bin", "bash.exe"), ntpath.join("bin", "bash.exe"))
#: Git Bash runs mingw64's openssl first (clangarm64 on ARM64 builds); usr\bin has another.
_OPENSSL_IN_ROOT = (
    ntpath.join("mingw64", "bin", "openssl.exe"),
    ntpath.join("clangarm64", "bin", "openssl.exe"),
    ntpath.join("usr", "bin", "openssl.exe"),
)
GIT_REGISTRY_KEY = r"Software\GitForWindows"


def windows_path_list(value: str | None) -> list[str]:
    """%PATH% on Windows: `;`-separated, entries may be quoted, empty entries mean nothing."""
    if not value:
        return []
    return [p.strip().strip('"') for p in value.split(";") if p.strip().strip('"')]


def _git_root(candidate: str, exists: Exists, found_by: str) -> GitForWindows | None:
    """A Git for Windows root is only accepted when a bash is really in it."""
    if not any(exists(ntpath.join(candidate, rel)) for rel in _BASH_IN_ROOT):
        return None
    bash = next((ntpath.join(candidate, rel) for rel in _BASH_IN_ROOT if exists(ntpath.join(candidate, rel))), None)
    openssl = next(
        (ntpath.join(candidate, rel) for rel in _OPENSSL_IN_ROOT if exists(ntpath.join(candidate, rel))), None
    )
    return GitForWindows(root=candidate, bash=bash, openssl=openssl, found_by=found_by)


def find_git_for_windows(
    env: Mapping[str, str],
    exists: Exists,
    read_registry: RegistryReader | None = None,
) -> GitForWindows | None:
    r"""Find Git for Windows in FACTS.md's order (VS Code's): first hit wins.

    1. `git.exe` on PATH, two folders up (`<root>\cmd\git.exe`, `<root>\bin\git.exe`);
    2. %ProgramW6432%, %ProgramFiles%, %ProgramFiles(X86)%, %LocalAppData%\Programs, each `\Git`;
    3. Scoop: %SCOOP% when set, then %USERPROFILE%\scoop, `apps\git\current`;
    4. the installer's registry value `InstallPath` under HKLM, then HKCU, `Software\GitForWindows`.

    Pure over its arguments: Windows paths are handled with ntpath, so it runs the same on Linux.
    Environment variable names are case-insensitive on Windows, hence the folded lookup.
    """
    folded = {k.upper(): v for k, v in env.items()}
    for directory in windows_path_list(folded.get("PATH")):
        git_exe = ntpath.join(directory, "git.exe")
        if exists(git_exe):
            found = _git_root(ntpath.dirname(ntpath.dirname(git_exe)), exists, "git.exe on PATH")
            if found:
                return found
    for var, sub in (
        ("PROGRAMW6432", "Git"),
        ("PROGRAMFILES", "Git"),
        ("PROGRAMFILES(X86)", "Git"),
        ("LOCALAPPDATA", ntpath.join("Programs", "Git")),
    ):
        base = folded.get(var)
        if base:
            found = _git_root(ntpath.join(base, sub), exists, f"%{_ENV_CASE.get(var, var)}%")
            if found:
                return found
    for var in ("SCOOP", "USERPROFILE"):
        base = folded.get(var)
        if base:
            scoop = base if var == "SCOOP" else ntpath.join(base, "scoop")
            found = _git_root(ntpath.join(scoop, "apps", "git", "current"), exists, f"Scoop (%{var}%)")
            if found:
                return found
    if read_registry is not None:
        for hive in ("HKLM", "HKCU"):
            try:
                root = read_registry(hive, GIT_REGISTRY_KEY, "InstallPath")
            except OSError:
                root = None
            if root:
                found = _git_root(root, exists, f"registry {hive}\\{GIT_REGISTRY_KEY}")
                if found:
                    return found
    return None


_ENV_CASE = {
    "PROGRAMW6432": "ProgramW6432",
    "PROGRAMFILES": "ProgramFiles",
    "PROGRAMFILES(X86)": "ProgramFiles(X86)",
    "LOCALAPPDATA": "LocalAppData",
}


def windows_registry_reader(hive: str, key: str, value: str) -> str | None:
    """Read one string value with winreg; absent keys are None, not errors."""
    if sys.platform != "win32":
        return None
    import winreg  # pragma: no cover - Windows only

    root = winreg.HKEY_LOCAL_MACHINE if hive == "HKLM" else winreg.HKEY_CURRENT_USER
    try:
        with winreg.OpenKey(root, key) as handle:
            data, _ = winreg.QueryValueEx(handle, value)
    except OSError:
        return None
    return data if isinstance(data, str) else None


def windows_ssh_keygen(env: Mapping[str, str], exists: Exists) -> str | None:
    """The in-box OpenSSH client when it is not on PATH; a 32-bit process must look in Sysnative."""
    folded = {k.upper(): v for k, v in env.items()}
    root = folded.get("SYSTEMROOT") or folded.get("WINDIR")
    if not root:
        return None
    for sub in ("System32", "Sysnative"):
        path = ntpath.join(root, sub, "OpenSSH", "ssh-keygen.exe")
        if exists(path):
            return path
    return None
