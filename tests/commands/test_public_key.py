"""`keygen public-key`: the document's second line, run exactly with the openssl keygen finds, into a new
file beside the private key, checked, never over a file, and recorded like generate's steps."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from keygen.commands import public_key as public_key_mod
from keygen.errors import ToolMissing
from keygen.host import Host, ToolInfo
from keygen.host.windows import GitForWindows
from tests.helpers import OPENSSL, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")


def _derived(private: Path) -> bytes:
    assert OPENSSL
    return subprocess.run([OPENSSL, "rsa", "-in", str(private), "-pubout"], capture_output=True, check=True).stdout


@pytest.fixture
def keys(key_zoo: dict[str, Path], tmp_path: Path) -> Path:
    work = tmp_path / "my keys"
    work.mkdir()
    shutil.copyfile(key_zoo["privateKey.pem"], work / "privateKey.pem")
    os.chmod(work / "privateKey.pem", 0o600)
    return work


def _no_staging_left(folder: Path) -> None:
    assert not [p for p in folder.iterdir() if p.name.startswith(".keygen-staging-")]


def test_writes_the_documented_public_key_beside_the_private_key(keys: Path, audit_log: Path) -> None:
    done = run_keygen("public-key", str(keys / "privateKey.pem"), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    written = keys / "publicKey.pub"
    # What `openssl rsa -in privateKey.pem -pubout > publicKey.pub` writes, byte for byte.
    assert written.read_bytes() == _derived(keys / "privateKey.pem")
    st = os.lstat(written)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o644 & ~_umask()
    [step] = doc["steps"]
    assert step["argv"] == ["openssl", "rsa", "-in", str((keys / "privateKey.pem").absolute()), "-pubout"]
    assert step["stdout_to"] == "publicKey.pub" and step["exit_code"] == 0
    assert doc["public_key"] == str(written) and doc["files"][0]["size"] == st.st_size
    assert all(c["status"] == "pass" for c in doc["checks"]) and doc["fingerprint"]
    _no_staging_left(keys)
    # Checked: the pair passes keygen verify; recorded: one audit record with the same facts.
    assert run_keygen("verify", str(keys / "privateKey.pem"), str(written)).returncode == 0
    [record] = [json.loads(line) for line in audit_log.read_text().splitlines()]
    assert record["command"] == "public-key" and record["result"] == "ok"
    for key in ("steps", "checks", "fingerprint", "files", "method"):
        assert record[key] == doc[key], key
    listing = run_keygen("audit")
    assert "public-key" in listing.stdout and "openssl rsa -in" in listing.stdout


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_refuses_an_existing_file_and_changes_nothing(keys: Path, audit_log: Path) -> None:
    (keys / "publicKey.pub").write_bytes(b"mine\n")
    done = run_keygen("public-key", "-o", str(keys / "publicKey.pub"), str(keys / "privateKey.pem"))
    assert done.returncode == 5, done.stderr
    assert "already exists" in done.stderr and "hint:" in done.stderr
    assert (keys / "publicKey.pub").read_bytes() == b"mine\n"
    assert not audit_log.exists()  # nothing ran
    # A dangling link is a taken name too: never written through.
    os.symlink(keys / "nowhere", keys / "link.pub")
    assert run_keygen("public-key", str(keys / "privateKey.pem"), "-o", str(keys / "link.pub")).returncode == 5
    assert not (keys / "nowhere").exists()


def test_named_output_in_cwd(keys: Path) -> None:
    done = run_keygen("public-key", "privateKey.pem", "-o", "it's new.pub", cwd=keys)
    assert done.returncode == 0, done.stderr
    assert (keys / "it's new.pub").read_bytes() == _derived(keys / "privateKey.pem")
    assert "Wrote: it's new.pub" in done.stdout and "Checks:" in done.stdout


@pytest.mark.parametrize("zoo_name", ["encrypted_pkcs8.pem", "openssh.pem", "ec.pem"])
def test_a_private_key_that_fails_its_checks_runs_nothing(
    zoo_name: str, key_zoo: dict[str, Path], tmp_path: Path, audit_log: Path
) -> None:
    """openssl would ask for an encrypted key's passphrase (no hang: nothing runs), and cannot read OpenSSH."""
    shutil.copyfile(key_zoo[zoo_name], tmp_path / "k.pem")
    done = run_keygen("public-key", "k.pem", "--json", cwd=tmp_path, input=b"")
    doc = json.loads(done.stdout)
    assert done.returncode == 1 and doc["error"]["kind"] == "checks_failed", doc
    assert doc["steps"] == [] and not (tmp_path / "publicKey.pub").exists()
    assert not audit_log.exists()
    _no_staging_left(tmp_path)


def test_missing_directory_is_exit_6(keys: Path) -> None:
    done = run_keygen("public-key", str(keys / "privateKey.pem"), "-o", str(keys / "no such dir" / "p.pub"))
    assert done.returncode == 6, done.stderr


def test_no_openssl_is_exit_3_with_the_install_hint(keys: Path) -> None:
    outcome = public_key_mod.public_key(
        public_key_mod.Options(keys / "privateKey.pem"), Host(os="linux"), environ={"KEYGEN_AUDIT_LOG": "x"}
    )
    assert outcome.exit_code == 3 and outcome.steps == []
    assert not (keys / "publicKey.pub").exists()


def test_on_windows_git_bash_openssl_is_the_one_run() -> None:
    """No openssl on PATH: Git's mingw64\\bin\\openssl.exe, as generate's git-bash method would run."""
    assert OPENSSL
    git = GitForWindows("C:\\Git", "C:\\Git\\bin\\bash.exe", OPENSSL, "%ProgramFiles%")
    choice = public_key_mod.choose_openssl(Host(os="windows", git=git))
    assert choice.executable == OPENSSL and "Git Bash" in choice.reason
    on_path = ToolInfo("openssl", "/usr/bin/openssl")
    assert public_key_mod.choose_openssl(Host(os="windows", openssl=on_path, git=git)).executable == on_path.path
    with pytest.raises(ToolMissing, match="openssl was not found"):
        public_key_mod.choose_openssl(Host(os="windows"))


def test_the_step_is_the_documents_second_line() -> None:
    from keygen import recipes

    step = public_key_mod.the_step(Path("privateKey.pem"), "publicKey.pub")
    documented = recipes.OPENSSL.steps[1]  # openssl rsa -in privateKey.pem -pubout > publicKey.pub
    # The same argv word for word; only the private key's name is made absolute (the step runs in staging).
    assert step.argv == (*documented.argv[:3], str(Path("privateKey.pem").absolute()), *documented.argv[4:])
    assert step.stdout_to == documented.stdout_to
    assert step.line.startswith("openssl rsa -in ") and step.line.endswith(" -pubout > publicKey.pub")
