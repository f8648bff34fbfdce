"""`keygen verify` as text: each finding with its fix, the fingerprint, the second opinion, the verdict."""

from __future__ import annotations

import shlex

from keygen.commands.verify import Outcome
from keygen.keys.opinion import Opinion
from keygen.render import Text
from keygen.render.common import check_lines, plural
from keygen.render.style import Style

_AGREEMENT = {True: "agrees", False: "DISAGREES", None: "no comparison"}


def _answer_lines(op: Opinion, verbose: bool) -> list[str]:
    library = f"library: {op.library}" if op.library else "library: -"
    lines = [f"  {op.tool}: {op.question}: {op.verdict} ({op.detail}); {library}; {_AGREEMENT[op.agrees]}"]
    if op.commands and verbose:
        lines.append("     ran: " + " && ".join(shlex.join(c) for c in op.commands))
    return lines


def opinion_lines(opinions: list[Opinion], style: Style, verbose: bool) -> list[str]:
    """One line when every answer agrees; otherwise (or with -v) each answer, and with -v what ran."""
    agreed = [op for op in opinions if op.agrees]
    if not verbose and len(agreed) == len(opinions):
        tools = sorted({op.tool for op in opinions})
        verb = "agrees" if len(tools) == 1 else "agree"
        answers = plural(len(opinions), "answer")
        return [f"{style.heading('Second opinion:')} {' and '.join(tools)} {verb} ({answers})"]
    lines = [style.heading("Second opinion (the system's tools, beside the library):")]
    for op in opinions if verbose else [op for op in opinions if not op.agrees]:
        lines += _answer_lines(op, verbose)
    if agreed and not verbose:
        lines.append(f"  {plural(len(agreed), 'other answer')} agreed (-v shows them)")
    return lines


def _verdict(outcome: Outcome) -> list[str]:
    o = outcome.options
    counts = outcome.counts()
    lines = [f"Result: {counts['pass']} passed, {plural(counts['warn'], 'warning')}, {counts['fail']} failed."]
    if outcome.report is not None and outcome.report.ok:
        what = "pair" if o.private_key and o.public_key else ("private key" if o.private_key else "public key")
        tail = " (see the warnings)" if counts["warn"] else ""
        lines.append(f"The {what} is ready for Amazon Pay{tail}.")
    else:
        lines.append("Not ready for Amazon Pay: apply the fixes above, then run keygen verify again.")
    return lines


def text(outcome: Outcome, style: Style, verbose: bool = False) -> Text:
    o, r = outcome.options, outcome.report
    if r is None:
        return Text()
    lines = [f"Fixed {m.path}: was {m.was}, now {m.now}; the original is kept as {m.backup}" for m in outcome.fixed]
    lines += [f"Not fixed: {note}" for note in outcome.fix_notes]
    checked = " and ".join(str(p) for p in (o.private_key, o.public_key) if p)
    lines.append(style.heading(f"Checked {checked}:"))
    lines += check_lines(r.checks, style)
    if r.fingerprint:
        lines.append(f"Public key fingerprint: {r.fingerprint}")
    if outcome.opinions:
        lines += opinion_lines(outcome.opinions, style, verbose)
    # Findings that led to an error (a --fix that could not write) go before the error line, on stderr.
    return Text(lines + _verdict(outcome), "out" if outcome.error is None else "err")
