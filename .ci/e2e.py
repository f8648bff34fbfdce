"""keygen end to end, as a CI job would run it: the distro lane (.ci/distros) runs this inside each
Debian root, with the root's own Python and tools, as root and as an unprivileged user.

Standard library only, Python 3.9. Every keygen call gets no terminal on stdin and inherits the
caller's environment (the lane passes `env -i HOME PATH LANG CI`). Prints one line per check and
a closing `N passed, N failed` line; exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

PUBLIC_KEY_ID = "SANDBOX-AEXAMPLE0123456789ABCDEF"
GENPKEY = ["openssl", "genpkey", "-out", "privateKey.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]


class Lane:
    def __init__(self, keygen: str, label: str, work: Path) -> None:
        self.keygen = keygen
        self.label = label
        self.work = work
        self.passed = 0
        self.failed: list[str] = []

    def run(self, *args: str, env: Optional[dict[str, str]] = None, cwd: Optional[Path] = None) -> Any:
        full = dict(os.environ, **(env or {}))
        return subprocess.run(
            [self.keygen, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
            env=full,
            cwd=str(cwd or self.work),
        )

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        print(f"  {'ok  ' if ok else 'FAIL'} {name}{'  ' + detail if detail else ''}", flush=True)
        return ok


def tool_version(*argv: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    return (proc.stdout + proc.stderr).strip().splitlines()[0] if (proc.stdout + proc.stderr).strip() else "?"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


class FirstSight:
    """Polls for a file matching `pattern` and records its mode at the first moment it exists:
    the mode a private key is created with, before the tool has written (or chmod-ed) anything."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.seen: Optional[tuple[int, int]] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> FirstSight:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set() and self.seen is None:
            for name in glob.glob(self.pattern):
                try:
                    st = os.stat(name)
                except OSError:
                    continue
                self.seen = (st.st_mode & 0o777, st.st_size)
                return
            time.sleep(0.0002)


def generate_json(
    lane: Lane, out: Path, *extra: str, env: Optional[dict[str, str]] = None
) -> tuple[int, dict[str, Any]]:
    proc = lane.run("generate", "--json", "--out-dir", str(out), *extra, env=env)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError:
        return proc.returncode, {"stdout": proc.stdout, "stderr": proc.stderr}


def all_checks_pass(doc: dict[str, Any]) -> tuple[bool, str]:
    bad = [c["name"] for c in doc.get("checks", []) if c.get("status") != "pass"]
    return (bool(doc.get("checks")) and not bad), ("not passed: " + ", ".join(bad) if bad else "")


def step_openssl(lane: Lane) -> None:
    out = lane.work / "openssl"
    with FirstSight(str(out / ".keygen-staging-*" / "privateKey.pem")) as sight:
        code, doc = generate_json(lane, out, "--method", "openssl", "--region", "eu")
    lane.check("generate --method openssl: exit 0", code == 0, f"exit {code} {doc.get('error') or ''}")
    ok, why = all_checks_pass(doc)
    lane.check("generate --method openssl: every check passes", ok, why)
    seen = sight.seen
    lane.check(
        "openssl: private key 0600 from its first byte (staging file at first sight)",
        seen is not None and seen[0] == 0o600,
        f"first seen mode {oct(seen[0])} at {seen[1]} bytes" if seen else "never seen",
    )
    if (out / "privateKey.pem").exists():
        lane.check(
            "openssl: published private key 0600", mode(out / "privateKey.pem") == "0o600", mode(out / "privateKey.pem")
        )
    verify = lane.run("verify", "--json", cwd=out)
    lane.check(
        "verify (openssl pair, with second opinion): exit 0", verify.returncode == 0, f"exit {verify.returncode}"
    )


def step_bare_openssl(lane: Lane) -> None:
    """What the documented genpkey line does alone under this umask (the reason keygen sets 077)."""
    bare = lane.work / "bare"
    bare.mkdir()
    with FirstSight(str(bare / "privateKey.pem")) as sight:
        subprocess.run(GENPKEY, cwd=str(bare), stdin=subprocess.DEVNULL, capture_output=True, check=True)
    umask = os.umask(0)
    os.umask(umask)
    seen = oct(sight.seen[0]) if sight.seen else "never seen"
    # Not a check: what the tool does by itself differs by version (OpenSSL 3 and 1.1.1's genpkey
    # create -out 0600 themselves, as this lane shows; LibreSSL and 1.0.x follow the umask, not run here).
    print(
        f"  info the documented genpkey line alone, umask {umask:03o}: "
        f"created {seen}, ends {mode(bare / 'privateKey.pem')}"
    )


def step_ssh_keygen(lane: Lane) -> None:
    out = lane.work / "ssh"
    code, doc = generate_json(lane, out, "--method", "ssh-keygen")
    version = (doc.get("method") or {}).get("tool_version")
    lane.check(
        "generate --method ssh-keygen (documented recipe): exit 0",
        code == 0,
        f"exit {code} {version} {doc.get('error') or ''}",
    )
    ok, why = all_checks_pass(doc)
    lane.check("generate --method ssh-keygen: every check passes", ok, why)
    lane.check(
        "ssh-keygen: privateKey.pem.pub side file not published",
        not (out / "privateKey.pem.pub").exists() and bool(doc.get("side_files_not_published")),
    )
    verify = lane.run("verify", "--json", cwd=out)
    lane.check("verify (ssh-keygen pair): exit 0", verify.returncode == 0, f"exit {verify.returncode}")


