"""Wording shared by several commands' text: check lines, the exchange steps and its command, counts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from keygen import amazon_pay, recipes
from keygen.host import host_name
from keygen.keys.advice import quote
from keygen.render.style import Style
from keygen.result import utc_timestamp

if TYPE_CHECKING:
    from keygen.keys.checks import Check


def plural(count: int, word: str, plural_form: str = "") -> str:
    """`1 warning`, `2 warnings`: never "1 warnings"."""
    return f"{count} {word if count == 1 else (plural_form or word + 's')}"


def check_lines(checks: Iterable[Check], style: Style, indent: str = "  ") -> list[str]:
    lines = []
    for c in checks:
        lines.append(f"{indent}{style.mark(c.status)} {c.name}: {c.summary}")
        if c.fix and c.status != "pass":
            lines.append(f"{indent}     fix: {c.fix}")
    return lines


def suggested_name() -> str:
    """A name for the keys in Integration Central: this machine and today (the user may say more)."""
    host = re.sub(r"[^A-Za-z0-9]+", "-", host_name()).strip("-")[:40] or "keys"
    return f"{host}-{utc_timestamp()[:10]}"


def next_steps(region: str | None, style: Style, public_key: str = "publicKey.pub") -> list[str]:
    """The exchange for a Public Key ID, in our words (the steps follow Integration Central's labels).

    `public_key` is the file as the user named it (exchange) or as generate wrote it."""
    lines = [style.heading(f"Next: trade {public_key} for a Public Key ID in Amazon Pay Integration Central.")]
    for r in amazon_pay.regions(region):
        lines.append(f"  {r.code.upper()} ({r.name}): {r.integration_central}")
    lines += [
        '  1. Sign in, choose the "Self-developed" integration, keep the default payment type',
        '     ("One-time Payments, Single Authorization") and click "Get instructions".',
        '  2. In "API keys", click "Create keys" and pick "Use an existing public key to create',
        '     API credentials".',
        f"  3. Give the keys a name that says who uses them and for what (say {suggested_name()}), paste {public_key},",
        '     and click "Create keys". Integration Central shows the Public Key ID.',
        f"  Upload only {public_key}: Integration Central reads the public key. The private key stays with",
        "  you (the SDKs read it): keep it secret and backed up.",
    ]
    return lines


def record_command(public_key: Path, region: str | None, name: str | None = None) -> str:
    """The `keygen exchange` line that records the Public Key ID Integration Central shows.

    The public key is named unless it is the default file; quoted for the shell it will be typed
    into (cmd and PowerShell take no POSIX single quotes). The region is always named (confirm needs
    it): REGION when it is not known yet, for the user to replace with us, eu or jp; the name is the
    one suggested in the Integration Central steps."""
    args = "" if public_key == Path(recipes.PUBLIC_KEY) else f" --public-key {quote(str(public_key))}"
    args += f" --name {quote(name or suggested_name())}"
    return f"keygen exchange{args} --region {region or 'REGION'} --public-key-id ID"


def region_note(region: str | None) -> str:
    """What REGION stands for in the record command, when the region is not known yet."""
    return "" if region else " (REGION is us, eu or jp, the Integration Central you used)"
