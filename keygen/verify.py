"""`keygen verify`: judge any key pair, wherever it came from, and say exactly how to fix it.

The library checks (keygen.checks, pyca/cryptography) give the verdict. Where openssl or ssh-keygen
is on PATH, they are asked the same questions as a second opinion, through `run.run` with paths
only: no key bytes ever go to a tool's stdin, and of a tool's stdout only public keys are kept.
`--fix` mends one thing that needs no judgment, a public key's encoding, and never a private key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from keygen import advice, checks, recipes, run
from keygen.errors import ExitCode, KeygenError, UsageError
from keygen.publish import Changed, replace_keeping_backup

#: Seconds each second-opinion command may take; they answer in milliseconds when healthy.
OPINION_TIMEOUT_S = 15.0
#: Variables that make ssh-keygen ask a GUI program for a passphrase instead of failing fast.


@dataclass(frozen=True)
class Options:
    private_key: Path | None = Path(recipes.PRIVATE_KEY)
    public_key: Path | None = Path(recipes.PUBLIC_KEY)
    fix: bool = False
    second_opinion: bool = True
    #: Which paths came from the defaults (so a missing default can point at --public-only).
    defaulted: tuple[str, ...] = ()


def resolve_targets(
    first: Path | None, second: Path | None, *, private_only: bool, public_only: bool
) -> tuple[Path | None, Path | None, tuple[str, ...]]:
    """Turn the command line into (private, public, defaulted roles).

    Both positionals are PRIVATE_KEY then PUBLIC_KEY. `--private-only` checks PRIVATE_KEY alone;
    `--public-only` checks one public key, named by the only positional given.
    """
    if private_only and public_only:
        raise UsageError("--private-only and --public-only exclude each other", "give one of them, or neither")
    if private_only:
        if second is not None:
            raise UsageError("--private-only takes one file", "keygen verify --private-only privateKey.pem")
        return (first or Path(recipes.PRIVATE_KEY)), None, (() if first else ("private",))
    if public_only:
        if second is not None:
            raise UsageError("--public-only takes one file", "keygen verify --public-only publicKey.pub")
        return None, (first or Path(recipes.PUBLIC_KEY)), (() if first else ("public",))
    defaulted = tuple(role for role, given in (("private", first), ("public", second)) if given is None)
    return first or Path(recipes.PRIVATE_KEY), second or Path(recipes.PUBLIC_KEY), defaulted


@dataclass(frozen=True)
class Opinion:
    """One question put to the system's openssl or ssh-keygen, beside the library's answer."""

    tool: str
    question: str
    #: The argv of each command asked (paths only; nothing secret).
    commands: tuple[tuple[str, ...], ...]
    #: pass or fail; "unknown" when the tool could not answer (refused, timed out).
    verdict: Literal["pass", "fail", "unknown"]
    detail: str
    library: Literal["pass", "fail"] | None
    agrees: bool | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "question": self.question,
            "commands": [list(c) for c in self.commands],
            "verdict": self.verdict,
            "detail": self.detail,
            "library": self.library,
            "agrees": self.agrees,
        }


@dataclass(frozen=True)
class Mend:
    path: str
    backup: str
    was: str
    now: str = "ASCII, LF line ends, no byte order mark"


@dataclass
class Outcome:
    options: Options
    report: checks.Report | None = None
    opinions: list[Opinion] = field(default_factory=list)
    fixed: list[Mend] = field(default_factory=list)
    #: Why --fix left something alone (a private key, a link, nothing to mend...).
    fix_notes: list[str] = field(default_factory=list)
    error: KeygenError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return int(self.error.code)
        return int(ExitCode.OK if self.report is not None and self.report.ok else ExitCode.CHECKS_FAILED)


def verify(options: Options, *, environ: Mapping[str, str] | None = None) -> Outcome:
    environ = os.environ if environ is None else environ
    outcome = Outcome(options)
    try:
        report = _check(options)
        if options.fix:
            report = _apply_fixes(options, report, outcome)
        outcome.report = report
        if options.second_opinion:
            outcome.opinions = second_opinion(report, environ)
            for op in outcome.opinions:
                if op.agrees is False:
                    report.checks.append(
                        checks.Check(
                            f"second_opinion.{op.tool}",
                            "warn",
                            f"{op.tool} and the library disagree on '{op.question}': {op.tool} says "
                            f"{op.verdict} ({op.detail}), the library says {op.library}",
                            "trust neither blindly: check the file with the SDK you use",
                        )
                    )
    except KeygenError as exc:
        outcome.error = exc
    return outcome


def _check(options: Options) -> checks.Report:
    report = checks.check_pair(options.private_key, options.public_key, strict=False)
    if options.defaulted:
        report.checks[:] = [_point_at_single(c, options) for c in report.checks]
    return report


def _point_at_single(check: checks.Check, options: Options) -> checks.Check:
    """A default file that is missing often means only one file was meant: say how to check it alone."""
    if check.name not in ("private_key.file", "public_key.file") or "does not exist" not in check.summary:
        return check
    role = check.name.split("_", 1)[0]
    if role not in options.defaulted:
        return check
    other = "public" if role == "private" else "private"
    other_path = options.public_key if other == "public" else options.private_key
    if other_path is None or not os.path.lexists(other_path):
        return check
    line = advice.keygen_verify(
        str(other_path) if other == "private" else None,
        str(other_path) if other == "public" else None,
        advice.current_shell(),
    )
    hint = f"to check the {other} key alone: `{line}`"
    return checks.Check(check.name, check.status, check.summary, f"{check.fix}; {hint}")


# --- --fix -------------------------------------------------------------------------------------


def _apply_fixes(options: Options, report: checks.Report, outcome: Outcome) -> checks.Report:
    priv = report.private
    if priv is not None and any(
        c.status != "pass" and c.name in ("private_key.encoding", "private_key.format", "private_key.load")
        for c in priv.checks
    ):
        outcome.fix_notes.append("the private key is never rewritten: run the command its fix names")
    pub = report.public
    if pub is None:
        return report
    result = mend_public(pub)
    if isinstance(result, Mend):
        outcome.fixed.append(result)
        return _check(options)  # judge the file as it now is
    if result:
        outcome.fix_notes.append(result)
    return report


def _describe_encoding(ins: checks.Inspection) -> str:
    parts = [(ins.encoding or "?").upper()]
    if ins.bom:
        parts.append("byte order mark")
    if ins.line_ends == "mixed":
        parts.append("mixed line ends")
    return ", ".join(parts)


def mend_public(ins: checks.Inspection) -> Mend | str:
    """Rewrite a public key's encoding as plain ASCII; return the Mend, or why nothing was done ("" = fine).

    A consistent line-end style is kept as it is (CRLF is what openssl writes on Windows); only
    mixed line ends are made LF.
    """
    if ins.data is None or ins.text is None:
        return f"{ins.path} was not rewritten: it could not be read as text"
    needs = ins.bom or ins.line_ends == "mixed" or (ins.encoding or "").startswith("utf-16")
    if not needs:
        return ""
    if ins.encoding not in ("ascii", "utf-16-le", "utf-16-be"):
        return f"{ins.path} was not rewritten: its encoding cannot be mended without judgment"
    if ins.form is not None and "PRIVATE KEY" in ins.form:
        return f"{ins.path} was not rewritten: it holds a private key, and private keys are never rewritten"
    if ins.is_link:
        return f"{ins.path} was not rewritten: it is a symbolic link (followed for reading only); fix its target"
    try:
        text = ins.text.replace("\n", "\r\n") if ins.line_ends == "crlf" else ins.text
        new = text.encode("ascii")
    except UnicodeEncodeError:
        return f"{ins.path} was not rewritten: it holds characters ASCII cannot carry"
    try:
        backup = replace_keeping_backup(Path(ins.path), ins.data, new, checks.MAX_KEY_FILE)
    except Changed as exc:
        return f"{ins.path} was not rewritten: {exc}"
    except OSError as exc:
        return f"{ins.path} was not rewritten ({exc.strerror or exc}); nothing was changed"
    return Mend(ins.path, str(backup), _describe_encoding(ins))


# --- second opinion ----------------------------------------------------------------------------


Verdict = Literal["pass", "fail", "unknown"]
Judgement = tuple[Verdict, str]


#: Forms openssl reads as PEM keys (its second opinion is asked whether it reads the file).
_PEM_FORMS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "PUBLIC KEY", "RSA PUBLIC KEY")


def _library_reads(ins: checks.Inspection | None) -> Literal["pass", "fail"] | None:
    """The library's prediction for "openssl reads this file": a plain PEM key it could load itself."""
    if ins is None or ins.data is None:
        return None
    if any(c.status == "fail" and c.name.endswith(".encoding") for c in ins.checks):
        return "fail"
    return "pass" if ins.key is not None and ins.form in _PEM_FORMS else "fail"


