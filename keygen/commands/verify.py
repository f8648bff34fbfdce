"""`keygen verify`: judge any key pair, wherever it came from, and say exactly how to fix it.

The library checks (keygen.keys.checks, pyca/cryptography) give the verdict; where openssl or
ssh-keygen is on PATH they give a second opinion (keygen.keys.opinion). `--fix` mends one thing that
needs no judgment, a public key's encoding, with publish's atomic replace-with-backup, and never
touches a private key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from keygen import recipes
from keygen.errors import DirUnusable, ExitCode, KeygenError, UsageError
from keygen.keys import assessment, checks, keyfile
from keygen.keys.inspection import Inspection
from keygen.keys.keyfile import MAX_KEY_FILE
from keygen.keys.opinion import Answers, Opinion, second_opinion
from keygen.keys.reading import layout
from keygen.outdir.publish import (
    Changed,
    replace_keeping_backup,
)
from keygen.recipes import quoting
from keygen.result import Failure, Result


@dataclass(frozen=True)
class Options:
    private_key: Path | None = Path(recipes.PRIVATE_KEY)
    public_key: Path | None = Path(recipes.PUBLIC_KEY)
    fix: bool = False
    second_opinion: bool = True
    #: Which paths came from the defaults (so a missing default can point at --public-only).
    defaulted: tuple[str, ...] = ()


#: Each role's default file: the one the documented commands write.
_DEFAULT_FILE = {"private": recipes.PRIVATE_KEY, "public": recipes.PUBLIC_KEY}

_T = TypeVar("_T")


def _in_place(role: str, value: _T) -> tuple[_T | None, _T | None]:
    """(private, public) with `value` in its role's place and nothing in the other."""
    return (value, None) if role == "private" else (None, value)


def _or_default(path: Path | None, role: str) -> tuple[Path, tuple[str, ...]]:
    """The path given, else the role's default file, with the role when it was defaulted."""
    if path is None:
        return Path(_DEFAULT_FILE[role]), (role,)
    return path, ()


def _single(first: Path | None, second: Path | None, role: str) -> tuple[Path | None, Path | None, tuple[str, ...]]:
    """`--private-only` / `--public-only`: one file, named by the only positional given."""
    if second is not None:
        raise UsageError(f"--{role}-only takes one file", f"keygen verify --{role}-only {_DEFAULT_FILE[role]}")
    path, defaulted = _or_default(first, role)
    return (*_in_place(role, path), defaulted)


def resolve_targets(
    first: Path | None, second: Path | None, *, private_only: bool, public_only: bool
) -> tuple[Path | None, Path | None, tuple[str, ...]]:
    """Turn the command line into (private, public, defaulted roles).

    Both positionals are PRIVATE_KEY then PUBLIC_KEY. `--private-only` checks PRIVATE_KEY alone;
    `--public-only` checks one public key, named by the only positional given.
    """
    if private_only and public_only:
        raise UsageError("--private-only and --public-only exclude each other", "give one of them, or neither")
    if private_only or public_only:
        return _single(first, second, "private" if private_only else "public")
    private, private_defaulted = _or_default(first, "private")
    public, public_defaulted = _or_default(second, "public")
    return private, public, private_defaulted + public_defaulted


@dataclass(frozen=True)
class Mend:
    path: str
    backup: str
    was: str
    now: str = "ASCII, LF line ends, no byte order mark"


@dataclass
class Outcome(Result):
    command: ClassVar[str] = "verify"
    options: Options
    report: checks.Report | None = None
    opinions: list[Opinion] = field(default_factory=list)
    fixed: list[Mend] = field(default_factory=list)
    #: Why --fix left something alone (a private key, a link, nothing to mend...).
    fix_notes: list[str] = field(default_factory=list)
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)

    def status_code(self) -> int:
        return int(ExitCode.OK if self.report is not None and self.report.ok else ExitCode.CHECKS_FAILED)

    def counts(self) -> dict[str, int]:
        checks_ = self.report.checks if self.report else []
        return {s: sum(c.status == s for c in checks_) for s in ("pass", "warn", "fail")}

    def facts(self) -> dict[str, Any]:
        o = self.options
        return {
            "private_key": _str(o.private_key),
            "public_key": _str(o.public_key),
            **self._report_facts(),
            "second_opinion": [op.as_dict() for op in self.opinions],
            "fixed": [vars(m) for m in self.fixed],
            "fix_notes": self.fix_notes,
        }

    def _report_facts(self) -> dict[str, Any]:
        """The library's findings; none when verify stopped before it could look."""
        r = self.report
        if r is None:
            return {"checks": [], "summary": None, "fingerprint": None, "fingerprint_hex": None}
        return {
            "checks": [c.as_dict() for c in r.checks],
            "summary": self.counts(),
            "fingerprint": r.fingerprint,
            "fingerprint_hex": r.fingerprint_hex,
        }


