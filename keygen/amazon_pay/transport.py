"""One HTTPS request with the standard library, and every way it can fail named.

http.client is enough for one GET: no dependency, TLS through the `ssl` module's default context
(certificate and host name always checked), an http:// proxy from the environment as curl and the
SDKs take it (CONNECT, its credentials never shown), and one deadline over the whole exchange
(keygen.amazon_pay.deadline). Nothing is retried and no redirect is followed: the answer, whatever it is, is the result.
"""

from __future__ import annotations

import base64
import errno
import http.client
import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from keygen.amazon_pay.deadline import Answer, Deadline, Truncated, connector, tls_context
from keygen.errors import KeygenError, NetworkError, TimedOut, TLSError, UsageError

#: How much of an answer is kept: an API error is a few hundred bytes; anything larger is not one.
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    #: host[:port] as the URL has it: what x-amz-pay-host carries.
    netloc: str
    port: int = 443

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.netloc}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_endpoint(url: str, origin: str = "--endpoint") -> Endpoint:
    """An https:// URL (or http:// to a loopback address) with nothing but a host and a port."""
    parts = urlsplit(url.strip())
    host = _host_only(parts, f"{origin} {url!r}", origin)
    if parts.scheme == "http" and not is_loopback(host):
        raise UsageError(
            f"{origin} {url!r} would send the request unencrypted to another machine",
            "use https://; plain http:// is only for a local stand-in on a loopback address",
        )
    return Endpoint(parts.scheme, host, parts.netloc, parts.port or (443 if parts.scheme == "https" else 80))


def _host_only(parts: SplitResult, named: str, origin: str) -> str:
    """The host of a URL that is an http(s) scheme, a host and a valid port, and nothing else."""
    hint = f"{origin} takes https://HOST[:PORT] (http:// only for 127.0.0.1, ::1 or localhost)"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UsageError(f"{named} is not an https:// URL", hint)
    if any((parts.username, parts.password, parts.query, parts.fragment)) or parts.path not in ("", "/"):
        raise UsageError(f"{named} must be a scheme, a host and a port only", hint)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise UsageError(f"{named} has an invalid port", hint) from None
    return parts.hostname


@dataclass(frozen=True)
class Proxy:
    """An http:// proxy from the environment: where it is, and the credentials urllib and curl send."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None

    @property
    def shown(self) -> str:
        """The proxy as it may be printed and recorded: its credentials never."""
        who = "***@" if self.user is not None or self.password is not None else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{who}{host}:{self.port}"

    def authorization(self) -> dict[str, str]:
        if self.user is None and self.password is None:
            return {}
        pair = f"{unquote(self.user or '')}:{unquote(self.password or '')}".encode()
        return {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


def proxy_for(endpoint: Endpoint, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy urllib and curl would use for this endpoint (never one for a loopback address)."""
    if is_loopback(endpoint.host):
        return None
    name, value = _env(environ, f"{endpoint.scheme}_proxy")
    if not value or _bypassed(endpoint.host, _env(environ, "no_proxy")[1] or ""):
        return None
    return parse_proxy(value, name)


def parse_proxy(value: str, name: str) -> Proxy:
    """`http://[user:password@]host[:port]`, or the same without `http://` (as curl takes it);
    a UsageError that never repeats the credentials otherwise."""
    text = value.strip()
    parts = urlsplit(text if "://" in text else "http://" + text)
    shown = redact(text)
    hint = f"{name} takes http://[USER:PASSWORD@]HOST[:PORT], or unset it (NO_PROXY lists hosts to reach directly)"
    if parts.scheme != "http" or not parts.hostname:
        raise UsageError(f"the proxy {name}={shown} is not an http:// proxy keygen can use", hint)
    try:
        port = parts.port or 80
    except ValueError:
        raise UsageError(f"the proxy {name}={shown} has an invalid port", hint) from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"the proxy {name}={shown} must be a host and a port only", hint)
    return Proxy(parts.hostname, port, parts.username, parts.password)


