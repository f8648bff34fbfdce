"""`keygen confirm` against the local Amazon Pay stand-in: every outcome, its diagnosis, its exit code."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from keygen.errors import ExitCode
from tests.helpers import OPENSSL, private_key_body, run_keygen
from tests.helpers.pairs import Pair
from tests.helpers.standin import StandIn
from tests.helpers.tls import CertFiles, self_signed

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")

SANDBOX_ID = "SANDBOX-AEXAMPLE0123456789ABCDEF"
LIVE_ID = "LIVE-AEXAMPLE0123456789ABCDEF"
PLAIN_ID = "AEXAMPLE0123456789ABCDEFG"[:24]


def confirm(standin_url: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60):  # type: ignore[no-untyped-def]
    return run_keygen("confirm", *args, env={"KEYGEN_AMAZON_PAY_ENDPOINT": standin_url, **(env or {})},
                      timeout=timeout)


def as_json(result) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return json.loads(result.stdout)


def test_a_pair_from_generate_with_the_id_from_exchange_is_confirmed(
    tmp_path: Path, standin: StandIn, audit_log: Path
) -> None:
    out = tmp_path / "keys"
    assert run_keygen("generate", "--out-dir", str(out)).returncode == 0
    recorded = run_keygen("exchange", "--public-key", str(out / "publicKey.pub"), "--region", "eu",
                          "--public-key-id", SANDBOX_ID)
    assert recorded.returncode == 0, recorded.stderr
    standin.register(SANDBOX_ID, out / "publicKey.pub", region="eu")

    result = confirm(standin.url, "--private-key", str(out / "privateKey.pem"))

    assert result.returncode == 0, result.stderr
    assert "Confirmed: Amazon Pay accepted the signature" in result.stdout
    assert f"{SANDBOX_ID} (from the audit log" in result.stdout
    assert "eu (from the audit log)" in result.stdout
    assert "404 ResourceNotFound" in result.stdout
    [request] = standin.received
    assert request.verified and request.path == "/v2/checkoutSessions/00000000-0000-0000-0000-000000000000"
    assert request.headers["x-amz-pay-region"] == "eu"
    records = [json.loads(line) for line in audit_log.read_text().splitlines()]
    last = records[-1]
    assert last["command"] == "confirm" and last["result"] == "ok" and last["exit_code"] == 0
    assert (last["public_key_id"], last["region"], last["environment"]) == (SANDBOX_ID, "eu", "sandbox")
    assert last["attempts"] == [
        {"algorithm": "AMZN-PAY-RSASSA-PSS-V2", "status": 404, "reason_code": "ResourceNotFound", "accepted": True}
    ]
    assert last["time"].endswith("Z")


def test_the_signature_and_the_private_key_are_never_shown_or_recorded(
    pairs: tuple[Pair, Pair], standin: StandIn, audit_log: Path
) -> None:
    a, b = pairs
    standin.register(SANDBOX_ID, b.public, region="us")  # refused: the diagnosis path prints the most
    for args in (("--json",), ()):
        result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID,
                         "--region", "us", "--algorithm", "both", *args)
        assert result.returncode == ExitCode.REJECTED
        seen = result.stdout + result.stderr + audit_log.read_text()
        for request in standin.received:
            signature = request.headers["authorization"].rsplit("Signature=", 1)[1]
            assert signature not in seen and signature[:40] not in seen
        for line in private_key_body(a.private):
            assert line not in seen
        assert "Signature=" not in seen


def test_a_different_key_under_that_id_is_invalid_request_signature(
    pairs: tuple[Pair, Pair], standin: StandIn
) -> None:
    a, b = pairs
    assert run_keygen("exchange", "--public-key", str(b.public), "--region", "eu",
                      "--public-key-id", SANDBOX_ID).returncode == 0
    standin.register(SANDBOX_ID, b.public, region="eu")

    result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID, "--json")

    assert result.returncode == ExitCode.REJECTED == 11
    data = as_json(result)
    assert [data["attempts"][0][k] for k in ("status", "reason_code")] == [401, "InvalidRequestSignature"]
    first = data["diagnosis"]["causes"][0]
    assert "private key is not the one" in first["why"] and data["fingerprint"] in first["why"]
    other = run_keygen("verify", "--public-only", str(b.public), "--json")
    assert json.loads(other.stdout)["fingerprint"] in first["why"]  # the log knows whose ID it is
    assert "compare fingerprints" in first["fix"]
    assert data["error"]["kind"] == "rejected" and data["error"]["code"] == 11
    assert any("records" in w and "another key" in w for w in data["warnings"])


def test_an_unknown_id_is_unauthorized_access(pairs: tuple[Pair, Pair], standin: StandIn) -> None:
    a, _ = pairs
    result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", LIVE_ID, "--region", "jp")
    assert result.returncode == ExitCode.REJECTED
    assert "401 UnauthorizedAccess" in result.stderr
    assert "keygen: error: Amazon Pay refused the request (401 UnauthorizedAccess)" in result.stderr
    assert "mistyped, or its key was deleted" in result.stderr
    assert len(standin.received) == 1


def test_the_wrong_region_names_the_others_and_the_right_one_passes(
    pairs: tuple[Pair, Pair], standin: StandIn
) -> None:
    a, _ = pairs
    standin.register(SANDBOX_ID, a.public, region="jp")
    wrong = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID, "--region", "us",
                    "--json")
    assert wrong.returncode == ExitCode.REJECTED
    first = as_json(wrong)["diagnosis"]["causes"][0]
    assert "another region than us" in first["why"]
    assert "`keygen confirm --region eu`" in first["fix"] and "`keygen confirm --region jp`" in first["fix"]
    assert standin.received[0].headers["x-amz-pay-region"] == "na"
    right = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID, "--region", "jp")
    assert right.returncode == 0, right.stderr


def test_sandbox_against_live_for_an_id_without_prefix(pairs: tuple[Pair, Pair], standin: StandIn) -> None:
    a, _ = pairs
    standin.register(PLAIN_ID, a.public, region="eu", environment="live")
    base = ("--private-key", str(a.private), "--public-key-id", PLAIN_ID, "--region", "eu")

    wrong = confirm(standin.url, *base, "--sandbox", "--json")
    assert wrong.returncode == ExitCode.REJECTED
    assert standin.received[-1].path.startswith("/sandbox/v2/checkoutSessions/")
    causes = as_json(wrong)["diagnosis"]["causes"]
    assert any("`keygen confirm --live`" in c["fix"] for c in causes)

    right = confirm(standin.url, *base, "--live")
    assert right.returncode == 0, right.stderr
    assert standin.received[-1].path.startswith("/live/v2/checkoutSessions/")
    assert "live (from --live)" in right.stdout


def test_a_prefix_decides_the_environment_and_drops_the_path_segment(
    pairs: tuple[Pair, Pair], standin: StandIn
) -> None:
    a, _ = pairs
    standin.register(LIVE_ID, a.public, region="us")
    result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", LIVE_ID, "--region", "us",
                     "--sandbox", "--json")
    assert result.returncode == 0
    data = as_json(result)
    assert data["environment"] == "live" and data["environment_source"] == "the ID's prefix"
    assert any("--sandbox ignored" in w for w in data["warnings"])
    assert standin.received[-1].path.startswith("/v2/")


def test_a_clock_skew_is_named_first_from_the_date_header(pairs: tuple[Pair, Pair]) -> None:
    a, _ = pairs
    with StandIn(clock_offset_s=3600) as standin:
        standin.register(SANDBOX_ID, a.public, region="eu")
        result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID,
                         "--region", "eu", "--json")
    assert result.returncode == ExitCode.REJECTED
    data = as_json(result)
    assert data["attempts"][0]["reason_code"] == "InvalidHeaderValue"
    assert -3700 < data["attempts"][0]["skew_s"] < -3500
    first = data["diagnosis"]["causes"][0]
    assert "clock is 60 minutes behind" in first["why"] and "timedatectl" in first["fix"]


@pytest.mark.parametrize(
    ("fault", "code", "words"),
    [
        ("reset", ExitCode.NETWORK, "closed or reset"),
        ("500", ExitCode.SERVICE, "answered 500 InternalServerError"),
        ("html", ExitCode.SERVICE, "not JSON"),
        ("redirect", ExitCode.SERVICE, "answered 302"),
    ],
)
def test_service_faults_have_their_own_exit_code_and_are_not_retried(
    pairs: tuple[Pair, Pair], fault: str, code: ExitCode, words: str
) -> None:
    a, _ = pairs
    with StandIn(fault=fault) as standin:
        result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID,
                         "--region", "eu")
        assert len(standin.received) == 1
    assert result.returncode == code, result.stderr
    assert words in result.stderr
    assert "nothing was retried" in result.stderr


def test_a_server_that_hangs_times_out(pairs: tuple[Pair, Pair]) -> None:
    a, _ = pairs
    with StandIn(fault="hang") as standin:
        result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID,
                         "--region", "eu", "--timeout", "0.5", "--json")
        assert len(standin.received) == 1
    assert result.returncode == ExitCode.TIMEOUT == 9
    data = as_json(result)
    assert data["error"]["kind"] == "timeout" and "within 0.5 s" in data["error"]["message"]
    assert data["attempts"] == [
        {"algorithm": "AMZN-PAY-RSASSA-PSS-V2", "status": None, "reason_code": None, "message": None,
         "accepted": False, "verdict": "no answer", "skew_s": None, "request_id": None}
    ]


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_a_self_signed_stand_in_fails_tls_and_passes_once_trusted(pairs: tuple[Pair, Pair], cert: CertFiles) -> None:
    a, _ = pairs
    with StandIn(tls=cert) as standin:
        standin.register(SANDBOX_ID, a.public, region="eu")
        args = ("--private-key", str(a.private), "--public-key-id", SANDBOX_ID, "--region", "eu")
        untrusted = confirm(standin.url, *args)
        trusted = confirm(standin.url, *args, env={"SSL_CERT_FILE": str(cert.cert)})
    assert untrusted.returncode == ExitCode.TLS == 10
    assert "certificate not trusted" in untrusted.stderr and "SSL_CERT_FILE" in untrusted.stderr
    assert trusted.returncode == 0, trusted.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_network_failures_refused_dns_and_proxy(pairs: tuple[Pair, Pair]) -> None:
    a, _ = pairs
    args = ("--private-key", str(a.private), "--public-key-id", SANDBOX_ID, "--region", "eu")
    refused = confirm(f"http://127.0.0.1:{_closed_port()}", *args)
    assert refused.returncode == ExitCode.NETWORK == 8 and "refused" in refused.stderr
    dns = confirm("https://no-such-host.invalid", *args, timeout=30)
    assert dns.returncode == ExitCode.NETWORK and "does not resolve" in dns.stderr
    # The default endpoint through a dead proxy: the proxy is named, and nothing reaches the internet.
    proxy = f"http://user:secret@127.0.0.1:{_closed_port()}"
    via = run_keygen("confirm", *args, env={"HTTPS_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": ""})
    assert via.returncode == ExitCode.NETWORK
    assert "through the proxy http://***@127.0.0.1" in via.stderr and "secret" not in via.stderr
    assert "HTTPS_PROXY" in via.stderr


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (("--endpoint", "http://example.com"), {}, "unencrypted to another machine"),
        ((), {"KEYGEN_AMAZON_PAY_ENDPOINT": "http://10.1.2.3:8080"}, "KEYGEN_AMAZON_PAY_ENDPOINT"),
        (("--endpoint", "https://h.example/v2"), {}, "a scheme, a host and a port only"),
        (("--endpoint", "ftp://h.example"), {}, "is not an https:// URL"),
        (("--public-key-id", "SANDBOX-short"), {}, "is not a Public Key ID"),
        (("--public-key-id", PLAIN_ID), {}, "no SANDBOX- or LIVE- prefix: which environment?"),
        (("--timeout", "0"), {}, "--timeout must be a number of seconds above 0 and at most 600"),
    ],
)
def test_usage_errors_exit_2_before_sending(
    pairs: tuple[Pair, Pair], standin: StandIn, args: tuple[str, ...], env: dict[str, str], words: str
) -> None:
    a, _ = pairs
    full = ("--private-key", str(a.private), "--region", "eu", "--public-key-id", SANDBOX_ID, *args)
    result = run_keygen("confirm", *full, env={"KEYGEN_AMAZON_PAY_ENDPOINT": standin.url, **env})
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert words in result.stderr and "  hint: " in result.stderr
    assert standin.received == []


def test_without_a_recorded_id_or_region_it_says_what_to_add(
    pairs: tuple[Pair, Pair], standin: StandIn, audit_log: Path
) -> None:
    a, _ = pairs
    nothing = confirm(standin.url, "--private-key", str(a.private))
    assert nothing.returncode == ExitCode.USAGE
    assert "no Public Key ID is recorded" in nothing.stderr and "keygen exchange" in nothing.stderr
    no_region = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID)
    assert no_region.returncode == ExitCode.USAGE and "add --region" in no_region.stderr
    assert not audit_log.exists() and standin.received == []


def test_a_private_key_that_cannot_sign_is_exit_1(tmp_path: Path, standin: StandIn) -> None:
    missing = confirm(standin.url, "--private-key", str(tmp_path / "nope.pem"), "--public-key-id", SANDBOX_ID,
                      "--region", "eu")
    assert missing.returncode == ExitCode.CHECKS_FAILED
    assert "cannot sign for Amazon Pay" in missing.stderr
    assert standin.received == []


def test_both_algorithms_use_their_salts_and_the_json_envelope_comes_first(
    pairs: tuple[Pair, Pair], standin: StandIn
) -> None:
    a, _ = pairs
    standin.register(SANDBOX_ID, a.public, region="eu")
    result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID, "--region", "eu",
                     "--algorithm", "both", "--json")
    assert result.returncode == 0
    data = as_json(result)
    assert list(data)[:5] == ["command", "ok", "exit_code", "error", "warnings"]
    assert data["command"] == "confirm" and data["confirmed"] is True
    assert [a["algorithm"] for a in data["attempts"]] == ["AMZN-PAY-RSASSA-PSS-V2", "AMZN-PAY-RSASSA-PSS"]
    assert [r.headers["authorization"].split(" ", 1)[0] for r in standin.received] == [
        "AMZN-PAY-RSASSA-PSS-V2", "AMZN-PAY-RSASSA-PSS"]
    assert all(r.verified for r in standin.received)


def test_on_success_it_prints_the_sdk_blocks(pairs: tuple[Pair, Pair], standin: StandIn) -> None:
    a, _ = pairs
    standin.register(PLAIN_ID, a.public, region="us", environment="sandbox")
    result = confirm(standin.url, "--private-key", str(a.private), "--public-key-id", PLAIN_ID, "--region", "us",
                     "--sandbox", "--sdk", "node", "--sdk", "ruby")
    assert result.returncode == 0, result.stderr
    assert "Node.js SDK (@amazonpay/amazon-pay-api-sdk-nodejs (npm)):" in result.stdout
    assert f"privateKey: fs.readFileSync({json.dumps(str(a.private))})," in result.stdout
    assert re.search(r"region: 'na',\n  public_key_id: 'AEXAMPLE", result.stdout)
    assert "sandbox: true" in result.stdout


def test_keygen_audit_shows_confirm_records(pairs: tuple[Pair, Pair], standin: StandIn) -> None:
    a, _ = pairs
    standin.register(SANDBOX_ID, a.public, region="eu")
    assert confirm(standin.url, "--private-key", str(a.private), "--public-key-id", SANDBOX_ID,
                   "--region", "eu").returncode == 0
    shown = run_keygen("audit")
    assert shown.returncode == 0
    assert re.search(rf"confirm  ok \(exit 0\)  Public Key ID {SANDBOX_ID} \(sandbox, region EU\)  "
                     r"answer 404 ResourceNotFound  SHA256:", shown.stdout), shown.stdout


def test_the_options_keep_their_names() -> None:
    """Typer 0.23 on Python 3.9 drops Annotated metadata under `from __future__ import annotations`
    (the options then become --environment, --as-json): the names must be the documented ones."""
    shown = run_keygen("confirm", "--help")
    assert shown.returncode == 0
    for name in ("--public-key-id", "--private-key", "--sandbox", "--live", "--algorithm", "--endpoint",
                 "--timeout", "--sdk", "--json", "--audit-log"):
        assert name in shown.stdout
    assert "--as-json" not in shown.stdout and "--environment" not in shown.stdout
