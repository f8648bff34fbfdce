"""The Windows lane's fixtures: one Git for Windows tree per module, a scratch Lane per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.windows.lane import Lane, lay_out_git


@pytest.fixture(scope="module")
def git_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    program_files = tmp_path_factory.mktemp("Program Files")
    lay_out_git(program_files)
    return program_files


@pytest.fixture
def lane(tmp_path: Path, git_tree: Path) -> Iterator[Lane]:
    yield Lane(tmp_path, git_tree, tmp_path / "audit.jsonl")
