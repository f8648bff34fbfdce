"""Walking the audit chain: one line at a time across every file of the log, to its first break.

The walk holds the line before and the line after the one it checks, nothing more: memory does not
grow with the log. Only once it has found a break does it read on, to say what the break most
likely is (a record that comes later was reordered; a line whose neighbours link up was inserted).

The rules (`keygen audit verify` applies them):
- a log with no chained record at all is a legacy log (keygen 0.1.0): its records are counted as
  unchained, never as tampering;
- once a log holds a chained record, it admits no unchained line anywhere: not between or after
  the chained ones, and before the chain only the lines its first record vouches for (`prelude`:
  their byte count and SHA-256, written when keygen began a chain over a 0.1.0 log);
- the first chained record is seq 1 with a log_id; every later one carries the next seq and the
  SHA-256 of the line before it, and its own hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from keygen.audit import files
from keygen.audit.chain import PRELUDE, Line, parse


def lines_of(parts: Iterable[files.Part]) -> Iterator[Line]:
    """Every line of the opened files, parsed, one at a time."""
    for part in parts:
        for no, raw in enumerate(files.lines(part), 1):
            yield parse(raw, part.path, no)


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold: which kind of change, and where."""

    kind: str  # edited | removed | reordered | truncated | inserted
    file: str
    line: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "message": self.message}


def _brk(kind: str, line: Line, message: str) -> Break:
    return Break(kind, str(line.file), line.no, message)


@dataclass(frozen=True)
class Walk:
    """What the walk found: how many records were chained or (a legacy log's) unchained, the log's
    ID, the head, the first break, and the line carrying the anchor (when one was asked for and is
    in the chain before any break: every record up to it is then proven)."""

    chained: int
    unchained: int
    log_id: str | None
    head: Line | None
    brk: Break | None
    anchor: Line | None = None


class _Ahead:
    """The lines still to come, with a look at the next one."""

    def __init__(self, lines: Iterable[Line]) -> None:
        self._it = iter(lines)
        self._next: Line | None = next(self._it, None)

    def peek(self) -> Line | None:
        return self._next

    def take(self) -> Line | None:
        line, self._next = self._next, next(self._it, None)
        return line

    def find(self, seq: int) -> Line | None:
        """The first chained line still to come with this seq (read on only after a break)."""
        while (line := self.take()) is not None:
            if line.chained and line.seq == seq:
                return line
        return None


@dataclass
class _Prelude:
    """The lines before the first chained one: their bytes' hash, how many records, the first."""

    digest: Any
    size: int = 0
    records: int = 0
    first: Line | None = None

    def add(self, line: Line) -> None:
        self.digest.update(line.raw)
        self.size += len(line.raw)
        self.records += line.value is not None
        self.first = self.first or line

    def vouched_by(self, line: Line) -> bool:
        said = (line.value or {}).get(PRELUDE)
        wanted = {"bytes": self.size, "sha256": self.digest.hexdigest()}
        return isinstance(said, dict) and said == wanted


def walk(lines: Iterable[Line], anchor: str | None = None) -> Walk:
    """Check every line of the chain against the one before it; stop at the first break."""
    ahead, prelude = _Ahead(lines), _Prelude(hashlib.sha256())
    while (line := ahead.peek()) is not None and _before_chain(line):
        prelude.add(ahead.take())  # type: ignore[arg-type]
    if ahead.peek() is None:  # no chained record at all: a legacy log (or an empty one)
        return Walk(0, prelude.records, None, None, None)
    return _chain(ahead, prelude, anchor)


def _chain(ahead: _Ahead, prelude: _Prelude, anchor: str | None) -> Walk:
    first = ahead.peek()
    log_id = str((first.value or {}).get("log_id")) if first is not None else None
    prev: Line | None = None
    count, found = 0, None
    while (line := ahead.take()) is not None:
        brk = _first_problem(line, ahead, prev) or (_unvouched(prelude, line) if prev is None else None)
        if brk is not None:
            return Walk(count, prelude.records, log_id if count else None, prev, brk, found)
        count, prev = count + 1, line
        if anchor is not None and found is None and line.digest == anchor:
            found = line
    return Walk(count, prelude.records, log_id, prev, None, found)


