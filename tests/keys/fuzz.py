"""Differential fuzzing of `keygen verify` (issue 19): `python -m tests.keys.fuzz --seed N --count N`.

Each mangled pair (tests/keys/mutations.py) is judged by keygen's verify (by default in this
process: the command's own function, its second opinion asking the real openssl and ssh-keygen,
the verdict its `--json` document; `--process` runs `keygen verify --json` as a process of its own
per pair, as a user runs it, about five times slower) and by the oracles: the system's `openssl pkey` reads
each file and sees the pair match; with the Node SDK installed (`.ci/sdk` exports
KEYGEN_NODE_SDK_DIR) the official SDK also signs with every private key keygen calls ready. A
"ready" verdict an oracle contradicts, a crash (exit 70, a traceback) or a hang fails the run; a
verdict stricter than the oracles is allowed, and its reason printed. The counts and the seed are
printed at the end, so that any run can be repeated exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.keys.mutations import Case, cases, make_pairs, oracle

#: Seconds one `keygen verify` may take before it counts as a hang (healthy: well under one).
VERIFY_TIMEOUT_S = 60.0


@dataclass
class Tally:
    seed: int
    counts: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    stricter: list[str] = field(default_factory=list)

    def failed(self) -> bool:
        return bool(self.counts["wrong ready"] or self.counts["crash"] or self.counts["hang"])

    def report(self) -> str:
        lines = [*(f"WRONG READY {w}" for w in self.wrong), *(f"stricter {s}" for s in self.stricter)]
        order = ("cases", "ready (agreed)", "not ready (agreed)", "stricter than the oracles", "wrong ready",
                 "crash", "hang", "node-signed", "node-refused")
        summary = ", ".join(f"{name}: {self.counts[name]}" for name in order)
        lines.append(f"fuzz seed {self.seed}: {summary}")
        return "\n".join(lines)


def _env(home: Path) -> dict[str, str]:
    """keygen's own HOME and XDG folders (nothing of the user's is touched), the PATH as it is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"),
               NO_COLOR="1")
    return env


def _write(case: Case, root: Path) -> tuple[Path, Path]:
    folder = root / f"case{case.number}"
    folder.mkdir()
    private, public = folder / "privateKey.pem", folder / "publicKey.pub"
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(case.private)
    public.write_bytes(case.public)
    return private, public


def _reason(doc: dict[str, object]) -> str:
    failed = [c for c in doc.get("checks", []) if isinstance(c, dict) and c.get("status") == "fail"]
    first = failed[0] if failed else {"name": "?", "summary": "no failed check"}
    return f"{first['name']}: {str(first['summary'])[:160]}"


def _in_process(private: Path, public: Path) -> tuple[int, dict[str, object], str]:
    """verify's exit code, its --json document and, for a crash, the exception (any escaping one)."""
    from keygen.commands import verify as verify_mod

    try:
        result = verify_mod.command(private, public)
    except Exception as exc:  # a crash is what this counts
        return 70, {}, f"{type(exc).__name__}: {exc}"
    return result.exit_code, result.envelope(), ""


def judge(case: Case, root: Path, env: dict[str, str], process: bool = False) -> tuple[str, str, Path]:
    """(verdict, detail, private key path) for one case."""
    private, public = _write(case, root)
    label = f"#{case.number} [{' + '.join(case.mutations)}]"
    if not process:
        code, doc, crash = _in_process(private, public)
        if crash or code not in (0, 1):
            return "crash", f"{label}: exit {code}: {crash}", private
        return _verdict(label, code, doc, private, public)
    argv = [sys.executable, "-m", "keygen", "verify", "--json", str(private), str(public)]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=VERIFY_TIMEOUT_S, env=env, check=False,
                              cwd=private.parent, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "hang", f"{label}: no answer within {VERIFY_TIMEOUT_S:g} s", private
    stderr = done.stderr.decode(errors="replace")
    if done.returncode == 70 or "Traceback" in stderr or done.returncode not in (0, 1):
        return "crash", f"{label}: exit {done.returncode}: {stderr[-300:]}", private
    return _verdict(label, done.returncode, json.loads(done.stdout), private, public)


