"""Windows specifics of finding the tools: Git for Windows (its bash and openssl) and the in-box
OpenSSH client. Pure over their arguments (Windows paths via ntpath), so they run on Linux too.
"""

from __future__ import annotations

import dataclasses
import ntpath
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain


@dataclass(frozen=True)
class GitForWindows:
    root: str
    bash: str | None
    openssl: str | None
    found_by: str
    #: `openssl version`'s first line from Git Bash's openssl (None: not asked, or no answer).
    openssl_version: str | None = None

    @property
    def launcher(self) -> str:
        """git-bash.exe: what the Start menu's "Git Bash" entry runs (a mintty window)."""
        return ntpath.join(self.root, "git-bash.exe")


def with_openssl_version(git: GitForWindows, ask: Callable[[str], str | None]) -> GitForWindows:
    """Git Bash's openssl asked its version (`ask(path)` runs `openssl version`), so that plan,
    doctor, generate's JSON and the audit record name the OpenSSL that made the key."""
    if git.openssl is None:
        return git
    return dataclasses.replace(git, openssl_version=ask(git.openssl))


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
#: A 32-bit process sees System32 redirected to SysWOW64, which has no OpenSSH: Sysnative reaches it.
_SSH_KEYGEN_IN_WINDOWS = (
    ntpath.join("System32", "OpenSSH", "ssh-keygen.exe"),
    ntpath.join("Sysnative", "OpenSSH", "ssh-keygen.exe"),
)


def windows_path_list(value: str | None) -> list[str]:
    """%PATH% on Windows: `;`-separated, entries may be quoted, empty entries mean nothing."""
    if not value:
        return []
    return [p.strip().strip('"') for p in value.split(";") if p.strip().strip('"')]


def _first_in(root: str, candidates: tuple[str, ...], exists: Exists) -> str | None:
    """The first of `candidates` (paths relative to `root`) that exists, as a full path."""
    return next((path for path in (ntpath.join(root, rel) for rel in candidates) if exists(path)), None)


def _git_root(candidate: str, exists: Exists, found_by: str) -> GitForWindows | None:
    """A Git for Windows root is only accepted when a bash is really in it."""
    bash = _first_in(candidate, _BASH_IN_ROOT, exists)
    if bash is None:
        return None
    return GitForWindows(candidate, bash, _first_in(candidate, _OPENSSL_IN_ROOT, exists), found_by)


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
    folded = _folded(env)
    # The places are tried lazily, in order: the registry is only read when nothing before it held Git.
    places = chain(_on_path(folded, exists), _program_folders(folded), _scoop(folded), _registry(read_registry))
    for root, found_by in places:
        found = _git_root(root, exists, found_by)
        if found:
            return found
    return None


#: Where the installer puts Git under each folder variable, by the variable's usual spelling.
_PROGRAM_FOLDERS = (
    ("ProgramW6432", "Git"),
    ("ProgramFiles", "Git"),
    ("ProgramFiles(X86)", "Git"),
    ("LocalAppData", ntpath.join("Programs", "Git")),
)


def _on_path(folded: Mapping[str, str], exists: Exists) -> Iterator[tuple[str, str]]:
    """Two folders above each `git.exe` on PATH (`<root>\\cmd`, `<root>\\bin`)."""
    for directory in windows_path_list(folded.get("PATH")):
        git_exe = ntpath.join(directory, "git.exe")
        if exists(git_exe):
            yield ntpath.dirname(ntpath.dirname(git_exe)), "git.exe on PATH"


def _program_folders(folded: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """`Git` under each program folder the environment names, in `_PROGRAM_FOLDERS`' order."""
    for var, sub in _PROGRAM_FOLDERS:
        base = folded.get(var.upper())
        if base:
            yield ntpath.join(base, sub), f"%{var}%"


def _scoop(folded: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """Scoop's Git: %SCOOP% is Scoop's own folder; without it Scoop lives in %USERPROFILE%\\scoop."""
    for var in ("SCOOP", "USERPROFILE"):
        base = folded.get(var)
        if base:
            scoop = base if var == "SCOOP" else ntpath.join(base, "scoop")
            yield ntpath.join(scoop, "apps", "git", "current"), f"Scoop (%{var}%)"


def _registry(read_registry: RegistryReader | None) -> Iterator[tuple[str, str]]:
    """The installer's InstallPath, machine-wide first; a registry that cannot be read holds nothing."""
    if read_registry is None:
        return
    for hive in ("HKLM", "HKCU"):
        try:
            root = read_registry(hive, GIT_REGISTRY_KEY, "InstallPath")
        except OSError:
            continue
        if root:
            yield root, f"registry {hive}\\{GIT_REGISTRY_KEY}"


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
    folded = _folded(env)
    root = folded.get("SYSTEMROOT") or folded.get("WINDIR")
    if not root:
        return None
    return _first_in(root, _SSH_KEYGEN_IN_WINDOWS, exists)


def _folded(env: Mapping[str, str]) -> dict[str, str]:
    """Environment variable names are case-insensitive on Windows: look them up upper-cased."""
    return {k.upper(): v for k, v in env.items()}
