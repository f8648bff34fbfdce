"""The audit log's hash chain: how a record is sealed, and the walk that finds the first break.

Each record keygen writes starts with `seq` (1, 2, 3, ... across every file of the log) and
either `prev`, the SHA-256 (hex) of the previous line's exact bytes, its newline included, or, on
the first record of a chain, a random `log_id`. It ends with `hash`, the SHA-256 of the line up to
that field (the JSON text with `, "hash": ...` left out, closed by its `}`): an edited line breaks
its own hash even when it is the last one, and a removed, reordered or inserted line breaks the
`prev` of the one after it. Lines from keygen 0.1.0 have none of these fields; before the first
chained record they are counted as unchained, never as tampering.

This detects changes by anyone who does not recompute the hashes. It is not a signature: whoever
can rewrite the files can recompute the whole chain, which only an anchor (a head hash written
down elsewhere) reveals.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHAIN_FIELDS = ("seq", "prev", "log_id", "hash")
#: On the first record of a chain begun over lines already there (keygen 0.1.0's): how many bytes
#: came before it and their SHA-256. Only the lines it names may stand unchained before the chain.
PRELUDE = "prelude"
_SEAL = re.compile(rb'(?P<body>.*), "hash": "(?P<hash>[0-9a-f]{64})"\}\n?', re.DOTALL)
_HEX64 = re.compile(r"[0-9a-f]{64}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal(entry: Mapping[str, Any], previous: bytes | None) -> bytes:
    """The line for `entry`, linked to the previous line's exact bytes (None: start a chain)."""
    fields = {k: v for k, v in entry.items() if k not in CHAIN_FIELDS}
    body = json.dumps({**_head(previous), **fields}, ensure_ascii=False, default=str).encode("utf-8")
    return body[:-1] + b', "hash": "' + sha256(body).encode("ascii") + b'"}\n'


def _head(previous: bytes | None) -> dict[str, Any]:
    """The chain fields a new line starts with: the next seq and the previous line's hash, or a new
    chain's seq 1 and random log_id.

    A previous line that is not a chained record (a 0.1.0 line, or a damaged one) starts a new
    chain too: its seq cannot be trusted, and verify reports the damage where it is.
    """
    before = parse(previous) if previous else None
    if before is None or not before.chained or before.seq is None:
        return {"seq": 1, "log_id": secrets.token_hex(16)}
    return {"seq": before.seq + 1, "prev": sha256(before.raw)}


@dataclass(frozen=True)
class Line:
    """One line of a log file as read: where it is, its exact bytes, and what it holds."""

    file: Path
    no: int
    raw: bytes
    #: The JSON object, or None when the line is not one.
    value: dict[str, Any] | None
    #: Whether the line's own `hash` matches its content (None: it has no `hash`).
    sealed: bool | None

    @property
    def whole(self) -> bool:
        return self.raw.endswith(b"\n")

    @property
    def chained(self) -> bool:
        return self.value is not None and any(k in self.value for k in CHAIN_FIELDS)

    @property
    def seq(self) -> int | None:
        seq = self.value.get("seq") if self.value else None
        return seq if isinstance(seq, int) and not isinstance(seq, bool) else None

    @property
    def digest(self) -> str:
        return sha256(self.raw)

    @property
    def starts_chain(self) -> bool:
        """Whether it carries a log_id: what the first record of a chain has instead of `prev`."""
        return self.value is not None and "log_id" in self.value

    @property
    def next_seq(self) -> int:
        """The seq the record after this one must carry."""
        return (self.seq or 0) + 1

    def links_to(self, prev: Line) -> bool:
        """Whether its `prev` is the hash of that line's exact bytes."""
        return self.value is not None and self.value.get("prev") == prev.digest

    def where(self) -> str:
        return f"{self.file} line {self.no}"


def parse(raw: bytes, file: Path = Path(), no: int = 0) -> Line:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        value = None
    if not isinstance(value, dict):
        return Line(file, no, raw, None, None)
    match = _SEAL.fullmatch(raw)
    sealed = None if match is None else sha256(match["body"] + b"}") == match["hash"].decode()
    if match is None and "hash" in value:
        sealed = False
    return Line(file, no, raw, value, sealed)


def split_lines(data: bytes) -> list[bytes]:
    """A file's lines with their newlines (only LF ends a record); a last line without one is kept."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def normalise_anchor(value: str) -> str | None:
    """An anchor as `verify` prints it: 64 hex digits, optionally after `sha256:`."""
    text = value.strip().lower()
    text = text[len("sha256:") :] if text.startswith("sha256:") else text
    return text if _HEX64.fullmatch(text) else None