def _verdict(label: str, code: int, doc: dict[str, object], private: Path, public: Path) -> tuple[str, str, Path]:
    view = oracle(private, public)
    ready = code == 0 and doc["ok"] is True
    if ready and not view.ready:
        return "wrong ready", f"{label}: keygen says ready, but {view.why_not()}", private
    if ready:
        return "ready (agreed)", label, private
    if view.ready:
        return "stricter than the oracles", f"{label}: {_reason(doc)}", private
    return "not ready (agreed)", label, private


NODE_SIGN = """
const Client = require('@amazonpay/amazon-pay-api-sdk-nodejs');
const fs = require('fs');
const out = {};
for (const file of %s) {
  try {
    const client = new Client.WebStoreClient({publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA',
      privateKey: fs.readFileSync(file), region: 'eu', sandbox: true, algorithm: 'AMZN-PAY-RSASSA-PSS-V2'});
    client.generateButtonSignature('{"storeId":"amzn1.application-oa2-client.fuzz"}');
    out[file] = true;
  } catch (e) { out[file] = String((e && e.message) || e).slice(0, 200); }
}
console.log(JSON.stringify(out));
"""


def node_oracle(ready: list[Path], root: Path, tally: Tally) -> None:
    """The official Node SDK signs with every private key keygen called ready (SDK lane only)."""
    from tests.helpers import node_sdk

    if not ready or node_sdk.sdk_dir() is None:
        return
    for start in range(0, len(ready), 200):
        batch = [str(p) for p in ready[start : start + 200]]
        answers = node_sdk.run_json(NODE_SIGN % json.dumps(batch), root, timeout=300)
        for file, answer in answers.items():
            if answer is True:
                tally.counts["node-signed"] += 1
            else:
                tally.counts["node-refused"] += 1
                tally.counts["wrong ready"] += 1
                tally.wrong.append(f"{file}: keygen says ready, the Node SDK cannot sign: {answer}")


def _count(tally: Tally, verdict: str, detail: str, private: Path, ready: list[Path]) -> None:
    tally.counts["cases"] += 1
    tally.counts[verdict] += 1
    if tally.counts["cases"] % 200 == 0:  # a long CI run shows it is moving
        print(f"fuzz: {tally.counts['cases']} cases judged", flush=True)
    if verdict in ("wrong ready", "crash", "hang"):
        tally.wrong.append(f"{verdict}: {detail}")
    elif verdict == "stricter than the oracles":
        tally.stricter.append(detail)
    elif verdict == "ready (agreed)":
        ready.append(private)


def run(seed: int, count: int, pairs: int = 4, workers: int | None = None, process: bool = False) -> Tally:
    tally = Tally(seed)
    with tempfile.TemporaryDirectory(prefix="keygen-fuzz-") as tmp:
        root = Path(tmp)
        made = make_pairs(root / "pairs", pairs)
        (root / "cases").mkdir()
        (root / "home").mkdir()
        env = _env(root / "home")
        ready: list[Path] = []
        saved = dict(os.environ)
        os.environ.update(env)  # in-process verify reads the same HOME and XDG folders (nothing of the user's)
        try:
            with ThreadPoolExecutor(max_workers=workers or (os.cpu_count() or 2)) as pool:
                for verdict, detail, private in pool.map(
                    lambda c: judge(c, root / "cases", env, process), cases(made, seed, count)
                ):
                    _count(tally, verdict, detail, private, ready)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        node_oracle(ready, root, tally)
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="default: KEYGEN_FUZZ_SEED, else a random one")
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--process", action="store_true", help="run `keygen verify` as a process per pair")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(os.environ.get("KEYGEN_FUZZ_SEED") or
                                                       int.from_bytes(os.urandom(4), "big"))
    print(f"fuzz: seed {seed}, {args.count} mangled pairs (repeat with --seed {seed})", flush=True)
    tally = run(seed, args.count, process=args.process)
    print(tally.report(), flush=True)
    return 1 if tally.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
