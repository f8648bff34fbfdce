"""The stand-in itself is right: what the official Node SDK signs verifies on it; anything changed fails.

The Node SDK cases run in the `sdk` lane (`bash .ci/sdk`); the same checks with keygen's own
signing run everywhere. The stand-in shares no code with keygen's signing, so the two agreeing is
itself a check.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from keygen.amazon_pay import signing
from tests.helpers import OPENSSL, node_sdk
from tests.helpers.pairs import Pair
from tests.helpers.standin import StandIn
from tests.helpers.tls import CertFiles, self_signed

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")

SANDBOX_ID = "SANDBOX-AEXAMPLE0123456789ABCDEF"
PLAIN_ID = "AEXAMPLE0123456789ABCDEF"
PAYLOAD = '{"webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/review"},"storeId":"amzn1.x"}'


@dataclass
class Signed:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def send(standin: StandIn, req: Signed) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", int(standin.netloc.split(":")[1]), timeout=10)
    try:
        conn.request(req.method, req.path, body=req.body or None, headers=req.headers)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def keygen_signer(pair: Pair, standin: StandIn, method: str, algorithm: str, body: str) -> Signed:
    """A request signed with keygen's own code (GET without a body, or POST with one)."""
    key = serialization.load_pem_private_key(pair.private.read_bytes(), None)
    path = "/v2/checkoutSessions" if method == "POST" else "/v2/checkoutSessions/abc"
    headers = {"accept": "application/json", "content-type": "application/json",
               "x-amz-pay-date": signing.amz_date(_dt.datetime.now(_dt.timezone.utc)),
               "x-amz-pay-host": standin.netloc, "x-amz-pay-region": "eu"}
    if method == "POST":
        headers["x-amz-pay-idempotency-key"] = "keygen-test-1"
    canonical = signing.canonical_request(method, path, {}, headers, body)
    text = signing.string_to_sign(algorithm, canonical.request)
    sig = signing.sign(key, text, algorithm)  # type: ignore[arg-type]
    headers["authorization"] = f"{algorithm} PublicKeyId={SANDBOX_ID}, SignedHeaders={canonical.signed_headers}, " \
                               f"Signature={sig}"
    return Signed(method, path, headers, body.encode())


NODE_SIGN = """
const Client = require('@amazonpay/amazon-pay-api-sdk-nodejs');
const fs = require('fs');
const client = new Client.WebStoreClient({publicKeyId: %(id)s, privateKey: fs.readFileSync(%(key)s), region: 'eu',
  sandbox: true, algorithm: %(alg)s, overrideServiceUrl: %(host)s});
const options = %(options)s;
const headers = client.getSignedHeaders(options);
console.log(JSON.stringify({headers: headers, path: '/' + options.urlFragment, payload: options.payload || ''}));
"""


def node_signer(tmp_path: Path) -> Callable[[Pair, StandIn, str, str, str], Signed]:
    def sign(pair: Pair, standin: StandIn, method: str, algorithm: str, body: str) -> Signed:
        options = ({"method": "POST", "urlFragment": "checkoutSessions", "payload": body,
                    "headers": {"x-amz-pay-idempotency-key": "keygen-test-1"}}
                   if method == "POST" else {"method": "GET", "urlFragment": "checkoutSessions/abc"})
        out = node_sdk.run_json(NODE_SIGN % {"id": json.dumps(SANDBOX_ID), "key": json.dumps(str(pair.private)),
                                             "alg": json.dumps(algorithm), "host": json.dumps(standin.netloc),
                                             "options": json.dumps(options)}, tmp_path)
        return Signed(method, out["path"], out["headers"], out["payload"].encode())

    return sign


def _changed(req: Signed, **changes: Any) -> Signed:
    headers = dict(req.headers)
    headers.update(changes.pop("headers", {}))
    return Signed(req.method, req.path, headers, changes.pop("body", req.body))


def _later(date: str) -> str:
    fmt = "%Y-%m-%dT%H:%M:%SZ" if "-" in date else "%Y%m%dT%H%M%SZ"
    return (_dt.datetime.strptime(date, fmt) + _dt.timedelta(seconds=1)).strftime(fmt)


