"""`keygen audit`, `keygen audit verify` and `keygen audit show`: the commands that read the log.

Each reads a log that is there: a path with no log behind it (neither the live file nor any file
rotation made from it) is a usage error, exit 2, never an empty listing. A mistyped `--audit-log`
or KEYGEN_AUDIT_LOG would otherwise read as "no records" and, under `audit verify`, as a whole
chain. `audit --path` only says where the log is, so it needs none.
"""

from __future__ import annotations

import os
from pathlib import Path

from keygen.audit import log, replay, store
from keygen.audit import verify as chain_verify
from keygen.errors import UsageError
from keygen.result import Failure, Result


def _there(path: Path) -> bool:
    """The live file or a file rotation made from it is there, or the OS will not say (a directory
    the user cannot enter): then the read itself fails and says why, exit 6."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return bool(store.rotated_files(path))
    except OSError:
        return True
    return True


def _missing(path: Path, command: str) -> Failure | None:
    if _there(path):
        return None
    return Failure(
        command,
        UsageError(
            f"there is no audit log at {path}",
            "check --audit-log or KEYGEN_AUDIT_LOG; keygen writes the log the first time generate, "
            "exchange or confirm runs (`keygen audit --path` prints where)",
        ),
    )


def listing(path: Path, last: int | None = None, *, path_only: bool = False) -> Result:
    """`keygen audit [--last N]`, or `--path`."""
    if path_only:
        return log.show(path, path_only=True)
    return _missing(path, "audit") or log.show(path, last)


def verify(path: Path, anchor: str | None = None) -> Result:
    """`keygen audit verify [--anchor HASH]`."""
    return _missing(path, "audit verify") or chain_verify.verify(path, anchor)


def show(path: Path, which: str, script: str | None = None) -> Result:
    """`keygen audit show N|last [--script SHELL]`."""
    return _missing(path, "audit show") or replay.show(path, which, script)
