"""`keygen audit` lists keys by fingerprint with their Public Key IDs and age, and warns after 90 days."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from keygen.audit import log as audit
from keygen.cli.app import app
from tests.helpers import run_keygen

runner = CliRunner()
OLD, NEW, FAILED = "SHA256:" + "a" * 64, "SHA256:" + "b" * 64, "SHA256:" + "c" * 64


def ago(days: float) -> str:
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def write_log(path: Path, records: list[dict[str, Any]]) -> None:
    for record in records:
        audit.append(path, record)


def history(audit_log: Path) -> list[dict[str, Any]]:
    return [
        {"time": ago(120), "command": "generate", "result": "ok", "exit_code": 0, "method": "openssl",
         "dir": "/k/old", "fingerprint": OLD, "steps": []},
        {"time": ago(119), "command": "exchange", "result": "ok", "exit_code": 0, "fingerprint": OLD,
         "public_key_id": "SANDBOX-AB12CD34EF56GH78IJ90KL12", "environment": "sandbox", "region": "eu"},
        {"time": ago(100), "command": "exchange", "result": "ok", "exit_code": 0, "fingerprint": OLD,
         "public_key_id": "LIVE-AB12CD34EF56GH78IJ90KL12", "environment": "live", "region": "eu"},
        {"time": ago(3), "command": "generate", "result": "ok", "exit_code": 0, "method": "ssh-keygen",
         "dir": "/k/new", "fingerprint": NEW, "steps": []},
        {"time": ago(2), "command": "generate", "result": "checks_failed", "exit_code": 1, "method": "openssl",
         "dir": "/k/bad", "fingerprint": FAILED, "steps": []},
    ]  # fmt: skip


def test_keys_listed_by_fingerprint_with_ids_and_age(audit_log: Path) -> None:
    write_log(audit_log, history(audit_log))
    result = runner.invoke(app, ["audit"])
    out = result.output
    assert result.exit_code == 0
    # The existing per-record lines are still there.
    assert "generate  ok (exit 0)  openssl  /k/old" in out
    assert "exchange  ok (exit 0)  Public Key ID LIVE-AB12CD34EF56GH78IJ90KL12 (live, region EU)" in out
    keys = out[out.index("Keys by fingerprint:") :]
    old, new = keys.index(OLD), keys.index(NEW)
    old_block, new_block = keys[old:new], keys[new:]
    assert "(120 days old)" in old_block
    assert "SANDBOX-AB12CD34EF56GH78IJ90KL12 (sandbox, EU)" in old_block
    assert "LIVE-AB12CD34EF56GH78IJ90KL12 (live, EU)" in old_block
    assert "older than 90 days" in old_block and "rotating" in old_block
    assert "(3 days old)" in new_block and "no Public Key ID recorded" in new_block
    assert "older than 90 days" not in new_block
    assert FAILED not in keys  # a pair that failed its checks was never published


def test_keys_in_json(audit_log: Path) -> None:
    write_log(audit_log, history(audit_log))
    doc = json.loads(runner.invoke(app, ["audit", "--json", "--last", "1"]).stdout)
    assert len(doc["records"]) == 1  # --last limits every section: the records and the keys
    assert [k["fingerprint"] for k in doc["keys"]] == [NEW]
    doc = json.loads(runner.invoke(app, ["audit", "--json"]).stdout)
    keys = {k["fingerprint"]: k for k in doc["keys"]}
    assert set(keys) == {OLD, NEW}
    assert keys[OLD]["rotate"] is True and keys[NEW]["rotate"] is False
    assert 119.9 < keys[OLD]["age_days"] < 120.1
    assert [i["public_key_id"] for i in keys[OLD]["public_key_ids"]] == [
        "SANDBOX-AB12CD34EF56GH78IJ90KL12",
        "LIVE-AB12CD34EF56GH78IJ90KL12",
    ]


def test_key_known_only_from_an_exchange_ages_from_then(audit_log: Path) -> None:
    write_log(
        audit_log,
        [{"time": ago(95), "command": "exchange", "fingerprint": OLD, "public_key_id": "AB12CD34EF56GH78IJ90KL12"}],
    )
    out = runner.invoke(app, ["audit"]).output
    assert f"{OLD}  first recorded" in out and "(95 days old)" in out and "older than 90 days" in out


def test_odd_records_do_not_break_the_listing(audit_log: Path) -> None:
    write_log(
        audit_log,
        [
            {"command": "exchange", "fingerprint": OLD, "public_key_id": "AB12CD34EF56GH78IJ90KL12", "time": "soon"},
            {"command": "generate", "result": "ok", "fingerprint": 42},
            {"command": "generate", "result": "ok"},
        ],
    )
    result = runner.invoke(app, ["audit"])
    assert result.exit_code == 0 and "age unknown" in result.output


def test_no_keys_no_key_section(audit_log: Path) -> None:
    audit_log.touch()
    result = runner.invoke(app, ["audit"])
    assert result.exit_code == 0 and "Keys by fingerprint" not in result.output


def test_generate_then_exchange_end_to_end(tmp_path: Path, audit_log: Path, key_zoo: dict[str, Path]) -> None:
    shutil.copyfile(key_zoo["publicKey.pub"], tmp_path / "publicKey.pub")
    proc = run_keygen("exchange", "--public-key-id", "LIVE-AB12CD34EF56GH78IJ90KL12", "--region", "us", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    shown = run_keygen("audit")
    fingerprint = json.loads(run_keygen("verify", "--json", "--public-only", cwd=tmp_path).stdout)["fingerprint"]
    assert f"{fingerprint}  first recorded" in shown.stdout
    assert "LIVE-AB12CD34EF56GH78IJ90KL12 (live, US)" in shown.stdout
