"""Backups can never be committed by accident: DIR/.keygen-backups carries its own `.gitignore` of
`*`, so `git add .` skips every backup whatever the repository ignores; the git warning names
whatever keygen adds to DIR that the repository would pick up."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None or shutil.which("git") is None, reason="needs openssl and git")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


def make_repo(tmp_path: Path, ignore: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text(ignore)
    return repo


def staged_after_add_all(repo: Path) -> set[str]:
    git(repo, "add", "-A")
    return set(git(repo, "diff", "--cached", "--name-only").split())


def test_forced_backups_are_never_staged_where_the_key_files_are_ignored(tmp_path: Path) -> None:
    # What keygen's own warning suggests: ignore the two key files, nothing else.
    repo = make_repo(tmp_path, "/keys/privateKey.pem\n/keys/publicKey.pub\n")
    keys = repo / "keys"
    first = run_keygen("generate", "--out-dir", str(keys), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["warnings"] == []
    old_private = (keys / "privateKey.pem").read_bytes()
    for _ in range(2):  # two forced runs, the second maybe in the same second: two slots
        forced = run_keygen("generate", "--out-dir", str(keys), "--force", "--json")
        assert forced.returncode == 0, forced.stderr
        assert json.loads(forced.stdout)["warnings"] == []
    backups = sorted((keys / ".keygen-backups").glob("*/privateKey.pem"))
    assert len(backups) == 2 and old_private in {b.read_bytes() for b in backups}
    # `git add -A` stages the repository's own .gitignore only: no key, no backup, no backup .gitignore.
    assert staged_after_add_all(repo) == {".gitignore"}


def test_warning_names_what_the_repository_would_pick_up(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "")
    keys = repo / "keys"
    keys.mkdir()
    (keys / "privateKey.pem").write_text("old\n")
    (keys / "publicKey.pub").write_text("old\n")
    forced = run_keygen("generate", "--out-dir", str(keys), "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    [warning] = json.loads(forced.stdout)["warnings"]
    assert "does not ignore privateKey.pem;" in warning and "/keys/privateKey.pem" in warning
    # The backup folder is ignored by construction, so it is not named; a user who follows the
    # warning leaves nothing private to stage.
    assert ".keygen-backups" not in warning
    with (repo / ".gitignore").open("a") as f:
        f.write("/keys/privateKey.pem\n")
    assert staged_after_add_all(repo) == {".gitignore", "keys/publicKey.pub"}


def test_a_backup_folder_whose_gitignore_was_removed_is_named_and_mended(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "/keys/privateKey.pem\n")
    keys = repo / "keys"
    slot = keys / ".keygen-backups" / "20260101T000000Z"
    slot.mkdir(parents=True)
    (slot / "privateKey.pem").write_text("an old key\n")  # its .gitignore deleted by hand
    dry = run_keygen("generate", "--out-dir", str(keys), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    [warning] = json.loads(dry.stdout)["warnings"]
    assert ".keygen-backups/privateKey.pem" in warning
    # The next run that backs up writes the folder's .gitignore again before anything else.
    (keys / "privateKey.pem").write_text("old\n")
    forced = run_keygen("generate", "--out-dir", str(keys), "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert (keys / ".keygen-backups" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not any("keygen-backups" in p for p in staged_after_add_all(repo))
