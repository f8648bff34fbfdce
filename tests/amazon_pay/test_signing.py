"""Request signing, pinned by the Java SDK's published string-to-sign test data."""

from __future__ import annotations

import base64
import datetime as _dt
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from keygen.amazon_pay import signing, transport

DATA = json.loads((Path(__file__).parents[1] / "data" / "java-sdk-string-to-sign.json").read_text(encoding="utf-8"))
#: The pre-signed headers the Java SDK's CreateStringToSignTest mocks for every case.
JAVA_HEADERS = {
    "accept": "application/json",
    "content-type": "application/json",
    "x-amz-pay-date": "20180524T223710Z",
    "x-amz-pay-host": "pay-api.amazon.eu",
    "x-amz-pay-region": "EU",
}


def test_the_vanilla_known_answer_from_facts() -> None:
    canonical = signing.canonical_request("GET", "/", {}, JAVA_HEADERS)
    assert canonical.request == (
        "GET\n/\n\naccept:application/json\ncontent-type:application/json\nx-amz-pay-date:20180524T223710Z\n"
        "x-amz-pay-host:pay-api.amazon.eu\nx-amz-pay-region:EU\n\n"
        "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-region\n" + signing.EMPTY_SHA256
    )
    assert signing.string_to_sign("AMZN-PAY-RSASSA-PSS", canonical.request) == (
        "AMZN-PAY-RSASSA-PSS\nbb49552975c396f1e49d5510e1555b8b0627dc491bc61aaefdb561f202ad8020"
    )


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: f"{c['name']}-{c['stringToSign'].split()[0]}")
def test_every_java_sdk_case(case: dict[str, object]) -> None:
    algorithm = str(case["stringToSign"]).split("\n")[0]
    canonical = signing.canonical_request(
        str(case["method"]), str(case["uri"]), case["parameters"], JAVA_HEADERS, str(case["payload"])  # type: ignore[arg-type]
    )
    assert canonical.request == case["canonicalRequest"]
    assert signing.string_to_sign(algorithm, canonical.request) == case["stringToSign"]


def test_the_data_covers_both_algorithms_queries_and_posts() -> None:
    names = {c["name"] for c in DATA["cases"]}
    assert {"get-vanilla", "get-utf8", "post-vanilla-query-nonunreserved", "get-vanilla-query-order-value"} <= names
    algorithms = {c["stringToSign"].split("\n")[0] for c in DATA["cases"]}
    assert algorithms == {"AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2"}


@pytest.mark.parametrize(("key_id", "env", "path"), [
    ("SANDBOX-AEXAMPLE0123456789ABCDEF", None, "/v2/x"),
    ("LIVE-AEXAMPLE0123456789ABCDEF", "sandbox", "/v2/x"),
    ("AEXAMPLE0123456789ABCDEFGH", "sandbox", "/sandbox/v2/x"),
    ("AEXAMPLE0123456789ABCDEFGH", "live", "/live/v2/x"),
])
def test_the_path_segment_only_for_ids_without_prefix(key_id: str, env: str | None, path: str) -> None:
    assert signing.api_path(key_id, env, "x") == path


def test_a_signed_get_verifies_with_the_salt_of_its_algorithm() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = _dt.datetime(2026, 11, 29, 8, 55, 0, tzinfo=_dt.timezone.utc)
    for algorithm, salt in (("AMZN-PAY-RSASSA-PSS", 20), ("AMZN-PAY-RSASSA-PSS-V2", 32)):
        request = signing.signed_get(key, public_key_id="LIVE-X", algorithm=algorithm, path="/v2/a",
                                     host="pay-api.amazon.jp", region_header="jp", now=now)
        assert request.headers["x-amz-pay-date"] == "20261129T085500Z"
        head, signature = request.headers["authorization"].split(", Signature=")
        assert head == (f"{algorithm} PublicKeyId=LIVE-X, "
                        "SignedHeaders=accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-region")
        raw = base64.b64decode(signature)
        message = request.string_to_sign.encode()
        key.public_key().verify(raw, message, padding.PSS(padding.MGF1(hashes.SHA256()), salt), hashes.SHA256())
        wrong = 32 if salt == 20 else 20
        with pytest.raises(InvalidSignature):
            key.public_key().verify(raw, message, padding.PSS(padding.MGF1(hashes.SHA256()), wrong), hashes.SHA256())


@pytest.mark.parametrize(("host", "no_proxy", "bypassed"), [
    ("pay-api.amazon.eu", "amazon.eu", True),
    ("pay-api.amazon.eu", ".amazon.eu", True),
    ("pay-api.amazon.eu", "*", True),
    ("pay-api.amazon.eu", "amazon.com, example.org", False),
    ("pay-api.amazon.eu", "", False),
])
def test_no_proxy(host: str, no_proxy: str, bypassed: bool) -> None:
    endpoint = transport.parse_endpoint(f"https://{host}")
    env = {"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": no_proxy}
    assert (transport.proxy_for(endpoint, env) is None) is bypassed


def test_loopback_never_goes_through_a_proxy_and_http_is_loopback_only() -> None:
    env = {"HTTPS_PROXY": "http://proxy.example:3128", "HTTP_PROXY": "http://proxy.example:3128"}
    for url in ("http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost", "https://127.0.0.2"):
        assert transport.proxy_for(transport.parse_endpoint(url), env) is None
    assert transport.parse_endpoint("https://pay-api.amazon.com:443").netloc == "pay-api.amazon.com:443"
