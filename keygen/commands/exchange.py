"""`keygen exchange`: get the public key into Integration Central and remember which ID it got.

What is printed for pasting is the key re-encoded from what the library loaded (SPKI PEM), never
the file's own bytes: whatever else the file holds (a BOM, CRLF, a stray private key) cannot leak
into the paste. The Public Key ID goes to the audit log with the key's fingerprint, never a secret.
"""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen import __version__, amazon_pay, recipes
from keygen import host as host_mod
from keygen.amazon_pay import sdk_config, signing
from keygen.audit import log as audit
from keygen.errors import ChecksFailed, KeygenError, UsageError
from keygen.keys import checks
from keygen.keys.formats import spki_pem
from keygen.result import Result

ID_HINT = (
    "a Public Key ID is 24 characters of A-Z and 0-9, optionally after SANDBOX- or LIVE- "
    "(copy it from Integration Central's API keys section), e.g. SANDBOX-AEXAMPLE0123456789ABCDEF"
)


@dataclass(frozen=True)
class Options:
    public_key: Path = Path(recipes.PUBLIC_KEY)
    region: str | None = None
    public_key_id: str | None = None
    open_browser: bool = False
    audit_log: Path | None = None
    #: SDK configuration blocks to print (`--sdk`), with the private key they name and, for an ID
    #: without a prefix, the environment (`--sandbox`/`--live`).
    sdks: tuple[str, ...] = ()
    private_key: Path | None = None
    environment: str | None = None
    #: The name the keys were given in Integration Central (`--name`), recorded with the ID.
    name: str | None = None


@dataclass
class Outcome(Result):
    command: ClassVar[str] = "exchange"
    options: Options
    report: checks.Report | None = None
    pem: str | None = None
    environment: str | None = None
    public_key_id: str | None = None
    opened: str | None = None
    audit_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    error: KeygenError | None = None
    sdk_blocks: list[Any] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        o = self.options
        return {
            "public_key": str(o.public_key),
            **self._report_facts(),
            "pem": self.pem,
            "integration_central": [
                {"region": g.code, "name": g.name, "url": g.integration_central} for g in amazon_pay.regions(o.region)
            ],
            "opened": self.opened,
            "public_key_id": self.public_key_id,
            "environment": self.environment,
            "audit_log": str(self.audit_path) if self.audit_path else None,
            "sdk": [b.as_dict() for b in self.sdk_blocks],
        }

    def _report_facts(self) -> dict[str, Any]:
        """The library's findings; none when exchange stopped before it could look."""
        r = self.report
        if r is None:
            return {"checks": [], "fingerprint": None, "fingerprint_hex": None}
        return {
            "checks": [c.as_dict() for c in r.checks],
            "fingerprint": r.fingerprint,
            "fingerprint_hex": r.fingerprint_hex,
        }


def parse_id(value: str) -> tuple[str | None, str]:
    """(environment, ID) for a well-formed Public Key ID; a UsageError (exit 2) otherwise."""
    parsed = amazon_pay.parse_public_key_id(value)
    if parsed is None:
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise UsageError(f"{shown!r} is not a Public Key ID", ID_HINT)
    return parsed


def exchange(
    options: Options,
    *,
    environ: Mapping[str, str] | None = None,
    opener: Callable[[str], bool] | None = None,
) -> Outcome:
    environ = os.environ if environ is None else environ
    outcome = Outcome(options)
    try:
        prefixed = _check_usage(options, outcome)
        outcome.pem = _paste_ready(outcome)
        _open_integration_central(outcome, opener or _open)
        if outcome.public_key_id is not None:
            _record(outcome, environ)
        if options.sdks:
            outcome.sdk_blocks = _sdk_blocks(outcome, prefixed)
    except KeygenError as exc:
        outcome.error = exc
    return outcome


def _check_usage(options: Options, outcome: Outcome) -> bool:
    """Refuse what cannot work before anything is read or recorded; True when the ID has a prefix."""
    prefix = _given_id(outcome)
    if options.sdks:
        _check_sdk_usage(outcome, prefix is not None)
    if options.name is not None and (not options.name.strip() or not options.name.isprintable()):
        raise UsageError("--name must be printable text", "the name given in Integration Central, e.g. --name web-shop")
    if options.open_browser and options.region is None:
        raise UsageError("--open needs --region: which Integration Central to open?", "add --region us, eu or jp")
    return prefix is not None


