"""The key's own bytes: the DER inside a PEM file, its algorithm identifier, and RSA-PSS limits.

pyca/cryptography loads an RSA-PSS restricted key (OID id-RSASSA-PSS) as a plain RSA key and
re-encodes it as rsaEncryption, so what the library says about the loaded key is not what the file
holds. The file's own DER is read here with a minimal DER reader: enough for the two structures a
key file starts with (SubjectPublicKeyInfo, PKCS#8 PrivateKeyInfo) and the PSS parameters.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Optional

RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
RSASSA_PSS = "1.2.840.113549.1.1.10"
MGF1 = "1.2.840.113549.1.1.8"
HASHES = {
    "1.3.14.3.2.26": "SHA-1",
    "2.16.840.1.101.3.4.2.4": "SHA-224",
    "2.16.840.1.101.3.4.2.1": "SHA-256",
    "2.16.840.1.101.3.4.2.2": "SHA-384",
    "2.16.840.1.101.3.4.2.3": "SHA-512",
}
#: The Amazon Pay signature algorithms: name -> PSS salt length (hash and MGF1 are SHA-256).
SDK_ALGORITHMS = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}


def pem_der(text: str, label: str) -> Optional[bytes]:
    """The DER bytes of the first `label` PEM block in `text` (None when absent or not base64)."""
    m = re.search(f"-----BEGIN {label}-----(.*?)-----END {label}-----", text, re.S)
    if not m:
        return None
    try:
        return base64.b64decode("".join(m.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, contents, next position) of the DER element at `pos`; ValueError when malformed."""
    if pos + 2 > len(data):
        raise ValueError("truncated")
    tag = data[pos]
    length, pos = _length(data, pos + 1)
    if pos + length > len(data):
        raise ValueError("truncated")
    return tag, data[pos : pos + length], pos + length


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """The DER length at `pos` (short form, or long form in at most 4 bytes) and where the contents start."""
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > 4 or pos + 1 + n > len(data):
        raise ValueError("bad length")
    return int.from_bytes(data[pos + 1 : pos + 1 + n], "big"), pos + 1 + n


def _children(contents: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(contents):
        tag, value, pos = _tlv(contents, pos)
        out.append((tag, value))
    return out


def _oid(value: bytes) -> str:
    if not value:
        raise ValueError("empty OID")
    parts = [value[0] // 40, value[0] % 40]
    n = 0
    for b in value[1:]:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(n)
            n = 0
    return ".".join(str(p) for p in parts)


@dataclass(frozen=True)
class Algorithm:
    """A key's AlgorithmIdentifier, and for RSA-PSS the limits its parameters set."""

    oid: str
    #: RSA-PSS only: parameters present (None: none, so any PSS signature is allowed).
    pss_hash: Optional[str] = None
    pss_mgf1_hash: Optional[str] = None
    pss_min_salt: Optional[int] = None

    @property
    def is_rsa_pss(self) -> bool:
        return self.oid == RSASSA_PSS

    @property
    def restricted(self) -> bool:
        return self.pss_hash is not None

    def refuses(self) -> dict[str, str]:
        """Each Amazon Pay algorithm this key cannot sign with, and why (as OpenSSL enforces it)."""
        if not (self.is_rsa_pss and self.restricted):
            return {}
        return {name: why for name, salt in SDK_ALGORITHMS.items() if (why := self._refusal(salt))}

    def _refusal(self, salt: int) -> Optional[str]:
        """Why this key cannot sign with SHA-256 and this salt length (None: it can)."""
        if self.pss_hash != "SHA-256" or self.pss_mgf1_hash != "SHA-256":
            return f"the key allows only {self.pss_hash} (MGF1 {self.pss_mgf1_hash}), the SDKs use SHA-256"
        if self.pss_min_salt is not None and self.pss_min_salt > salt:
            return f"the key requires a salt of at least {self.pss_min_salt}, this algorithm uses {salt}"
        return None


def _hash_name(identifier: bytes) -> str:
    """The hash an AlgorithmIdentifier's contents name."""
    return HASHES.get(_oid(_children(identifier)[0][1]), "another hash")


def _mgf1_hash(mask_gen: bytes) -> Optional[str]:
    """The hash of a maskGenAlgorithm (MGF1 with a hash), None when it names none."""
    mgf = _children(_children(mask_gen)[0][1])
    return _hash_name(mgf[1][1]) if len(mgf) > 1 and mgf[1][0] == 0x30 else None


def _pss_params(value: bytes) -> Algorithm:
    hash_name, mgf_hash, salt = "SHA-1", "SHA-1", 20  # RFC 4055 defaults
    for tag, inner in _children(value):
        if tag == 0xA0:  # hashAlgorithm
            hash_name = _hash_name(_children(inner)[0][1])
        elif tag == 0xA1:  # maskGenAlgorithm: MGF1 with a hash
            mgf_hash = _mgf1_hash(inner) or mgf_hash
        elif tag == 0xA2:  # saltLength: the minimum for a restricted key
            salt = int.from_bytes(_children(inner)[0][1], "big")
    return Algorithm(RSASSA_PSS, hash_name, mgf_hash, salt)


def algorithm(der: bytes, private: bool) -> Optional[Algorithm]:
    """The algorithm of a SubjectPublicKeyInfo (or PKCS#8 PrivateKeyInfo when `private`)."""
    try:
        _, outer, _ = _tlv(der, 0)
        tag, identifier = _children(outer)[1 if private else 0]
        return _identified(identifier) if tag == 0x30 else None
    except (ValueError, IndexError):
        return None


def _identified(identifier: bytes) -> Algorithm:
    """The algorithm an AlgorithmIdentifier names, with an RSA-PSS key's parameters when it has them."""
    parts = _children(identifier)
    oid = _oid(parts[0][1])
    if oid == RSASSA_PSS and len(parts) > 1 and parts[1][0] == 0x30:
        return _pss_params(parts[1][1])
    return Algorithm(oid)
