"""`keygen exchange` as text: the key ready to paste, the Integration Central steps, the ID recorded."""

from __future__ import annotations

from pathlib import Path

from keygen import recipes
from keygen.commands.exchange import Outcome
from keygen.keys.advice import quote
from keygen.render import Text
from keygen.render.common import check_lines, next_steps
from keygen.render.confirm import sdk_lines
from keygen.render.style import Style


def _record_line(outcome: Outcome) -> str | None:
    o, r = outcome.options, outcome.report
    assert r is not None
    if outcome.public_key_id and outcome.audit_path:
        env = outcome.environment or "no environment prefix"
        return f"Recorded in {outcome.audit_path}: {r.fingerprint} has Public Key ID {outcome.public_key_id} ({env})."
    if not outcome.public_key_id:
        args = "" if o.public_key == Path(recipes.PUBLIC_KEY) else f" --public-key {quote(str(o.public_key))}"
        args += f" --region {o.region}" if o.region else ""
        return f"Then record the ID it shows (in the audit log): keygen exchange{args} --public-key-id ID"
    return None


def text(outcome: Outcome, style: Style, verbose: bool = False) -> Text:
    o, r = outcome.options, outcome.report
    if r is None:
        return Text()
    if outcome.pem is None:
        return Text([f"Checked {o.public_key}:", *check_lines(r.checks, style)], "err")
    lines = [f"{o.public_key} is ready: {r.fingerprint}"]
    lines += check_lines([c for c in r.checks if c.status != "pass"], style)
    lines += ["", style.heading("Paste this (the whole block, both marker lines included):"), ""]
    lines += [outcome.pem.rstrip("\n"), ""]
    lines += next_steps(o.region, style, str(o.public_key))
    if outcome.opened:
        lines.append(f"Opened {outcome.opened} in the browser.")
    record = _record_line(outcome)
    if record:
        lines.append(record)
    if outcome.sdk_blocks:
        lines += sdk_lines(outcome.sdk_blocks)
    return Text(lines, "out" if outcome.error is None else "err")
