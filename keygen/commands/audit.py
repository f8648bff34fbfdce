"""`keygen audit`, `keygen audit verify` and `keygen audit show`: the commands that read the log.

Each reads a log that is there: a path with no log behind it (neither the live file nor any file
rotation made from it) is a usage error, exit 2, never an empty listing. A mistyped `--audit-log`
or KEYGEN_AUDIT_LOG would otherwise read as "no records" and, under `audit verify`, as a whole
chain. A path that is there but is not a regular file (a FIFO, a device, a socket, a directory, a
link) is exit 14 before anything opens it, and so is a log turned off (`--audit-log off`,
KEYGEN_AUDIT_LOG=off): these commands cannot work without one. `audit --path` only says where the
log is, so it needs none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from keygen.audit import files, log, replay
from keygen.audit import verify as chain_verify
from keygen.errors import KeygenError, UsageError
from keygen.result import Failure, Result


def _there(path: Path) -> bool:
    """The live file or a file rotation made from it is there, or the OS will not say (a directory
    the user cannot enter): then the read itself fails and says why, exit 6. NotRegular (exit 14)
    for a path that is there as something other than a regular file."""
    try:
        return files.check(path) or bool(files.rotated_files(path))
    except files.NotRegular:
        raise
    except OSError:
        return True


def _unusable(path: Path, command: str) -> Failure | None:
    """Why `command` cannot read the log at `path`: off, not a regular file, or not there."""
    try:
        if log.is_off(path):
            raise log.turned_off(command)
        if not _there(path):
            raise UsageError(
                f"there is no audit log at {path}",
                "check --audit-log or KEYGEN_AUDIT_LOG; keygen writes the log the first time generate, "
                "exchange or confirm runs (`keygen audit --path` prints where)",
            )
    except files.NotRegular as exc:
        return Failure(command, files.refusal(exc, path))
    except KeygenError as exc:
        return Failure(command, exc)
    return None


def listing(path: Path, last: int | None = None, *, path_only: bool = False) -> Result:
    """`keygen audit [--last N]`, or `--path`."""
    if path_only:
        return log.show(path, path_only=True)
    return _unusable(path, "audit") or log.show(path, last)


@contextmanager
def whole_listing(path: Path) -> Iterator[Result]:
    """`keygen audit` without --last or --path: every record, read as it is printed (log.listed)."""
    failure = _unusable(path, "audit")
    if failure is not None:
        yield failure
        return
    with log.listed(path) as listing:
        yield listing


def verify(path: Path, anchor: str | None = None) -> Result:
    """`keygen audit verify [--anchor HASH]`."""
    return _unusable(path, "audit verify") or chain_verify.verify(path, anchor)


def show(path: Path, which: str, script: str | None = None) -> Result:
    """`keygen audit show N|last [--script SHELL]`."""
    return _unusable(path, "audit show") or replay.show(path, which, script)
