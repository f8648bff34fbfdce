"""The audit log: one JSON line per run, appended, owner-only, never holding a secret.

Each record is written with a single `write` on an `O_APPEND` descriptor under an exclusive lock,
so concurrent keygen runs never interleave or lose a line. Readers skip (and report) a corrupt line
rather than fail: a log is evidence, and one bad line must not hide the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "KEYGEN_AUDIT_LOG"
FILE_NAME = "audit.jsonl"


def default_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    import platformdirs

    return platformdirs.user_log_path(appname="keygen", appauthor=False) / FILE_NAME


def resolve(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Path:
    return Path(path) if path else default_path(env)


def append(path: Path, record: Mapping[str, Any]) -> None:
    """Append one record; raises OSError when the log cannot be written (callers warn)."""
    line = (json.dumps(record, sort_keys=False, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if os.name == "posix":
            import fcntl

            os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Problem:
    line_no: int
    reason: str


def read(path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                problems.append(Problem(number, f"not JSON ({str(exc).splitlines()[0][:80]})"))
                continue
            if not isinstance(value, dict):
                problems.append(Problem(number, "not a JSON object"))
                continue
            records.append(value)
    return records, problems


def iter_last(records: list[dict[str, Any]], last: int | None) -> Iterator[dict[str, Any]]:
    yield from (records[-last:] if last else records)
