"""Judging a key pair, independent of the tool that made it.

Every finding is a named `Check` (pass, warn or fail) with what was found and the fix. Reading and
decoding are `keys.keyfile` and `keys.formats`; one file's form and key `keys.assessment`; the
fixes' wording `keys.advice`. Here: the pair (match, Amazon Pay self-test, fingerprint).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from keygen.amazon_pay import signing
from keygen.keys import advice
from keygen.keys.advice import regen_public, regenerate
from keygen.keys.assessment import check_private, check_public
from keygen.keys.inspection import Check, Inspection, Role
from keygen.keys.keyfile import decode, read_key_file
from keygen.recipes import quoting
from keygen.recipes.quoting import Shell

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

__all__ = ["Check", "Inspection", "Names", "Report", "check_pair", "fingerprint", "inspect"]

# --- the pair ----------------------------------------------------------------------------------


def fingerprint_digest(public_key: RSAPublicKey) -> bytes:
    """SHA-256 of the key's DER SubjectPublicKeyInfo (as `openssl pkey -pubin -outform DER` writes it)."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return signing.sha256(der)


def shown_fingerprint(digest: bytes) -> str:
    """`SHA256:<unpadded base64>`, the way ssh-keygen and OpenSSH write a SHA-256 fingerprint."""
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def fingerprint(public_key: RSAPublicKey) -> str:
    return shown_fingerprint(fingerprint_digest(public_key))


def _digest(ins: Inspection | None, key: RSAPublicKey) -> bytes:
    """Over the SubjectPublicKeyInfo exactly as the file holds it (an RSA-PSS SPKI keeps its own
    algorithm identifier, which the loaded key would re-encode as rsaEncryption)."""
    if ins is not None and ins.role == "public" and ins.der is not None:
        return signing.sha256(ins.der)
    return fingerprint_digest(key)


def _public_digest(pub: Inspection | None, pub_key: Any, priv_key: Any) -> bytes | None:
    """The fingerprint's digest: the public key file's own SPKI, else the private key's public part."""
    if pub_key is not None:
        return _digest(pub, pub_key)
    return fingerprint_digest(priv_key.public_key()) if priv_key is not None else None


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

    @classmethod
    def given(cls, private_path: Path | None, public_path: Path | None) -> Names:
        """The paths as given (a file not given: no name)."""
        return cls(str(private_path or ""), str(public_path or ""))

    @classmethod
    def alone(cls, path: Path, role: Role) -> Names:
        """One file judged by itself: named as given, with no partner."""
        return cls(str(path), "") if role == "private" else cls("", str(path))

    def of(self, role: Role) -> str:
        return self.private if role == "private" else self.public


#: How each role's text is judged, once read and decoded.
_JUDGES = {"private": check_private, "public": check_public}


def inspect(
    path: Path,
    role: Role,
    strict: bool,
    *,
    names: Names | None = None,
    private_form: str | None = None,
    validate_rsa: bool = True,
    shell: quoting.Shell | None = None,
    partner_ok: bool = True,
) -> Inspection:
    """Read, decode and judge one key file. The names are what fix commands say for the pair."""
    ins = Inspection(
        role, str(path), private_form=private_form, validate_rsa=validate_rsa, quoting=shell, partner_ok=partner_ok
    )
    _name(ins, names or Names.alone(path, role))
    # generate (strict) judges files a tool has just made: a link there is a failure, not a warning.
    read_key_file(path, role, ins, made=strict)
    if ins.data is not None:
        decode(ins, strict)
        _JUDGES[role](ins, strict)
    return ins


def _name(ins: Inspection, names: Names) -> None:
    """What messages call the file, and what fix commands call the pair (a name not given keeps the usual one)."""
    ins.shown = names.of(ins.role) or ins.path
    ins.pair = bool(names.private and names.public)
    ins.private_name = names.private or ins.private_name
    ins.public_name = names.public or ins.public_name


def _self_test(priv: Inspection, priv_key: Any, pub_key: Any) -> list[Check]:
    """Sign and verify with both algorithms. The library ignores an RSA-PSS key's restrictions,
    which OpenSSL (and so the SDKs) enforce: what the key refuses fails, with the reason."""
    refused = priv.algorithm.refuses() if priv.algorithm else {}
    return [_signing_check(priv, result, refused) for result in signing.self_test(priv_key, pub_key)]


def _signing_check(priv: Inspection, result: signing.SelfTest, refused: dict[str, str]) -> Check:
    """One algorithm's sign-and-verify, as the SDKs would see it."""
    name = f"amazon_pay.sign.{result.algorithm}"
    if result.algorithm in refused:
        reason = f"the key's RSA-PSS restriction refuses it: {refused[result.algorithm]}"
        return Check(name, "fail", reason, regenerate(priv))
    if priv.form == "OPENSSH PRIVATE KEY":
        # The library reads the OpenSSH format; the SDKs (OpenSSL's PEM decoders) do not.
        reason = "the key inside signs, but the SDKs cannot load this file (OpenSSH format)"
        return Check(name, "fail", reason, "convert a copy to PKCS#8: " + advice.openssh_fix(priv))
    if result.ok:
        return Check(name, "pass", result.detail)
    return Check(name, "fail", result.detail, regenerate(priv))


def _pair_checks(priv_key: Any, pub_key: Any, priv: Inspection, pub: Inspection) -> list[Check]:
    """Both keys loaded: do they match, and do the Amazon Pay signatures verify?"""
    derived = priv_key.public_key()
    if derived.public_numbers() != pub_key.public_numbers():
        return [
            Check(
                "pair.match",
                "fail",
                f"the public key does not belong to the private key: private key's public part is "
                f"{fingerprint(derived)}, the public key file is {shown_fingerprint(_digest(pub, pub_key))}",
                "the two files are from different pairs. The public key file may be the one already "
                "registered in Integration Central: if so, keep it and name the private key that belongs to "
                "it. Otherwise " + regen_public(pub),
            )
        ]
    match = Check("pair.match", "pass", "the public key belongs to the private key")
    return [match, *_self_test(priv, priv_key, pub_key)]


