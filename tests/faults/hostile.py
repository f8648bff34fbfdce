"""A hostile HTTP server on 127.0.0.1 for `keygen confirm`: it answers each request with a script
(raw bytes, drips, cut connections) and stops by itself: the context manager's exit ends every
script within a fraction of a second and closes the listening socket.

Also the scan every hostile test applies to what keygen printed and recorded: no raw character a
terminal would act on, and none of the secrets.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Script = Callable[[socket.socket, threading.Event], None]

#: What must never reach a terminal raw: C0 controls but newline and tab, DEL, C1, bidi controls.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass
class Hostile:
    script: Script
    requests: list[bytes] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _listener: Any = None
    _thread: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> Hostile:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    self.requests.append(_read_request(conn))
                    self.script(conn, self._stop)
                except OSError:
                    pass  # the client went away: that is its right


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def answer(status: str, body: bytes, *, length: int | None = None, extra: str = "") -> bytes:
    """Status line, headers (Content-Length `length`, default the body's) and the body."""
    size = len(body) if length is None else length
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n{extra}\r\n"
    return head.encode() + body


def sends(data: bytes) -> Script:
    """Send `data` and close."""
    return lambda conn, stop: conn.sendall(data)


def drips(head: bytes, drip: bytes, every: float = 0.2, longest: float = 30) -> Script:
    """Send `head`, then `drip` every `every` seconds for up to `longest` seconds (or until stopped)."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(head)
        for _ in range(int(longest / every)):
            if stop.wait(every):
                return
            conn.sendall(drip)

    return script


def assert_clean(texts: Iterable[str], secrets: Iterable[str] = ()) -> None:
    """No raw control character (a newline and a tab aside) and no secret in any of `texts`."""
    secrets = [s for s in secrets if s]
    for text in texts:
        found = RAW_CONTROL.search(text)
        assert found is None, f"raw {found.group()!r} in output: {text[max(0, found.start() - 60):found.end() + 20]!r}"
        for secret in secrets:
            assert secret not in text, f"secret {secret[:12]!r}... shown"