def _given_id(outcome: Outcome) -> str | None:
    """The ID given, parsed, and its environment: its prefix, else --sandbox/--live; the prefix, if any."""
    o = outcome.options
    if o.public_key_id is None:
        return None
    prefix, outcome.public_key_id = parse_id(o.public_key_id)
    outcome.environment = prefix or o.environment
    return prefix


def _check_sdk_usage(outcome: Outcome, prefixed: bool) -> None:
    """The SDK blocks name the ID, its region and its environment: each must be known."""
    if outcome.public_key_id is None or outcome.options.region is None:
        raise UsageError("--sdk needs --public-key-id and --region", "the SDK blocks name the ID and its region")
    if not prefixed and outcome.environment is None:
        raise UsageError(
            f"{outcome.public_key_id} has no SANDBOX- or LIVE- prefix: the SDK blocks need its environment",
            "add --sandbox or --live",
        )


def _paste_ready(outcome: Outcome) -> str:
    """The key to paste, re-encoded from what the library loaded; a key that fails a check is refused
    (its findings stay on the outcome)."""
    public_key = outcome.options.public_key
    report = outcome.report = checks.check_pair(None, public_key, strict=False)
    if not report.ok:
        first = report.failed[0]
        raise ChecksFailed(f"{public_key} is not ready to paste: {first.summary}", first.fix)
    assert report.public is not None
    return spki_pem(report.public.key).decode("ascii")


def _open_integration_central(outcome: Outcome, opener: Callable[[str], bool]) -> None:
    """--open: the region's Integration Central in a browser, else a warning to open it by hand."""
    o = outcome.options
    if not (o.open_browser and o.region):
        return
    url = amazon_pay.REGIONS[o.region].integration_central
    if opener(url):
        outcome.opened = url
    else:
        outcome.warnings.append(f"no browser could be started: open {url} yourself")


def _sdk_blocks(outcome: Outcome, prefixed: bool) -> list[Any]:
    """The SDK configuration blocks for the recorded ID, naming the pair's private key."""
    o = outcome.options
    private, pkcs8 = _sdk_private_key(outcome)
    settings = sdk_config.Settings(
        private_key=str(private.absolute()),
        public_key_id=str(outcome.public_key_id),
        region=str(o.region),
        sandbox=None if prefixed else outcome.environment == "sandbox",
        algorithm=signing.ALGORITHM_CHOICES["v2"][0],
        pkcs8=pkcs8,
    )
    return [sdk_config.block(s, settings) for s in o.sdks]


def _sdk_private_key(outcome: Outcome) -> tuple[Path, bool]:
    """The private key the SDK blocks name (given, else the one beside the public key), and whether
    it is PKCS#8; one that fails its checks is named anyway, with a warning."""
    o = outcome.options
    private = o.private_key or o.public_key.parent / recipes.PRIVATE_KEY
    report = checks.check_pair(private, None, strict=False)
    if not report.ok or report.private is None:
        summary = report.failed[0].summary if report.failed else "not loaded"
        outcome.warnings.append(f"{private}: {summary}; the SDK blocks name it anyway")
    return private, report.private is not None and report.private.form == "PRIVATE KEY"


def _open(url: str) -> bool:
    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False


def _record(outcome: Outcome, environ: Mapping[str, str]) -> None:
    o, report = outcome.options, outcome.report
    record = {
        "time": audit.timestamp(),
        "command": "exchange",
        "keygen_version": __version__,
        "user": host_mod.user_name(environ),
        "host": host_mod.host_name(),
        "public_key": str(o.public_key.absolute()),
        "fingerprint": report.fingerprint if report else None,
        "public_key_id": outcome.public_key_id,
        "environment": outcome.environment,
        "region": o.region,
        "name": o.name,
        "result": "ok",
        "exit_code": 0,
    }
    try:
        outcome.audit_path = audit.record(o.audit_log, record, environ)
    except OSError as exc:
        path = audit.resolve(o.audit_log, environ)
        outcome.warnings.append(
            f"the audit log {path} could not be written ({exc.strerror or exc}); the Public Key ID was not recorded"
        )
