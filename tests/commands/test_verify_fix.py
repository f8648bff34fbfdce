"""`keygen verify --fix`: a public key's encoding mended, the original kept, a private key never touched."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keygen.cli.app import app
from keygen.commands import verify as verify_mod
from keygen.outdir import publish

runner = CliRunner()


def fix(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["verify", "--fix", "--json", "--no-second-opinion", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def work(tmp_path: Path, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copyfile(key_zoo["privateKey.pem"], tmp_path / "privateKey.pem")
    os.chmod(tmp_path / "privateKey.pem", 0o600)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def listing(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


@pytest.mark.parametrize(
    ("source", "was", "becomes"),
    [
        # The line-end style is the user's: a consistent CRLF is kept; only a mix is made LF.
        ("powershell.pub", "UTF-16-LE, byte order mark", "crlf.pub"),
        ("utf16le_no_bom.pub", "UTF-16-LE", "publicKey.pub"),
        ("mixed.pub", "ASCII, mixed line ends", "publicKey.pub"),
        ("bom.pub", "ASCII, byte order mark", "publicKey.pub"),
        ("bom_crlf.pub", "ASCII, byte order mark", "crlf.pub"),
    ],
)
def test_public_key_encoding_is_mended_and_the_original_kept(
    work: Path, key_zoo: dict[str, Path], source: str, was: str, becomes: str
) -> None:
    original = key_zoo[source].read_bytes()
    (work / "publicKey.pub").write_bytes(original)
    os.chmod(work / "publicKey.pub", 0o644)
    code, doc = fix()
    assert code == 0, doc["checks"]
    assert (work / "publicKey.pub").read_bytes() == key_zoo[becomes].read_bytes()
    assert oct((work / "publicKey.pub").stat().st_mode & 0o777) == "0o644"
    [mend] = doc["fixed"]
    assert mend["was"] == was and mend["path"] == "publicKey.pub"
    backup = Path(mend["backup"])
    # DIR/.keygen-backups/<UTC time>/publicKey.pub, in a folder whose own .gitignore ignores it all.
    assert backup.parent.parent == Path(".keygen-backups") and backup.name == "publicKey.pub"
    assert re.fullmatch(r"\d{8}T\d{6}Z", backup.parent.name)
    assert (work / backup).read_bytes() == original
    assert (work / ".keygen-backups" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert listing(work / ".keygen-backups") == {".gitignore", backup.parent.name}
    assert listing(work / backup.parent) == {"publicKey.pub"}
    # Nothing else: no temporary file left behind.
    assert listing(work) == {"privateKey.pem", "publicKey.pub", ".keygen-backups"}
    # The checks describe the file as it now is.
    assert {c["name"]: c["status"] for c in doc["checks"]}["public_key.encoding"] == "pass"


@pytest.mark.parametrize("source", ["publicKey.pub", "crlf.pub"])
def test_fix_with_nothing_to_mend_changes_nothing(work: Path, key_zoo: dict[str, Path], source: str) -> None:
    shutil.copyfile(key_zoo[source], work / "publicKey.pub")
    code, doc = fix()
    assert code == 0 and doc["fixed"] == [] and doc["fix_notes"] == []
    assert listing(work) == {"privateKey.pem", "publicKey.pub"}


def test_private_key_is_never_rewritten(work: Path, key_zoo: dict[str, Path]) -> None:
    crlf_private = key_zoo["pkcs1.pem"].read_bytes().replace(b"\n", b"\r\n")
    (work / "privateKey.pem").write_bytes(crlf_private)
    shutil.copyfile(key_zoo["publicKey.pub"], work / "publicKey.pub")
    code, doc = fix()
    assert code == 0  # CRLF and PKCS#1 load in most SDKs: warnings
    assert (work / "privateKey.pem").read_bytes() == crlf_private
    assert doc["fixed"] == []
    assert any("private key is never rewritten" in n for n in doc["fix_notes"])
    checks = {c["name"]: c for c in doc["checks"]}
    assert "openssl pkcs8 -topk8 -nocrypt -in privateKey.pem" in checks["private_key.format"]["fix"]


def test_private_key_in_the_public_file_is_not_rewritten(work: Path, key_zoo: dict[str, Path]) -> None:
    data = b"\xef\xbb\xbf" + key_zoo["privateKey.pem"].read_bytes()  # an encoding --fix would mend
    (work / "publicKey.pub").write_bytes(data)
    code, doc = fix()
    assert code == 1
    assert (work / "publicKey.pub").read_bytes() == data
    assert any("holds a private key" in n for n in doc["fix_notes"])
    assert listing(work) == {"privateKey.pem", "publicKey.pub"}


def test_link_is_not_written_through(work: Path, key_zoo: dict[str, Path]) -> None:
    target = work / "elsewhere.pub"
    shutil.copyfile(key_zoo["bom.pub"], target)
    (work / "publicKey.pub").symlink_to(target)
    code, doc = fix()
    assert code == 0
    assert (work / "publicKey.pub").is_symlink()
    assert target.read_bytes() == key_zoo["bom.pub"].read_bytes()
    assert any("symbolic link" in n for n in doc["fix_notes"])


def test_taken_backup_name_is_never_overwritten(
    work: Path, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish.time, "strftime", lambda *a: "20260101T000000Z")
    taken = work / ".keygen-backups" / "20260101T000000Z" / "publicKey.pub"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"someone else's backup")
    shutil.copyfile(key_zoo["bom.pub"], work / "publicKey.pub")
    code, doc = fix()
    assert code == 0
    assert taken.read_bytes() == b"someone else's backup"
    # Same second, slot taken: the documented next name, <UTC time>-2.
    assert doc["fixed"][0]["backup"] == os.path.join(".keygen-backups", "20260101T000000Z-2", "publicKey.pub")
    assert (work / doc["fixed"][0]["backup"]).read_bytes() == key_zoo["bom.pub"].read_bytes()


def test_without_hard_links_the_original_is_renamed_aside(
    work: Path, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(publish.os, "link", no_links)
    shutil.copyfile(key_zoo["mixed.pub"], work / "publicKey.pub")
    code, doc = fix()
    assert code == 0
    assert (work / doc["fixed"][0]["backup"]).read_bytes() == key_zoo["mixed.pub"].read_bytes()
    assert (work / "publicKey.pub").read_bytes() == key_zoo["publicKey.pub"].read_bytes()


@pytest.mark.parametrize("hard_links", [True, False])
def test_failed_replace_leaves_the_original_whole(
    work: Path, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    if not hard_links:
        monkeypatch.setattr(publish.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EXDEV, "x")))

    def disk_full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publish.os, "replace", disk_full)
    shutil.copyfile(key_zoo["powershell.pub"], work / "publicKey.pub")
    code, doc = fix()
    # A fix that was asked for and could not be written is a file-system failure: exit 6.
    assert code == 6
    assert (work / "publicKey.pub").read_bytes() == key_zoo["powershell.pub"].read_bytes()
    assert doc["fixed"] == [] and "No space left on device" in doc["error"]["message"] and doc["error"]["hint"]
    # No temporary file and no stray backup: the directory is as it was.
    assert listing(work) == {"privateKey.pem", "publicKey.pub"}


def test_file_changed_after_the_check_is_left_alone(work: Path, key_zoo: dict[str, Path]) -> None:
    from keygen.keys import checks

    path = work / "publicKey.pub"
    shutil.copyfile(key_zoo["mixed.pub"], path)
    ins = checks.inspect(path, "public", strict=False)
    path.write_bytes(b"changed by someone else")
    note = verify_mod.mend_public(ins)
    assert isinstance(note, str) and "changed while being checked" in note
    assert path.read_bytes() == b"changed by someone else"
    assert listing(work) == {"privateKey.pem", "publicKey.pub"}
