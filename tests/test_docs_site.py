"""The documentation site: it builds with `mkdocs build --strict` (broken links and anchors fail),
its CLI reference (written from the Typer app at build time) names every command and every option,
the README stays short, and every command has the JSON Schema its `--json` output is validated
against (tests/helpers/schemas.py does that for every run in the suite)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, WINDOWS, run_keygen, schemas

# The site is built on Linux (CI's .ci/run); the Windows lane installs only what its part of the suite needs.
NO_SITE = pytest.mark.skipif(WINDOWS, reason="the site is built by the Linux suite and .ci/run")
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "docs" / "hooks"))
try:
    import cli_reference  # type: ignore[import-not-found]
finally:
    sys.path.pop(0)


def every_command() -> list[tuple[str, ...]]:
    return [path for path, _, _ in cli_reference.walk(cli_reference.root_command())]


def test_readme_is_at_most_200_lines() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 200, f"README.md has {lines} lines: move the detail into docs/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if WINDOWS:
        pytest.skip("the site is built by the Linux suite and .ci/run")
    mkdocs = shutil.which("mkdocs", path=str(BIN))
    assert mkdocs, "mkdocs is missing: pip install -e '.[test]'"
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@NO_SITE
def test_cli_reference_names_every_command_and_option(site: Path) -> None:
    """The built page has a section per command (its heading's id is the command's words joined by
    `-`), with the usage line and every argument and option of that command in it."""
    built = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    parts = re.split(r'<h2 id="([^"]+)"', built)
    sections = {parts[i]: html.unescape(re.sub(r"<[^>]+>", "", parts[i + 1])) for i in range(1, len(parts), 2)}
    paths = every_command()
    assert {p[:2] for p in paths} >= {("keygen", c) for c in ("generate", "verify", "exchange", "confirm", "audit")}
    for path, command, ctx in cli_reference.walk(cli_reference.root_command()):
        section = sections.get("-".join(path))
        assert section is not None, f"no section for {' '.join(path)} in the CLI reference"
        assert f"{' '.join(path)} [OPTIONS]" in section, path
        for param in command.get_params(ctx):
            option = param.param_type_name == "option"
            names = [*param.opts, *param.secondary_opts] if option else [param.human_readable_name.upper()]
            for name in names:
                assert name in section, f"{name} of {' '.join(path)} is not in the CLI reference"


@NO_SITE
def test_the_reference_follows_the_code_not_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command's help and options come from the app: change one, and the reference changes."""
    root = cli_reference.root_command()
    monkeypatch.setattr(cli_reference, "root_command", lambda: root)
    generate = root.commands["generate"]
    before = cli_reference.markdown()
    option = next(p for p in generate.params if "--dry-run" in p.opts)
    monkeypatch.setattr(option, "help", "a help text written by this test")
    assert "a help text written by this test" in cli_reference.markdown()
    assert "a help text written by this test" not in before and "--dry-run" in before


@NO_SITE
def test_every_page_is_in_the_navigation(site: Path) -> None:
    pages = {p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md")}
    nav = (REPO / "mkdocs.yml").read_text()
    assert pages == {p for p in pages if f": {p}" in nav}, sorted(p for p in pages if f": {p}" not in nav)


def test_every_command_has_a_schema_listed_on_the_json_page() -> None:
    page = (REPO / "docs" / "reference" / "json-output.md").read_text()
    commands = [" ".join(p[1:]) for p in every_command() if len(p) > 1]
    for command in [*commands, "error"]:
        path = schemas.schema_path(command)
        assert path.is_file(), f"{path.relative_to(REPO)} is missing: every command's --json has a schema"
        assert f"(../schemas/{path.name})" in page, f"{path.name} is not listed in docs/reference/json-output.md"
    listed = set(re.findall(r"\(\.\./schemas/([\w-]+\.json)\)", page))
    assert listed == {p.name for p in schemas.SCHEMAS.glob("*.json")}


@NO_SITE
def test_every_schema_is_a_valid_closed_schema_of_the_envelope() -> None:
    import jsonschema

    for path in sorted(schemas.SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["additionalProperties"] is False, path.name
        assert schema["required"][:5] == ["command", "ok", "exit_code", "error", "warnings"], path.name


@NO_SITE
def test_schema_validation_can_fail() -> None:
    """Not a rubber stamp: an unknown key, a wrong type, a missing envelope key are refused."""
    good = json.loads(run_keygen("plan", "--os", "linux", "--json").stdout)
    schemas.validate(good)
    for bad in ({**good, "unknown_key": 1}, {**good, "ok": "yes"}, {k: v for k, v in good.items() if k != "warnings"}):
        with pytest.raises(AssertionError, match=r"does not follow plan\.json"):
            schemas.validate(bad)
    with pytest.raises(AssertionError, match="does not exist"):
        schemas.validate({**good, "command": "a command with no schema"})


@NO_SITE
def test_every_json_run_in_the_suite_is_validated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The hook is in place: a keygen --json run through subprocess.run meets its schema (here, one
    that refuses everything), without the test asking for it."""
    if os.environ.get("KEYGEN_TEST_JSON_SAMPLES"):
        pytest.skip("KEYGEN_TEST_JSON_SAMPLES: outputs are collected, not validated, in this run")
    strict = tmp_path / "plan.json"
    strict.write_text(json.dumps({"not": {}}))
    monkeypatch.setattr(schemas, "schema_path", lambda command: strict)
    schemas.load.cache_clear()
    try:
        with pytest.raises(AssertionError, match="does not follow"):
            run_keygen("plan", "--os", "linux", "--json")
        run_keygen("plan", "--os", "linux")  # text output: nothing to validate
    finally:
        schemas.load.cache_clear()


def test_jsonschema_is_installed_where_the_suite_validates() -> None:
    if WINDOWS:
        pytest.skip("the Windows lane installs only pytest, hypothesis and pyyaml")
    import jsonschema  # noqa: F401


#: What a copy of the checkout leaves out when git cannot list it (the lanes copy the files without
#: `.git`): what a fresh clone would not have either.
_NOT_CHECKED_OUT = {".git", ".venv", "build", "site", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
                    ".hypothesis"}  # fmt: skip


def _checkout_files() -> list[str]:
    """The checkout's files, as a fresh clone would have them: git's list, else the tree less the
    directories a clone does not have (in the lanes that copy the files without `.git`)."""
    try:
        return subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.split()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        pass
    found = []
    for top, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in _NOT_CHECKED_OUT and not d.endswith(".egg-info")]
        found += [str((Path(top) / n).relative_to(REPO)) for n in names]
    return found


@NO_SITE
@pytest.mark.slow
def test_the_first_quick_start_command_runs_as_written(tmp_path: Path) -> None:
    """README's first quick-start command, verbatim, in a fresh copy of the checkout: keygen is
    installed, reachable by name in that shell afterwards, and the pair is made in the home
    directory, outside the clone."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    command = re.findall(r"```sh\n(.*?)\n```", section, re.S)[0]
    clone = tmp_path / "clone"
    for name in _checkout_files():
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    home = Path(os.environ["HOME"])
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    check = f"keygen verify --public-only {home}/amazon-pay-keys/publicKey.pub"
    done = subprocess.run(
        ["bash", "-c", f"{command} && command -v keygen && {check}"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert str(clone / ".venv" / "bin" / "keygen") in done.stdout
    assert (home / "amazon-pay-keys" / "privateKey.pem").is_file()
    assert not (clone / "privateKey.pem").exists() and not (clone / "publicKey.pub").exists()
