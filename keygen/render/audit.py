"""`keygen audit` as text: one line per record (and the steps it ran), then the keys by fingerprint."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from keygen.audit import log as audit
from keygen.render import Text
from keygen.render.style import Style


def _exit(r: dict[str, Any]) -> str:
    code = r.get("exit_code")
    return str(code) if isinstance(code, int) else "?"


def _method(r: dict[str, Any]) -> str:
    """A record's method: a name in older records, an object (as in --json) since."""
    method = r.get("method")
    if isinstance(method, dict):
        return str(method.get("name", "?"))
    return str(method) if method else "?"


def record_lines(r: dict[str, Any]) -> list[str]:
    if r.get("command") == "exchange":
        return [exchange_line(r)]
    if r.get("command") == "confirm":
        return [confirm_line(r)]
    lines = [
        f"{r.get('time', '?')}  {r.get('command', '?')}  {r.get('result', '?')} (exit {_exit(r)})  "
        f"{_method(r)}  {r.get('dir', '?')}  {r.get('fingerprint') or '-'}"
    ]
    steps = "; ".join(s.get("line", "?") for s in r.get("steps", []) if isinstance(s, dict))
    if steps:
        lines.append(f"    ran: {steps}")
    return lines


def key_lines(keys: list[audit.KeyHistory], now: _dt.datetime, style: Style) -> list[str]:
    lines = [style.heading("Keys by fingerprint:")]
    for k in keys:
        age = k.age_days(now)
        made = "made" if k.created else "first recorded"
        age_text = f"{int(age)} days old" if age is not None else "age unknown"
        lines.append(f"  {k.fingerprint}  {made} {k.since or '?'} ({age_text})")
        for i in k.ids:
            env = i.get("environment") or "no prefix"
            region = str(i["region"]).upper() if i.get("region") else "region not given"
            lines.append(f"    Public Key ID {i.get('public_key_id')} ({env}, {region}) recorded {i.get('time')}")
        if not k.ids:
            lines.append("    no Public Key ID recorded (keygen exchange --public-key-id ID records one)")
        if age is not None and age > audit.ROTATE_AFTER_DAYS:
            lines.append(
                f"    {style.mark('warn')} older than {audit.ROTATE_AFTER_DAYS} days: Amazon Pay recommends rotating "
                "keys; make a new pair, "
                "exchange it, switch the SDKs over, then delete the old key in Integration Central"
            )
    return lines


def exchange_line(r: dict[str, Any]) -> str:
    """One `keygen audit` line for an exchange record (which key got which Public Key ID)."""
    env = r.get("environment") or "no prefix"
    region = str(r["region"]).upper() if r.get("region") else "-"
    return (
        f"{r.get('time', '?')}  exchange  {r.get('result', '?')} (exit {_exit(r)})  "
        f"Public Key ID {r.get('public_key_id', '?')} ({env}, region {region})  {r.get('fingerprint') or '-'}"
    )


def confirm_line(r: dict[str, Any]) -> str:
    """One `keygen audit` line for a confirm record: what Amazon Pay answered for which ID and key."""
    answers = ", ".join(
        f"{a.get('status') or 'no answer'} {a.get('reason_code') or ''}".strip()
        for a in r.get("attempts", [])
        if isinstance(a, dict)
    )
    region = str(r["region"]).upper() if r.get("region") else "-"
    return (
        f"{r.get('time', '?')}  confirm  {r.get('result', '?')} (exit {_exit(r)})  "
        f"Public Key ID {r.get('public_key_id', '?')} ({r.get('environment') or '?'}, region {region})  "
        f"answer {answers or '-'}  {r.get('fingerprint') or '-'}"
    )


def text(listing: audit.Listing, style: Style, verbose: bool = False) -> Text:
    if listing.path_only:
        return Text([str(listing.path)])
    if not listing.records:
        return Text([f"No records in {listing.path}."])
    lines = [line for r in listing.records for line in record_lines(r)]
    if listing.keys:
        lines += key_lines(listing.keys, listing.now, style)
    return Text(lines)
