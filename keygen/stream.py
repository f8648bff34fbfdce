"""Standard output and error, the only way keygen writes to them.

One place knows the process edge: a reader that went away (`keygen audit | head -1`, `| true`)
is not an error and the command's own exit code stands; a full or closed standard output is exit 7
with one error line; a closed descriptor is never reused for a key file. Importing this is cheap:
`keygen --version` goes through it before anything else is loaded.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import sys

from keygen.errors import OutputFailed

# `keygen --version` loads this module and little else: `typing` is for the type checker only here
# (a name TYPE_CHECKING that is False at run time is the form type checkers read as theirs).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

OUTPUT_HINT = "check where the output goes (a full disk, a closed file); the command itself finished"


def _to_devnull(fd: int) -> None:
    """Point `fd` at /dev/null, so that later writes (and the interpreter's last flush) succeed."""
    null = os.open(os.devnull, os.O_RDWR)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


class Guarded(io.TextIOBase):
    """A text stream that turns the edge's failures into keygen's own outcomes.

    Every write is flushed at once, so a failure is seen where it happens, not at exit.
    """

    def __init__(self, inner: TextIO | None, fd: int, *, closed: bool = False) -> None:
        self._inner = inner
        self._fd = fd
        self._closed_fd = closed or inner is None
        #: The reader went away; what is written from now on goes nowhere, silently.
        self.gone = False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._inner, "errors", None)

    def isatty(self) -> bool:
        return not self._closed_fd and self._inner is not None and self._inner.isatty()

    def fileno(self) -> int:
        return self._fd

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:
            return 0  # Click probes streams with empty writes: they must not fail, or be the failure
        if self._closed_fd:
            if self._fd == 1:
                raise OutputFailed("cannot write to standard output: it is closed", OUTPUT_HINT)
            return len(text)
        inner = self._inner
        assert inner is not None
        self._send(lambda: (inner.write(text), inner.flush()))
        return len(text)

    def _send(self, action: Callable[[], object]) -> None:
        """Run one write; a reader that went away is silence, any other failure on stdout is exit 7."""
        try:
            action()
        except BrokenPipeError:
            self._went_away()
        except OSError as exc:
            self._went_away()
            self.gone = False
            self._closed_fd = True
            if self._fd == 1:
                raise OutputFailed(f"cannot write to standard output: {exc.strerror or exc}", OUTPUT_HINT) from None

    def write_bytes(self, data: bytes) -> None:
        """Bytes as they are, past the text layer (which on Windows would turn each LF into CRLF)."""
        if self._closed_fd or self._inner is None:
            if self._fd == 1 and data:
                raise OutputFailed("cannot write to standard output: it is closed", OUTPUT_HINT)
            return
        inner = self._inner
        self._send(lambda: (inner.flush(), inner.buffer.write(data), inner.buffer.flush()))

    def flush(self) -> None:
        if self._closed_fd or self._inner is None:
            return
        try:
            self._inner.flush()
        except BrokenPipeError:
            self._went_away()
        except OSError:
            self._went_away()

    def _went_away(self) -> None:
        self.gone = True
        _to_devnull(self._fd)
        # The inner stream may still hold what it could not write: it now goes to /dev/null.
        assert self._inner is not None
        with contextlib.suppress(OSError):
            self._inner.flush()


#: The error handler for text a stream's encoding lacks: JSON-style escapes (see _escape).
ESCAPES = "keygen-json-escape"


def _escape(exc: UnicodeError) -> tuple[str, int]:
    """A character the code page lacks becomes `\\uXXXX` (a surrogate pair beyond the BMP): inside a
    `--json` string the document stays valid and decodes to the exact text; in text it stays readable."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    parts = []
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            parts.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            parts.append(f"\\u{code:04x}")
    return "".join(parts), exc.end


codecs.register_error(ESCAPES, _escape)


def _fit(stream: TextIO | None) -> None:
    """On Windows a pipe or file gets the ANSI code page (cp1252 and the like), which cannot carry a
    path such as `C:\\ключи`: printing it crashed after the pair was published. What the code page
    has is written in it, as the reader expects; the rest is escaped. UTF-8 streams stay as they are."""
    try:
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(errors=ESCAPES)
    except (LookupError, OSError, ValueError):  # an unknown or closed stream: writing to it says so
        pass


def install() -> None:
    """Guard fds 0, 1 and 2 and put Guarded streams in place of sys.stdout and sys.stderr.

    A descriptor closed by the caller (`keygen generate >&-`) gets /dev/null first: otherwise the
    next file keygen opens (a lock, a key) would become "standard output".
    """
    if isinstance(sys.stdout, Guarded):
        return
    closed = {}
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            closed[fd] = False
        except OSError:
            _to_devnull(fd)
            closed[fd] = True
    for stream in (sys.stdout, sys.stderr):
        _fit(stream)
    sys.stdout = Guarded(None if closed[1] else sys.stdout, 1, closed=closed[1])
    sys.stderr = Guarded(None if closed[2] else sys.stderr, 2, closed=closed[2])


#: Characters a terminal may act on instead of showing: C0 controls (tab aside), DEL, C1 controls
#: (U+0080-U+009F: CSI, OSC and the like in 8-bit form), line/paragraph separators and the bidi
#: overrides and isolates (which reorder what is shown).
_UNSAFE = re.compile("[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escaped(char: str) -> str:
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(line: str) -> str:
    """One line as a terminal may show it: every character it could act on (ESC, CR, a newline, OSC,
    CSI, C1, bidi overrides) written as a visible escape (`\\x1b`, `\\r`, `\\u202e`), so that
    nothing a file, a path, a record or a server says can move the cursor, retitle the window, clear
    the screen, colour the text or forge a line."""
    return _UNSAFE.sub(lambda m: _escaped(m.group()), line)


def out(text: str) -> None:
    """One line (or block) of a command's result on standard output."""
    sys.stdout.write(text + "\n")


def out_bytes(data: bytes) -> None:
    """Exact bytes on standard output (through the guard when it is in place)."""
    if isinstance(sys.stdout, Guarded):
        sys.stdout.write_bytes(data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def err(text: str) -> None:
    """Errors, warnings and progress: standard error."""
    sys.stderr.write(text + "\n")


def report_output_failure(error: OutputFailed) -> int:
    err(printable(f"keygen: error: {error.message}"))
    if error.hint:
        err(f"  hint: {error.hint}")
    return int(error.code)
