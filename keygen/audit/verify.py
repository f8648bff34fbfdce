"""`keygen audit verify`: walk the chain across every file of the log, name the first break, and
prove an anchor (a head hash written down earlier) is still in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen.audit import chain as audit_chain
from keygen.audit import store as audit_store
from keygen.audit.chain import Line, Walk
from keygen.errors import ChecksFailed, DirUnusable, KeygenError, UsageError
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
    anchor_line: Line | None = None
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "files": [str(f) for f in self.files],
            **_walk_dict(self.walk),
            "anchor": _anchor_dict(self),
        }


def read_log(path: Path) -> tuple[list[Path], list[Line]]:
    """Every line of every file of the log, read under the writers' lock; DirUnusable (exit 6) when
    a file cannot be read."""
    try:
        files = audit_store.snapshot(path)
    except OSError as exc:
        raise DirUnusable(
            f"cannot read the audit log {getattr(exc, 'filename', None) or path}: {exc.strerror or exc}",
            "check its permissions, or name another log with --audit-log",
        ) from None
    return [p for p, _ in files], audit_chain.read_lines(files)


def verify(path: Path, anchor: str | None = None) -> Verdict:
    verdict = Verdict(path)
    try:
        wanted = _anchor(anchor)
        verdict.files, lines = read_log(path)
        verdict.walk = walk = audit_chain.walk(lines)
        if wanted is not None:
            verdict.anchor = wanted
            verdict.anchor_line = walk.find(wanted)
        if walk.brk is not None:
            raise ChecksFailed(f"the audit chain is broken ({walk.brk.kind}): {walk.brk.message}", BREAK_HINT)
        if wanted is not None and verdict.anchor_line is None:
            raise ChecksFailed(
                f"no record of the audit log has the anchor's hash sha256:{wanted}: the record it named was "
                "removed or changed (or the anchor belongs to another log)",
                "check the anchor was copied whole and from this log; " + BREAK_HINT,
            )
    except KeygenError as exc:
        verdict.error = exc
    return verdict


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
