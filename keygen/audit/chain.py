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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHAIN_FIELDS = ("seq", "prev", "log_id", "hash")
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


def read_lines(files: Iterable[tuple[Path, bytes]]) -> list[Line]:
    return [parse(raw, path, no) for path, data in files for no, raw in enumerate(split_lines(data), 1)]


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold: which kind of change, and where."""

    kind: str  # edited | removed | reordered | truncated | inserted | anchor_missing
    file: str
    line: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "message": self.message}


def _brk(kind: str, line: Line, message: str) -> Break:
    return Break(kind, str(line.file), line.no, message)


@dataclass(frozen=True)
class Walk:
    """What the walk found: how many lines were chained or older than the chain, the head, the break."""

    chained: int
    unchained: int
    log_id: str | None
    head: Line | None
    brk: Break | None
    lines: tuple[Line, ...] = ()

    def find(self, digest: str) -> Line | None:
        return next((ln for ln in self.lines if ln.chained and ln.digest == digest), None)


def walk(lines: list[Line]) -> Walk:
    """Check every line of the chain against the one before it; stop at the first break."""
    start, unchained = _prelude(lines)
    prev: Line | None = None
    for i in range(start, len(lines)):
        brk = _first_problem(lines, i, prev)
        if brk is not None:
            return _walked(lines, start, i, unchained, brk)
        prev = lines[i]
    return _walked(lines, start, len(lines), unchained, None)


def _prelude(lines: list[Line]) -> tuple[int, int]:
    """Where the chain begins, and how many records keygen 0.1.0 wrote before it (not tampering)."""
    start = next((i for i, line in enumerate(lines) if not _before_chain(line)), len(lines))
    return start, sum(1 for line in lines[:start] if line.value is not None)


def _before_chain(line: Line) -> bool:
    """A whole line that can precede the chain: a record keygen 0.1.0 wrote, or a blank line among
    them (0.1.0's reader skipped those too, so they are not counted)."""
    return line.whole and not line.chained and (line.value is not None or not line.raw.strip())


def _walked(lines: list[Line], start: int, end: int, unchained: int, brk: Break | None) -> Walk:
    """The walk's result: lines[start:end] held (the first of them names the chain's log_id)."""
    if end == start:
        return Walk(0, unchained, None, None, brk, tuple(lines))
    log_id = str((lines[start].value or {}).get("log_id"))
    return Walk(end - start, unchained, log_id, lines[end - 1], brk, tuple(lines))


def _first_problem(lines: list[Line], i: int, prev: Line | None) -> Break | None:
    """What is wrong with line i: on its own, or as the line after `prev` (None: the chain's first)."""
    line = lines[i]
    damage = _damage(line, i + 1 == len(lines) or lines[i + 1].file != line.file)
    if damage is not None:
        kind, what = damage
        return _brk(kind, line, f"{line.where()} {what}")
    return _start(lines, i) if prev is None else _link(lines, i, prev)


def _damage(line: Line, last_of_file: bool) -> tuple[str, str] | None:
    """What is wrong with a line on its own, as (kind, what the line is), from its bytes up to its seal."""
    if _cut_short(line, last_of_file):
        return "truncated", "is cut short: the file was truncated in the middle of a line"
    if not line.raw.strip():
        return "inserted", "is an empty line added after the chain began"
    if line.value is None:
        return "edited", "is no longer a JSON record: it was changed after it was written"
    if line.sealed is False:
        return "edited", "was changed after it was written: its hash does not match it"
    if not line.chained or line.sealed is None or line.seq is None:
        return "inserted", "carries no seq, prev and hash: it was added by hand after the chain began"
    return None


def _cut_short(line: Line, last_of_file: bool) -> bool:
    """No newline at its end, or, as a file's last line, text that is not JSON: what a cut leaves."""
    return not line.whole or (line.value is None and last_of_file and bool(line.raw.strip()))


def _start(lines: list[Line], i: int) -> Break | None:
    """The chain's first line must be what `seal` writes first: seq 1, a log_id and no prev."""
    line = lines[i]
    if line.starts_chain and line.seq == 1 and "prev" not in (line.value or {}):
        return None
    later = _later(lines, i, 1)
    if later is not None and later.starts_chain:
        return _reordered(line, 1, later)
    return _brk(
        "removed",
        line,
        f"{line.where()} is record {line.seq}, linked to a record that is not here: the records before it "
        "(or a rotated file) were removed",
    )


def _link(lines: list[Line], i: int, prev: Line) -> Break | None:
    """A line after the chain's first must carry prev's hash and the next seq."""
    line = lines[i]
    if not line.links_to(prev):
        return _unlinked(lines, i, prev)
    if line.seq == prev.next_seq:
        return None
    return _brk("edited", line, f"{line.where()} says it is record {line.seq}, but it follows record {prev.seq}")


def _unlinked(lines: list[Line], i: int, prev: Line) -> Break:
    """Why a line does not link to the one before it: the likeliest change first."""
    line, seq, expected = lines[i], lines[i].seq or 0, prev.next_seq
    ahead = seq > expected
    later = _later(lines, i, expected) if ahead else None
    if later is not None:
        return _reordered(line, expected, later)
    if _skipping_mends(lines, i, prev):
        return _brk("inserted", line, f"{line.where()} was inserted: the line after it links to {prev.where()}")
    if ahead:
        return _brk("removed", line, f"{_missing(expected, seq)} missing before {line.where()}")
    if line.starts_chain:
        return _brk("inserted", line, f"{line.where()} starts a new chain in the middle of the log")
    return _brk(
        "edited", line, f"{line.where()} does not link to {prev.where()}: one of them was rewritten with a new hash"
    )


def _missing(expected: int, seq: int) -> str:
    return f"record {expected} is" if seq == expected + 1 else f"records {expected} to {seq - 1} are"


def _later(lines: list[Line], i: int, seq: int) -> Line | None:
    return next((ln for ln in lines[i + 1 :] if ln.chained and ln.seq == seq), None)


def _reordered(line: Line, expected: int, later: Line) -> Break:
    return _brk(
        "reordered",
        line,
        f"{line.where()} holds record {line.seq}, but record {expected} comes first and is on "
        f"{later.where()}: lines were reordered",
    )


def _skipping_mends(lines: list[Line], i: int, prev: Line) -> bool:
    """Whether the chain holds again when line i is left out (a line added between two records)."""
    if i + 1 >= len(lines):
        return False
    after = lines[i + 1]
    return after.chained and after.seq == prev.next_seq and after.links_to(prev)


def normalise_anchor(value: str) -> str | None:
    """An anchor as `verify` prints it: 64 hex digits, optionally after `sha256:`."""
    text = value.strip().lower()
    text = text[len("sha256:") :] if text.startswith("sha256:") else text
    return text if _HEX64.fullmatch(text) else None
