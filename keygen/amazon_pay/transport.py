"""One HTTPS request with the standard library, and every way it can fail named.

urllib is enough for one GET: no dependency, TLS through the `ssl` module's default context
(certificate and host name always checked), proxies from the environment as curl and the SDKs take
them. Nothing is retried and no redirect is followed: the answer, whatever it is, is the result.
"""

from __future__ import annotations

import errno
import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from keygen.errors import KeygenError, NetworkError, TimedOut, TLSError, UsageError

#: How much of an answer is kept: an API error is a few hundred bytes; anything larger is not one.
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    #: host[:port] as the URL has it: what x-amz-pay-host carries.
    netloc: str

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
    return Endpoint(parts.scheme, host, parts.netloc)


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


def proxy_for(endpoint: Endpoint, environ: Mapping[str, str]) -> str | None:
    """The proxy urllib would use for this endpoint (never one for a loopback address)."""
    if is_loopback(endpoint.host):
        return None
    value = _env(environ, f"{endpoint.scheme}_proxy")
    if not value or _bypassed(endpoint.host, _env(environ, "no_proxy") or ""):
        return None
    return value


def _env(environ: Mapping[str, str], name: str) -> str | None:
    """A proxy variable as urllib reads it: the lower-case name first, then the upper-case one."""
    return environ.get(name) or environ.get(name.upper())


def _bypassed(host: str, no_proxy: str) -> bool:
    """NO_PROXY as urllib and curl read it: `*`, or a host name or domain suffix per entry."""
    host = host.lower()
    return any(_bypasses(entry.strip().lower(), host) for entry in no_proxy.split(","))


def _bypasses(entry: str, host: str) -> bool:
    """One NO_PROXY entry: `*`, or a host name or domain suffix (a leading dot and a port ignored)."""
    name = entry.split(":", 1)[0].lstrip(".")
    return entry == "*" or bool(name and (host == name or host.endswith("." + name)))


def redact(url: str) -> str:
    """A proxy URL without its user name and password."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    #: Header names lower-cased.
    headers: dict[str, str]
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx answer, which is returned as it is


def get(
    endpoint: Endpoint, path: str, headers: Mapping[str, str], *, timeout: float, environ: Mapping[str, str]
) -> Response:
    """Send one GET; raise NetworkError, TimedOut or TLSError when no HTTP answer came back."""
    proxy = proxy_for(endpoint, environ)
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.ProxyHandler({endpoint.scheme: proxy} if proxy else {}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
        _NoRedirect(),
    ]
    opener = urllib.request.build_opener(*handlers)
    # The scheme is https, or http to a loopback address: parse_endpoint allows nothing else.
    request = urllib.request.Request(endpoint.base + path, headers=dict(headers), method="GET")  # noqa: S310
    try:
        try:
            with opener.open(request, timeout=timeout) as answer:
                return _response(answer.status, answer.reason, answer.headers, answer)
        except urllib.error.HTTPError as answer:
            with answer:
                return _response(answer.code, str(answer.reason), answer.headers, answer)
    except urllib.error.URLError as exc:
        raise failure(exc.reason, endpoint, proxy, timeout) from None
    except (OSError, http.client.HTTPException) as exc:
        raise failure(exc, endpoint, proxy, timeout) from None


def _response(status: int, reason: str, headers: object, stream: object) -> Response:
    items = headers.items() if isinstance(headers, http.client.HTTPMessage) else []
    body = stream.read(MAX_BODY) if hasattr(stream, "read") else b""
    return Response(status, reason, {k.lower(): v for k, v in items}, body or b"")


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
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected, http.client.IncompleteRead)):
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
    return "network", str(exc) or type(exc).__name__


_HINTS = {
    "dns": "check the host name and this machine's DNS (is it online?)",
    "refused": "check the host and port; is the service (or the stand-in) running?",
    "reset": "something between here and the service cut the connection (a firewall, a proxy, a TLS "
    "inspector); nothing was retried: run it again, or from another network",
    "no_route": "this machine has no route there: check its network connection and firewall",
    "network": "check this machine's network connection",
    "proxy": "check the proxy settings (HTTPS_PROXY, NO_PROXY)",
}


def failure(exc: object, endpoint: Endpoint, proxy: str | None, timeout: float) -> KeygenError:
    kind, detail = _what(exc)
    where = endpoint.base + (f" through the proxy {redact(proxy)}" if proxy else "")
    if kind == "timeout":
        return TimedOut(
            f"{where} did not answer within {timeout:g} s; nothing was retried",
            "try a longer --timeout, or check the network (and the proxy, if one is set)",
        )
    if kind == "tls":
        return TLSError(
            f"TLS with {endpoint.base} failed: {detail}",
            "keygen always checks certificates; a proxy or antivirus that inspects TLS, a wrong clock, or an "
            "outdated CA store causes this: fix the trust store (SSL_CERT_FILE) rather than turning checks off",
        )
    if proxy and kind != "proxy":
        detail += f" (a proxy from the environment is in use: {redact(proxy)})"
        return NetworkError(
            f"{where}: {detail}", "check the proxy, or set NO_PROXY for this host, or unset HTTPS_PROXY"
        )
    return NetworkError(f"{where}: {detail}", _HINTS[kind])
