"""The audit log as text, for `keygen audit` and its subcommands.

`audit`: one line per record (and the steps it ran), then the keys by fingerprint. `audit verify`:
the files walked, the chain, the head to write down, the anchor. `audit show`: the record as JSON,
or the replay script byte for byte.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from keygen.audit import log as audit
from keygen.render import Text, dumps, json_printable
from keygen.render.style import Style

if TYPE_CHECKING:
    from keygen.audit.replay import Shown
    from keygen.audit.verify import Verdict
    from keygen.audit.walk import Walk


def _exit(r: dict[str, Any]) -> str:
    code = r.get("exit_code")
    return str(code) if isinstance(code, int) else "?"


def _method(r: dict[str, Any]) -> str:
    """A record's method: a name in older records, an object (as in --json) since."""
    method = r.get("method")
    if isinstance(method, dict):
        return str(method.get("name", "?"))
    return str(method) if method else "?"


def _region(r: dict[str, Any], missing: str) -> str:
    """A record's (or a recorded ID's) region as people write it, `EU`; `missing` when it has none."""
    return str(r["region"]).upper() if r.get("region") else missing


# --- keygen audit ---------------------------------------------------------------------------


def record_lines(r: dict[str, Any]) -> list[str]:
    if r.get("command") == "exchange":
        return [exchange_line(r)]
    if r.get("command") == "confirm":
        return [confirm_line(r)]
    return [_generate_line(r), *_ran_lines(r)]


def _generate_line(r: dict[str, Any]) -> str:
    """One `keygen audit` line for a generate (or any other) record: how it ended, how, where, which key."""
    return (
        f"{r.get('time', '?')}  {r.get('command', '?')}  {r.get('result', '?')} (exit {_exit(r)})  "
        f"{_method(r)}  {r.get('dir', '?')}  {r.get('fingerprint') or '-'}"
    )


def _ran_lines(r: dict[str, Any]) -> list[str]:
    """The documented lines the record's steps ran, on one line (none when it ran none)."""
    steps = "; ".join(s.get("line", "?") for s in r.get("steps", []) if isinstance(s, dict))
    return [f"    ran: {steps}"] if steps else []


def exchange_line(r: dict[str, Any]) -> str:
    """One `keygen audit` line for an exchange record (which key got which Public Key ID)."""
    env = r.get("environment") or "no prefix"
    return (
        f"{r.get('time', '?')}  exchange  {r.get('result', '?')} (exit {_exit(r)})  "
        f"Public Key ID {r.get('public_key_id', '?')} ({env}, region {_region(r, '-')})  {r.get('fingerprint') or '-'}"
    )


def _answer(attempt: dict[str, Any]) -> str:
    """What Amazon Pay answered to one signed request: `404 ResourceNotFound`, or `no answer`."""
    return f"{attempt.get('status') or 'no answer'} {attempt.get('reason_code') or ''}".strip()


def confirm_line(r: dict[str, Any]) -> str:
    """One `keygen audit` line for a confirm record: what Amazon Pay answered for which ID and key."""
    answers = ", ".join(_answer(a) for a in r.get("attempts", []) if isinstance(a, dict))
    return (
        f"{r.get('time', '?')}  confirm  {r.get('result', '?')} (exit {_exit(r)})  "
        f"Public Key ID {r.get('public_key_id', '?')} ({r.get('environment') or '?'}, region {_region(r, '-')})  "
        f"answer {answers or '-'}  {r.get('fingerprint') or '-'}"
    )


def key_lines(keys: list[audit.KeyHistory], now: _dt.datetime, style: Style) -> list[str]:
    lines = [style.heading("Keys by fingerprint:")]
    for k in keys:
        age = k.age_days(now)
        lines += [_key_line(k, age), *_id_lines(k), *_rotation_lines(age, style)]
    return lines


def _key_line(k: audit.KeyHistory, age: float | None) -> str:
    made = "made" if k.created else "first recorded"
    age_text = f"{int(age)} days old" if age is not None else "age unknown"
    return f"  {k.fingerprint}  {made} {k.since or '?'} ({age_text})"


