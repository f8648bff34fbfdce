"""Verification of a key pair, independent of the tool that made it.

Every finding is a named `Check` (pass, warn or fail) with what was found and the fix. `strict`
is how `generate` judges its own output: only the documented form (PKCS#8, SPKI, ASCII, LF) passes.
Without it (`verify`), forms that still load in some SDKs are warnings, not failures.

pyca/cryptography is imported here only, and only when a check runs: it costs start-up time.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from keygen import advice, amazon_pay, spki

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

Status = Literal["pass", "warn", "fail"]
Role = Literal["private", "public"]

#: No key file is near this size; a larger one is refused without being read whole.
MAX_KEY_FILE = 1024 * 1024
REQUIRED_BITS = 2048
REQUIRED_EXPONENT = 65537


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
    checks: list[Check] = field(default_factory=list)
    data: bytes | None = None
    text: str | None = None
    #: The PEM label or form found: "PRIVATE KEY", "RSA PRIVATE KEY", "ssh-rsa", "SSH2 PUBLIC KEY"...
    form: str | None = None
    key: Any = None
    #: How the bytes were encoded: "ascii", "utf-8", "utf-16-le", "utf-16-be" or "binary" (None: unread).
    encoding: str | None = None
    bom: bool = False
    #: Line-end style of the text: "lf", "crlf" (what native Windows openssl writes) or "mixed".
    line_ends: str | None = None
    #: The path was a symbolic link (followed for reading only: never written through).
    is_link: bool = False
    #: Names the fix commands use for the pair (the paths as given, so commands can be pasted).
    private_name: str = "privateKey.pem"
    public_name: str = "publicKey.pub"
    #: The form of the pair's private key, when known: it decides which tool can derive the public key.
    private_form: str | None = None
    #: Run OpenSSL's full RSA key validation when loading a private key (see check_pair).
    validate_rsa: bool = True
    #: The shell the printed commands are quoted for, and whether both files of a pair were named.
    shell: advice.Shell = "posix"
    pair: bool = False
    #: False when the other file of the pair failed: a fix then checks the new file alone.
    partner_ok: bool = True
    #: The key's DER as the file holds it (PEM SPKI / PKCS#8 only), and its algorithm identifier.
    der: bytes | None = None
    algorithm: spki.Algorithm | None = None

    def q(self, path: str) -> str:
        return advice.quote(path, self.shell)

    def add(self, name: str, status: Status, summary: str, fix: str = "") -> None:
        self.checks.append(Check(f"{self.role}_key.{name}", status, summary, fix))

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)


# --- reading -----------------------------------------------------------------------------------


def read_key_file(path: Path, role: Role, ins: Inspection | None = None) -> Inspection:
    """Read a key file safely: no blocking on FIFOs, no reading a huge file whole."""
    ins = ins or Inspection(role, str(path))
    regenerate = "make a new pair: " + _new_pair(ins)
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        ins.add("file", "fail", f"{path} does not exist", f"check the path, or {regenerate}")
        return ins
    except OSError as exc:
        ins.add("file", "fail", f"cannot look at {path}: {exc.strerror}", "check the path and its permissions")
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
            f"{path} is a symbolic link to {target}; followed for reading only",
            "keep key files as regular files so that nothing else can swap them",
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        ins.add("file", "fail", f"{path} is a link to a missing file", "point it at the key, or replace it")
        return ins
    except IsADirectoryError:
        ins.add("file", "fail", f"{path} is a directory, not a key file", "name the key file itself")
        return ins
    except OSError as exc:
        ins.add("file", "fail", f"cannot open {path}: {exc.strerror}", "check its permissions")
        return ins
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            ins.add("file", "fail", f"{path} is a directory, not a key file", "name the key file itself")
            return ins
        if not stat.S_ISREG(st.st_mode):
            ins.add(
                "file", "fail", f"{path} is not a regular file (a FIFO, device or socket)", "name the key file itself"
            )
            return ins
        if st.st_size > MAX_KEY_FILE:
            ins.add(
                "file",
                "fail",
                f"{path} is {st.st_size} bytes; a key file is a few KiB (refused without reading it)",
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
        ins.add("file", "fail", f"cannot read {path}: {exc.strerror}", "check its permissions")
        return ins
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE:
        ins.add("file", "fail", f"{path} grew past {MAX_KEY_FILE} bytes while being read", "name the key file itself")
        return ins
    ins.data = data
    if role == "private" and os.name == "posix" and st.st_mode & 0o077:
        ins.add(
            "permissions",
            "warn",
            f"{path} is readable by others (mode {stat.S_IMODE(st.st_mode):04o})",
            f"`chmod 600 {advice.quote(str(path), 'posix')}`",
        )
    return ins


def quote(path: str) -> str:
    """For other modules that print commands naming the user's files: quoted for the user's shell."""
    return advice.quote(path, advice.current_shell())


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


def _new_pair(ins: Inspection) -> str:
    return f"`{advice.new_pair(ins.shell)}` (the documented commands, in a new directory)"


def _fix_in_place(ins: Inspection) -> str:
    """Point at --fix (which keeps a backup) for exactly the files being checked."""
    private = ins.private_name if ins.pair else None
    return f"`{advice.keygen_verify(private, ins.public_name, ins.shell, '--fix')}`"


def _not_text(ins: Inspection) -> None:
    ins.encoding = "binary"
    ins.add(
        "encoding",
        "fail",
        "is not a text file: it holds bytes that no PEM key file has (binary data)",
        "this is not a key file: name the right file, or make the pair again: " + _new_pair(ins),
    )


def decode(ins: Inspection, strict: bool) -> None:
    """Find the text inside the bytes, and say how it is encoded."""
    data = ins.data
    assert data is not None
    if not data.strip():
        ins.add(
            "file",
            "fail",
            f"{ins.path} is empty ({len(data)} bytes)" if not data else f"{ins.path} holds only white space",
            "a `>` redirect creates its file before the command runs, so a failed command leaves an empty one: "
            "make the pair again: " + _new_pair(ins),
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
        ins.encoding, ins.bom = utf16, data[:2] in (b"\xff\xfe", b"\xfe\xff")
        ins.line_ends = line_end_style(text.encode("ascii"))
        ins.text = text.replace("\r\n", "\n")
        fix = (
            "Windows PowerShell 5.1's `>` writes UTF-16: let keygen rewrite it as ASCII, keeping the original "
            f"in a backup: {_fix_in_place(ins)}" + _beside(ins)
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
    if b"\x00" in text_bytes:
        _not_text(ins)
        return
    ins.line_ends = line_end_style(text_bytes)
    if ins.line_ends == "mixed":
        problems.append("mixes CRLF and LF line ends")
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
            "the file was edited or pasted with extra characters: make the pair again: " + _new_pair(ins),
        )
        return
    ins.encoding = "ascii"
    ins.text = text.replace("\r\n", "\n")
    style = LINE_END_NAMES[ins.line_ends]
    if problems:
        fix = (
            f"rewrite it as plain ASCII with one line-end style: {_fix_in_place(ins)} (keeps the original as a backup)"
            if ins.role == "public"
            else "save it as plain ASCII with one line-end style (an editor: UTF-8 without BOM), keeping the original"
        )
        if strict:
            ins.add("encoding", "fail", " and ".join(problems) + "; the documented commands write plain ASCII", fix)
        else:
            ins.add("encoding", "warn", " and ".join(problems) + "; openssl and the SDKs still load it", fix)
    else:
        # CRLF is what the documented openssl lines write on Windows (OpenSSL's apps open PEM output
        # in text mode), and the SDKs load it: a consistent style passes, and is only reported.
        ins.add("encoding", "pass", f"plain ASCII, {style} line ends, no byte order mark")


#: How each line-end style is named to the user.
LINE_END_NAMES = {"lf": "LF", "crlf": "CRLF (Windows)", "mixed": "mixed CRLF and LF"}


def line_end_style(data: bytes) -> str:
    """ "lf", "crlf" or "mixed": a file with no line break at all counts as LF."""
    crlf = data.count(b"\r\n")
    bare_lf = data.count(b"\n") - crlf
    bare_cr = data.count(b"\r") - crlf
    if crlf and (bare_lf or bare_cr):
        return "mixed"
    if bare_cr:
        return "mixed"
    return "crlf" if crlf else "lf"


# --- forms -------------------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_SSH_LINE = re.compile(r"^(ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-[\w-]+)\s+([A-Za-z0-9+/=]+)", re.M)
_RFC4716 = "---- BEGIN SSH2 PUBLIC KEY ----"


def classify(text: str) -> str | None:
    if _RFC4716 in text:
        return "SSH2 PUBLIC KEY"
    m = _PEM_BEGIN.search(text)
    if m:
        return m.group(1)
    m = _SSH_LINE.search(text)
    if m:
        return m.group(1)
    return None


PKCS8_FROM_PKCS1 = "openssl pkcs8 -topk8 -nocrypt -in privateKey.pem -out privateKey.pkcs8.pem"


def _check_line(ins: Inspection, private: str) -> str:
    """The `keygen verify` that checks a converted private key (with its public key, when named)."""
    return advice.keygen_verify(private, ins.public_name if ins.pair and ins.partner_ok else None, ins.shell)


def _unencrypted_copy(ins: Inspection) -> str:
    """How to write the key again without its passphrase, beside the original, never over it."""
    new = advice.fresh_name(ins.private_name, ".unencrypted.pem")
    line = advice.join(
        [f"openssl pkey -in {ins.q(ins.private_name)} -out {ins.q(new)}", _check_line(ins, new)], ins.shell
    )
    return f"(it asks for the passphrase; the original stays as it is): `{line}`; then point the SDK at {new}"


def _swap_note(target: str, original: str) -> str:
    return f"; once that passes, use {target} (rename it to {original} only after keeping the old file elsewhere)"


def _regen_public(ins: Inspection) -> str:
    """Write the public key again from the named private key, to a NEW file beside the old one."""
    if not ins.pair:
        # No private key was named: a command built on some privateKey.pem here could be another pair's.
        return (
            "write it again from its private key with the documented line (name both files to verify "
            "and keygen prints the exact command)"
        )
    public_name = ins.public_name
    if public_name.endswith(".pem.pub"):
        # ssh-keygen's side file: keep it for ssh-keygen, and write the documented file beside it.
        target = advice.fresh_name(os.path.join(os.path.dirname(public_name), "publicKey.pub"), ".pub")
    else:
        target = advice.fresh_name(public_name, ".new.pub")
    openssh = ins.private_form == "OPENSSH PRIVATE KEY"
    line = advice.public_from_private(ins.private_name, target, ins.shell, openssh=openssh, pair=ins.partner_ok)
    how = "with ssh-keygen (openssl cannot read the OpenSSH format)" if openssh else "with openssl"
    return f"write the public key again from {ins.private_name}, {how}, beside the old file: `{line}`" + _swap_note(
        target, public_name
    )


def _beside(ins: Inspection) -> str:
    """For a public key's encoding: the other way out, a new file written from the private key."""
    return f"; or {_regen_public(ins)}" if ins.pair else ""


