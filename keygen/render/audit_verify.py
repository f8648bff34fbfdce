"""`keygen audit verify` as text: the files walked, the chain, the head to write down, the anchor."""

from __future__ import annotations

from keygen.audit.verify import Verdict
from keygen.render import Text
from keygen.render.style import Style


def text(verdict: Verdict, style: Style, verbose: bool = False) -> Text:
    walk = verdict.walk
    if walk is None:
        return Text()
    names = ", ".join(f.name for f in verdict.files)
    several = f" ({len(verdict.files)} files: {names})" if len(verdict.files) > 1 else ""
    lines = [style.heading(f"Audit log {verdict.path}{several}")]
    if not walk.chained and not walk.unchained and walk.brk is None:
        lines.append("  no records: nothing to verify")
    if walk.unchained:
        lines.append(f"  {walk.unchained} line(s) from keygen 0.1.0 before the chain began: unchained, not checked")
    if walk.chained:
        whole = "up to the break" if walk.brk else "whole"
        lines.append(f"  {walk.chained} chained record(s), {whole}, from record 1 (log ID {walk.log_id})")
    if walk.head is not None and walk.brk is None:
        lines.append(f"Head: record {walk.head.seq} sha256:{walk.head.digest} ({walk.head.where()})")
        lines.append(
            "  keep this hash somewhere else (a ticket, a commit, a notebook); later, "
            f"`keygen audit verify --anchor sha256:{walk.head.digest}` proves the log still holds this record"
        )
    if verdict.anchor_line is not None:
        a = verdict.anchor_line
        lines.append(f"Anchor sha256:{verdict.anchor}: found, record {a.seq} ({a.where()})")
    return Text(lines)
