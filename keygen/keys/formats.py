"""Loading the key inside a decoded key file (PEM, OpenSSH, RFC 4716, ssh-rsa lines)."""

from __future__ import annotations

import base64
import re
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, x448, x25519

from keygen.keys import advice
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


def openssh_cipher(text: str) -> str | None:
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


def load_rfc4716(ins: Inspection, text: str) -> Any:
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
        ins.add("load", "fail", "the SSH2 block does not decode", advice.regen_public(ins))
        return None
    return load_public(ins, lambda s: s.load_ssh_public_key(f"{kind} {blob}".encode()))


def spki_pem(key: Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