def _unvouched(prelude: _Prelude, first: Line) -> Break | None:
    """Unchained lines before the chain that its first record does not vouch for: put there later."""
    if prelude.first is None or prelude.vouched_by(first):
        return None
    line = prelude.first
    return _brk(
        "inserted",
        line,
        f"{line.where()} carries no seq, prev and hash, and the chain's first record ({first.where()}) does "
        "not vouch for it: it was put before the chain by hand",
    )


def _before_chain(line: Line) -> bool:
    """A whole line that can precede the chain: a record keygen 0.1.0 wrote, or a blank line among
    them (0.1.0's reader skipped those too, so they are not counted)."""
    return line.whole and not line.chained and (line.value is not None or not line.raw.strip())


def _first_problem(line: Line, ahead: _Ahead, prev: Line | None) -> Break | None:
    """What is wrong with `line`: on its own, or as the line after `prev` (None: the chain's first)."""
    after = ahead.peek()
    damage = _damage(line, after is None or after.file != line.file)
    if damage is not None:
        kind, what = damage
        return _brk(kind, line, f"{line.where()} {what}")
    return _start(line, ahead) if prev is None else _link(line, ahead, prev)


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


def _start(line: Line, ahead: _Ahead) -> Break | None:
    """The chain's first line must be what `seal` writes first: seq 1, a log_id and no prev."""
    if line.starts_chain and line.seq == 1 and "prev" not in (line.value or {}):
        return None
    later = ahead.find(1)
    if later is not None and later.starts_chain:
        return _reordered(line, 1, later)
    return _brk(
        "removed",
        line,
        f"{line.where()} is record {line.seq}, linked to a record that is not here: the records before it "
        "(or a rotated file) were removed",
    )


def _link(line: Line, ahead: _Ahead, prev: Line) -> Break | None:
    """A line after the chain's first must carry prev's hash and the next seq."""
    if not line.links_to(prev):
        return _unlinked(line, ahead, prev)
    if line.seq == prev.next_seq:
        return None
    return _brk("edited", line, f"{line.where()} says it is record {line.seq}, but it follows record {prev.seq}")


def _unlinked(line: Line, ahead: _Ahead, prev: Line) -> Break:
    """Why a line does not link to the one before it: the likeliest change first."""
    seq, expected, after = line.seq or 0, prev.next_seq, ahead.peek()
    if seq > expected:
        is_next = after is not None and after.chained and after.seq == expected
        later = after if is_next else ahead.find(expected)
        if later is not None:
            return _reordered(line, expected, later)
        return _brk("removed", line, f"{_missing(expected, seq)} missing before {line.where()}")
    if _skipping_mends(after, prev):
        return _brk("inserted", line, f"{line.where()} was inserted: the line after it links to {prev.where()}")
    if line.starts_chain:
        return _brk("inserted", line, f"{line.where()} starts a new chain in the middle of the log")
    return _brk(
        "edited", line, f"{line.where()} does not link to {prev.where()}: one of them was rewritten with a new hash"
    )


def _missing(expected: int, seq: int) -> str:
    return f"record {expected} is" if seq == expected + 1 else f"records {expected} to {seq - 1} are"


def _reordered(line: Line, expected: int, later: Line) -> Break:
    return _brk(
        "reordered",
        line,
        f"{line.where()} holds record {line.seq}, but record {expected} comes first and is on "
        f"{later.where()}: lines were reordered",
    )


def _skipping_mends(after: Line | None, prev: Line) -> bool:
    """Whether the chain holds again when the line is left out (a line added between two records)."""
    return after is not None and after.chained and after.seq == prev.next_seq and after.links_to(prev)
