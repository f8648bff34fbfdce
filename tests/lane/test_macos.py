"""The macOS lane's end-to-end flow with the real LibreSSL 3.3.6 `openssl` (.ci/macos builds it and
runs this with it first on PATH, under umask 022, as a Mac's Terminal has them). Outside the lane
every test here is skipped, by name: the plain suite covers the same behaviours with the stand-in
(tests/recipes/test_libressl.py)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import WINDOWS
from tests.helpers.libressl import NO_LIBRESSL, real_libressl

LIBRESSL = real_libressl()
pytestmark = [
    pytest.mark.skipif(LIBRESSL is None or WINDOWS, reason=NO_LIBRESSL),
    pytest.mark.skipif(
        LIBRESSL is not None and shutil.which("openssl") != LIBRESSL,
        reason="the lane puts LibreSSL's openssl first on PATH: `bash .ci/macos e2e`",
    ),
]


def keygen(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """keygen as typed into a Mac's Terminal: umask 022 (set again here, whoever started the test)."""
    return subprocess.run(
        ["sh", "-c", 'umask 022; exec "$0" "$@"', sys.executable, "-m", "keygen", *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def watching_wrapper(bindir: Path) -> tuple[str, Path]:
    """An `openssl` that runs LibreSSL's as it is and notes privateKey.pem's inode and mode before
    and after: present at 0600 before LibreSSL wrote a byte, the same file after."""
    bindir.mkdir()
    log = bindir / "watch.log"
    script = bindir / "openssl"
    script.write_text(
        "#!/bin/sh\n"
        "watch() { if [ -e privateKey.pem ]; then stat -c \"$1 %i %a\" privateKey.pem; else echo \"$1 none\"; fi"
        f' >>"{log}"; }}\n'
        f'[ "$1" = genpkey ] && watch before\n"{LIBRESSL}" "$@"\nrc=$?\n[ "$1" = genpkey ] && watch after\nexit $rc\n'
    )
    script.chmod(0o755)
    return f"{bindir}{os.pathsep}{os.environ['PATH']}", log


def assert_0600_from_the_first_byte(log: Path) -> None:
    before, after = log.read_text().splitlines()
    assert before.startswith("before ") and before.endswith(" 600"), before
    assert after == before.replace("before", "after"), (before, after)


def test_the_lane_s_libressl_writes_its_key_with_the_umask_s_mode(tmp_path: Path) -> None:
    """What keygen must handle, seen in the real program: 0644 under umask 022."""
    subprocess.run(
        ["sh", "-c", "umask 022; openssl genpkey -out k.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert mode(tmp_path / "k.pem") == 0o644


def test_doctor_and_plan_name_libressl_3_3_6() -> None:
    doctor = keygen("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert f"openssl: {LIBRESSL} (LibreSSL 3.3.6)" in doctor.stdout.splitlines()
    tools = as_json(keygen("doctor", "--json"))["tools"]["openssl"]
    assert (tools["path"], tools["flavor"], tools["version_number"]) == (LIBRESSL, "LibreSSL", "3.3.6")
    plan = keygen("plan")
    assert f"Tool: {LIBRESSL} (LibreSSL 3.3.6)" in plan.stdout.splitlines(), plan.stdout
    assert as_json(keygen("plan", "--json"))["method"]["tool_version"] == "LibreSSL 3.3.6"


def test_generate_verify_refuse_and_force(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    path, log = watching_wrapper(tmp_path / "bin")
    made = keygen("generate", "--out-dir", str(out), "--json", env={"PATH": path})
    assert made.returncode == 0, made.stdout + made.stderr
    assert_0600_from_the_first_byte(log)
    steps = as_json(made)["steps"]
    assert [s["line"] for s in steps] == [
        "openssl genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048",
        "openssl rsa -in privateKey.pem -pubout > publicKey.pub",
    ]
    assert {s["tool_version"] for s in steps} == {"LibreSSL 3.3.6"}
    assert mode(out / "privateKey.pem") == 0o600
    assert (out / "privateKey.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")

    checked = keygen("verify", str(out / "privateKey.pem"), str(out / "publicKey.pub"), "--json")
    assert checked.returncode == 0, checked.stdout
    answers = as_json(checked)["second_opinion"]
    assert answers and all(a["agrees"] for a in answers)
    named = {a["answered_by"]["path"]: a["answered_by"] for a in answers if a["tool"] == "openssl"}
    libressl = {"path": LIBRESSL, "flavor": "LibreSSL", "version": "3.3.6", "version_text": "LibreSSL 3.3.6"}
    assert named == {LIBRESSL: libressl}
    shown = keygen("verify", str(out / "privateKey.pem"), str(out / "publicKey.pub")).stdout
    assert f"openssl {LIBRESSL} (LibreSSL 3.3.6)" in shown

    first = (out / "privateKey.pem").read_bytes()
    refused = keygen("generate", "--out-dir", str(out), "--json")
    assert refused.returncode == 5, refused.stdout
    assert (out / "privateKey.pem").read_bytes() == first

    forced = keygen("generate", "--out-dir", str(out), "--force", "--json")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    [backup] = [d for d in (out / ".keygen-backups").iterdir() if d.is_dir()]
    assert (backup / "privateKey.pem").read_bytes() == first
    assert (out / "privateKey.pem").read_bytes() != first and mode(out / "privateKey.pem") == 0o600


@pytest.mark.parametrize("shell", ["zsh", "bash"])
def test_literal_mode(tmp_path: Path, shell: str) -> None:
    """The documented lines typed into zsh (macOS's default shell) and bash, whose start-up files
    set umask 022 again inside the shell: the key is still 0600 from its first byte."""
    if shutil.which(shell) is None:
        pytest.skip(f"needs {shell}")
    startup = Path(os.environ["HOME"]) / ".zshenv" if shell == "zsh" else tmp_path / "bash_env"
    startup.write_text("umask 022\n")
    path, log = watching_wrapper(tmp_path / "bin")
    out = tmp_path / "keys"
    env = {"PATH": path, "BASH_ENV": str(startup)}
    done = keygen("generate", "--out-dir", str(out), "--literal", "--shell", shell, "--json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_0600_from_the_first_byte(log)
    assert {s["shell"]["name"] for s in as_json(done)["steps"]} == {shell}
    assert keygen("verify", str(out / "privateKey.pem"), str(out / "publicKey.pub")).returncode == 0


@pytest.mark.parametrize("literal", [False, True])
def test_libressl_s_exit_0_on_an_invalid_command_is_the_step_s_failure(tmp_path: Path, literal: bool) -> None:
    """A LibreSSL without the step's command (here: asked for one it lacks) exits 0 after saying so:
    that step failed, in LibreSSL's own words, and the next step is not blamed."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "openssl").write_text(
        f'#!/bin/sh\nif [ "$1" = genpkey ]; then shift; exec "{LIBRESSL}" genpkey-missing "$@"; fi\n'
        f'exec "{LIBRESSL}" "$@"\n'
    )
    (bindir / "openssl").chmod(0o755)
    extra = ("--literal", "--shell", "zsh") if literal and shutil.which("zsh") else ()
    done = keygen("generate", "--out-dir", str(tmp_path / "keys"), "--json", *extra,
                  env={"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"})
    doc = as_json(done)
    assert done.returncode == 4, done.stdout
    assert "openssl:Error: 'genpkey-missing' is an invalid command." in doc["error"]["message"]
    assert doc["error"]["message"].startswith("`openssl genpkey ")
    assert [s["exit_code"] for s in doc["steps"]] == [0]
    assert not (tmp_path / "keys" / "privateKey.pem").exists()
