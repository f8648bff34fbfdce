"""What this machine is: OS, shell, tools and their versions.

`Host` is a frozen value so that tests can describe any machine (Windows with Git Bash, macOS with
LibreSSL, an old OpenSSH) and drive the same code paths the real detection feeds. Detection spawns
a process only for a version it needs, and never raises for anything the machine can present.
"""

from __future__ import annotations

import ntpath
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from keygen import run
from keygen.errors import UsageError

OSName = Literal["linux", "macos", "windows", "other"]
VERSION_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ToolInfo:
    name: str
    path: str
    #: The tool's own first line of version output, as printed.
    version_text: str | None = None
    #: OpenSSL, LibreSSL, BoringSSL, OpenSSH.
    flavor: str | None = None
    version: tuple[int, ...] | None = None

    @property
    def version_label(self) -> str:
        if self.flavor and self.version:
            return f"{self.flavor} {'.'.join(map(str, self.version))}"
        return self.version_text or "unknown version"


@dataclass(frozen=True)
class ShellInfo:
    name: str
    path: str | None = None
    #: How it was found: shellingham, $SHELL, %COMSPEC%, or given (--shell).
    source: str = "shellingham"


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


@dataclass(frozen=True)
class Host:
    os: OSName
    shell: ShellInfo | None = None
    openssl: ToolInfo | None = None
    ssh_keygen: ToolInfo | None = None
    git: GitForWindows | None = None
    #: Where the user account and machine name come from for audit records.
    user: str = ""
    hostname: str = ""

    def tool(self, name: str) -> ToolInfo | None:
        return {"openssl": self.openssl, "ssh-keygen": self.ssh_keygen}.get(name)


def current_os(platform: str | None = None) -> OSName:
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return "linux"
    if platform == "darwin":
        return "macos"
    if platform in ("win32", "cygwin", "msys"):
        return "windows"
    return "other"


_OPENSSL_RE = re.compile(r"^(OpenSSL|LibreSSL|BoringSSL)\s*(\d+(?:\.\d+)*)?([a-z]*)")
_OPENSSH_RE = re.compile(r"^OpenSSH_(?:for_Windows_)?(\d+(?:\.\d+)*)(p\d+)?")


def parse_openssl_version(text: str) -> tuple[str | None, tuple[int, ...] | None]:
    """`OpenSSL 3.0.19 27 Jan 2026 (...)`, `OpenSSL 1.0.2k-fips  26 Jan 2017`, `LibreSSL 3.3.6`."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    m = _OPENSSL_RE.match(first)
    if not m:
        return None, None
    numbers = tuple(int(p) for p in m.group(2).split(".")) if m.group(2) else None
    return m.group(1), numbers


def parse_openssh_version(text: str) -> tuple[str | None, tuple[int, ...] | None]:
    """`OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.19 ...`, `OpenSSH_for_Windows_7.7p1, LibreSSL 2.6.5`."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    m = _OPENSSH_RE.match(first)
    if not m:
        return None, None
    return "OpenSSH", tuple(int(p) for p in m.group(1).split("."))


def _first_line(data: bytes) -> str | None:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else None


def probe_openssl(path: str, cwd: str) -> ToolInfo:
    """Ask openssl for its version; a broken binary yields a ToolInfo without one, not an error."""
    try:
        done = run.run(["openssl", "version"], executable=path, cwd=cwd, timeout=VERSION_TIMEOUT_S)
    except OSError:
        return ToolInfo("openssl", path)
    text = _first_line(done.stdout) if done.ok else None
    flavor, version = parse_openssl_version(text or "")
    return ToolInfo("openssl", path, text, flavor, version)


