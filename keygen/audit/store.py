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

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from keygen.audit import chain as audit_chain
from keygen.audit import files, winfile
from keygen.proc import interrupt

MAX_BYTES_ENV = "KEYGEN_AUDIT_MAX_BYTES"
#: A live file that would grow past this many bytes is rotated first.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_OPEN_FLAGS = os.O_APPEND | os.O_CREAT | files.NO_WAIT


#: Kept here for the callers that knew them here.
NotRegular = files.NotRegular
rotated_files = files.rotated_files
log_files = files.log_files


def max_bytes(env: Mapping[str, str] | None = None) -> int:
    """The rotation size from KEYGEN_AUDIT_MAX_BYTES (bytes; 0 = never rotate); the default when
    unset or not a whole number >= 0 (a bad value must not cost the record)."""
    value = (os.environ if env is None else env).get(MAX_BYTES_ENV, "").strip()
    if value.isdigit():
        return int(value)
    return DEFAULT_MAX_BYTES


def append(path: Path, entry: Mapping[str, Any], *, limit: int | None = None, durable: bool = True) -> None:
    """Seal `entry` into the chain and append it as one line; rotate first when the live file would
    pass `limit` bytes (default: max_bytes()). Returns once the line is written and, when `durable`
    (always, but for a benchmark building a log), on the disk (fsync). Raises NotRegular before
    opening a path that is not a regular file, OSError when the log cannot be written."""
    limit = max_bytes() if limit is None else limit
    while True:
        fd, created = _open_writer(path)
        try:
            with files.locked(fd):
                if _append_locked(fd, path, entry, limit, created=created, durable=durable):
                    return
        finally:
            os.close(fd)


def _append_locked(fd: int, path: Path, entry: Mapping[str, Any], limit: int, *, created: bool, durable: bool) -> bool:
    """The append, under the lock; False when the path must be opened again and the record sealed anew."""
    if not files.is_current(fd, path):
        return False  # rotated (or replaced) while we waited for the lock: open the path again
    size = os.fstat(fd).st_size
    previous, glue = _previous(fd, size, path)
    if previous is None or not audit_chain.parse(previous).chained:
        entry = {**entry, **_prelude(path, fd, size, glue)}
    line = audit_chain.seal(entry, previous)
    if _too_big(limit, size, len(glue) + len(line)) and _rotate(path):
        return False  # the next turn writes into the new live file, linked to this one's last line
    if created and os.name == "posix":
        os.fchmod(fd, 0o600)  # only a file this writer made: never a file (or device) found there
    with interrupt.deferred():  # a line is written whole, never cut by Ctrl-C
        _write_all(fd, glue + line)
        if durable:
            os.fsync(fd)
    return True


def _prelude(path: Path, fd: int, size: int, glue: bytes) -> dict[str, Any]:
    """A new chain over lines already there (keygen 0.1.0's, before the chain): the first chained
    record names how many bytes came before it and their SHA-256, so that verify trusts exactly
    those unchained lines and no line put before the chain later. Nothing there: nothing to name."""
    digest, total = hashlib.sha256(), 0
    with files.opened(path, live=(fd, size)) as parts:
        for part in parts:
            for chunk in files.chunks(part):
                digest.update(chunk)
                total += len(chunk)
    digest.update(glue)
    total += len(glue)
    return {audit_chain.PRELUDE: {"bytes": total, "sha256": digest.hexdigest()}} if total else {}


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


def _open_writer(path: Path) -> tuple[int, bool]:
    """A descriptor on the live file (on POSIX never through a symlink, never blocking on a FIFO), and
    whether this call created it. Only a regular file is kept open: anything else is NotRegular."""
    if os.name != "posix":  # pragma: no cover - Windows: a live file others can rotate while it is open
        existed = files.check(path)
        return files.checked_fd(winfile.open_shared(path, write=True), path), not existed
    while True:
        if not files.check(path):
            try:
                return files.checked_fd(os.open(path, os.O_RDWR | os.O_EXCL | _OPEN_FLAGS, 0o600), path), True
            except FileExistsError:
                continue  # another writer made it first: open theirs
        try:
            return files.checked_fd(os.open(path, os.O_RDWR | (_OPEN_FLAGS & ~os.O_CREAT)), path), False
        except FileNotFoundError:
            continue  # rotated away between the look and the open: make the new one


def _rotate(path: Path) -> bool:
    """Move the live file aside to the next free number; False when it cannot be (Windows refuses
    while a program other than keygen holds it open: the record then goes into the live file)."""
    existing = files.rotated_files(path)
    number = int(existing[-1].name.rsplit(".", 1)[1]) + 1 if existing else 1
    try:
        os.rename(path, path.with_name(f"{path.name}.{number}"))
    except OSError:
        return False
    return True


def _newest_rotated_tail(path: Path) -> bytes | None:
    """An empty live file continues the chain of the newest rotated file (rotation just happened)."""
    rotated = files.rotated_files(path)
    if not rotated:
        return None
    fd = files.open_reader(rotated[-1])
    try:
        return _last_line(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _last_line(fd: int, size: int) -> bytes | None:
    """The last line's exact bytes, newline included when it has one; None for an empty file."""
    if size == 0:
        return None
    start, data = size, b""
    while start > 0:
        start = max(0, start - files.TAIL_BLOCK)
        os.lseek(fd, start, os.SEEK_SET)
        data = files.read_exactly(fd, size - start)
        # A newline before the last byte ends the line before the last one.
        if data.rfind(b"\n", 0, len(data) - 1) >= 0:
            break
    cut = data.rfind(b"\n", 0, len(data) - 1)
    return data[cut + 1 :]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
