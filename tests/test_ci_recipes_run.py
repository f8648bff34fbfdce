"""The CI recipes of docs/how-to/ci.md, run: their shell steps, as the runner would run them, with
the real keygen and a stand-in for the secret store (`gh` for GitHub, `curl` for GitLab's API).

What a user relies on: a recipe never replaces a registered key (an existing secret stops the job
before a key is made, and the message says how to rotate), the audit log is there for the
artifact whatever happened, and the private key is off the runner whatever happened (a failed
upload included); a good run stores exactly the private key of the published public key.
The install lines (apt-get, pip) are left out: keygen is the one this suite runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from tests.helpers import OPENSSL, REPO, WINDOWS, private_key_body

pytestmark = pytest.mark.skipif(
    WINDOWS or OPENSSL is None or shutil.which("bash") is None, reason="runs the recipes' bash steps with openssl"
)

CI_PAGE = REPO / "docs" / "how-to" / "ci.md"
BIN = Path(sys.executable).parent


def recipe(name: str) -> Any:
    match = re.search(rf"<!-- ci-recipe: {re.escape(name)} -->\n```yaml\n(.*?)\n```\n", CI_PAGE.read_text(), re.S)
    assert match, name
    return yaml.safe_load(match.group(1))


GH = """\
#!/bin/sh
# Stand-in gh: `secret list` prints $FAKE_SECRETS one a line; `secret set NAME` keeps stdin.
case "$1 $2" in
  "secret list") for n in $FAKE_SECRETS; do echo "$n"; done ;;
  "secret set")
    if [ -n "$FAKE_UPLOAD_FAILS" ]; then echo "HTTP 403: Resource not accessible" >&2; exit 1; fi
    cat > "$FAKE_STORE/$3" ;;
  *) echo "stand-in gh: $*" >&2; exit 2 ;;
esac
"""

CURL = """\
#!/bin/sh
# Stand-in curl for GitLab's variables API: a GET prints 200 when the variable's name is in
# $FAKE_SECRETS (else 404) as --write-out asks; a POST keeps the `value=<FILE` form's file.
post=; key=; value=; url=
while [ $# -gt 0 ]; do
  case "$1" in
    --request) post=$2; shift ;;
    --form) case "$2" in key=*) key=${2#key=} ;; value=\\<*) value=${2#value=<} ;; esac; shift ;;
    --header|--output|--write-out) shift ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
if [ "$post" = POST ]; then
  if [ -n "$FAKE_UPLOAD_FAILS" ]; then echo "curl: (22) The requested URL returned error: 403" >&2; exit 22; fi
  cp "$value" "$FAKE_STORE/$key"; echo '{}'; exit 0
fi
for n in $FAKE_SECRETS; do [ "${url##*/}" = "$n" ] && { printf 200; exit 0; }; done
printf 404
"""


def stand_ins(tmp: Path) -> dict[str, str]:
    bindir = tmp / "bin"
    bindir.mkdir()
    for name, text in (("gh", GH), ("curl", CURL)):
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    store = tmp / "store"
    store.mkdir()
    return {"PATH": f"{bindir}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}", "FAKE_STORE": str(store)}


def bash(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail`; GitLab's runner also stops at
    # the first failing line.
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def run_github(tmp: Path, scenario: dict[str, str]) -> tuple[bool, str, Path]:
    """The job's run steps in order: a failed step skips the rest except `if: always()` ones."""
    job = recipe("github-workflow")["jobs"]["keygen"]
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir()
    env = {**os.environ, **stand_ins(tmp), **scenario, "RUNNER_TEMP": str(runner_temp), "GITHUB_REPOSITORY": "o/r"}
    workflow = recipe("github-workflow")
    # YAML 1.1 reads a bare `on` key as True.
    secret = workflow.get("on", workflow.get(True))["workflow_dispatch"]["inputs"]["secret"]["default"]
    assert job["env"] == {"SECRET": "${{ inputs.secret }}"}
    env["SECRET"] = secret
    ok, log = True, ""
    for step in job["steps"]:
        if "run" not in step or "pip install" in step["run"]:
            continue
        if not ok and step.get("if") != "always()":
            continue
        step_env = {k: "token" if "secrets." in v else v for k, v in step.get("env", {}).items()}
        done = bash(step["run"], {**env, **step_env}, tmp)
        log += done.stdout + done.stderr
        ok = ok and done.returncode == 0
    return ok, log, runner_temp / "keys"


