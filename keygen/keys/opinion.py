"""The second opinion: the system's openssl and ssh-keygen asked what the library decided.

Through `run.run` with paths only: no key bytes ever go to a tool's stdin, and of a tool's stdout
only public keys are kept. A tool that cannot answer (refused, timed out) is "unknown", never a
verdict; where openssl disagrees with the library, verify fails (ssh-keygen's disagreement is a warning).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from cryptography.hazmat.primitives.asymmetric import rsa

from keygen import recipes
from keygen.host import ToolInfo, probe_openssl, probe_ssh_keygen
from keygen.keys.formats import spki_pem
from keygen.keys.keyfile import MAX_KEY_FILE
from keygen.proc import run
from keygen.proc.parallel import Background, all_of

if TYPE_CHECKING:
    from keygen.keys import checks

#: Seconds each second-opinion command may take; they answer in milliseconds when healthy.
OPINION_TIMEOUT_S = 15.0


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
    #: Which program answered: its path, flavour and version (LibreSSL 3.3.6 on a Mac, OpenSSL 3...).
    answered_by: ToolInfo | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "question": self.question,
            "commands": [list(c) for c in self.commands],
            "verdict": self.verdict,
            "detail": self.detail,
            "library": self.library,
            "agrees": self.agrees,
            "answered_by": identity_dict(self.answered_by),
        }


def identity_dict(tool: ToolInfo | None) -> dict[str, Any] | None:
    """A tool as the second opinion's JSON names it."""
    if tool is None:
        return None
    number = ".".join(map(str, tool.version)) if tool.version else None
    return {"path": tool.path, "flavor": tool.flavor, "version": number, "version_text": tool.version_text}


Identities = dict[str, ToolInfo]


def _identify(tools: tuple[str | None, str | None], cwd: str) -> Identities:
    """Each tool's path, flavour and version, asked side by side (`openssl version`, `ssh -V`)."""
    openssl, ssh_keygen = tools
    asked = ((probe_openssl, openssl), (probe_ssh_keygen, ssh_keygen))
    jobs = [partial(probe, path, cwd) for probe, path in asked if path]
    return {info.name: info for info in all_of(jobs)}


def _asked(tools: tuple[str | None, str | None], priv: str | None, pub: str | None) -> tuple[str | None, str | None]:
    """The tools that will be asked anything about these files (only those are identified)."""
    openssl, ssh_keygen = tools
    return (openssl if priv or pub else None), (ssh_keygen if priv and pub else None)


def _named(opinions: list[Opinion], identities: Identities) -> list[Opinion]:
    return [replace(op, answered_by=identities.get(op.tool)) for op in opinions]


Verdict = Literal["pass", "fail", "unknown"]
Judgement = tuple[Verdict, str]


#: Forms openssl reads as PEM keys (its second opinion is asked whether it reads the file).
_PEM_FORMS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "PUBLIC KEY", "RSA PUBLIC KEY")


def _library_reads(ins: checks.Inspection | None) -> Literal["pass", "fail"] | None:
    """The library's prediction for "openssl reads this file": a plain PEM key it could load itself."""
    if ins is None or ins.data is None:
        return None
    loads = ins.key is not None and ins.form in _PEM_FORMS and not _encoding_failed(ins)
    return "pass" if loads else "fail"


def _encoding_failed(ins: checks.Inspection) -> bool:
    return any(c.status == "fail" and c.name.endswith((".encoding", ".layout")) for c in ins.checks)


#: What the library's own check of the pair predicts (a warning predicts nothing).
_PAIR_VERDICTS: dict[str, Literal["pass", "fail"]] = {"pass": "pass", "fail": "fail"}


def _pair_verdict(report: checks.Report) -> Literal["pass", "fail"] | None:
    pair = [c.status for c in report.checks if c.name == "pair.match"]
    return _PAIR_VERDICTS.get(pair[0]) if pair else None


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


