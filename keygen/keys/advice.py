"""Fix advice: the wording of a finding's fix, naming the user's own files.

Every command in a fix is built by `keygen.recipes.quoting` (quoted for the user's shell, writing a new
file beside its input, never over it, and ending with the `keygen verify` that checks the result),
so a fix cannot lose a key and can be run blind. This module only says, in words, which command
fits which finding.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from keygen.recipes import quoting

if TYPE_CHECKING:
    from keygen.keys.inspection import Inspection
    from keygen.keys.spki import Algorithm


def quote(path: str) -> str:
    """For other modules that print commands naming the user's files: quoted for the user's shell."""
    return quoting.quote(path, quoting.current_shell())


def openssl(ins: Inspection) -> str:
    """The openssl keygen would run, as a printed command's first word (a full path off PATH)."""
    return quoting.program("openssl", ins.shell)


def ssh_keygen(ins: Inspection) -> str:
    return quoting.program("ssh-keygen", ins.shell)


def new_pair(ins: Inspection) -> str:
    return f"`{quoting.new_pair(ins.shell)}` (the documented commands, in a new directory)"


def regenerate(ins: Inspection) -> str:
    """The way out when nothing in the file can be kept."""
    return "make a new pair: " + new_pair(ins)


def fix_in_place(ins: Inspection) -> str:
    """Point at --fix (which keeps a backup) for exactly the files being checked."""
    private = ins.private_name if ins.pair else None
    return f"`{quoting.keygen_verify(private, ins.public_name, ins.shell, '--fix')}`"


def layout_fix(ins: Inspection, *, mendable: bool = True) -> str:
    """A PEM layout defect (bare CR, text or spaces before BEGIN, joined lines, stray headers)."""
    if ins.role == "public" and not mendable:
        return regen_public(ins)
    if ins.role == "public":
        return (
            f"rewrite it with LF line ends and the BEGIN/END lines on their own: {fix_in_place(ins)} "
            "(keeps the original as a backup)"
        )
    return (
        "in an editor, keeping a copy of the original: save it as plain ASCII without a byte order mark, with LF "
        "line ends, each -----BEGIN and -----END line on a line of its own with nothing before it, no headers "
        "or blank lines inside; or " + regenerate(ins)
    )


def check_line(ins: Inspection, private: str) -> str:
    """The `keygen verify` that checks a converted private key (with its public key, when named)."""
    return quoting.keygen_verify(private, ins.public_name if ins.pair and ins.partner_ok else None, ins.shell)


def check_public_line(ins: Inspection, new: str) -> str:
    """The `keygen verify` for a public key written from the public key file alone."""
    return quoting.keygen_verify(ins.private_name if ins.pair and ins.partner_ok else None, new, ins.shell)


def unencrypted_copy(ins: Inspection) -> str:
    """How to write the key again without its passphrase, beside the original, never over it."""
    new = quoting.fresh_name(ins.private_name, ".unencrypted.pem")
    line = quoting.join(
        [f"{openssl(ins)} pkey -in {ins.q(ins.private_name)} -out {ins.q(new)}", check_line(ins, new)], ins.shell
    )
    return f"(it asks for the passphrase; the original stays as it is): `{line}`; then point the SDK at {new}"


def _swap_note(target: str, original: str) -> str:
    return f"; once that passes, use {target} (rename it to {original} only after keeping the old file elsewhere)"


def regen_public(ins: Inspection) -> str:
    """Write the public key again from the named private key, to a NEW file beside the old one."""
    if not ins.pair:
        # No private key was named: a command built on some privateKey.pem here could be another pair's.
        return (
            "write it again from its private key with the documented line (name both files to verify "
            "and keygen prints the exact command)"
        )
    public_name = ins.public_name
    if public_name.endswith(".pem.pub"):
        # ssh-keygen's side file: keep it for ssh-keygen, and write the documented file beside it.
        target = quoting.fresh_name(os.path.join(os.path.dirname(public_name), "publicKey.pub"), ".pub")
    else:
        target = quoting.fresh_name(public_name, ".new.pub")
    openssh = ins.private_form == "OPENSSH PRIVATE KEY"
    line = quoting.public_from_private(ins.private_name, target, ins.shell, openssh=openssh, pair=ins.partner_ok)
    how = (
        "with ssh-keygen (openssl cannot read the OpenSSH format)"
        if openssh
        else "with keygen (the document's openssl line, checked)" if ins.partner_ok else "with openssl"
    )
    return f"write the public key again from {ins.private_name}, {how}, beside the old file: `{line}`" + _swap_note(
        target, public_name
    )


