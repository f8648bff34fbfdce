"""Reading and decoding key files: bytes off the disk safely, then the text inside them.

A key file is read without blocking (FIFOs), without reading a huge file whole, and without
following it for writing; its encoding (ASCII, UTF-8, UTF-16 with or without BOM, CRLF) is
found and recorded on the `Inspection`, with a `Check` for each finding. Judging the key itself
is `keygen.keys.checks`; the fix commands' wording is `keygen.keys.advice`.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from keygen.keys import advice
from keygen.keys.inspection import Inspection, Role
from keygen.keys.reading import layout
from keygen.recipes import quoting

#: No key file is near this size; a larger one is refused without being read whole.
MAX_KEY_FILE = 1024 * 1024


# --- reading -----------------------------------------------------------------------------------


class _Refused(Exception):
    """A finding that ends the reading: recorded as a failed `file` check."""

    def __init__(self, summary: str, fix: str) -> None:
        super().__init__(summary)
        self.summary, self.fix = summary, fix


#: Why a file a tool left in staging is not published: keygen publishes only a regular file it made.
_NOT_MADE_FIX = (
    "keygen publishes only a regular file the tool wrote itself: check the tool on PATH (`keygen doctor`) "
    "and run keygen generate again"
)


def _look(path: Path, ins: Inspection, made: bool = False) -> None:
    """lstat first: a missing file, and a symbolic link (followed for reading only), are findings.
    For a file a tool has just made (`made`), a symbolic link or a second hard link is a refusal."""
    shown = ins.shown
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        raise _Refused(f"{shown} does not exist", advice.missing(ins)) from None
    except OSError as exc:
        raise _Refused(f"cannot look at {shown}: {exc.strerror}", "check the path and its permissions") from None
    if made and stat.S_ISLNK(lst.st_mode):
        raise _Refused(f"{shown}, as the tool left it, is a symbolic link, not a regular file it wrote", _NOT_MADE_FIX)
    if made and lst.st_nlink != 1:
        raise _Refused(
            f"{shown}, as the tool left it, has {lst.st_nlink} hard links: not a regular file of its own", _NOT_MADE_FIX
        )
    if not stat.S_ISLNK(lst.st_mode):
        return
    ins.is_link = True
    try:
        target = os.readlink(path)
    except OSError:  # replaced between the two looks: say so without the target
        target = "(unreadable)"
    ins.add(
        "link",
        "warn",
        f"{shown} is a symbolic link to {target}; followed for reading only",
        "keep key files as regular files so that nothing else can swap them",
    )


def _open(path: Path, shown: str) -> int:
    """Open without blocking: a FIFO must not hang keygen."""
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise _Refused(f"{shown} is a link to a missing file", "point it at the key, or replace it") from None
    except IsADirectoryError:
        raise _Refused(f"{shown} is a directory, not a key file", "name the key file itself") from None
    except OSError as exc:
        raise _Refused(f"cannot open {shown}: {exc.strerror}", "check its permissions") from None


def _check_regular(st: os.stat_result, shown: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise _Refused(f"{shown} is a directory, not a key file", "name the key file itself")
    if not stat.S_ISREG(st.st_mode):
        raise _Refused(f"{shown} is not a regular file (a FIFO, device or socket)", "name the key file itself")
    if st.st_size > MAX_KEY_FILE:
        raise _Refused(
            f"{shown} is {st.st_size} bytes; a key file is a few KiB (refused without reading it)",
            "name the key file itself",
        )


def _read_bounded(fd: int) -> bytes:
    """At most MAX_KEY_FILE + 1 bytes: enough to tell that a file grew past the limit."""
    chunks = []
    remaining = MAX_KEY_FILE + 1
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read(path: Path, shown: str) -> tuple[os.stat_result, bytes]:
    fd = _open(path, shown)
    try:
        st = os.fstat(fd)
        _check_regular(st, shown)
        data = _read_bounded(fd)
    except OSError as exc:
        raise _Refused(f"cannot read {shown}: {exc.strerror}", "check its permissions") from None
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE:
        raise _Refused(f"{shown} grew past {MAX_KEY_FILE} bytes while being read", "name the key file itself")
    return st, data


def read_key_file(path: Path, role: Role, ins: Inspection | None = None, *, made: bool = False) -> Inspection:
    """Read a key file safely: no blocking on FIFOs, no reading a huge file whole (`made`: a file a
    tool has just written, which must be a regular file with one link)."""
    ins = ins or Inspection(role, str(path))
    try:
        _look(path, ins, made)
        st, ins.data = _read(path, ins.shown)
    except _Refused as refused:
        ins.add("file", "fail", refused.summary, refused.fix)
        return ins
    if role == "private":
        _check_permissions(ins, st)
    return ins


def _check_permissions(ins: Inspection, st: os.stat_result) -> None:
    """A private key that others can read (POSIX modes only: Windows has ACLs)."""
    if os.name == "posix" and st.st_mode & 0o077:
        ins.add(
            "permissions",
            "warn",
            f"{ins.shown} is readable by others (mode {stat.S_IMODE(st.st_mode):04o})",
            f"`chmod 600 {quoting.quote(ins.shown, 'posix')}`",
        )


# --- encoding ----------------------------------------------------------------------------------


#: The byte order marks of UTF-16.
_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


def _utf16_order(data: bytes) -> str | None:
    return _UTF16_BOMS.get(data[:2]) or _unmarked_utf16(data)


def _unmarked_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte order mark, told by where the zero bytes of its ASCII text fall."""
    head = data[:64]
    if len(data) < 4 or b"\x00" not in head:
        return None
    for order, zeros, text in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if not any(zeros) and any(text):
            return order
    return None


