"""Signing as the official Amazon Pay SDKs sign: the string to sign, the signature self-test a
key pair must pass, and a signed API request.

Read from the SDKs' sources (Node 2.3.4 `src/clientHelper.js`, PHP 2.7.2 `Client.php`, Java 2.6.7
`SignatureHelper.java`) and pinned by the Java SDK's string-to-sign test data in the tests:

    canonical request = METHOD \\n path \\n query \\n (name:value \\n)* \\n signed-names \\n hex(sha256(body))
    string to sign    = ALGORITHM \\n hex(sha256(canonical request))
    signature         = base64(RSASSA-PSS(SHA-256, MGF1-SHA-256, salt 20 or 32)(string to sign))
    Authorization     = ALGORITHM PublicKeyId=ID, SignedHeaders=names, Signature=base64

The header set is the PHP and Java SDKs' (accept, content-type, x-amz-pay-date, x-amz-pay-host,
x-amz-pay-region), with the date in their compact form. The signature is a credential for this one
request: it is sent, never returned to callers for display, never logged.
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

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


#: The API host per keygen region, and the x-amz-pay-region value the SDKs send for it.
API_HOSTS: dict[str, str] = {"us": "pay-api.amazon.com", "eu": "pay-api.amazon.eu", "jp": "pay-api.amazon.jp"}
REGION_HEADER: dict[str, str] = {"us": "na", "eu": "eu", "jp": "jp"}
API_VERSION = "v2"
#: `--algorithm` values and the algorithm names they stand for.
ALGORITHM_CHOICES: dict[str, tuple[str, ...]] = {
    "v1": ("AMZN-PAY-RSASSA-PSS",),
    "v2": ("AMZN-PAY-RSASSA-PSS-V2",),
    "both": ("AMZN-PAY-RSASSA-PSS-V2", "AMZN-PAY-RSASSA-PSS"),
}
EMPTY_SHA256 = sha256(b"").hex()


def env_specific(public_key_id: str) -> bool:
    """The SDKs' test (Node, PHP, .NET): an ID starting LIVE or SANDBOX, any case, carries its environment."""
    upper = public_key_id.upper()
    return upper.startswith("LIVE") or upper.startswith("SANDBOX")


def api_path(public_key_id: str, environment: str | None, resource: str) -> str:
    """`/v2/RESOURCE` for an environment-specific ID, else `/sandbox/v2/...` or `/live/v2/...`."""
    if env_specific(public_key_id):
        return f"/{API_VERSION}/{resource}"
    return f"/{environment or 'live'}/{API_VERSION}/{resource}"


def amz_date(now: _dt.datetime) -> str:
    """x-amz-pay-date as the PHP and Java SDKs write it: 20180524T223710Z (UTC)."""
    return now.astimezone(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def canonical_uri(path: str) -> str:
    """RFC 3986 encoding of the path with `/` kept, runs of `/` collapsed (Java's Util.urlEncode)."""
    while "//" in path:
        path = path.replace("//", "/")
    encoded = quote(path, safe="/-_.~")
    return encoded if encoded.startswith("/") else "/" + encoded


def canonical_query(params: Mapping[str, Sequence[str]]) -> str:
    """Names and values RFC 3986-encoded, sorted by name, then by value."""
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, vs in params.items() for v in vs)
    return "&".join(f"{k}={v}" for k, v in pairs)


@dataclass(frozen=True)
class Canonical:
    request: str
    signed_headers: str


def canonical_request(
    method: str,
    path: str,
    query: Mapping[str, Sequence[str]],
    headers: Mapping[str, str],
    payload: bytes | str = b"",
) -> Canonical:
    names = sorted(headers, key=str.lower)
    lines = "".join(f"{n.lower()}:{headers[n].strip()}\n" for n in names)
    signed = ";".join(n.lower() for n in names)
    body = payload.encode("utf-8") if isinstance(payload, str) else payload
    text = "\n".join(
        [method, canonical_uri(path), canonical_query(query), lines, signed, sha256(body).hex()]
    )
    return Canonical(text, signed)


def sign(private_key: RSAPrivateKey, text: str, algorithm: str) -> str:
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=ALGORITHMS[algorithm])
    return base64.b64encode(private_key.sign(text.encode("utf-8"), pss, hashes.SHA256())).decode("ascii")


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    headers: dict[str, str]
    string_to_sign: str
    signed_headers: str


def signed_get(
    private_key: RSAPrivateKey,
    *,
    public_key_id: str,
    algorithm: str,
    path: str,
    host: str,
    region_header: str,
    now: _dt.datetime,
) -> SignedRequest:
    """The headers of one signed GET without a body or query, Authorization included."""
    headers = {
        "accept": "application/json",
        "content-type": "application/json",
        "x-amz-pay-date": amz_date(now),
        "x-amz-pay-host": host,
        "x-amz-pay-region": region_header,
    }
    canonical = canonical_request("GET", path, {}, headers)
    text = string_to_sign(algorithm, canonical.request)
    signature = sign(private_key, text, algorithm)
    headers["authorization"] = (
        f"{algorithm} PublicKeyId={public_key_id}, SignedHeaders={canonical.signed_headers}, Signature={signature}"
    )
    return SignedRequest("GET", path, headers, text, canonical.signed_headers)
