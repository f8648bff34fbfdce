"""Run JavaScript against the official Amazon Pay Node SDK, installed by `.ci/sdk`.

The SDK lives outside the clone, in the CI cache (`.ci/sdk` installs a pinned version there and
exports KEYGEN_NODE_SDK_DIR, the directory holding its `node_modules`). Without that variable the
tests that need it skip and say how to run them. Reused by every SDK interoperability test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])
ENV_VAR = "KEYGEN_NODE_SDK_DIR"
PACKAGE = "@amazonpay/amazon-pay-api-sdk-nodejs"
SKIP_REASON = f"needs the official Node SDK: run `bash .ci/sdk` (it installs {PACKAGE} and sets {ENV_VAR})" + (
    "; the Windows lane has no node" if os.name == "nt" else ""
)


def sdk_dir() -> Path | None:
    value = os.environ.get(ENV_VAR)
    if not value:
        return None
    path = Path(value)
    return path if (path / "node_modules" / PACKAGE / "package.json").is_file() else None


def requires_node_sdk(test: F) -> F:
    """Mark a test as needing the Node SDK: it runs in the `sdk` lane and skips elsewhere."""
    skip = pytest.mark.skipif(sdk_dir() is None or shutil.which("node") is None, reason=SKIP_REASON)
    return pytest.mark.sdk(skip(test))  # type: ignore[no-any-return]


def sdk_version() -> str:
    directory = sdk_dir()
    assert directory is not None
    data = json.loads((directory / "node_modules" / PACKAGE / "package.json").read_text())
    return str(data["version"])


def run_node(script: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `script` with node from a file in `cwd`, the SDK resolvable by `require`."""
    directory = sdk_dir()
    assert directory is not None, SKIP_REASON
    path = cwd / "keygen-sdk-test.js"
    path.write_text(script)
    env = dict(os.environ, NODE_PATH=str(directory / "node_modules"))
    return subprocess.run(
        ["node", str(path)], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_json(script: str, cwd: Path, timeout: float = 60) -> Any:
    """Run a script that prints one JSON value on its last line; fail the test with node's stderr otherwise."""
    result = run_node(script, cwd, timeout)
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0 and lines, f"node failed ({result.returncode}): {result.stderr[-2000:]}"
    return json.loads(lines[-1])


#: JavaScript that, after a `config` object and `Client` exist, calls getCheckoutSession through
#: HOST (an https stand-in; the SDK turns TLS checks off for overrideServiceUrl) and prints the answer.
LOOKUP = """
;(async () => {
  const probe = new Client.WebStoreClient(Object.assign({}, config, {overrideServiceUrl: %(host)s}));
  try {
    const r = await probe.getCheckoutSession(%(session)s);
    console.log(JSON.stringify({status: r.status, data: r.data}));
  } catch (e) {
    if (e && e.response) console.log(JSON.stringify({status: e.response.status, data: e.response.data}));
    else console.log(JSON.stringify({error: String((e && e.message) || e)}));
  }
})();
"""


def lookup_script(config_js: str, host: str, session: str) -> str:
    return config_js + "\n" + LOOKUP % {"host": json.dumps(host), "session": json.dumps(session)}
