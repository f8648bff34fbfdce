"""`keygen confirm` against hostile servers, proxies and hand-made records (issue 20): each case is
bounded, has its own exit code (never 70), is recorded in the audit log once a request went out, and
shows no raw control character and no secret (signature, key, proxy password) anywhere."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from keygen.audit import log as audit
from keygen.errors import ExitCode
from tests.faults.hostile import Hostile, answer, assert_clean, drips, sends
from tests.helpers import OPENSSL, private_key_body, run_keygen
from tests.helpers.pairs import Pair
from tests.helpers.standin import StandIn

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")

ID = "SANDBOX-AEXAMPLE0123456789ABCDEF"
ESC_MESSAGE = "\x1b]0;pwned\x07\x1b[2J\r\x1b[32mConfirmed: the pair works\x1b[0m\u202e\x9b"


def _confirm(url: str, key: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_keygen("confirm", "--private-key", str(key), "--public-key-id", ID, "--region", "eu", *args,
                      env={"KEYGEN_AMAZON_PAY_ENDPOINT": url, **(env or {})})


def _signatures(server: Hostile) -> list[str]:
    found = [re.search(rb"Signature=(\S+)", r) for r in server.requests]
    return [m.group(1).decode() for m in found if m]


def _scan(results: list, key: Path, audit_log: Path, *extra: str) -> None:  # type: ignore[type-arg]
    texts = [t for r in results for t in (r.stdout, r.stderr)]
    texts.append(audit_log.read_text() if audit_log.exists() else "")
    assert_clean(texts, ["Signature=", *private_key_body(key), *extra])


def _both(url: str, key: Path, *args: str, env: dict[str, str] | None = None) -> list:  # type: ignore[type-arg]
    """The same run as text and under --json: the JSON stays one parseable document."""
    text = _confirm(url, key, *args, env=env)
    as_json = _confirm(url, key, *args, "--json", env=env)
    json.loads(as_json.stdout)
    return [text, as_json]


def test_a_deeply_nested_401_body_is_not_the_api_and_is_recorded(pairs: tuple[Pair, Pair], audit_log: Path) -> None:
    deep = b'{"reasonCode":"InvalidRequestSignature","message":' + b"[" * 5000 + b"]" * 5000 + b"}"
    with Hostile(sends(answer("401 Unauthorized", deep))) as server:
        results = _both(server.url, pairs[0].private)
    for r in results:
        assert r.returncode == ExitCode.SERVICE, r.stderr
    assert "not JSON" in results[0].stderr
    assert json.loads(results[1].stdout)["error"]["kind"] == "service"
    records = [json.loads(line) for line in audit_log.read_text().splitlines()]
    assert [r["exit_code"] for r in records if r["command"] == "confirm"] == [12, 12]
    _scan(results, pairs[0].private, audit_log, *_signatures(server))


@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "-1", "601", "-inf"])
def test_a_timeout_that_is_not_a_bounded_number_is_a_usage_error(
    pairs: tuple[Pair, Pair], standin: StandIn, value: str
) -> None:
    result = _confirm(standin.url, pairs[0].private, "--timeout", value)
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "at most 600" in result.stderr and "  hint: " in result.stderr
    assert standin.received == []


def test_an_id_with_a_newline_in_the_log_is_refused_like_a_typed_one(
    pairs: tuple[Pair, Pair], standin: StandIn, audit_log: Path
) -> None:
    a, _ = pairs
    fingerprint = json.loads(run_keygen("verify", "--public-only", str(a.public), "--json").stdout)["fingerprint"]
    audit.record(audit_log, {"command": "exchange", "public_key_id": ID + "\n", "fingerprint": fingerprint,
                             "region": "eu", "environment": "sandbox", "result": "ok", "exit_code": 0})
    results = [run_keygen("confirm", "--private-key", str(a.private), *args,
                          env={"KEYGEN_AMAZON_PAY_ENDPOINT": standin.url}) for args in ((), ("--json",))]
    for r in results:
        assert r.returncode == ExitCode.USAGE, r.stderr
    assert "is not a Public Key ID" in results[0].stderr and "--public-key-id" in results[0].stderr
    assert standin.received == []
    _scan(results, a.private, audit_log)


@pytest.mark.parametrize(
    "proxy",
    ["user:s3cretpw@127.0.0.1:1", "http://user:s3cretpw@127.0.0.1:1", "user:s3cretpw@127.0.0.1:1/"],
)
def test_proxy_credentials_are_never_shown_in_any_url_form(
    pairs: tuple[Pair, Pair], audit_log: Path, proxy: str
) -> None:
    a, _ = pairs
    env = {"HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
    results = [run_keygen("confirm", "--private-key", str(a.private), "--public-key-id", ID, "--region", "eu",
                          *args, env=env) for args in ((), ("--json",))]
    for r in results:
        assert r.returncode == ExitCode.NETWORK, r.stderr
    assert json.loads(results[1].stdout)["proxy"] == "http://***@127.0.0.1:1"
    assert "through the proxy http://***@127.0.0.1:1" in results[0].stderr
    _scan(results, a.private, audit_log, "s3cretpw", "user:")


def test_a_proxy_with_a_bad_port_is_a_clear_usage_error(pairs: tuple[Pair, Pair], audit_log: Path) -> None:
    proxy = "http://user:s3cretpw@127.0.0.1:99999"
    env = {"HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
    results = [run_keygen("confirm", "--private-key", str(pairs[0].private), "--public-key-id", ID, "--region",
                          "eu", *args, env=env) for args in ((), ("--json",))]
    for r in results:
        assert r.returncode == ExitCode.USAGE, r.stderr
    assert results[0].stderr.startswith("keygen: error: the proxy https_proxy=http://***@127.0.0.1:99999 has an")
    assert "invalid port" in results[0].stderr and results[0].stdout == ""
    _scan(results, pairs[0].private, audit_log, "s3cretpw")


def test_a_proxy_gets_its_credentials_and_its_refusal_is_shown_without_them(
    pairs: tuple[Pair, Pair], audit_log: Path
) -> None:
    refusal = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"
    with Hostile(sends(refusal)) as proxy:
        url = proxy.url.replace("http://", "http://us%40er:s3cret%3Apw@")
        env = {"HTTPS_PROXY": url, "https_proxy": url, "NO_PROXY": "", "no_proxy": ""}
        result = run_keygen("confirm", "--private-key", str(pairs[0].private), "--public-key-id", ID,
                            "--region", "eu", env=env)
    assert result.returncode == ExitCode.NETWORK, result.stderr
    assert "the proxy refused to connect through" in result.stderr and "407" in result.stderr
    [connect] = proxy.requests
    assert connect.startswith(b"CONNECT pay-api.amazon.eu:443 HTTP/1.")
    assert f"Proxy-Authorization: Basic {base64.b64encode(b'us@er:s3cret:pw').decode()}".encode() in connect
    _scan([result], pairs[0].private, audit_log, "s3cret")


@pytest.mark.parametrize(
    "script",
    [
        # The body, one byte every 0.2 s for 30 s: every read succeeds, the whole never comes in time.
        drips(answer("404 Not Found", b"", length=200), b" "),
        # Headers, one byte at a time.
        drips(b"HTTP/1.1 404 Not Found\r\n", b"X"),
        # `100 Continue`, forever.
        drips(b"", b"HTTP/1.1 100 Continue\r\n\r\n"),
        # Content-Length 1000, 2 bytes sent, the connection kept open.
        drips(answer("404 Not Found", b"{}", length=1000), b"", every=1),
    ],
    ids=["slow-body", "slow-headers", "endless-100-continue", "short-body-kept-open"],
)
def test_one_deadline_bounds_the_whole_exchange(pairs: tuple[Pair, Pair], audit_log: Path, script) -> None:  # type: ignore[no-untyped-def]
    """Exit 9 with --timeout 1 against a server that keeps going for 30 s: only a deadline over the
    whole exchange gives it (a per-read timeout is never reached, and the server's end is not 9)."""
    with Hostile(script) as server:
        results = _both(server.url, pairs[0].private, "--timeout", "1")
    for r in results:
        assert r.returncode == ExitCode.TIMEOUT, r.stderr
    assert "within 1 s" in results[0].stderr
    assert json.loads(results[1].stdout)["confirmed"] is False
    assert [json.loads(line)["exit_code"] for line in audit_log.read_text().splitlines()] == [9, 9]
    _scan(results, pairs[0].private, audit_log, *_signatures(server))


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n", "in the middle of the headers"),
        (answer("404 Not Found", b"{}", length=1000), "2 of the 1000 bytes"),
        (b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{}", "cut short"),
    ],
    ids=["mid-headers", "short-content-length", "short-chunk"],
)
def test_a_truncated_answer_is_never_confirmed_nor_answered(
    pairs: tuple[Pair, Pair], audit_log: Path, data: bytes, words: str
) -> None:
    with Hostile(sends(data)) as server:
        results = _both(server.url, pairs[0].private)
    for r in results:
        assert r.returncode == ExitCode.NETWORK, r.stderr
    assert "the answer was cut short" in results[0].stderr and words in results[0].stderr
    assert "answered" not in results[0].stderr and "Confirmed" not in results[0].stdout
    assert json.loads(results[1].stdout)["confirmed"] is False
    assert [json.loads(line)["result"] for line in audit_log.read_text().splitlines()] == ["failed", "failed"]
    _scan(results, pairs[0].private, audit_log, *_signatures(server))


