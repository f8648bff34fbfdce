"""Reading and decoding key files: bytes off the disk safely, then the text inside them.

A key file is read without blocking (FIFOs), without reading a huge file whole, and without
following it for writing; its encoding (ASCII, UTF-8, UTF-16 with or without BOM, CRLF) is
found and recorded on the `Inspection`, with a `Check` for each finding. Judging the key itself
is `keygen.checks`; the fix commands' wording is `keygen.advice`.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from keygen import advice
from keygen.advice import quote

Status = Literal["pass", "warn", "fail"]
Role = Literal["private", "public"]

#: No key file is near this size; a larger one is refused without being read whole.
MAX_KEY_FILE = 1024 * 1024


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    summary: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "summary": self.summary, "fix": self.fix}


@dataclass
class Inspection:
    """What was learnt about one key file."""

    role: Role
    path: str
    #: The name messages and fix commands use (the staged file is shown under its final name).
    shown: str = ""
    checks: list[Check] = field(default_factory=list)
    data: bytes | None = None
    text: str | None = None
    #: The PEM label or form found: "PRIVATE KEY", "RSA PRIVATE KEY", "ssh-rsa", "SSH2 PUBLIC KEY"...
    form: str | None = None
    key: Any = None
    #: How the bytes were encoded: "ascii", "utf-8", "utf-16-le", "utf-16-be" or "binary" (None: unread).
    encoding: str | None = None
    bom: bool = False
    crlf: bool = False
    #: The path was a symbolic link (followed for reading only: never written through).
    is_link: bool = False
    #: Names the fix commands use for the pair (the paths as given, so commands can be pasted).
    private_name: str = "privateKey.pem"
    public_name: str = "publicKey.pub"
    #: The form of the pair's private key, when known: it decides which tool can derive the public key.
    private_form: str | None = None
    #: Run OpenSSL's full RSA key validation when loading a private key (see check_pair).
    validate_rsa: bool = True

    def __post_init__(self) -> None:
        self.shown = self.shown or self.path

    def add(self, name: str, status: Status, summary: str, fix: str = "") -> None:
        self.checks.append(Check(f"{self.role}_key.{name}", status, summary, fix))

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)


# --- reading -----------------------------------------------------------------------------------


def read_key_file(path: Path, role: Role, ins: Inspection | None = None) -> Inspection:
    """Read a key file safely: no blocking on FIFOs, no reading a huge file whole."""
    ins = ins or Inspection(role, str(path))
    shown = ins.shown
    regenerate = "run `keygen generate` in an empty directory"
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        ins.add("file", "fail", f"{shown} does not exist", f"check the path, or {regenerate}")
        return ins
    except OSError as exc:
        ins.add("file", "fail", f"cannot look at {shown}: {exc.strerror}", "check the path and its permissions")
        return ins
    if stat.S_ISLNK(lst.st_mode):
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
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        ins.add("file", "fail", f"{shown} is a link to a missing file", "point it at the key, or replace it")
        return ins
    except IsADirectoryError:
        ins.add("file", "fail", f"{shown} is a directory, not a key file", "name the key file itself")
        return ins
    except OSError as exc:
        ins.add("file", "fail", f"cannot open {shown}: {exc.strerror}", "check its permissions")
        return ins
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            ins.add("file", "fail", f"{shown} is a directory, not a key file", "name the key file itself")
            return ins
        if not stat.S_ISREG(st.st_mode):
            ins.add(
                "file", "fail", f"{shown} is not a regular file (a FIFO, device or socket)", "name the key file itself"
            )
            return ins
        if st.st_size > MAX_KEY_FILE:
            ins.add(
                "file",
                "fail",
                f"{shown} is {st.st_size} bytes; a key file is a few KiB (refused without reading it)",
                "name the key file itself",
            )
            return ins
        chunks = []
        remaining = MAX_KEY_FILE + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        ins.add("file", "fail", f"cannot read {shown}: {exc.strerror}", "check its permissions")
        return ins
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE:
        ins.add("file", "fail", f"{shown} grew past {MAX_KEY_FILE} bytes while being read", "name the key file itself")
        return ins
    ins.data = data
    if role == "private" and os.name == "posix" and st.st_mode & 0o077:
        ins.add(
            "permissions",
            "warn",
            f"{shown} is readable by others (mode {stat.S_IMODE(st.st_mode):04o})",
            f"chmod 600 {quote(shown)}",
        )
    return ins


# --- encoding ----------------------------------------------------------------------------------


def _utf16_order(data: bytes) -> str | None:
    if data.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return "utf-16-be"
    if len(data) >= 4 and b"\x00" in data[:64]:
        head = data[:64]
        if all(b == 0 for b in head[1::2]) and any(head[0::2]):
            return "utf-16-le"
        if all(b == 0 for b in head[0::2]) and any(head[1::2]):
            return "utf-16-be"
    return None


def _not_text(ins: Inspection) -> None:
    ins.encoding = "binary"
    ins.add(
        "encoding",
        "fail",
        "is not a text file: it holds bytes that no PEM key file has (binary data)",
        "this is not a key file: name the right file, or make the pair again with `keygen generate`",
    )


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
            "make the pair again in an empty directory (`keygen generate`)",
        )
        return
    utf16 = _utf16_order(data)
    if utf16:
        try:
            text = data.decode(utf16).lstrip("\ufeff")
        except UnicodeDecodeError:
            _not_text(ins)
            return
        if not text.isascii() or "\x00" in text:
            _not_text(ins)
            return
        ins.encoding, ins.bom, ins.crlf = utf16, data[:2] in (b"\xff\xfe", b"\xfe\xff"), "\r\n" in text
        ins.text = text.replace("\r\n", "\n")
        fix = (
            "Windows PowerShell 5.1's `>` writes UTF-16; write the file as ASCII with "
            f"{advice.powershell_lines(ins.private_name, ins.public_name)}, or let `keygen verify --fix` "
            "rewrite it (the original is kept as a backup)"
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
        return
    text_bytes = data
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append("starts with a UTF-8 byte order mark")
        text_bytes = data[3:]
        ins.bom = True
    if b"\r\n" in text_bytes:
        problems.append("has CRLF (Windows) line ends")
        ins.crlf = True
    if b"\x00" in text_bytes:
        _not_text(ins)
        return
    try:
        text = text_bytes.decode("ascii")
    except UnicodeDecodeError as exc:
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
            "the file was edited or pasted with extra characters: make it again with the documented commands",
        )
        return
    ins.encoding = "ascii"
    ins.text = text.replace("\r\n", "\n")
    if problems:
        fix = (
            "rewrite it as ASCII with LF line ends: `keygen verify --fix` (keeps the original as a backup)"
            if ins.role == "public"
            else "save it as ASCII with LF line ends (in an editor: UTF-8 without BOM, LF), keeping the original"
        )
        if strict:
            ins.add("encoding", "fail", " and ".join(problems) + "; the documented commands write plain ASCII", fix)
        else:
            ins.add("encoding", "warn", " and ".join(problems) + "; openssl and the SDKs still load it", fix)
    else:
        ins.add("encoding", "pass", "plain ASCII, LF line ends, no byte order mark")


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
