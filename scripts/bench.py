#!/usr/bin/env python3
"""Measure keygen's own cost as ratios against the bare commands, in one run.

  python scripts/bench.py [--rounds 30] [--json] [--check]

1. `keygen generate` against the two documented openssl lines run by `sh`, alternating, each in a
   fresh directory; the figure is the ratio of the medians (target: at most 1.35).
2. `keygen --version` against `python3 -I -c pass` (target: at most 6).

Alternating runs share whatever load the machine has, so the ratio is meaningful where absolute
times are not. `--check` exits 1 when a ratio misses its target.
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


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
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
    with tempfile.TemporaryDirectory(prefix="keygen-bench-") as tmp:
        base = Path(tmp)
        env = {**os.environ, "KEYGEN_AUDIT_LOG": str(base / "audit.jsonl"), "HOME": str(base)}
        for i in range(args.rounds):
            for name, argv in (("keygen generate", [*keygen, "generate"]), ("sh documented", ["sh", "-c", DOCUMENTED])):
                work = base / f"{name.split()[0]}-{i}"
                work.mkdir()
                samples[name].append(timed(argv, work, env))
        for _ in range(args.rounds):
            samples["keygen --version"].append(timed([*keygen, "--version"], base, env))
            samples["python -I -c pass"].append(timed([sys.executable, "-I", "-c", "pass"], base, env))
    med = {k: statistics.median(v) for k, v in samples.items()}
    ratios = {
        "generate": med["keygen generate"] / med["sh documented"],
        "version": med["keygen --version"] / med["python -I -c pass"],
    }
    result = {
        "rounds": args.rounds,
        "median_s": {k: round(v, 4) for k, v in med.items()},
        "overhead_ms": round((med["keygen generate"] - med["sh documented"]) * 1000, 1),
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
            f"keygen's own cost about {result['overhead_ms']} ms"
        )
        print(f"--version / bare python: {ratios['version']:.3f}  (target <= {TARGETS['version']})")
    return 0 if (result["ok"] or not args.check) else 1


if __name__ == "__main__":
    sys.exit(main())
