"""What a refused `keygen confirm` request most likely means, and the fix for each cause.

The reason codes and what causes them come from Amazon Pay's error table and from reports in the
SDKs' issue trackers, not from a live call made while building keygen: the causes are ranked by how
often those reports name them, and the raw status and reasonCode are always shown beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keygen.recipes import quoting

#: A clock further off than this is named first: signed dates are checked against the service's
#: clock (the exact window is not published; AWS-style services allow 5 to 15 minutes).
SKEW_LIMIT_S = 300

REGIONS = ("us", "eu", "jp")


@dataclass(frozen=True)
class Cause:
    why: str
    fix: str


@dataclass(frozen=True)
class Context:
    """What keygen knew when it sent the request."""

    private_key: str
    fingerprint: str
    public_key_id: str
    region: str
    environment: str
    #: The environment came from the ID's SANDBOX-/LIVE- prefix (then no flag can change it).
    from_prefix: bool
    #: Other keys the audit log records this ID for.
    other_fingerprints: tuple[str, ...] = ()
    skew_s: float | None = None


@dataclass(frozen=True)
class Diagnosis:
    summary: str
    causes: list[Cause] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"summary": self.summary, "causes": [{"why": c.why, "fix": c.fix} for c in self.causes]}


def _clock(ctx: Context) -> Cause | None:
    if ctx.skew_s is None or abs(ctx.skew_s) <= SKEW_LIMIT_S:
        return None
    direction = "ahead of" if ctx.skew_s > 0 else "behind"
    minutes = abs(ctx.skew_s) / 60
    return Cause(
        f"this machine's clock is {minutes:.0f} minutes {direction} the service's (its Date header): "
        "x-amz-pay-date is signed, and a date that far off is refused",
        "set the clock right and keep it synced (`timedatectl set-ntp true` on Linux, "
        "`w32tm /resync` on Windows, Date & Time settings on macOS), then confirm again",
    )


def _key(ctx: Context) -> Cause:
    owners = ", ".join(ctx.other_fingerprints)
    seen = f"; the audit log records this ID for {owners}" if owners else ""
    return Cause(
        f"the private key is not the one whose public key was exchanged for {ctx.public_key_id}: "
        f"{ctx.private_key} is {ctx.fingerprint}{seen}",
        "compare fingerprints: `keygen audit` lists each key with its Public Key IDs, and "
        f"`{quoting.keygen_verify(ctx.private_key, None, quoting.current_shell())}` prints this key's; use the "
        "private key of the pair you uploaded, or exchange this pair's public key for a new ID",
    )


def _region(ctx: Context) -> Cause:
    others = [r for r in REGIONS if r != ctx.region]
    return Cause(
        f"the ID belongs to another region than {ctx.region} (each region's Integration Central issues its own IDs)",
        "try the others: " + ", ".join(f"`keygen confirm --region {r}`" for r in others),
    )


def _environment(ctx: Context) -> Cause:
    if ctx.from_prefix:
        other = "LIVE-" if ctx.environment == "sandbox" else "SANDBOX-"
        return Cause(
            f"the ID is {ctx.environment}-only (its prefix decides); keys for {ctx.environment} and the other "
            "environment are separate",
            f"if you meant the other environment, exchange the key for a {other} ID in Integration Central",
        )
    other = "live" if ctx.environment == "sandbox" else "sandbox"
    return Cause(
        f"the ID has no environment prefix and was tried against {ctx.environment}; it may work only in {other}",
        f"try `keygen confirm --{other}`",
    )


def _deleted(ctx: Context) -> Cause:
    return Cause(
        "the ID was mistyped, or its key was deleted in Integration Central",
        "copy the ID again from Integration Central's API keys section; a deleted key cannot be brought back: "
        "exchange the public key again for a new ID",
    )


def _ordered(first: Cause | None, rest: list[Cause]) -> list[Cause]:
    return ([first] if first else []) + rest


def diagnose(status: int, reason_code: str | None, message: str, ctx: Context) -> Diagnosis:
    clock = _clock(ctx)
    code = reason_code or "(no reasonCode)"
    if reason_code == "InvalidRequestSignature":
        summary = f"{status} InvalidRequestSignature: Amazon Pay knows the ID but the signature does not verify"
        return Diagnosis(summary, _ordered(clock, [_key(ctx), _environment(ctx), _region(ctx)]))
    if reason_code == "UnauthorizedAccess":
        summary = f"{status} UnauthorizedAccess: this ID is not accepted here"
        return Diagnosis(summary, _ordered(clock, [_region(ctx), _environment(ctx), _deleted(ctx), _key(ctx)]))
    if reason_code in ("InvalidHeaderValue", "MissingHeader", "MissingHeaderValue"):
        return _header_refused(f"{status} {code}", message, ctx, clock)
    summary = f"{status} {code}: Amazon Pay refused the request"
    return Diagnosis(summary, _ordered(clock, [_region(ctx), _environment(ctx), _key(ctx)]))


#: The service's own message names the date while the measured skew is small (or unknown).
_DATED = Cause(
    "the service complains about the date header: this machine's clock is probably off",
    "sync the clock (`timedatectl set-ntp true`, `w32tm /resync`) and confirm again",
)


def _header_refused(status_code: str, message: str, ctx: Context, clock: Cause | None) -> Diagnosis:
    """A signed header refused: a clock off (named by the service's message when the measured skew is
    not), or something on the way that changed or dropped a header."""
    first = clock or (_DATED if "date" in message.lower() else None)
    proxy = Cause(
        "something between here and Amazon Pay (a proxy, a TLS inspector) changed or dropped a header",
        "try without the proxy (NO_PROXY=pay-api.amazon.com,pay-api.amazon.eu,pay-api.amazon.jp) or from "
        "another network",
    )
    return Diagnosis(f"{status_code}: a signed header was refused", _ordered(first, [_region(ctx), proxy]))
