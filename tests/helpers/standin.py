"""A local Amazon Pay API stand-in: verifies request signatures the way the service does.

Written independently of keygen's own signing code (it shares nothing with `keygen.amazon_pay.signing`): it
rebuilds the canonical request from what it RECEIVED (method, path, query, the headers named in
SignedHeaders, the body), builds the string to sign, and verifies the RSASSA-PSS signature with the
public key registered for the Public Key ID (SHA-256, MGF1-SHA-256, salt 20 for AMZN-PAY-RSASSA-PSS,
32 for -V2). Its answers use the service's documented status codes and `reasonCode` bodies:

- 400 MissingHeader / InvalidHeaderValue: no Authorization, a malformed one, a missing signed
  header, an unknown region, x-amz-pay-host not the host reached, an x-amz-pay-date that does not
  parse or is more than `skew_limit_s` off the stand-in's clock;
- 401 UnauthorizedAccess: an ID not registered for that region and environment;
- 401 InvalidRequestSignature ("Unable to verify signature, signing String [...]"): the signature
  does not verify;
- 404 ResourceNotFound: a verified request (no resource exists here).

Which of these the real service picks for a clock skew or an unknown ID is not published; the
choices here follow the error table and user reports. `fault` makes it misbehave instead: "hang",
"reset", "500", "html", "redirect". The proof that this stand-in is right is in
tests/amazon_pay/test_standin.py: requests signed by the official Node SDK verify on it, changed ones do not.
"""

from __future__ import annotations

import base64
import datetime as _dt
import email.utils
import hashlib
import json
import re
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qsl, quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .tls import CertFiles

SALT = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}
AUTH_RE = re.compile(r"^(\S+) PublicKeyId=([^,\s]+), SignedHeaders=([^,\s]+), Signature=(\S+)$")
PATH_RE = re.compile(r"^/(?:(sandbox|live)/)?v2/(.+)$")
REQUIRED = ("x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region")


@dataclass
class Registration:
    public_key: rsa.RSAPublicKey
    region: str  # na, eu, jp
    environment: str  # sandbox, live


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    reason_code: str = ""
    verified: bool = False
    string_to_sign: str = ""


@dataclass
class Verdict:
    status: int
    reason_code: str
    message: str
    verified: bool = False


def _q(text: str) -> str:
    return quote(text, safe="-_.~")


def _parse_date(value: str) -> Optional[_dt.datetime]:
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return _dt.datetime.strptime(value, fmt).replace(tzinfo=_dt.timezone.utc)
        except ValueError:
            continue
    return None


