"""Loading the key inside a decoded key file (PEM, OpenSSH, RFC 4716, ssh-rsa lines)."""

from __future__ import annotations

import base64
import re
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, x448, x25519

from keygen.keys import advice, spki
from keygen.keys.inspection import Inspection


def key_kind(key: Any) -> str:
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
def load_pem_private(ins: Inspection, text: str) -> Any:
    try:
        return serialization.load_pem_private_key(
            text.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=not ins.validate_rsa
        )
    except TypeError:
        ins.add(
            "load",
            "fail",
            "is encrypted: the Amazon Pay SDKs take no passphrase",
            "write an unencrypted copy " + advice.unencrypted_copy(ins),
        )
    except Exception as exc:  # noqa: BLE001 - cryptography raises several kinds for damaged input
        ins.add(
            "load",
            "fail",
            f"the PEM block does not load: {_reason(exc)}",
            "the file is damaged or truncated: " + advice.regenerate(ins),
        )
    return None


_OPENSSH_MAGIC = b"openssh-key-v1\x00"


def openssh_cipher(text: str) -> str | None:
    """The cipher named in an OpenSSH private key's header ("none" when not encrypted)."""
    raw = spki.pem_der(text, "OPENSSH PRIVATE KEY")
    if raw is None or not raw.startswith(_OPENSSH_MAGIC):
        return None
    # After the magic: the cipher's name as an SSH string (a 4-byte length, then the name).
    start = len(_OPENSSH_MAGIC) + 4
    size = int.from_bytes(raw[start - 4 : start], "big")
    name = raw[start : start + size]
    return name.decode("ascii") if 0 < len(name) == size <= 64 and name.isascii() else None


def load_openssh_private(ins: Inspection, text: str) -> Any:
    try:
        return serialization.load_ssh_private_key(text.encode("ascii"), password=None)
    except Exception as exc:  # noqa: BLE001 - cryptography raises several kinds for damaged input
        ins.add(
            "load",
            "fail",
            f"the OpenSSH key does not load: {_reason(exc)}",
            "the file is damaged or truncated: " + advice.regenerate(ins),
        )
        return None


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def load_public(ins: Inspection, loader: Any) -> Any:
    try:
        return loader(serialization)
    except Exception as exc:  # noqa: BLE001 - cryptography raises several kinds
        ins.add(
            "load",
            "fail",
            f"the key does not load: {_reason(exc)}",
            f"the file is damaged or truncated: {advice.regen_public(ins)}",
        )
        return None


def _rfc4716_lines(text: str) -> list[str]:
    """The stripped lines between the BEGIN SSH2 line and the END line."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("---- END SSH2"):
            break
        if line.startswith("---- BEGIN SSH2"):
            inside = True
        elif inside:
            lines.append(line)
    return lines


def _rfc4716_base64(lines: list[str]) -> str:
    """The key's base64 without the headers: a header line holds a colon, and one that ends in a
    backslash goes on in the next line (RFC 4716)."""
    body = []
    continued = False
    for line in lines:
        if continued or ":" in line:
            continued = line.endswith("\\")
        else:
            body.append(line)
    return "".join(body)


def _ssh_key_type(blob: str) -> str | None:
    """The key type an SSH public key blob names first ("ssh-rsa"...), None when it names none."""
    try:
        raw = base64.b64decode(blob, validate=True)
        kind = raw[4 : 4 + int.from_bytes(raw[:4], "big")].decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return kind if re.fullmatch(r"[\w@.-]{1,64}", kind) else None


def load_rfc4716(ins: Inspection, text: str) -> Any:
    blob = _rfc4716_base64(_rfc4716_lines(text))
    kind = _ssh_key_type(blob)
    if kind is None:
        ins.add("load", "fail", "the SSH2 block does not decode", advice.regen_public(ins))
        return None
    return load_public(ins, lambda s: s.load_ssh_public_key(f"{kind} {blob}".encode()))


def spki_pem(key: Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
