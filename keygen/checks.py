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

from keygen import amazon_pay

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

    def add(self, name: str, status: Status, summary: str, fix: str = "") -> None:
        self.checks.append(Check(f"{self.role}_key.{name}", status, summary, fix))

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)


# --- reading -----------------------------------------------------------------------------------


def read_key_file(path: Path, role: Role) -> Inspection:
    """Read a key file safely: no blocking on FIFOs, no reading a huge file whole."""
    ins = Inspection(role, str(path))
    regenerate = "run `keygen generate` in an empty directory"
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        ins.add("file", "fail", f"{path} does not exist", f"check the path, or {regenerate}")
        return ins
    except OSError as exc:
        ins.add("file", "fail", f"cannot look at {path}: {exc.strerror}", "check the path and its permissions")
        return ins
    if stat.S_ISLNK(lst.st_mode):
        target = os.readlink(path)
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
            f"chmod 600 {_quote(str(path))}",
        )
    return ins


def _quote(path: str) -> str:
    return path if re.fullmatch(r"[\w./-]+", path) else "'" + path.replace("'", "'\\''") + "'"


# --- encoding ----------------------------------------------------------------------------------

#: The PowerShell 5.1 line that writes the public key as ASCII instead of UTF-16.
POWERSHELL_ASCII_LINE = "ssh-keygen -f privateKey.pem -e -m PKCS8 | Out-File -Encoding ascii publicKey.pub"


