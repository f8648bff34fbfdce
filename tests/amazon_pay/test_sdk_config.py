"""SDK configuration blocks: each SDK's own keys and values; the Node block runs verbatim on the Node SDK."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from keygen.amazon_pay import sdk_config
from keygen.errors import ExitCode
from tests.helpers import OPENSSL, node_sdk, run_keygen
from tests.helpers.pairs import Pair, make_pair
from tests.helpers.standin import StandIn
from tests.helpers.tls import CertFiles, self_signed

SANDBOX_ID = "SANDBOX-AEXAMPLE0123456789ABCDEF"
PLAIN_ID = "AEXAMPLE0123456789ABCDEF"
V2 = "AMZN-PAY-RSASSA-PSS-V2"


def settings(**over: object) -> sdk_config.Settings:
    base: dict[str, object] = {"private_key": "/keys/privateKey.pem", "public_key_id": SANDBOX_ID, "region": "us",
                               "sandbox": None, "algorithm": V2, "pkcs8": True}
    base.update(over)
    return sdk_config.Settings(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("sdk", "region_text"), [
    ("php", "'region'        => 'us',"),
    ("node", 'region: "us",'),
    ("java", ".setRegion(Region.NA)"),
    ("dotnet", "region: Amazon.Pay.API.Types.Region.UnitedStates,"),
    ("ruby", "region: 'na',"),
])
def test_each_sdk_gets_the_region_value_it_expects(sdk: str, region_text: str) -> None:
    block = sdk_config.block(sdk, settings())
    assert region_text in block.text
    assert SANDBOX_ID in block.text and "/keys/privateKey.pem" in block.text
    assert "sandbox" not in block.text.lower().replace(SANDBOX_ID.lower(), "")  # the prefix decides
    assert any("prefix selects the environment" in n for n in block.notes)


@pytest.mark.parametrize(("sdk", "flag"), [
    ("php", "'sandbox'       => true,"),
    ("node", "sandbox: true,"),
    ("java", ".setEnvironment(Environment.SANDBOX)"),
    ("dotnet", "environment: Amazon.Pay.API.Types.Environment.Sandbox,"),
    ("ruby", "sandbox: true"),
])
def test_an_id_without_prefix_gets_the_sdks_sandbox_flag(sdk: str, flag: str) -> None:
    assert flag in sdk_config.block(sdk, settings(public_key_id=PLAIN_ID, sandbox=True)).text
    live = sdk_config.block(sdk, settings(public_key_id=PLAIN_ID, sandbox=False)).text
    assert flag.replace("true", "false").replace("SANDBOX", "LIVE").replace("Sandbox", "Live") in live


def test_algorithms_and_what_each_sdk_needs_from_the_key_file() -> None:
    v1 = settings(algorithm="AMZN-PAY-RSASSA-PSS")
    assert '.setAlgorithm("AMZN-PAY-RSASSA-PSS");' in sdk_config.block("java", v1).text
    assert "AmazonSignatureAlgorithm.Default" in sdk_config.block("dotnet", v1).text
    assert "AmazonSignatureAlgorithm.V2" in sdk_config.block("dotnet", settings()).text
    ruby = sdk_config.block("ruby", settings())
    assert "algorithm" not in ruby.text and any("always signs with AMZN-PAY-RSASSA-PSS-V2" in n for n in ruby.notes)
    java_pkcs1 = sdk_config.block("java", settings(pkcs8=False))
    assert any("loads only PKCS#8" in n and "openssl pkcs8 -topk8 -nocrypt" in n for n in java_pkcs1.notes)
    assert any("this key file is PKCS#8" in n for n in sdk_config.block("java", settings()).notes)
    assert any("PKCS#1" in n for n in sdk_config.block("php", settings()).notes)


@pytest.mark.skipif(
    shutil.which("node") is None,
    reason="needs node to parse the JavaScript block" + ("; the Windows lane has no node" if os.name == "nt" else ""),
)
def test_awkward_paths_stay_valid_literals(tmp_path: Path) -> None:
    odd = "C:\\Users\\O'Brien \"x\"\\privateKey.pem"
    text = sdk_config.block("node", settings(private_key=odd)).text
    script = text.replace("require('@amazonpay/amazon-pay-api-sdk-nodejs')", "{WebStoreClient: function () {}}")
    script = script.replace("fs.readFileSync(", "String(") + "\nconsole.log(JSON.stringify(config.privateKey));"
    (tmp_path / "t.js").write_text(script)
    out = subprocess.run(["node", str(tmp_path / "t.js")], capture_output=True, text=True, timeout=30)
    assert json.loads(out.stdout) == odd, out.stderr
    php = sdk_config.block("php", settings(private_key=odd)).text
    assert "'private_key'   => 'C:\\\\Users\\\\O\\'Brien \"x\"\\\\privateKey.pem'," in php


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    if OPENSSL is None:
        pytest.skip("needs openssl")
    return make_pair(tmp_path_factory.mktemp("sdk-pair") / "keys")


def test_exchange_prints_the_blocks_with_the_real_private_key_path(pair: Pair) -> None:
    result = run_keygen("exchange", "--public-key", str(pair.public), "--region", "jp", "--public-key-id", SANDBOX_ID,
                        "--sdk", "java", "--sdk", "dotnet", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [b["sdk"] for b in data["sdk"]] == ["java", "dotnet"]
    # As a Java string literal: JSON escaping (a Windows path's backslashes are doubled).
    assert json.dumps(str(pair.private.absolute())) in data["sdk"][0]["text"] and "Region.JP" in data["sdk"][0]["text"]
    assert "Region.Japan" in data["sdk"][1]["text"]


@pytest.mark.parametrize(("args", "words"), [
    (("--public-key-id", SANDBOX_ID, "--sdk", "node"), "--sdk needs --public-key-id and --region"),
    (("--region", "eu", "--sdk", "node"), "--sdk needs --public-key-id and --region"),
    (("--region", "eu", "--public-key-id", PLAIN_ID, "--sdk", "php"), "add --sandbox or --live"),
])
def test_exchange_sdk_usage_errors(pair: Pair, audit_log: Path, args: tuple[str, ...], words: str) -> None:
    result = run_keygen("exchange", "--public-key", str(pair.public), *args)
    assert result.returncode == ExitCode.USAGE and words in result.stderr
    assert not audit_log.exists()


def test_exchange_records_the_environment_of_an_id_without_prefix_for_confirm(pair: Pair, audit_log: Path) -> None:
    result = run_keygen("exchange", "--public-key", str(pair.public), "--region", "eu", "--public-key-id", PLAIN_ID,
                        "--live", "--sdk", "ruby")
    assert result.returncode == 0, result.stderr
    assert "sandbox: false" in result.stdout
    assert json.loads(audit_log.read_text().splitlines()[-1])["environment"] == "live"
    with StandIn() as standin:
        standin.register(PLAIN_ID, pair.public, region="eu", environment="live")
        confirmed = run_keygen("confirm", "--private-key", str(pair.private),
                               env={"KEYGEN_AMAZON_PAY_ENDPOINT": standin.url})
        assert confirmed.returncode == 0, confirmed.stderr
        assert standin.received[0].path.startswith("/live/v2/")
    assert "live (from the audit log)" in confirmed.stdout


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> CertFiles:
    return self_signed(tmp_path_factory.mktemp("tls"))


@node_sdk.requires_node_sdk
@pytest.mark.parametrize(("key_id", "flag"), [(SANDBOX_ID, ()), (PLAIN_ID, ("--sandbox",)), (PLAIN_ID, ("--live",))])
def test_the_node_block_runs_verbatim_on_the_node_sdk_and_signs(
    pair: Pair, cert: CertFiles, tmp_path: Path, key_id: str, flag: tuple[str, ...]
) -> None:
    result = run_keygen("exchange", "--public-key", str(pair.public), "--region", "us", "--public-key-id", key_id,
                        *flag, "--sdk", "node", "--json")
    assert result.returncode == 0, result.stderr
    block = json.loads(result.stdout)["sdk"][0]["text"]
    assert block in run_keygen("exchange", "--public-key", str(pair.public), "--region", "us", "--public-key-id",
                               key_id, *flag, "--sdk", "node").stdout  # the text output prints the same block
    environment = "live" if "--live" in flag else "sandbox"
    with StandIn(tls=cert) as standin:
        standin.register(key_id, pair.public, region="us", environment=environment)
        out = node_sdk.run_json(node_sdk.lookup_script(block, standin.netloc, "probe-2"), tmp_path)
        [request] = standin.received
    assert out["status"] == 404 and out["data"]["reasonCode"] == "ResourceNotFound"
    assert request.verified
    assert request.headers["authorization"].startswith(f"{V2} PublicKeyId={key_id}, ")
    prefix = "/v2/" if key_id == SANDBOX_ID else f"/{environment}/v2/"
    assert request.path == prefix + "checkoutSessions/probe-2"


@pytest.mark.skipif(os.name == "nt", reason="runs bash on a POSIX script (no MSYS bash.exe in the Windows lane)")
def test_the_sdk_lane_pins_the_node_sdk_in_the_cache_and_runs_the_sdk_marker() -> None:
    from tests.helpers import REPO

    script = REPO / ".ci" / "sdk"
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True, timeout=30).returncode == 0
    text = script.read_text()
    assert "NODE_SDK_VERSION=2.3.4" in text and "--save-exact" in text
    assert "${KEYGEN_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keygen-ci}/node-sdk-${NODE_SDK_VERSION}" in text
    assert 'KEYGEN_NODE_SDK_DIR="$cache" .venv/bin/python -m pytest -q -m sdk' in text
    assert node_sdk.ENV_VAR == "KEYGEN_NODE_SDK_DIR" and ".ci/sdk" in node_sdk.SKIP_REASON
