"""Why a pair generate just made failed its checks, said for that run: nothing was kept, so the
checks' own fixes (which name the files) give way to running again, and a known cause (an old
ssh-keygen, a passphrase typed at ssh-keygen's prompt) is named with its way out.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from keygen.errors import ChecksFailed, KeygenError

if TYPE_CHECKING:
    from keygen.keys import checks
    from keygen.recipes.method import Choice


#: What ssh-keygen before 8.1 writes for `-m PKCS8` (FACTS.md), by PEM label.
_OLD_SSH_KEYGEN_FORMS = {
    "RSA PRIVATE KEY": "PKCS#1 (OpenSSH up to 7.7 ignores `-m PKCS8` for new keys)",
    "OPENSSH PRIVATE KEY": "the OpenSSH format (OpenSSH 7.8 to 8.0 ignore `-m PKCS8` for new keys)",
}


def _name_old_ssh_keygen(error: KeygenError, report: checks.Report, choice: Choice | None) -> None:
    """The checks say what the file is; with the ssh-keygen recipe, say why it is so and what to do."""
    if choice is None or choice.recipe.tool != "ssh-keygen":
        return
    written = _old_ssh_keygen_form(report.private)
    if written is None:
        return
    version = f" ({choice.tool.version_label})" if choice.tool.version else ""
    error.message += f"; cause: this ssh-keygen{version} wrote {written}"
    error.hint = (
        "use OpenSSH 8.1 or later, or the openssl lines (--method openssl; on Windows, Git Bash: "
        "--method git-bash); nothing was kept, so there is no key to convert"
    )


def _old_ssh_keygen_form(priv: checks.Inspection | None) -> str | None:
    """What an ssh-keygen before 8.1 wrote, if the private key is that (an encrypted one has another cause)."""
    if priv is None or "ENCRYPTED" in (priv.text or ""):
        return None
    return _OLD_SSH_KEYGEN_FORMS.get(priv.form or "")


def nothing_to_fix(report: checks.Report) -> checks.Report:
    """A failed check's fix would name a staged file that is removed, never published."""
    blank = "nothing was published, so there is nothing to fix: see the hint"
    fixed = [dataclasses.replace(c, fix=blank) if c.status == "fail" else c for c in report.checks]
    return dataclasses.replace(report, checks=fixed)


def _encrypted(report: checks.Report) -> bool:
    return any(c.name.startswith("private_key.") and "encrypted" in c.summary for c in report.failed)


def checks_failed(report: checks.Report, choice: Choice | None = None, *, interactive: bool = False) -> KeygenError:
    """The one error a failed check becomes: the first failure, how many more, its fix and the cause."""
    failed = report.failed
    first = failed[0]
    more = f" (and {len(failed) - 1} more failed check{'s' if len(failed) > 2 else ''})" if len(failed) > 1 else ""
    # The checks' own fixes name files that were never published: point at running again instead.
    error = ChecksFailed(
        f"the new key pair failed its checks, so nothing was published: {first.name}: {first.summary}{more}",
        "nothing was kept (the staged files are removed): run keygen generate again; if it fails the same way, "
        "keygen doctor shows what on this machine causes it",
    )
    _name_old_ssh_keygen(error, report, choice)
    if interactive and _encrypted(report):
        error.hint = (
            "a passphrase was typed at ssh-keygen's prompt, so the key is encrypted and the "
            "Amazon Pay SDKs cannot load it; run again and press Enter at both prompts, or "
            "without --interactive"
        )
    return error
