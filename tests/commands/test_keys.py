"""`keygen keys` (states, ages by a controlled clock, --max-age exit 13), `keygen retire`, and
`generate --force` over a key whose Public Key ID is in use."""

from __future__ import annotations

import datetime as _dt
import json
import shutil
from pathlib import Path

import pytest

from keygen.commands import keys as keys_mod
from keygen.errors import ExitCode
from tests.helpers import OPENSSL, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")

ID_A = "SANDBOX-AKEYSTEST0123456789ABCDE"
ID_B = "SANDBOX-BKEYSTEST0123456789ABCDE"
FAKETIME = shutil.which("faketime")


def made_and_exchanged(folder: Path, key_id: str | None, *, env: dict[str, str] | None = None) -> None:
    assert run_keygen("generate", "--out-dir", str(folder), env=env).returncode == 0
    if key_id:
        done = run_keygen("exchange", "--public-key", str(folder / "publicKey.pub"), "--region", "eu",
                          "--name", "web shop", "--public-key-id", key_id)
        assert done.returncode == 0, done.stderr


def test_states_and_ages_by_an_injected_clock(tmp_path: Path, audit_log: Path) -> None:
    made_and_exchanged(tmp_path / "a", ID_A)
    made_and_exchanged(tmp_path / "b", None)
    now = _dt.datetime.now(_dt.timezone.utc)

    today = keys_mod.keys(now=now)
    assert [(k.public_key_id, k.state) for k in today.keys] == [(None, "new"), (ID_A, "active")]  # newest first
    assert today.exit_code == 0 and today.keys[1].name == "web shop" and today.keys[1].dir == str(tmp_path / "a")

    later = now + _dt.timedelta(days=91)
    shown = keys_mod.keys(now=later)
    assert [k.state for k in shown.keys] == ["new", "due"] and shown.exit_code == 0  # only --max-age fails
    enforced = keys_mod.keys(max_age=90, now=later)
    assert enforced.exit_code == ExitCode.ROTATION_DUE == 13
    assert enforced.error is not None and ID_A in enforced.error.message
    assert enforced.error.hint == f"rotate it: keygen rotate --public-key-id {ID_A}"
    # A key with no ID is never due, however old; a larger --max-age passes.
    assert keys_mod.keys(max_age=120, now=later).exit_code == 0
    assert keys_mod.keys(max_age=90, now=now + _dt.timedelta(days=89)).exit_code == 0


@pytest.mark.skipif(FAKETIME is None, reason="needs faketime (Debian package faketime)")
def test_a_key_made_120_days_ago_fails_the_scheduled_check(tmp_path: Path, audit_log: Path) -> None:
    """The CI recipe's command, with the key's age made by libfaketime: generate ran 120 days ago."""
    then = (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(days=120)).strftime("%Y-%m-%d %H:%M:%S")
    made_and_exchanged(tmp_path / "old", ID_A, env={"FAKETIME": f"@{then}", "LD_PRELOAD": _libfaketime()})
    [record] = [json.loads(line) for line in audit_log.read_text().splitlines()][:1]
    assert record["time"].startswith(then[:10])

    due = run_keygen("keys", "--max-age", "90")
    assert due.returncode == 13, due.stderr
    assert "due" in due.stdout and ID_A in due.stdout  # the table still says which key
    assert f"hint: rotate it: keygen rotate --public-key-id {ID_A}" in due.stderr
    doc = json.loads(run_keygen("keys", "--max-age", "90", "--json").stdout)
    assert doc["exit_code"] == 13 and doc["error"]["kind"] == "rotation_due"
    assert doc["keys"][0]["state"] == "due" and 119 < doc["keys"][0]["age_days"] < 121
    assert run_keygen("keys", "--max-age", "200").returncode == 0
    assert run_keygen("keys").returncode == 0


def _libfaketime() -> str:
    found = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    if not found:
        pytest.skip("libfaketime.so.1 not found")
    return str(found[0])


