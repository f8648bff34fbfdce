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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import platformdirs

from keygen.audit import chain as audit_chain
from keygen.audit import store as audit_store
from keygen.errors import DirUnusable, KeygenError
from keygen.result import Result, utc_timestamp

ENV_VAR = "KEYGEN_AUDIT_LOG"
FILE_NAME = "audit.jsonl"


def default_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])

    return platformdirs.user_log_path(appname="keygen", appauthor=False) / FILE_NAME


def resolve(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Path:
    return Path(path) if path else default_path(env)


def is_default(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> bool:
    """Whether the log lives in keygen's own directory (no --audit-log, no KEYGEN_AUDIT_LOG)."""
    env = os.environ if env is None else env
    return not path and not env.get(ENV_VAR)


def record(
    explicit: str | os.PathLike[str] | None, entry: Mapping[str, Any], env: Mapping[str, str] | None = None
) -> Path:
    """Append `entry` to the log chosen by --audit-log (`explicit`), KEYGEN_AUDIT_LOG or the default,
    and return where it went; raises OSError when it cannot be written (callers warn)."""
    path = resolve(explicit, env)
    append(path, entry, own_dir=is_default(explicit, env), limit=audit_store.max_bytes(env))
    return path


def append(path: Path, record: Mapping[str, Any], *, own_dir: bool = False, limit: int | None = None) -> None:
    """Append one record, sealed into the hash chain (audit_store, audit_chain); raises OSError when
    the log cannot be written (callers warn). `limit`: the rotation size (default: KEYGEN_AUDIT_MAX_BYTES).

    `own_dir`: the directory is keygen's own (the default location), so it is made owner-only even
    if something created it looser; a directory the user named is left as it is.
    """
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if own_dir and os.name == "posix":
        os.chmod(parent, 0o700)
    audit_store.append(path, record, limit=limit)


@dataclass(frozen=True)
class Problem:
    line_no: int
    reason: str
    #: Which file of the log (the live one or a rotated one).
    file: str = ""


def read_if_there(path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The log's records, none when there is no log yet; a log (or a directory on its way) the
    user cannot read is DirUnusable (exit 6) with the path and the fix, never an internal error."""
    try:
        return read(path)
    except (FileNotFoundError, NotADirectoryError):
        return [], []
    except OSError as exc:
        raise DirUnusable(
            f"cannot read the audit log {path}: {exc.strerror or exc}",
            f"check the permissions of {path} and the directories above it (ls -ld {path.parent}), "
            "or name another log with --audit-log or KEYGEN_AUDIT_LOG",
        ) from None


def read(path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Every record of the log: the files rotation moved aside, oldest first, then `path` itself,
    read under the writers' lock (so never half a line); raises OSError when a file cannot be read."""
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for file, data in audit_store.snapshot(path):
        for number, raw in enumerate(audit_chain.split_lines(data), 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                problems.append(Problem(number, f"not JSON ({str(exc).splitlines()[0][:80]})", str(file)))
                continue
            if not isinstance(value, dict):
                problems.append(Problem(number, "not a JSON object", str(file)))
                continue
            records.append(value)
    return records, problems


#: Amazon Pay's help pages recommend rotating keys, ideally every 90 days.
ROTATE_AFTER_DAYS = 90


@dataclass
class KeyHistory:
    """One key pair as the log knows it: when it was made or first seen, and which IDs it got."""

    fingerprint: str
    created: str | None = None
    first_seen: str | None = None
    ids: list[dict[str, Any]] = field(default_factory=list)

    @property
    def since(self) -> str | None:
        return self.created or self.first_seen

    def made(self, generated: dict[str, Any]) -> None:
        """A successful generate made it; the first such record says when."""
        self.created = self.created or _str(generated.get("time"))

    def given_id(self, exchanged: dict[str, Any]) -> None:
        """exchange gave it a Public Key ID; the first such record says when the key was first seen."""
        self.first_seen = self.first_seen or _str(exchanged.get("time"))
        self.ids.append(
            {
                "public_key_id": exchanged.get("public_key_id"),
                "environment": exchanged.get("environment"),
                "region": exchanged.get("region"),
                "time": exchanged.get("time"),
            }
        )

    def age_days(self, now: _dt.datetime) -> float | None:
        when = parse_time(self.since)
        return None if when is None else (now - when).total_seconds() / 86400

    def as_dict(self, now: _dt.datetime) -> dict[str, Any]:
        age = self.age_days(now)
        return {
            "fingerprint": self.fingerprint,
            "created": self.created,
            "first_seen": self.first_seen,
            "age_days": None if age is None else round(age, 1),
            "rotate": age is not None and age > ROTATE_AFTER_DAYS,
            "public_key_ids": self.ids,
        }


def parse_time(value: object) -> _dt.datetime | None:
    if not isinstance(value, str):
        return None

    try:
        when = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)


def key_history(records: list[dict[str, Any]]) -> list[KeyHistory]:
    """Keys by fingerprint: made by a successful generate, or given an ID by exchange."""
    keys: dict[str, KeyHistory] = {}
    for r in records:
        fp = r.get("fingerprint")
        if isinstance(fp, str) and fp:
            _note(keys, fp, r)
    return list(keys.values())


def _note(keys: dict[str, KeyHistory], fp: str, r: dict[str, Any]) -> None:
    """What one record adds to its key's history (a record of any other kind adds nothing, not even the key)."""
    if r.get("command") == "generate" and r.get("result") == "ok":
        keys.setdefault(fp, KeyHistory(fp)).made(r)
    elif r.get("command") == "exchange" and r.get("public_key_id"):
        keys.setdefault(fp, KeyHistory(fp)).given_id(r)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def timestamp() -> str:
    """A record's `time`: UTC, to the second, ISO 8601 with a Z."""
    return utc_timestamp()


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
    """Read the log for `keygen audit`; `last` limits the records and the keys alike."""
    listing = Listing(path, path_only=path_only)
    if path_only:
        return listing
    try:
        records, listing.skipped = read_if_there(path)
    except DirUnusable as exc:
        listing.error = exc
        return listing
    keys = key_history(records)
    listing.records = records[-last:] if last else records
    listing.keys = keys[-last:] if last else keys
    listing.warnings = [f"{path} line {p.line_no} skipped: {p.reason}" for p in listing.skipped]
    return listing
