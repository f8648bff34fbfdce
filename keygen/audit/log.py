"""The audit log: one JSON line per run, appended, owner-only, never holding a secret.

Each record is written with a single `write` on an `O_APPEND` descriptor under an exclusive lock,
so concurrent keygen runs never interleave or lose a line; under that lock it is sealed into a hash
chain (audit_chain) and the file is rotated when it grows too big (audit_store). Readers skip (and
report) a corrupt line rather than fail: a log is evidence, and one bad line must not hide the rest.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import platformdirs

from keygen.audit import files as audit_files
from keygen.audit import history
from keygen.audit import store as audit_store
from keygen.errors import KeygenError, LogUnusable
from keygen.result import Result, utc_timestamp

ENV_VAR = "KEYGEN_AUDIT_LOG"
FILE_NAME = "audit.jsonl"


#: `--audit-log off` or KEYGEN_AUDIT_LOG=off: no log at all (containers and CI that keep no state).
#: A file really named `off` is still reachable by a path with a directory in it (`$PWD/off`).
OFF = "off"


def default_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])

    return platformdirs.user_log_path(appname="keygen", appauthor=False) / FILE_NAME


def resolve(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Path:
    """The log's path: --audit-log, else KEYGEN_AUDIT_LOG, else the user log directory; `Path("off")`
    when the log is turned off (is_off)."""
    return Path(path) if path else default_path(env)


def is_off(path: str | os.PathLike[str]) -> bool:
    """Whether this (resolved) path is the word that turns the log off."""
    return os.fspath(path) == OFF


def is_default(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> bool:
    """Whether the log lives in keygen's own directory (no --audit-log, no KEYGEN_AUDIT_LOG)."""
    env = os.environ if env is None else env
    return not path and not env.get(ENV_VAR)