def command(
    private_key: Path | None = None,
    public_key: Path | None = None,
    *,
    private_only: bool = False,
    public_only: bool = False,
    fix: bool = False,
    second_opinion: bool = True,
) -> Result:
    """`keygen verify` once Typer parsed its command line; the defaults are the CLI's."""
    try:
        priv, pub, defaulted = resolve_targets(
            private_key, public_key, private_only=private_only, public_only=public_only
        )
    except KeygenError as exc:
        return Failure(Outcome.command, exc)
    return verify(Options(priv, pub, fix=fix, second_opinion=second_opinion, defaulted=defaulted))


def verify(options: Options, *, environ: Mapping[str, str] | None = None) -> Outcome:
    environ = os.environ if environ is None else environ
    outcome = Outcome(options)
    # The tools' answers are on their way while the library looks (not with --fix: it changes a file).
    early = Answers(_str(options.private_key), _str(options.public_key), environ) if _asks_early(options) else None
    try:
        _judge(outcome, environ, early)
    except KeygenError as exc:
        outcome.error = exc
    finally:
        if early is not None:
            early.close()
    return outcome


def _judge(outcome: Outcome, environ: Mapping[str, str], early: Answers | None) -> None:
    """The library's findings, the files --fix mends, then the tools' second opinion (where openssl
    disagrees with keygen's reading, a failure)."""
    options = outcome.options
    # The findings are kept even when --fix then fails (exit 6): the user sees both.
    report = outcome.report = _check(options)
    if options.fix:
        report = outcome.report = _apply_fixes(options, report, outcome)
    if options.second_opinion:
        outcome.opinions = second_opinion(report, environ, early)
        report.checks += [_disagreement(op) for op in outcome.opinions if op.agrees is False]


def _asks_early(options: Options) -> bool:
    return options.second_opinion and not options.fix


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _disagreement(op: Opinion) -> checks.Check:
    """openssl is the reader the Node, PHP and Ruby SDKs use: where it and keygen's reading disagree,
    the pair is not ready (a failure with both answers). ssh-keygen reads no key for an SDK (Git for
    Windows' own build even fails on CRLF keys): its disagreement stays a warning."""
    if op.tool == "openssl" and op.library == "fail":
        # keygen's reading is the stricter one: its own finding already fails, with the reason.
        return checks.Check(
            "second_opinion.openssl",
            "warn",
            f"keygen's reading is stricter than openssl's on '{op.question}' (openssl says {op.verdict}: "
            f"{op.detail}); the reason is keygen's own failed check above, which another SDK's reader shares",
            "mend what that check names",
        )
    if op.tool == "openssl":
        return checks.Check(
            "second_opinion.openssl",
            "fail",
            f"openssl (the Node, PHP and Ruby SDKs' reader) and keygen's reading disagree on '{op.question}': "
            f"openssl says {op.verdict} ({op.detail}), keygen's reading says {op.library}; not ready while they do",
            f"make a new pair: `{quoting.new_pair(quoting.current_shell())}` (the documented commands, in a "
            "new directory)",
        )
    return checks.Check(
        f"second_opinion.{op.tool}",
        "warn",
        f"{op.tool} and the library disagree on '{op.question}': {op.tool} says "
        f"{op.verdict} ({op.detail}), the library says {op.library}",
        "trust neither blindly: check the file with the SDK you use",
    )


def _check(options: Options) -> checks.Report:
    report = checks.check_pair(options.private_key, options.public_key, strict=False)
    if options.defaulted:
        report.checks[:] = [_point_at_single(c, options) for c in report.checks]
    return report


def _point_at_single(check: checks.Check, options: Options) -> checks.Check:
    """A default file that is missing often means only one file was meant: say how to check it alone."""
    role = _missing_default(check, options)
    if role is None:
        return check
    other, other_path = ("public", options.public_key) if role == "private" else ("private", options.private_key)
    if other_path is None or not os.path.lexists(other_path):
        return check
    line = quoting.keygen_verify(*_in_place(other, str(other_path)), quoting.current_shell())
    hint = f"to check the {other} key alone: `{line}`"
    return checks.Check(check.name, check.status, check.summary, f"{check.fix}; {hint}")


def _missing_default(check: checks.Check, options: Options) -> str | None:
    """The role of a file the check finds missing, when it was the default one (not named)."""
    if check.name not in ("private_key.file", "public_key.file") or "does not exist" not in check.summary:
        return None
    role = check.name.split("_", 1)[0]
    return role if role in options.defaulted else None


# --- --fix -------------------------------------------------------------------------------------


#: The private key's findings that only the user's own command fixes.
_PRIVATE_KEY_FIXES = ("private_key.encoding", "private_key.format", "private_key.load")


def _private_key_needs_fixing(priv: Inspection | None) -> bool:
    return priv is not None and any(c.status != "pass" and c.name in _PRIVATE_KEY_FIXES for c in priv.checks)