def _utf16_order(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(data) >= 4 and b"\x00" in data[:64]:
        head = data[:64]
        if all(b == 0 for b in head[1::2]) and any(head[0::2]):
            return "utf-16-le"
        if all(b == 0 for b in head[0::2]) and any(head[1::2]):
            return "utf-16-be"
    return None


def decode(ins: Inspection, strict: bool) -> None:
    """Find the text inside the bytes, and say how it is encoded."""
    data = ins.data
    assert data is not None
    if not data.strip():
        ins.add(
            "file",
            "fail",
            f"{ins.path} is empty" if not data else f"{ins.path} holds only white space",
            "a failed `>` redirect leaves an empty file: make the key again in an empty directory"
            if ins.role == "public"
            else "make the key again with `keygen generate`",
        )
        return
    utf16 = _utf16_order(data)
    if utf16:
        try:
            text = data.decode(utf16).lstrip("\ufeff")
        except UnicodeDecodeError:
            text = None
        ins.text = text
        fix = (
            f"in Windows PowerShell 5.1, `>` writes UTF-16; write it as ASCII with "
            f"`{POWERSHELL_ASCII_LINE}`, or run `keygen verify --fix`"
            if ins.role == "public"
            else "save the key as ASCII (UTF-8 without BOM)"
        )
        ins.add(
            "encoding",
            "fail",
            "encoded as UTF-16 (Windows PowerShell's `>`): openssl, ssh-keygen and the Amazon Pay SDKs cannot read it",
            fix,
        )
        return
    text_bytes = data
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append("starts with a UTF-8 byte order mark")
        text_bytes = data[3:]
    if b"\r\n" in text_bytes:
        problems.append("has CRLF (Windows) line ends")
    try:
        text = text_bytes.decode("ascii")
    except UnicodeDecodeError:
        ins.add(
            "encoding",
            "fail",
            "is not text: it holds bytes that no PEM key file has",
            "this is not a key file; name the right file or make the key again",
        )
        return
    if "\x00" in text:
        ins.add(
            "encoding",
            "fail",
            "holds NUL bytes: it is not a PEM text file",
            "name the right file or make the key again",
        )
        return
    ins.text = text.replace("\r\n", "\n")
    if problems:
        fix = (
            "rewrite it as ASCII with LF line ends: `keygen verify --fix` (keeps a backup)"
            if ins.role == "public"
            else "save it as ASCII with LF line ends (most editors: encoding UTF-8 without BOM, LF)"
        )
        if strict:
            ins.add("encoding", "fail", " and ".join(problems) + "; the documented commands write plain ASCII", fix)
        else:
            ins.add("encoding", "warn", " and ".join(problems) + "; openssl and the SDKs still load it", fix)
    else:
        ins.add("encoding", "pass", "plain ASCII, LF line ends, no byte order mark")


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
PUBLIC_FROM_PRIVATE = "openssl rsa -in privateKey.pem -pubout > publicKey.pub"


def check_private(ins: Inspection, strict: bool) -> None:
    text = ins.text
    if text is None:
        return
    form = classify(text)
    ins.form = form
    if form == "PRIVATE KEY":
        ins.add("format", "pass", "PKCS#8 PEM (BEGIN PRIVATE KEY), not encrypted")
    elif form == "RSA PRIVATE KEY":
        if "Proc-Type: 4,ENCRYPTED" in text:
            ins.add(
                "format",
                "fail",
                "PKCS#1 PEM encrypted with a passphrase: the Amazon Pay SDKs take no passphrase",
                "write an unencrypted PKCS#8 copy (asks for the passphrase, keeps the original): "
                "openssl pkey -in privateKey.pem -out privateKey.pkcs8.pem",
            )
            return
        msg = "PKCS#1 PEM (BEGIN RSA PRIVATE KEY): the PHP, Node, .NET and Ruby SDKs load it, the Java SDK does not"
        fix = f"convert to PKCS#8, keeping the original: {PKCS8_FROM_PKCS1}"
        ins.add("format", "fail" if strict else "warn", msg, fix)
    elif form == "ENCRYPTED PRIVATE KEY":
        ins.add(
            "format",
            "fail",
            "PKCS#8 encrypted with a passphrase: the Amazon Pay SDKs take no passphrase",
            "write an unencrypted copy (asks for the passphrase, keeps the original): "
            "openssl pkey -in privateKey.pem -out privateKey.unencrypted.pem",
        )
        return
    elif form == "OPENSSH PRIVATE KEY":
        ins.add(
            "format",
            "fail",
            "OpenSSH private key format (ssh-keygen 7.8 to 8.0, or run without `-m PKCS8`): "
            "openssl and the Amazon Pay SDKs cannot load it",
            "convert a copy to PKCS#8: cp privateKey.pem privateKey.pkcs8.pem && "
            'ssh-keygen -p -N "" -m PKCS8 -f privateKey.pkcs8.pem (OpenSSH 8.1 or later), '
            "or make a new pair with `keygen generate`",
        )
        ins.key = _load_openssh_private(text)
    elif form in ("PUBLIC KEY", "RSA PUBLIC KEY", "SSH2 PUBLIC KEY", "ssh-rsa"):
        ins.add(
            "format",
            "fail",
            f"holds a public key ({form}), not a private key",
            "name the private key file (privateKey.pem)",
        )
        return
    elif form is None:
        ins.add(
            "format",
            "fail",
            "holds no PEM key (no -----BEGIN line)",
            "name the private key file, or make a new pair with `keygen generate`",
        )
        return
    else:
        ins.add("format", "fail", f"holds a {form}, not an RSA private key", "make a new pair with `keygen generate`")
        return
    if ins.key is None:
        ins.key = _load_pem_private(ins, text)
    if ins.key is not None:
        _check_rsa(ins, ins.key, strict)


def _load_pem_private(ins: Inspection, text: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(text.encode("ascii"), password=None)
    except TypeError:
        ins.add(
            "load",
            "fail",
            "is encrypted: the Amazon Pay SDKs take no passphrase",
            "write an unencrypted copy: openssl pkey -in privateKey.pem -out privateKey.unencrypted.pem",
        )
    except (ValueError, Exception) as exc:  # noqa: BLE001 - cryptography raises several kinds
        ins.add(
            "load",
            "fail",
            f"the PEM block does not load: {_reason(exc)}",
            "the file is damaged or truncated: make a new pair with `keygen generate`",
        )
    return None


def _load_openssh_private(text: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_ssh_private_key(text.encode("ascii"), password=None)
    except Exception:  # noqa: BLE001 - encrypted or damaged: the format finding already failed
        return None


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _check_rsa(ins: Inspection, key: Any, strict: bool) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        kind = type(key).__name__.lstrip("_").replace("PrivateKey", "").replace("PublicKey", "")
        ins.add(
            "algorithm",
            "fail",
            f"is a {kind} key; Amazon Pay needs RSA",
            "make a new RSA-2048 pair with `keygen generate`",
        )
        return
    ins.add("algorithm", "pass", "RSA")
    bits = key.key_size
    if bits == REQUIRED_BITS:
        ins.add("size", "pass", "2048 bits")
    else:
        ins.add(
            "size",
            "fail",
            f"{bits} bits; the documented key is 2048 bits",
            "make a new pair with `keygen generate` (rsa_keygen_bits:2048)",
        )
    e = key.public_numbers().e if isinstance(key, rsa.RSAPublicKey) else key.private_numbers().public_numbers.e
    if e == REQUIRED_EXPONENT:
        ins.add("exponent", "pass", "public exponent 65537")
    else:
        ins.add(
            "exponent",
            "fail" if strict else "warn",
            f"public exponent {e}; the tools' default is 65537",
            "make a new pair with `keygen generate`",
        )


def check_public(ins: Inspection, strict: bool) -> None:
    text = ins.text
    if text is None:
        return
    form = classify(text)
    ins.form = form
    redo = f"write it again from the private key with the documented line: {PUBLIC_FROM_PRIVATE}"
    if form == "PUBLIC KEY":
        ins.add("format", "pass", "SubjectPublicKeyInfo PEM (BEGIN PUBLIC KEY)")
        ins.key = _load_public(ins, lambda s: s.load_pem_public_key(text.encode("ascii")))
    elif form == "RSA PUBLIC KEY":
        ins.add(
            "format",
            "fail",
            "PKCS#1 public key (BEGIN RSA PUBLIC KEY); Integration Central expects BEGIN PUBLIC KEY",
            redo,
        )
        ins.key = _load_public(ins, lambda s: s.load_pem_public_key(text.encode("ascii")))
    elif form == "SSH2 PUBLIC KEY":
        ins.add(
            "format",
            "fail",
            "RFC 4716 SSH2 public key (ssh-keygen -e without `-m PKCS8`)",
            f"{redo}, or: ssh-keygen -f privateKey.pem -e -m PKCS8 > publicKey.pub",
        )
        ins.key = _load_rfc4716(ins, text)
    elif form and form.startswith(("ssh-", "ecdsa-")):
        ins.add(
            "format",
            "fail",
            f"an OpenSSH `{form}` line (like ssh-keygen's privateKey.pem.pub), not the documented public key",
            redo,
        )
        m = _SSH_LINE.search(text)
        assert m is not None
        ins.key = _load_public(ins, lambda s: s.load_ssh_public_key(f"{m.group(1)} {m.group(2)}".encode()))
    elif form is not None and "PRIVATE KEY" in form:
        ins.add(
            "format",
            "fail",
            "holds a PRIVATE key: never upload or share this file",
            f"keep it secret as privateKey.pem and {redo}",
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
            f"the file is damaged or truncated: {PUBLIC_FROM_PRIVATE}",
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
    except (ValueError, UnicodeDecodeError):
        ins.add("load", "fail", "the SSH2 block does not decode", f"write it again: {PUBLIC_FROM_PRIVATE}")
        return None
    return _load_public(ins, lambda s: s.load_ssh_public_key(f"{kind} {blob}".encode()))


# --- the pair ----------------------------------------------------------------------------------


def fingerprint(public_key: RSAPublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: `openssl pkey -pubin -outform DER | sha256sum`."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + hashlib.sha256(der).hexdigest()


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


def inspect(path: Path, role: Role, strict: bool) -> Inspection:
    ins = read_key_file(path, role)
    if ins.data is not None:
        decode(ins, strict)
        (check_private if role == "private" else check_public)(ins, strict)
    return ins


def check_pair(private_path: Path | None, public_path: Path | None, *, strict: bool) -> Report:
    """Inspect one or both files, then, with both loaded, match them and run the self-test."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    priv = inspect(private_path, "private", strict) if private_path else None
    pub = inspect(public_path, "public", strict) if public_path else None
    checks: list[Check] = []
    for ins in (priv, pub):
        if ins:
            checks.extend(ins.checks)
    priv_key = priv.key if priv and isinstance(priv.key, rsa.RSAPrivateKey) else None
    pub_key = pub.key if pub and isinstance(pub.key, rsa.RSAPublicKey) else None
    fp = fingerprint(pub_key) if pub_key else (fingerprint(priv_key.public_key()) if priv_key else None)
    if priv_key is not None and pub_key is not None:
        derived = priv_key.public_key()
        if derived.public_numbers() == pub_key.public_numbers():
            checks.append(Check("pair.match", "pass", "the public key belongs to the private key"))
            for result in amazon_pay.self_test(priv_key, pub_key):
                checks.append(
                    Check(
                        f"amazon_pay.sign.{result.algorithm}",
                        "pass" if result.ok else "fail",
                        result.detail,
                        "" if result.ok else "make a new pair with `keygen generate`",
                    )
                )
        else:
            checks.append(
                Check(
                    "pair.match",
                    "fail",
                    f"the public key does not belong to the private key: private key's public part is "
                    f"{fingerprint(derived)}, the public key file is {fingerprint(pub_key)}",
                    f"write the public key again from the private key: {PUBLIC_FROM_PRIVATE}",
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