def _not_text(ins: Inspection) -> None:
    ins.encoding = "binary"
    ins.add(
        "encoding",
        "fail",
        "is not a text file: it holds bytes that no PEM key file has (binary data)",
        "this is not a key file: name the right file, or make the pair again: " + advice.new_pair(ins),
    )


def _decode_utf16(ins: Inspection, data: bytes, utf16: str) -> None:
    """What Windows PowerShell 5.1's `>` writes: readable text, but no tool can load it."""
    try:
        text = data.decode(utf16).lstrip("\ufeff")
    except UnicodeDecodeError:
        _not_text(ins)
        return
    if not text.isascii() or "\x00" in text:
        _not_text(ins)
        return
    ins.encoding, ins.bom = utf16, data[:2] in _UTF16_BOMS
    ins.line_ends = line_end_style(text.encode("ascii"))
    ins.text = text.replace("\r\n", "\n")
    fix = (
        advice.utf16_public(ins)
        if ins.role == "public"
        else "save the key as ASCII (in an editor: UTF-8 without BOM), keeping the original"
    )
    ins.add(
        "encoding",
        "fail",
        f"encoded as {utf16.upper()}{' with a byte order mark' if ins.bom else ''} (what Windows PowerShell "
        "5.1's `>` writes): openssl, ssh-keygen and the Amazon Pay SDKs cannot read it",
        fix,
    )


def _not_ascii(ins: Inspection, text_bytes: bytes, exc: UnicodeDecodeError) -> None:
    try:
        text_bytes.decode("utf-8")
    except UnicodeDecodeError:
        _not_text(ins)
        return
    line = text_bytes[: exc.start].count(b"\n") + 1
    ins.encoding = "utf-8"
    ins.add(
        "encoding",
        "fail",
        f"holds non-ASCII characters (first on line {line}); a PEM key is plain ASCII",
        "the file was edited or pasted with extra characters: make the pair again: " + advice.new_pair(ins),
    )


def _judge_ascii(ins: Inspection, problems: list[str], strict: bool) -> None:
    if not problems:
        # CRLF is what the documented openssl lines write on Windows (OpenSSL's apps open PEM output
        # in text mode), and the SDKs load it: a consistent style passes, and is only reported.
        style = LINE_END_NAMES[ins.line_ends or "lf"]
        ins.add("encoding", "pass", f"plain ASCII, {style} line ends, no byte order mark")
        return
    fix = (
        f"rewrite it as plain ASCII with one line-end style: {advice.fix_in_place(ins)} "
        "(keeps the original as a backup)"
        if ins.role == "public"
        else "save it as plain ASCII with one line-end style (an editor: UTF-8 without BOM), keeping the original"
    )
    if strict:
        ins.add("encoding", "fail", " and ".join(problems) + "; the documented commands write plain ASCII", fix)
    else:
        ins.add("encoding", "warn", " and ".join(problems) + "; openssl and the SDKs still load it", fix)


