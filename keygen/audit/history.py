"""What the audit log knows about each key, by fingerprint: when it was made or first seen, which
Public Key IDs it got, how old it is. Computed in one pass over the records, one at a time, so a
log of any size costs the keys' size in memory, not the log's.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


def key_history(records: Iterable[dict[str, Any]]) -> list[KeyHistory]:
    """Keys by fingerprint, in the order the log first names them: made by a successful generate, or
    given an ID by exchange. One pass, one record at a time: `records` may be a stream
    (keygen.audit.log.records) of any length; only the keys are kept."""
    keys: dict[str, KeyHistory] = {}
    for r in records:
        fp = r.get("fingerprint")
        if isinstance(fp, str) and fp:
            note(keys, fp, r)
    return list(keys.values())


def note(keys: dict[str, KeyHistory], fp: str, r: dict[str, Any]) -> None:
    """What one record adds to its key's history (a record of any other kind adds nothing, not even
    the key). A new per-key fact is one more branch here and one more field on KeyHistory."""
    if r.get("command") == "generate" and r.get("result") == "ok":
        keys.setdefault(fp, KeyHistory(fp)).made(r)
    elif r.get("command") == "exchange" and r.get("public_key_id"):
        keys.setdefault(fp, KeyHistory(fp)).given_id(r)


#: The words a line must hold for note() to use it (json.dumps writes them as they are; a hand-made
#: line may escape them, hence the backslash). Every other line is left unparsed by key_lines().
_KEY_WORDS = (b"generate", b"exchange", b"\\")


def might_matter(raw: bytes) -> bool:
    """Whether a line could add to a key's history (cheap: bytes, no JSON); False only for a line that
    cannot, e.g. the many `confirm` records a health check appends."""
    return any(word in raw for word in _KEY_WORDS)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