def check_tampering(sign: Callable[[Pair, StandIn, str, str, str], Signed], pairs: tuple[Pair, Pair],
                    standin: StandIn) -> None:
    a, b = pairs
    standin.register(SANDBOX_ID, a.public, region="eu")
    for algorithm in ("AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2"):
        get = sign(a, standin, "GET", algorithm, "")
        post = sign(a, standin, "POST", algorithm, PAYLOAD)
        assert send(standin, get) == (404, {"reasonCode": "ResourceNotFound",
                                            "message": "The requested resource was not found."})
        assert send(standin, post)[0] == 404 and standin.received[-1].verified
        # An unsigned extra header changes nothing; a signed header, the body or the date does.
        assert send(standin, _changed(get, headers={"x-not-signed": "1"}))[0] == 404
        for bad in (
            _changed(get, headers={"accept": "application/xml"}),
            _changed(post, body=PAYLOAD.replace("review", "revieW").encode()),
            _changed(get, headers={"x-amz-pay-date": _later(get.headers["x-amz-pay-date"])}),
            _changed(post, headers={"x-amz-pay-idempotency-key": "keygen-test-2"}),
        ):
            status, data = send(standin, bad)
            assert (status, data["reasonCode"]) == (401, "InvalidRequestSignature"), data
            assert data["message"].startswith("Unable to verify signature, signing String [" + algorithm + "\n")
        # The same request under another registered key fails too.
        standin.register(SANDBOX_ID, b.public, region="eu")
        assert send(standin, get)[1]["reasonCode"] == "InvalidRequestSignature"
        standin.register(SANDBOX_ID, a.public, region="eu")


def test_keygen_signed_requests_verify_and_changed_ones_fail(pairs: tuple[Pair, Pair], standin: StandIn) -> None:
    check_tampering(keygen_signer, pairs, standin)


def test_the_stand_in_checks_headers_before_the_signature(pairs: tuple[Pair, Pair], standin: StandIn) -> None:
    a, _ = pairs
    standin.register(SANDBOX_ID, a.public, region="eu")
    good = keygen_signer(a, standin, "GET", "AMZN-PAY-RSASSA-PSS-V2", "")
    no_auth = _changed(good)
    del no_auth.headers["authorization"]
    assert send(standin, no_auth)[1]["reasonCode"] == "MissingHeader"
    assert send(standin, _changed(good, headers={"x-amz-pay-host": "pay-api.amazon.eu"}))[1]["reasonCode"] == (
        "InvalidHeaderValue")
    assert send(standin, _changed(good, headers={"x-amz-pay-region": "us"}))[1]["reasonCode"] == "InvalidHeaderValue"
    assert send(standin, _changed(good, headers={"x-amz-pay-region": "jp"}))[1]["reasonCode"] == "UnauthorizedAccess"
    old = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    assert "x-amz-pay-date" in send(standin, _changed(good, headers={"x-amz-pay-date": old}))[1]["message"]


@node_sdk.requires_node_sdk
def test_node_sdk_signed_requests_verify_and_changed_ones_fail(
    pairs: tuple[Pair, Pair], standin: StandIn, tmp_path: Path
) -> None:
    check_tampering(node_signer(tmp_path), pairs, standin)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return self_signed(tmp_path_factory.mktemp("tls"))


NODE_CONFIG = """
const Client = require('@amazonpay/amazon-pay-api-sdk-nodejs');
const fs = require('fs');
const config = {publicKeyId: %(id)s, privateKey: fs.readFileSync(%(key)s), region: %(region)s, sandbox: %(sandbox)s,
  algorithm: %(alg)s};
"""


@node_sdk.requires_node_sdk
@pytest.mark.parametrize(("key_id", "sandbox", "path"), [
    (SANDBOX_ID, "false", "/v2/checkoutSessions/"),
    (PLAIN_ID, "true", "/sandbox/v2/checkoutSessions/"),
    (PLAIN_ID, "false", "/live/v2/checkoutSessions/"),
])
@pytest.mark.parametrize("algorithm", ["AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2"])
def test_the_node_sdk_client_reaches_the_stand_in_over_https_and_verifies(
    pairs: tuple[Pair, Pair], cert: CertFiles, tmp_path: Path, key_id: str, sandbox: str, path: str, algorithm: str
) -> None:
    a, _ = pairs
    with StandIn(tls=cert) as standin:
        standin.register(key_id, a.public, region="us", environment="sandbox" if sandbox == "true" else "live")
        config = NODE_CONFIG % {"id": json.dumps(key_id), "key": json.dumps(str(a.private)), "region": "'us'",
                                "sandbox": sandbox, "alg": json.dumps(algorithm)}
        out = node_sdk.run_json(node_sdk.lookup_script(config, standin.netloc, "probe-1"), tmp_path)
        [request] = standin.received
    assert out == {"status": 404, "data": {"reasonCode": "ResourceNotFound",
                                           "message": "The requested resource was not found."}}
    assert request.verified and request.path == path + "probe-1"
    assert request.headers["x-amz-pay-region"] == "na"
    assert request.headers["authorization"].startswith(algorithm + " PublicKeyId=" + key_id + ", SignedHeaders=")
    assert "user-agent" in request.headers["authorization"]  # Node signs every header it sends