def _decode_8bit(ins: Inspection, data: bytes, strict: bool) -> None:
    """ASCII, perhaps with a UTF-8 byte order mark or mixed line ends (they load, but are not the documented form)."""
    text_bytes = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    ins.bom, ins.line_ends = text_bytes is not data, line_end_style(text_bytes)
    # A bare CR is a layout defect (below), not a harmless mix; a private key's BOM is one too.
    mixed = ins.line_ends == "mixed" and not _bare_cr(text_bytes)
    bom = ins.bom and ins.role == "public"
    problems = [p for p, found in ((_BOM, bom), (_MIXED, mixed)) if found]
    if b"\x00" in text_bytes:
        _not_text(ins)
        return
    try:
        text = text_bytes.decode("ascii")
    except UnicodeDecodeError as exc:
        _not_ascii(ins, text_bytes, exc)
        return
    ins.encoding = "ascii"
    ins.text = text.replace("\r\n", "\n")
    _judge_ascii(ins, problems, strict)
    _judge_layout(ins, text)


def _bare_cr(data: bytes) -> bool:
    return data.count(b"\r") > data.count(b"\r\n")


#: Why a byte order mark fails a private key (openssl reads past it; the Java SDK does not).
BOM_PRIVATE = (
    "starts with a UTF-8 byte order mark: the Java SDK's PEM reader (BouncyCastle, over the file's "
    "text) does not find the -----BEGIN line behind it"
)


def _judge_layout(ins: Inspection, text: str) -> None:
    """The PEM layout as the SDKs' readers need it: each defect fails, with the fix that mends it."""
    found = layout.defects(text)
    if ins.bom and ins.role == "private" and "-----BEGIN" in text:
        found.insert(0, BOM_PRIVATE)
    if not found:
        return
    ins.add(
        "layout",
        "fail",
        "; ".join(found) + ": openssl (the Node, PHP and Ruby SDKs' reader) or the Java SDK cannot read it",
        advice.layout_fix(ins, mendable=not any(d.startswith("has headers") for d in found)),
    )


_BOM = "starts with a UTF-8 byte order mark"
_MIXED = "mixes CRLF and LF line ends"
#: How each line-end style is named to the user.
LINE_END_NAMES = {"lf": "LF", "crlf": "CRLF (Windows)", "mixed": "mixed CRLF and LF"}


def line_end_style(data: bytes) -> str:
    """ "lf", "crlf" or "mixed": a file with no line break at all counts as LF."""
    crlf = data.count(b"\r\n")
    bare_lf = data.count(b"\n") - crlf
    bare_cr = data.count(b"\r") - crlf
    if bare_cr or (crlf and bare_lf):
        return "mixed"
    return "crlf" if crlf else "lf"


def decode(ins: Inspection, strict: bool) -> None:
    """Find the text inside the bytes, and say how it is encoded."""
    data = ins.data
    assert data is not None
    if not data.strip():
        ins.add(
            "file",
            "fail",
            f"{ins.shown} is empty ({len(data)} bytes)" if not data else f"{ins.shown} holds only white space",
            "a `>` redirect creates its file before the command runs, so a failed command leaves an empty one: "
            "make the pair again: " + advice.new_pair(ins),
        )
        return
    utf16 = _utf16_order(data)
    if utf16:
        _decode_utf16(ins, data, utf16)
    else:
        _decode_8bit(ins, data, strict)


# --- forms -------------------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
SSH_LINE = re.compile(r"^(ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-[\w-]+)\s+([A-Za-z0-9+/=]+)", re.M)
_RFC4716 = "---- BEGIN SSH2 PUBLIC KEY ----"


def classify(text: str) -> str | None:
    if _RFC4716 in text:
        return "SSH2 PUBLIC KEY"
    m = _PEM_BEGIN.search(text)
    if m:
        return m.group(1)
    m = SSH_LINE.search(text)
    if m:
        return m.group(1)
    return None
