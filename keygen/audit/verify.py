"""`keygen audit verify`: walk the chain across every file of the log, one line at a time, name the
first break, report files beside the log that rotation never writes, and prove an anchor (a head
hash written down earlier) is still in the chain, with every record before it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen.audit import chain as audit_chain
from keygen.audit import files
from keygen.audit.chain import Line
from keygen.audit.walk import Walk, lines_of, walk
from keygen.errors import ChecksFailed, KeygenError, UsageError
from keygen.result import Result

BREAK_HINT = (
    "the log was changed after keygen wrote it; compare it with a copy kept elsewhere, and keep the "
    "changed file as evidence (keygen only appends, so it will not repair it)"
)


@dataclass
class Verdict(Result):
    command: ClassVar[str] = "audit verify"
    path: Path
    files: list[Path] = field(default_factory=list)
    walk: Walk | None = None
    anchor: str | None = None
    #: Files beside the log named like rotated ones that rotation never writes (`.0`, `.007`).
    strays: list[Path] = field(default_factory=list)
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def anchor_line(self) -> Line | None:
        return self.walk.anchor if self.walk else None

    def facts(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "files": [str(f) for f in self.files],
            "strays": [str(f) for f in self.strays],
            **_walk_dict(self.walk),
            "anchor": _anchor_dict(self),
        }


def verify(path: Path, anchor: str | None = None) -> Verdict:
    verdict = Verdict(path)
    try:
        wanted = verdict.anchor = _anchor(anchor)
        try:
            with files.opened(path) as parts:
                verdict.files = [p.path for p in parts]
                verdict.walk = walk(lines_of(parts), wanted)
        except OSError as exc:
            raise files.refusal(exc, path) from None
        verdict.strays = files.strays(path)
        _judge(verdict, verdict.walk, wanted)
    except KeygenError as exc:
        verdict.error = exc
    return verdict


def _judge(verdict: Verdict, walk: Walk, wanted: str | None) -> None:
    """The first thing wrong, as the error: a break, a stray file, an anchor not in the chain."""
    if walk.brk is not None:
        raise ChecksFailed(f"the audit chain is broken ({walk.brk.kind}): {walk.brk.message}", BREAK_HINT)
    if verdict.strays:
        names = ", ".join(str(p) for p in verdict.strays)
        raise ChecksFailed(
            f"beside the audit log: {names}, named like a rotated file but not one rotation writes "
            f"(those are {verdict.path.name}.1, .2, ...): not read, not trusted",
            "keygen never writes such a name; move it away (keep it as evidence) and verify again",
        )
    if wanted is not None and walk.anchor is None:
        raise ChecksFailed(
            f"no record of the audit log has the anchor's hash sha256:{wanted}: the record it named was "
            "removed or changed (or the anchor belongs to another log)",
            "check the anchor was copied whole and from this log; " + BREAK_HINT,
        )


def _anchor(value: str | None) -> str | None:
    if value is None:
        return None
    wanted = audit_chain.normalise_anchor(value)
    if wanted is None:
        raise UsageError(
            f"--anchor {value[:80]!r} is not a SHA-256 hash",
            "give the 64 hex digits `keygen audit verify` printed as the head (optionally after sha256:)",
        )
    return wanted


#: What the facts say when the log could not be walked (an unreadable file, a bad --anchor).
_NOT_WALKED: dict[str, Any] = {"records": 0, "unchained": 0, "log_id": None, "head": None, "break": None}


def _walk_dict(walk: Walk | None) -> dict[str, Any]:
    if walk is None:
        return dict(_NOT_WALKED)
    return {
        "records": walk.chained,
        "unchained": walk.unchained,
        "log_id": walk.log_id,
        "head": _line_dict(walk.head),
        "break": walk.brk.as_dict() if walk.brk else None,
    }


def _line_dict(line: Line | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {"seq": line.seq, "sha256": line.digest, "file": str(line.file), "line": line.no}


def _anchor_dict(verdict: Verdict) -> dict[str, Any] | None:
    if verdict.anchor is None:
        return None
    found = _line_dict(verdict.anchor_line) or {}
    return {"sha256": verdict.anchor, "found": verdict.anchor_line is not None, **found}
