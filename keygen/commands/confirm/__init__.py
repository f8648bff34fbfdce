"""`keygen confirm`: prove that a private key and a Public Key ID work together, before deploying.

One read-only request, signed as the SDKs sign it: a GET of a checkout session that cannot exist
(the all-zero ID). Amazon Pay checks the signature before it looks anything up, so a "not found"
answer means the pair, the ID, the region and the environment belong together. Anything else is
shown raw (status and reasonCode) with a diagnosis. The signature is never printed or recorded.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from keygen import __version__
from keygen import host as host_mod
from keygen.amazon_pay import diagnosis, sdk_config, signing, transport
from keygen.amazon_pay.deadline import MAX_SECONDS, Deadline
from keygen.audit import log as audit
from keygen.commands.confirm import defaults as confirm_defaults
from keygen.commands.confirm.outcome import Attempt, Options, Outcome
from keygen.errors import ChecksFailed, ExitCode, KeygenError, Rejected, ServiceError, UsageError
from keygen.keys import checks

ENDPOINT_ENV = "KEYGEN_AMAZON_PAY_ENDPOINT"
#: A checkout session ID that cannot exist: looking it up changes nothing on the account.
PROBE_SESSION = "00000000-0000-0000-0000-000000000000"
PROBE_RESOURCE = f"checkoutSessions/{PROBE_SESSION}"


Sender = Callable[..., transport.Response]


def confirm(
    options: Options,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], _dt.datetime] | None = None,
    send: Sender | None = None,
) -> Outcome:
    environ = os.environ if environ is None else environ
    clock = clock or audit.utc_now
    outcome = Outcome(options)
    sent = False
    try:
        endpoint, key = _prepare(outcome, environ)
        sent = True
        _probe(outcome, key, endpoint, environ, clock, send or transport.get)
        if options.sdks:
            outcome.sdk_blocks = sdk_blocks(outcome, options.sdks)
    except KeygenError as exc:
        outcome.error = exc
    except BaseException as exc:
        # Once a request may have left, the attempt is recorded whatever happened: a bug or an
        # interrupt too (as such, never as "ok"); then it goes on to the process edge.
        if sent:
            _record(outcome, environ, cut=ExitCode.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else None)
        raise
    if sent:
        _record(outcome, environ)
    return outcome


def _probe(
    outcome: Outcome,
    key: Any,
    endpoint: transport.Endpoint,
    environ: Mapping[str, str],
    clock: Callable[[], _dt.datetime],
    send: Sender,
) -> None:
    """One signed request per algorithm asked for (`--algorithm both`: V2, then V1), each judged as
    its answer comes; the first that fails ends the probe."""
    deadline = Deadline(outcome.options.timeout)  # one for the whole probe, both requests included
    for name in signing.ALGORITHM_CHOICES[outcome.options.algorithm]:
        _attempt(outcome, key, endpoint, name, (environ, clock, send, deadline))


def _prepare(outcome: Outcome, environ: Mapping[str, str]) -> tuple[transport.Endpoint, Any]:
    o = outcome.options
    if not (math.isfinite(o.timeout) and 0 < o.timeout <= MAX_SECONDS):
        raise UsageError(
            f"--timeout must be a number of seconds above 0 and at most {MAX_SECONDS:g}, not {o.timeout:g}",
            "e.g. --timeout 20 (the whole exchange: connect, send and every read)",
        )
    key = _load_key(outcome)
    recorded_env = confirm_defaults.resolve_id(outcome, environ)
    confirm_defaults.resolve_environment(outcome, recorded_env)
    endpoint = _endpoint(outcome, environ)
    assert outcome.public_key_id is not None
    outcome.path = signing.api_path(outcome.public_key_id, outcome.environment, PROBE_RESOURCE)
    return endpoint, key


def _load_key(outcome: Outcome) -> Any:
    path = outcome.options.private_key
    report = checks.check_pair(path, None, strict=False)
    ins = report.private
    if ins is None or not isinstance(ins.key, rsa.RSAPrivateKey) or not report.ok:
        raise _cannot_sign(path, report)
    outcome.fingerprint = report.fingerprint
    outcome.pkcs8 = ins.form == "PRIVATE KEY"
    return ins.key


def _cannot_sign(path: Path, report: checks.Report) -> ChecksFailed:
    """Why the key cannot sign: its first failed check (none failed: it is not an RSA private key)."""
    also = "name the private key of the pair with --private-key"
    if not report.failed:
        return ChecksFailed(f"{path} cannot sign for Amazon Pay: not an RSA private key", also)
    first = report.failed[0]
    return ChecksFailed(f"{path} cannot sign for Amazon Pay: {first.summary}", first.fix or also)


def _endpoint(outcome: Outcome, environ: Mapping[str, str]) -> transport.Endpoint:
    o = outcome.options
    assert outcome.region is not None
    if o.endpoint:
        endpoint = transport.parse_endpoint(o.endpoint)
    elif environ.get(ENDPOINT_ENV):
        endpoint = transport.parse_endpoint(environ[ENDPOINT_ENV], ENDPOINT_ENV)
    else:
        endpoint = transport.parse_endpoint(f"https://{signing.API_HOSTS[outcome.region]}")
    proxy = transport.proxy_for(endpoint, environ)  # a malformed one is a usage error before anything is shown
    outcome.proxy = proxy.shown if proxy else None
    outcome.endpoint = endpoint.base
    return endpoint


def _attempt(
    outcome: Outcome,
    key: Any,
    endpoint: transport.Endpoint,
    algorithm: str,
    how: tuple[Mapping[str, str], Callable[[], _dt.datetime], Sender, Deadline],
) -> None:
    environ, clock, send, deadline = how
    assert outcome.public_key_id and outcome.region and outcome.path
    request = signing.signed_get(
        key,
        public_key_id=outcome.public_key_id,
        algorithm=algorithm,
        path=outcome.path,
        host=endpoint.netloc,
        region_header=signing.REGION_HEADER[outcome.region],
        now=clock(),
    )
    attempt = Attempt(algorithm)
    outcome.attempts.append(attempt)
    response = send(
        endpoint, request.path, request.headers, timeout=outcome.options.timeout, environ=environ, deadline=deadline
    )
    _judge(outcome, attempt, response, clock())


def _skew(response: transport.Response, now: _dt.datetime) -> float | None:
    date = response.headers.get("date")
    if not date:
        return None
    try:
        served = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, OverflowError):
        return None
    if served.tzinfo is None:
        served = served.replace(tzinfo=_dt.timezone.utc)
    return round((now - served).total_seconds(), 1)


#: How deep an answer's JSON may nest: Amazon Pay's errors are one object of strings.
MAX_DEPTH = 32
_BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _nesting(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (strings skipped), counted before
    parsing: the parser recurses once per level, and a hostile body must not reach its limit."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(body):
        token = m.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _json_body(body: bytes) -> dict[str, Any] | None:
    if _nesting(body) > MAX_DEPTH:
        return None
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _judge(outcome: Outcome, attempt: Attempt, response: transport.Response, now: _dt.datetime) -> None:
    """What Amazon Pay's answer says about the key: only a refusal is about the key itself."""
    data = _read_answer(attempt, response, now)
    if data is None:
        attempt.verdict = "not the API"
        raise _not_the_api(outcome, response)
    attempt.verdict = _verdict(response.status)
    if attempt.verdict == "accepted":
        attempt.accepted = True
    elif attempt.verdict == "service failed":
        raise ServiceError(
            f"{outcome.endpoint} answered {response.status} {attempt.reason_code or response.reason}: the service "
            "failed or sent this request elsewhere, so nothing is known about the key yet",
            "nothing was retried: run keygen confirm again in a few minutes",
        )
    else:
        _reject(outcome, attempt, response.status)


