"""macOS's openssl (LibreSSL 3.3.6) for the plain suite: a stand-in that behaves as it does where it
matters to keygen, and the real one when the macOS lane has built it.

The stand-in wraps this machine's openssl and changes only what ../shared/reference/MACOS-LANE.md
measured LibreSSL doing differently:
- `openssl version` prints `LibreSSL 3.3.6`;
- `genpkey -out FILE` opens FILE with the umask's mode (0644 under umask 022; OpenSSL 3 makes it
  0600), writing the key only after it is open: the mode the file had before its first byte is
  appended to `modes.log` beside the stand-in, as `<name> <mode>`;
- an invalid command exits 0, after `openssl:Error: '<name>' is an invalid command.` and the
  command list on stderr (`invalid=` makes documented commands invalid, as on a build without them).
Everything else is the real openssl's answer.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

_SCRIPT = '''#!{python}
import os, subprocess, sys
REAL = {real!r}
LOG = {log!r}
INVALID = {invalid!r}
COMMANDS = ("asn1parse", "ca", "dgst", "genpkey", "genrsa", "pkcs8", "pkey", "req", "rsa", "version", "x509")
args = sys.argv[1:]
name = args[0] if args else ""
if name == "version":
    print("LibreSSL 3.3.6")
    sys.exit(0)
if name in INVALID or name not in COMMANDS:
    sys.stderr.write("openssl:Error: '%s' is an invalid command.\\n\\nStandard commands\\n" % name)
    sys.stderr.write("asn1parse         ca                certhash          ciphers\\n")
    sys.exit(0)
if name == "genpkey" and "-out" in args[:-1]:
    at = args.index("-out")
    out = args[at + 1]
    key = subprocess.run([REAL, *args[:at], *args[at + 2:]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if key.returncode != 0:
        sys.exit(key.returncode)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    with open(LOG, "a") as log:
        log.write("%s %04o\\n" % (os.path.basename(out), os.fstat(fd).st_mode & 0o777))
    os.write(fd, key.stdout)
    os.close(fd)
    sys.stderr.write("....+++++\\n..........+++++\\n")
    sys.exit(0)
os.execv(REAL, [REAL, *args])
'''


def libressl_stand_in(bindir: Path, *, invalid: tuple[str, ...] = ()) -> tuple[str, Path]:
    """An `openssl` in `bindir` that answers as LibreSSL 3.3.6 does: (PATH with it first, its modes.log)."""
    real = shutil.which("openssl")
    assert real is not None, "the stand-in wraps the real openssl"
    bindir.mkdir(parents=True, exist_ok=True)
    log = bindir / "modes.log"
    script = bindir / "openssl"
    script.write_text(_SCRIPT.format(python=sys.executable, real=real, log=str(log), invalid=invalid))
    script.chmod(0o755)
    return str(bindir) + os.pathsep + os.environ.get("PATH", ""), log


def real_libressl() -> str | None:
    """The LibreSSL 3.3.6 `openssl` .ci/macos built and named in KEYGEN_LIBRESSL (the lane sets it;
    `bash .ci/macos env` prints it for a shell). Never looked for in the real home directory."""
    given = os.environ.get("KEYGEN_LIBRESSL")
    return given if given and os.access(given, os.X_OK) else None


#: Why a test that needs the real LibreSSL is skipped outside the lane.
NO_LIBRESSL = "needs LibreSSL 3.3.6's openssl: run `bash .ci/macos` (it sets KEYGEN_LIBRESSL)"


def modes(log: Path) -> dict[str, str]:
    """What modes.log says: each file genpkey wrote, and its mode before the first byte."""
    lines = log.read_text().splitlines() if log.exists() else []
    return dict(line.split(" ", 1) for line in lines)
