"""The output directory: a lock, a private staging directory, and a no-clobber publish.

Nothing lost: the steps write into a 0700 staging directory inside DIR; only a checked pair is
hard-linked under its final name, and a link never replaces anything (EEXIST is a refusal, also for
a symlink someone placed there). `--force` moves old files into DIR/.keygen-backups/<UTC time>/
first (a folder with its own `.gitignore` of `*`) and puts them back if publishing fails. An
exclusive lock on DIR makes concurrent runs into one DIR refuse, not race.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from keygen.errors import ChecksFailed, DirUnusable
from keygen.outdir import FINAL_NAMES, Claim, claim, refusal, write_gitignore
from keygen.proc import interrupt
from keygen.recipes import PRIVATE_KEY, PUBLIC_KEY

IS_POSIX = os.name == "posix"
#: What link() says where hard links are not supported (FAT, some shares): fall back to a rename.
NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK)
#: Backups live in DIR/.keygen-backups/<UTC time>/NAME. The folder carries its own `.gitignore`
#: of `*` (as Python's venv does), so version control ignores it whatever the user's patterns are.
BACKUP_DIR = ".keygen-backups"


def utc_stamp() -> str:
    """The time in a backup slot's name: `DIR/.keygen-backups/<UTC time>`."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def backup_slot(out_dir: Path) -> Path:
    """A new, empty `DIR/.keygen-backups/<UTC time>` for this run's backups (0700).

    The folder's own `.gitignore` (`*`) is written first, so no backup ever sits there unignored.
    A second run in the same second gets `<UTC time>-2`, then `-3`...: mkdir is exclusive, so two
    runs never share a slot.
    """
    root = out_dir / BACKUP_DIR
    with contextlib.suppress(FileExistsError):
        root.mkdir(mode=0o700)
    write_gitignore(root)
    stamp = utc_stamp()
    for n in range(1, 1000):
        slot = root / (stamp + (f"-{n}" if n > 1 else ""))
        try:
            slot.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return slot
    raise FileExistsError(errno.EEXIST, "no free backup folder name", str(root))


def _drop_empty_slot(slot: Path) -> None:
    """Remove a backup slot this run made and left empty, and the backup folder if nothing else is in it."""
    with contextlib.suppress(OSError):
        slot.rmdir()
        root = slot.parent
        if {p.name for p in root.iterdir()} == {".gitignore"}:
            (root / ".gitignore").unlink()
            root.rmdir()


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
        self._claim: Claim | None = None
        self.public_mode = 0o644 & ~_umask()

    def __enter__(self) -> Workspace:
        try:
            # The staging directory exists once mkdir returns: an interrupt must not fall between
            # that and this Workspace knowing it, or nothing would remove it.
            with interrupt.deferred():
                self._claim = claim(self.out_dir, force=self.force)
                self.staging = self._claim.staging
        except BaseException:
            self.clean_up()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.clean_up()

    def clean_up(self) -> None:
        """Remove the staging directory and release DIR, whole: an interrupt waits until it is done."""
        with interrupt.deferred():
            try:
                if self.staging is not None:
                    shutil.rmtree(self.staging, ignore_errors=True)
                    if os.path.lexists(self.staging):
                        # A read-only or immutable DIR: say so rather than pretend it is gone.
                        self.leftover = self.staging
            finally:
                if self._claim is not None:
                    self._claim.release()

    def publish(self) -> Published:
        """Move the checked pair from staging to its final names (backing up old ones if forced)."""
        assert self.staging is not None
        result = Published()
        slot: Path | None = None
        set_own_mode(self.staging / PRIVATE_KEY, 0o600)
        set_own_mode(self.staging / PUBLIC_KEY, self.public_mode)
        #: What this run put under a final name, with its identity: rolled back only if still ours.
        placed: list[tuple[Path, os.stat_result]] = []
        try:
            for name in FINAL_NAMES:
                final = self.out_dir / name
                if os.path.lexists(final):
                    if not self.force:
                        raise refusal(self.out_dir, [name])
                    slot = slot or backup_slot(self.out_dir)
                    backup = slot / name
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
        if backups:
            _drop_empty_slot(Path(backups[0].backup).parent)