def _id_lines(k: audit.KeyHistory) -> list[str]:
    """The Public Key IDs recorded for the key, or how to record one."""
    if not k.ids:
        return ["    no Public Key ID recorded (keygen exchange --public-key-id ID records one)"]
    return [
        f"    Public Key ID {i.get('public_key_id')} ({i.get('environment') or 'no prefix'}, "
        f"{_region(i, 'region not given')}) recorded {i.get('time')}"
        for i in k.ids
    ]


def _rotation_lines(age: float | None, style: Style) -> list[str]:
    if age is not None and age > audit.ROTATE_AFTER_DAYS:
        return [
            f"    {style.mark('warn')} older than {audit.ROTATE_AFTER_DAYS} days: Amazon Pay recommends rotating "
            "keys; make a new pair, "
            "exchange it, switch the SDKs over, then delete the old key in Integration Central"
        ]
    return []


def text(listing: audit.Listing, style: Style, verbose: bool = False) -> Text:
    if listing.path_only:
        return Text([str(listing.path)])
    if listing.each is not None:  # the whole log: each record's lines written as it is read
        return Text(more=_streamed_lines(listing, style))
    if not listing.records:
        return Text([f"No records in {listing.path}."])
    lines = [line for r in listing.records for line in record_lines(r)]
    if listing.keys:
        lines += key_lines(listing.keys, listing.now, style)
    return Text(lines)


def _streamed_lines(listing: audit.Listing, style: Style) -> Iterator[str]:
    assert listing.each is not None
    for r in listing.each():
        yield from record_lines(r)
    if listing.keys:
        yield from key_lines(listing.keys, listing.now, style)


# --- keygen audit verify --------------------------------------------------------------------


def verify_text(verdict: Verdict, style: Style, verbose: bool = False) -> Text:
    walk = verdict.walk
    if walk is None:
        return Text()
    lines = [style.heading(f"Audit log {verdict.path}{_files_note(verdict)}")]
    lines += _chain_lines(walk) + _head_lines(walk)
    lines += [f"  not rotation's, not read: {p}" for p in verdict.strays]
    if verdict.anchor_line is not None:
        a = verdict.anchor_line
        lines.append(f"Anchor sha256:{verdict.anchor}: found, record {a.seq} ({a.where()})")
    return Text(lines)


def _files_note(verdict: Verdict) -> str:
    """The rotated files walked, when there are several (a single file is the path itself)."""
    if len(verdict.files) <= 1:
        return ""
    return f" ({len(verdict.files)} files: {', '.join(f.name for f in verdict.files)})"


def _chain_lines(walk: Walk) -> list[str]:
    """What the walk found: the lines from before the chain, then the chained records."""
    if not walk.chained and not walk.unchained and walk.brk is None:
        return ["  no records: nothing to verify"]
    lines = []
    if walk.unchained:
        vouched = " (vouched for by its first record)" if walk.chained else ""
        lines.append(
            f"  {walk.unchained} line(s) from keygen 0.1.0 before the chain began{vouched}: unchained, not checked"
        )
    if walk.chained:
        whole = "up to the break" if walk.brk else "whole"
        lines.append(f"  {walk.chained} chained record(s), {whole}, from record 1 (log ID {walk.log_id})")
    return lines


def _head_lines(walk: Walk) -> list[str]:
    """The head of an unbroken chain, and why to write its hash down elsewhere."""
    if walk.head is None or walk.brk is not None:
        return []
    return [
        f"Head: record {walk.head.seq} sha256:{walk.head.digest} ({walk.head.where()})",
        "  keep this hash somewhere else (a ticket, a commit, a notebook); later, "
        f"`keygen audit verify --anchor sha256:{walk.head.digest}` proves the log still holds this record",
    ]


# --- keygen audit show ----------------------------------------------------------------------


def show_text(shown: Shown, style: Style, verbose: bool = False) -> Text:
    if shown.error is not None:
        return Text()  # the error line says it; stdout stays empty for a script that would be piped
    if shown.script is not None:
        # Exact bytes: a cmd script's CRLF must not become CR CR LF in Windows' text-mode stdout.
        return Text(raw=shown.script.encode("ascii", "replace"))
    if shown.record is not None:
        return Text(json_printable(dumps(shown.record)).split("\n"))
    return Text()
