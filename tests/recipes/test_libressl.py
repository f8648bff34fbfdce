"""macOS's openssl, LibreSSL 3.3.6, through a stand-in that does what it does differently
(tests/helpers/libressl.py): keygen must keep the private key 0600 from its first byte although
LibreSSL writes it with the umask's mode, and must take an invalid command's exit 0 for the failure
it is. The macOS lane (.ci/macos) runs the same flow with the real LibreSSL (tests/lane/)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, WINDOWS
from tests.helpers.libressl import libressl_stand_in, modes

pytestmark = [
    pytest.mark.skipif(OPENSSL is None, reason="needs openssl"),
    pytest.mark.skipif(WINDOWS, reason="LibreSSL's umask behaviour is POSIX's (the stand-in is a POSIX script)"),
]


def keygen_under_umask_022(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """keygen started as from a Mac's Terminal: umask 022."""
    return subprocess.run(
        ["sh", "-c", 'umask 022; exec "$0" "$@"', sys.executable, "-m", "keygen", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_libressl_writes_its_key_with_the_umask_s_mode_outside_keygen(tmp_path: Path) -> None:
    """The hazard is real in the stand-in (as measured of LibreSSL): 0644 under umask 022."""
    path, log = libressl_stand_in(tmp_path / "bin")
    subprocess.run(
        ["sh", "-c", "umask 022; openssl genpkey -out k.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048"],
        cwd=tmp_path,
        env={**os.environ, "PATH": path},
        check=True,
        capture_output=True,
    )
    assert modes(log) == {"k.pem": "0644"}


def test_generate_with_libressl_keeps_the_key_0600_from_its_first_byte(tmp_path: Path) -> None:
    path, log = libressl_stand_in(tmp_path / "bin")
    out = tmp_path / "keys"
    done = keygen_under_umask_022("generate", "--out-dir", str(out), "--json", env={"PATH": path})
    assert done.returncode == 0, done.stdout + done.stderr
    assert modes(log) == {"privateKey.pem": "0600"}
    assert stat.S_IMODE((out / "privateKey.pem").stat().st_mode) == 0o600
    steps = json.loads(done.stdout)["steps"]
    assert {s["tool_version"] for s in steps} == {"LibreSSL 3.3.6"}


@pytest.mark.parametrize("shell", ["zsh", "bash"])
def test_literal_mode_keeps_the_key_0600_when_the_shell_sets_umask_022(tmp_path: Path, shell: str) -> None:
    """zsh reads ~/.zshenv even for `zsh -c`, bash reads $BASH_ENV: either may set umask 022 again
    inside the shell keygen types into, and LibreSSL then opens the key 0644 unless keygen made it first."""
    if shutil.which(shell) is None:
        pytest.skip(f"needs {shell}")
    path, log = libressl_stand_in(tmp_path / "bin")
    startup = Path(os.environ["HOME"]) / ".zshenv" if shell == "zsh" else tmp_path / "bash_env"
    startup.write_text("umask 022\n")
    out = tmp_path / "keys"
    env = {"PATH": path, "BASH_ENV": str(startup)}
    done = keygen_under_umask_022("generate", "--out-dir", str(out), "--literal", "--shell", shell, "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert modes(log) == {"privateKey.pem": "0600"}
    assert stat.S_IMODE((out / "privateKey.pem").stat().st_mode) == 0o600


@pytest.mark.parametrize(("invalid", "step"), [("genpkey", 0), ("rsa", 1)])
@pytest.mark.parametrize("literal", [False, True])
def test_an_invalid_command_s_exit_0_is_that_step_s_failure(
    tmp_path: Path, invalid: str, step: int, literal: bool
) -> None:
    """LibreSSL exits 0 after `openssl:Error: '...' is an invalid command.`: the step that said so
    failed (exit 4, in its words), not the next one, and nothing is published."""
    path, _ = libressl_stand_in(tmp_path / "bin", invalid=(invalid,))
    out = tmp_path / "keys"
    extra = ("--literal", "--shell", "sh") if literal else ()
    done = keygen_under_umask_022("generate", "--out-dir", str(out), "--json", *extra, env={"PATH": path})
    doc = json.loads(done.stdout)
    assert done.returncode == 4, done.stdout
    message = doc["error"]["message"]
    assert f"openssl {invalid} " in message and "exited 0" in message
    assert f"openssl:Error: '{invalid}' is an invalid command." in message
    assert "exit status 0" in doc["error"]["hint"]
    assert len(doc["steps"]) == step + 1 and doc["steps"][step]["exit_code"] == 0
    assert not (out / "privateKey.pem").exists() and not (out / "publicKey.pub").exists()


def test_a_genpkey_that_exits_0_and_writes_nothing_is_that_step_s_failure(tmp_path: Path, stand_in) -> None:  # type: ignore[no-untyped-def]
    """The key file keygen made for it stays empty: the step failed, whatever its exit status."""
    path = stand_in("openssl", 'case "$1" in genpkey) exit 0 ;; *) exec "$REAL" "$@" ;; esac\n')
    out = tmp_path / "keys"
    done = keygen_under_umask_022("generate", "--out-dir", str(out), "--json", env={"PATH": path})
    doc = json.loads(done.stdout)
    assert done.returncode == 4, done.stdout
    assert doc["error"]["message"].endswith("failed although it exited 0, but privateKey.pem is missing or empty")
    assert [s["exit_code"] for s in doc["steps"]] == [0]
    assert not out.exists() or list(out.iterdir()) == []