def probe_ssh_keygen(path: str, cwd: str) -> ToolInfo:
    """ssh-keygen has no version flag: `ssh -V` beside it prints the OpenSSH version on stderr."""
    directory, base = os.path.split(path)
    ssh = os.path.join(directory, "ssh.exe" if base.lower().endswith(".exe") else "ssh")
    if not os.path.isfile(ssh):
        return ToolInfo("ssh-keygen", path)
    try:
        done = run.run(["ssh", "-V"], executable=ssh, cwd=cwd, timeout=VERSION_TIMEOUT_S)
    except OSError:
        return ToolInfo("ssh-keygen", path)
    text = _first_line(done.stderr) or _first_line(done.stdout)
    flavor, version = parse_openssh_version(text or "")
    return ToolInfo("ssh-keygen", path, text, flavor, version)


def detect_shell(env: Mapping[str, str], os_name: OSName) -> ShellInfo | None:
    """The shell keygen runs in, by its process ancestry, else $SHELL or %COMSPEC%."""
    try:
        import shellingham

        name, path = shellingham.detect_shell()
    except Exception:  # noqa: BLE001 - shellingham raises several kinds; all mean "unknown"
        name = path = None
    if name:
        # On POSIX shellingham may report just argv[0] ("bash"): show where that shell lives.
        if path and os.sep not in path and "/" not in path:
            path = run.which(path, path=env.get("PATH")) or path
        return ShellInfo(_normalise_shell(name, path), path, "shellingham")
    fallback = env.get("COMSPEC") if os_name == "windows" else env.get("SHELL")
    if fallback:
        base = os.path.basename(fallback.replace("\\", "/")).lower()
        name = base[:-4] if base.endswith(".exe") else base
        return ShellInfo(_normalise_shell(name, fallback), fallback, "%COMSPEC%" if os_name == "windows" else "$SHELL")
    return None


def is_git_bash_path(path: str | None) -> bool:
    """Git Bash is bash from a Git for Windows tree; WSL's System32\\bash.exe is not."""
    if not path:
        return False
    norm = path.replace("\\", "/").lower()
    if "/windows/system32/" in norm or "/windows/sysnative/" in norm:
        return False
    return "/git/" in norm and norm.endswith(("/bin/bash.exe", "/bin/bash", "/git-bash.exe"))


def _normalise_shell(name: str, path: str | None) -> str:
    name = name.lower()
    if name == "bash" and is_git_bash_path(path):
        return "git-bash"
    return name


#: Windows shell names as shellingham reports them (FACTS.md), plus git-bash for Git for Windows' bash.
POSIX_SHELLS = ("bash", "sh", "dash", "zsh", "fish")
#: The shells `--shell` accepts, and where each exists. pwsh (PowerShell 7) runs everywhere.
SHELLS: tuple[str, ...] = ("bash", "zsh", "sh", "dash", "fish", "cmd", "powershell", "pwsh", "git-bash")
SHELLS_BY_OS: dict[str, tuple[str, ...]] = {
    "linux": (*POSIX_SHELLS, "pwsh"),
    "macos": (*POSIX_SHELLS, "pwsh"),
    "windows": ("cmd", "powershell", "pwsh", "git-bash", *POSIX_SHELLS),
}


def check_combination(os_name: str, shell: str | None) -> None:
    """cmd, Windows PowerShell and Git Bash exist only on Windows: anything else is a usage error."""
    if os_name not in SHELLS_BY_OS:
        raise UsageError(f"unknown OS {os_name!r}", "use linux, macos or windows")
    if shell is not None and shell not in SHELLS_BY_OS[os_name]:
        if shell not in SHELLS:
            raise UsageError(f"unknown shell {shell!r}", f"use one of: {', '.join(SHELLS)}")
        raise UsageError(
            f"{shell} does not run on {os_name}",
            f"on {os_name}, use one of: {', '.join(SHELLS_BY_OS[os_name])}",
        )


