"""`keygen keys`: every key the audit log knows, newest first, with its Public Key ID and its state.

Computed from the log alone (never from the files on disk): the log is the one record that
survives a pair being moved, and it is what an auditor reads. A key is

- `new`: made (or seen) but no Public Key ID recorded for it yet;
- `active`: its latest Public Key ID is recorded and not retired;
- `due`: active, and older than the rotation age (90 days, Amazon's advice, or `--max-age`);
- `retired`: `keygen retire` recorded its ID deleted in Integration Central.

The per-key facts `audit.history.note` does not gather (the name given in Integration Central,
where the pair lives, when it was last confirmed, whether it was retired) are gathered by `_detail`
in the same single pass over the log's stream (`table`), so the log is read once and never held.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen import amazon_pay, recipes
from keygen.audit import history
from keygen.audit import log as audit
from keygen.errors import KeygenError, RotationDue, UsageError
from keygen.keys import checks
from keygen.result import Result

#: The states a key can be in, in the order of its life.
STATES = ("new", "active", "due", "retired")


@dataclass
class Details:
    """What the log says of one key beyond `KeyHistory`: its name, folder, last proof, retirement."""

    name: str | None = None
    dir: str | None = None
    last_confirmed: str | None = None
    retired: str | None = None


def _detail(d: Details, r: Mapping[str, Any]) -> None:
    command, ok = r.get("command"), r.get("result") == "ok"
    if command == "generate" and ok and isinstance(r.get("dir"), str):
        d.dir = r["dir"]
    elif command == "exchange" and r.get("public_key_id"):
        d.name = _text(r.get("name")) or d.name
        d.dir = str(Path(str(r.get("public_key"))).parent) if r.get("public_key") else d.dir
    elif command == "confirm" and ok:
        d.last_confirmed = _text(r.get("time"))
    elif command == "retire" and ok:
        d.retired = _text(r.get("time"))
        d.dir = _text(r.get("moved_to")) or d.dir


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _one_of(value: object, known: tuple[str, ...]) -> str | None:
    """A region or environment as recorded; a hand-edited value keygen does not know is no value."""
    return value if isinstance(value, str) and value in known else None


@dataclass
class Key:
    """One row of `keygen keys`."""

    fingerprint: str
    public_key_id: str | None
    region: str | None
    environment: str | None
    name: str | None
    dir: str | None
    created: str | None
    last_confirmed: str | None
    age_days: float | None
    state: str

    @property
    def private_key(self) -> Path | None:
        return Path(self.dir) / recipes.PRIVATE_KEY if self.dir else None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def table(records: Iterable[dict[str, Any]], now: _dt.datetime, max_age: float) -> list[Key]:
    """Every key the records know, newest first. One pass, one record at a time (`records` may be
    the log's stream, of any length): only the keys are kept, never the records (issue 25)."""
    keys: dict[str, history.KeyHistory] = {}
    more: dict[str, Details] = {}
    for r in records:
        fp = r.get("fingerprint")
        if isinstance(fp, str) and fp:
            history.note(keys, fp, r)
            _detail(more.setdefault(fp, Details()), r)
    rows = [_row(h, more.get(h.fingerprint, Details()), now, max_age) for h in keys.values()]
    # Newest first; keys made within the same second (the log's times have no finer grain) by where
    # the log first names them, later first: a stable sort alone would keep the older one ahead.
    order = sorted(range(len(rows)), key=lambda i: (rows[i].created or "", i), reverse=True)
    return [rows[i] for i in order]


def _row(h: audit.KeyHistory, d: Details, now: _dt.datetime, max_age: float) -> Key:
    latest: dict[str, Any] = h.ids[-1] if h.ids else {}
    age, key_id = h.age_days(now), _text(latest.get("public_key_id"))
    return Key(
        fingerprint=h.fingerprint,
        public_key_id=key_id,
        region=_one_of(latest.get("region"), tuple(amazon_pay.REGIONS)),
        environment=_one_of(latest.get("environment"), ("sandbox", "live")),
        name=d.name,
        dir=d.dir,
        created=h.since,
        last_confirmed=d.last_confirmed,
        age_days=None if age is None else round(age, 1),
        state=_state(key_id is not None, d, age, max_age),
    )


def _state(has_id: bool, d: Details, age: float | None, max_age: float) -> str:
    if d.retired:
        return "retired"
    if not has_id:
        return "new"
    return "due" if age is not None and age > max_age else "active"


def read_table(
    audit_log: Path | None, environ: Mapping[str, str] | None, now: _dt.datetime, max_age: float
) -> tuple[Path, list[Key], list[str]]:
    """The log's path, its keys and a warning per line skipped; DirUnusable when it cannot be read,
    LogUnusable (exit 14) when it is turned off: the keys are the log's, and there is none."""
    path = audit.resolve(audit_log, environ)
    if audit.is_off(path):
        raise audit.turned_off("keys")
    skipped: list[audit.Problem] = []
    rows = table(audit.records_if_there(path, skipped), now, max_age)
    return path, rows, [f"{path} line {p.line_no} skipped: {p.reason}" for p in skipped]


@dataclass
class Listing(Result):
    command: ClassVar[str] = "keys"
    audit_log: Path | None = None
    max_age_days: float = audit.ROTATE_AFTER_DAYS
    #: Whether --max-age was given: then a due key is an error (exit 13), for a scheduled job.
    enforce: bool = False
    keys: list[Key] = field(default_factory=list)
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        return {
            "audit_log": str(self.audit_log) if self.audit_log else None,
            "max_age_days": self.max_age_days,
            "keys": [k.as_dict() for k in self.keys],
        }


def keys(
    audit_log: Path | None = None,
    max_age: float | None = None,
    *,
    now: _dt.datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> Listing:
    """`keygen keys [--max-age DAYS]`; `now` is the clock (tests give their own)."""
    listing = Listing(max_age_days=audit.ROTATE_AFTER_DAYS if max_age is None else max_age, enforce=max_age is not None)
    try:
        if max_age is not None and not max_age > 0:
            raise UsageError(f"--max-age must be a positive number of days, not {max_age:g}", "e.g. --max-age 90")
        listing.audit_log, listing.keys, listing.warnings = read_table(
            audit_log, environ, now or audit.utc_now(), listing.max_age_days
        )
        if listing.enforce:
            _enforce(listing)
    except KeygenError as exc:
        listing.error = exc
    return listing


def _enforce(listing: Listing) -> None:
    due = [k for k in listing.keys if k.state == "due"]
    if not due:
        return
    named = ", ".join(f"{k.public_key_id} ({k.age_days:g} days)" for k in due)
    raise RotationDue(
        f"{len(due)} active key(s) older than {listing.max_age_days:g} days: {named}",
        f"rotate it: keygen rotate --public-key-id {due[0].public_key_id}",
    )


def in_use(out_dir: Path, audit_log: Path | None, environ: Mapping[str, str] | None) -> Key | None:
    """The key in DIR's publicKey.pub when the log records it with a Public Key ID still in use
    (active or due): what `generate --force` would silently replace. None when it cannot tell."""
    public = out_dir / recipes.PUBLIC_KEY
    if not public.is_file():
        return None
    try:
        _, rows, _ = read_table(audit_log, environ, audit.utc_now(), audit.ROTATE_AFTER_DAYS)
    except KeygenError:
        return None
    in_use = [k for k in rows if k.state in ("active", "due")]
    if not in_use:  # nothing to protect: the file is not even read
        return None
    fingerprint = checks.check_pair(None, public, strict=False).fingerprint
    return next((k for k in in_use if k.fingerprint == fingerprint), None)
