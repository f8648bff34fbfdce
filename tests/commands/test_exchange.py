"""`keygen exchange`: the key ready to paste, the Integration Central steps, and the ID recorded."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keygen import amazon_pay
from keygen.audit import log as audit
from keygen.cli.app import app
from keygen.render.common import suggested_name
from tests.helpers import private_key_body, run_keygen

runner = CliRunner()
GOOD_ID = "SANDBOX-AB12CD34EF56GH78IJ90KL12"
URLS = {code: r.integration_central for code, r in amazon_pay.REGIONS.items()}


def exchange(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["exchange", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def work(tmp_path: Path, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copyfile(key_zoo["publicKey.pub"], tmp_path / "publicKey.pub")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_prints_the_key_and_all_three_regions(work: Path, key_zoo: dict[str, Path]) -> None:
    code, out = exchange()
    assert code == 0
    assert key_zoo["publicKey.pub"].read_text() in out
    for url in URLS.values():
        assert url in out
    assert '"Self-developed"' in out and '"Use an existing public key to create' in out
    assert f"keygen exchange --name {suggested_name()} --region REGION --public-key-id ID" in out
    assert "(REGION is us, eu or jp, the Integration Central you used)" in out
    _, out = exchange("--public-key", str(key_zoo["crlf.pub"]), "--region", "jp")
    assert (
        f"keygen exchange --public-key {key_zoo['crlf.pub']} --name {suggested_name()} --region jp --public-key-id ID"
        in out
    )


def test_one_region(work: Path) -> None:
    code, out = exchange("--region", "eu")
    assert code == 0
    assert URLS["eu"] in out and URLS["us"] not in out and URLS["jp"] not in out


def test_crlf_key_is_pasted_as_clean_pem(work: Path, key_zoo: dict[str, Path]) -> None:
    code, out = exchange("--public-key", str(key_zoo["crlf.pub"]), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["pem"] == key_zoo["publicKey.pub"].read_text()
    assert "\r" not in doc["pem"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("rfc4716.pub", "RFC 4716"),
        ("powershell.pub", "UTF-16"),
        ("rsa1024.pub", "1024 bits"),
        ("privateKey.pem", "PRIVATE key"),
    ],
)
def test_a_bad_key_is_not_offered_for_pasting(work: Path, key_zoo: dict[str, Path], name: str, words: str) -> None:
    code, out = exchange("--public-key", str(key_zoo[name]), "--public-key-id", GOOD_ID)
    assert code == 1
    assert words in out
    assert "-----BEGIN PUBLIC KEY-----" not in out
    for line in private_key_body(key_zoo["privateKey.pem"]):
        assert line not in out
    assert not Path(os.environ["KEYGEN_AUDIT_LOG"]).exists()  # nothing recorded for a bad key


@pytest.mark.parametrize(
    "bad_id",
    ["", "abc", "SANDBOX-ab12cd34ef56gh78ij90kl12", "TEST-AB12CD34EF56GH78IJ90KL12", "AB12CD34EF56GH78IJ90KL1"],
)
def test_malformed_public_key_id_is_a_usage_error(work: Path, bad_id: str) -> None:
    code, out = exchange("--public-key-id", bad_id)
    assert code == 2
    assert "is not a Public Key ID" in out and "24 characters of A-Z and 0-9" in out
    assert not Path(os.environ["KEYGEN_AUDIT_LOG"]).exists()


@pytest.mark.parametrize(
    ("given", "environment"),
    [(GOOD_ID, "sandbox"), ("LIVE-AB12CD34EF56GH78IJ90KL12", "live"), ("AB12CD34EF56GH78IJ90KL12", None)],
)
def test_public_key_id_is_recorded_with_the_fingerprint(
    work: Path, key_zoo: dict[str, Path], given: str, environment: str | None
) -> None:
    code, out = exchange("--region", "jp", "--public-key-id", given)
    assert code == 0
    records, problems = audit.read(Path(os.environ["KEYGEN_AUDIT_LOG"]))
    assert problems == []
    [record] = records
    verify = json.loads(runner.invoke(app, ["verify", "--json", "--public-only"]).stdout)
    assert record["command"] == "exchange"
    assert record["fingerprint"] == verify["fingerprint"]
    assert (record["public_key_id"], record["environment"], record["region"]) == (given, environment, "jp")
    assert audit.parse_time(record["time"]) is not None
    assert f"has Public Key ID {given}" in out
    assert oct(Path(os.environ["KEYGEN_AUDIT_LOG"]).stat().st_mode & 0o777) == "0o600"


def test_open_needs_a_region(work: Path) -> None:
    code, out = exchange("--open")
    assert code == 2 and "--region" in out


def test_open_starts_the_browser_with_the_region_url(work: Path) -> None:
    # A stand-in browser (webbrowser honours BROWSER) that records its argument: no real browser starts.
    seen = work / "browser-args.txt"
    fake = work / "fake-browser"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{seen}"\n')
    fake.chmod(0o755)
    env = {"BROWSER": str(fake), "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    proc = run_keygen("exchange", "--region", "us", "--open", cwd=work, env=env)
    assert proc.returncode == 0, proc.stderr
    assert seen.read_text().split() == [URLS["us"]]
    assert f"Opened {URLS['us']}" in proc.stdout


def test_json_shape(work: Path) -> None:
    code, out = exchange("--json", "--region", "us", "--public-key-id", GOOD_ID)
    doc: dict[str, Any] = json.loads(out)
    assert code == 0 and doc["ok"] is True
    assert doc["integration_central"] == [{"region": "us", "name": "United States", "url": URLS["us"]}]
    assert doc["public_key_id"] == GOOD_ID and doc["environment"] == "sandbox"
    assert doc["fingerprint"].startswith("SHA256:") and doc["pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_unwritable_audit_log_is_a_warning(work: Path) -> None:
    blocker = work / "not-a-dir"
    blocker.write_text("")
    code, out = exchange("--public-key-id", GOOD_ID, "--audit-log", str(blocker / "audit.jsonl"))
    assert code == 0
    assert "could not be written" in out and "was not recorded" in out
    assert "Recorded" not in out
