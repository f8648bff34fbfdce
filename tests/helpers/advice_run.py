"""Run the commands keygen prints, blind, the way a user pastes them, and hold them to the promise.

A printed command is a backtick-quoted span of a `fix` (or an error's `hint`) that starts with a
program name. Each one is run on its own, in a fresh copy of the situation's directory, by
/bin/sh, with no terminal (a passphrase prompt then reads stdin). Before, every file's bytes are
taken; after, every file that existed must be unchanged (a `--fix` may replace the public key
only when the original sits whole in the backup folder), the command must exit 0, and no step may
write a file that existed or one it reads.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROGRAMS = ("openssl", "ssh-keygen", "keygen", "cp", "chmod")
_SPAN = re.compile(r"`([^`]+)`")
#: A command that is not in backticks: the test that collects commands would miss it.
_BARE = re.compile(
    r"\b(?:openssl (?:pkey|rsa|pkcs8|genpkey)|ssh-keygen -[a-zA-Z]|keygen (?:verify|generate|public-key) )"
)


#: A command's first word: a name, or a path quoted for cmd ("...") or PowerShell (& '...').
_FIRST_WORD = re.compile(r"""(?:& )?(?:"([^"]+)"|'([^']+)'|(\S+))""")


def program_of(command: str) -> str:
    """The program a printed command runs: `openssl`, also when it is named by a full path
    (`"C:\\...\\mingw64\\bin\\openssl.exe" pkey ...`, as keygen prints Git Bash's openssl in cmd)."""
    found = _FIRST_WORD.match(command)
    word = next((g for g in found.groups() if g), "") if found else ""
    name = re.split(r"[\\/]", word)[-1]
    return name[:-4] if name.lower().endswith(".exe") else name


def commands_in(text: str) -> list[str]:
    return [s for s in _SPAN.findall(text) if program_of(s) in PROGRAMS]


def bare_commands(text: str) -> list[str]:
    """Command-like text outside backticks (it must not exist: every command is quoted)."""
    return _BARE.findall(_SPAN.sub("", text))


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def steps(command: str) -> list[list[str]]:
    """The steps of a POSIX line joined by && (each a word list; `>` kept as a word)."""
    return [shlex.split(part) for part in command.split(" && ")]


def writes_and_reads(step: list[str]) -> tuple[set[str], set[str]]:
    writes, reads = set(), set()
    for flag, value in zip(step, step[1:]):
        if flag in ("-out", ">"):
            writes.add(value)
        elif flag in ("-in", "-f"):
            reads.add(value)
    if step[:2] == ["keygen", "public-key"]:
        # keygen public-key PRIV -o OUT: reads PRIV, writes OUT (never over a file: it refuses).
        reads.add(step[2])
        writes.add(step[step.index("-o") + 1])
    if step[0] == "cp":
        reads.add(step[-2])
        writes.add(step[-1])
    if step[0] == "ssh-keygen" and "-p" in step:
        writes |= reads  # -p rewrites the file it reads: allowed only on a copy this line made
    return writes, reads


def check_static(command: str, existing: set[str]) -> None:
    made: set[str] = set()
    for step in steps(command):
        writes, reads = writes_and_reads(step)
        assert not writes & existing, f"{command!r} writes over {writes & existing}"
        own = writes & reads
        assert own <= made, f"{command!r} reads and writes {own - made} in one step"
        made |= writes


@dataclass
class Tally:
    commands: int = 0
    situations: set[str] = field(default_factory=set)


def venv_path() -> str:
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def run_blind(command: str, situation: Path, scratch: Path, stdin: bytes = b"") -> None:
    """Run `command` in a copy of `situation`, and assert it kept the promise."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(situation, scratch, symlinks=True)
    before = snapshot(scratch)
    check_static(command, set(before))
    env = dict(os.environ, PATH=venv_path(), KEYGEN_SHELL="posix")
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_ASKPASS"):
        env.pop(var, None)
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=scratch,
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        start_new_session=True,  # no terminal: openssl and ssh-keygen read a passphrase from stdin
        check=False,
    )
    assert done.returncode == 0, f"{command!r} failed ({done.returncode}): {done.stderr.decode()[-1500:]}"
    after = snapshot(scratch)
    backups = {k: v for k, v in after.items() if k.startswith(".keygen-backups" + os.sep)}
    for name, data in before.items():
        assert name in after, f"{command!r} removed or moved {name}"
        if after[name] != data:
            assert "--fix" in command, f"{command!r} changed {name}"
            assert data in backups.values(), f"{command!r} changed {name} without keeping it in a backup"
