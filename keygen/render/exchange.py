"""`keygen exchange` as text: the key ready to paste, the Integration Central steps, the ID recorded."""

from __future__ import annotations

from keygen.commands.exchange import Outcome
from keygen.keys.checks import Report
from keygen.render import Text, reporting
from keygen.render.common import check_lines, next_steps, record_command, region_note
from keygen.render.confirm import sdk_lines
from keygen.render.lifecycle import after_exchange
from keygen.render.style import Style


def _record_lines(outcome: Outcome, fingerprint: str | None) -> list[str]:
    """The ID recorded in the audit log, or the command that records it; nothing when an ID was given
    but no record written."""
    o = outcome.options
    if not outcome.public_key_id:
        note = region_note(o.region)
        return [f"Then record the ID it shows (in the audit log){note}: {record_command(o.public_key, o.region)}"]
    if not outcome.audit_path:
        return []
    env = outcome.environment or "no environment prefix"
    named = f", named {o.name}" if o.name else ""
    key_id = outcome.public_key_id
    return [f"Recorded in {outcome.audit_path}: {fingerprint} has Public Key ID {key_id} ({env}{named})."]


def _paste_lines(outcome: Outcome, report: Report, pem: str, style: Style) -> list[str]:
    """The key is ready (with any warnings), and the block to paste into Integration Central."""
    return [
        f"{outcome.options.public_key} is ready: {report.fingerprint}",
        *check_lines([c for c in report.checks if c.status != "pass"], style),
        "",
        style.heading("Paste this (the whole block, both marker lines included):"),
        "",
        *pem.rstrip("\n").split("\n"),
        "",
    ]


def text(outcome: Outcome, style: Style, verbose: bool = False) -> Text:
    o, r = outcome.options, outcome.report
    if r is None:
        return Text()
    if outcome.pem is None:
        return Text([f"Checked {o.public_key}:", *check_lines(r.checks, style)], "err")
    if outcome.public_key_id and outcome.audit_path:
        # The ID is recorded: the paste is behind the user; what is left is the proof.
        lines = [f"{o.public_key} is ready: {r.fingerprint}", *_record_lines(outcome, r.fingerprint)]
        return reporting(lines + sdk_lines(outcome.sdk_blocks) + after_exchange(outcome), outcome.error)
    lines = _paste_lines(outcome, r, outcome.pem, style) + next_steps(o.region, style, str(o.public_key))
    if outcome.opened:
        lines.append(f"Opened {outcome.opened} in the browser.")
    lines += _record_lines(outcome, r.fingerprint) + sdk_lines(outcome.sdk_blocks)
    return reporting(lines, outcome.error)