def _pair_verdict(report: checks.Report) -> Literal["pass", "fail"] | None:
    pair = next((c for c in report.checks if c.name == "pair.match"), None)
    if pair is None or pair.status == "warn":
        return None
    return "pass" if pair.status == "pass" else "fail"


def _first_error(done: run.Completed | None) -> str:
    if done is None:
        return "could not be started"
    if done.timed_out:
        return f"no answer within {OPINION_TIMEOUT_S:g} s"
    lines = run.trim_stderr(done.stderr, 400).splitlines()
    return (lines[0] if lines else f"exit {done.returncode}")[:200]


def _opinion(
    tool: str,
    question: str,
    commands: tuple[tuple[str, ...], ...],
    judged: Judgement,
    library: Literal["pass", "fail"] | None,
) -> Opinion:
    verdict, detail = judged
    agrees = None if verdict == "unknown" or library is None else verdict == library
    return Opinion(tool, question, commands, verdict, detail, library, agrees)


def _spki_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _judge_pem_out(done: run.Completed | None, what: str) -> Judgement:
    if done is None or done.timed_out:
        return "unknown", _first_error(done)
    if done.ok and done.stdout.startswith(b"-----BEGIN PUBLIC KEY-----"):
        return "pass", f"reads the {what}"
    return "fail", f"cannot read it: {_first_error(done)}"