def _judge_answer(done: run.Completed | None, passed: Callable[[bytes], bool], yes: str, no: str) -> Judgement:
    """The verdict on one answer: unknown when the tool could not answer (not started, timed out),
    pass when it succeeded and its output shows `passed`, else fail with its first error after `no`."""
    if done is None or done.timed_out:
        return "unknown", _first_error(done)
    if done.ok and passed(done.stdout):
        return "pass", yes
    return "fail", no + _first_error(done)


def _judge_pem_out(done: run.Completed | None, what: str) -> Judgement:
    return _judge_answer(
        done, lambda out: out.startswith(b"-----BEGIN PUBLIC KEY-----"), f"reads the {what}", "cannot read it: "
    )


def _judge_rsa_check(done: run.Completed | None) -> Judgement:
    return _judge_answer(done, lambda out: b"RSA key ok" in out, "RSA key ok", "")


def _public_pem(done: run.Completed | None, judged: Judgement) -> bytes | None:
    """The public key openssl wrote, when it read the file (what the pair's question compares), with
    LF line ends: openssl.exe on Windows writes PEM to standard output in text mode (CRLF), and the
    library's PEM, which it is held against, has LF."""
    return done.stdout.replace(b"\r\n", b"\n") if done is not None and judged[0] == "pass" else None


def _judge_ssh_pair(from_priv: run.Completed | None, from_pub: run.Completed | None) -> Judgement:
    if from_priv is None or not from_priv.ok:
        return "unknown", f"cannot read the private key: {_why_unread(from_priv)}"
    if from_pub is None or not from_pub.ok:
        return "unknown", f"cannot read the public key as PKCS8: {_first_error(from_pub)}"
    if from_priv.stdout.split()[:2] == from_pub.stdout.split()[:2]:
        return "pass", "`-y` on the private key and `-i -m PKCS8` on the public key give the same key"
    return "fail", "`-y` on the private key and `-i -m PKCS8` on the public key give different keys"


def _why_unread(from_priv: run.Completed | None) -> str:
    """Why ssh-keygen did not read the private key; its refusal of a key others can read, in plain words."""
    if from_priv is not None and b"UNPROTECTED PRIVATE KEY FILE" in from_priv.stderr:
        return "ssh-keygen refuses a private key that other users can read (chmod 600 it)"
    return _first_error(from_priv)


def _openssl_argvs(priv: str | None, pub: str | None) -> dict[str, tuple[str, ...]]:
    """The commands put to openssl (`-passin pass:` answers a passphrase prompt with nothing: an
    encrypted key fails at once)."""
    argvs: dict[str, tuple[str, ...]] = {}
    if priv:
        argvs["reads private"] = ("openssl", "pkey", "-in", priv, "-pubout", "-passin", "pass:")
        argvs["rsa check"] = ("openssl", "rsa", "-in", priv, "-check", "-noout", "-passin", "pass:")
    if pub:
        argvs["reads public"] = ("openssl", "pkey", "-pubin", "-in", pub, "-pubout")
    return argvs


def _ssh_keygen_argvs(priv: str | None, pub: str | None) -> dict[str, tuple[str, ...]]:
    """The commands put to ssh-keygen: both are about the pair, so there are none without both files."""
    if not (priv and pub):
        return {}
    return {"-y": ("ssh-keygen", "-y", "-P", "", "-f", priv), "-i": ("ssh-keygen", "-i", "-m", "PKCS8", "-f", pub)}


def _tool_env(environ: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k not in recipes.SSH_ASKPASS_VARS}


