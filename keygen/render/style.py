"""Colour on a terminal, and only there: none with NO_COLOR, TERM=dumb, a pipe or a file, or --json.

Plain ANSI SGR codes: no dependency for four colours. They are put in by the emitter (`terminal`),
after it has escaped whatever else in the line a terminal would act on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

_RESET = "\x1b[0m"
_CODES = {"pass": "\x1b[32m", "warn": "\x1b[33m", "fail": "\x1b[31m", "heading": "\x1b[1m"}
#: The status marks of checks and findings, padded to one width.
MARKS = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}


#: keygen's colour codes travel through a rendered line as tokens made of noncharacters with a
#: per-run random part: the emitter escapes every control character in the line (a path's or a
#: server's ESC included) and only then turns these tokens into SGR codes (`terminal`). Text from
#: outside cannot forge one without knowing this run's random part.
_NONCE = "".join(chr(0xFDD0 + b % 32) for b in os.urandom(8))
_TOKENS = {kind: f"\ufdef{_NONCE}{n}\ufdef" for n, kind in enumerate([*_CODES, "reset"])}
_SGR = {**_CODES, "reset": _RESET}


def terminal(line: str) -> str:
    """A rendered line (its control characters already escaped) with keygen's own colour tokens
    turned into the SGR codes they stand for."""
    for kind, token in _TOKENS.items():
        line = line.replace(token, _SGR[kind])
    return line


@dataclass(frozen=True)
class Style:
    colour: bool = False

    def paint(self, kind: str, text: str) -> str:
        return f"{_TOKENS[kind]}{text}{_TOKENS['reset']}" if self.colour and text else text

    def mark(self, status: str) -> str:
        """`ok  `, `WARN` or `FAIL`, coloured (the padding stays outside the colour)."""
        mark = MARKS[status]
        word = mark.rstrip()
        return self.paint(status, word) + mark[len(word) :]

    def heading(self, text: str) -> str:
        return self.paint("heading", text)


PLAIN = Style()


def colour_wanted(stream: Any, environ: Any = None) -> bool:
    environ = os.environ if environ is None else environ
    if "NO_COLOR" in environ or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


def for_stream(stream: Any) -> Style:
    return Style(colour=colour_wanted(stream))