def run_gitlab(tmp: Path, scenario: dict[str, str]) -> tuple[bool, str, Path]:
    """`script` in one shell, stopping at the first failure; `after_script` in a shell of its own, always."""
    job = recipe("gitlab-ci")["amazon-pay-key"]
    project = tmp / "project"
    project.mkdir()
    env = {
        **os.environ, **stand_ins(tmp), **scenario, "CI_PROJECT_DIR": str(project), "KEYS": str(project / "keys"),
        "KEYGEN_SECRET": job["variables"]["KEYGEN_SECRET"], "KEYGEN_API_TOKEN": "token",
        "CI_API_V4_URL": "https://gitlab.invalid/api/v4", "CI_PROJECT_ID": "7",
    }  # fmt: skip
    assert job["variables"]["KEYS"] == "$CI_PROJECT_DIR/keys"
    lines = [line for line in job["script"] if not line.startswith(("apt-get", "python -m pip"))]
    done = bash("\n".join(lines), env, project)
    after = bash("\n".join(job["after_script"]), env, project)
    assert after.returncode == 0, after.stderr
    return done.returncode == 0, done.stdout + done.stderr, project / "keys"


RUNNERS = {"github": run_github, "gitlab": run_gitlab}
SECRET = "AMAZON_PAY_PRIVATE_KEY"


@pytest.mark.parametrize("which", sorted(RUNNERS))
def test_an_existing_secret_is_never_replaced(which: str, tmp_path: Path) -> None:
    ok, log, keys = RUNNERS[which](tmp_path, {"FAKE_SECRETS": f"OTHER {SECRET}"})
    assert not ok
    assert f"{SECRET} already exists" in log and "rotate" in log
    assert not keys.exists(), "a key was made although the job was going to refuse"
    assert not any((tmp_path / "store").iterdir())


@pytest.mark.parametrize("which", sorted(RUNNERS))
def test_a_failed_upload_leaves_no_private_key_and_keeps_the_audit_log(which: str, tmp_path: Path) -> None:
    ok, log, keys = RUNNERS[which](tmp_path, {"FAKE_SECRETS": "OTHER", "FAKE_UPLOAD_FAILS": "1"})
    assert not ok, log
    assert not (keys / "privateKey.pem").exists()
    assert (keys / "publicKey.pub").is_file()
    audit = keys / "audit.jsonl" if which == "gitlab" else keys.parent / "audit.jsonl"
    assert '"command": "generate"' in audit.read_text()


@pytest.mark.parametrize("which", sorted(RUNNERS))
def test_a_good_run_stores_the_published_pairs_private_key_and_removes_it(which: str, tmp_path: Path) -> None:
    ok, log, keys = RUNNERS[which](tmp_path, {"FAKE_SECRETS": ""})
    assert ok, log
    assert not (keys / "privateKey.pem").exists()
    stored = serialization.load_pem_private_key((tmp_path / "store" / SECRET).read_bytes(), None)
    public = serialization.load_pem_public_key((keys / "publicKey.pub").read_bytes())
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    assert stored.public_key().public_bytes(enc, raw) == public.public_bytes(enc, raw)
    assert not any(line in log for line in private_key_body(tmp_path / "store" / SECRET))


def test_the_stand_ins_are_not_rubber_stamps(tmp_path: Path) -> None:
    """The stand-in curl answers 404 for a name it does not hold and 200 for one it does."""
    env = {**os.environ, **stand_ins(tmp_path), "FAKE_SECRETS": "A B"}
    curl = textwrap.dedent("""\
        curl --silent --output /dev/null --write-out '%{http_code}' http://x/variables/B
        echo
        curl --silent --output /dev/null --write-out '%{http_code}' http://x/variables/C
    """)
    done = bash(curl, env, tmp_path)
    assert done.stdout.split() == ["200", "404"]