def test_escape_sequences_from_the_server_reach_no_terminal(pairs: tuple[Pair, Pair], audit_log: Path) -> None:
    body = json.dumps({"reasonCode": "Invalid\x1b[2JSignature", "message": ESC_MESSAGE}).encode()
    with Hostile(sends(answer("401 Unauthorized\x1b]0;t\x07", body, extra="x-amzn-RequestId: \x1b[5m\r\n"))) as s:
        results = _both(s.url, pairs[0].private, "--algorithm", "both")
    for r in results:
        assert r.returncode == ExitCode.REJECTED, r.stderr
    shown = results[0].stdout + results[0].stderr
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\r\\x1b[32mConfirmed: the pair works" in shown  # visible, inert
    assert "Confirmed: Amazon Pay accepted" not in shown
    assert json.loads(results[1].stdout)["attempts"][0]["message"] == ESC_MESSAGE  # JSON stays exact
    _scan(results, pairs[0].private, audit_log, *_signatures(s))


@pytest.mark.parametrize(
    ("raised", "result", "code"), [(RuntimeError, "failed", 70), (KeyboardInterrupt, "interrupted", 130)]
)
def test_an_unexpected_end_after_sending_is_recorded_as_such(
    pairs: tuple[Pair, Pair], tmp_path: Path, raised: type[BaseException], result: str, code: int
) -> None:
    from keygen.commands.confirm import confirm
    from keygen.commands.confirm.outcome import Options

    def send(*args: object, **kwargs: object) -> None:
        raise raised("cut")

    log = tmp_path / "audit.jsonl"
    options = Options(private_key=pairs[0].private, public_key_id=ID, region="eu", audit_log=log)
    with pytest.raises(raised):
        confirm(options, environ={"KEYGEN_AMAZON_PAY_ENDPOINT": "http://127.0.0.1:9"}, send=send)
    [record] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (record["command"], record["result"], record["exit_code"]) == ("confirm", result, code)
