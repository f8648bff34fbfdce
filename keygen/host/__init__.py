"""What this machine is: OS, shell, tools and their versions.

`Host` is a frozen value so that tests can describe any machine (Windows with Git Bash, macOS with
LibreSSL, an old OpenSSH) and drive the same code paths the real detection feeds. Detection spawns
a process only for a version it needs, and never raises for anything the machine can present.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import shellingham

from keygen.errors import UsageError
from keygen.host.platforms import SHELLS, SHELLS_BY_OS, OSName, is_posix_shell
from keygen.host.windows import (
    find_git_for_windows,
    windows_registry_reader,
    windows_ssh_keygen,
    with_openssl_version,
)
from keygen.proc import run
from keygen.proc.parallel import all_of

if TYPE_CHECKING:
    from keygen.host.windows import GitForWindows

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


def shell_dict(shell: ShellInfo | None) -> dict[str, Any] | None:
    """A shell as the JSON and the audit record carry it."""
    return {"name": shell.name, "path": shell.path, "source": shell.source} if shell else None


def current_os(platform: str | None = None) -> OSName:
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return "linux"
    if platform == "darwin":
        return "macos"
    if platform in ("win32", "cygwin", "msys"):
        return "windows"
    return "other"


_OPENSSL_RE = r"^(OpenSSL|LibreSSL|BoringSSL)\s*(\d+(?:\.\d+)*)?([a-z]*)"
_OPENSSH_RE = r"^OpenSSH_(?:for_Windows_)?(\d+(?:\.\d+)*)(p\d+)?"
#: The flavours as their makers spell them, whatever case a build prints.
_FLAVORS = {"openssl": "OpenSSL", "libressl": "LibreSSL", "boringssl": "BoringSSL"}


def openssl_version_line(text: str) -> str | None:
    """The line that names the flavour: the first, unless a build put a warning before it (old
    Homebrew and MacPorts builds warn about a missing config file first)."""
    for line in text.splitlines():
        if re.match(_OPENSSL_RE, line.strip(), re.IGNORECASE):
            return line.strip()
    return None


def parse_openssl_version(text: str) -> tuple[str | None, tuple[int, ...] | None]:
    """`OpenSSL 3.0.19 27 Jan 2026 (...)`, `OpenSSL 1.0.2k-fips  26 Jan 2017`, `OpenSSL 0.9.8zh`
    (Mac OS X 10.11 and before), `LibreSSL 3.3.6` (macOS 12 to 15), `LibreSSL 2.8.3`, `LibreSSL 2.2.7`."""
    m = re.match(_OPENSSL_RE, openssl_version_line(text) or "", re.IGNORECASE)
    if not m:
        return None, None
    numbers = tuple(int(p) for p in m.group(2).split(".")) if m.group(2) else None
    return _FLAVORS[m.group(1).lower()], numbers


def parse_openssh_version(text: str) -> tuple[str | None, tuple[int, ...] | None]:
    """`OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.19 ...`, `OpenSSH_for_Windows_7.7p1, LibreSSL 2.6.5`."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    m = re.match(_OPENSSH_RE, first)
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
    out = done.stdout.decode("utf-8", "replace") if done.ok else ""
    text = openssl_version_line(out) or _first_line(done.stdout) if done.ok else None
    flavor, version = parse_openssl_version(out)
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
    return _ancestor_shell(env) or _shell_from_env(env, os_name)


def _ancestor_shell(env: Mapping[str, str]) -> ShellInfo | None:
    """The shell shellingham finds among keygen's parent processes; None when it cannot tell."""
    try:
        name, path = shellingham.detect_shell()
    except Exception:  # noqa: BLE001 - shellingham raises several kinds; all mean "unknown"
        return None
    if not name:
        return None
    path = _located(path, env)
    return ShellInfo(_normalise_shell(name, path), path, "shellingham")


def _located(path: str | None, env: Mapping[str, str]) -> str | None:
    """On POSIX shellingham may report just argv[0] ("bash"): show where that shell lives."""
    if not path or os.sep in path or "/" in path:
        return path
    return run.which(path, path=env.get("PATH")) or path


def _shell_from_env(env: Mapping[str, str], os_name: OSName) -> ShellInfo | None:
    """The login shell as the environment names it: %COMSPEC% on Windows, $SHELL elsewhere."""
    var, source = ("COMSPEC", "%COMSPEC%") if os_name == "windows" else ("SHELL", "$SHELL")
    program = env.get(var)
    if not program:
        return None
    base = os.path.basename(program.replace("\\", "/")).lower()
    name = base[:-4] if base.endswith(".exe") else base
    return ShellInfo(_normalise_shell(name, program), program, source)


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