def _read_answer(attempt: Attempt, response: transport.Response, now: _dt.datetime) -> dict[str, Any] | None:
    """The answer's facts kept on the attempt (status, clock skew, request ID, reasonCode, message);
    its JSON body, None when it is not JSON."""
    attempt.status = response.status
    attempt.skew_s = _skew(response, now)
    attempt.request_id = response.headers.get("x-amzn-requestid")
    data = _json_body(response.body)
    if data is not None:
        code, message = data.get("reasonCode"), data.get("message")
        attempt.reason_code = code if isinstance(code, str) else None
        attempt.message = message[:500] if isinstance(message, str) else None
    return data


def _verdict(status: int) -> str:
    """What an HTTP status from the API says: the signature was checked before the (impossible)
    session was looked up, so "not found" accepts the key; a redirect or a 5xx says nothing about it."""
    if 200 <= status < 300 or status == 404:
        return "accepted"
    if 300 <= status < 400 or status >= 500:
        return "service failed"
    return "refused"


def _not_the_api(outcome: Outcome, response: transport.Response) -> ServiceError:
    shown = response.body[:80].decode("utf-8", "replace").strip() or "an empty body"
    return ServiceError(
        f"{outcome.endpoint} answered {response.status} {response.reason} with something that is not Amazon Pay's "
        f"API (not JSON: {shown!r})",
        "check --endpoint / KEYGEN_AMAZON_PAY_ENDPOINT and any proxy; nothing was retried",
    )