def versions_needed(os_name: OSName, shell_name: str | None, method: str) -> tuple[str, ...]:
    """The tools whose version can change what `generate` does; only these are run to ask.

    In cmd and PowerShell the ssh-keygen version decides between ssh-keygen and Git Bash's openssl
    (before 8.1 it writes the wrong format); elsewhere only the tool that will run is asked, and
    its version is only recorded.
    """
    if method in ("openssl", "git-bash"):
        return ("openssl",)
    if method == "ssh-keygen":
        return ("ssh-keygen",)
    if os_name == "windows" and shell_name not in ("git-bash", *POSIX_SHELLS):
        return ("ssh-keygen",)
    return ("openssl",)


# --- Git for Windows ---------------------------------------------------------------------------

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


def rooted_exists(root: Path) -> Exists:
    """An `exists` that maps `C:\\X\\Y` to `<root>/C/X/Y`: fake Windows trees for tests and demos."""

    def exists(windows_path: str) -> bool:
        drive, rest = ntpath.splitdrive(windows_path)
        parts = [p for p in rest.replace("/", "\\").split("\\") if p]
        return root.joinpath(drive.rstrip(":") or "_", *parts).is_file()

    return exists


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


def detect_host(
    *,
    env: Mapping[str, str] | None = None,
    tools: tuple[str, ...] = ("openssl", "ssh-keygen"),
    versions: tuple[str, ...] | None = None,
    method: str = "auto",
    cwd: str | None = None,
    shell: str | None = None,
) -> Host:
    """Look at the machine. `tools` are located on PATH; only those in `versions` are run.

    Without `versions`, the tools that matter for `method` are asked (see `versions_needed`), and
    on POSIX, when openssl is missing, ssh-keygen too: auto then falls back to it and its version
    decides. `shell` replaces the detected shell (--shell). Never raises for what the machine holds.
    """
    env = os.environ if env is None else env
    os_name = current_os()
    cwd = cwd or os.getcwd()
    shell_info = ShellInfo(shell, run.which(_shell_program(shell), path=env.get("PATH")), "given") if shell else None
    shell_info = shell_info or detect_shell(env, os_name)
    git = None
    if os_name == "windows":  # pragma: no cover - Windows only
        git = find_git_for_windows(env, os.path.isfile, windows_registry_reader)
    paths: dict[str, str | None] = {name: run.which(name, path=env.get("PATH")) for name in tools}
    if os_name == "windows" and "ssh-keygen" in paths and paths["ssh-keygen"] is None:  # pragma: no cover
        paths["ssh-keygen"] = windows_ssh_keygen(env, os.path.isfile)
    if versions is None:
        versions = versions_needed(os_name, shell_info.name if shell_info else None, method)
        if method == "auto" and os_name != "windows" and paths.get("openssl") is None:
            versions = (*versions, "ssh-keygen")
        elif method == "auto" and os_name == "windows" and paths.get("ssh-keygen") is None and paths.get("openssl"):
            # No ssh-keygen in cmd or PowerShell: auto runs openssl instead, whose version is then recorded.
            versions = (*versions, "openssl")
    found: dict[str, ToolInfo | None] = {}
    for name, path in paths.items():
        if path is None:
            found[name] = None
        elif name in versions:
            found[name] = probe_openssl(path, cwd) if name == "openssl" else probe_ssh_keygen(path, cwd)
        else:
            found[name] = ToolInfo(name, path)
    return Host(
        os=os_name,
        shell=shell_info,
        openssl=found.get("openssl"),
        ssh_keygen=found.get("ssh-keygen"),
        git=git,
        user=user_name(env),
        hostname=host_name(),
    )


def _shell_program(name: str) -> str:
    return "bash" if name == "git-bash" else name


def user_name(env: Mapping[str, str]) -> str:
    """Who runs keygen, for audit records; never fails (containers may have no passwd entry)."""
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return env.get("USER") or env.get("USERNAME") or ""


def host_name() -> str:
    if hasattr(os, "uname"):  # POSIX: no need to import socket (a few ms of start-up) for this
        return os.uname().nodename
    import socket

    try:
        return socket.gethostname()
    except OSError:
        return ""
