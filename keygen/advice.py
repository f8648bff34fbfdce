"""Fix advice: the commands a finding's fix names, with the user's own file names.

Every command writes a new file beside its input, never over it, so a fix cannot lose a key.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keygen.keyfile import Inspection

REGENERATE = "make a new pair with `keygen generate`"


def quote(path: str) -> str:
    """A file name as it can be pasted into a POSIX shell."""
    return path if re.fullmatch(r"[\w./-]+", path) else "'" + path.replace("'", "'\\''") + "'"


def powershell_lines(private_name: str, public_name: str) -> str:
    """The two ways to write the public key as ASCII from Windows PowerShell 5.1."""
    priv, pub = quote(private_name), quote(public_name)
    return (
        f"`ssh-keygen -f {priv} -e -m PKCS8 | Out-File -Encoding ascii {pub}` "
        f"(or with openssl: `openssl rsa -in {priv} -pubout -out {pub}`)"
    )


def unencrypted_copy(ins: Inspection) -> str:
    """How to write the key again without its passphrase, beside the original, never over it."""
    return (
        "(it asks for the passphrase; the original stays as it is): "
        f"openssl pkey -in {quote(ins.private_name)} -out {quote(sibling(ins.private_name, '.unencrypted.pem'))}"
    )


def sibling(path: str, suffix: str) -> str:
    """A new name beside `path` for a converted copy, so that no fix ever overwrites its input."""
    head, tail = os.path.split(path)
    stem = tail[:-4] if tail.endswith((".pem", ".pub")) else tail
    return os.path.join(head, stem + suffix) if head else stem + suffix


def regen_public(ins: Inspection) -> str:
    public_name = ins.public_name
    if public_name.endswith(".pem.pub"):
        # ssh-keygen's side file: keep it for ssh-keygen, and write the documented file beside it.
        public_name = os.path.join(os.path.dirname(public_name), "publicKey.pub")
    priv, pub = quote(ins.private_name), quote(public_name)
    if ins.private_form == "OPENSSH PRIVATE KEY":
        # openssl cannot read this private key; ssh-keygen can, but `-e` prefers a stale side file.
        return (
            f"write it again from the private key with ssh-keygen (openssl cannot read the OpenSSH format): "
            f"`ssh-keygen -f {priv} -e -m PKCS8 > {pub}`; `-e` reads {quote(ins.private_name + '.pub')} "
            "instead of the key when that file exists, so make sure it belongs to this key"
        )
    return (
        f"write it again from the private key with the documented line: `openssl rsa -in {priv} -pubout > {pub}` "
        f"(ssh-keygen: `ssh-keygen -f {priv} -e -m PKCS8 > {pub}`)"
    )


def pkcs1_to_pkcs8(ins: Inspection) -> str:
    priv, copy = quote(ins.private_name), quote(sibling(ins.private_name, ".pkcs8.pem"))
    return (
        f"convert a copy to PKCS#8, keeping the original: openssl pkcs8 -topk8 -nocrypt -in {priv} -out {copy} "
        "(then point the SDK at the new file)"
    )


def openssh_to_pkcs8(ins: Inspection, *, encrypted: bool) -> str:
    """ssh-keygen rewrites a copy as PKCS#8 (OpenSSH 8.1 or later); openssl cannot read the format."""
    priv, copy = quote(ins.private_name), quote(sibling(ins.private_name, ".pkcs8.pem"))
    if encrypted:
        return (
            f"convert a copy to unencrypted PKCS#8 (it asks for the passphrase): cp {priv} {copy} && "
            f'ssh-keygen -p -N "" -m PKCS8 -f {copy} (OpenSSH 8.1 or later), '
            "or make a new pair with `keygen generate`"
        )
    return (
        f'convert a copy to PKCS#8: cp {priv} {copy} && ssh-keygen -p -N "" -m PKCS8 -f {copy} '
        "(OpenSSH 8.1 or later), or make a new pair with `keygen generate`"
    )
