"""The CI workflow cannot run here (no Windows or macOS runner): check its YAML and structure, and
that its POSIX scripts parse. `.ci/install-shells` runs for real (a no-op when the shells exist)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import REPO, WINDOWS

NO_BASH = pytest.mark.skipif(WINDOWS, reason="runs bash on a POSIX script (no MSYS bash.exe in the Windows lane)")

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
INSTALL_SHELLS = REPO / ".ci" / "install-shells"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def test_triggers_and_permissions(workflow: dict[Any, Any]) -> None:
    # YAML 1.1 reads a bare `on` key as True.
    triggers = workflow.get("on", workflow.get(True))
    assert {"push", "pull_request"} <= set(triggers)
    assert workflow["permissions"] == {"contents": "read"}


def test_jobs_and_runners(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    assert {name: job["runs-on"] for name, job in jobs.items()} == {
        "linux": "ubuntu-latest",
        "macos": "macos-latest",
        "windows": "windows-latest",
    }
    for job in jobs.values():
        uses = [s["uses"] for s in steps(job) if "uses" in s]
        # Pinned by full commit hash (zizmor's unpinned-uses), and checkout keeps no token.
        assert [u.split("@")[0] for u in uses[:2]] == ["actions/checkout", "actions/setup-python"]
        assert all(re.fullmatch(r"[0-9a-f]{40}", u.split("@")[1]) for u in uses), uses
        assert steps(job)[0]["with"]["persist-credentials"] is False
        for step in steps(job):
            assert ("run" in step) != ("uses" in step), step
            assert step.get("name") or "uses" in step


def test_python_39_is_covered(workflow: dict[Any, Any]) -> None:
    assert "3.9" in workflow["jobs"]["linux"]["strategy"]["matrix"]["python"]


def test_every_job_runs_the_suite(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    assert "bash .ci/run" in runs(jobs["linux"])
    assert "python -m pytest" in runs(jobs["macos"])
    assert "python -m pytest" in runs(jobs["windows"])


def test_windows_covers_cmd_both_powershells_and_git_bash(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["windows"]
    assert job["strategy"]["matrix"]["shell"] == ["cmd", "powershell", "pwsh", "bash"]
    assert job["defaults"]["run"]["shell"] == "${{ matrix.shell }}"
    text = runs(job)
    for command in ("keygen doctor", "keygen plan", "keygen generate --out-dir", "--literal", "--method git-bash"):
        assert command in text
    ps51 = [s for s in steps(job) if s.get("if") == "matrix.shell == 'powershell'"]
    assert any("$LASTEXITCODE -ne 1" in s["run"] for s in ps51)


def test_one_generate_per_documented_path(workflow: dict[Any, Any]) -> None:
    linux = runs(workflow["jobs"]["linux"])
    assert "--method openssl" in linux and "--method ssh-keygen" in linux
    assert "for shell in bash dash zsh fish; do" in linux
    macos = runs(workflow["jobs"]["macos"])
    assert "/usr/bin/openssl version | grep -q '^LibreSSL'" in macos
    assert '"tool_version": "LibreSSL' in macos


@NO_BASH
@pytest.mark.parametrize("job", ["linux", "macos"])
def test_posix_scripts_parse(workflow: dict[Any, Any], job: str, tmp_path: Path) -> None:
    for i, step in enumerate(steps(workflow["jobs"][job])):
        if "run" not in step:
            continue
        script = tmp_path / f"step{i}.sh"
        script.write_text(step["run"])
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, (step["name"], done.stderr)


@NO_BASH
def test_install_shells_is_quiet_when_nothing_is_missing(tmp_path: Path) -> None:
    assert os.access(INSTALL_SHELLS, os.X_OK)
    assert subprocess.run(["bash", "-n", str(INSTALL_SHELLS)], check=False).returncode == 0
    if not (shutil.which("zsh") and shutil.which("fish")):
        pytest.skip("zsh or fish missing: running it would install them")
    done = subprocess.run([str(INSTALL_SHELLS)], capture_output=True, text=True, check=False, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@NO_BASH
def test_install_shells_explains_itself_without_apt(tmp_path: Path) -> None:
    # A PATH with bash and the basics but neither the shells nor apt-get.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("bash", "id"):
        real = shutil.which(tool)
        assert real
        (bindir / tool).symlink_to(real)
    done = subprocess.run(
        [str(bindir / "bash"), str(INSTALL_SHELLS)],
        capture_output=True,
        text=True,
        env={"PATH": str(bindir)},
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert "zsh fish missing and apt-get is not available" in done.stderr