@dataclass
class StandIn:
    """Use as a context manager: `with StandIn() as s: s.register(...); s.url`."""

    tls: Optional[CertFiles] = None
    #: Seconds the stand-in's clock is ahead of this machine's (its Date header follows it).
    clock_offset_s: float = 0.0
    skew_limit_s: float = 900.0
    fault: Optional[str] = None
    keys: dict[str, Registration] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    _server: Any = None
    _thread: Any = None
    _release: threading.Event = field(default_factory=threading.Event)

    # --- set-up -----------------------------------------------------------------------------

    def register(self, public_key_id: str, public_key: Path | rsa.RSAPublicKey, region: str = "eu",
                 environment: Optional[str] = None) -> None:
        if isinstance(public_key, Path):
            loaded = serialization.load_pem_public_key(public_key.read_bytes())
            assert isinstance(loaded, rsa.RSAPublicKey)
            public_key = loaded
        prefix = public_key_id.split("-", 1)[0].lower() if "-" in public_key_id else None
        env = prefix if prefix in ("sandbox", "live") else environment
        assert env in ("sandbox", "live"), "an ID without a prefix needs environment="
        # The service knows regions by their x-amz-pay-region names: us is na.
        self.keys[public_key_id] = Registration(public_key, {"us": "na"}.get(region, region), env)

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=self.clock_offset_s)

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.netloc}"

    def __enter__(self) -> StandIn:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(self.tls.cert), str(self.tls.key))
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # --- the service ------------------------------------------------------------------------

    def verify(self, req: Received, host_header: str) -> Verdict:
        auth = req.headers.get("authorization")
        if not auth:
            return Verdict(400, "MissingHeader", "The authorization header is missing.")
        m = AUTH_RE.match(auth)
        if not m or m.group(1) not in SALT:
            return Verdict(400, "InvalidHeaderValue", "The value provided for authorization is invalid.")
        algorithm, key_id, signed, signature = m.groups()
        names = signed.split(";")
        for name in (*REQUIRED, *names):
            if name not in req.headers or name not in names:
                return Verdict(400, "MissingHeader", f"The {name} header is missing or not signed.")
        problem = self._check_headers(req, host_header)
        if problem:
            return problem
        registration, problem = self._lookup(req, key_id)
        if problem:
            return problem
        assert registration is not None
        string_to_sign = algorithm + "\n" + hashlib.sha256(self.canonical(req, names).encode()).hexdigest()
        req.string_to_sign = string_to_sign
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=SALT[algorithm])
        try:
            registration.public_key.verify(base64.b64decode(signature), string_to_sign.encode(), pss, hashes.SHA256())
        except (InvalidSignature, ValueError):
            return Verdict(401, "InvalidRequestSignature",
                           f"Unable to verify signature, signing String [{string_to_sign}]")
        return Verdict(404, "ResourceNotFound", "The requested resource was not found.", verified=True)

    def _check_headers(self, req: Received, host_header: str) -> Optional[Verdict]:
        if req.headers["x-amz-pay-region"].lower() not in ("na", "eu", "jp"):
            return Verdict(400, "InvalidHeaderValue", "The value provided for x-amz-pay-region is invalid.")
        if req.headers["x-amz-pay-host"] != host_header:
            return Verdict(400, "InvalidHeaderValue", "The value provided for x-amz-pay-host is invalid.")
        when = _parse_date(req.headers["x-amz-pay-date"])
        if when is None:
            return Verdict(400, "InvalidHeaderValue", "The value provided for x-amz-pay-date is invalid.")
        if abs((when - self.now()).total_seconds()) > self.skew_limit_s:
            return Verdict(400, "InvalidHeaderValue",
                           "The value provided for x-amz-pay-date is too far from the server's time.")
        return None

    def _lookup(self, req: Received, key_id: str) -> tuple[Optional[Registration], Optional[Verdict]]:
        m = PATH_RE.match(req.path.split("?", 1)[0])
        reg = self.keys.get(key_id)
        prefixed = key_id.upper().startswith(("SANDBOX", "LIVE"))
        env = key_id.split("-", 1)[0].lower() if prefixed else (m.group(1) if m else None)
        region = req.headers["x-amz-pay-region"].lower()
        if not m or env is None:
            return None, Verdict(400, "InvalidRequest", "The request path is invalid.")
        if reg is None or reg.region != region or reg.environment != env:
            return None, Verdict(401, "UnauthorizedAccess", "Unauthorized access: the PublicKeyId is not valid here.")
        return reg, None

    @staticmethod
    def canonical(req: Received, names: list[str]) -> str:
        raw_path, _, raw_query = req.path.partition("?")
        path = _q_path(unquote(raw_path))
        pairs = sorted((_q(k), _q(v)) for k, v in parse_qsl(raw_query, keep_blank_values=True))
        query = "&".join(f"{k}={v}" for k, v in pairs)
        headers = "".join(f"{n}:{req.headers[n].strip()}\n" for n in names)
        body = hashlib.sha256(req.body).hexdigest()
        return "\n".join([req.method, path, query, headers, ";".join(names), body])

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        req = Received(handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body)
        self.received.append(req)
        if self.fault and _fault(self, handler):
            return
        verdict = self.verify(req, handler.headers.get("host", ""))
        req.status, req.reason_code, req.verified = verdict.status, verdict.reason_code, verdict.verified
        _send(handler, verdict.status, {"reasonCode": verdict.reason_code, "message": verdict.message})


def _q_path(path: str) -> str:
    while "//" in path:
        path = path.replace("//", "/")
    return quote(path, safe="/-_.~") or "/"


def _send(handler: BaseHTTPRequestHandler, status: int, data: Any, content_type: str = "application/json",
          extra: Optional[dict[str, str]] = None) -> None:
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(payload)))
    handler.send_header("x-amzn-RequestId", "standin-0001")
    for k, v in (extra or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(payload)


def _fault(standin: StandIn, handler: BaseHTTPRequestHandler) -> bool:
    if standin.fault == "hang":
        standin._release.wait(30)
        handler.close_connection = True
    elif standin.fault == "reset":
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        handler.close_connection = True
    elif standin.fault == "500":
        _send(handler, 500, {"reasonCode": "InternalServerError", "message": "stand-in failure"})
    elif standin.fault == "html":
        _send(handler, 200, b"<html><body>Welcome to the captive portal</body></html>", "text/html")
    elif standin.fault == "redirect":
        _send(handler, 302, b"", "text/plain", {"Location": "https://example.invalid/"})
    else:
        return False
    return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a reset or hung connection is the point of some faults: no traceback on stderr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.standin.answer(self)  # type: ignore[attr-defined]

    do_POST = do_GET

    def date_time_string(self, timestamp: Optional[float] = None) -> str:
        return email.utils.format_datetime(self.server.standin.now(), usegmt=True)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        pass
