"""Execute a Dockerfile's own instructions in a Debian root with chroot, without a docker daemon.

The Debian 13 lane of .ci/distros calls this on a fresh overlay of its trixie root, which stands in
for `FROM python:3.13-slim` (the same Debian release; the image's Python is built into /usr/local,
the root's is Debian's python3 3.13). It understands the instructions keygen's Dockerfile uses and
refuses any other, so the file cannot grow a step this lane would skip:

- RUN (shell form) runs `/bin/sh -c` in the root as the current USER, in WORKDIR, with ENV only;
- COPY SRC... DEST copies from the build context; ENV, USER, WORKDIR, VOLUME are kept;
- ENTRYPOINT + CMD (exec form) run at the end, as the image's USER: this is the container's run.

The volume is then made as the documented `mkdir -m 700 keys` makes it (0700, another user's), and
the CI page's note is played: without `--user` the run must exit 6 and write nothing; with that
user's `--user` its JSON must say ok, the files must be that user's, `keygen verify` must pass on
the volume's pair, and a second run on the same volume must be refused (exit 5).
Run by root (chroot); Python 3.9 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

#: python:3.13-slim's own environment, which every step inherits.
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        word, _, rest = (pending + line).partition(" ")
        out.append((word.upper(), rest.strip()))
        pending = ""
    return out


def expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


class Image:
    def __init__(self, root: Path, context: Path) -> None:
        self.root = root
        self.context = context
        self.env = dict(BASE_ENV)
        self.user = "root"
        self.workdir = "/"
        self.volumes: list[str] = []
        self.entrypoint: list[str] = []
        self.cmd: list[str] = []

    def run(self, argv: list[str], *, user: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        who = user or self.user
        env = [f"{k}={v}" for k, v in {"HOME": self.home(who), **self.env}.items()]
        # As runc does: the working directory is entered as root, then the user is taken on, so a
        # WORKDIR the user cannot enter (a host volume of another user's) still starts the process.
        drop = [] if who == "root" else ["/usr/bin/setpriv", *self.ids(who), "--clear-groups"]
        full = ["chroot", str(self.root), "/usr/bin/env", "-i", *env, "/bin/sh", "-c", 'cd "$0" && exec "$@"']
        proc = subprocess.run(
            [*full, self.workdir, *drop, *argv], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600
        )
        if check and proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"dockerfile: {shlex.join(argv)} exited {proc.returncode}")
        return proc

    def ids(self, user: str) -> list[str]:
        """setpriv's options for USER (a name or uid, with an optional :group)."""
        name, _, group = user.partition(":")
        return [f"--reuid={name}", f"--regid={group or name}"]

    def home(self, user: str) -> str:
        """The home directory of USER (a name or uid[:gid]) from the root's /etc/passwd, as docker does."""
        name_or_uid = user.split(":")[0]
        for line in self.inside("/etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if name_or_uid in (fields[0], fields[2]):
                return fields[5]
        return "/"

    def inside(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def apply(self, word: str, args: str) -> None:
        steps = {
            "FROM": self.from_,
            "RUN": self.run_step,
            "COPY": lambda a: self.copy(shlex.split(a)),
            "ENV": self.set_env,
            "USER": lambda a: setattr(self, "user", a),
            "WORKDIR": self.set_workdir,
            "VOLUME": lambda a: setattr(self, "volumes", json.loads(a)),
            "ENTRYPOINT": lambda a: setattr(self, "entrypoint", json.loads(a)),
            "CMD": lambda a: setattr(self, "cmd", json.loads(a)),
        }
        if word not in steps:
            raise SystemExit(f"dockerfile: {word} is not executed by this lane; keep the Dockerfile to what it runs")
        steps[word](args)

    def from_(self, image: str) -> None:
        if not image.startswith("python:3.13"):
            raise SystemExit(f"dockerfile: this lane stands in for python:3.13 (Debian 13), not {image}")

    def run_step(self, command: str) -> None:
        print(f"dockerfile: RUN {command}", flush=True)
        self.run(["/bin/sh", "-c", command])

    def set_env(self, args: str) -> None:
        for pair in shlex.split(args):
            key, _, value = pair.partition("=")
            self.env[key] = expand(value, self.env)

    def set_workdir(self, path: str) -> None:
        self.workdir = path
        self.inside(path).mkdir(parents=True, exist_ok=True)

    def copy(self, parts: list[str]) -> None:
        *sources, dest = parts
        if any(s.startswith("--") for s in sources):
            raise SystemExit("dockerfile: COPY flags are not executed by this lane")
        target = self.inside(dest)
        for src in sources:
            origin = self.context / src
            into = target / origin.name if dest.endswith("/") or len(sources) > 1 else target
            into.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, into, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
            else:
                shutil.copy2(origin, into)


#: The host user of the documented `docker run --user "$(id -u):$(id -g)" -v "$PWD/keys:/keys"`:
#: anyone but the image's own user (10001) and root.
HOST_USER = "20002:20002"


def host_volume(image: Image, volume: str) -> Path:
    """The volume as `mkdir -m 700 keys` on the host and `-v "$PWD/keys:/keys"` give it to the
    container: an empty 0700 directory owned by the host user, in place of the image's own."""
    path = image.inside(volume)
    shutil.rmtree(path)
    path.mkdir(mode=0o700)
    uid, gid = (int(n) for n in HOST_USER.split(":"))
    os.chown(path, uid, gid)
    path.chmod(0o700)
    return path


def container_run(image: Image) -> int:
    """The container's runs, as the documented `docker run` lines would do them; then what a user checks.

    The CI page's volume note is what is checked: without `--user` the image's user cannot write
    into the host's 0700 directory (exit 6, nothing written); with `--user` it is the host user's
    run, which publishes a pair that verifies, and a second run on the same volume is refused."""
    argv = image.entrypoint + image.cmd
    volume = image.volumes[0]
    keys = host_volume(image, volume)
    problems = []
    print(f"dockerfile: run as {image.user} (no --user), volume 0700 of {HOST_USER}: {shlex.join(argv)}", flush=True)
    denied = image.run(argv, check=False)
    if denied.returncode != 6 or any(keys.iterdir()):
        left = sorted(os.listdir(keys))
        problems.append(f"without --user the run exited {denied.returncode} and left {left}, not 6 and nothing")
    print(f"dockerfile: run as --user {HOST_USER}: {shlex.join(argv)}", flush=True)
    first = image.run(argv, check=False, user=HOST_USER)
    doc = json.loads(first.stdout)
    if first.returncode != 0 or not doc.get("ok"):
        problems.append(f"the image's run exited {first.returncode}: {doc.get('error')}")
    modes = {Path(f["path"]).name: f["mode"] for f in doc.get("files", [])}
    print(f"dockerfile: published {modes} with {doc.get('method', {}).get('tool_version')}", flush=True)
    owners = {p.name: f"{p.stat().st_uid}:{p.stat().st_gid}" for p in keys.iterdir() if not p.name.startswith(".")}
    if set(owners.values()) != {HOST_USER}:
        problems.append(f"the volume's files are not the host user's: {owners}")
    verify = image.run(
        ["keygen", "verify", f"{volume}/privateKey.pem", f"{volume}/publicKey.pub"], check=False, user=HOST_USER
    )
    if verify.returncode != 0:
        problems.append(f"keygen verify on the volume exited {verify.returncode}")
    again = image.run(argv, check=False, user=HOST_USER)
    if again.returncode != 5:
        problems.append(f"a second run on the same volume exited {again.returncode}, not 5 (refused)")
    for p in problems:
        print(f"dockerfile: FAIL {p}", flush=True)
    passed = 5 - len(problems)
    print(f"dockerfile lane (trixie, volume of {HOST_USER}): {passed} passed, {len(problems)} failed", flush=True)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--context", type=Path, required=True)
    parser.add_argument("dockerfile", type=Path)
    args = parser.parse_args()
    image = Image(args.root, args.context)
    for word, rest in instructions(args.dockerfile.read_text()):
        image.apply(word, rest)
    if not (image.entrypoint and image.volumes):
        raise SystemExit("dockerfile: needs ENTRYPOINT and VOLUME")
    return container_run(image)


if __name__ == "__main__":
    sys.exit(main())
