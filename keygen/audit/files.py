"""The audit log's files: which they are, that each is a regular file, and reading them a chunk or
a line at a time (front to back, or back to front from the tail).

A log is its live file (`audit.jsonl`) plus the files rotation moved aside, `audit.jsonl.1`,
`audit.jsonl.2`, ... Every one of them is looked at with lstat before it is opened: a FIFO, a
device, a socket, a directory or a symbolic link is never opened (a FIFO would block a reader and
swallow a record; a device would be read forever or chmod-ed), and fstat checks again after the open.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from keygen.audit import winfile
from keygen.errors import DirUnusable, KeygenError, LogUnusable

#: How far back to look for the previous line; a generate record is a few KiB.
TAIL_BLOCK = 64 * 1024
#: Never through a symbolic link, never waiting on a FIFO that was swapped in after the look.
NO_WAIT = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class NotRegular(OSError):
    """The log's path (or a rotated file) is there but is not a regular file: a FIFO, a device, a
    socket, a directory or a symbolic link. Raised before it is opened (or right after, when it was
    swapped in between): nothing is read from it, written to it or chmod-ed."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(errno.EINVAL, f"it is {kind(mode)}, not a regular file", str(path))
        self.path = path
        self.what = kind(mode)


def kind(mode: int) -> str:
    """What a file of this mode is, in words."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def check(path: Path) -> bool:
    """Whether `path` is there, as a regular file; NotRegular when it is there as anything else.
    Looks with lstat only: nothing is opened (a FIFO would block, a device answer forever)."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    if not stat.S_ISREG(mode):
        raise NotRegular(path, mode)
    return True


def checked_fd(fd: int, path: Path) -> int:
    """`fd`, once fstat says it is a regular file (the path may have been swapped after lstat)."""
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegular(path, mode)
    return fd


def _numbered(path: Path) -> list[tuple[str, str]]:
    """(suffix, name) of every `NAME.<digits>` beside the log."""
    pattern = re.compile(re.escape(path.name) + r"\.([0-9]+)")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    return [(m.group(1), name) for name in names if (m := pattern.fullmatch(name))]


def _canonical(digits: str) -> bool:
    """Rotation writes `.1`, `.2`, ...: no `.0`, no leading zero."""
    return digits[0] != "0"


def rotated_files(path: Path) -> list[Path]:
    """The files rotation made from `path`, oldest first: `NAME.1`, `NAME.2`, ... (gaps allowed: a
    removed file is the chain's to report). `NAME.0`, `NAME.007` and the like are not rotation's:
    see strays()."""
    found = sorted((int(d), name) for d, name in _numbered(path) if _canonical(d))
    return [path.parent / name for _, name in found]


def strays(path: Path) -> list[Path]:
    """Files beside the log named like rotated ones that rotation never writes (`NAME.0`,
    `NAME.007`): not read, not trusted, reported by `keygen audit verify`."""
    return sorted(path.parent / name for d, name in _numbered(path) if not _canonical(d))


def log_files(path: Path) -> list[Path]:
    """Every file of the log, in the order its records were written: rotated ones, then the live one."""
    live = [path] if os.path.lexists(path) else []
    return rotated_files(path) + live


def open_reader(path: Path) -> int:
    """A read-only descriptor on a regular file of the log; FileNotFoundError when it is not there."""
    if not check(path):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
    if os.name != "posix":  # pragma: no cover - Windows
        return checked_fd(winfile.open_shared(path, write=False), path)
    return checked_fd(os.open(path, os.O_RDONLY | NO_WAIT), path)


@dataclass(frozen=True)
class Part:
    """One file of the log, open, and how much of it belongs to this read (what was there when
    the read began: a writer appending meanwhile adds nothing to it)."""

    path: Path
    fd: int
    size: int


@contextmanager
def opened(path: Path, *, live: tuple[int, int] | None = None) -> Iterator[list[Part]]:
    """Every file of the log, oldest first, opened and sized while no writer can append or rotate
    (the live file's shared lock, held only for that moment); then read at leisure, one chunk at a
    time. `live`: a writer's own descriptor and size (it holds the lock already).

    A log without a live file (only rotated ones, or nothing) is opened without a lock; nothing is
    created. Raises NotRegular for a file that is not a regular one, OSError when one cannot be read.
    """
    parts: list[Part] = []
    try:
        parts = _open_consistent(path) if live is None else [*_open_rotated(path), Part(path, *live)]
        yield parts
    finally:
        for part in parts:
            if part.fd >= 0 and (live is None or part.fd != live[0]):
                os.close(part.fd)