def _key_kind(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, x448, x25519

    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return f"EC ({key.curve.name})"
    for name, types in (
        ("Ed25519", (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)),
        ("Ed448", (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)),
        ("X25519", (x25519.X25519PrivateKey, x25519.X25519PublicKey)),
        ("X448", (x448.X448PrivateKey, x448.X448PublicKey)),
        ("DSA", (dsa.DSAPrivateKey, dsa.DSAPublicKey)),
    ):
        if isinstance(key, types):
            return name
    return type(key).__name__.lstrip("_")


#: PEM labels of private keys that are not RSA, and what they are.
_OTHER_PRIVATE = {"EC PRIVATE KEY": "EC", "DSA PRIVATE KEY": "DSA"}


def _openssh_fix(ins: Inspection) -> str:
    copy = advice.fresh_name(ins.private_name, ".pkcs8.pem")
    line = advice.openssh_to_pkcs8(ins.private_name, copy, ins.shell, _check_line(ins, copy))
    return f"`{line}` (the original stays as it is; then point the SDK at {copy}), or make a new pair: {_new_pair(ins)}"


def check_private(ins: Inspection, strict: bool) -> None:
    text = ins.text
    if text is None:
        return
    form = classify(text)
    ins.form = form
    if form == "PRIVATE KEY":
        ins.add("format", "pass", "PKCS#8 PEM (BEGIN PRIVATE KEY), not encrypted")
        ins.der = spki.pem_der(text, "PRIVATE KEY")
        ins.algorithm = spki.algorithm(ins.der, private=True) if ins.der else None
    elif form == "RSA PRIVATE KEY":
        if "Proc-Type: 4,ENCRYPTED" in text:
            ins.add(
                "format",
                "fail",
                "PKCS#1 PEM encrypted with a passphrase (Proc-Type: 4,ENCRYPTED): the Amazon Pay SDKs take no "
                "passphrase",
                "write an unencrypted PKCS#8 copy " + _unencrypted_copy(ins),
            )
            return
        msg = (
            "PKCS#1 PEM (BEGIN RSA PRIVATE KEY): the PHP, Node, .NET and Ruby SDKs load it, the Java SDK does "
            "not; the documented form is PKCS#8 (BEGIN PRIVATE KEY)"
        )
        copy = advice.fresh_name(ins.private_name, ".pkcs8.pem")
        line = advice.join(
            [f"openssl pkcs8 -topk8 -nocrypt -in {ins.q(ins.private_name)} -out {ins.q(copy)}", _check_line(ins, copy)],
            ins.shell,
        )
        fix = f"convert a copy to PKCS#8, keeping the original: `{line}` (then point the SDK at {copy})"
        ins.add("format", "fail" if strict else "warn", msg, fix)
    elif form == "ENCRYPTED PRIVATE KEY":
        ins.add(
            "format",
            "fail",
            "PKCS#8 encrypted with a passphrase (BEGIN ENCRYPTED PRIVATE KEY): the Amazon Pay SDKs take no passphrase",
            "write an unencrypted copy " + _unencrypted_copy(ins),
        )
        return
    elif form == "OPENSSH PRIVATE KEY":
        cipher = _openssh_cipher(text)
        if cipher not in (None, "none"):
            ins.add(
                "format",
                "fail",
                f"OpenSSH private key format, encrypted with a passphrase ({cipher}): openssl and the Amazon Pay "
                "SDKs can read neither the format nor a passphrase",
                "convert a copy to unencrypted PKCS#8 (it asks for the passphrase; OpenSSH 8.1 or later): "
                + _openssh_fix(ins),
            )
            return
        ins.add(
            "format",
            "fail",
            "OpenSSH private key format (BEGIN OPENSSH PRIVATE KEY: ssh-keygen 7.8 to 8.0, or run without "
            "`-m PKCS8`): openssl and the Amazon Pay SDKs cannot load it",
            "convert a copy to PKCS#8 (OpenSSH 8.1 or later): " + _openssh_fix(ins),
        )
        ins.key = _load_openssh_private(ins, text)
        if ins.key is None:
            return
    elif form in _OTHER_PRIVATE:
        ins.add(
            "algorithm",
            "fail",
            f"holds an {_OTHER_PRIVATE[form]} private key ({form}); Amazon Pay needs RSA (2048 bits)",
            "make a new RSA-2048 pair: " + _new_pair(ins),
        )
        # Loaded only so the second opinion can compare; the algorithm already failed.
        ins.key = _load_pem_private(ins, text)
        return
    elif form in ("PUBLIC KEY", "RSA PUBLIC KEY", "SSH2 PUBLIC KEY") or (form or "").startswith(("ssh-", "ecdsa-")):
        ins.add(
            "format",
            "fail",
            f"holds a public key ({form}), not a private key",
            "name the private key file (the SDKs read the private key; Integration Central reads the public key)",
        )
        return
    elif form is None:
        ins.add(
            "format",
            "fail",
            "holds no PEM key (no -----BEGIN line)",
            "name the private key file, or make a new pair: " + _new_pair(ins),
        )
        return
    else:
        ins.add("format", "fail", f"holds a {form}, not an RSA private key", "make a new pair: " + _new_pair(ins))
        return
    if ins.key is None:
        ins.key = _load_pem_private(ins, text)
    if ins.key is not None:
        _check_rsa(ins, ins.key, strict)


def _load_pem_private(ins: Inspection, text: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(
            text.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=not ins.validate_rsa
        )
    except TypeError:
        ins.add(
            "load",
            "fail",
            "is encrypted: the Amazon Pay SDKs take no passphrase",
            "write an unencrypted copy " + _unencrypted_copy(ins),
        )
    except Exception as exc:  # noqa: BLE001 - cryptography raises several kinds for damaged input
        ins.add(
            "load",
            "fail",
            f"the PEM block does not load: {_reason(exc)}",
            "the file is damaged or truncated: make a new pair: " + _new_pair(ins),
        )
    return None


def _openssh_cipher(text: str) -> str | None:
    """The cipher named in an OpenSSH private key's header ("none" when not encrypted)."""
    m = re.search(r"-----BEGIN OPENSSH PRIVATE KEY-----(.*?)-----END OPENSSH PRIVATE KEY-----", text, re.S)
    if not m:
        return None
    try:
        raw = base64.b64decode("".join(m.group(1).split()), validate=True)
    except ValueError:
        return None
    magic = b"openssh-key-v1\x00"
    if not raw.startswith(magic) or len(raw) < len(magic) + 4:
        return None
    size = int.from_bytes(raw[len(magic) : len(magic) + 4], "big")
    name = raw[len(magic) + 4 : len(magic) + 4 + size]
    try:
        return name.decode("ascii") if 0 < len(name) == size <= 64 else None
    except UnicodeDecodeError:
        return None


def _load_openssh_private(ins: Inspection, text: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_ssh_private_key(text.encode("ascii"), password=None)
    except Exception as exc:  # noqa: BLE001 - cryptography raises several kinds for damaged input
        ins.add(
            "load",
            "fail",
            f"the OpenSSH key does not load: {_reason(exc)}",
            "the file is damaged or truncated: make a new pair: " + _new_pair(ins),
        )
        return None


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _rsa_pss_summary(alg: spki.Algorithm) -> str:
    """Why an RSA-PSS restricted key fails, and what the SDKs can still do with it."""
    head = "an RSA-PSS restricted key (OID id-RSASSA-PSS, not rsaEncryption)"
    refused = alg.refuses()
    if refused:
        why = "; ".join(f"{name}: {reason}" for name, reason in refused.items())
        return f"{head}: the SDKs read the private key and cannot sign with it ({why})"
    return (
        f"{head}{'' if alg.restricted else ', without parameters'}: keygen is stricter than the SDKs here (they "
        "sign with it), because the "
        "documented commands make an rsaEncryption key and Integration Central, which reads the public key, is "
        "not documented to take an id-RSASSA-PSS one"
    )


def _check_rsa(ins: Inspection, key: Any, strict: bool) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        ins.add(
            "algorithm",
            "fail",
            f"is an {_key_kind(key)} key; Amazon Pay needs RSA (2048 bits)",
            "make a new RSA-2048 pair: " + _new_pair(ins),
        )
        return
    if ins.algorithm is not None and ins.algorithm.is_rsa_pss:
        ins.add("algorithm", "fail", _rsa_pss_summary(ins.algorithm), "make a new pair: " + _new_pair(ins))
    else:
        ins.add("algorithm", "pass", "RSA")
    bits = key.key_size
    if bits == REQUIRED_BITS:
        ins.add("size", "pass", "2048 bits")
    else:
        ins.add(
            "size",
            "fail",
            f"RSA with {bits} bits: keygen is stricter than the SDKs here (they sign with any RSA size); Amazon "
            "Pay documents 2048-bit keys, and Integration Central reads the public key",
            "make a new pair: " + _new_pair(ins),
        )
    e = key.public_numbers().e if isinstance(key, rsa.RSAPublicKey) else key.private_numbers().public_numbers.e
    if e == REQUIRED_EXPONENT:
        ins.add("exponent", "pass", "public exponent 65537")
    else:
        ins.add(
            "exponent",
            "fail" if strict else "warn",
            f"public exponent {e}; the tools' default is 65537",
            "make a new pair: " + _new_pair(ins),
        )


def _check_public_line(ins: Inspection, new: str) -> str:
    """The `keygen verify` for a public key written from the public key file alone."""
    return advice.keygen_verify(ins.private_name if ins.pair and ins.partner_ok else None, new, ins.shell)


def _from_rfc4716(ins: Inspection, new: str, check: str) -> str:
    middle = advice.fresh_name(ins.path, ".openssh.pub")
    steps = [
        advice.to_file(f"ssh-keygen -i -f {ins.q(ins.path)}", middle, ins.shell),
        advice.to_file(f"ssh-keygen -e -m PKCS8 -f {ins.q(middle)}", new, ins.shell),
        check,
    ]
    return advice.join(steps, ins.shell)


def check_public(ins: Inspection, strict: bool) -> None:
    text = ins.text
    if text is None:
        return
    form = classify(text)
    ins.form = form
    redo = _regen_public(ins)
    src = ins.q(ins.path)
    new = advice.fresh_name(ins.path, ".spki.pub")
    out, check = ins.q(new), _check_public_line(ins, new)
    if form == "PUBLIC KEY":
        ins.add("format", "pass", "SubjectPublicKeyInfo PEM (BEGIN PUBLIC KEY)")
        ins.der = spki.pem_der(text, "PUBLIC KEY")
        ins.algorithm = spki.algorithm(ins.der, private=False) if ins.der else None
        ins.key = _load_public(ins, lambda s: s.load_pem_public_key(text.encode("ascii")))
    elif form == "RSA PUBLIC KEY":
        line = advice.join([f"openssl rsa -RSAPublicKey_in -in {src} -pubout -out {out}", check], ins.shell)
        ins.add(
            "format",
            "fail",
            "PKCS#1 public key (BEGIN RSA PUBLIC KEY): keygen is stricter than the SDKs here (they never read the "
            "public key); Integration Central reads it and expects BEGIN PUBLIC KEY, the form the documented "
            "commands write",
            f"{redo}; or from this file alone: `{line}`",
        )
        ins.key = _load_public(ins, lambda s: s.load_pem_public_key(text.encode("ascii")))
    elif form == "SSH2 PUBLIC KEY":
        ins.add(
            "format",
            "fail",
            "RFC 4716 SSH2 public key (---- BEGIN SSH2 PUBLIC KEY ----: `ssh-keygen -e` without `-m PKCS8`); "
            "Integration Central expects BEGIN PUBLIC KEY",
            f"{redo}; or from this file alone: `{_from_rfc4716(ins, new, check)}`",
        )
        ins.key = _load_rfc4716(ins, text)
    elif form and form.startswith(("ssh-", "ecdsa-")):
        ins.add(
            "format",
            "fail",
            f"an OpenSSH `{form}` line (like the privateKey.pem.pub file ssh-keygen writes beside the key), "
            "not the documented BEGIN PUBLIC KEY",
            f"{redo}; or from this file alone: "
            f"`{advice.join([advice.to_file(f'ssh-keygen -e -m PKCS8 -f {src}', new, ins.shell), check], ins.shell)}`",
        )
        m = _SSH_LINE.search(text)
        assert m is not None
        ins.key = _load_public(ins, lambda s: s.load_ssh_public_key(f"{m.group(1)} {m.group(2)}".encode()))
    elif form is not None and "PRIVATE KEY" in form:
        ins.add(
            "format",
            "fail",
            f"holds a PRIVATE key ({form}), not a public key: never upload or share this file",
            f"keep it secret (the SDKs read the private key; Integration Central reads only the public key) and {redo}",
        )
        return
    elif form is None:
        ins.add("format", "fail", "holds no public key (no -----BEGIN line)", redo)
        return
    else:
        ins.add("format", "fail", f"holds a {form}, not a public key", redo)
        return
    if ins.key is not None:
        _check_rsa(ins, ins.key, strict)


def _load_public(ins: Inspection, loader: Any) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return loader(serialization)
    except Exception as exc:  # noqa: BLE001 - cryptography raises several kinds
        ins.add(
            "load",
            "fail",
            f"the key does not load: {_reason(exc)}",
            f"the file is damaged or truncated: {_regen_public(ins)}",
        )
        return None


def _load_rfc4716(ins: Inspection, text: str) -> Any:
    lines = []
    inside = continued = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("---- BEGIN SSH2"):
            inside = True
        elif line.startswith("---- END SSH2"):
            break
        elif inside:
            if continued or ":" in line:
                continued = line.endswith("\\")
                continue
            lines.append(line)
    blob = "".join(lines)
    try:
        raw = base64.b64decode(blob, validate=True)
        kind = raw[4 : 4 + int.from_bytes(raw[:4], "big")].decode("ascii")
        if not re.fullmatch(r"[\w@.-]{1,64}", kind):
            raise ValueError(kind)
    except (ValueError, UnicodeDecodeError):
        ins.add("load", "fail", "the SSH2 block does not decode", _regen_public(ins))
        return None
    return _load_public(ins, lambda s: s.load_ssh_public_key(f"{kind} {blob}".encode()))


# --- the pair ----------------------------------------------------------------------------------


def fingerprint(public_key: RSAPublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: `openssl pkey -pubin -outform DER | sha256sum`."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + hashlib.sha256(der).hexdigest()


def _self_test(priv: Inspection, priv_key: Any, pub_key: Any) -> list[Check]:
    """Sign and verify with both algorithms. The library ignores an RSA-PSS key's restrictions,
    which OpenSSL (and so the SDKs) enforce: what the key refuses fails, with the reason."""
    refused = priv.algorithm.refuses() if priv.algorithm else {}
    out = []
    for result in amazon_pay.self_test(priv_key, pub_key):
        ok, detail = result.ok, result.detail
        fix = "make a new pair: " + _new_pair(priv)
        if result.algorithm in refused:
            ok, detail = False, f"the key's RSA-PSS restriction refuses it: {refused[result.algorithm]}"
        elif priv.form == "OPENSSH PRIVATE KEY":
            # The library reads the OpenSSH format; the SDKs (OpenSSL's PEM decoders) do not.
            ok, detail = False, "the key inside signs, but the SDKs cannot load this file (OpenSSH format)"
            fix = "convert a copy to PKCS#8: " + _openssh_fix(priv)
        fix = "" if ok else fix
        out.append(Check(f"amazon_pay.sign.{result.algorithm}", "pass" if ok else "fail", detail, fix))
    return out


def _fingerprint(ins: Inspection | None, key: RSAPublicKey) -> str:
    """Over the SubjectPublicKeyInfo exactly as the file holds it (an RSA-PSS SPKI keeps its own
    algorithm identifier, which the loaded key would re-encode as rsaEncryption)."""
    if ins is not None and ins.der is not None:
        return spki.fingerprint_der(ins.der)
    return fingerprint(key)


def _point_at_swap(priv: Inspection, pub: Inspection) -> None:
    """The private key file holds a public key and the public key file a private key: say so on both."""
    public_forms = ("PUBLIC KEY", "RSA PUBLIC KEY", "SSH2 PUBLIC KEY")
    if not (priv.form in public_forms or (priv.form or "").startswith("ssh-")):
        return
    if pub.form is None or "PRIVATE KEY" in pub.form:
        line = advice.keygen_verify(pub.path, priv.path, priv.shell)
        fix = (
            f"the two files look swapped: `{line}` checks them the right way round; to give them the usual "
            "names, rename them by hand (a rename onto a name that exists would replace that file)"
        )
        for ins in (priv, pub):
            ins.checks[:] = [
                Check(c.name, c.status, c.summary, fix) if c.name.endswith(".format") else c for c in ins.checks
            ]


@dataclass
class Report:
    private: Inspection | None
    public: Inspection | None
    checks: list[Check]
    fingerprint: str | None

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def ok(self) -> bool:
        return not self.failed


def inspect(
    path: Path,
    role: Role,
    strict: bool,
    *,
    private_name: str = "",
    public_name: str = "",
    private_form: str | None = None,
    validate_rsa: bool = True,
    shell: advice.Shell | None = None,
    pair: bool = False,
    partner_ok: bool = True,
) -> Inspection:
    """Read, decode and judge one key file. The names are what fix commands say for the pair."""
    ins = Inspection(role, str(path))
    ins.validate_rsa = validate_rsa
    ins.shell = shell or advice.current_shell()
    ins.pair = pair
    ins.partner_ok = partner_ok
    ins.private_name = private_name or (str(path) if role == "private" else ins.private_name)
    ins.public_name = public_name or (str(path) if role == "public" else ins.public_name)
    ins.private_form = private_form
    read_key_file(path, role, ins)
    if ins.data is not None:
        decode(ins, strict)
        (check_private if role == "private" else check_public)(ins, strict)
    return ins


def _inspect_both(
    private_path: Path | None, public_path: Path | None, strict: bool, validate_rsa: bool, shell: advice.Shell
) -> tuple[Inspection | None, Inspection | None]:
    """Each file judged, with the names and state of the other one that its fixes depend on."""
    names: dict[str, Any] = {
        "private_name": str(private_path) if private_path else "",
        "public_name": str(public_path) if public_path else "",
        "shell": shell,
        "pair": private_path is not None and public_path is not None,
    }
    priv = inspect(private_path, "private", strict, validate_rsa=validate_rsa, **names) if private_path else None
    if public_path is None:
        return priv, None
    pub = inspect(
        public_path,
        "public",
        strict,
        private_form=priv.form if priv else None,
        partner_ok=priv is None or not priv.failed,
        **names,
    )
    if priv is not None and pub.failed and any("keygen verify" in c.fix for c in priv.checks):
        # The private key's fix ends with a check of the new key; with a failing public key beside
        # it, that check could not pass: check the new private key alone instead.
        assert private_path is not None
        priv = inspect(private_path, "private", strict, validate_rsa=validate_rsa, partner_ok=False, **names)
    if priv is not None:
        _point_at_swap(priv, pub)
    return priv, pub


def check_pair(
    private_path: Path | None,
    public_path: Path | None,
    *,
    strict: bool,
    validate_rsa: bool = True,
    shell: advice.Shell | None = None,
) -> Report:
    """Inspect one or both files, then, with both loaded, match them and run the self-test.

    `validate_rsa=False` skips OpenSSL's full RSA key validation (primality of p and q, about 45 ms
    for 2048 bits). Only `generate` passes it, for a key that openssl has just made: there the
    sign-and-verify self-test already proves the private key and the public key work together.
    """
    from cryptography.hazmat.primitives.asymmetric import rsa

    priv, pub = _inspect_both(private_path, public_path, strict, validate_rsa, shell or advice.current_shell())
    checks: list[Check] = []
    for ins in (priv, pub):
        if ins:
            checks.extend(ins.checks)
    priv_key = priv.key if priv and isinstance(priv.key, rsa.RSAPrivateKey) else None
    pub_key = pub.key if pub and isinstance(pub.key, rsa.RSAPublicKey) else None
    fp = _fingerprint(pub, pub_key) if pub_key else (fingerprint(priv_key.public_key()) if priv_key else None)
    if priv_key is not None and pub_key is not None:
        derived = priv_key.public_key()
        if derived.public_numbers() == pub_key.public_numbers():
            checks.append(Check("pair.match", "pass", "the public key belongs to the private key"))
            checks += _self_test(priv, priv_key, pub_key)  # type: ignore[arg-type]
        else:
            checks.append(
                Check(
                    "pair.match",
                    "fail",
                    f"the public key does not belong to the private key: private key's public part is "
                    f"{fingerprint(derived)}, the public key file is {fingerprint(pub_key)}",
                    "the two files are from different pairs. The public key file may be the one already "
                    "registered in Integration Central: if so, keep it and name the private key that belongs to "
                    "it. Otherwise " + _regen_public(pub),  # type: ignore[arg-type]
                )
            )
    digest = amazon_pay.string_to_sign("AMZN-PAY-RSASSA-PSS", amazon_pay.KNOWN_PAYLOAD).split("\n")[1]
    if priv_key is not None:
        checks.append(
            Check(
                "amazon_pay.string_to_sign",
                "pass" if digest == amazon_pay.KNOWN_DIGEST else "fail",
                "the button string to sign matches the SDKs' known answer"
                if digest == amazon_pay.KNOWN_DIGEST
                else f"string-to-sign digest {digest} is not the SDKs' answer",
                "",
            )
        )
    return Report(priv, pub, checks, fp)
