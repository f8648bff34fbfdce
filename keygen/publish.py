"""The output directory: a lock, a private staging directory, and a no-clobber publish.

Nothing lost: the steps write into a 0700 staging directory inside DIR; only a checked pair is
hard-linked under its final name, and a link never replaces anything (EEXIST is a refusal, also for
a symlink someone placed there). `--force` renames old files aside first and puts them back if
publishing fails. An exclusive lock on DIR makes concurrent runs into one DIR refuse, not race.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from keygen.errors import DirUnusable, Refused
from keygen.outdir import FINAL_NAMES, STAGING_PREFIX, check_dir, existing, refusal
from keygen.recipes import PRIVATE_KEY, PUBLIC_KEY

IS_POSIX = os.name == "posix"
#: What link() says where hard links are not supported (FAT, some shares): fall back to a rename.
NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)


def utc_stamp() -> str:
    """The time in a backup's name: `NAME.<UTC time>.bak`."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def backup_names(path: Path, stamp: str, tries: int = 99) -> Iterator[Path]:
    """`NAME.<stamp>.bak`, then `.bak.2`, `.bak.3`...: candidates beside `path`, in order."""
    for n in range(1, tries + 1):
        yield path.with_name(f"{path.name}.{stamp}.bak" + (f".{n}" if n > 1 else ""))


@dataclass(frozen=True)
class Backup:
    original: str
    backup: str


@dataclass(frozen=True)
class PublishedFile:
    path: str
    #: Permission bits as octal text; None on Windows, where access is the ACL's (see README).
    mode: str | None
    size: int


@dataclass
class Published:
    files: list[PublishedFile] = field(default_factory=list)
    backups: list[Backup] = field(default_factory=list)


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
        stamp = utc_stamp()
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
                    backup = next(b for b in backup_names(final, stamp, 10**6) if not os.path.lexists(b))
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
            # Windows has no mode bits (Python makes up 0666 from the read-only attribute): no mode there.
            mode = f"{stat.S_IMODE(st.st_mode):04o}" if IS_POSIX else None
            result.files.append(PublishedFile(str(final), mode, st.st_size))
        return result

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
        if exc.errno not in NO_HARD_LINKS:
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


# --- replacing one file, keeping a backup (verify --fix) ---------------------------------------


class Changed(Exception):
    """The file is not the one that was judged (or no backup name is free): nothing was written."""


def _read_judged(path: Path, limit: int) -> tuple[os.stat_result, bytes]:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise Changed("it changed while being checked; run keygen verify again")
        return st, os.read(fd, limit + 1)
    finally:
        os.close(fd)


def replace_keeping_backup(path: Path, judged: bytes, new: bytes, *, limit: int) -> Path:
    """Replace `path` with `new`, keeping the original under a fresh backup name beside it.

    Order matters: the backup exists (a hard link, else a rename) before the final name is
    replaced, and the new content is whole and synced in a temporary file in the same directory,
    so the final name never holds a half-written file and nothing is ever lost.
    """
    st, current = _read_judged(path, limit)
    if current != judged:
        raise Changed("it changed while being checked; run keygen verify again")
    directory = path.parent
    tmp_fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".keygen-tmp", dir=directory)
    try:
        try:
            view = memoryview(new)
            while view:
                view = view[os.write(tmp_fd, view) :]
            if hasattr(os, "fchmod"):
                os.fchmod(tmp_fd, stat.S_IMODE(st.st_mode))
            os.fsync(tmp_fd)
        finally:
            os.close(tmp_fd)
        backup, renamed = _keep_backup(path, st)
        try:
            os.replace(tmp_name, path)
        except BaseException:
            _undo_backup(path, backup, renamed)
            raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    fsync_dir(directory)
    return backup


def _undo_backup(path: Path, backup: Path, renamed: bool) -> None:
    """The replace failed: put things back as they were (the original is whole either way)."""
    with contextlib.suppress(OSError):
        if renamed:
            if not os.path.lexists(path):
                os.rename(backup, path)
        elif os.path.samestat(os.lstat(path), os.lstat(backup)):
            os.unlink(backup)


def _link_or_rename(path: Path, backup: Path) -> bool | None:
    """Keep `path` as `backup`: a hard link (False), else a rename (True); None if the name is taken."""
    try:
        # Plain link (Windows has no follow_symlinks=False); the caller's samestat check catches a swap.
        os.link(path, backup)
        return False
    except FileExistsError:
        return None
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
    # No hard links here: a rename keeps the original just as well; the final name is briefly
    # absent, never half-written.
    if os.path.lexists(backup):
        return None
    os.rename(path, backup)
    return True


def _keep_backup(path: Path, judged: os.stat_result) -> tuple[Path, bool]:
    for backup in backup_names(path, utc_stamp()):
        renamed = _link_or_rename(path, backup)
        if renamed is None:
            continue
        if not os.path.samestat(os.lstat(backup), judged):
            # Someone swapped the file after it was judged: undo our link, touch nothing else.
            os.unlink(backup)
            raise Changed("it changed while being checked; run keygen verify again")
        return backup, renamed
    raise Changed("no free backup name beside it")
