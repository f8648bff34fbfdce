"""One deadline for a whole HTTP exchange: connect, proxy tunnel, TLS handshake, send, and every read.

A socket timeout bounds one system call: a server that sends one byte a second, or `100 Continue`
forever, never trips it. Here every socket operation first sets the socket's timeout to what is
left of one `Deadline` (and fails at once when nothing is left), so the exchange as a whole ends in
time whatever the server does. No thread, no signal: the sockets themselves carry the deadline.

The plain socket is a `socket.socket` subclass built by our own connect; the TLS socket is an
`ssl.SSLSocket` subclass named by the context (`SSLContext.sslsocket_class`, the documented hook).
Only name resolution (getaddrinfo) is outside: the standard library cannot bound it without a
thread; the system resolver has its own timeouts.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

#: The longest `--timeout` keygen accepts, in seconds: a probe that needs longer is not one.
MAX_SECONDS = 600.0


class Deadline:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def left(self) -> float:
        """Seconds left; socket.timeout (a TimeoutError) once there are none."""
        left = self._end - self._clock()
        if left <= 0:
            raise socket.timeout("the deadline passed")
        return left


class _BoundedSocket(socket.socket):
    """A plain socket whose every send and receive ends by the deadline."""

    deadline: Deadline

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self.settimeout(self.deadline.left())
        return super().recv(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self.settimeout(self.deadline.left())
        return super().recv_into(buffer, nbytes, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        self.settimeout(self.deadline.left())
        return super().send(data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        # One sendall is bounded as a whole by the socket's timeout (Python 3.5+).
        self.settimeout(self.deadline.left())
        super().sendall(data, flags)


class _BoundedSSLSocket(ssl.SSLSocket):
    """A TLS socket whose handshake, sends and receives end by the deadline (set per request)."""

    deadline: Deadline

    def do_handshake(self, block: bool = False) -> None:
        # The whole handshake is bounded by the socket's timeout (one deadline inside _ssl).
        self.settimeout(self.deadline.left())
        super().do_handshake(block)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        self.settimeout(self.deadline.left())
        return super().recv(buflen, flags)

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        self.settimeout(self.deadline.left())
        return super().recv_into(buffer, nbytes, flags)

    def send(self, data: Any, flags: int = 0) -> int:
        self.settimeout(self.deadline.left())
        return super().send(data, flags)


def tls_context(deadline: Deadline) -> ssl.SSLContext:
    """The default context (certificates and host names checked), its sockets bound to `deadline`."""
    context = ssl.create_default_context()
    context.sslsocket_class = type("BoundedSSLSocket", (_BoundedSSLSocket,), {"deadline": deadline})
    return context


def connector(deadline: Deadline) -> Callable[..., socket.socket]:
    """http.client's `_create_connection`, making bounded sockets: each address tried in what is left."""

    def connect(address: tuple[str, int], timeout: object = None, source_address: object = None) -> socket.socket:
        host, port = address
        last: OSError = OSError(f"{host} has no address")
        for family, kind, proto, _, where in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
            sock = _BoundedSocket(family, kind, proto)
            sock.deadline = deadline
            try:
                sock.settimeout(deadline.left())
                sock.connect(where)
            except OSError as exc:
                sock.close()
                last = exc
                if isinstance(exc, TimeoutError):
                    raise
                continue
            return sock
        raise last

    return connect


class Truncated(http.client.HTTPException):
    """The answer ended before it was whole: inside its headers, or short of its Content-Length."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class _Watched:
    """The response's reader while headers are read: notes a header block ended by the connection
    closing rather than by the blank line (http.client takes both as the end)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cut = False

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self.inner.readline(limit)
        self.cut = line == b""
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Answer(http.client.HTTPResponse):
    """An HTTP response that refuses a header block cut off by the connection closing."""

    def begin(self) -> None:
        watched = _Watched(self.fp)
        self.fp = watched  # type: ignore[assignment]
        try:
            super().begin()
        finally:
            if self.fp is not None:  # (begin closes it when the answer has no body)
                self.fp = watched.inner
        if watched.cut:
            raise Truncated("the connection closed in the middle of the headers")
