"""The audit log's path is a regular file or nothing (issue 20): a FIFO, a socket, a directory or a
link (to a device, say) is refused with exit 14 before anything opens it, by the commands that read
the log and by those that write it; nothing keygen did not create is chmod-ed; "Recorded" is said
only of a record on the disk; and `off` turns the log off.

No real device is ever written or chmod-ed here: the inputs are a FIFO, a socket and a symbolic
link to /dev/null (whose mode is checked unchanged), and /dev/null itself only as a path to read.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from keygen.audit import log as audit
from keygen.audit import store
from tests.helpers import WINDOWS, run_keygen
from tests.helpers.pairs import Pair, make_pair

pytestmark = pytest.mark.skipif(WINDOWS, reason="FIFOs, sockets and /dev/null are POSIX")

ID = "SANDBOX-" + "A" * 24


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    return make_pair(tmp_path_factory.mktemp("pair"))


@pytest.fixture(params=["fifo", "socket", "link to /dev/null", "directory"])
def odd_path(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "audit.jsonl"
    if request.param == "fifo":
        os.mkfifo(path)
    elif request.param == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        request.addfinalizer(sock.close)
    elif request.param == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/null")
    yield path


@pytest.fixture(autouse=True)
def dev_null_untouched() -> Iterator[None]:
    before = os.stat("/dev/null")
    yield
    after = os.stat("/dev/null")
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode), "/dev/null's mode changed"


def refused(done: object, path: Path) -> None:
    assert getattr(done, "returncode") == 14, (getattr(done, "stdout"), getattr(done, "stderr"))  # noqa: B009
    err = getattr(done, "stderr")  # noqa: B009
    assert f"keygen: error: the audit log {path} is " in err and "not a regular file" in err
    assert "hint:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "command", [["audit"], ["audit", "verify"], ["audit", "show", "last"], ["audit", "--last", "2"]]
)
def test_read_commands_refuse_an_odd_log_path_and_never_hang(odd_path: Path, command: list[str]) -> None:
    kind = odd_path.lstat().st_mode
    done = run_keygen(*command, "--audit-log", str(odd_path), timeout=30)
    refused(done, odd_path)
    assert stat.S_IFMT(odd_path.lstat().st_mode) == stat.S_IFMT(kind)  # still what it was
    doc = json.loads(run_keygen(*command, "--json", "--audit-log", str(odd_path), timeout=30).stdout)
    assert doc["error"]["code"] == 14 and doc["error"]["kind"] == "audit_log_unusable"


def test_exchange_refuses_an_odd_log_path_before_its_work_and_says_nothing_recorded(odd_path: Path, pair: Pair) -> None:
    done = run_keygen("exchange", "--public-key", str(pair.public), "--public-key-id", ID, "--audit-log", str(odd_path))
    refused(done, odd_path)
    assert "Recorded" not in done.stdout
    env_done = run_keygen(
        "exchange", "--public-key", str(pair.public), "--public-key-id", ID, env={"KEYGEN_AUDIT_LOG": str(odd_path)}
    )
    refused(env_done, odd_path)


def test_generate_refuses_an_odd_log_path_before_making_a_key(odd_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "keys"
    done = run_keygen("generate", "--out-dir", str(out), "--audit-log", str(odd_path))
    refused(done, odd_path)
    assert not out.exists() or not any(out.iterdir())


def test_confirm_refuses_an_odd_log_path_before_it_signs_or_sends(odd_path: Path, pair: Pair) -> None:
    """confirm reads its ID from the log and records its attempt there: an odd path is refused before
    anything is signed or sent (the endpoint is a closed port: reaching it would be exit 8, not 14)."""
    done = run_keygen(
        "confirm", "--private-key", str(pair.private), "--public-key-id", ID, "--region", "eu",
        "--endpoint", "https://127.0.0.1:9", "--timeout", "5", "--audit-log", str(odd_path), timeout=30,
    )
    refused(done, odd_path)
    assert "Recorded" not in done.stdout


def test_reading_dev_null_itself_is_refused(tmp_path: Path) -> None:
    """`audit verify --audit-log /dev/null` (a device read as input) used to verify an empty chain."""
    done = run_keygen("audit", "verify", "--audit-log", "/dev/null", timeout=30)
    refused(done, Path("/dev/null"))


def test_the_append_itself_refuses_a_fifo_without_opening_it(tmp_path: Path) -> None:
    """The last line of defence (a caller that did not ask first): NotRegular, an OSError its callers
    already turn into a warning, raised before the open (an open for writing would not block, but
    the record would vanish into the pipe)."""
    fifo = tmp_path / "audit.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(store.NotRegular) as caught:
        audit.record(fifo, {"command": "exchange"})
    assert "FIFO" in str(caught.value)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_log_swapped_for_a_fifo_after_the_look_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lstat says regular, then the path becomes a FIFO: O_NONBLOCK keeps the open from waiting and
    fstat refuses what it opened."""
    log = tmp_path / "audit.jsonl"
    os.mkfifo(log)
    monkeypatch.setattr(store.files, "check", lambda path: True)
    with pytest.raises(store.NotRegular):
        store.append(log, {"command": "exchange"})


def test_an_existing_log_is_never_chmod_ed_a_new_one_is_owner_only(tmp_path: Path) -> None:
    existing = tmp_path / "shared.jsonl"
    existing.touch()
    os.chmod(existing, 0o640)  # the owner's choice: keygen did not create it
    audit.append(existing, {"command": "exchange"})
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    new = tmp_path / "new.jsonl"
    audit.append(new, {"command": "exchange"})
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    for i in range(3):  # rotation's new live files are keygen's own: owner-only
        audit.append(existing, {"i": i, "pad": "x" * 200}, limit=300)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert stat.S_IMODE(existing.with_name("shared.jsonl.1").stat().st_mode) == 0o640


def test_off_turns_the_log_off_for_writers_and_read_commands_say_they_need_it(tmp_path: Path, pair: Pair) -> None:
    for env, flag in [({"KEYGEN_AUDIT_LOG": "off"}, []), ({}, ["--audit-log", "off"])]:
        done = run_keygen(
            "exchange", "--public-key", str(pair.public), "--public-key-id", ID, *flag, "--json", cwd=tmp_path, env=env
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["audit_log"] is None
        assert not (tmp_path / "off").exists()
        listed = run_keygen("audit", *flag, cwd=tmp_path, env=env)
        assert listed.returncode == 14
        assert "the audit log is turned off" in listed.stderr and "hint:" in listed.stderr
        verified = run_keygen("audit", "verify", *flag, cwd=tmp_path, env=env)
        assert verified.returncode == 14
    generated = run_keygen(
        "generate", "--out-dir", str(tmp_path / "k"), "--json", cwd=tmp_path, env={"KEYGEN_AUDIT_LOG": "off"}
    )
    assert generated.returncode == 0, generated.stderr
    assert json.loads(generated.stdout)["audit_log"] is None and not (tmp_path / "off").exists()
    assert (
        "Audit record"
        not in run_keygen("generate", "--out-dir", str(tmp_path / "k2"), env={"KEYGEN_AUDIT_LOG": "off"}).stdout
    )