def _made_by_the_tool(path: Path, st: os.stat_result) -> None:
    """A file to publish is a regular file with one link: anything else is not what the tool wrote."""
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        what = "not a regular file" if not stat.S_ISREG(st.st_mode) else f"a file with {st.st_nlink} hard links"
        raise ChecksFailed(
            f"{path.name}, as the tool left it, is {what}; nothing was published",
            "keygen publishes only a regular file the tool wrote itself: check the tool on PATH (`keygen doctor`) "
            "and run keygen generate again",
        )


def set_own_mode(path: Path, mode: int) -> None:
    """chmod a staged file, never through a link: fchmod on a descriptor opened with O_NOFOLLOW (a
    symbolic link fails to open), once fstat shows a regular file with one link. Where there is no
    fchmod (Windows: a read-only flag, no owner bits), lstat is checked first."""
    if not hasattr(os, "fchmod"):  # pragma: no cover - Windows
        _made_by_the_tool(path, os.lstat(path))
        os.chmod(path, mode)
        return
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
            _made_by_the_tool(path, os.lstat(path))
        raise
    try:
        _made_by_the_tool(path, os.fstat(fd))
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def link_or_rename(source: Path, target: Path) -> bool:
    """Give `source` the new name `target` without ever replacing anything there; True if renamed.

    A hard link keeps `source` where it is; where the file system has none (FAT, some shares) a
    rename after a last look does the job. FileExistsError when `target` is taken.
    """
    try:
        # Where the platform allows it, link the name itself, never what it might point to;
        # Windows does not take follow_symlinks=False (NotImplementedError), and needs no such care.
        if os.link in os.supports_follow_symlinks:
            os.link(source, target, follow_symlinks=False)
        else:  # pragma: no cover - Windows
            os.link(source, target)
        return False
    except OSError as exc:
        if isinstance(exc, FileExistsError) or exc.errno not in NO_HARD_LINKS:
            raise
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "exists", str(target))
    os.rename(source, target)
    return True


def _place(staged: Path, final: Path, out_dir: Path) -> None:
    """Give the staged file its final name without ever replacing what is there."""
    try:
        link_or_rename(staged, final)
    except FileExistsError:
        raise refusal(out_dir, [final.name]) from None
    except OSError as exc:
        # EPERM is also what an immutable or read-only DIR says, so a failing rename is a DIR problem.
        raise DirUnusable(
            f"cannot write {final}: {exc.strerror}", "check that the directory is writable and has free space"
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
    """Replace `path` with `new` (`verify --fix`), keeping the original in a backup slot beside it.

    Order matters: the backup exists (a hard link, else a rename) before the final name is
    replaced, and the new content is whole and synced in a temporary file in the same directory,
    so the final name never holds a half-written file and nothing is ever lost. An interrupt
    waits until the file is replaced (its backup kept) or left as it was, with no temporary file.
    """
    with interrupt.deferred():
        return _replace_keeping_backup(path, judged, new, limit)


def _replace_keeping_backup(path: Path, judged: bytes, new: bytes, limit: int) -> Path:
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
    _drop_empty_slot(backup.parent)


def _keep_backup(path: Path, judged: os.stat_result) -> tuple[Path, bool]:
    backup = backup_slot(path.parent) / path.name
    # A fresh slot: the name is free. A link where possible; the samestat check catches a swap.
    renamed = link_or_rename(path, backup)
    if not os.path.samestat(os.lstat(backup), judged):
        # Someone swapped the file after it was judged: undo our link, touch nothing else.
        if renamed:
            os.rename(backup, path)
        else:
            os.unlink(backup)
        _drop_empty_slot(backup.parent)
        raise Changed("it changed while being checked; run keygen verify again")
    return backup, renamed
