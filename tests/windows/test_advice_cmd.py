"""The Windows lane, part 2: the fix commands keygen prints for cmd, run as printed in Wine's cmd.exe.

A Windows user with Git for Windows has no openssl on PATH: Git's `openssl.exe` is in
`mingw64\\bin`. For each situation of the advice suite that applies on Windows, `keygen verify`
runs from cmd.exe (so the advice is worded for cmd); each printed command then runs as a line of a
batch file in a fresh copy of the situation. (A batch line is parsed as a typed line, except `%`:
no name here holds one.) Each must exit 0, change no file that existed (a `--fix` may replace the
public key only with the original kept whole in the backup folder), and leave a pair `keygen
verify` passes. PowerShell forms are not run: Wine has no PowerShell (they are checked against a
model in tests/keys/test_advice.py).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import pytest

from tests.helpers import advice_run
from tests.windows.lane import SKIP, Lane, winpath

pytestmark = SKIP

Source = Union[str, bytes]

#: id -> (files: scratch name -> zoo name or bytes, keygen verify's arguments as typed in cmd).
SITUATIONS: dict[str, tuple[dict[str, Source], list[str]]] = {
    "mismatch": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "other.pub"}, []),
    "swapped": ({"privateKey.pem": "publicKey.pub", "publicKey.pub": "privateKey.pem"}, []),
    "missing-public-key": ({"privateKey.pem": "privateKey.pem"}, []),
    "utf16-public-key": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "powershell.pub"}, []),
    "crlf-and-lf-mixed": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "mixed.pub"}, []),
    "crlf-private-mismatch": ({"privateKey.pem": b"crlf", "publicKey.pub": "other.pub"}, []),
    "new-directory": ({"privateKey.pem": "rsa1024.pem", "publicKey.pub": "rsa1024.pub"}, []),
    "pkcs1-private": ({"privateKey.pem": "pkcs1.pem", "publicKey.pub": "publicKey.pub"}, []),
    "pkcs1-public": ({"privateKey.pem": "privateKey.pem", "publicKey.pub": "pkcs1_public.pub"}, []),
    "names-with-spaces": (
        {"my keys/private key.pem": "privateKey.pem", "my keys/public key.pub": "other.pub"},
        ['"my keys\\private key.pem"', '"my keys\\public key.pub"'],
    ),
}


@dataclass
class Tally:
    commands: int = 0
    failed: list[str] = field(default_factory=list)
    situations: set[str] = field(default_factory=set)
    ran: list[str] = field(default_factory=list)


TALLY = Tally()


def _lay_out(root: Path, files: dict[str, Source], zoo: dict[str, Path]) -> None:
    for name, source in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source == b"crlf":  # what the documented lines write on Windows: the private key with CRLF
            target.write_bytes(zoo["privateKey.pem"].read_bytes().replace(b"\n", b"\r\n"))
        elif isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(zoo[source], target)


def _printed(lane: Lane, situation: Path, args: list[str]) -> list[str]:
    ran = lane.cmd([f'cd /d "{winpath(situation)}"', "keygen verify --json " + " ".join(args)], name="verify.bat")
    assert ran.code in (0, 1), ran.out + ran.err  # a warning's fix is printed too (exit 0)
    checks = ran.json()["checks"]
    assert isinstance(checks, list)
    texts = [str(c["fix"]) for c in checks if c["status"] != "pass"]
    for text in texts:
        assert not advice_run.bare_commands(text), f"a command outside backticks: {text}"
    return list(dict.fromkeys(cmd for text in texts for cmd in advice_run.commands_in(text)))


def follow_up(command: str) -> str | None:
    """The `keygen verify` that must pass after `command`, when its own last step is not that."""
    last = command.split(" && ")[-1]
    made = re.search(r'keygen generate --out-dir ("[^"]+"|\S+)', last)
    if made:
        folder = made.group(1).strip('"')
        return f'keygen verify "{folder}\\privateKey.pem" "{folder}\\publicKey.pub"'
    if last.startswith("keygen verify --fix"):
        return last.replace(" --fix", "", 1)
    return None if last.startswith("keygen verify") else "keygen verify"


def _run_printed(lane: Lane, command: str, situation: Path, scratch: Path) -> None:
    """`command` as a line of a batch file, in a copy of the situation; then the check that must pass."""
    shutil.copytree(situation, scratch)
    before = advice_run.snapshot(scratch)
    rc = lane.root / f"{scratch.name}.rc"
    body = [f'cd /d "{winpath(scratch)}"', command, f'>"{winpath(rc)}" echo %errorlevel%']
    check = follow_up(command)
    body += [check] if check else []
    ran = lane.cmd(body, name=f"{scratch.name}.bat")
    assert command.isascii(), command  # the batch file is written in ASCII
    assert rc.read_text().strip() == "0", f"{command!r} failed in cmd.exe: {ran.out[-1500:]} {ran.err[-1500:]}"
    assert ran.code == 0, f"after {command!r}, {check!r} did not pass: {ran.out[-1500:]} {ran.err[-1500:]}"
    after = advice_run.snapshot(scratch)
    backups = [v for k, v in after.items() if k.startswith(".keygen-backups" + os.sep)]
    for name, data in before.items():
        assert name in after, f"{command!r} removed or moved {name}"
        if after[name] != data:
            assert "--fix" in command and data in backups, f"{command!r} changed {name}"


@pytest.mark.parametrize("name", sorted(SITUATIONS))
def test_printed_cmd_commands_run_in_cmd_exe(name: str, lane: Lane, key_zoo: dict[str, Path]) -> None:
    files, args = SITUATIONS[name]
    situation = lane.root / "situation"
    situation.mkdir()
    _lay_out(situation, files, key_zoo)
    commands = _printed(lane, situation, args)
    assert commands, f"{name}: no command printed"
    for i, command in enumerate(commands):
        TALLY.commands += 1
        TALLY.ran.append(command)
        try:
            _run_printed(lane, command, situation, lane.root / f"run{i}")
        except AssertionError:
            TALLY.failed.append(command)
            raise
    TALLY.situations.add(name)
    if name in ("mismatch", "pkcs1-private", "pkcs1-public"):
        # No openssl on PATH: a printed openssl is Git's, by its full path (or keygen itself).
        assert all(not c.startswith("openssl ") for c in commands), commands
    if name == "missing-public-key":
        assert commands[0].startswith("keygen public-key privateKey.pem -o publicKey.pub && "), commands


def test_zz_tally(capsys: pytest.CaptureFixture[str]) -> None:
    """The lane's figures, printed even under -q (after the situations above, in file order)."""
    if not TALLY.situations and not TALLY.failed:
        pytest.skip("run with the situations above to count them")
    with capsys.disabled():
        print(
            f"\nwindows lane, cmd advice: {TALLY.commands} printed cmd commands run as printed in cmd.exe, in "
            f"{len(TALLY.situations)} situations; {len(TALLY.failed)} failed or changed a file it must not"
        )
        for command in TALLY.ran:
            print(f"  ran: {command}")
    assert not TALLY.failed, TALLY.failed
    assert TALLY.situations == set(SITUATIONS) and TALLY.commands >= len(SITUATIONS)
