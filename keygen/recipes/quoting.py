"""Commands keygen prints for the user to run: quoted for their shell, and safe to run blind.

Every command built here keeps one promise: run as printed, it never writes over, truncates or
moves a file that exists. A command that makes something writes it BESIDE the original, under a
name that does not exist yet (`fresh_name`), and is followed by the `keygen verify` that checks
the result; swapping the new file in is left to the user, once checked (or to `--fix`, which
keeps a backup). The user's files are named as they typed them, quoted for the shell that will
run the line: POSIX shells, cmd.exe or PowerShell.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Literal, Optional

from keygen import host
from keygen.host.windows import find_git_for_windows, windows_registry_reader, windows_ssh_keygen
from keygen.proc import run

if TYPE_CHECKING:
    from keygen.host.windows import RegistryReader
    from keygen.recipes import Step

Shell = Literal["posix", "cmd", "powershell"]
SHELLS: tuple[Shell, ...] = ("posix", "cmd", "powershell")

#: Characters no shell treats specially in a word (a leading "-" is fine: these are file names
#: printed after options, and every tool here reads them as operands of -in/-out/-f).
_SAFE = {
    "posix": re.compile(r"[\w./@%+=:,-]+"),
    "cmd": re.compile(r"[\w./\\:@+=,-]+"),
    "powershell": re.compile(r"[\w./\\:][\w./\\:-]*"),
}


def quote(arg: str, shell: Shell) -> str:
    """`arg` as one word for `shell`, unchanged when nothing in it is special there."""
    if _SAFE[shell].fullmatch(arg):
        return arg
    if shell == "posix":
        return "'" + arg.replace("'", "'\\''") + "'"
    if shell == "powershell":
        # Single quotes: no expansion at all; a quote is doubled. PowerShell also reads the
        # typographic quotes as quotes, so those are doubled too.
        return "'" + re.sub(r"(['\u2018\u2019\u201a\u201b])", r"\1\1", arg) + "'"
    return _quote_cmd(arg)


def _quote_cmd(arg: str) -> str:
    """cmd.exe: double quotes make & | < > ^ ( ) and spaces literal, but not %: a % is written
    outside the quotes as ^% (interactive cmd, where typed lines run). A Windows file name cannot
    hold a double quote; one here cannot be passed safely, so it is refused."""
    if '"' in arg:
        raise ValueError(f"cannot quote {arg!r} for cmd.exe: it holds a double quote")
    # Backslashes before a closing quote would escape it for the program's argv parser: doubled.
    return "^%".join('"' + re.sub(r"(\\+)$", r"\1\1", part) + '"' for part in arg.split("%"))


def join(steps: Sequence[str], shell: Shell) -> str:
    """Steps that run one after the other, each only if the one before succeeded."""
    if shell == "powershell":
        # Windows PowerShell 5.1 has no &&; `$?` is false after a native command that failed.
        line = steps[0]
        for step in steps[1:]:
            line += f"; if ($?) {{ {step} }}"
        return line
    return " && ".join(steps)


def to_file(command: str, target: str, shell: Shell) -> str:
    """`command`'s output into a NEW file: `>` writes UTF-16 in Windows PowerShell 5.1, Out-File
    with -Encoding ascii does not (and -NoClobber refuses a name that exists)."""
    if shell == "powershell":
        return f"{command} | Out-File -Encoding ascii -NoClobber {quote(target, shell)}"
    return f"{command} > {quote(target, shell)}"


def fresh_name(path: str, suffix: str, exists: Callable[[str], bool] = os.path.lexists) -> str:
    """A new name beside `path` for a converted copy: `<stem><suffix>`, or `<stem>-2<suffix>`,
    `-3`... when taken, so that no printed command ever writes over a file."""
    tail = os.path.split(path)[1]
    # The directory part exactly as typed (its own separator: `keys/` stays `keys/` on Windows too).
    head = path[: len(path) - len(tail)]
    stem = tail[:-4] if tail.endswith((".pem", ".pub")) else tail
    for n in range(1, 1000):
        candidate = head + stem + (f"-{n}" if n > 1 else "") + suffix
        if not exists(candidate):
            return candidate
    return f"{head}{stem}-new{suffix}"


def fresh_dir(base: str, exists: Callable[[str], bool] = os.path.lexists) -> str:
    """A directory name that does not exist yet, for a new pair: `base`, `base-2`..."""
    for n in range(1, 1000):
        name = base + (f"-{n}" if n > 1 else "")
        if not exists(name):
            return name
    return base + "-new"


def shell_kind(name: Optional[str], os_name: str) -> Shell:
    """Which quoting a detected shell name needs: unknown means the OS's usual shell."""
    if name in ("cmd",):
        return "cmd"
    if name in ("powershell", "pwsh"):
        return "powershell"
    if name is None and os_name == "windows":
        return "cmd"
    return "posix"


@lru_cache(maxsize=1)
def _detected() -> Shell:
    os_name = host.current_os()
    info = host.detect_shell(os.environ, os_name)
    return shell_kind(info.name if info else None, os_name)


