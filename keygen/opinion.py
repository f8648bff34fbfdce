"""The second opinion: the system's openssl and ssh-keygen asked what the library decided.

Through `run.run` with paths only: no key bytes ever go to a tool's stdin, and of a tool's stdout
only public keys are kept. A tool that cannot answer (refused, timed out) is "unknown", never a
verdict; a disagreement becomes a warning in verify, never a failure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from keygen import checks, recipes, run
from keygen.load import spki_pem

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


@dataclass
class _Ask:
    """What every question shares: the files, the tools, and where and how they run."""

    report: checks.Report
    priv_path: str | None
    pub_path: str | None
    env: Mapping[str, str]
    cwd: str
    opinions: list[Opinion]

    def run(self, argv: tuple[str, ...], executable: str) -> run.Completed | None:
        return _run(argv, executable, self.cwd, self.env)

    def add(
        self, tool: str, question: str, commands: tuple[tuple[str, ...], ...], judged: Judgement, library: Any
    ) -> None:
        self.opinions.append(_opinion(tool, question, commands, judged, library))


def _openssl_private(ask: _Ask, openssl: str) -> bytes | None:
    """Does openssl read the private key (and derive the library's public key), is it consistent?"""
    from cryptography.hazmat.primitives.asymmetric import rsa

    priv = ask.report.private
    assert ask.priv_path is not None and priv is not None
    lib_priv = priv.key if isinstance(priv.key, rsa.RSAPrivateKey) else None
    # `-passin pass:` answers a passphrase prompt with nothing: an encrypted key fails at once.
    argv: tuple[str, ...] = ("openssl", "pkey", "-in", ask.priv_path, "-pubout", "-passin", "pass:")
    done = ask.run(argv, openssl)
    judged = _judge_pem_out(done, "private key")
    derived = done.stdout if judged[0] == "pass" and done is not None else None
    if derived is not None and lib_priv is not None and spki_pem(lib_priv.public_key()) != derived:
        judged = ("fail", "reads it, but derives another public key than the library does")
    ask.add("openssl", "reads the private key", (argv,), judged, _library_reads(priv))
    if derived is not None:
        argv = ("openssl", "rsa", "-in", ask.priv_path, "-check", "-noout", "-passin", "pass:")
        library = "pass" if lib_priv is not None and _library_reads(priv) == "pass" else "fail"
        ask.add("openssl", "a consistent RSA private key", (argv,), _judge_rsa_check(ask.run(argv, openssl)), library)
    return derived


def _openssl_public(ask: _Ask, openssl: str) -> bytes | None:
    assert ask.pub_path is not None
    argv = ("openssl", "pkey", "-pubin", "-in", ask.pub_path, "-pubout")
    done = ask.run(argv, openssl)
    judged = _judge_pem_out(done, "public key")
    ask.add("openssl", "reads the public key", (argv,), judged, _library_reads(ask.report.public))
    return done.stdout if judged[0] == "pass" and done is not None else None


def _openssl(ask: _Ask, openssl: str) -> None:
    derived = _openssl_private(ask, openssl) if ask.priv_path else None
    public_seen = _openssl_public(ask, openssl) if ask.pub_path else None
    if derived is not None and public_seen is not None:
        judged: Judgement = (
            ("pass", "the public key it derives from the private key is the public key file's")
            if derived == public_seen
            else ("fail", "the public key it derives from the private key is not the public key file's")
        )
        ask.add("openssl", "the pair matches", (), judged, _pair_verdict(ask.report))


def _ssh_keygen(ask: _Ask, ssh_keygen: str) -> None:
    assert ask.priv_path is not None and ask.pub_path is not None
    argv_priv = ("ssh-keygen", "-y", "-P", "", "-f", ask.priv_path)
    argv_pub = ("ssh-keygen", "-i", "-m", "PKCS8", "-f", ask.pub_path)
    from_priv = ask.run(argv_priv, ssh_keygen)
    from_pub = ask.run(argv_pub, ssh_keygen) if from_priv is not None and from_priv.ok else None
    judged = _judge_ssh_pair(from_priv, from_pub)
    ask.add("ssh-keygen", "the pair matches", (argv_priv, argv_pub), judged, _pair_verdict(ask.report))


def second_opinion(report: checks.Report, environ: Mapping[str, str]) -> list[Opinion]:
    """Ask the system's tools the library's questions about the files the library could read."""
    priv, pub = report.private, report.public
    # Only files the library read safely are handed over: a FIFO or a huge file could hang a tool.
    ask = _Ask(
        report,
        os.path.abspath(priv.path) if priv is not None and priv.data is not None else None,
        os.path.abspath(pub.path) if pub is not None and pub.data is not None else None,
        {k: v for k, v in environ.items() if k not in recipes.SSH_ASKPASS_VARS},
        os.getcwd(),
        [],
    )
    openssl = run.which("openssl", path=environ.get("PATH"))
    if openssl:
        _openssl(ask, openssl)
    ssh_keygen = run.which("ssh-keygen", path=environ.get("PATH"))
    if ssh_keygen and ask.priv_path and ask.pub_path:
        _ssh_keygen(ask, ssh_keygen)
    return ask.opinions


def _run(argv: tuple[str, ...], executable: str, cwd: str, env: Mapping[str, str]) -> run.Completed | None:
    try:
        return run.run(argv, executable=executable, cwd=cwd, timeout=OPINION_TIMEOUT_S, env=env, stdin_data=None)
    except OSError:
        return None
