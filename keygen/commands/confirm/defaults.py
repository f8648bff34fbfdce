"""Where `keygen confirm` takes the Public Key ID, its region and its environment from: the options,
the ID's SANDBOX-/LIVE- prefix (which decides, as in the SDKs), else what `exchange` recorded for
this key in the audit log. Each value remembers its source, so the output can say it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keygen import amazon_pay
from keygen.amazon_pay import signing
from keygen.audit import log as audit
from keygen.commands.exchange import ID_HINT, parse_id
from keygen.errors import KeygenError, UsageError

if TYPE_CHECKING:
    from keygen.commands.confirm.outcome import Outcome


def _exchange_records(log: Path, outcome: Outcome) -> list[dict[str, Any]]:
    try:
        records, _ = audit.read_if_there(log)
    except KeygenError as exc:
        outcome.warnings.append(f"{exc.message}: the ID must come from --public-key-id")
        return []
    return [r for r in records if r.get("command") == "exchange" and r.get("public_key_id")]


def resolve_id(outcome: Outcome, environ: Mapping[str, str]) -> str | None:
    """Fill in the ID and region; return the environment exchange recorded with it, if any."""
    log = audit.resolve(outcome.options.audit_log, environ)
    records = _exchange_records(log, outcome)
    recorded = _pick_id(outcome, records, log)
    _pick_region(outcome, recorded)
    _note_other_keys(outcome, records)
    env = recorded.get("environment") if recorded else None
    return env if env in ("sandbox", "live") else None


def _pick_id(outcome: Outcome, records: list[dict[str, Any]], log: Path) -> dict[str, Any] | None:
    """The ID (given, or the last one exchange recorded for this key) and its latest exchange record."""
    given = outcome.options.public_key_id
    if given is None:
        return _recorded_id(outcome, records, log)
    outcome.public_key_id = parse_id(given)[1]
    outcome.id_source = "--public-key-id"
    # Its region and environment as exchange recorded them, for this key or (a wrong key file?) another.
    same = _for_id(records, outcome.public_key_id)
    match = _for_key(same, outcome.fingerprint) or same
    return match[-1] if match else None


def _recorded_id(outcome: Outcome, records: list[dict[str, Any]], log: Path) -> dict[str, Any]:
    mine = _for_key(records, outcome.fingerprint)
    if not mine:
        raise UsageError(
            f"no Public Key ID is recorded for {outcome.options.private_key} ({outcome.fingerprint}) in {log}",
            "pass --public-key-id ID, or record it first: keygen exchange --region REGION --public-key-id ID",
        )
    recorded = mine[-1]["public_key_id"]
    # A hand-edited log is input like any other: the ID must be one that could have been typed.
    outcome.public_key_id = _as_typed(recorded, log)
    when = mine[-1].get("time")
    when = when if isinstance(when, str) and _TIME.fullmatch(when) else ""
    outcome.id_source = f"the audit log ({log}), recorded by exchange {when}".rstrip()
    return mine[-1]


#: The form of a record's time (audit.timestamp): anything else is not shown.
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _as_typed(recorded: object, log: Path) -> str:
    """The ID an exchange record holds, checked as `--public-key-id` is: exactly a Public Key ID
    (no space, no newline, nothing around it), else a usage error that names the log."""
    if isinstance(recorded, str):
        parsed = amazon_pay.parse_public_key_id(recorded)
        if parsed is not None and parsed[1] == recorded:
            return recorded
    shown = repr(recorded) if len(repr(recorded)) <= 60 else repr(recorded)[:57] + "..."
    raise UsageError(
        f"the audit log {log} records {shown} for this key, which is not a Public Key ID",
        f"pass --public-key-id ID; {ID_HINT}",
    )


def _for_id(records: list[dict[str, Any]], public_key_id: str | None) -> list[dict[str, Any]]:
    return [r for r in records if r.get("public_key_id") == public_key_id]


def _for_key(records: list[dict[str, Any]], fingerprint: str | None) -> list[dict[str, Any]]:
    return [r for r in records if r.get("fingerprint") == fingerprint]


def _pick_region(outcome: Outcome, recorded: dict[str, Any] | None) -> None:
    region = recorded.get("region") if recorded else None
    if outcome.options.region:
        outcome.region, outcome.region_source = outcome.options.region, "--region"
    elif isinstance(region, str) and region in signing.API_HOSTS:
        outcome.region, outcome.region_source = region, "the audit log"
    else:
        raise UsageError(
            f"which region is {outcome.public_key_id} from? The audit log does not say",
            "add --region us, eu or jp (the Integration Central the ID came from)",
        )


#: A fingerprint as keygen writes it (keys.checks.shown_fingerprint): a record's other text is not one.
_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def _note_other_keys(outcome: Outcome, records: list[dict[str, Any]]) -> None:
    """Warn when the log gives this ID to another key: the commonest cause of a refused signature."""
    recorded = (str(r.get("fingerprint")) for r in _for_id(records, outcome.public_key_id))
    same_id = {f for f in recorded if _FINGERPRINT.fullmatch(f)}
    outcome.other_keys = sorted(same_id - {str(outcome.fingerprint)})
    if outcome.other_keys:
        outcome.warnings.append(
            f"the audit log records {outcome.public_key_id} for another key ({', '.join(outcome.other_keys)}), "
            f"not for {outcome.options.private_key} ({outcome.fingerprint})"
        )


def resolve_environment(outcome: Outcome, recorded: str | None) -> None:
    o = outcome.options
    assert outcome.public_key_id is not None
    prefix = parse_id(outcome.public_key_id)[0]
    if prefix:
        outcome.environment, outcome.environment_source = prefix, "the ID's prefix"
        _note_ignored_environment(outcome, prefix)
    elif o.environment:
        outcome.environment, outcome.environment_source = o.environment, f"--{o.environment}"
    elif recorded:
        outcome.environment, outcome.environment_source = recorded, "the audit log"
    else:
        raise UsageError(
            f"{outcome.public_key_id} has no SANDBOX- or LIVE- prefix: which environment?",
            "add --sandbox or --live (the SDKs' sandbox setting)",
        )


def _note_ignored_environment(outcome: Outcome, prefix: str) -> None:
    """--sandbox or --live against the ID's prefix: the prefix decides, as in the SDKs."""
    given = outcome.options.environment
    if given and given != prefix:
        outcome.warnings.append(
            f"--{given} ignored: {outcome.public_key_id} is a {prefix} ID (its prefix decides, as in the SDKs)"
        )
