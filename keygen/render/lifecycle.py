"""A key's life as text: the next command after exchange and confirm, `keys`, `rotate`, `retire`.

Each step of the journey ends with the exact next command, quoted for the user's shell; a step
with nothing left to do says so in one line.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keygen import amazon_pay, recipes
from keygen.host.platforms import SDKS
from keygen.keys.advice import quote
from keygen.render import Text, reporting
from keygen.render.common import next_steps, record_command
from keygen.render.style import Style

if TYPE_CHECKING:
    from keygen.commands import exchange
    from keygen.commands.confirm.outcome import Outcome as Confirmed
    from keygen.commands.keys import Key, Listing
    from keygen.commands.rotate import Retirement, Rotation


def confirm_command(private_key: Path, region: str | None) -> str:
    """`keygen confirm`, naming the private key unless it is the default one, and the region when
    the log will not know it."""
    args = "" if private_key == Path(recipes.PRIVATE_KEY) else f" --private-key {quote(str(private_key))}"
    return f"keygen confirm{args}" + ("" if region else " --region REGION")


def after_exchange(outcome: exchange.Outcome) -> list[str]:
    """exchange recorded the ID: next, the proof that the pair and the ID work together."""
    o = outcome.options
    private = o.private_key or o.public_key.parent / recipes.PRIVATE_KEY
    return [
        f"Next: prove that {private} and {outcome.public_key_id} work together (one signed read-only request): "
        + confirm_command(private, o.region)
    ]


def after_confirm(outcome: Confirmed) -> list[str]:
    if not outcome.confirmed:
        return []
    if outcome.sdk_blocks:
        return ["Nothing left to do: confirmed and configured. Rotate it within 90 days: keygen rotate"]
    sdk = f"{confirm_command(outcome.options.private_key, outcome.region)} --sdk {SDKS[0]}"
    return [f"Next: your SDK's configuration (--sdk {', '.join(SDKS[:-1])} or {SDKS[-1]}): {sdk}"]


# --- keygen keys --------------------------------------------------------------------------------

COLUMNS = ("state", "Public Key ID", "region", "env", "name", "made", "confirmed", "age", "fingerprint")


def _safe(text: str) -> str:
    """A value from the log as it may be shown: a hand-edited control character is escaped, never sent."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _shown(key: Key | None) -> Key | None:
    """The key with every text field safe to print."""
    if key is None:
        return None
    changes: dict[str, Any] = {f: _safe(v) for f, v in vars(key).items() if isinstance(v, str)}
    return dataclasses.replace(key, **changes)


def _cells(k: Key) -> tuple[str, ...]:
    age = "" if k.age_days is None else f"{k.age_days:g} d"
    return (k.state, k.public_key_id or "-", k.region or "-", k.environment or "-", k.name or "-",
            (k.created or "-")[:10], (k.last_confirmed or "never")[:10], age, k.fingerprint)


def keys_text(listing: Listing, style: Style, verbose: bool = False) -> Text:
    if listing.audit_log is None:
        return Text()
    if not listing.keys:
        return Text([f"No keys in {listing.audit_log} yet: keygen generate makes one."])
    shown = [k for k in map(_shown, listing.keys) if k is not None]
    rows = [COLUMNS, *(_cells(k) for k in shown)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines[0] = style.heading(lines[0])
    lines += [f"  {k.fingerprint}: {k.private_key}" for k in shown if k.private_key and verbose]
    lines.append(f"From {listing.audit_log}; due = in use for more than {listing.max_age_days:g} days.")
    return Text(lines)  # also when keys are due (exit 13): the table is the answer, on standard output


# --- keygen rotate ------------------------------------------------------------------------------


def _made_lines(rotation: Rotation) -> list[str]:
    g = rotation.generated
    if g is None or g.published is None:
        return []
    return [f"New pair made in {_safe(str(rotation.new_dir))} by the documented commands: {g.fingerprint}",
            *(f"  $ {s.line}" for s in g.steps)]


def _exchange_step(old: Key, new_dir: Path, style: Style) -> list[str]:
    public = new_dir / recipes.PUBLIC_KEY
    return [*next_steps(old.region, style, str(public)),
            f"Then record the new ID: {record_command(public, old.region)}",
            "Then run keygen rotate again."]


def _switch_step(old: Key, new: Key, style: Style) -> list[str]:
    rows = [("", "old", "new"), ("Public Key ID", str(old.public_key_id), str(new.public_key_id)),
            ("private key", str(old.private_key), str(new.private_key))]
    w0, w1 = (max(len(r[i]) for r in rows) for i in (0, 1))
    return [
        style.heading("Put the new key into your integration (the SDK settings that change):"),
        *(f"  {a.ljust(w0)}  {b.ljust(w1)}  {c}" for a, b, c in rows),
        "Deploy it and check that payments work. Then delete the old key in Integration Central",
        "(this cannot be undone: every service still using it stops working):",
        *_delete_steps(old),
        f"Then record it: keygen retire {old.public_key_id}",
    ]


def _delete_steps(old: Key) -> list[str]:
    urls = [f"  {r.code.upper()}: {r.integration_central}" for r in amazon_pay.regions(old.region)]
    return [*urls,
            '  1. "Self-developed", "Get instructions", then "API keys".',
            f"  2. Find the key named {old.name or '(its name)'} or with ID {old.public_key_id}; click \"Manage\".",
            '  3. "Delete keys", type DELETE, and click "Delete keys".']


def _step_lines(step: str | None, old: Key, new: Key | None, new_dir: Path | None, style: Style) -> list[str]:
    if step == "exchange" and new_dir is not None:
        return _exchange_step(old, new_dir, style)
    if step == "confirm" and new is not None and new.private_key is not None:
        return [f"New key {new.public_key_id} recorded. Next: {confirm_command(new.private_key, new.region)}",
                "Then run keygen rotate again."]
    if step == "switch" and new is not None:
        return _switch_step(old, new, style)
    return []


def rotate_text(rotation: Rotation, style: Style, verbose: bool = False) -> Text:
    old, new, step = _shown(rotation.old), _shown(rotation.new), rotation.step
    if old is None:
        return Text()
    if step == "done":
        successor = new.public_key_id if new else "its successor"
        return Text([f"Nothing left to do: {old.public_key_id} is retired and {successor} is in use."])
    lines = [f"Rotating {old.public_key_id} ({old.state}, {old.age_days:g} days old, {old.fingerprint})"
             if old.age_days is not None else f"Rotating {old.public_key_id} ({old.state})"]
    lines += _made_lines(rotation) + _step_lines(step, old, new, rotation.new_dir, style)
    return reporting(lines, rotation.error)


def retire_text(done: Retirement, style: Style, verbose: bool = False) -> Text:
    if done.key is None or done.error is not None:
        return Text()
    if done.already:
        return Text([f"Nothing left to do: {done.public_key_id} is already retired."])
    lines = [f"Recorded: {done.public_key_id} ({done.key.fingerprint}) deleted in Integration Central."]
    lines += [f"  moved {a} to {b}" for a, b in done.moved]
    if done.audit_path:
        lines.append(f"Recorded in {done.audit_path}.")
    return reporting(lines, done.error)
