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
    """The line for `entry`, linked to the previous line's exact bytes (None: start a chain).

    A previous line that is not a chained record (a 0.1.0 line, or a damaged one) starts a new
    chain too: its seq cannot be trusted, and verify reports the damage where it is.
    """
    before = parse(previous) if previous else None
    head: dict[str, Any]
    if before is not None and before.chained and isinstance(before.seq, int):
        head = {"seq": before.seq + 1, "prev": sha256(previous or b"")}
    else:
        head = {"seq": 1, "log_id": secrets.token_hex(16)}
    body = json.dumps(
        {**head, **{k: v for k, v in entry.items() if k not in CHAIN_FIELDS}}, ensure_ascii=False, default=str
    ).encode("utf-8")
    return body[:-1] + b', "hash": "' + sha256(body).encode("ascii") + b'"}\n'


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
    """Check every line against the one before it; stop at the first break."""
    chained = unchained = 0
    prev: Line | None = None
    log_id: str | None = None
    for i, line in enumerate(lines):
        if prev is None and not line.chained and line.value is not None and line.whole:
            unchained += 1  # keygen 0.1.0 wrote it, before the chain began
            continue
        if prev is None and not line.raw.strip() and line.whole:
            continue  # a blank line among 0.1.0's lines was skipped by 0.1.0's reader too
        brk = _first_problem(lines, i, prev)
        if brk is not None:
            return Walk(chained, unchained, log_id, prev, brk, tuple(lines))
        if prev is None:
            log_id = str((line.value or {}).get("log_id"))
        chained += 1
        prev = line
    return Walk(chained, unchained, log_id, prev, None, tuple(lines))


def _first_problem(lines: list[Line], i: int, prev: Line | None) -> Break | None:
    line = lines[i]
    last_of_file = i + 1 == len(lines) or lines[i + 1].file != line.file
    if not line.whole or (line.value is None and last_of_file and line.raw.strip()):
        return _brk("truncated", line, f"{line.where()} is cut short: the file was truncated in the middle of a line")
    if not line.raw.strip():
        return _brk("inserted", line, f"{line.where()} is an empty line added after the chain began")
    if line.value is None:
        return _brk("edited", line, f"{line.where()} is no longer a JSON record: it was changed after it was written")
    if line.sealed is False:
        return _brk("edited", line, f"{line.where()} was changed after it was written: its hash does not match it")
    if not line.chained or line.sealed is None or line.seq is None:
        why = "carries no seq, prev and hash: it was added by hand after the chain began"
        return _brk("inserted", line, f"{line.where()} {why}")
    return _start(lines, i) if prev is None else _link(lines, i, prev)


def _start(lines: list[Line], i: int) -> Break | None:
    line, value = lines[i], lines[i].value or {}
    if "log_id" in value and line.seq == 1 and "prev" not in value:
        return None
    later = _later(lines, i, 1)
    if later is not None and "log_id" in (later.value or {}):
        return _reordered(line, 1, later)
    return _brk(
        "removed",
        line,
        f"{line.where()} is record {line.seq}, linked to a record that is not here: the records before it "
        "(or a rotated file) were removed",
    )


def _link(lines: list[Line], i: int, prev: Line) -> Break | None:
    line, value = lines[i], lines[i].value or {}
    seq, expected = line.seq or 0, (prev.seq or 0) + 1
    if value.get("prev") == prev.digest:
        if seq == expected:
            return None
        return _brk("edited", line, f"{line.where()} says it is record {seq}, but it follows record {prev.seq}")
    if seq > expected:
        later = _later(lines, i, expected)
        if later is not None:
            return _reordered(line, expected, later)
    if _skipping_mends(lines, i, prev):
        return _brk("inserted", line, f"{line.where()} was inserted: the line after it links to {prev.where()}")
    if seq > expected:
        missing = f"record {expected} is" if seq == expected + 1 else f"records {expected} to {seq - 1} are"
        return _brk("removed", line, f"{missing} missing before {line.where()}")
    if "log_id" in value:
        return _brk("inserted", line, f"{line.where()} starts a new chain in the middle of the log")
    return _brk(
        "edited", line, f"{line.where()} does not link to {prev.where()}: one of them was rewritten with a new hash"
    )


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
    return after.chained and after.seq == (prev.seq or 0) + 1 and (after.value or {}).get("prev") == prev.digest


def normalise_anchor(value: str) -> str | None:
    """An anchor as `verify` prints it: 64 hex digits, optionally after `sha256:`."""
    text = value.strip().lower()
    text = text[len("sha256:") :] if text.startswith("sha256:") else text
    return text if _HEX64.fullmatch(text) else None
