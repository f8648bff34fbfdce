"""Standard output that never dies on a character its encoding lacks.

On Windows a pipe or file (`keygen generate --out-dir ключ | more`) gets the ANSI code page
(cp1252 here), which cannot encode most non-ASCII paths: Python's default `strict` handler then
raised UnicodeEncodeError halfway through a result that had already been published. Such characters
are written as JSON `\\uXXXX` escapes instead: in `--json` output they sit inside strings, so the
document stays valid JSON and decodes to the exact path; in text output they stay readable.
"""

from __future__ import annotations

import codecs
import io
import sys

ERRORS = "keygen-json-escape"


def _escape(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    parts = []
    for char in exc.object[exc.start : exc.end]:
        code = ord(char)
        if code > 0xFFFF:  # JSON spells characters beyond the BMP as a surrogate pair
            code -= 0x10000
            parts.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            parts.append(f"\\u{code:04x}")
    return "".join(parts), exc.end


codecs.register_error(ERRORS, _escape)


def fit_stdout() -> None:
    """Make stdout escape what its encoding cannot carry (UTF-8 streams are left as they are)."""
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
        stream.reconfigure(errors=ERRORS)
