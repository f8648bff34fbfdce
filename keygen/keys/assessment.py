"""Judging one key file: its form (PKCS#8, PKCS#1, OpenSSH, SPKI...) and the RSA key inside.

`strict` is how `generate` judges its own output: only the documented form passes. Without it
(`verify`), forms that still load in some SDKs are warnings. Each fix's words are `keygen.keys.advice`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from keygen.keys import advice, spki
from keygen.keys.advice import new_pair, openssh_to_pkcs8, pkcs1_to_pkcs8, regen_public, regenerate, unencrypted_copy
from keygen.keys.formats import (
    key_kind,
    load_openssh_private,
    load_pem_private,
    load_public,
    load_rfc4716,
    openssh_cipher,
)
from keygen.keys.inspection import Inspection
from keygen.keys.keyfile import SSH_LINE, classify
from keygen.recipes import quoting

REQUIRED_BITS = 2048
REQUIRED_EXPONENT = 65537


_OTHER_PRIVATE = {"EC PRIVATE KEY": "EC", "DSA PRIVATE KEY": "DSA"}


def _load_private(ins: Inspection, text: str) -> bool:
    """Load the PEM key; True when there is a key to judge further."""
    ins.key = load_pem_private(ins, text)
    return ins.key is not None


def _pkcs8(ins: Inspection, text: str, strict: bool) -> bool:
    ins.add("format", "pass", "PKCS#8 PEM (BEGIN PRIVATE KEY), not encrypted")
    ins.der = spki.pem_der(text, "PRIVATE KEY")
    ins.algorithm = spki.algorithm(ins.der, private=True) if ins.der else None
    return _load_private(ins, text)


def _pkcs1(ins: Inspection, text: str, strict: bool) -> bool:
    if "Proc-Type: 4,ENCRYPTED" in text:
        ins.add(
            "format",
            "fail",
            "PKCS#1 PEM encrypted with a passphrase (Proc-Type: 4,ENCRYPTED): the Amazon Pay SDKs take no passphrase",
            "write an unencrypted PKCS#8 copy " + unencrypted_copy(ins),
        )
        return False
    msg = (
        "PKCS#1 PEM (BEGIN RSA PRIVATE KEY): the PHP, Node, .NET and Ruby SDKs load it, the Java SDK does "
        "not; the documented form is PKCS#8 (BEGIN PRIVATE KEY)"
    )
    ins.add("format", "fail" if strict else "warn", msg, pkcs1_to_pkcs8(ins))
    return _load_private(ins, text)


def _encrypted_pkcs8(ins: Inspection, text: str, strict: bool) -> bool:
    ins.add(
        "format",
        "fail",
        "PKCS#8 encrypted with a passphrase (BEGIN ENCRYPTED PRIVATE KEY): the Amazon Pay SDKs take no passphrase",
        "write an unencrypted copy " + unencrypted_copy(ins),
    )
    return False


def _openssh(ins: Inspection, text: str, strict: bool) -> bool:
    cipher = openssh_cipher(text)
    if cipher not in (None, "none"):
        ins.add(
            "format",
            "fail",
            f"OpenSSH private key format, encrypted with a passphrase ({cipher}): openssl and the Amazon Pay "
            "SDKs can read neither the format nor a passphrase",
            openssh_to_pkcs8(ins, encrypted=True),
        )
        return False
    ins.add(
        "format",
        "fail",
        "OpenSSH private key format (BEGIN OPENSSH PRIVATE KEY: ssh-keygen 7.8 to 8.0, or run without "
        "`-m PKCS8`): openssl and the Amazon Pay SDKs cannot load it",
        openssh_to_pkcs8(ins, encrypted=False),
    )
    ins.key = load_openssh_private(ins, text)
    return ins.key is not None


def _other_private(ins: Inspection, text: str, strict: bool) -> bool:
    form = ins.form or ""
    ins.add(
        "algorithm",
        "fail",
        f"holds an {_OTHER_PRIVATE[form]} private key ({form}); Amazon Pay needs RSA (2048 bits)",
        "make a new RSA-2048 pair: " + new_pair(ins),
    )
    # Loaded only so the second opinion can compare; the algorithm already failed.
    ins.key = load_pem_private(ins, text)
    return False


def _not_a_private_key(ins: Inspection, text: str, strict: bool) -> bool:
    form = ins.form
    if form is None:
        ins.add(
            "format",
            "fail",
            "holds no PEM key (no -----BEGIN line)",
            "name the private key file, or " + regenerate(ins),
        )
    elif form in ("PUBLIC KEY", "RSA PUBLIC KEY", "SSH2 PUBLIC KEY") or form.startswith(("ssh-", "ecdsa-")):
        ins.add(
            "format",
            "fail",
            f"holds a public key ({form}), not a private key",
            "name the private key file (the SDKs read the private key; Integration Central reads the public key)",
        )
    else:
        ins.add("format", "fail", f"holds a {form}, not an RSA private key", regenerate(ins))
    return False


#: How each private key form is judged; the handler says whether a key was loaded to judge further.
_PRIVATE_FORMS: dict[str, Callable[[Inspection, str, bool], bool]] = {
    "PRIVATE KEY": _pkcs8,
    "RSA PRIVATE KEY": _pkcs1,
    "ENCRYPTED PRIVATE KEY": _encrypted_pkcs8,
    "OPENSSH PRIVATE KEY": _openssh,
    **dict.fromkeys(_OTHER_PRIVATE, _other_private),
}


def check_private(ins: Inspection, strict: bool) -> None:
    text = ins.text
    if text is None:
        return
    ins.form = classify(text)
    if _PRIVATE_FORMS.get(ins.form or "", _not_a_private_key)(ins, text, strict):
        _check_rsa(ins, ins.key, strict)


def _check_rsa(ins: Inspection, key: Any, strict: bool) -> None:
    if not isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        ins.add(
            "algorithm",
            "fail",
            f"is an {key_kind(key)} key; Amazon Pay needs RSA (2048 bits)",
            "make a new RSA-2048 pair: " + new_pair(ins),
        )
        return
    _check_rsa_algorithm(ins)
    _check_size(ins, key.key_size)
    e = key.public_numbers().e if isinstance(key, rsa.RSAPublicKey) else key.private_numbers().public_numbers.e
    _check_exponent(ins, e, strict)


def _check_rsa_algorithm(ins: Inspection) -> None:
    """Plain RSA (rsaEncryption), not an RSA-PSS key: what the file says, not what the library loaded."""
    if ins.algorithm is not None and ins.algorithm.is_rsa_pss:
        ins.add("algorithm", "fail", advice.rsa_pss_summary(ins.algorithm), regenerate(ins))
    else:
        ins.add("algorithm", "pass", "RSA")


def _check_size(ins: Inspection, bits: int) -> None:
    if bits == REQUIRED_BITS:
        ins.add("size", "pass", "2048 bits")
        return
    ins.add(
        "size",
        "fail",
        f"RSA with {bits} bits: keygen is stricter than the SDKs here (they sign with any RSA size); Amazon "
        "Pay documents 2048-bit keys, and Integration Central reads the public key",
        regenerate(ins),
    )


def _check_exponent(ins: Inspection, e: int, strict: bool) -> None:
    if e == REQUIRED_EXPONENT:
        ins.add("exponent", "pass", "public exponent 65537")
        return
    ins.add(
        "exponent", "fail" if strict else "warn", f"public exponent {e}; the tools' default is 65537", regenerate(ins)
    )


def _spki(ins: Inspection, text: str) -> None:
    # The documented form: no fix to word (wording one looks up the user's shell).
    ins.add("format", "pass", "SubjectPublicKeyInfo PEM (BEGIN PUBLIC KEY)")
    ins.der = spki.pem_der(text, "PUBLIC KEY")
    ins.algorithm = spki.algorithm(ins.der, private=False) if ins.der else None
    ins.key = _load_pem_public(ins, text)


def _load_pem_public(ins: Inspection, text: str) -> Any:
    return load_public(ins, lambda s: s.load_pem_public_key(text.encode("ascii")))


def _written_beside(ins: Inspection) -> tuple[str, str]:
    """The new file a conversion of this one writes beside it, and the `keygen verify` that checks it."""
    new = quoting.fresh_name(ins.shown, ".spki.pub")
    return new, advice.check_public_line(ins, new)


def _pkcs1_public(ins: Inspection, text: str) -> None:
    new, check = _written_beside(ins)
    line = quoting.join(
        [f"{advice.openssl(ins)} rsa -RSAPublicKey_in -in {ins.q(ins.shown)} -pubout -out {ins.q(new)}", check],
        ins.shell,
    )
    ins.add(
        "format",
        "fail",
        "PKCS#1 public key (BEGIN RSA PUBLIC KEY): keygen is stricter than the SDKs here (they never read the "
        "public key); Integration Central reads it and expects BEGIN PUBLIC KEY, the form the documented "
        "commands write",
        f"{regen_public(ins)}; or from this file alone: `{line}`",
    )
    ins.key = _load_pem_public(ins, text)


def _rfc4716_public(ins: Inspection, text: str) -> None:
    new, check = _written_beside(ins)
    ins.add(
        "format",
        "fail",
        "RFC 4716 SSH2 public key (---- BEGIN SSH2 PUBLIC KEY ----: `ssh-keygen -e` without `-m PKCS8`); "
        "Integration Central expects BEGIN PUBLIC KEY",
        f"{regen_public(ins)}; or from this file alone: `{advice.from_rfc4716(ins, new, check)}`",
    )
    ins.key = load_rfc4716(ins, text)


def _ssh_line_public(ins: Inspection, text: str) -> None:
    new, check = _written_beside(ins)
    ins.add(
        "format",
        "fail",
        f"an OpenSSH `{ins.form}` line (like the privateKey.pem.pub file ssh-keygen writes beside the key), "
        "not the documented BEGIN PUBLIC KEY",
        f"{regen_public(ins)}; or from this file alone: `{advice.from_ssh_line(ins, new, check)}`",
    )
    m = SSH_LINE.search(text)
    assert m is not None
    ins.key = load_public(ins, lambda s: s.load_ssh_public_key(f"{m.group(1)} {m.group(2)}".encode()))


def _not_a_public_key(ins: Inspection, text: str) -> None:
    form, redo = ins.form, regen_public(ins)
    if form is None:
        ins.add("format", "fail", "holds no public key (no -----BEGIN line)", redo)
    elif "PRIVATE KEY" in form:
        ins.add(
            "format",
            "fail",
            f"holds a PRIVATE key ({form}), not a public key: never upload or share this file",
            f"keep it secret (the SDKs read the private key; Integration Central reads only the public key) and {redo}",
        )
    else:
        ins.add("format", "fail", f"holds a {form}, not a public key", redo)


#: How each public key form is judged (any form but the first with its fix in the user's own words).
_PUBLIC_FORMS: dict[str, Callable[[Inspection, str], None]] = {
    "PUBLIC KEY": _spki,
    "RSA PUBLIC KEY": _pkcs1_public,
    "SSH2 PUBLIC KEY": _rfc4716_public,
}


def _public_judge(form: str | None) -> Callable[[Inspection, str], None]:
    """How a public key file of this form is judged (an OpenSSH line is told by its key type)."""
    if form is not None and form.startswith(("ssh-", "ecdsa-")):
        return _ssh_line_public
    return _PUBLIC_FORMS.get(form or "", _not_a_public_key)


def check_public(ins: Inspection, strict: bool) -> None:
    text = ins.text
    if text is None:
        return
    ins.form = classify(text)
    _public_judge(ins.form)(ins, text)
    if ins.key is not None:
        _check_rsa(ins, ins.key, strict)