def test_keys_from_a_hand_edited_log_never_crash(audit_log: Path) -> None:
    odd = [
        {"command": "exchange", "fingerprint": "SHA256:x", "public_key_id": 5, "name": ["x"], "public_key": None},
        {"command": "generate", "result": "ok", "fingerprint": "SHA256:y", "time": 7, "dir": {}},
        {"command": "retire", "result": "ok", "fingerprint": "SHA256:z", "moved_to": 3},
        "not an object",
    ]
    audit_log.write_text("\n".join(json.dumps(r) for r in odd) + "\nnot json\n")
    done = run_keygen("keys", "--max-age", "1", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert {k["fingerprint"]: k["state"] for k in doc["keys"]} == {"SHA256:x": "new", "SHA256:y": "new"}
    assert len(doc["warnings"]) == 2


def test_max_age_must_be_positive_and_a_directory_log_is_exit_14(tmp_path: Path) -> None:
    assert run_keygen("keys", "--max-age", "0").returncode == 2
    assert run_keygen("keys", "--max-age", "ninety").returncode == 2
    assert run_keygen("keys", "--audit-log", str(tmp_path)).returncode == ExitCode.AUDIT_LOG


@pytest.mark.parametrize(
    "command", [["keys"], ["keys", "--max-age", "90"], ["rotate"], ["retire", ID_A]], ids=" ".join
)
def test_the_lifecycle_commands_need_the_log_and_say_so_when_it_is_off(tmp_path: Path, command: list[str]) -> None:
    """A scheduled `keys --max-age` job with the log turned off would otherwise pass for ever with
    "no keys"; rotate resumes from the log and retire's record is the retirement itself."""
    done = run_keygen(*command, "--audit-log", "off", cwd=tmp_path)
    assert done.returncode == ExitCode.AUDIT_LOG, (done.stdout, done.stderr)
    assert "the audit log is turned off" in done.stderr and "hint:" in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing made, nothing moved


def test_generate_force_over_a_key_in_use_names_it_and_asks_twice(tmp_path: Path, audit_log: Path) -> None:
    made_and_exchanged(tmp_path, ID_A)
    before = (tmp_path / "privateKey.pem").read_bytes()

    refused = run_keygen("generate", "--out-dir", str(tmp_path), "--force")
    assert refused.returncode == ExitCode.REFUSED, refused.stderr
    assert ID_A in refused.stderr and "(active)" in refused.stderr
    assert "keygen rotate" in refused.stderr and "--replace-key-in-use" in refused.stderr
    assert (tmp_path / "privateKey.pem").read_bytes() == before

    replaced = run_keygen("generate", "--out-dir", str(tmp_path), "--force", "--replace-key-in-use")
    assert replaced.returncode == 0, replaced.stderr
    [backup] = (tmp_path / ".keygen-backups").glob("*/privateKey.pem")
    assert backup.read_bytes() == before


def test_generate_force_over_a_key_without_an_id_needs_no_second_flag(tmp_path: Path, audit_log: Path) -> None:
    made_and_exchanged(tmp_path, None)
    assert run_keygen("generate", "--out-dir", str(tmp_path), "--force").returncode == 0


def test_retire_refuses_the_last_confirmed_key_then_moves_it_aside(tmp_path: Path, audit_log: Path) -> None:
    made_and_exchanged(tmp_path, ID_A)
    private = (tmp_path / "privateKey.pem").read_bytes()

    assert run_keygen("retire", ID_B).returncode == ExitCode.USAGE  # not in the log
    refused = run_keygen("retire", ID_A)
    assert refused.returncode == ExitCode.REFUSED and "stops working" in refused.stderr and refused.stdout == ""
    assert (tmp_path / "privateKey.pem").read_bytes() == private

    done = run_keygen("retire", ID_A, "--force", "--json")
    assert done.returncode == 0, done.stderr
    moved = json.loads(done.stdout)["moved"]
    assert [Path(m["from"]).name for m in moved] == ["privateKey.pem", "publicKey.pub"]
    assert Path(moved[0]["to"]).read_bytes() == private and not (tmp_path / "privateKey.pem").exists()
    assert Path(moved[0]["to"]).parent.parent == tmp_path / ".keygen-backups"

    again = run_keygen("retire", ID_A)
    assert again.returncode == 0 and again.stdout.strip() == f"Nothing left to do: {ID_A} is already retired."
    [key] = json.loads(run_keygen("keys", "--json").stdout)["keys"]
    assert key["state"] == "retired" and key["dir"] == str(Path(moved[0]["to"]).parent)
    assert run_keygen("audit", "verify").returncode == 0


def test_retire_leaves_a_different_key_in_place(tmp_path: Path, audit_log: Path) -> None:
    made_and_exchanged(tmp_path, ID_A)
    assert run_keygen("generate", "--out-dir", str(tmp_path), "--force", "--replace-key-in-use").returncode == 0
    done = run_keygen("retire", ID_A, "--force")
    assert done.returncode == 0 and "is another key now: left in place" in done.stderr
    assert (tmp_path / "privateKey.pem").is_file()


def test_exchange_name_must_be_printable(tmp_path: Path, audit_log: Path) -> None:
    made_and_exchanged(tmp_path, None)
    done = run_keygen("exchange", "--public-key", str(tmp_path / "publicKey.pub"), "--region", "eu",
                      "--name", "shop\x1b[2J", "--public-key-id", ID_A)
    assert done.returncode == 2 and "--name must be printable text" in done.stderr and "\x1b" not in done.stderr
    assert [json.loads(line)["command"] for line in audit_log.read_text().splitlines()] == ["generate"]


def test_hostile_names_and_regions_in_the_log_are_shown_escaped(tmp_path: Path, audit_log: Path) -> None:
    made_and_exchanged(tmp_path / "k", ID_A)
    edited = {"command": "exchange", "fingerprint": "SHA256:h", "public_key_id": ID_B, "region": "mars",
              "environment": "moon", "name": "shop\x1b[2J\x07", "public_key": str(tmp_path / "h\x1b" / "p.pub")}
    with audit_log.open("a") as log:
        log.write(json.dumps(edited) + "\n")
    shown = run_keygen("keys")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout and "shop\\x1b[2J\\x07" in shown.stdout
    [row] = [ln for ln in shown.stdout.splitlines() if ID_B in ln]
    assert "mars" not in row and "moon" not in row
    # Rotating it: a region keygen does not know is no region (all three are listed), never a crash.
    rotated = run_keygen("rotate", "--public-key-id", ID_B, cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert "\x1b" not in rotated.stdout and "--region REGION --public-key-id ID" in rotated.stdout
    bad = run_keygen("retire", "SANDBOX-\x1b[2J")
    assert bad.returncode == 2 and "\x1b" not in bad.stderr


def test_rotate_with_nothing_in_use_says_so_in_its_json_envelope(tmp_path: Path) -> None:
    """`rotate --json` keeps the one envelope (its schema, docs/schemas/rotate.json, is checked on
    every --json run of the suite): nothing to rotate is a usage error, every step field null."""
    done = run_keygen("rotate", "--json", "--audit-log", str(tmp_path / "audit.jsonl"), cwd=tmp_path)
    doc = json.loads(done.stdout)
    assert done.returncode == doc["exit_code"] == ExitCode.USAGE
    assert doc["command"] == "rotate" and doc["error"]["kind"] == "usage"
    assert "nothing to rotate" in doc["error"]["message"]
    assert doc["old"] is None and doc["new"] is None and doc["step"] is None