def _judge_rsa_check(done: run.Completed | None) -> Judgement:
    if done is None or done.timed_out:
        return "unknown", _first_error(done)
    if done.ok and b"RSA key ok" in done.stdout:
        return "pass", "RSA key ok"
    return "fail", _first_error(done)


def _judge_ssh_pair(from_priv: run.Completed | None, from_pub: run.Completed | None) -> Judgement:
    if from_priv is None or not from_priv.ok:
        why = _first_error(from_priv)
        if from_priv is not None and b"UNPROTECTED PRIVATE KEY FILE" in from_priv.stderr:
            why = "ssh-keygen refuses a private key that other users can read (chmod 600 it)"
        return "unknown", f"cannot read the private key: {why}"
    if from_pub is None or not from_pub.ok:
        return "unknown", f"cannot read the public key as PKCS8: {_first_error(from_pub)}"
    if from_priv.stdout.split()[:2] == from_pub.stdout.split()[:2]:
        return "pass", "`-y` on the private key and `-i -m PKCS8` on the public key give the same key"
    return "fail", "`-y` on the private key and `-i -m PKCS8` on the public key give different keys"


def second_opinion(report: checks.Report, environ: Mapping[str, str]) -> list[Opinion]:
    """Ask the system's tools the library's questions about the files the library could read."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    opinions: list[Opinion] = []
    priv, pub = report.private, report.public
    # Only files the library read safely are handed over: a FIFO or a huge file could hang a tool.
    priv_path = os.path.abspath(priv.path) if priv is not None and priv.data is not None else None
    pub_path = os.path.abspath(pub.path) if pub is not None and pub.data is not None else None
    lib_priv = priv.key if priv is not None and isinstance(priv.key, rsa.RSAPrivateKey) else None
    env = {k: v for k, v in environ.items() if k not in recipes.SSH_ASKPASS_VARS}
    cwd = os.getcwd()

    openssl = run.which("openssl", path=environ.get("PATH"))
    derived = public_seen = None
    if openssl and priv_path:
        # `-passin pass:` answers a passphrase prompt with nothing: an encrypted key fails at once.
        argv: tuple[str, ...] = ("openssl", "pkey", "-in", priv_path, "-pubout", "-passin", "pass:")
        done = _run(argv, openssl, cwd, env)
        judged = _judge_pem_out(done, "private key")
        if judged[0] == "pass" and done is not None:
            derived = done.stdout
            if lib_priv is not None and _spki_pem(lib_priv.public_key()) != derived:
                judged = ("fail", "reads it, but derives another public key than the library does")
        opinions.append(_opinion("openssl", "reads the private key", (argv,), judged, _library_reads(priv)))
        if derived is not None:
            argv = ("openssl", "rsa", "-in", priv_path, "-check", "-noout", "-passin", "pass:")
            library: Literal["pass", "fail"] = (
                "pass" if lib_priv is not None and _library_reads(priv) == "pass" else "fail"
            )
            judged = _judge_rsa_check(_run(argv, openssl, cwd, env))
            opinions.append(_opinion("openssl", "a consistent RSA private key", (argv,), judged, library))
    if openssl and pub_path:
        argv = ("openssl", "pkey", "-pubin", "-in", pub_path, "-pubout")
        done = _run(argv, openssl, cwd, env)
        judged = _judge_pem_out(done, "public key")
        if judged[0] == "pass" and done is not None:
            public_seen = done.stdout
        opinions.append(_opinion("openssl", "reads the public key", (argv,), judged, _library_reads(pub)))
    if derived is not None and public_seen is not None:
        judged = (
            ("pass", "the public key it derives from the private key is the public key file's")
            if derived == public_seen
            else ("fail", "the public key it derives from the private key is not the public key file's")
        )
        opinions.append(_opinion("openssl", "the pair matches", (), judged, _pair_verdict(report)))

    ssh_keygen = run.which("ssh-keygen", path=environ.get("PATH"))
    if ssh_keygen and priv_path and pub_path:
        argv_priv = ("ssh-keygen", "-y", "-P", "", "-f", priv_path)
        argv_pub = ("ssh-keygen", "-i", "-m", "PKCS8", "-f", pub_path)
        from_priv = _run(argv_priv, ssh_keygen, cwd, env)
        from_pub = _run(argv_pub, ssh_keygen, cwd, env) if from_priv is not None and from_priv.ok else None
        judged = _judge_ssh_pair(from_priv, from_pub)
        opinions.append(
            _opinion("ssh-keygen", "the pair matches", (argv_priv, argv_pub), judged, _pair_verdict(report))
        )
    return opinions


def _run(argv: tuple[str, ...], executable: str, cwd: str, env: Mapping[str, str]) -> run.Completed | None:
    try:
        return run.run(argv, executable=executable, cwd=cwd, timeout=OPINION_TIMEOUT_S, env=env, stdin_data=None)
    except OSError:
        return None


# --- rendering ---------------------------------------------------------------------------------


def as_json(outcome: Outcome) -> dict[str, Any]:
    o, r = outcome.options, outcome.report
    return {
        "command": "verify",
        "ok": outcome.exit_code == 0,
        "exit_code": outcome.exit_code,
        "private_key": str(o.private_key) if o.private_key else None,
        "public_key": str(o.public_key) if o.public_key else None,
        "checks": [c.as_dict() for c in r.checks] if r else [],
        "summary": _counts(r) if r else None,
        "fingerprint": r.fingerprint if r else None,
        "second_opinion": [op.as_dict() for op in outcome.opinions],
        "fixed": [vars(m) for m in outcome.fixed],
        "fix_notes": outcome.fix_notes,
        "error": outcome.error.as_dict() if outcome.error else None,
    }


def _counts(report: checks.Report) -> dict[str, int]:
    return {s: sum(c.status == s for c in report.checks) for s in ("pass", "warn", "fail")}


def _opinion_lines(opinions: list[Opinion]) -> list[str]:
    import shlex

    lines = ["Second opinion (the system's tools, beside the library):"]
    for op in opinions:
        agreement = {True: "agrees", False: "DISAGREES", None: "no comparison"}[op.agrees]
        library = f"library: {op.library}" if op.library else "library: -"
        lines.append(f"  {op.tool}: {op.question}: {op.verdict} ({op.detail}); {library}; {agreement}")
        if op.commands:
            lines.append("     ran: " + " && ".join(shlex.join(c) for c in op.commands))
    return lines


def render_text(outcome: Outcome) -> str:
    from keygen.report import check_lines

    o, r = outcome.options, outcome.report
    lines: list[str] = []
    if r is None:
        return ""
    for mend in outcome.fixed:
        lines.append(f"Fixed {mend.path}: was {mend.was}, now {mend.now}; the original is kept as {mend.backup}")
    for note in outcome.fix_notes:
        lines.append(f"Not fixed: {note}")
    checked = " and ".join(str(p) for p in (o.private_key, o.public_key) if p)
    lines.append(f"Checked {checked}:")
    lines += check_lines(r.checks)
    if r.fingerprint:
        lines.append(f"Public key fingerprint: {r.fingerprint}")
    if outcome.opinions:
        lines += _opinion_lines(outcome.opinions)
    counts = _counts(r)
    lines.append(f"Result: {counts['pass']} passed, {counts['warn']} warnings, {counts['fail']} failed.")
    if r.ok:
        what = "pair" if o.private_key and o.public_key else ("private key" if o.private_key else "public key")
        tail = " (see the warnings)" if counts["warn"] else ""
        lines.append(f"The {what} is ready for Amazon Pay{tail}.")
    else:
        lines.append("Not ready for Amazon Pay: apply the fixes above, then run keygen verify again.")
    return "\n".join(lines)