def _env(environ: Mapping[str, str], name: str) -> tuple[str, str | None]:
    """(name, value) of a proxy variable as urllib reads it: the lower-case name first, then the upper."""
    for each in (name, name.upper()):
        if environ.get(each):
            return each, environ[each]
    return name, None


def _bypassed(host: str, no_proxy: str) -> bool:
    """NO_PROXY as urllib and curl read it: `*`, or a host name or domain suffix per entry."""
    host = host.lower()
    return any(_bypasses(entry.strip().lower(), host) for entry in no_proxy.split(","))


def _bypasses(entry: str, host: str) -> bool:
    """One NO_PROXY entry: `*`, or a host name or domain suffix (a leading dot and a port ignored)."""
    name = entry.split(":", 1)[0].lstrip(".")
    return entry == "*" or bool(name and (host == name or host.endswith("." + name)))


def redact(url: str) -> str:
    """A proxy URL (with a scheme or without, well-formed or not) without its user name and password:
    everything before the last `@` of the authority goes."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}{sep}{authority}{slash}{tail}"


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    #: Header names lower-cased.
    headers: dict[str, str]
    body: bytes


#: A header name is a token; a value has no control character (a CR or LF would end it).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")


def _check_headers(headers: Mapping[str, str]) -> None:
    """Refuse a header that would not go out as one line, naming it and never showing its value
    (the Authorization header carries the signature)."""
    for name, value in headers.items():
        if not (_HEADER_NAME.fullmatch(name) and _HEADER_VALUE.fullmatch(value)):
            raise UsageError(
                f"the request's {name!r} header would carry a character HTTP does not allow; nothing was sent",
                "check the Public Key ID, the region and the endpoint: each must be as Integration Central shows it",
            )


def get(
    endpoint: Endpoint,
    path: str,
    headers: Mapping[str, str],
    *,
    timeout: float,
    environ: Mapping[str, str],
    deadline: Deadline | None = None,
) -> Response:
    """Send one GET and read its answer by one deadline; raise NetworkError, TimedOut or TLSError
    when no whole HTTP answer came back in time. Nothing is retried, no redirect followed."""
    deadline = deadline or Deadline(timeout)
    _check_headers(headers)
    proxy = proxy_for(endpoint, environ)
    try:
        conn = _connection(endpoint, proxy, deadline)
        try:
            conn.request("GET", path, headers={"Host": endpoint.netloc, **headers})
            answer = conn.getresponse()
            return Response(answer.status, answer.reason, {k.lower(): v for k, v in answer.getheaders()}, _body(answer))
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise failure(exc, endpoint, proxy, deadline.seconds) from None


def _connection(endpoint: Endpoint, proxy: Proxy | None, deadline: Deadline) -> http.client.HTTPConnection:
    """A connection whose every step ends by `deadline`: straight to the endpoint, or through an
    http:// proxy's CONNECT tunnel (the only way a proxy sees an https:// request)."""
    conn: http.client.HTTPConnection
    if endpoint.scheme == "http":
        conn = http.client.HTTPConnection(endpoint.host, endpoint.port)
    elif proxy is None:
        conn = http.client.HTTPSConnection(endpoint.host, endpoint.port, context=tls_context(deadline))
    else:
        conn = http.client.HTTPSConnection(proxy.host, proxy.port, context=tls_context(deadline))
        conn.set_tunnel(endpoint.host, endpoint.port, headers=proxy.authorization())
    conn._create_connection = connector(deadline)  # type: ignore[attr-defined]  # documented seam since 3.x
    conn.response_class = Answer
    return conn


