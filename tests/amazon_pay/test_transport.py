"""The transport's own promises, without a subprocess: proxy URLs in every form, credentials never
in a message, a header that would break the request refused without showing its value, and the
deadline that bounds every socket operation."""

from __future__ import annotations

import socket

import pytest

from keygen.amazon_pay import transport
from keygen.amazon_pay.deadline import Deadline
from keygen.errors import UsageError

ENDPOINT = transport.parse_endpoint("https://pay-api.amazon.eu")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("user:s3cretpw@127.0.0.1:1", "http://***@127.0.0.1:1"),
        ("http://user:s3cretpw@127.0.0.1:8080/", "http://***@127.0.0.1:8080"),
        ("http://:s3cretpw@proxy.example", "http://***@proxy.example:80"),
        ("proxy.example:3128", "http://proxy.example:3128"),
        ("http://us%40er:p%3Aw@[::1]:3128", "http://***@[::1]:3128"),
    ],
)
def test_every_proxy_form_is_used_and_shown_without_credentials(value: str, shown: str) -> None:
    proxy = transport.proxy_for(ENDPOINT, {"HTTPS_PROXY": value})
    assert proxy is not None and proxy.shown == shown
    assert "s3cretpw" not in proxy.shown and "user" not in proxy.shown


@pytest.mark.parametrize(
    "value",
    ["http://user:s3cretpw@127.0.0.1:99999", "socks5://user:s3cretpw@127.0.0.1:1080",
     "http://user:s3cretpw@127.0.0.1:1/path?x", "http://user:s3cretpw@:8080"],
)
def test_a_proxy_keygen_cannot_use_is_a_usage_error_without_its_password(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        transport.proxy_for(ENDPOINT, {"https_proxy": value})
    assert "s3cretpw" not in caught.value.message + str(caught.value.hint)
    assert "https_proxy" in caught.value.message


def test_redact_takes_the_credentials_from_any_string() -> None:
    assert transport.redact("user:pw@host:99999") == "***@host:99999"
    assert transport.redact("http://a:b@c@host") == "http://***@host"
    assert transport.redact("http://host:1/x@y") == "http://host:1/x@y"


def test_a_header_with_a_newline_is_refused_without_its_value() -> None:
    headers = {"authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=X\n, Signature=c2VjcmV0c2lnbmF0dXJl"}
    with pytest.raises(UsageError) as caught:
        transport.get(ENDPOINT, "/v2/x", headers, timeout=1, environ={})
    text = caught.value.message + str(caught.value.hint)
    assert "'authorization' header" in text and "c2VjcmV0" not in text and "Signature" not in text


def test_a_deadline_that_has_passed_fails_every_operation_at_once() -> None:
    now = [100.0]
    deadline = Deadline(5, clock=lambda: now[0])
    assert deadline.left() == 5
    now[0] = 104.5
    assert deadline.left() == pytest.approx(0.5)
    now[0] = 105.0
    with pytest.raises(socket.timeout):
        deadline.left()
