"""`keygen confirm` as text, and the SDK configuration blocks (also printed by `exchange --sdk`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keygen.amazon_pay.sdk_config import NAMES, PACKAGES, Block
from keygen.render import Text, reporting
from keygen.render.lifecycle import after_confirm
from keygen.render.style import Style

if TYPE_CHECKING:
    from keygen.amazon_pay.diagnosis import Diagnosis
    from keygen.commands.confirm.outcome import Attempt, Outcome


def sdk_lines(blocks: list[Block]) -> list[str]:
    lines: list[str] = []
    for b in blocks:
        lines += ["", f"{NAMES[b.sdk]} SDK ({PACKAGES[b.sdk]}):", "", *b.text.split("\n"), ""]
        lines += [f"  note: {n}" for n in b.notes]
    return lines


def _facts(outcome: Outcome) -> list[str]:
    o = outcome.options
    lines = [
        f"  Public Key ID  {outcome.public_key_id} (from {outcome.id_source})",
        f"  Private key    {o.private_key}  {outcome.fingerprint}",
        f"  Region         {outcome.region} (from {outcome.region_source})",
        f"  Environment    {outcome.environment} (from {outcome.environment_source})",
        f"  Request        GET {outcome.endpoint}{outcome.path}",
    ]
    if outcome.proxy:
        lines.append(f"  Proxy          {outcome.proxy} (from the environment)")
    return lines


def _answers(outcome: Outcome) -> list[str]:
    lines = ["Answer:", *(line for a in outcome.attempts for line in _attempt_lines(a))]
    if outcome.confirmed:
        lines.append("  (the lookup of a checkout session that cannot exist: 'not found' means the signature passed)")
    return lines


def _attempt_lines(a: Attempt) -> list[str]:
    """One signed request: its status, reasonCode and verdict, then what else the answer tells."""
    if a.status is None:
        return [f"  {a.algorithm}: no answer"]
    verdict = "signature accepted" if a.accepted else a.verdict
    return [f"  {a.algorithm}: {a.status} {a.reason_code or '(no reasonCode)'}  {verdict}", *_attempt_notes(a)]


def _attempt_notes(a: Attempt) -> list[str]:
    """The service's message for a refused signature, and this machine's clock when it is far off."""
    notes = []
    if a.message and not a.accepted:
        notes.append(f"    message: {a.message}")
    if a.skew_s is not None and abs(a.skew_s) > 60:
        notes.append(f"    clock: this machine is {a.skew_s:+.0f} s off the service's Date header")
    return notes


def _head(outcome: Outcome) -> str:
    if not outcome.confirmed:
        return "Not confirmed."
    return (
        f"Confirmed: Amazon Pay accepted the signature. {outcome.public_key_id} and this private key work "
        f"together in {outcome.region.upper() if outcome.region else '?'} {outcome.environment}."
    )


def _diagnosis_lines(diagnosis: Diagnosis | None) -> list[str]:
    if diagnosis is None:
        return []
    lines = ["", f"Diagnosis: {diagnosis.summary}", "Likely causes, most likely first:"]
    for n, cause in enumerate(diagnosis.causes, 1):
        lines += [f"  {n}. {cause.why}", f"     fix: {cause.fix}"]
    return lines


def text(outcome: Outcome, style: Style, verbose: bool = False) -> Text:
    """The facts and answers (nothing when nothing was sent: the error line says it)."""
    if outcome.endpoint is None:
        return Text()
    lines = [style.heading(_head(outcome)), *_facts(outcome), *_answers(outcome), *_diagnosis_lines(outcome.diagnosis)]
    if outcome.audit_path:
        lines.append(f"Recorded in {outcome.audit_path}.")
    return reporting(lines + sdk_lines(outcome.sdk_blocks) + after_confirm(outcome), outcome.error)