def current_shell(environ: Optional[Mapping[str, str]] = None) -> Shell:
    """The shell the user's commands will be typed into: KEYGEN_SHELL (posix, cmd, powershell,
    or a shell name such as bash or pwsh) when set, else the one keygen was started from."""
    value = (os.environ if environ is None else environ).get("KEYGEN_SHELL", "").strip().lower()
    if value in SHELLS:
        return value
    if value:
        return shell_kind(value, host.current_os())
    return _detected()


# --- the programs ------------------------------------------------------------------------------


def located(
    tool: str,
    os_name: str,
    env: Mapping[str, str],
    exists: Callable[[str], bool],
    read_registry: Optional[RegistryReader] = None,
    which: Callable[..., Optional[str]] = run.which,
) -> Optional[str]:
    """Where keygen finds `tool` when its bare name would not run it from the user's shell: None
    when it is on PATH (the name runs what keygen runs) or found nowhere (the name, and the
    install hint, say the rest). On Windows a user with Git Bash has Git's `openssl.exe` in
    `mingw64\\bin`, off PATH: typed as `openssl` in cmd it is "not recognized" (errorlevel 9009)."""
    if which(tool, path=env.get("PATH")) or os_name != "windows":
        return None
    if tool == "openssl":
        git = find_git_for_windows(env, exists, read_registry)
        return git.openssl if git else None
    return windows_ssh_keygen(env, exists)


@cache
def _located_here(tool: str) -> Optional[str]:
    # Looked up once per run, and only when a command naming the tool is worded.
    return located(tool, host.current_os(), os.environ, os.path.isfile, windows_registry_reader)


def program(tool: str, shell: Shell, where: Optional[str] = None) -> str:
    """The first word of a printed command that runs `tool`: its name, or the full path keygen
    found it at (`where`, default: this machine's), quoted for `shell`. PowerShell runs a quoted
    path only through its call operator `&`."""
    path = _located_here(tool) if where is None else where
    if not path:
        return tool
    return f"& {quote(path, shell)}" if shell == "powershell" else quote(path, shell)


# --- the commands ------------------------------------------------------------------------------


def keygen_verify(private: Optional[str], public: Optional[str], shell: Shell, *extra: str) -> str:
    """The `keygen verify` line that checks exactly these files (as typed), whatever the defaults."""
    words = ["keygen", "verify", *extra]
    if private is not None and public is not None:
        words += [quote(private, shell), quote(public, shell)]
    elif private is not None:
        words += ["--private-only", quote(private, shell)]
    elif public is not None:
        words += ["--public-only", quote(public, shell)]
    return " ".join(words)


def public_from_private(private: str, target: str, shell: Shell, *, openssh: bool = False, pair: bool = True) -> str:
    """Write the public key of `private` to the NEW file `target`, then check the pair."""
    priv = quote(private, shell)
    if openssh:
        # openssl cannot read the OpenSSH format. `ssh-keygen -e -f KEY` would read a stale
        # KEY.pub first, so take the public half with -y (which reads the key itself) to a new file.
        middle = fresh_name(target, ".openssh.pub")
        steps = [
            to_file(f"{program('ssh-keygen', shell)} -y -f {priv}", middle, shell),
            to_file(f"{program('ssh-keygen', shell)} -e -m PKCS8 -f {quote(middle, shell)}", target, shell),
            # The OpenSSH private key itself fails verify: check the new public key alone.
            keygen_verify(None, target, shell),
        ]
    else:
        # A private key that passes its checks: keygen writes the public key itself (the document's
        # line, checked); one that fails them: openssl, and the new public key is checked alone.
        if pair:
            make = f"keygen public-key {priv} -o {quote(target, shell)}"
        else:
            make = f"{program('openssl', shell)} pkey -in {priv} -pubout -out {quote(target, shell)}"
        steps = [make, keygen_verify(private if pair else None, target, shell)]
    return join(steps, shell)


def copy_file(source: str, target: str, shell: Shell) -> str:
    """Copy to a NEW name (each shell's own copy command)."""
    program = {"posix": "cp", "cmd": "copy", "powershell": "Copy-Item"}[shell]
    return f"{program} {quote(source, shell)} {quote(target, shell)}"


def openssh_to_pkcs8(private: str, copy: str, shell: Shell, check: str) -> str:
    """Convert a COPY of an OpenSSH private key to unencrypted PKCS#8 (ssh-keygen -p rewrites the
    file it is given, so it is given the copy this line has just made, never the original)."""
    # Windows PowerShell 5.1 drops an empty argument: there ssh-keygen asks, and Enter means none.
    empty = {"posix": " -N ''", "cmd": ' -N ""', "powershell": ""}[shell]
    convert = f"{program('ssh-keygen', shell)} -p{empty} -m PKCS8 -f {quote(copy, shell)}"
    return join([copy_file(private, copy, shell), convert, check], shell)


def new_pair(shell: Shell, base: str = "new-key-pair") -> str:
    """A new pair by the documented commands, in a directory that does not exist yet."""
    return f"keygen generate --out-dir {quote(fresh_dir(base), shell)}"


def powershell_ascii_line(step: Step) -> str:
    """The same command with PowerShell's own ASCII writer in place of 5.1's UTF-16 `>`."""
    command = step.line.partition(" > ")[0]
    return f"{command} | Out-File -Encoding ascii {step.stdout_to}"