def step_refuse_and_force(lane: Lane) -> None:
    out = lane.work / "openssl"
    before = {name: digest(out / name) for name in ("privateKey.pem", "publicKey.pub")}
    code, doc = generate_json(lane, out)
    same = {name: digest(out / name) for name in before} == before
    lane.check("existing keys: refused, exit 5, files untouched", code == 5 and same, f"exit {code}")
    code, doc = generate_json(lane, out, "--force")
    backups = doc.get("backups") or []
    kept = sorted(digest(Path(b["backup"])) for b in backups if Path(b["backup"]).exists())
    lane.check(
        "--force: exit 0, the old pair kept as backups", code == 0 and kept == sorted(before.values()), f"exit {code}"
    )


def step_exchange_and_audit(lane: Lane) -> None:
    before = audit_json(lane)
    pub = lane.work / "openssl" / "publicKey.pub"
    proc = lane.run("exchange", "--json", "--region", "eu", "--public-key", str(pub), "--public-key-id", PUBLIC_KEY_ID)
    lane.check("exchange --public-key-id: exit 0", proc.returncode == 0, f"exit {proc.returncode}")
    after = audit_json(lane)
    ids = [i["public_key_id"] for k in after.get("keys", []) for i in k.get("public_key_ids", [])]
    grew = len(after.get("records", [])) - len(before.get("records", []))
    lane.check(
        "audit: exit 0, the exchange recorded with its key", PUBLIC_KEY_ID in ids and grew == 1, f"+{grew} record(s)"
    )
    log = Path(lane.run("audit", "--path").stdout.strip())
    lane.check(
        "audit log 0600 in an 0700 directory",
        mode(log) == "0o600" and mode(log.parent) == "0o700",
        f"{mode(log)} {mode(log.parent)}",
    )


def audit_json(lane: Lane) -> dict[str, Any]:
    proc = lane.run("audit", "--json")
    if proc.returncode != 0:
        lane.check("audit --json: exit 0", False, f"exit {proc.returncode}: {proc.stderr.strip()}")
        return {}
    parsed: dict[str, Any] = json.loads(proc.stdout)
    return parsed


def step_doctor(lane: Lane) -> None:
    proc = lane.run("doctor", "--json")
    lane.check("doctor: exit 0", proc.returncode == 0, f"exit {proc.returncode}")


def step_permissions(lane: Lane) -> None:
    """Only an unprivileged user meets these: root may enter and write anywhere."""
    if os.geteuid() == 0:
        return
    locked = lane.work / "locked"
    locked.mkdir()
    (locked / "audit.jsonl").write_text("")
    locked.chmod(0)
    log = {"KEYGEN_AUDIT_LOG": str(locked / "audit.jsonl")}
    try:
        proc = lane.run("audit", env=log)
        lane.check(
            "audit log behind a directory the user cannot enter: exit 6 with a hint", expect_6(proc), first_line(proc)
        )
        code, doc = generate_json(lane, lane.work / "k-locked-log", "--method", "openssl", env=log)
        lane.check(
            "generate with that audit log: exit 0 and a warning",
            code == 0 and bool(doc.get("warnings")),
            f"exit {code}",
        )
    finally:
        locked.chmod(0o700)
    ro = lane.work / "read-only"
    ro.mkdir(mode=0o500)
    proc = lane.run("generate", "--out-dir", str(ro))
    lane.check("DIR not writable: exit 6 with a hint", expect_6(proc), first_line(proc))
    proc = lane.run("generate", "--out-dir", str(ro / "new"))
    lane.check("DIR's parent not writable: exit 6 with a hint", expect_6(proc), first_line(proc))


def expect_6(proc: Any) -> bool:
    return bool(proc.returncode == 6 and "keygen: error:" in proc.stderr and "hint:" in proc.stderr)


def first_line(proc: Any) -> str:
    return f"exit {proc.returncode}: " + (proc.stderr.strip().splitlines() or [""])[0]


STEPS: tuple[Callable[[Lane], None], ...] = (
    step_doctor,
    step_openssl,
    step_bare_openssl,
    step_ssh_keygen,
    step_refuse_and_force,
    step_exchange_and_audit,
    step_permissions,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keygen", required=True)
    parser.add_argument("--label", required=True)
    args = parser.parse_args()
    umask = os.umask(0)
    os.umask(umask)
    print(
        f"e2e {args.label}: Python {platform.python_version()}, {tool_version('openssl', 'version')}, "
        f"{tool_version('ssh', '-V')}, uid {os.geteuid()}, umask {umask:03o}, CI={os.environ.get('CI')}, "
        f"stdin a terminal: {sys.stdin.isatty()}, env: {' '.join(sorted(os.environ))}",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="keygen-e2e-"))
    lane = Lane(args.keygen, args.label, work)
    try:
        for step in STEPS:
            try:
                step(lane)
            except Exception as exc:  # noqa: BLE001 - one broken step must not hide the others
                lane.check(f"{step.__name__} ran", False, f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"e2e {args.label}: {lane.passed} passed, {len(lane.failed)} failed", flush=True)
    return 1 if lane.failed else 0


if __name__ == "__main__":
    sys.exit(main())
