"""What was learnt about one key file: its `Inspection`, and a `Check` for each finding.

Reading fills it (`keygen.keys.keyfile`), judging adds to it (`keygen.keys.assessment`), and
the fix wording reads it (`keygen.keys.advice`); none of them needs the others to describe it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from keygen.recipes.quoting import Shell, current_shell, quote

if TYPE_CHECKING:
    from keygen.keys.spki import Algorithm

Status = Literal["pass", "warn", "fail"]
Role = Literal["private", "public"]

@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    summary: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "summary": self.summary, "fix": self.fix}


@dataclass
class Inspection:
    """What was learnt about one key file."""

    role: Role
    path: str
    #: The name messages and fix commands use (the staged file is shown under its final name).
    shown: str = ""
    checks: list[Check] = field(default_factory=list)
    data: bytes | None = None
    text: str | None = None
    #: The PEM label or form found: "PRIVATE KEY", "RSA PRIVATE KEY", "ssh-rsa", "SSH2 PUBLIC KEY"...
    form: str | None = None
    key: Any = None
    #: How the bytes were encoded: "ascii", "utf-8", "utf-16-le", "utf-16-be" or "binary" (None: unread).
    encoding: str | None = None
    bom: bool = False
    #: Line-end style of the text: "lf", "crlf" (what native Windows openssl writes) or "mixed".
    line_ends: str | None = None
    #: The path was a symbolic link (followed for reading only: never written through).
    is_link: bool = False
    #: Names the fix commands use for the pair (the paths as given, so commands can be pasted).
    private_name: str = "privateKey.pem"
    public_name: str = "publicKey.pub"
    #: The form of the pair's private key, when known: it decides which tool can derive the public key.
    private_form: str | None = None
    #: Run OpenSSL's full RSA key validation when loading a private key (see check_pair).
    validate_rsa: bool = True
    #: The shell the printed commands are quoted for, and whether both files of a pair were named.
    quoting: Shell | None = None
    pair: bool = False
    #: False when the other file of the pair failed: a fix then checks the new file alone.
    partner_ok: bool = True
    #: The key's DER as the file holds it (PEM SPKI / PKCS#8 only), and its algorithm identifier.
    der: bytes | None = None
    algorithm: Algorithm | None = None

    def q(self, path: str) -> str:
        return quote(path, self.shell)

    @property
    def shell(self) -> Shell:
        # The user's shell (unless one was given) is looked up only when a command is worded:
        # detecting it reads the process tree, which a passing check never needs.
        return self.quoting or current_shell()

    def __post_init__(self) -> None:
        self.shown = self.shown or self.path

    def add(self, name: str, status: Status, summary: str, fix: str = "") -> None:
        self.checks.append(Check(f"{self.role}_key.{name}", status, summary, fix))

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)
