"""Amazon Pay specifics: regions, Public Key IDs, the string to sign and the signature self-test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    integration_central: str


REGIONS: dict[str, Region] = {
    r.code: r
    for r in (
        Region("us", "United States", "https://sellercentral.amazon.com/gp/pyop/seller/integrationcentral/"),
        Region("eu", "Europe and the UK", "https://sellercentral-europe.amazon.com/gp/pyop/seller/integrationcentral/"),
        Region("jp", "Japan", "https://sellercentral-japan.amazon.com/gp/pyop/seller/integrationcentral/"),
    )
}

def regions(region: str | None) -> list[Region]:
    """The one region asked for, or all three."""
    return [REGIONS[region]] if region else list(REGIONS.values())


#: Optional environment prefix, then 24 characters of A-Z and 0-9 (as the Magento plugin checks).
PUBLIC_KEY_ID_RE = r"^(?:(SANDBOX|LIVE)-)?([0-9A-Z]{24})$"


def parse_public_key_id(value: str) -> tuple[str | None, str] | None:
    """Return (environment or None, id) for a well-formed Public Key ID, else None."""
    m = re.match(PUBLIC_KEY_ID_RE, value.strip())
    if not m:
        return None
    return (m.group(1).lower() if m.group(1) else None, m.group(0))


#: Algorithm names the SDKs put in front of the payload digest, and their PSS salt lengths.
ALGORITHMS: dict[str, int] = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}

#: The button payload of the SDKs' GenerateButtonSignature tests, and its published digest: a
#: known answer that proves our string-to-sign is the one Amazon Pay's SDKs build.
KNOWN_PAYLOAD = (
    '{"storeId":"amzn1.application-oa2-client.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",'
    '"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://localhost/test/CheckoutReview.php",'
    '"checkoutResultReturnUrl":"https://localhost/test/CheckoutResult.php"}}'
)
KNOWN_DIGEST = "8dec52d799607be40f82d5c8e7ecb6c171e6591c41b1111a576b16076c89381c"


def sha256(data: bytes) -> bytes:
    """SHA-256, the one implementation keygen hashes with (fingerprints, strings to sign)."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()


def string_to_sign(algorithm: str, payload: str) -> str:
    """What the SDKs sign: the algorithm's name, a newline, and the hex SHA-256 of the payload (the
    button payload, or an API request's canonical form)."""
    return f"{algorithm}\n{sha256(payload.encode('utf-8')).hex()}"


@dataclass(frozen=True)
class SelfTest:
    algorithm: str
    salt_length: int
    ok: bool
    detail: str


def self_test(private_key: RSAPrivateKey, public_key: RSAPublicKey) -> list[SelfTest]:
    """Sign the known button string with each algorithm and verify it with the public key.

    PSS signatures are randomised, so there is no fixed signature to compare: sign-then-verify
    with the exact padding the SDKs use is the test.
    """
    results = []
    for algorithm, salt in ALGORITHMS.items():
        message = string_to_sign(algorithm, KNOWN_PAYLOAD).encode("ascii")
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
        try:
            signature = private_key.sign(message, pss, hashes.SHA256())
            public_key.verify(signature, message, pss, hashes.SHA256())
            results.append(SelfTest(algorithm, salt, True, f"signed and verified (salt {salt})"))
        except InvalidSignature:
            results.append(SelfTest(algorithm, salt, False, "signature did not verify with the public key"))
        except (ValueError, TypeError) as exc:
            results.append(SelfTest(algorithm, salt, False, f"could not sign: {exc}"))
    return results
