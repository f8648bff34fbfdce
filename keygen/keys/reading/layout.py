"""A PEM file's layout, held to the strictest reader the Amazon Pay SDKs use.

Node, PHP and Ruby read the private key with OpenSSL's PEM reader (`PEM_read_bio`): it splits
lines on LF only, wants `-----BEGIN <label>-----` at the very start of a line with nothing after
it but white space, stops the base64 at a blank line, reads headers only in an encrypted PKCS#1
block, and wants `-----END <label>-----` at the start of a line. The Java SDK (BouncyCastle's
`PemReader` over `new String(bytes)`) splits on CR or LF and trims each line, but does not see a
BEGIN line behind a UTF-8 byte order mark. The .NET SDK (BouncyCastle's C# `PemReader` over
`File.ReadAllText`, which drops a byte order mark) is no stricter than the two. A file passes here
only when every one of them would read it; what keygen's library (pyca/cryptography) tolerates
beyond that is not "ready".
"""

from __future__ import annotations

import re

_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_BASE64ISH = re.compile(r"[A-Za-z0-9+/=]")
#: Labels whose block may carry the two headers of an encrypted PKCS#1 key (RFC 1421 style).
_HEADER_LABELS = ("RSA PRIVATE KEY", "DSA PRIVATE KEY", "EC PRIVATE KEY")
_HEADERS = ("Proc-Type:", "DEK-Info:")


def _line_breaks(raw: str) -> list[str]:
    """Line breaks OpenSSL cannot split on: a CR not followed by LF."""
    bare = [i for i, ch in enumerate(raw) if ch == "\r" and raw[i + 1 : i + 2] != "\n"]
    if not bare:
        return []
    if all(i > 0 and raw[i - 1] == "\n" for i in bare):
        return ["has LF CR (`\\n\\r`) line breaks: OpenSSL reads the CR as the start of the next line"]
    return ["has bare CR line breaks (a CR without LF): OpenSSL sees no line break there"]


def lines_of(raw: str) -> list[str]:
    """The lines as the most lenient reader (Java's) splits them: on CRLF, LF CR, CR or LF."""
    return re.split(r"\r\n|\n\r|\r|\n", raw)


def _marker(line: str, word: str, label: str | None) -> tuple[str, str] | None:
    """(before, after) around a BEGIN/END marker on this line (None when there is none)."""
    pattern = f"-----{word} {re.escape(label)}-----" if label else f"-----{word} [A-Z0-9 ]+-----"
    m = re.search(pattern, line)
    return (line[: m.start()], line[m.end() :]) if m else None


def _around(word: str, before: str, after: str) -> list[str]:
    found = []
    if before.strip():
        joined = word == "END" and _BASE64ISH.fullmatch(before.strip()[-1:] or "-")
        found.append(
            "has its -----END line joined to the base64 before it"
            if joined
            else f"has text before -----{word} on the same line"
        )
    elif before:
        found.append(f"has spaces before -----{word}: OpenSSL wants it at the start of its line")
    if after.strip():
        found.append(
            "has its -----BEGIN line joined to the base64 after it"
            if word == "BEGIN" and _BASE64ISH.match(after.strip())
            else f"has text after the -----{word} marker on its line"
        )
    return found


def _body(label: str, body: list[str]) -> list[str]:
    found = []
    headers = [line for line in body if ":" in line]
    allowed = label in _HEADER_LABELS and all(h.strip().startswith(_HEADERS) for h in headers)
    if headers and not allowed:
        found.append(f"has headers ({headers[0].strip()[:40]}) inside its {label} block: OpenSSL reads none there")
    data = [line for line in body if ":" not in line]
    # One blank line right after BEGIN (or after the headers) is allowed: OpenSSL takes it for the end
    # of the (empty) headers. A second, or one inside the base64, ends the base64 there.
    blank_first = bool(data) and not data[0].strip()
    if blank_first:
        data.pop(0)
    # After that blank line (or headers) OpenSSL no longer skips white space at a line's start
    # (measured with OpenSSL 3.0: either alone reads, both together do not).
    if (blank_first or headers) and any(line[:1].isspace() for line in data if line.strip()):
        found.append(
            "has a blank line (or headers) after -----BEGIN and an indented base64 line: OpenSSL reads "
            "neither together"
        )
    if any(not line.strip() for line in data):
        found.append("has a blank line inside the base64: OpenSSL stops reading there")
    return found


def defects(raw: str) -> list[str]:
    """Each way the first PEM block of `raw` (decoded text, its line breaks as written) would not be
    read by one of the SDKs' readers; [] when it is none of them, or holds no PEM block."""
    found = _line_breaks(raw)
    lines = lines_of(raw)
    start = next((i for i, line in enumerate(lines) if _marker(line, "BEGIN", None)), None)
    if start is None:
        return found
    m = _BEGIN.search(lines[start])
    assert m is not None
    label = m.group(1)
    begin = _marker(lines[start], "BEGIN", label)
    assert begin is not None
    found += _around("BEGIN", *begin)
    after_begin = [begin[1], *lines[start + 1 :]]
    end = next((i for i, line in enumerate(after_begin) if _marker(line, "END", label)), None)
    if end is None:
        return found  # no END: the library's own load says so
    end_marker = _marker(after_begin[end], "END", label)
    assert end_marker is not None
    found += _around("END", *end_marker)
    if end > 0:
        found += _body(label, after_begin[1:end])
    return found


_MARKER_SPLIT = re.compile(r"(-----(?:BEGIN|END) [A-Z0-9 ]+-----)")


def has_headers(raw: str) -> bool:
    """A header line inside the first block where no reader takes one (`--fix` leaves that alone)."""
    return any(d.startswith("has headers") for d in defects(raw))


def mended(raw: str, line_end: str = "\n") -> str:
    """`raw` with every line-end and white-space defect mended: each line break one `line_end`
    (bare CR and LF CR included), no white space around any line, no blank lines, and each
    BEGIN/END marker on a line of its own (text that shared its line kept on a line before it)."""
    out: list[str] = []
    for line in lines_of(raw):
        out += [piece.strip() for piece in _MARKER_SPLIT.split(line) if piece.strip()]
    return line_end.join(out) + line_end
