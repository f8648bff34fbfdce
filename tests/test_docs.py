"""The README and the documentation site are part of the interface: the README's quick start is
what CI runs, the tables (README and docs/reference/) match the code."""

from __future__ import annotations

import re

from keygen.errors import ExitCode
from tests.helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"


def page(path: str) -> str:
    return (DOCS / path).read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_quick_start_is_exactly_two_one_line_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "keygen generate" in commands[0]
    # The merchant's key goes outside the tool's clone, and keygen is reachable by name afterwards
    # (the environment is activated in the user's shell), as every next step says `keygen ...`.
    assert " . .venv/bin/activate && " in commands[0]
    assert re.search(r"keygen generate --out-dir ~/\S+$", commands[0])
    assert "pytest" in commands[1] and "ruff check" in commands[1] and "mypy --strict" in commands[1]


def test_ci_runs_the_second_command_verbatim() -> None:
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert quick_start_commands()[1] in ci


def test_every_exit_code_is_documented() -> None:
    table = page("reference/exit-codes.md")
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert documented == {int(code) for code in ExitCode}


def test_every_exit_code_is_in_the_readmes_brief_table() -> None:
    table = README.split("## Exit codes in brief", 1)[1].split("\n## ", 1)[0]
    documented = {int(m) for m in re.findall(r"\| (\d+) \|", table)}
    assert documented == {int(code) for code in ExitCode}


def test_changelog_has_an_unreleased_section() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and "Keep a Changelog" in changelog


def test_the_json_envelope_is_documented_as_the_code_builds_it() -> None:
    """The JSON output page's envelope table lists the keys `Result.envelope` puts first, in that order."""
    from keygen.result import Failure

    table = page("reference/json-output.md").split("## Output contract", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^  \| `(\w+)` \|", table, re.M)
    assert documented == list(Failure("x").envelope())


def test_license_is_mit_declared_as_an_spdx_expression() -> None:
    # Read as text: tomllib is Python 3.11+, and the suite runs on 3.9 too.
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"$', pyproject, re.M)
    assert re.search(r'^license-files = \["LICENSE"\]$', pyproject, re.M)
    assert "License ::" not in pyproject  # a licence classifier beside an SPDX expression is an error
    assert re.search(r'"setuptools>=(\d+)"', pyproject) and int(re.findall(r'"setuptools>=(\d+)"', pyproject)[0]) >= 77
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text


def test_architecture_map_has_a_line_per_package_and_names_every_module() -> None:
    """ARCHITECTURE.md, linked from the README, has one table row per package and names every module."""
    assert "(ARCHITECTURE.md)" in README
    arch = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    package = REPO / "keygen"
    for init in package.glob("*/__init__.py"):
        assert f"| `keygen/{init.parent.name}/` |" in arch, init.parent.name
    for path in package.rglob("*.py"):
        if path.parent == package:
            assert path.name in ("__init__.py",) or f"`keygen/{path.name}`" in arch, path.name
        elif path.name != "__init__.py":
            section = arch.split(f"- `{path.parent.name}/`:", 1)[1].split("\n- ", 1)[0]
            assert f"`{path.name}`" in section, f"{path.parent.name}/{path.name}"


def test_contributing_shows_the_same_test_command() -> None:
    assert quick_start_commands()[1] in (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
