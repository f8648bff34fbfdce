"""The documented commands, as data.

Each line is copied byte for byte from Amazon Pay's "Manually generating key pairs" page; the argv
is that line split at its spaces, and the redirect target is what `>` names. A test holds these
against the reference text, so a drift in either is caught.
"""

from __future__ import annotations

from typing import NamedTuple

PRIVATE_KEY = "privateKey.pem"
PUBLIC_KEY = "publicKey.pub"
#: ssh-keygen always writes this OpenSSH-format side file next to the key; it is not the documented
#: public key and is never published.
SSH_SIDE_FILE = "privateKey.pem.pub"
#: Variables that make ssh-keygen ask a GUI program for a passphrase instead of reading stdin.
SSH_ASKPASS_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE")


class Step(NamedTuple):
    line: str
    argv: tuple[str, ...]
    stdout_to: str | None = None

    @property
    def tool(self) -> str:
        return self.argv[0]


class Recipe(NamedTuple):
    name: str
    tool: str
    steps: tuple[Step, ...]
    #: Where the document tells a user to run these lines.
    where: str
    side_files: tuple[str, ...] = ()


def step(line: str) -> Step:
    """Build a step from a documented line: `>` is the only shell syntax the document uses."""
    command, sep, target = line.partition(" > ")
    return Step(line=line, argv=tuple(command.split(" ")), stdout_to=target if sep else None)


OPENSSL_LINES = (
    "openssl genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048",
    "openssl rsa -in privateKey.pem -pubout > publicKey.pub",
)
SSH_KEYGEN_LINES = (
    "ssh-keygen -t rsa -b 2048 -m PKCS8 -f privateKey.pem",
    "ssh-keygen -f privateKey.pem -e -m PKCS8 > publicKey.pub",
)

OPENSSL = Recipe(
    name="openssl",
    tool="openssl",
    steps=tuple(step(line) for line in OPENSSL_LINES),
    where="a macOS or Linux terminal",
)
SSH_KEYGEN = Recipe(
    name="ssh-keygen",
    tool="ssh-keygen",
    steps=tuple(step(line) for line in SSH_KEYGEN_LINES),
    where="a Windows command prompt or PowerShell",
    side_files=(SSH_SIDE_FILE,),
)
#: The document's third path: the same openssl lines, typed into Git Bash on Windows.
GIT_BASH = Recipe(
    name="git-bash",
    tool="openssl",
    steps=OPENSSL.steps,
    where="Git Bash on Windows",
)
