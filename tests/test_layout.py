"""The shape of the package, held in CI: the layers and the no-cycles rule (import-linter, configured
in pyproject.toml), small modules, small package roots, and low complexity (radon)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

PACKAGE = REPO / "keygen"
#: The issue's ceilings: no module over 400 lines, no package with more than 10 modules,
#: radon's average complexity at most 3.6 and nothing graded D or worse (21 and up).
MAX_LINES = 400
MAX_MODULES = 10
MAX_AVERAGE = 3.6
WORST_ALLOWED = 20


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed beside this Python (pip install -e '.[test]')")
    return found


def test_import_linter_contracts_are_kept() -> None:
    """keygen's packages import only the ones below them, and no modules import each other in a circle."""
    done = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_no_module_is_over_400_lines() -> None:
    lines = {str(p.relative_to(REPO)): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in lines.items() if n > MAX_LINES} == {}


def test_no_package_root_holds_more_than_10_modules() -> None:
    crowded = {
        str(d.relative_to(REPO)): len(mods)
        for d in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir() and (p / "__init__.py").exists())]
        if len(mods := list(d.glob("*.py"))) > MAX_MODULES
    }
    assert crowded == {}


def test_complexity_stays_low() -> None:
    done = subprocess.run(
        [_tool("radon"), "cc", "--json", str(PACKAGE)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    blocks = [b for found in json.loads(done.stdout).values() for b in found]
    worst = [(b["name"], b["complexity"]) for b in blocks if b["complexity"] > WORST_ALLOWED]
    assert worst == []
    average = sum(b["complexity"] for b in blocks) / len(blocks)
    assert average <= MAX_AVERAGE, f"radon's average complexity is {average:.2f}"
