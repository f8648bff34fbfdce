"""Judging a key pair, independent of the tool that made it.

Every finding is a named `Check` (pass, warn or fail) with what was found and the fix. `strict`
is how `generate` judges its own output: only the documented form (PKCS#8, SPKI, ASCII, LF) passes.
Without it (`verify`), forms that still load in some SDKs are warnings, not failures.
Reading and decoding are `keygen.keyfile` and `keygen.load`; the fixes' wording `keygen.advice`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keygen import amazon_pay
from keygen.advice import openssh_to_pkcs8, pkcs1_to_pkcs8, quote, regen_public, sibling, unencrypted_copy
from keygen.keyfile import SSH_LINE, Check, Inspection, Role, classify, decode, read_key_file
from keygen.load import key_kind, load_openssh_private, load_pem_private, load_public, load_rfc4716, openssh_cipher

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = ["Check", "Inspection", "Names", "Report", "check_pair", "fingerprint", "inspect"]

REQUIRED_BITS = 2048
REQUIRED_EXPONENT = 65537


_OTHER_PRIVATE = {"EC PRIVATE KEY": "EC", "DSA PRIVATE KEY": "DSA"}


def _pkcs8(ins: Inspection, text: str, strict: bool) -> bool:
    ins.add("format", "pass", "PKCS#8 PEM (BEGIN PRIVATE KEY), not encrypted")
    return True


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
    return True


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
        "make a new RSA-2048 pair with `keygen generate`",
    )
    # Loaded only so the second opinion can compare; the algorithm already failed.
    ins.key = load_pem_private(ins, text)
    return False


#: How each private key form is judged; the handler says whether to go on to the RSA checks.
_PRIVATE_FORMS: dict[str, Callable[[Inspection, str, bool], bool]] = {
    "PRIVATE KEY": _pkcs8,
    "RSA PRIVATE KEY": _pkcs1,
    "ENCRYPTED PRIVATE KEY": _encrypted_pkcs8,
    "OPENSSH PRIVATE KEY": _openssh,
    **dict.fromkeys(_OTHER_PRIVATE, _other_private),
}


def _not_a_private_key(ins: Inspection, form: str | None) -> None:
    if form is None:
        ins.add(
            "format",
            "fail",
            "holds no PEM key (no -----BEGIN line)",
            "name the private key file, or make a new pair with `keygen generate`",
        )
    elif form in ("PUBLIC KEY", "RSA PUBLIC KEY", "SSH2 PUBLIC KEY") or form.startswith(("ssh-", "ecdsa-")):
        ins.add(
            "format",
            "fail",
            f"holds a public key ({form}), not a private key",
            "name the private key file (privateKey.pem); the two arguments may be swapped",
        )
    else:
        ins.add("format", "fail", f"holds a {form}, not an RSA private key", "make a new pair with `keygen generate`")


def check_private(ins: Inspection, strict: bool) -> None:
    text = ins.text
    if text is None:
        return
    ins.form = form = classify(text)
    handler = _PRIVATE_FORMS.get(form or "")
    if handler is None:
        _not_a_private_key(ins, form)
        return
    if not handler(ins, text, strict):
        return
    if ins.key is None:
        ins.key = load_pem_private(ins, text)
    if ins.key is not None:
        _check_rsa(ins, ins.key, strict)


def _check_rsa(ins: Inspection, key: Any, strict: bool) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        ins.add(
            "algorithm",
            "fail",
            f"is an {key_kind(key)} key; Amazon Pay needs RSA (2048 bits)",
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
            f"RSA with {bits} bits; Amazon Pay's documented key is 2048 bits",
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
    redo = regen_public(ins)
    src = quote(ins.shown)
    out = quote(ins.public_name if ins.public_name != ins.shown else sibling(ins.shown, ".spki.pub"))
    if form == "PUBLIC KEY":
        ins.add("format", "pass", "SubjectPublicKeyInfo PEM (BEGIN PUBLIC KEY)")
        ins.key = load_public(ins, lambda s: s.load_pem_public_key(text.encode("ascii")))
    elif form == "RSA PUBLIC KEY":
        ins.add(
            "format",
            "fail",
            "PKCS#1 public key (BEGIN RSA PUBLIC KEY); Integration Central expects BEGIN PUBLIC KEY",
            f"{redo}; from this file alone: openssl rsa -RSAPublicKey_in -in {src} -pubout -out {out}",
        )
        ins.key = load_public(ins, lambda s: s.load_pem_public_key(text.encode("ascii")))
    elif form == "SSH2 PUBLIC KEY":
        ins.add(
            "format",
            "fail",
            "RFC 4716 SSH2 public key (---- BEGIN SSH2 PUBLIC KEY ----: `ssh-keygen -e` without `-m PKCS8`); "
            "Integration Central expects BEGIN PUBLIC KEY",
            f"{redo}; from this file alone: ssh-keygen -i -f {src} > {quote(sibling(ins.shown, '.openssh.pub'))} "
            f"&& ssh-keygen -e -m PKCS8 -f {quote(sibling(ins.shown, '.openssh.pub'))} > {out}",
        )
        ins.key = load_rfc4716(ins, text)
    elif form and form.startswith(("ssh-", "ecdsa-")):
        ins.add(
            "format",
            "fail",
            f"an OpenSSH `{form}` line (like the privateKey.pem.pub file ssh-keygen writes beside the key), "
            "not the documented BEGIN PUBLIC KEY",
            f"{redo}; from this file alone: ssh-keygen -e -m PKCS8 -f {src} > {out}",
        )
        m = SSH_LINE.search(text)
        assert m is not None
        ins.key = load_public(ins, lambda s: s.load_ssh_public_key(f"{m.group(1)} {m.group(2)}".encode()))
    elif form is not None and "PRIVATE KEY" in form:
        ins.add(
            "format",
            "fail",
            f"holds a PRIVATE key ({form}), not a public key: never upload or share this file",
            f"keep it secret (as privateKey.pem) and {redo}",
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


# --- the pair ----------------------------------------------------------------------------------


def fingerprint_digest(public_key: RSAPublicKey) -> bytes:
    """SHA-256 of the OpenSSH public key blob: what `ssh-keygen -l` and OpenSSH print."""
    from cryptography.hazmat.primitives import serialization

    line = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return hashlib.sha256(base64.b64decode(line.split()[1])).digest()


def fingerprint(public_key: RSAPublicKey) -> str:
    """`SHA256:<base64>`, as ssh-keygen prints it (`ssh-keygen -l -f` on the key's ssh-rsa line)."""
    return "SHA256:" + base64.b64encode(fingerprint_digest(public_key)).decode("ascii").rstrip("=")


@dataclass
class Report:
    private: Inspection | None
    public: Inspection | None
    checks: list[Check]
    fingerprint: str | None
    #: The same digest as `fingerprint`, in hex (JSON only: people see one format).
    fingerprint_hex: str | None = None

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Names:
    """What messages and fix commands call the two files (generate: the final names, not staging's)."""

    private: str = ""
    public: str = ""


def inspect(
    path: Path,
    role: Role,
    strict: bool,
    *,
    names: Names | None = None,
    private_form: str | None = None,
    validate_rsa: bool = True,
) -> Inspection:
    """Read, decode and judge one key file. The names are what fix commands say for the pair."""
    names = names or (Names(str(path), "") if role == "private" else Names("", str(path)))
    shown = names.private if role == "private" else names.public
    ins = Inspection(role, str(path), shown=shown or str(path))
    ins.validate_rsa = validate_rsa
    ins.private_name = names.private or ins.private_name
    ins.public_name = names.public or ins.public_name
    ins.private_form = private_form
    read_key_file(path, role, ins)
    if ins.data is not None:
        decode(ins, strict)
        (check_private if role == "private" else check_public)(ins, strict)
    return ins


def _pair_checks(priv_key: Any, pub_key: Any, pub: Inspection | None) -> list[Check]:
    """Both keys loaded: do they match, and do the Amazon Pay signatures verify?"""
    derived = priv_key.public_key()
    if derived.public_numbers() != pub_key.public_numbers():
        return [
            Check(
                "pair.match",
                "fail",
                f"the public key does not belong to the private key: private key's public part is "
                f"{fingerprint(derived)}, the public key file is {fingerprint(pub_key)}",
                "the two files are from different pairs: name the right ones, or "
                + regen_public(pub if pub else Inspection("public", "")),
            )
        ]
    checks = [Check("pair.match", "pass", "the public key belongs to the private key")]
    for result in amazon_pay.self_test(priv_key, pub_key):
        checks.append(
            Check(
                f"amazon_pay.sign.{result.algorithm}",
                "pass" if result.ok else "fail",
                result.detail,
                "" if result.ok else "make a new pair with `keygen generate`",
            )
        )
    return checks


def _string_to_sign_check() -> Check:
    digest = amazon_pay.string_to_sign("AMZN-PAY-RSASSA-PSS", amazon_pay.KNOWN_PAYLOAD).split("\n")[1]
    if digest == amazon_pay.KNOWN_DIGEST:
        return Check("amazon_pay.string_to_sign", "pass", "the button string to sign matches the SDKs' known answer")
    return Check("amazon_pay.string_to_sign", "fail", f"string-to-sign digest {digest} is not the SDKs' answer")


def _form(ins: Inspection | None) -> str | None:
    return ins.form if ins is not None else None


def _rsa_key(ins: Inspection | None, *, private: bool) -> Any:
    """The loaded RSA key of the inspection, or None (not loaded, or not RSA)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    if ins is None:
        return None
    wanted = rsa.RSAPrivateKey if private else rsa.RSAPublicKey
    return ins.key if isinstance(ins.key, wanted) else None


def check_pair(
    private_path: Path | None,
    public_path: Path | None,
    *,
    strict: bool,
    validate_rsa: bool = True,
    names: Names | None = None,
) -> Report:
    """Inspect one or both files, then, with both loaded, match them and run the self-test.

    `validate_rsa=False` skips OpenSSL's full RSA key validation (primality of p and q, about 45 ms
    for 2048 bits). Only `generate` passes it, for a key that openssl has just made: there the
    sign-and-verify self-test already proves the private key and the public key work together.
    """
    names = names or Names(str(private_path or ""), str(public_path or ""))
    priv = inspect(private_path, "private", strict, names=names, validate_rsa=validate_rsa) if private_path else None
    pub = inspect(public_path, "public", strict, names=names, private_form=_form(priv)) if public_path else None
    checks = [c for ins in (priv, pub) if ins for c in ins.checks]
    priv_key, pub_key = _rsa_key(priv, private=True), _rsa_key(pub, private=False)
    if priv_key is not None and pub_key is not None:
        checks += _pair_checks(priv_key, pub_key, pub)
    if priv_key is not None:
        checks.append(_string_to_sign_check())
    public = pub_key if pub_key is not None else (priv_key.public_key() if priv_key is not None else None)
    if public is None:
        return Report(priv, pub, checks, None)
    return Report(priv, pub, checks, fingerprint(public), fingerprint_digest(public).hex())