def usable(explicit: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Path:
    """The log's path, once lstat says it is a regular file or nothing yet (or the log is off);
    LogUnusable (exit 14) for a FIFO, a device, a socket, a directory or a link, before anything
    opens it: a command that writes the log asks this before it does its work."""
    path = resolve(explicit, env)
    if is_off(path):
        return path
    try:
        audit_files.check(path)
    except OSError as exc:
        refused = audit_files.refusal(exc, path)
        if isinstance(refused, LogUnusable):
            raise refused from None
    return path


def record(
    explicit: str | os.PathLike[str] | None, entry: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> Path | None:
    """Append `entry` to the log chosen by --audit-log (`explicit`), KEYGEN_AUDIT_LOG or the default,
    and return where it went once it is written and on the disk; None when the log is turned off (no
    record, nothing to say "Recorded" about). Raises OSError when it cannot be written (callers
    warn), NotRegular (an OSError) for a path that is not a regular file: nothing is opened then."""
    path = resolve(explicit, env)
    if is_off(path):
        return None
    append(path, entry, own_dir=is_default(explicit, env), limit=audit_store.max_bytes(env))
    return path


def append(
    path: Path, record: Mapping[str, Any], *, own_dir: bool = False, limit: int | None = None, durable: bool = True
) -> None:
    """Append one record, sealed into the hash chain (audit_store, audit_chain); raises OSError when
    the log cannot be written (callers warn). `limit`: the rotation size (default: KEYGEN_AUDIT_MAX_BYTES).
    `durable`: fsync before returning (only a benchmark building a big log turns it off).

    `own_dir`: the directory is keygen's own (the default location), so it is made owner-only even
    if something created it looser; a directory the user named is left as it is.
    """
    audit_files.check(path)  # before any directory is made for it
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if own_dir and os.name == "posix":
        os.chmod(parent, 0o700)
    audit_store.append(path, record, limit=limit, durable=durable)


@dataclass(frozen=True)
class Problem:
    line_no: int
    reason: str
    #: Which file of the log (the live one or a rotated one).
    file: str = ""


def read_if_there(path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The log's records in a list (records_if_there() is the same one at a time)."""
    problems: list[Problem] = []
    return list(records_if_there(path, problems)), problems


def records_if_there(path: Path, problems: list[Problem]) -> Iterator[dict[str, Any]]:
    """The log's records one at a time, none when there is no log yet (or it is turned off); a log
    the user cannot read is DirUnusable (exit 6), one that is not a regular file LogUnusable (exit
    14), each with the path and the fix, never an internal error (raised when the walk reaches it)."""
    if is_off(path):
        return
    try:
        yield from records(path, problems)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise audit_files.refusal(exc, path) from None


def turned_off(command: str) -> LogUnusable:
    """The error of a command that cannot work without the log while it is turned off (exit 14)."""
    return LogUnusable(
        f"the audit log is turned off (--audit-log off or KEYGEN_AUDIT_LOG=off): `keygen {command}` "
        "cannot work without it",
        "name the log with --audit-log FILE (or KEYGEN_AUDIT_LOG=FILE)",
    )


def read(path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Every record of the log, in a list (records() is the same one at a time); raises OSError
    when a file cannot be read."""
    problems: list[Problem] = []
    return list(records(path, problems)), problems


def records(path: Path, problems: list[Problem] | None = None) -> Iterator[dict[str, Any]]:
    """The log's records one at a time: the files rotation moved aside, oldest first, then `path`
    itself, as they were when the read began (never half a line); a line that is not a JSON object
    is skipped and added to `problems`. Raises OSError when a file cannot be read."""
    with audit_files.opened(path) as parts:
        yield from _records_of(parts, problems)


def _value(raw: bytes, number: int, file: Path, problems: list[Problem] | None) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        reason = f"not JSON ({str(exc).splitlines()[0][:80]})"
    else:
        if isinstance(value, dict):
            return value
        reason = "not a JSON object"
    if problems is not None:
        problems.append(Problem(number, reason, str(file)))
    return None


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def timestamp() -> str:
    """A record's `time`: UTC, to the second, ISO 8601 with a Z."""
    return utc_timestamp()


#: The key history moved to keygen.audit.history; these names stay for the callers that use them here.
ROTATE_AFTER_DAYS = history.ROTATE_AFTER_DAYS
KeyHistory = history.KeyHistory
key_history = history.key_history
parse_time = history.parse_time


@dataclass
class Listing(Result):
    """`keygen audit`: the log's records and keys (the last N of each), and the lines it skipped."""

    command: ClassVar[str] = "audit"
    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    keys: list[KeyHistory] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    #: `--path`: only say where the log is.
    path_only: bool = False
    now: _dt.datetime = field(default_factory=utc_now)
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)
    #: `keygen audit` without --last (`listed`): the records, read again from the start each call,
    #: for a renderer that writes them as they come instead of `records` (which then stays empty).
    each: Callable[[], Iterator[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)

    def facts(self) -> dict[str, Any]:
        if self.path_only:
            return {"path": str(self.path)}
        return {
            "path": str(self.path),
            "records": self.records,
            "skipped": [vars(p) for p in self.skipped],
            "keys": [k.as_dict(self.now) for k in self.keys],
        }


def show(path: Path, last: int | None = None, *, path_only: bool = False) -> Listing:
    """Read the log for `keygen audit`; `last` limits the records and the keys alike.

    One pass over the log, a record at a time, builds the keys. Without `last` it keeps every record
    too (they are all printed); with `last` the records are read backwards from the end of the
    newest file, only as far as N of them, and the pass parses only the lines that can matter to a
    key (history.might_matter) or do not look like a record at all (to report them)."""
    listing = Listing(path, path_only=path_only)
    if path_only:
        return listing
    problems: list[Problem] = []
    try:
        with audit_files.opened(path) as parts:
            if last:
                listing.keys = history.key_history(_key_records(parts, problems))[-last:]
                listing.records = _last_records(parts, last)
            else:
                listing.records = list(_records_of(parts, problems))
                listing.keys = history.key_history(listing.records)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        listing.error = audit_files.refusal(exc, path)
        return listing
    listing.skipped = problems
    listing.warnings = [f"{p.file or path} line {p.line_no} skipped: {p.reason}" for p in problems]
    return listing


@contextmanager
def listed(path: Path) -> Iterator[Listing]:
    """`keygen audit` without --last, in memory that does not grow with the log: the files stay open
    (sized once, so both passes read the same bytes) while the listing is printed. The first pass
    builds the keys and finds the skipped lines (the JSON envelope's warnings come before the
    records); `each` is the second, a record at a time, for the renderer. Without records, `each`
    stays None and the listing is an ordinary one."""
    listing = Listing(path)
    problems: list[Problem] = []
    with ExitStack() as stack:
        try:
            parts = stack.enter_context(audit_files.opened(path))
            seen = [0]
            listing.keys = history.key_history(_counted(_records_of(parts, problems), seen))
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as exc:
            listing.error = audit_files.refusal(exc, path)
        else:
            if seen[0]:
                listing.each = lambda: _read_again(parts, path)
        if listing.error is None:
            listing.skipped = problems
            listing.warnings = [f"{p.file or path} line {p.line_no} skipped: {p.reason}" for p in problems]
        yield listing


def _counted(values: Iterable[dict[str, Any]], seen: list[int]) -> Iterator[dict[str, Any]]:
    for value in values:
        seen[0] += 1
        yield value


def _read_again(parts: list[audit_files.Part], path: Path) -> Iterator[dict[str, Any]]:
    """The records once more, from the same open files; a read that fails now (it did not a moment
    ago) is the same error the first pass would have given."""
    try:
        yield from _records_of(parts, None)
    except OSError as exc:
        raise audit_files.refusal(exc, path) from exc


def _records_of(parts: Iterable[audit_files.Part], problems: list[Problem] | None) -> Iterator[dict[str, Any]]:
    for part in parts:
        for number, raw in enumerate(audit_files.lines(part), 1):
            value = _value(raw, number, part.path, problems)
            if value is not None:
                yield value


def _key_records(parts: Iterable[audit_files.Part], problems: list[Problem]) -> Iterator[dict[str, Any]]:
    """The records that can add to a key's history, one at a time; a line that does not even look
    like a record is parsed too, so that it is reported."""
    for part in parts:
        for number, raw in enumerate(audit_files.lines(part), 1):
            if history.might_matter(raw) or not _looks_like_record(raw):
                value = _value(raw, number, part.path, problems)
                if value is not None:
                    yield value


def _looks_like_record(raw: bytes) -> bool:
    body = raw.rstrip(b"\r\n")
    return not body.strip() or (body.startswith(b"{") and body.endswith(b"}"))


def _last_records(parts: list[audit_files.Part], n: int) -> list[dict[str, Any]]:
    """The last `n` records, read backwards from the end of the newest file (into older ones only as
    far as needed), in the order they were written."""
    found: list[dict[str, Any]] = []
    for part in reversed(parts):
        for _, raw in audit_files.lines_backwards(part):
            value = _value(raw, 0, part.path, None)
            if value is not None:
                found.append(value)
                if len(found) == n:
                    return found[::-1]
    return found[::-1]
