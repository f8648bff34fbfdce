"""The output directory: a lock, a private staging directory, and a no-clobber publish.

Nothing lost: the steps write into a 0700 staging directory inside DIR; only a checked pair is
hard-linked under its final name, and a link never replaces anything (EEXIST is a refusal, also for
a symlink someone placed there). `--force` renames old files aside first and puts them back if
publishing fails. An exclusive lock on DIR makes concurrent runs into one DIR refuse, not race.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from keygen.errors import DirUnusable, Refused
from keygen.recipes import PRIVATE_KEY, PUBLIC_KEY

STAGING_PREFIX = ".keygen-staging-"
FINAL_NAMES = (PRIVATE_KEY, PUBLIC_KEY)
IS_POSIX = os.name == "posix"


@dataclass(frozen=True)
class Backup:
    original: str
    backup: str


@dataclass(frozen=True)
class PublishedFile:
    path: str
    mode: str
    size: int


@dataclass
class Published:
    files: list[PublishedFile] = field(default_factory=list)
    backups: list[Backup] = field(default_factory=list)


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


def _check_windows_length(out_dir: Path) -> None:
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
        _check_windows_length(out_dir)
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
            f"create it first ({mkdir_hint(parent, os.name == 'nt')}) or choose another --out-dir",
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Workspace:
    """Lock DIR, refuse taken names, stage, publish, and always clean up."""

    def __init__(self, out_dir: Path, *, force: bool) -> None:
        self.out_dir = out_dir
        self.force = force
        self.staging: Path | None = None
        #: A staging directory that could not be removed (the caller warns about it).
        self.leftover: Path | None = None
        self._lock_fd: int | None = None
        self.public_mode = 0o644 & ~_umask()

    def __enter__(self) -> Workspace:
        check_dir(self.out_dir, create=True)
        self._lock()
        try:
            taken = existing(self.out_dir)
            if taken and not self.force:
                raise refusal(self.out_dir, taken)
            try:
                self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out_dir))
            except OSError as exc:
                raise DirUnusable(
                    f"cannot write in {self.out_dir}: {exc.strerror}",
                    "choose a directory you can write to with --out-dir",
                ) from None
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
                if os.path.lexists(self.staging):
                    # A read-only or immutable DIR: say so rather than pretend it is gone.
                    self.leftover = self.staging
        finally:
            self._unlock()

    def _lock(self) -> None:
        if not IS_POSIX:  # pragma: no cover - Windows relies on no-clobber links alone
            return
        import fcntl

        try:
            fd = os.open(self.out_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise DirUnusable(f"cannot open {self.out_dir}: {exc.strerror}", "check its permissions") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise Refused(
                f"another keygen run is writing to {self.out_dir}", "wait for it to finish, or choose another --out-dir"
            ) from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def publish(self) -> Published:
        """Move the checked pair from staging to its final names (backing up old ones if forced)."""
        assert self.staging is not None
        result = Published()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        os.chmod(self.staging / PRIVATE_KEY, 0o600)
        os.chmod(self.staging / PUBLIC_KEY, self.public_mode)
        #: What this run put under a final name, with its identity: rolled back only if still ours.
        placed: list[tuple[Path, os.stat_result]] = []
        try:
            for name in FINAL_NAMES:
                final = self.out_dir / name
                if os.path.lexists(final):
                    if not self.force:
                        raise refusal(self.out_dir, [name])
                    backup = self._free_name(f"{name}.{stamp}.bak")
                    # Noted before the move, so that an interrupt right after it still puts it back.
                    result.backups.append(Backup(str(final), str(backup)))
                    try:
                        os.rename(final, backup)
                    except OSError as exc:
                        raise DirUnusable(
                            f"cannot move {final} aside: {exc.strerror}", "check that the directory is writable"
                        ) from None
            for name in FINAL_NAMES:
                staged, final = self.staging / name, self.out_dir / name
                _fsync(staged)
                # A link or a rename keeps the staged file's identity: noting it first lets the
                # roll-back find it even if an interrupt comes the instant it is in place.
                placed.append((final, os.lstat(staged)))
                _place(staged, final, self.out_dir)
            fsync_dir(self.out_dir)
        except OSError as exc:
            self._roll_back(placed, result.backups)
            raise DirUnusable(
                f"cannot publish the pair in {self.out_dir}: {exc.strerror}",
                "check that the directory still exists, is writable and has free space",
            ) from None
        except BaseException:
            self._roll_back(placed, result.backups)
            raise
        for final, _ in placed:
            st = os.lstat(final)
            result.files.append(PublishedFile(str(final), f"{stat.S_IMODE(st.st_mode):04o}", st.st_size))
        return result

    def _free_name(self, name: str) -> Path:
        candidate, n = self.out_dir / name, 1
        while os.path.lexists(candidate):
            n += 1
            candidate = self.out_dir / f"{name}.{n}"
        return candidate

    def _roll_back(self, placed: list[tuple[Path, os.stat_result]], backups: list[Backup]) -> None:
        """Take back what this run published (by identity: a file someone put there since stays),
        then return the backups to their names."""
        for final, ours in placed:
            try:
                if os.path.samestat(os.lstat(final), ours):
                    os.unlink(final)
            except OSError:
                pass
        for item in reversed(backups):
            try:
                if not os.path.lexists(item.original):
                    os.rename(item.backup, item.original)
            except OSError:
                pass


def _place(staged: Path, final: Path, out_dir: Path) -> None:
    """Give the staged file its final name without ever replacing what is there."""
    try:
        # Where the platform allows it, link the staged name itself, never what it might point to;
        # Windows does not take follow_symlinks=False (NotImplementedError), and needs no such care.
        if os.link in os.supports_follow_symlinks:
            os.link(staged, final, follow_symlinks=False)
        else:  # pragma: no cover - Windows
            os.link(staged, final)
    except FileExistsError:
        raise refusal(out_dir, [final.name]) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise DirUnusable(f"cannot write {final}: {exc.strerror}", "check the directory and free space") from None
        # No hard links here (FAT, some network shares): rename, after a last look. EPERM is also
        # what an immutable or read-only DIR says, so a failing rename is a DIR problem.
        if os.path.lexists(final):
            raise refusal(out_dir, [final.name]) from None
        try:
            os.rename(staged, final)
        except OSError as exc2:
            raise DirUnusable(
                f"cannot write {final}: {exc2.strerror}", "check that the directory is writable and has free space"
            ) from None


def _fsync(path: Path) -> None:
    # Windows flushes only through a handle opened for writing (_commit fails on a read-only one).
    fd = os.open(path, os.O_RDONLY if IS_POSIX else os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a new name in `path` durable (a rename or link is only safe once the directory is synced)."""
    if not IS_POSIX:  # pragma: no cover
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
