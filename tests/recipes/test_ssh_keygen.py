"""The ssh-keygen recipe, run for real (OpenSSH 9.2 here): no prompt, no `-N`, an unencrypted
PKCS#8 key, also inside a terminal; the side file never published; older versions' outputs from
stand-ins, with the cause and the fix named; `--interactive` in a pseudo-terminal."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keygen import recipes
from keygen.host import ToolInfo
from keygen.recipes.method import Choice
from keygen.recipes.steps import ASKPASS_HELPER, ASKPASS_HELPER_TEXT, step_env
from tests.helpers import OPENSSL, SSH_KEYGEN, run_in_pty, run_keygen

pytestmark = pytest.mark.skipif(
    SSH_KEYGEN is None or OPENSSL is None, reason="needs ssh-keygen and openssl (no ssh-keygen.exe in the Windows lane)"
)

DOCUMENTED_ARGV = [
    ["ssh-keygen", "-t", "rsa", "-b", "2048", "-m", "PKCS8", "-f", "privateKey.pem"],
    ["ssh-keygen", "-f", "privateKey.pem", "-e", "-m", "PKCS8"],
]


def public_from_private(private: Path) -> bytes:
    assert OPENSSL
    return subprocess.run([OPENSSL, "pkey", "-in", str(private), "-pubout"], capture_output=True, check=True).stdout


KEYGEN = [sys.executable, "-m", "keygen"]


# --- the real recipe -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object], Path]:
    home = tmp_path_factory.mktemp("ssh-home")
    out = tmp_path_factory.mktemp("ssh") / "keys"
    log = home / "audit.jsonl"
    # A desktop session's variables, with an askpass program that answers a passphrase and leaves
    # a mark: if keygen let them through, ssh-keygen would run it and write an encrypted key.
    askpass = home / "askpass"
    askpass.write_text(f"#!/bin/sh\ntouch '{home / 'asked'}'\necho correct-horse-battery\n")
    askpass.chmod(0o755)
    done = run_keygen(
        "generate",
        "--method",
        "ssh-keygen",
        "--out-dir",
        str(out),
        "--json",
        env={
            "HOME": str(home),
            "KEYGEN_AUDIT_LOG": str(log),
            "DISPLAY": ":0",
            "WAYLAND_DISPLAY": "wayland-0",
            "SSH_ASKPASS": str(askpass),
            "SSH_ASKPASS_REQUIRE": "force",
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (home / "asked").exists(), "ssh-keygen ran the askpass program"
    return out, json.loads(done.stdout), log


def test_ssh_keygen_makes_a_checked_unencrypted_pkcs8_pair(made: tuple[Path, dict[str, object], Path]) -> None:
    out, _, _ = made
    private, public = out / "privateKey.pem", out / "publicKey.pub"
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    assert public_from_private(private) == public.read_bytes()
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    # The side file stayed in staging and went with it.
    assert sorted(p.name for p in out.iterdir()) == ["privateKey.pem", "publicKey.pub"]


def test_argv_is_documented_without_n(made: tuple[Path, dict[str, object], Path]) -> None:
    _, doc, log = made
    steps = doc["steps"]
    assert isinstance(steps, list)
    assert [s["argv"] for s in steps] == DOCUMENTED_ARGV
    assert [s["line"] for s in steps] == list(recipes.SSH_KEYGEN_LINES)
    assert all("-N" not in s["argv"] for s in steps)
    assert steps[1]["stdout_to"] == "publicKey.pub"
    assert doc["method"] == {
        "name": "ssh-keygen",
        "reason": "asked for with --method ssh-keygen",
        "executable": SSH_KEYGEN,
        "tool_version": doc["method"]["tool_version"],  # type: ignore[index]
    }
    assert str(doc["method"]["tool_version"]).startswith("OpenSSH_")  # type: ignore[index]
    record = json.loads(log.read_text().splitlines()[-1])
    # The record is the same facts as --json (one source), plus who, where and the tools' environment.
    assert record["method"] == doc["method"]
    assert [s["argv"] for s in record["steps"]] == DOCUMENTED_ARGV
    assert record["side_files_not_published"] == ["privateKey.pem.pub"]
    assert doc["side_files_not_published"] == ["privateKey.pem.pub"]


def test_text_output_says_the_side_file_was_not_published(tmp_path: Path) -> None:
    done = run_keygen("generate", "--method", "ssh-keygen", "--out-dir", str(tmp_path / "k"))
    assert done.returncode == 0, done.stderr
    assert "Method: ssh-keygen (asked for with --method ssh-keygen)" in done.stdout
    assert "not published: ssh-keygen's privateKey.pem.pub" in done.stdout
    for line in recipes.SSH_KEYGEN_LINES:
        assert f"  $ {line}    [exit 0" in done.stdout


def test_a_stale_side_file_in_dir_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    out.mkdir()
    assert SSH_KEYGEN
    # A different key's side file, where `-e` would read it first if keygen ran in DIR itself.
    subprocess.run([SSH_KEYGEN, "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(tmp_path / "other")], check=True)
    stale = out / "privateKey.pem.pub"
    stale.write_bytes((tmp_path / "other.pub").read_bytes())
    before = (stale.read_bytes(), stale.stat().st_mtime_ns)
    done = run_keygen("generate", "--method", "ssh-keygen", "--out-dir", str(out))
    assert done.returncode == 0, done.stderr
    assert public_from_private(out / "privateKey.pem") == (out / "publicKey.pub").read_bytes()
    assert (stale.read_bytes(), stale.stat().st_mtime_ns) == before
    assert sorted(p.name for p in out.iterdir()) == ["privateKey.pem", "privateKey.pem.pub", "publicKey.pub"]


def test_auto_falls_back_to_ssh_keygen_without_openssl(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("ssh-keygen", "ssh"):
        real = subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True, text=True).stdout.strip()
        (bindir / name).symlink_to(real)
    done = run_keygen("generate", "--out-dir", str(tmp_path / "k"), "--json", env={"PATH": str(bindir)})
    assert done.returncode == 0, done.stdout
    doc = json.loads(done.stdout)
    assert doc["method"]["name"] == "ssh-keygen"
    assert doc["method"]["reason"] == "openssl is missing; ssh-keygen is the document's other path"


def test_ssh_keygen_missing_is_exit_3_with_hint(tmp_path: Path) -> None:
    done = run_keygen("generate", "--method", "ssh-keygen", "--out-dir", str(tmp_path), env={"PATH": str(tmp_path)})
    assert done.returncode == 3
    assert "ssh-keygen was not found on PATH" in done.stderr
    assert "openssh-client" in done.stderr  # this machine is Debian
    assert list(tmp_path.iterdir()) == []


# --- in a terminal -------------------------------------------------------------------------------


def test_no_prompt_inside_a_terminal(tmp_path: Path) -> None:
    # Inside a terminal ssh-keygen would open /dev/tty and wait for a passphrase; keygen's new
    # session with an empty line on stdin must keep it from ever asking.
    code, output = run_in_pty(
        [*KEYGEN, "generate", "--method", "ssh-keygen", "--out-dir", "keys", "--timeout", "20"], cwd=tmp_path
    )
    assert code == 0, output
    assert "passphrase" not in output.lower()
    assert (tmp_path / "keys" / "privateKey.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_openssl_inside_a_terminal(tmp_path: Path) -> None:
    code, output = run_in_pty([*KEYGEN, "generate", "--out-dir", "keys", "--timeout", "20"], cwd=tmp_path)
    assert code == 0, output
    # Progress goes to the terminal when there is one.
    assert "keygen: running: openssl genpkey" in output


def test_interactive_with_a_passphrase_is_refused_with_the_reason(tmp_path: Path) -> None:
    code, output = run_in_pty(
        [*KEYGEN, "generate", "--method", "ssh-keygen", "--interactive", "--out-dir", "keys", "--timeout", "30"],
        cwd=tmp_path,
        answers=(b"correct horse", b"correct horse"),
    )
    assert code == 1, output
    assert "encrypted" in output
    assert "the Amazon Pay SDKs take no passphrase" in output
    assert "a passphrase was typed at ssh-keygen's prompt" in output
    # The encrypted key was never published: no printed command may name it.
    assert "openssl pkey -in" not in output and "unencrypted.pem" not in output
    assert not (tmp_path / "keys" / "privateKey.pem").exists()
    assert [p.name for p in (tmp_path / "keys").iterdir()] == []


def test_interactive_with_enter_twice_makes_the_pair(tmp_path: Path) -> None:
    code, output = run_in_pty(
        [*KEYGEN, "generate", "--method", "ssh-keygen", "--interactive", "--out-dir", "keys", "--timeout", "30"],
        cwd=tmp_path,
        answers=(b"", b""),
    )
    assert code == 0, output
    assert "passphrase" in output.lower()  # it did ask, on the terminal
    assert (tmp_path / "keys" / "privateKey.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_interactive_json_keeps_stdout_to_one_object(tmp_path: Path) -> None:
    # No terminal here: ssh-keygen reads the empty answers from the inherited stdin.
    done = run_keygen(
        "generate",
        "--method",
        "ssh-keygen",
        "--interactive",
        "--json",
        "--out-dir",
        str(tmp_path / "k"),
        input=b"\n\n",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["interactive"] is True
    assert "randomart" in done.stderr.lower() or "fingerprint" in done.stderr.lower()


# --- older versions, from stand-ins ---------------------------------------------------------------

#: OpenSSH up to 7.7: `-m PKCS8` is ignored for new keys, which come out as PKCS#1 PEM.
STAND_IN_77 = """\
case " $* " in *" -e "*) exec "$REAL" "$@" ;; esac
exec "$REAL" -q -t rsa -b 2048 -m PEM -N "" -f privateKey.pem
"""
#: OpenSSH 7.8 to 8.0: new keys in the OpenSSH format whatever `-m` says.
STAND_IN_80 = """\
case " $* " in *" -e "*) exec "$REAL" "$@" ;; esac
exec "$REAL" -q -t rsa -b 2048 -N "" -f privateKey.pem
"""


@pytest.mark.parametrize(
    ("body", "version", "cause", "fix"),
    [
        (
            STAND_IN_77,
            "OpenSSH_for_Windows_7.7p1, LibreSSL 2.6.5",
            "wrote PKCS#1 (OpenSSH up to 7.7 ignores `-m PKCS8` for new keys)",
            "--method openssl",
        ),
        (
            STAND_IN_80,
            "OpenSSH_8.0p1, OpenSSL 1.1.1k  FIPS 25 Mar 2021",
            "wrote the OpenSSH format (OpenSSH 7.8 to 8.0 ignore `-m PKCS8` for new keys)",
            "--method openssl",
        ),
    ],
)
def test_old_ssh_keygen_output_names_cause_and_fix(
    tmp_path: Path,
    stand_in,  # type: ignore[no-untyped-def]
    body: str,
    version: str,
    cause: str,
    fix: str,
) -> None:
    path = stand_in("ssh-keygen", body)
    stand_in("ssh", f'echo "{version}" >&2\n')
    out = tmp_path / "keys"
    done = run_keygen("generate", "--method", "ssh-keygen", "--out-dir", str(out), "--json", env={"PATH": path})
    assert done.returncode == 1, done.stdout
    doc = json.loads(done.stdout)
    label = "OpenSSH 7.7" if "7.7" in version else "OpenSSH 8.0"
    assert doc["method"]["reason"].startswith("asked for with --method ssh-keygen; expect failed checks")
    assert f"ssh-keygen is {label}, which writes" in doc["method"]["reason"]
    assert f"this ssh-keygen ({label})" in doc["error"]["message"]
    assert cause in doc["error"]["message"]
    assert fix in doc["error"]["hint"]
    assert "OpenSSH 8.1 or later" in doc["error"]["hint"]
    # Nothing was published: no command may name a key file that is not there.
    assert "privateKey.pem" not in doc["error"]["hint"] and "nothing was kept" in doc["error"]["hint"]
    assert all("privateKey.pem" not in c["fix"] for c in doc["checks"] if c["status"] == "fail")
    assert not out.exists() or list(out.iterdir()) == []
    text = run_keygen("generate", "--method", "ssh-keygen", "--out-dir", str(out), env={"PATH": path})
    assert text.returncode == 1
    assert cause in text.stderr and "hint:" in text.stderr


def test_a_hanging_ssh_keygen_is_stopped_by_the_timeout(tmp_path: Path, stand_in) -> None:  # type: ignore[no-untyped-def]
    path = stand_in("ssh-keygen", "sleep 30\n")
    started = time.monotonic()
    done = run_keygen(
        "generate", "--method", "ssh-keygen", "--timeout", "1", "--out-dir", str(tmp_path / "k"), env={"PATH": path}
    )
    assert time.monotonic() - started < 15
    assert done.returncode == 4
    assert "did not finish within 1 s" in done.stderr
    assert list((tmp_path / "k").iterdir()) == []


# --- the environment ssh-keygen gets ---------------------------------------------------------------

SSH_CHOICE = Choice(recipes.SSH_KEYGEN, "/usr/bin/ssh-keygen", ToolInfo("ssh-keygen", "/usr/bin/ssh-keygen"), "test")
OPENSSL_CHOICE = Choice(recipes.OPENSSL, "/usr/bin/openssl", ToolInfo("openssl", "/usr/bin/openssl"), "test")
DESKTOP = {
    "PATH": "/usr/bin",
    "DISPLAY": ":0",
    "WAYLAND_DISPLAY": "w",
    "SSH_ASKPASS": "/x",
    "SSH_ASKPASS_REQUIRE": "prefer",
}


def test_posix_env_drops_the_askpass_route() -> None:
    env = step_env(SSH_CHOICE, DESKTOP, os_name="linux")
    assert env == {"PATH": "/usr/bin"}
    assert step_env(OPENSSL_CHOICE, DESKTOP, os_name="linux") == DESKTOP


def test_windows_env_takes_the_askpass_route(tmp_path: Path) -> None:
    # Simulated: this is the environment Win32-OpenSSH would get; it has not run on real Windows.
    env = step_env(SSH_CHOICE, DESKTOP, os_name="windows", helper_dir=tmp_path)
    helper = tmp_path / ASKPASS_HELPER
    assert env["SSH_ASKPASS"] == str(helper)
    assert env["SSH_ASKPASS_REQUIRE"] == "force"
    assert env["DISPLAY"]  # 7.7 and 8.1 only use askpass with DISPLAY set
    assert "WAYLAND_DISPLAY" not in env
    assert helper.read_bytes() == ASKPASS_HELPER_TEXT.encode() == b"@echo(\r\n"
    interactive = step_env(SSH_CHOICE, DESKTOP, os_name="windows", helper_dir=tmp_path / "x", interactive=True)
    assert "SSH_ASKPASS" not in interactive and "DISPLAY" not in interactive
