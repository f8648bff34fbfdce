"""The audit log's files: the locked, chained append, rotation, and a consistent read of every file.

A log is its live file (`audit.jsonl`) plus the files rotation moved aside, `audit.jsonl.1`,
`audit.jsonl.2`, ... in the order they were written (`.1` is the oldest; a rotated file is never
renamed again). One exclusive lock on the live file serialises everything that changes the log:
reading the last line, sealing the new one (audit_chain), the write, and rotation. A writer that
opened the live file before another rotated it finds, once it holds the lock, that its descriptor
is no longer the file at the path, and opens the path again: nothing is ever appended to a
rotated file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from keygen.audit import chain as audit_chain
from keygen.audit import winfile
from keygen.proc import interrupt

MAX_BYTES_ENV = "KEYGEN_AUDIT_MAX_BYTES"
#: A live file that would grow past this many bytes is rotated first.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: How far back to look for the previous line; a generate record is a few KiB.
_TAIL_BLOCK = 64 * 1024

_OPEN_FLAGS = os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def max_bytes(env: Mapping[str, str] | None = None) -> int:
    """The rotation size from KEYGEN_AUDIT_MAX_BYTES (bytes; 0 = never rotate); the default when
    unset or not a whole number >= 0 (a bad value must not cost the record)."""
    value = (os.environ if env is None else env).get(MAX_BYTES_ENV, "").strip()
    if value.isdigit():
        return int(value)
    return DEFAULT_MAX_BYTES


def rotated_files(path: Path) -> list[Path]:
    """The files rotation made from `path`, oldest first (by their number, gaps allowed)."""
    pattern = re.compile(re.escape(path.name) + r"\.([0-9]+)")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    found = [(int(m.group(1)), name) for name in names if (m := pattern.fullmatch(name))]
    return [path.parent / name for _, name in sorted(found)]


def log_files(path: Path) -> list[Path]:
    """Every file of the log, in the order its records were written: rotated ones, then the live one."""
    live = [path] if os.path.lexists(path) else []
    return rotated_files(path) + live


def append(path: Path, entry: Mapping[str, Any], *, limit: int | None = None) -> None:
    """Seal `entry` into the chain and append it as one line; rotate first when the live file would
    pass `limit` bytes (default: max_bytes()). Raises OSError when the log cannot be written."""
    limit = max_bytes() if limit is None else limit
    while True:
        fd = _open(path, write=True)
        try:
            with _locked(fd):
                if _append_locked(fd, path, entry, limit):
                    return
        finally:
            os.close(fd)


def _append_locked(fd: int, path: Path, entry: Mapping[str, Any], limit: int) -> bool:
    """The append, under the lock; False when the path must be opened again and the record sealed anew."""
    if not _is_current(fd, path):
        return False  # rotated (or replaced) while we waited for the lock: open the path again
    size = os.fstat(fd).st_size
    previous, glue = _previous(fd, size, path)
    line = audit_chain.seal(entry, previous)
    if _too_big(limit, size, len(glue) + len(line)) and _rotate(path):
        return False  # the next turn writes into the new live file, linked to this one's last line
    if os.name == "posix":
        os.fchmod(fd, 0o600)
    with interrupt.deferred():  # a line is written whole, never cut by Ctrl-C
        _write_all(fd, glue + line)
    return True


def _previous(fd: int, size: int, path: Path) -> tuple[bytes | None, bytes]:
    """The line the new record links to, and the newline to write first when the live file's last
    line has none (the new record must start a line of its own)."""
    tail = _last_line(fd, size)
    glue = b"\n" if tail and not tail.endswith(b"\n") else b""
    if tail is None:
        tail = _newest_rotated_tail(path)
    return (tail + glue) if tail else None, glue


def _too_big(limit: int, size: int, adding: int) -> bool:
    """Whether adding would take the live file past `limit` (0: never rotate); an empty live file
    takes a record whatever its size, so rotation always makes progress."""
    return bool(limit and size and size + adding > limit)


def snapshot(path: Path) -> list[tuple[Path, bytes]]:
    """Every file's bytes, read while no writer can append or rotate (the live file's lock).

    A log without a live file (only rotated ones, or nothing) is read without a lock; nothing is
    created. Raises OSError when a file cannot be read.
    """
    while True:
        try:
            fd = _open(path, write=False)
        except FileNotFoundError:
            return _read_rotated(path)
        try:
            with _locked(fd, shared=True):
                if _is_current(fd, path):
                    return [*_read_rotated(path), (path, _read_all(fd))]
        finally:
            os.close(fd)


def _open(path: Path, *, write: bool) -> int:
    """A descriptor on the live file (on POSIX never through a symlink); a writer creates it (0600)."""
    if os.name != "posix":  # pragma: no cover - Windows: a live file others can rotate while it is open
        return winfile.open_shared(path, write=write)
    if write:
        return os.open(path, os.O_RDWR | _OPEN_FLAGS, 0o600)
    return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))


def _read_rotated(path: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in rotated_files(path)]


def _is_current(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _rotate(path: Path) -> bool:
    """Move the live file aside to the next free number; False when it cannot be (Windows refuses
    while a program other than keygen holds it open: the record then goes into the live file)."""
    existing = rotated_files(path)
    number = int(existing[-1].name.rsplit(".", 1)[1]) + 1 if existing else 1
    try:
        os.rename(path, path.with_name(f"{path.name}.{number}"))
    except OSError:
        return False
    return True


def _newest_rotated_tail(path: Path) -> bytes | None:
    """An empty live file continues the chain of the newest rotated file (rotation just happened)."""
    rotated = rotated_files(path)
    if not rotated:
        return None
    with open(rotated[-1], "rb") as fh:
        return _last_line(fh.fileno(), os.fstat(fh.fileno()).st_size)


def _last_line(fd: int, size: int) -> bytes | None:
    """The last line's exact bytes, newline included when it has one; None for an empty file."""
    if size == 0:
        return None
    start, data = size, b""
    while start > 0:
        start = max(0, start - _TAIL_BLOCK)
        os.lseek(fd, start, os.SEEK_SET)
        data = _read_exactly(fd, size - start)
        # A newline before the last byte ends the line before the last one.
        if data.rfind(b"\n", 0, len(data) - 1) >= 0:
            break
    cut = data.rfind(b"\n", 0, len(data) - 1)
    return data[cut + 1 :]


def _read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    return _read_exactly(fd, os.fstat(fd).st_size)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextmanager
def _locked(fd: int, *, shared: bool = False) -> Iterator[None]:
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
