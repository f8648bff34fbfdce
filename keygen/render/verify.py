"""`keygen verify` as text: each finding with its fix, the fingerprint, the second opinion, the verdict."""

from __future__ import annotations

import shlex

from keygen.commands.verify import Options, Outcome
from keygen.keys.checks import Report
from keygen.keys.opinion import Opinion
from keygen.render import Text, reporting
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
    if verbose:
        return _answer_block(opinions, style, verbose) + _answered_by(opinions)
    disagreed = [op for op in opinions if not op.agrees]
    if not disagreed:
        return [_agreement_line(opinions, style), *_answered_by(opinions)]
    lines = _answer_block(disagreed, style, verbose)
    agreed = len(opinions) - len(disagreed)
    if agreed:
        lines.append(f"  {plural(agreed, 'other answer')} agreed (-v shows them)")
    return lines + _answered_by(opinions)


def _answered_by(opinions: list[Opinion]) -> list[str]:
    """Which programs answered, each once: its path, flavour and version."""
    tools = {op.tool: op.answered_by for op in opinions if op.answered_by is not None}
    named = [f"{name} {tool.path} ({tool.version_label})" for name, tool in tools.items() if tool is not None]
    return [f"  answered by: {', '.join(named)}"] if named else []


def _agreement_line(opinions: list[Opinion], style: Style) -> str:
    tools = sorted({op.tool for op in opinions})
    verb = "agrees" if len(tools) == 1 else "agree"
    return f"{style.heading('Second opinion:')} {' and '.join(tools)} {verb} ({plural(len(opinions), 'answer')})"


def _answer_block(shown: list[Opinion], style: Style, verbose: bool) -> list[str]:
    lines = [style.heading("Second opinion (the system's tools, beside the library):")]
    for op in shown:
        lines += _answer_lines(op, verbose)
    return lines


def _what(o: Options) -> str:
    """What was checked: the pair, or the one key given."""
    if o.private_key and o.public_key:
        return "pair"
    return "private key" if o.private_key else "public key"


def _verdict(outcome: Outcome) -> list[str]:
    counts = outcome.counts()
    lines = [f"Result: {counts['pass']} passed, {plural(counts['warn'], 'warning')}, {counts['fail']} failed."]
    if outcome.report is not None and outcome.report.ok:
        tail = " (see the warnings)" if counts["warn"] else ""
        lines.append(f"The {_what(outcome.options)} is ready for Amazon Pay{tail}.")
    else:
        lines.append("Not ready for Amazon Pay: apply the fixes above, then run keygen verify again.")
    return lines


def _fix_lines(outcome: Outcome) -> list[str]:
    """What --fix did, and what it could not do."""
    lines = [f"Fixed {m.path}: was {m.was}, now {m.now}; the original is kept as {m.backup}" for m in outcome.fixed]
    return lines + [f"Not fixed: {note}" for note in outcome.fix_notes]


def _checked_lines(outcome: Outcome, report: Report, style: Style) -> list[str]:
    o = outcome.options
    checked = " and ".join(str(p) for p in (o.private_key, o.public_key) if p)
    lines = [style.heading(f"Checked {checked}:"), *check_lines(report.checks, style)]
    if report.fingerprint:
        lines.append(f"Public key fingerprint: {report.fingerprint}")
    return lines


def text(outcome: Outcome, style: Style, verbose: bool = False) -> Text:
    r = outcome.report
    if r is None:
        return Text()
    lines = _fix_lines(outcome) + _checked_lines(outcome, r, style)
    if outcome.opinions:
        lines += opinion_lines(outcome.opinions, style, verbose)
    # Findings that led to an error (a --fix that could not write) go before the error line, on stderr.
    return reporting(lines + _verdict(outcome), outcome.error)