def _string_to_sign_check() -> Check:
    digest = signing.string_to_sign("AMZN-PAY-RSASSA-PSS", signing.KNOWN_PAYLOAD).split("\n")[1]
    if digest == signing.KNOWN_DIGEST:
        return Check("amazon_pay.string_to_sign", "pass", "the button string to sign matches the SDKs' known answer")
    return Check("amazon_pay.string_to_sign", "fail", f"string-to-sign digest {digest} is not the SDKs' answer")


def _rsa_key(ins: Inspection | None, *, private: bool) -> Any:
    """The loaded RSA key of the inspection, or None (not loaded, or not RSA)."""
    if ins is None:
        return None
    wanted = rsa.RSAPrivateKey if private else rsa.RSAPublicKey
    return ins.key if isinstance(ins.key, wanted) else None


_PUBLIC_FORMS = ("PUBLIC KEY", "RSA PUBLIC KEY", "SSH2 PUBLIC KEY")


def _looks_swapped(priv: Inspection, pub: Inspection) -> bool:
    """The private key file holds a public key, and the public key file a private key (or no key)."""
    holds_public = priv.form in _PUBLIC_FORMS or (priv.form or "").startswith("ssh-")
    return holds_public and (pub.form is None or "PRIVATE KEY" in pub.form)


def _point_at_swap(priv: Inspection, pub: Inspection) -> None:
    """The private key file holds a public key and the public key file a private key: say so on both."""
    if not _looks_swapped(priv, pub):
        return
    fix = advice.swapped(priv, pub)
    for ins in (priv, pub):
        ins.checks[:] = [replace(c, fix=fix) if c.name.endswith(".format") else c for c in ins.checks]


@dataclass(frozen=True)
class _Judging:
    """How one check_pair judges its files: the same settings and names for both."""

    strict: bool
    validate_rsa: bool
    names: Names
    shell: Shell | None

    def private(self, path: Path, *, partner_ok: bool = True) -> Inspection:
        return inspect(
            path,
            "private",
            self.strict,
            names=self.names,
            validate_rsa=self.validate_rsa,
            shell=self.shell,
            partner_ok=partner_ok,
        )

    def public(self, path: Path, priv: Inspection | None) -> Inspection:
        """The public key, knowing its private key's form (which tool derives a public key from it)
        and whether it failed (then a fix checks the new public key alone)."""
        return inspect(
            path,
            "public",
            self.strict,
            names=self.names,
            private_form=priv.form if priv else None,
            shell=self.shell,
            partner_ok=priv is None or not priv.failed,
        )


def _fix_checks_pair(priv: Inspection, pub: Inspection) -> bool:
    """The private key's fix ends with a `keygen verify` of the pair, which a failing public key would fail."""
    return pub.failed and any("keygen verify" in c.fix for c in priv.checks)


def _inspect_both(
    private_path: Path | None,
    public_path: Path | None,
    strict: bool,
    validate_rsa: bool,
    names: Names,
    shell: Shell | None,
) -> tuple[Inspection | None, Inspection | None]:
    """Each file judged, with the names and state of the other one that its fixes depend on."""
    judging = _Judging(strict, validate_rsa, names, shell)
    if not private_path:
        return None, (judging.public(public_path, None) if public_path is not None else None)
    priv = judging.private(private_path)
    if public_path is None:
        return priv, None
    pub = judging.public(public_path, priv)
    if _fix_checks_pair(priv, pub):
        # With a failing public key beside it, that check could not pass: the private key's fix
        # checks the new private key alone instead.
        priv = judging.private(private_path, partner_ok=False)
    _point_at_swap(priv, pub)
    return priv, pub


def _key_checks(priv: Inspection | None, pub: Inspection | None, priv_key: Any, pub_key: Any) -> list[Check]:
    """What the loaded keys allow: with both, the match and the self-test; with the private key,
    the string to sign."""
    if priv_key is None:
        return []
    if pub_key is None:
        return [_string_to_sign_check()]
    pair = _pair_checks(priv_key, pub_key, priv, pub)  # type: ignore[arg-type]  # loaded: inspected
    return [*pair, _string_to_sign_check()]


def check_pair(
    private_path: Path | None,
    public_path: Path | None,
    *,
    strict: bool,
    validate_rsa: bool = True,
    names: Names | None = None,
    shell: Shell | None = None,
) -> Report:
    """Inspect one or both files, then, with both loaded, match them and run the self-test.

    `validate_rsa=False` skips OpenSSL's full RSA key validation (primality of p and q, about 45 ms
    for 2048 bits). Only `generate` passes it, for a key that openssl has just made: there the
    sign-and-verify self-test already proves the private key and the public key work together.
    `shell` is the one the printed fix commands are quoted for (default: the user's).
    """
    names = names or Names.given(private_path, public_path)
    priv, pub = _inspect_both(private_path, public_path, strict, validate_rsa, names, shell)
    priv_key, pub_key = _rsa_key(priv, private=True), _rsa_key(pub, private=False)
    checks = [c for ins in (priv, pub) if ins for c in ins.checks] + _key_checks(priv, pub, priv_key, pub_key)
    digest = _public_digest(pub, pub_key, priv_key)
    if digest is None:
        return Report(priv, pub, checks, None)
    return Report(priv, pub, checks, shown_fingerprint(digest), digest.hex())
