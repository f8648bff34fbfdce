"""A key's whole life, as a user follows it: each step's printed next command is run as printed
(POSIX shell quoting), against the local Amazon Pay stand-in, from generate to the SDK lines;
then a whole rotation, left and resumed after every step."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from keygen.errors import ExitCode
from tests.helpers import OPENSSL, WINDOWS, run_keygen
from tests.helpers.standin import StandIn

pytestmark = [
    pytest.mark.skipif(OPENSSL is None, reason="needs openssl"),
    # The walk runs each printed line as a POSIX shell would and compares its paths with `/`; on
    # Windows keygen prints cmd's forms (`\`), which this harness does not parse yet.
    pytest.mark.skipif(WINDOWS, reason="the journey walk parses POSIX-shell lines; no cmd harness yet"),
]

OLD_ID = "SANDBOX-AOLDKEY0123456789ABCDEFG"
NEW_ID = "SANDBOX-BNEWKEY0123456789ABCDEFG"


def keygen(cwd: Path, standin: StandIn, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"KEYGEN_SHELL": "posix", "KEYGEN_AMAZON_PAY_ENDPOINT": standin.url}
    return run_keygen(*args, cwd=cwd, env=env, timeout=120)


def next_command(stdout: str, starts: str) -> list[str]:
    """The `keygen ...` command on the line that starts with `starts`, as the shell would split it."""
    [line] = [ln for ln in stdout.splitlines() if ln.startswith(starts)]
    command = shlex.split(line[line.index("keygen ") :])
    assert command[0] == "keygen"
    return command[1:]


def follow(cwd: Path, standin: StandIn, command: list[str], **replace: str) -> subprocess.CompletedProcess[str]:
    """Run a printed command as printed, with its placeholders (ID, REGION) filled in."""
    done = keygen(cwd, standin, *(replace.get(word, word) for word in command))
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    return done


def keys(cwd: Path) -> list[dict]:  # type: ignore[type-arg]
    done = run_keygen("keys", "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["keys"]  # type: ignore[no-any-return]


def walk_to_confirmed(cwd: Path, standin: StandIn, key_id: str) -> None:
    """generate -> exchange (as printed) -> confirm (as printed) -> the SDK lines (as printed)."""
    made = keygen(cwd, standin, "generate", "--out-dir", "shop keys", "--region", "eu")
    assert made.returncode == 0, made.stderr
    exchange = next_command(made.stdout, "Then record the ID it shows")
    assert exchange[exchange.index("--region") + 1] == "eu" and "--name" in exchange
    assert exchange[-2:] == ["--public-key-id", "ID"]

    recorded = follow(cwd, standin, exchange, ID=key_id)
    assert "Paste this" not in recorded.stdout and "Next: trade" not in recorded.stdout
    standin.register(key_id, cwd / "shop keys" / "publicKey.pub", region="eu")
    confirm = next_command(recorded.stdout, "Next: prove that")
    assert confirm == ["confirm", "--private-key", "shop keys/privateKey.pem"]

    confirmed = follow(cwd, standin, confirm)
    assert "Confirmed: Amazon Pay accepted the signature" in confirmed.stdout
    sdk = next_command(confirmed.stdout, "Next: your SDK's configuration")
    configured = follow(cwd, standin, sdk)
    assert f"'{key_id}'" in configured.stdout or f'"{key_id}"' in configured.stdout
    assert configured.stdout.splitlines()[-1].startswith("Nothing left to do: confirmed and configured.")


def test_the_whole_journey_each_step_naming_the_next(tmp_path: Path, standin: StandIn, audit_log: Path) -> None:
    walk_to_confirmed(tmp_path, standin, OLD_ID)

    [key] = keys(tmp_path)
    facts = (key["public_key_id"], key["region"], key["environment"], key["state"])
    assert facts == (OLD_ID, "eu", "sandbox", "active")
    assert key["name"] and key["dir"] == str(tmp_path / "shop keys") and key["last_confirmed"]
    commands = [json.loads(line)["command"] for line in audit_log.read_text().splitlines()]
    assert commands == ["generate", "exchange", "confirm", "confirm"]
    assert run_keygen("audit", "verify", cwd=tmp_path).returncode == 0


def test_a_whole_rotation_left_and_resumed_after_every_step(
    tmp_path: Path, standin: StandIn, audit_log: Path
) -> None:
    walk_to_confirmed(tmp_path, standin, OLD_ID)
    old_dir, old_private = tmp_path / "shop keys", (tmp_path / "shop keys" / "privateKey.pem").read_bytes()

    # Step 1, interrupted: no openssl on PATH, the new pair cannot be made; the folder is chosen and recorded.
    failed = run_keygen("rotate", cwd=tmp_path, env={"PATH": str(tmp_path / "nothing")})
    assert failed.returncode == ExitCode.TOOL_MISSING, failed.stderr
    # Resumed: the pair is made in the folder the first run chose, beside the old one.
    started = keygen(tmp_path, standin, "rotate")
    assert started.returncode == 0, started.stderr
    [new_dir] = [p for p in tmp_path.iterdir() if p.name.startswith("shop keys-")]
    assert (new_dir / "privateKey.pem").is_file() and f"New pair made in {new_dir}" in started.stdout
    exchange = next_command(started.stdout, "Then record the new ID")

    # Left and resumed: no second pair, the same next step.
    again = keygen(tmp_path, standin, "rotate")
    assert "New pair made" not in again.stdout and next_command(again.stdout, "Then record the new ID") == exchange
    assert [k["state"] for k in keys(tmp_path)] == ["new", "active"]

    follow(tmp_path, standin, exchange, ID=NEW_ID)
    standin.register(NEW_ID, new_dir / "publicKey.pub", region="eu")
    at_confirm = keygen(tmp_path, standin, "rotate")
    confirm = next_command(at_confirm.stdout, f"New key {NEW_ID} recorded. Next:")
    assert keygen(tmp_path, standin, "rotate").stdout == at_confirm.stdout  # resumed: the same step
    follow(tmp_path, standin, confirm)

    switch = keygen(tmp_path, standin, "rotate")
    assert switch.returncode == 0, switch.stderr
    assert any(OLD_ID in ln and NEW_ID in ln for ln in switch.stdout.splitlines())  # old and new side by side
    assert any(str(old_dir / "privateKey.pem") in ln and str(new_dir / "privateKey.pem") in ln
               for ln in switch.stdout.splitlines())
    assert '"Delete keys", type DELETE' in switch.stdout
    retire = next_command(switch.stdout, "Then record it:")
    assert retire == ["retire", OLD_ID]
    follow(tmp_path, standin, retire)

    # The old private key is in the backups folder, byte for byte; nothing was deleted.
    [backup] = (old_dir / ".keygen-backups").glob("*/privateKey.pem")
    assert backup.read_bytes() == old_private and not (old_dir / "privateKey.pem").exists()
    done = keygen(tmp_path, standin, "rotate")
    assert done.returncode == 0 and done.stdout.strip() == (
        f"Nothing left to do: {OLD_ID} is retired and {NEW_ID} is in use."
    )
    states = {k["public_key_id"]: k["state"] for k in keys(tmp_path)}
    assert states == {NEW_ID: "active", OLD_ID: "retired"}
    rotations = [r for r in map(json.loads, audit_log.read_text().splitlines()) if r["command"] == "rotate"]
    steps = [(r["step"], r["result"]) for r in rotations]
    assert steps[:3] == [("start", "ok"), ("start", "tool_missing"), ("exchange", "ok")]  # chosen, failed, made
    assert {"exchange", "confirm", "switch"} <= {s for s, _ in steps} and steps[-1] == ("done", "ok")
    assert run_keygen("audit", "verify", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("when", ["version", "genpkey"])
def test_a_rotation_cut_by_ctrl_c_resumes(
    tmp_path: Path, standin: StandIn, audit_log: Path, stand_in, when: str  # type: ignore[no-untyped-def]
) -> None:
    """Ctrl-C while keygen asks openssl its version, or while openssl makes the new private key:
    exit 130, nothing in the new folder; the next `keygen rotate` makes the pair there."""
    walk_to_confirmed(tmp_path, standin, OLD_ID)
    path = stand_in("openssl", f'case "$1" in {when}) kill -INT "$PPID"; sleep 2;; esac\nexec "$REAL" "$@"\n')
    cut = run_keygen("rotate", cwd=tmp_path, env={"PATH": path})
    assert cut.returncode == ExitCode.INTERRUPTED and cut.stderr == "keygen: interrupted\n", cut
    if when == "genpkey":  # generate's own clean-up ran and recorded the step; so did the rotation
        last = [json.loads(line) for line in audit_log.read_text().splitlines()][-2:]
        assert [(r["command"], r["result"]) for r in last] == [("generate", "interrupted"), ("rotate", "interrupted")]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("shop keys-") and any(p.glob("*Key*"))]

    resumed = keygen(tmp_path, standin, "rotate")
    assert resumed.returncode == 0, resumed.stderr
    [new_dir] = [p for p in tmp_path.iterdir() if p.name.startswith("shop keys-")]
    assert f"New pair made in {new_dir}" in resumed.stdout and (new_dir / "privateKey.pem").is_file()
    assert [k["state"] for k in keys(tmp_path)] == ["new", "active"]
    assert run_keygen("audit", "verify", cwd=tmp_path).returncode == 0