def missing(ins: Inspection) -> str:
    """A file that is not there: a public key is written again from its private key (the one
    registered in Integration Central stays as it is), before any talk of a new pair."""
    openssh = ins.private_form == "OPENSSH PRIVATE KEY"
    if ins.role == "private" or not ins.pair or not (ins.partner_ok or openssh):
        return "check the path, or " + regenerate(ins)
    line = quoting.public_from_private(
        ins.private_name, ins.public_name, ins.shell, openssh=openssh, pair=ins.partner_ok
    )
    return (
        f"check the path, or write it from {ins.private_name} (the document's second line, checked): `{line}`; "
        f"only if {ins.private_name} is not the key you use, {regenerate(ins)}"
    )


def beside(ins: Inspection) -> str:
    """For a public key's encoding: the other way out, a new file written from the private key."""
    return f"; or {regen_public(ins)}" if ins.pair else ""


def utf16_public(ins: Inspection) -> str:
    return (
        "Windows PowerShell 5.1's `>` writes UTF-16: let keygen rewrite it as ASCII, keeping the original "
        f"in a backup: {fix_in_place(ins)}" + beside(ins)
    )


def pkcs1_to_pkcs8(ins: Inspection) -> str:
    copy = quoting.fresh_name(ins.private_name, ".pkcs8.pem")
    convert = f"{openssl(ins)} pkcs8 -topk8 -nocrypt -in {ins.q(ins.private_name)} -out {ins.q(copy)}"
    line = quoting.join([convert, check_line(ins, copy)], ins.shell)
    return f"convert a copy to PKCS#8, keeping the original: `{line}` (then point the SDK at {copy})"


def openssh_fix(ins: Inspection) -> str:
    copy = quoting.fresh_name(ins.private_name, ".pkcs8.pem")
    line = quoting.openssh_to_pkcs8(ins.private_name, copy, ins.shell, check_line(ins, copy))
    return f"`{line}` (the original stays as it is; then point the SDK at {copy}), or {regenerate(ins)}"


def openssh_to_pkcs8(ins: Inspection, *, encrypted: bool) -> str:
    """ssh-keygen rewrites a copy as PKCS#8 (OpenSSH 8.1 or later); openssl cannot read the format."""
    what = "unencrypted PKCS#8 (it asks for the passphrase; " if encrypted else "PKCS#8 ("
    return f"convert a copy to {what}OpenSSH 8.1 or later): " + openssh_fix(ins)


def from_rfc4716(ins: Inspection, new: str, check: str) -> str:
    middle = quoting.fresh_name(ins.shown, ".openssh.pub")
    steps = [
        quoting.to_file(f"{ssh_keygen(ins)} -i -f {ins.q(ins.shown)}", middle, ins.shell),
        quoting.to_file(f"{ssh_keygen(ins)} -e -m PKCS8 -f {ins.q(middle)}", new, ins.shell),
        check,
    ]
    return quoting.join(steps, ins.shell)


def from_ssh_line(ins: Inspection, new: str, check: str) -> str:
    src = ins.q(ins.shown)
    return quoting.join([quoting.to_file(f"{ssh_keygen(ins)} -e -m PKCS8 -f {src}", new, ins.shell), check], ins.shell)


def swapped(priv: Inspection, pub: Inspection) -> str:
    line = quoting.keygen_verify(pub.shown, priv.shown, priv.shell)
    return (
        f"the two files look swapped: `{line}` checks them the right way round; to give them the usual "
        "names, rename them by hand (a rename onto a name that exists would replace that file)"
    )


def rsa_pss_summary(alg: Algorithm) -> str:
    """Why an RSA-PSS restricted key fails, and what the SDKs can still do with it."""
    head = "an RSA-PSS restricted key (OID id-RSASSA-PSS, not rsaEncryption)"
    refused = alg.refuses()
    if refused:
        why = "; ".join(f"{name}: {reason}" for name, reason in refused.items())
        return f"{head}: the SDKs read the private key and cannot sign with it ({why})"
    return (
        f"{head}{'' if alg.restricted else ', without parameters'}: keygen is stricter than the SDKs here (they "
        "sign with it), because the "
        "documented commands make an rsaEncryption key and Integration Central, which reads the public key, is "
        "not documented to take an id-RSASSA-PSS one"
    )
