"""DIR before anything is written: is it a directory keygen can use, which final names are taken,
and the claim a run makes on it (a lock, and a private staging directory inside).

Every refusal here happens before a documented command runs, so a refused run leaves DIR as it was.
"""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path

from keygen.errors import DirUnusable, Refused
from keygen.recipes import PRIVATE_KEY, PUBLIC_KEY

STAGING_PREFIX = ".keygen-staging-"
FINAL_NAMES = (PRIVATE_KEY, PUBLIC_KEY)


def existing(out_dir: Path) -> list[str]:
    """Final names already taken in DIR, by anything at all (a dangling link counts)."""
    return [name for name in FINAL_NAMES if os.path.lexists(out_dir / name)]


def refusal(out_dir: Path, taken: list[str]) -> Refused:
    return Refused(
        f"{' and '.join(taken)} already exist{'s' if len(taken) == 1 else ''} in {out_dir.absolute()}; "
        "keygen never overwrites a key",
        "choose another --out-dir, or pass --force to move the old files aside to timestamped backups",
    )


#: The longest working directory Windows starts a program in (MAX_PATH less the drive's `\` and
#: the terminating NUL): the documented lines run inside the staging directory, by relative names.
WINDOWS_MAX_CWD = 258
#: `.keygen-staging-` and mkdtemp's eight random characters, a separator and the trailing `\`.
_STAGING_LENGTH = len(STAGING_PREFIX) + 8 + 2


def check_windows_length(out_dir: Path) -> None:
    length = len(str(out_dir.absolute())) + _STAGING_LENGTH
    if length > WINDOWS_MAX_CWD:
        raise DirUnusable(
            f"{out_dir.absolute()} is too long a path for Windows to run openssl or ssh-keygen in it "
            f"({length} characters with keygen's staging directory; Windows allows {WINDOWS_MAX_CWD})",
            "choose a shorter --out-dir, for example C:\\keys",
        )


def mkdir_hint(parent: Path, windows: bool) -> str:
    """The command that makes a missing parent: cmd's and PowerShell's mkdir make every level."""
    return f'mkdir "{parent}"' if windows else f"mkdir -p {shlex.quote(str(parent))}"


def _exists(out_dir: Path) -> bool:
    """Whether DIR exists; a directory on the way the user may not enter (EACCES), a loop... is exit 6."""
    try:
        os.stat(out_dir)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise DirUnusable(
            f"cannot look at {out_dir}: {exc.strerror or exc}",
            f"check the permissions of the directories above it (ls -ld {out_dir.absolute().parent}), "
            "or choose another --out-dir",
        ) from None
    return True


def check_dir(out_dir: Path, *, create: bool) -> None:
    """DIR must be a usable directory; a missing DIR whose parent exists is created (0700)."""
    if os.name == "nt":
        check_windows_length(out_dir)
    if _exists(out_dir):
        if not out_dir.is_dir():
            raise DirUnusable(f"{out_dir} is not a directory", "choose a directory with --out-dir")
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise DirUnusable(f"{out_dir} is not writable", "choose a directory you can write to with --out-dir")
        if not os.access(out_dir, os.R_OK):  # keygen locks DIR by opening it for reading
            raise DirUnusable(f"{out_dir} is not readable", f"chmod u+r {out_dir}, or choose another --out-dir")
        return
    parent = out_dir.absolute().parent
    if os.path.lexists(out_dir):
        raise DirUnusable(f"{out_dir} is a link to nothing", "remove the dangling link or choose another --out-dir")
    if not parent.is_dir():
        raise DirUnusable(
            f"the parent of {out_dir} does not exist",
            f"create it first (`{mkdir_hint(parent, os.name == 'nt')}`) or choose another --out-dir",
        )
    if create:
        try:
            out_dir.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise DirUnusable(
                f"cannot create {out_dir}: {exc.strerror}", "choose a directory you can write to with --out-dir"
            ) from None


def write_gitignore(folder: Path) -> None:
    """`folder/.gitignore` of `*` (if absent): git then ignores the folder, whatever else is ignored."""
    try:
        fd = os.open(folder / ".gitignore", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return
    try:
        os.write(fd, b"# Written by keygen: key files here are never committed.\n*\n")
    finally:
        os.close(fd)


def make_staging(out_dir: Path) -> Path:
    """A new `DIR/.keygen-staging-XXXXXXXX` (0700, eight random hex digits, as mkdtemp would make
    it: exclusive, so never one that exists), its `.gitignore` written before anything else."""
    for _ in range(100):
        staging = out_dir / (STAGING_PREFIX + os.urandom(4).hex())
        try:
            os.mkdir(staging, 0o700)
        except FileExistsError:
            continue
        try:
            write_gitignore(staging)
        except OSError:
            os.rmdir(staging)  # empty: nothing is left behind
            raise
        return staging
    raise FileExistsError(errno.EEXIST, "no free staging directory name", str(out_dir))


class Claim:
    """DIR locked for this run (POSIX: an exclusive flock on DIR itself; Windows relies on
    no-clobber links alone), and this run's staging directory inside it."""

    def __init__(self, lock_fd: int | None, staging: Path) -> None:
        self.lock_fd, self.staging = lock_fd, staging

    def release(self) -> None:
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # closing releases the flock
            self.lock_fd = None


def claim(out_dir: Path, *, force: bool) -> Claim:
    """Make DIR usable (creating it if only it is missing), lock it, refuse taken final names unless
    `force`, and make the staging directory. Refusals come before anything is written in DIR."""
    check_dir(out_dir, create=True)
    lock_fd = _lock(out_dir)
    try:
        taken = existing(out_dir)
        if taken and not force:
            raise refusal(out_dir, taken)
        try:
            return Claim(lock_fd, make_staging(out_dir))
        except OSError as exc:
            raise DirUnusable(
                f"cannot write in {out_dir}: {exc.strerror}", "choose a directory you can write to with --out-dir"
            ) from None
    except BaseException:
        if lock_fd is not None:
            os.close(lock_fd)
        raise


def _lock(out_dir: Path) -> int | None:
    if os.name != "posix":  # pragma: no cover - Windows relies on no-clobber links alone
        return None
    import fcntl

    try:
        fd = os.open(out_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise DirUnusable(f"cannot open {out_dir}: {exc.strerror}", "check its permissions") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise Refused(
            f"another keygen run is writing to {out_dir}", "wait for it to finish, or choose another --out-dir"
        ) from None
    return fd