def _tools(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """openssl and ssh-keygen as found on the PATH they are run with (None: not there)."""
    path = environ.get("PATH")
    return run.which("openssl", path=path), run.which("ssh-keygen", path=path)


def _regular_key_size(path: str | None) -> str | None:
    """The absolute path of a regular file no bigger than a key file may be (what a tool may be
    handed before the library has read it: no FIFO, no device, nothing huge)."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_KEY_FILE:
        return None
    return os.path.abspath(path)


def _every_command(
    tools: tuple[str | None, str | None], priv: str | None, pub: str | None
) -> list[tuple[tuple[str, ...], str]]:
    """(argv, executable) of every question the tools on PATH can be asked about these files."""
    openssl, ssh_keygen = tools
    asked = ((openssl, _openssl_argvs(priv, pub)), (ssh_keygen, _ssh_keygen_argvs(priv, pub)))
    commands = [(argv, exe) for exe, argvs in asked if exe for argv in argvs.values()]
    # The RSA check takes longest: started first.
    return sorted(commands, key=lambda command: "-check" not in command[0])


class Answers:
    """Every command of the second opinion, started while verify's own checks run (the library's
    RSA validation and `openssl rsa -check` each take tens of milliseconds: side by side, not one
    after the other). Only regular files of key size are handed over; `second_opinion` then uses an
    answer only for a question it asks, about a file the library read safely. `close()` waits for
    any answer left unused."""

    def __init__(self, private_key: str | None, public_key: str | None, environ: Mapping[str, str]) -> None:
        self.priv = priv = _regular_key_size(private_key)
        self.pub = pub = _regular_key_size(public_key)
        env, cwd = _tool_env(environ), os.getcwd()
        self.identities = Background(partial(_identify, _asked(_tools(environ), priv, pub), cwd))
        self.answers: dict[tuple[tuple[str, ...], str], Background[run.Completed | None]] = {
            (argv, exe): Background(partial(_run, argv, exe, cwd, env))
            for argv, exe in _every_command(_tools(environ), priv, pub)
        }

    def take(self, argv: tuple[str, ...], executable: str) -> Background[run.Completed | None] | None:
        return self.answers.pop((argv, executable), None)

    def close(self) -> None:
        self.identities.result()
        for unused in self.answers.values():
            unused.result()
        self.answers.clear()


@dataclass
class _Ask:
    """What every question shares: the files, the tools, and where and how they run."""

    report: checks.Report
    priv_path: str | None
    pub_path: str | None
    env: Mapping[str, str]
    cwd: str
    opinions: list[Opinion]
    early: Answers | None = None

    def run(self, argv: tuple[str, ...], executable: str) -> run.Completed | None:
        started = self.early.take(argv, executable) if self.early is not None else None
        return started.result() if started is not None else _run(argv, executable, self.cwd, self.env)

    def add(
        self, tool: str, question: str, commands: tuple[tuple[str, ...], ...], judged: Judgement, library: Any
    ) -> None:
        self.opinions.append(_opinion(tool, question, commands, judged, library))


def _openssl_private(ask: _Ask, openssl: str) -> bytes | None:
    """Does openssl read the private key (and derive the library's public key), is it consistent?"""
    priv = ask.report.private
    assert priv is not None
    lib_priv = priv.key if isinstance(priv.key, rsa.RSAPrivateKey) else None
    derived = _reads_private(ask, openssl, lib_priv)
    if derived is not None:
        _consistent_rsa(ask, openssl, lib_priv)
    return derived


def _reads_private(ask: _Ask, openssl: str, lib_priv: rsa.RSAPrivateKey | None) -> bytes | None:
    """The public key openssl derives from the private key, held against the one the library derives."""
    argv = _openssl_argvs(ask.priv_path, None)["reads private"]
    done = ask.run(argv, openssl)
    judged = _judge_pem_out(done, "private key")
    derived = _public_pem(done, judged)
    if derived is not None and lib_priv is not None and spki_pem(lib_priv.public_key()) != derived:
        judged = ("fail", "reads it, but derives another public key than the library does")
    ask.add("openssl", "reads the private key", (argv,), judged, _library_reads(ask.report.private))
    return derived


def _consistent_rsa(ask: _Ask, openssl: str, lib_priv: rsa.RSAPrivateKey | None) -> None:
    argv = _openssl_argvs(ask.priv_path, None)["rsa check"]
    library = "pass" if lib_priv is not None and _library_reads(ask.report.private) == "pass" else "fail"
    ask.add("openssl", "a consistent RSA private key", (argv,), _judge_rsa_check(ask.run(argv, openssl)), library)


def _openssl_public(ask: _Ask, openssl: str) -> bytes | None:
    argv = _openssl_argvs(None, ask.pub_path)["reads public"]
    done = ask.run(argv, openssl)
    judged = _judge_pem_out(done, "public key")
    ask.add("openssl", "reads the public key", (argv,), judged, _library_reads(ask.report.public))
    return _public_pem(done, judged)


def _pair_matches(ask: _Ask, derived: bytes | None, public_seen: bytes | None) -> None:
    """openssl's own view of the pair, from its answers about each file."""
    if derived is not None and public_seen is not None:
        judged: Judgement = (
            ("pass", "the public key it derives from the private key is the public key file's")
            if derived == public_seen
            else ("fail", "the public key it derives from the private key is not the public key file's")
        )
        ask.add("openssl", "the pair matches", (), judged, _pair_verdict(ask.report))


def _ssh_keygen(ask: _Ask, ssh_keygen: str) -> bytes | None:
    argvs = _ssh_keygen_argvs(ask.priv_path, ask.pub_path)
    argv_priv, argv_pub = argvs["-y"], argvs["-i"]
    from_priv = ask.run(argv_priv, ssh_keygen)
    from_pub = ask.run(argv_pub, ssh_keygen) if from_priv is not None and from_priv.ok else None
    judged = _judge_ssh_pair(from_priv, from_pub)
    ask.add("ssh-keygen", "the pair matches", (argv_priv, argv_pub), judged, _pair_verdict(ask.report))
    return None


def _nothing() -> bytes | None:
    return None


def _line(
    questions: Callable[[_Ask, str], bytes | None], ask: _Ask, tool: str | None, *paths: str | None
) -> Callable[[], bytes | None]:
    """One line of questions, ready to ask; nothing to ask without its tool or a file it is about."""
    if not tool or not all(paths):
        return _nothing
    return partial(questions, ask, tool)


def _read_safely(ins: checks.Inspection | None) -> str | None:
    """The absolute path of a file the library read: a FIFO or a huge file could hang a tool."""
    return os.path.abspath(ins.path) if ins is not None and ins.data is not None else None


def second_opinion(report: checks.Report, environ: Mapping[str, str], early: Answers | None = None) -> list[Opinion]:
    """Ask the system's tools the library's questions about the files the library could read
    (with `early`, the answers already on their way are used)."""
    priv_path, pub_path = _read_safely(report.private), _read_safely(report.public)
    ask = _Ask(report, priv_path, pub_path, _tool_env(environ), os.getcwd(), [], early)
    openssl, ssh_keygen = _tools(environ)
    asked = _asked((openssl, ssh_keygen), priv_path, pub_path)
    identities = early.identities if early else Background(partial(_identify, asked, ask.cwd))
    # Three independent lines of questions, asked at once (each tool start is milliseconds of
    # waiting); each keeps its own answers, put back in the one order below.
    private, public, ssh = (replace(ask, opinions=[]) for _ in range(3))
    jobs = [
        _line(_openssl_private, private, openssl, priv_path),
        _line(_openssl_public, public, openssl, pub_path),
        _line(_ssh_keygen, ssh, ssh_keygen, priv_path, pub_path),
    ]
    try:
        derived, public_seen, _ = all_of(jobs)
    finally:
        named = identities.result()  # joined on every way out: nothing outlives the call
    ask.opinions += private.opinions + public.opinions
    _pair_matches(ask, derived, public_seen)
    ask.opinions += ssh.opinions
    return _named(ask.opinions, named) if ask.opinions else []


def _run(argv: tuple[str, ...], executable: str, cwd: str, env: Mapping[str, str]) -> run.Completed | None:
    try:
        return run.run(argv, executable=executable, cwd=cwd, timeout=OPINION_TIMEOUT_S, env=env, stdin_data=None)
    except OSError:
        return None