def check_shell(os_name: str, shell: str | None) -> None:
    """A `--shell` given for this machine must be one of its OS's shells (an unknown OS names none)."""
    if os_name in SHELLS_BY_OS:
        check_combination(os_name, shell)


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
    if os_name == "windows" and not is_posix_shell(shell_name):
        return ("ssh-keygen",)
    return ("openssl",)


def detect_host(
    *,
    env: Mapping[str, str] | None = None,
    tools: tuple[str, ...] = ("openssl", "ssh-keygen"),
    versions: tuple[str, ...] | None = None,
    method: str = "auto",
    cwd: str | None = None,
    shell: str | None = None,
) -> Host:
    """Look at the machine. `tools` are located on PATH; only those in `versions` are run, at once.

    Without `versions`, the tools that matter for `method` are asked (see `versions_needed`), and
    on POSIX, when openssl is missing, ssh-keygen too: auto then falls back to it and its version
    decides. `shell` replaces the detected shell (--shell). Never raises for what the machine holds.
    """
    env = os.environ if env is None else env
    os_name = current_os()
    shell_info = _shell(shell, env, os_name)
    git = None
    if os_name == "windows":  # pragma: no cover - Windows only

        git = find_git_for_windows(env, os.path.isfile, windows_registry_reader)
        if git is not None:  # its openssl is what the git-bash method runs: its version is recorded
            git = with_openssl_version(git, lambda path: probe_openssl(path, cwd or os.getcwd()).version_text)
    paths = _locate(tools, env, os_name)
    if versions is None:
        versions = _versions(os_name, shell_info.name if shell_info else None, method, paths)
    found = _tools(paths, versions, cwd or os.getcwd())
    return Host(
        os=os_name,
        shell=shell_info,
        openssl=found.get("openssl"),
        ssh_keygen=found.get("ssh-keygen"),
        git=git,
        user=user_name(env),
        hostname=host_name(),
    )


def _versions(os_name: OSName, shell_name: str | None, method: str, paths: dict[str, str | None]) -> tuple[str, ...]:
    """The versions to ask when the caller names none: those that decide (`versions_needed`), and
    the fallback's, whose version then decides or is recorded."""
    versions = versions_needed(os_name, shell_name, method)
    fallback = _auto_fallback(os_name, paths) if method == "auto" else None
    return (*versions, fallback) if fallback else versions


def _auto_fallback(os_name: OSName, paths: dict[str, str | None]) -> str | None:
    """The tool auto runs when the one it prefers on this OS is not there, if it is."""
    if os_name != "windows":
        return "ssh-keygen" if paths.get("openssl") is None else None
    # No ssh-keygen in cmd or PowerShell: auto runs openssl instead, whose version is then recorded.
    return "openssl" if paths.get("ssh-keygen") is None and paths.get("openssl") else None


def _tools(paths: dict[str, str | None], versions: tuple[str, ...], cwd: str) -> dict[str, ToolInfo | None]:
    """Each located tool; versions asked side by side (doctor asks two: two processes at once)."""
    jobs = [partial(_tool, name, path, name in versions, cwd) for name, path in paths.items()]
    if sum(1 for name, path in paths.items() if path and name in versions) > 1:
        return dict(zip(paths, all_of(jobs)))
    return {name: job() for name, job in zip(paths, jobs)}


def _shell(given: str | None, env: Mapping[str, str], os_name: OSName) -> ShellInfo | None:
    """`--shell` as given (found on PATH), else the detected shell."""
    if given:
        return ShellInfo(given, run.which(_shell_program(given), path=env.get("PATH")), "given")
    return detect_shell(env, os_name)


def _locate(tools: tuple[str, ...], env: Mapping[str, str], os_name: OSName) -> dict[str, str | None]:
    paths: dict[str, str | None] = {name: run.which(name, path=env.get("PATH")) for name in tools}
    if os_name == "windows" and "ssh-keygen" in paths and paths["ssh-keygen"] is None:  # pragma: no cover

        paths["ssh-keygen"] = windows_ssh_keygen(env, os.path.isfile)
    return paths


def _tool(name: str, path: str | None, ask_version: bool, cwd: str) -> ToolInfo | None:
    """A located tool; its version is asked (a process started) only when it matters."""
    if path is None:
        return None
    if not ask_version:
        return ToolInfo(name, path)
    return probe_openssl(path, cwd) if name == "openssl" else probe_ssh_keygen(path, cwd)


def _shell_program(name: str) -> str:
    return "bash" if name == "git-bash" else name


def user_name(env: Mapping[str, str]) -> str:
    """Who runs keygen, for audit records; never fails (containers may have no passwd entry)."""
    try:
        # getpass.getuser's own order.
        for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
            if os.environ.get(name):
                return os.environ[name]
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return env.get("USER") or env.get("USERNAME") or ""


def host_name() -> str:
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    try:
        return socket.gethostname()
    except OSError:
        return ""
