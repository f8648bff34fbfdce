"""Warnings about the surroundings of a run: who else can write where the key lands, whether git
would pick it up, and whether the tool that runs could have been planted.

None of these stop a run (the user may know better); each says the risk and the fix.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from keygen.outdir import STAGING_PREFIX
from keygen.outdir.publish import BACKUP_DIR
from keygen.proc import run
from keygen.recipes import PRIVATE_KEY, quoting

IS_POSIX = os.name == "posix"


def dir_warnings(out_dir: Path) -> list[str]:
    """DIR writable by group or others: someone else could swap or read files there."""
    if not IS_POSIX:
        return []
    try:
        st = out_dir.stat()
    except OSError:
        return []
    mode = stat.S_IMODE(st.st_mode)
    if not mode & (stat.S_IWGRP | stat.S_IWOTH):
        return []
    who = "everyone" if mode & stat.S_IWOTH else "its group"
    sticky = (
        " (sticky, so others cannot rename your files, but they can watch and plant names)"
        if (mode & stat.S_ISVTX)
        else ""
    )
    return [
        f"{out_dir} is writable by {who} (mode {mode:04o}){sticky}: another account could tamper with the "
        f"key files there; use a directory only you can write to (`chmod 700 {quoting.quote(str(out_dir), 'posix')}`)"
    ]


def find_work_tree(start: Path) -> Path | None:
    for parent in (start, *start.parents):
        if (parent / ".git").exists():
            return parent
    return None


def _keygen_paths(out_dir: Path) -> list[str]:
    """What keygen adds to DIR that holds a private key: the key itself, and inside its own
    folders (backups, staging; each carries a `.gitignore` of `*`) a key file, when they exist."""
    paths = [PRIVATE_KEY]
    try:
        entries = sorted(os.listdir(out_dir))
    except OSError:
        entries = []
    for name in entries:
        if name == BACKUP_DIR or name.startswith(STAGING_PREFIX):
            paths.append(f"{name}/{PRIVATE_KEY}")
    return paths


def git_warnings(out_dir: Path, environ: Mapping[str, str], timeout: float = 10.0) -> list[str]:
    """A private key inside a git work tree that does not ignore it is one `git add -A` from a leak."""
    absolute = out_dir.absolute()
    tree = find_work_tree(absolute)
    if tree is None:
        return []
    git = run.which("git", path=environ.get("PATH"))
    if git is None:
        return [f"{out_dir} is inside the git work tree {tree}; make sure {PRIVATE_KEY} is git-ignored"]
    exposed = _not_ignored(git, absolute, _keygen_paths(absolute), environ, timeout)
    if not exposed:
        return []
    lines = _gitignore_lines(tree, absolute, exposed)
    return [
        f"{out_dir} is inside the git work tree {tree}, which does not ignore {', '.join(exposed)}; add "
        f"{'this line' if len(lines) == 1 else 'these lines'} to {tree / '.gitignore'}: {' '.join(lines)}"
    ]


def _not_ignored(git: str, cwd: Path, paths: list[str], environ: Mapping[str, str], timeout: float) -> list[str]:
    """The paths git would add; none when git cannot say (it did not start, or refused)."""
    try:
        # Without -q, check-ignore prints each ignored path: the rest are one `git add` away.
        done = run.run(
            ["git", "check-ignore", *paths],
            executable=git,
            cwd=cwd,
            timeout=timeout,
            env=dict(environ),
            umask=0o022,
        )
    except OSError:
        return []
    if done.returncode not in (0, 1):  # 128: not really a work tree, or git refused (e.g. dubious ownership)
        return []
    ignored = set(done.stdout.decode(errors="replace").splitlines())
    return [p for p in paths if p not in ignored]


def _gitignore_lines(tree: Path, absolute: Path, exposed: list[str]) -> list[str]:
    """The .gitignore lines that ignore the exposed paths, anchored at the work tree's root."""
    try:
        rel = absolute.relative_to(tree)
    except ValueError:
        rel = Path(".")
    return ["/" + ((rel / p).as_posix() if str(rel) != "." else p) for p in exposed]


def surroundings(out_dir: Path, environ: Mapping[str, str]) -> list[str]:
    """Risks around DIR that do not stop a run: who else can write there, and git."""
    if not out_dir.is_dir():
        return []
    return dir_warnings(out_dir) + git_warnings(out_dir, environ)


def tool_warnings(executable: str, cwd: Path, environ: Mapping[str, str]) -> list[str]:
    """The tool came from the current directory or a directory anyone can write to: it could be planted."""
    return _from_cwd(executable, cwd) + (_world_writable(executable) if IS_POSIX else [])


def _from_cwd(executable: str, cwd: Path) -> list[str]:
    try:
        if Path(executable).parent.resolve() == cwd.resolve():
            return [
                f"{executable} was found in the current directory through PATH; anyone who can write here "
                "could plant it. Remove '.' or empty entries from PATH"
            ]
    except OSError:
        pass
    return []


def _world_writable(executable: str) -> list[str]:
    """The tool's folder or the tool itself writable by everyone (POSIX modes)."""
    folder = Path(executable).parent
    checks = (
        (folder, f"{executable} lives in {folder}, which everyone can write to"),
        (Path(executable), f"{executable} is writable by everyone"),
    )
    warnings = []
    for path, finding in checks:
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if mode & stat.S_IWOTH:
            warnings.append(f"{finding}: it could have been replaced; put a trusted one first on PATH")
    return warnings