def _body(answer: http.client.HTTPResponse) -> bytes:
    """The body, to MAX_BODY bytes: a body shorter than its Content-Length promised is Truncated."""
    promised, chunks, size = answer.length, [], 0
    while size <= MAX_BODY:
        piece = answer.read(min(16384, MAX_BODY + 1 - size))
        if not piece:
            break
        chunks.append(piece)
        size += len(piece)
    if size <= MAX_BODY and answer.length:
        raise Truncated(f"the body ended after {size} of the {promised} bytes its Content-Length promised")
    return b"".join(chunks)[:MAX_BODY]


def _what(exc: object) -> tuple[str, str]:
    """(kind, detail) of a failure below HTTP."""
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout", "no answer in time"
    if isinstance(exc, ssl.SSLError):
        return "tls", _tls_detail(exc)
    if isinstance(exc, socket.gaierror):
        return "dns", f"the host name does not resolve ({exc.strerror or exc})"
    return _connection_failure(exc) or _network_failure(exc)


def _tls_detail(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message or exc.reason}"
    return f"TLS failed: {exc.reason or exc}"


def _connection_failure(exc: object) -> tuple[str, str] | None:
    """A connection refused, cut before the whole answer came, or carrying something that is not HTTP."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused", "the connection was refused (nothing listens there)"
    if isinstance(exc, Truncated):
        return "truncated", f"the answer was cut short: {exc.what}"
    if isinstance(exc, http.client.IncompleteRead):
        return "truncated", f"the answer was cut short: the body ended after {len(exc.partial)} bytes"
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected)):
        return "reset", "the connection was closed or reset before a whole answer came"
    if isinstance(exc, http.client.HTTPException):
        return "reset", f"the answer was not HTTP ({type(exc).__name__})"
    return None


def _network_failure(exc: object) -> tuple[str, str]:
    """No connection at all: no route, a proxy that would not connect through, or anything else."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "no_route", f"no route to the host ({exc.strerror})"
    if isinstance(exc, OSError) and str(exc).startswith("Tunnel connection failed"):
        return "proxy", f"the proxy refused to connect through ({exc})"
    if not isinstance(exc, OSError):  # a ValueError's text may quote what it refused: never shown
        return "network", f"the request could not be sent ({type(exc).__name__})"
    return "network", str(exc) or type(exc).__name__


_HINTS = {
    "dns": "check the host name and this machine's DNS (is it online?)",
    "refused": "check the host and port; is the service (or the stand-in) running?",
    "reset": "something between here and the service cut the connection (a firewall, a proxy, a TLS "
    "inspector); nothing was retried: run it again, or from another network",
    "no_route": "this machine has no route there: check its network connection and firewall",
    "network": "check this machine's network connection",
    "truncated": "the connection closed before the whole answer came, so nothing is known about the key; "
    "nothing was retried: run it again (a proxy or firewall that cuts answers short does this)",
    "proxy": "check the proxy settings (HTTPS_PROXY, NO_PROXY)",
}


def failure(exc: object, endpoint: Endpoint, proxy: Proxy | None, timeout: float) -> KeygenError:
    kind, detail = _what(exc)
    where = endpoint.base + (f" through the proxy {proxy.shown}" if proxy else "")
    if kind == "timeout":
        return TimedOut(
            f"{where} gave no whole answer within {timeout:g} s (one deadline for the whole exchange); "
            "nothing was retried",
            "try a longer --timeout, or check the network (and the proxy, if one is set)",
        )
    if kind == "tls":
        return TLSError(
            f"TLS with {endpoint.base} failed: {detail}",
            "keygen always checks certificates; a proxy or antivirus that inspects TLS, a wrong clock, or an "
            "outdated CA store causes this: fix the trust store (SSL_CERT_FILE) rather than turning checks off",
        )
    if proxy and kind not in ("proxy", "truncated"):
        detail += f" (a proxy from the environment is in use: {proxy.shown})"
        return NetworkError(
            f"{where}: {detail}", "check the proxy, or set NO_PROXY for this host, or unset HTTPS_PROXY"
        )
    return NetworkError(f"{where}: {detail}", _HINTS[kind])