def _reject(outcome: Outcome, attempt: Attempt, status: int) -> None:
    outcome.diagnosis = diagnosis.diagnose(
        status, attempt.reason_code, attempt.message or "", _context(outcome, attempt)
    )
    refused = f"Amazon Pay refused the request ({status} {attempt.reason_code or 'no reasonCode'})"
    if not outcome.diagnosis.causes:
        raise Rejected(refused, "see the causes above")
    first = outcome.diagnosis.causes[0]
    raise Rejected(f"{refused}: most likely {first.why}", first.fix)


def _context(outcome: Outcome, attempt: Attempt) -> diagnosis.Context:
    """What the diagnosis weighs besides the answer: the key, the ID and where it was sent."""
    assert outcome.public_key_id and outcome.region and outcome.environment
    return diagnosis.Context(
        private_key=str(outcome.options.private_key),
        fingerprint=str(outcome.fingerprint),
        public_key_id=outcome.public_key_id,
        region=outcome.region,
        environment=outcome.environment,
        from_prefix=outcome.environment_source == "the ID's prefix",
        other_fingerprints=tuple(outcome.other_keys),
        skew_s=attempt.skew_s,
    )


def sdk_blocks(outcome: Outcome, sdks: tuple[str, ...]) -> list[sdk_config.Block]:
    assert outcome.public_key_id and outcome.region
    algorithm = signing.ALGORITHM_CHOICES[outcome.options.algorithm][0]
    settings = sdk_config.Settings(
        private_key=str(outcome.options.private_key.absolute()),
        public_key_id=outcome.public_key_id,
        region=outcome.region,
        sandbox=None if outcome.environment_source == "the ID's prefix" else outcome.environment == "sandbox",
        algorithm=algorithm,
        pkcs8=outcome.pkcs8,
    )
    return [sdk_config.block(s, settings) for s in sdks]


def _record(outcome: Outcome, environ: Mapping[str, str], cut: ExitCode | None = ExitCode.OK) -> None:
    """The attempt in the audit log; `cut` is how an unexpected end left (None: an internal error)."""
    o = outcome.options
    code = outcome.exit_code if cut == ExitCode.OK else int(cut or ExitCode.INTERNAL)
    record = {
        "time": audit.timestamp(),
        "command": "confirm",
        "keygen_version": __version__,
        "user": host_mod.user_name(environ),
        "host": host_mod.host_name(),
        "private_key": str(o.private_key.absolute()),
        "fingerprint": outcome.fingerprint,
        "public_key_id": outcome.public_key_id,
        "environment": outcome.environment,
        "region": outcome.region,
        "endpoint": outcome.endpoint,
        "attempts": [
            {"algorithm": a.algorithm, "status": a.status, "reason_code": a.reason_code, "accepted": a.accepted}
            for a in outcome.attempts
        ],
        "result": "ok" if code == 0 else "interrupted" if code == ExitCode.INTERRUPTED else "failed",
        "exit_code": code,
        "error": outcome.error.as_dict() if outcome.error else None,
    }
    try:
        outcome.audit_path = audit.record(o.audit_log, record, environ)
    except OSError as exc:
        path = audit.resolve(o.audit_log, environ)
        outcome.warnings.append(f"the audit log {path} could not be written ({exc.strerror or exc})")
