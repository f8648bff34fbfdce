"""The Windows lane, part 2: keygen end to end from Wine's real cmd.exe, with Windows CPython and a
Windows-built openssl.exe placed where Git for Windows puts it (`mingw64\\bin\\openssl.exe`).

`bash .ci/windows e2e` sets the lane up and runs this module; anywhere else it is skipped. What Wine
cannot give stays out: bash.exe and git.exe in the Git tree are stand-ins that fail loudly if run
(keygen must never need them to make the pair), and there is no ssh-keygen.exe or PowerShell.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PureWindowsPath

import pytest

from tests.windows.lane import SKIP, Lane, assert_linux_openssl_accepts, drive_c, winpath

pytestmark = SKIP

def test_doctor_and_plan_find_git_bash_openssl(lane: Lane) -> None:
    doctor = lane.keygen("doctor", "--json")
    assert doctor.code == 0, doctor.err
    doc = doctor.json()
    assert doc["os"] == "windows"
    assert doc["shell"]["name"] == "cmd"  # type: ignore[index]
    git = doc["git_for_windows"]
    assert git and str(git["root"]).endswith("\\Git"), git  # type: ignore[index]
    assert str(git["openssl"]).endswith("mingw64\\bin\\openssl.exe")  # type: ignore[index]
    # Git Bash's openssl is asked its version (issue 19): an auditor can tell which OpenSSL made the key.
    assert str(git["openssl_version"]).startswith("OpenSSL 3."), git  # type: ignore[index]
    assert str(git["openssl_version"]) in lane.keygen("doctor").out  # type: ignore[index]
    plan = lane.keygen("plan", "--json")
    assert plan.code == 0, plan.err
    method = plan.json()["method"]
    assert method["name"] == "git-bash", method  # type: ignore[index]
    assert method["tool_version"] == git["openssl_version"], method  # type: ignore[index]
    assert "ssh-keygen" in str(method["reason"]) and "not" in str(method["reason"])  # type: ignore[index]
    text = lane.keygen("plan")
    assert text.code == 0 and "with Git Bash's openssl" in text.out, text.out
    assert f"Git Bash is installed ({winpath(lane.program_files)}\\Git)" in text.out


def test_generate_from_cmd_publishes_a_pair_every_check_accepts(lane: Lane) -> None:
    out = lane.root / "keys"
    made = lane.keygen("generate", "--json", "--out-dir", winpath(out))
    assert made.code == 0, made.out + made.err
    doc = made.json()
    assert doc["method"]["name"] == "git-bash"  # type: ignore[index]
    assert [s["argv"] for s in doc["steps"]] == [  # type: ignore[union-attr]
        ["openssl", "genpkey", "-out", "privateKey.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        ["openssl", "rsa", "-in", "privateKey.pem", "-pubout"],
    ]
    # What the documented lines make on Windows: CRLF, kept as made and reported.
    assert b"\r\n" in (out / "privateKey.pem").read_bytes()
    assert doc["line_ends"] == {"private_key": "crlf", "public_key": "crlf"}
    assert_linux_openssl_accepts(out)
    verify = lane.keygen("verify", "--json", winpath(out / "privateKey.pem"), winpath(out / "publicKey.pub"))
    assert verify.code == 0, verify.out
    exchange = lane.keygen("exchange", "--json", "--public-key", winpath(out / "publicKey.pub"),
                           "--public-key-id", "SANDBOX-AB12CD34EF56GH78IJ90KL12")
    assert exchange.code == 0, exchange.out + exchange.err
    audit = lane.keygen("audit", "--json")
    assert audit.code == 0, audit.err
    records = [json.loads(line) for line in lane.audit_log.read_text(encoding="utf-8").splitlines()]
    assert records[0]["command"] == "generate" and records[0]["line_ends"] == doc["line_ends"]
    assert records[0]["fingerprint"] == doc["fingerprint"]
    assert doc["fingerprint"] in audit.out
    # The OpenSSL that made the key, in generate's JSON and in the audit record (issue 19).
    version = doc["method"]["tool_version"]  # type: ignore[index]
    assert str(version).startswith("OpenSSL 3."), doc["method"]
    assert {s["tool_version"] for s in doc["steps"]} == {version}  # type: ignore[union-attr]
    assert {s["tool_version"] for s in records[0]["steps"]} == {version}


def test_second_generate_refuses_and_force_backs_up(lane: Lane) -> None:
    out = lane.root / "keys"
    assert lane.keygen("generate", "--out-dir", winpath(out)).code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = lane.keygen("generate", "--out-dir", winpath(out))
    assert again.code == 5, again.out + again.err
    assert "keygen: error:" in again.err and "hint:" in again.err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    forced = lane.keygen("generate", "--force", "--json", "--out-dir", winpath(out))
    assert forced.code == 0, forced.out + forced.err
    backups = forced.json()["backups"]
    assert len(backups) == 2, backups  # type: ignore[arg-type]
    # DIR\\.keygen-backups\\<UTC time>\\NAME, the folder ignored by git through its own .gitignore.
    kept = [Path(*PureWindowsPath(str(b["backup"])).parts[-3:]) for b in backups]  # type: ignore[attr-defined]
    assert all(k.parts[0] == ".keygen-backups" for k in kept), kept
    assert (out / ".keygen-backups" / ".gitignore").read_text().splitlines()[-1] == "*"
    old_private = out / next(k for k in kept if k.name == "privateKey.pem")
    assert old_private.read_bytes() == before["privateKey.pem"]
    assert (out / "privateKey.pem").read_bytes() != before["privateKey.pem"]


def test_two_runs_at_once_into_one_dir(lane: Lane) -> None:
    out = lane.root / "keys"
    runs = [lane.start([f'keygen generate --out-dir "{winpath(out)}"'], name=f"r{i}.bat") for i in range(2)]  # type: ignore[call-arg]
    codes = [p.wait(timeout=240) for p in runs]
    for p in runs:
        assert p.stdout is not None and p.stderr is not None
        p.stdout.close()
        p.stderr.close()
    assert sorted(codes)[0] == 0 and codes.count(0) == 1, codes
    assert {p.name for p in out.iterdir()} == {"privateKey.pem", "publicKey.pub"}
    assert_linux_openssl_accepts(out)
    lines = lane.audit_log.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["command"] for line in lines] == ["generate"] * len(lines)
    assert len(lines) >= 1


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("with spaces", id="spaces"),
        pytest.param("nön-ÄSCII ключ", id="non-ascii"),
        pytest.param("C:", id="drive-c"),
        pytest.param("long", id="long-but-allowed"),
    ],
)
def test_awkward_directories(lane: Lane, where: str) -> None:
    if where == "C:":
        (drive_c() / "keygen-lane").mkdir(exist_ok=True)
        out = drive_c() / "keygen-lane" / lane.root.name
        shutil.rmtree(out, ignore_errors=True)
        target = "C:\\keygen-lane\\" + lane.root.name
    elif where == "long":
        # As long as Windows lets a program run inside keygen's staging directory (258 characters).
        out = lane.root / ("d" * (232 - len(winpath(lane.root)) - 1))
        target = winpath(out)
        assert len(target) == 232
    else:
        out = lane.root / where
        target = winpath(out)
    # Through the environment: a batch file's own bytes are read in the console's code page.
    made = lane.cmd(['keygen generate --json --out-dir "%KG_DIR%"'], env={"KG_DIR": target})
    assert made.code == 0, made.out + made.err
    assert made.json()["dir"] == target
    assert_linux_openssl_accepts(out)
    verify = lane.cmd(['keygen verify "%KG_DIR%\\privateKey.pem" "%KG_DIR%\\publicKey.pub"'], env={"KG_DIR": target})
    assert verify.code == 0, verify.out + verify.err
    if where != "C:":  # text output names the directory too, in a pipe's code page or replaced, never a crash
        text = lane.cmd(['keygen generate --force --out-dir "%KG_DIR%"'], env={"KG_DIR": target})
        assert text.code == 0, text.out + text.err
        assert "Traceback" not in text.err


def test_path_over_260_characters_is_refused_before_anything_runs(lane: Lane) -> None:
    out = lane.root.joinpath(*[f"a-rather-long-directory-name-{i:02d}" for i in range(9)])
    out.parent.mkdir(parents=True)  # keygen makes DIR, never its parents
    target = winpath(out)
    assert len(target) > 260
    refused = lane.cmd(['keygen generate --out-dir "%KG_DIR%"'], env={"KG_DIR": target})
    assert refused.code == 6, refused.out + refused.err
    assert "too long a path for Windows" in refused.err and "hint: choose a shorter --out-dir" in refused.err
    assert not out.exists() and not lane.audit_log.exists()


def test_missing_parent_hint_is_a_windows_command(lane: Lane) -> None:
    target = winpath(lane.root / "no such parent" / "keys")
    missing = lane.cmd(['keygen generate --out-dir "%KG_DIR%"'], env={"KG_DIR": target})
    assert missing.code == 6, missing.out + missing.err
    hint = f'mkdir "{winpath(lane.root / "no such parent")}"'
    assert hint in missing.err and "mkdir -p" not in missing.err
    # The hint runs in cmd as printed, and then generate succeeds.
    assert lane.cmd([hint, 'keygen generate --out-dir "%KG_DIR%"'], env={"KG_DIR": target}).code == 0
    assert_linux_openssl_accepts(lane.root / "no such parent" / "keys")


def test_no_git_and_no_ssh_keygen_is_exit_3_with_install_hints(lane: Lane, tmp_path: Path) -> None:
    empty = tmp_path / "empty Program Files"
    empty.mkdir()
    auto = lane.cmd(["keygen generate --out-dir k"], program_files=empty)
    assert auto.code == 3, auto.out + auto.err
    assert "winget install --id Git.Git -e --source winget" in auto.err
    assert not (lane.root / "k").exists() or not any((lane.root / "k").iterdir())
    ssh = lane.cmd(["keygen generate --method ssh-keygen --out-dir k"], program_files=empty)
    assert ssh.code == 3, ssh.out + ssh.err
    assert "Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0" in ssh.err


def test_shell_seen_as_powershell_7(lane: Lane) -> None:
    """A copy of cmd.exe named pwsh.exe: shellingham sees PowerShell 7, whose documented path is ssh-keygen."""
    system32 = drive_c() / "windows" / "system32"
    pwsh = lane.root / "pwsh.exe"
    shutil.copyfile(system32 / "cmd.exe", pwsh)
    doctor = lane.cmd(["keygen doctor --json"], shell=winpath(pwsh))
    assert doctor.code == 0, doctor.out + doctor.err
    assert doctor.json()["shell"]["name"] == "pwsh"  # type: ignore[index]
    plan = lane.cmd(["keygen plan --json"], shell=winpath(pwsh))
    method = plan.json()["method"]
    # No ssh-keygen.exe in the lane: the documented fallback is Git Bash's openssl, with the reason.
    assert method["name"] == "git-bash" and "ssh-keygen" in str(method["reason"]), method  # type: ignore[index]
