#!/usr/bin/env python3
"""Measure keygen's own cost as ratios against the bare commands, in one run.

  python scripts/bench.py [--rounds 30] [--json] [--check] [--install]

1. `keygen generate` against the two documented openssl lines run by `sh`, alternating, each in a
   fresh directory; the figure is the ratio of the medians (target: at most 1.35).
2. `keygen --version` against `python3 -I -c pass` (target: at most 6).

Alternating runs share whatever load the machine has, so the ratio is meaningful where absolute
times are not. `--check` exits 1 when a ratio misses its target. `--install` first installs this
checkout the way users get it (a regular, not editable, install in a throwaway virtual
environment) and measures that: an editable install adds an import hook to every start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCUMENTED = (
    "openssl genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048 && "
    "openssl rsa -in privateKey.pem -pubout > publicKey.pub"
)
TARGETS = {"generate": 1.35, "version": 6.0}


def keygen_argv() -> list[str]:
    script = Path(sys.executable).with_name("keygen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "keygen"]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, done.stdout


def reinstalled(args: argparse.Namespace) -> int:
    """Run this script again with the python of a fresh venv holding a regular install of the checkout."""
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="keygen-bench-venv-") as tmp:
        subprocess.run([sys.executable, "-m", "venv", tmp], check=True)
        python = Path(tmp) / ("Scripts" if os.name == "nt" else "bin") / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(repo)], check=True)
        again = [a for a in sys.argv[1:] if a != "--install"]
        return subprocess.run([str(python), __file__, *again], check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--install", action="store_true", help="measure a regular install in a fresh venv")
    args = parser.parse_args()
    if args.install:
        return reinstalled(args)
    if not shutil.which("openssl"):
        print("bench: openssl is needed", file=sys.stderr)
        return 2
    keygen = keygen_argv()
    samples: dict[str, list[float]] = {
        "keygen generate": [],
        "sh documented": [],
        "keygen --version": [],
        "python -I -c pass": [],
    }
    #: Wall time of each keygen run less the time its two steps took (from its own --json): keygen's
    #: own cost, free of the noise of RSA key generation (random primes: 0.05 to 0.8 s).
    own: list[float] = []
    with tempfile.TemporaryDirectory(prefix="keygen-bench-") as tmp:
        base = Path(tmp)
        env = {**os.environ, "KEYGEN_AUDIT_LOG": str(base / "audit.jsonl"), "HOME": str(base)}
        for i in range(args.rounds):
            for name, argv in (
                ("keygen generate", [*keygen, "generate", "--json"]),
                ("sh documented", ["sh", "-c", DOCUMENTED]),
            ):
                work = base / f"{name.split()[0]}-{i}"
                work.mkdir()
                wall, out = timed(argv, work, env)
                samples[name].append(wall)
                if name == "keygen generate":
                    own.append(wall - sum(step["duration_s"] for step in json.loads(out)["steps"]))
        for _ in range(args.rounds):
            samples["keygen --version"].append(timed([*keygen, "--version"], base, env)[0])
            samples["python -I -c pass"].append(timed([sys.executable, "-I", "-c", "pass"], base, env)[0])
    med = {k: statistics.median(v) for k, v in samples.items()}
    ratios = {
        "generate": med["keygen generate"] / med["sh documented"],
        "version": med["keygen --version"] / med["python -I -c pass"],
    }
    result = {
        "rounds": args.rounds,
        "median_s": {k: round(v, 4) for k, v in med.items()},
        "overhead_ms": round((med["keygen generate"] - med["sh documented"]) * 1000, 1),
        "own_cost_ms": round(statistics.median(own) * 1000, 1),
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
        "targets": TARGETS,
        "ok": all(ratios[k] <= TARGETS[k] for k in TARGETS),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in med.items():
            print(f"{k:20s} median {v * 1000:8.1f} ms  (n={len(samples[k])})")
        print(
            f"generate / documented: {ratios['generate']:.3f}  (target <= {TARGETS['generate']}); "
            f"difference of medians {result['overhead_ms']} ms"
        )
        print(f"keygen's own cost (wall time less its steps' time), median: {result['own_cost_ms']} ms")
        print(f"--version / bare python: {ratios['version']:.3f}  (target <= {TARGETS['version']})")
    return 0 if (result["ok"] or not args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