def _open_consistent(path: Path) -> list[Part]:
    while True:
        try:
            fd = open_reader(path)
        except FileNotFoundError:
            return _open_rotated(path)
        try:
            with locked(fd, shared=True):
                if is_current(fd, path):
                    parts = [*_open_rotated(path), Part(path, fd, os.fstat(fd).st_size)]
                    fd = -1
                    return parts
        finally:
            if fd >= 0:
                os.close(fd)


def is_current(fd: int, path: Path) -> bool:
    """Whether `fd` is still the file at `path` (not rotated away or replaced meanwhile)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _open_rotated(path: Path) -> list[Part]:
    parts: list[Part] = []
    try:
        for file in rotated_files(path):
            fd = open_reader(file)
            parts.append(Part(file, fd, os.fstat(fd).st_size))
    except BaseException:
        for part in parts:
            os.close(part.fd)
        raise
    return parts


#: Read this much at a time: memory stays flat whatever the log's size.
CHUNK = 1024 * 1024


def chunks(part: Part, size: int = CHUNK) -> Iterator[bytes]:
    """The part's bytes, front to back, `size` at a time."""
    os.lseek(part.fd, 0, os.SEEK_SET)
    left = part.size
    while left > 0:
        data = os.read(part.fd, min(size, left))
        if not data:
            return
        left -= len(data)
        yield data


def lines(part: Part) -> Iterator[bytes]:
    """The part's lines with their newlines (only LF ends a record; a last line without one is kept),
    one at a time."""
    rest = b""
    for data in chunks(part):
        buf, start = rest + data, 0
        while (nl := buf.find(b"\n", start)) >= 0:
            yield buf[start : nl + 1]
            start = nl + 1
        rest = buf[start:]
    if rest:
        yield rest


def lines_backwards(part: Part, block: int = TAIL_BLOCK) -> Iterator[tuple[int, bytes]]:
    """The part's lines from its last to its first, each with the offset it starts at, reading
    `block` bytes at a time from the end: the newest lines cost nothing like the whole file."""
    end, rest = part.size, b""
    while end > 0:
        start = max(0, end - block)
        os.lseek(part.fd, start, os.SEEK_SET)
        buf = read_exactly(part.fd, end - start) + rest
        end = start
        # A line is whole once the newline before it is in the buffer (or the file begins).
        cut = len(buf)
        while (nl := buf.rfind(b"\n", 0, cut - 1 if cut else 0)) >= 0:
            yield start + nl + 1, buf[nl + 1 : cut]
            cut = nl + 1
        rest = buf[:cut]
    if rest:
        yield 0, rest


def line_number(part: Part, offset: int) -> int:
    """The 1-based number of the line starting at `offset` (newlines counted a chunk at a time)."""
    count = 0
    for data in chunks(part):
        count += data.count(b"\n", 0, max(0, offset))
        offset -= len(data)
        if offset <= 0:
            break
    return count + 1


def read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


@contextmanager
def locked(fd: int, *, shared: bool = False) -> Iterator[None]:
    """flock on POSIX, LockFileEx on Windows: exclusive for writers, shared for readers."""
    if os.name == "posix":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return
    # Windows: LockFileEx on the first byte, waiting as flock does (keygen.audit.winfile says why not msvcrt).
    winfile.lock(fd, shared=shared)
    try:
        yield
    finally:
        winfile.unlock(fd)


def refusal(exc: OSError, path: Path) -> KeygenError:
    """The error a reader reports for `exc`: exit 14 for a file that is not a regular one, exit 6
    for one the OS will not let it read."""
    if isinstance(exc, NotRegular):
        return LogUnusable(
            f"the audit log {exc.path} is {exc.what}, not a regular file: keygen neither reads nor writes it",
            "name a regular file with --audit-log (or KEYGEN_AUDIT_LOG), or turn the log off with "
            "--audit-log off (KEYGEN_AUDIT_LOG=off)",
        )
    return DirUnusable(
        f"cannot read the audit log {getattr(exc, 'filename', None) or path}: {exc.strerror or exc}",
        f"check the permissions of {path} and the directories above it (ls -ld {path.parent}), "
        "or name another log with --audit-log or KEYGEN_AUDIT_LOG",
    )