def _apply_fixes(options: Options, report: checks.Report, outcome: Outcome) -> checks.Report:
    if _private_key_needs_fixing(report.private):
        outcome.fix_notes.append("the private key is never rewritten: run the command its fix names")
    pub = report.public
    if pub is None:
        return report
    result = mend_public(pub)
    if isinstance(result, Mend):
        # "Fixed" only once the file as it now is passes what --fix claims to mend.
        report = _check(options)
        rechecked = report.public
        assert rechecked is not None
        still = [c.summary for c in rechecked.checks if c.status != "pass" and c.name in _MENDED]
        if still:
            outcome.fix_notes.append(f"{pub.path} was rewritten, but still fails: {'; '.join(still)}")
        else:
            outcome.fixed.append(replace(result, now=_describe_now(rechecked)))
        return report
    if result:
        outcome.fix_notes.append(result)
    return report


def _describe_now(ins: Inspection) -> str:
    style = keyfile.LINE_END_NAMES.get(ins.line_ends or "lf", "LF")
    return f"ASCII, {style} line ends, no byte order mark, BEGIN and END on lines of their own"


def _describe_encoding(ins: Inspection) -> str:
    parts = [(ins.encoding or "?").upper()]
    if ins.bom:
        parts.append("byte order mark")
    if ins.line_ends == "mixed":
        parts.append("mixed line ends")
    parts += [c.summary.split(": openssl (")[0] for c in ins.checks if c.name == "public_key.layout"]
    return ", ".join(parts)


def _why_not_mended(ins: Inspection) -> str | None:
    """Why a public key's encoding is left alone ("" = nothing to mend; None = mend it)."""
    if ins.data is None or ins.text is None:
        return "it could not be read as text"
    if not _mendable_flaw(ins):
        return ""
    return _why_left_alone(ins, ins.text)


def _mendable_flaw(ins: Inspection) -> bool:
    """What --fix rewrites: a byte order mark, mixed line ends, UTF-16, a PEM layout defect."""
    return (
        ins.bom
        or ins.line_ends == "mixed"
        or (ins.encoding or "").startswith("utf-16")
        or any(c.name == "public_key.layout" and c.status == "fail" for c in ins.checks)
    )


def _why_left_alone(ins: Inspection, text: str) -> str | None:
    """What keeps --fix from rewriting a flawed encoding (None: nothing, rewrite it)."""
    if ins.encoding not in ("ascii", "utf-16-le", "utf-16-be"):
        return "its encoding cannot be mended without judgment"
    if "PRIVATE KEY" in (ins.form or ""):
        return "it holds a private key, and private keys are never rewritten"
    if ins.is_link:
        return "it is a symbolic link (followed for reading only); fix its target"
    if not text.isascii():
        return "it holds characters ASCII cannot carry"
    if layout.has_headers(text):
        return "it holds headers inside its PEM block (not a line-end or white-space defect): make it again"
    return None


def mend_public(ins: Inspection) -> Mend | str:
    """Rewrite a public key's encoding as plain ASCII; return the Mend, or why nothing was done ("" = fine)."""
    why = _why_not_mended(ins)
    if why is not None:
        return f"{ins.path} was not rewritten: {why}" if why else ""
    new = _mended_bytes(ins)
    still = _still_failing(ins, new)
    if still:
        return f"{ins.path} was not rewritten: mended, it would still fail ({still})"
    try:
        backup = _rewrite(ins, new)
    except Changed as exc:
        return f"{ins.path} was not rewritten: {exc}"
    return Mend(ins.path, str(backup), _describe_encoding(ins))


def _mended_bytes(ins: Inspection) -> bytes:
    """The text with its encoding and layout mended. A consistent line-end style is kept as it is
    (CRLF is what openssl writes on Windows); mixed line ends, bare CRs and LF CRs become LF."""
    assert ins.data is not None and ins.text is not None
    data = ins.data.removeprefix(b"\xef\xbb\xbf") if ins.encoding == "ascii" else ins.data
    raw = data.decode(ins.encoding or "ascii").lstrip("\ufeff")
    return layout.mended(raw, "\r\n" if ins.line_ends == "crlf" else "\n").encode("ascii")


#: The findings --fix claims to mend: the rewritten file must pass every one of them.
_MENDED = ("public_key.encoding", "public_key.layout", "public_key.load")


def _still_failing(ins: Inspection, new: bytes) -> str:
    """The mended bytes judged as verify judges a file (before anything is written): what still fails."""
    probe = Inspection("public", ins.path, shown=ins.shown, data=new)
    keyfile.decode(probe, strict=False)
    assessment.check_public(probe, strict=False)
    return "; ".join(c.summary for c in probe.checks if c.status != "pass" and c.name in _MENDED)


def _rewrite(ins: Inspection, new: bytes) -> Path:
    """The file replaced by `new`, the original kept as a backup; the backup's path."""
    assert ins.data is not None
    try:
        return replace_keeping_backup(Path(ins.path), ins.data, new, limit=MAX_KEY_FILE)
    except OSError as exc:
        # Asked to fix and could not write (a read-only directory, another user's file): exit 6.
        folder = os.path.dirname(os.path.abspath(ins.path))
        raise DirUnusable(
            f"cannot fix {ins.path}: {exc.strerror or exc}; nothing was changed",
            f"--fix writes a backup and a new file beside it: make {folder} writable for you, "
            "or copy the file somewhere you can write and fix the copy",
        ) from None
