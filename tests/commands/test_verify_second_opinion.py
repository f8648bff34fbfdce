"""The system's openssl and ssh-keygen asked the library's questions, and never a secret shown."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keygen.cli.app import app
from tests.helpers import private_key_body

runner = CliRunner()


def verify_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    result = runner.invoke(app, ["verify", "--json", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, json.loads(result.stdout), result.output


def opinions(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["tool"], o["question"]): o for o in doc["second_opinion"]}


@pytest.fixture
def zoo(key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.chdir(key_zoo["privateKey.pem"].parent)
    return key_zoo


def test_good_pair_tools_agree(zoo: dict[str, Path]) -> None:
    code, doc, _ = verify_json()
    ops = opinions(doc)
    assert code == 0
    assert set(ops) == {
        ("openssl", "reads the private key"),
        ("openssl", "a consistent RSA private key"),
        ("openssl", "reads the public key"),
        ("openssl", "the pair matches"),
        ("ssh-keygen", "the pair matches"),
    }
    assert all(o["verdict"] == "pass" and o["agrees"] is True for o in ops.values()), ops
    priv = str(zoo["privateKey.pem"])
    assert ops[("openssl", "reads the private key")]["commands"] == [
        ["openssl", "pkey", "-in", priv, "-pubout", "-passin", "pass:"]
    ]
    assert ops[("openssl", "a consistent RSA private key")]["detail"] == "RSA key ok"
    assert ops[("ssh-keygen", "the pair matches")]["commands"][0] == ["ssh-keygen", "-y", "-P", "", "-f", priv]


def test_text_shows_the_tools_beside_the_library(zoo: dict[str, Path]) -> None:
    """An agreeing second opinion is one line; -v shows every answer and every command it ran."""
    result = runner.invoke(app, ["verify", "privateKey.pem", "other.pub"])
    assert result.exit_code == 1
    opinion = [line for line in result.output.splitlines() if "Second opinion" in line]
    assert opinion == ["Second opinion: openssl and ssh-keygen agree (5 answers)"]
    assert "ran: " not in result.output and "openssl: the pair matches" not in result.output
    result = runner.invoke(app, ["verify", "-v", "privateKey.pem", "other.pub"])
    assert result.exit_code == 1
    assert "Second opinion" in result.output
    assert "openssl: the pair matches: fail" in result.output and "library: fail; agrees" in result.output
    assert "ran: openssl pkey -in " in result.output


@pytest.mark.parametrize(
    ("private", "public", "question", "verdict"),
    [
        ("openssh.pem", "publicKey.pub", ("openssl", "reads the private key"), "fail"),
        ("encrypted_pkcs8.pem", "publicKey.pub", ("openssl", "reads the private key"), "fail"),
        ("privateKey.pem", "powershell.pub", ("openssl", "reads the public key"), "fail"),
        ("privateKey.pem", "rfc4716.pub", ("openssl", "reads the public key"), "fail"),
        ("privateKey.pem", "crlf.pub", ("openssl", "reads the public key"), "pass"),
        ("privateKey.pem", "other.pub", ("ssh-keygen", "the pair matches"), "fail"),
        ("ec.pem", "ec.pub", ("openssl", "a consistent RSA private key"), "fail"),
        ("ec_traditional.pem", "ec.pub", ("openssl", "reads the private key"), "pass"),
    ],
)
def test_tools_and_library_agree_on_bad_inputs(
    zoo: dict[str, Path], private: str, public: str, question: tuple[str, str], verdict: str
) -> None:
    _, doc, _ = verify_json(private, public)
    op = opinions(doc)[question]
    assert op["verdict"] == verdict and op["agrees"] is True, op
    assert not any(c["name"].startswith("second_opinion") for c in doc["checks"])


def test_encrypted_key_does_not_hang_on_a_passphrase_prompt(zoo: dict[str, Path]) -> None:
    _, doc, _ = verify_json("openssh_encrypted.pem", "publicKey.pub")
    op = opinions(doc)[("ssh-keygen", "the pair matches")]
    assert op["verdict"] == "unknown" and op["agrees"] is None


def test_no_tools_on_path_means_no_second_opinion(zoo: dict[str, Path], tmp_path: Path) -> None:
    code, doc, _ = verify_json(env={"PATH": str(tmp_path)})
    assert code == 0 and doc["second_opinion"] == []
    result = runner.invoke(app, ["verify"], env={"PATH": str(tmp_path)})
    assert "Second opinion" not in result.output


def test_openssl_disagreeing_is_a_failure_not_a_warning(zoo: dict[str, Path], stand_in) -> None:  # type: ignore[no-untyped-def]
    # openssl is the Node, PHP and Ruby SDKs' reader (issue 19): a key it cannot read is not ready.
    path = stand_in("openssl", 'echo "unable to load key" >&2\nexit 1\n')
    code, doc, _ = verify_json(env={"PATH": path})
    failure = {c["name"]: c for c in doc["checks"]}["second_opinion.openssl"]
    assert code == 1 and not doc["ok"] and failure["status"] == "fail"
    assert "disagree" in failure["summary"] and "unable to load key" in failure["summary"]
    assert "not ready" in failure["summary"] and failure["fix"]


def test_a_tool_that_leaks_the_key_is_redacted(zoo: dict[str, Path], stand_in) -> None:  # type: ignore[no-untyped-def]
    # A misbehaving openssl that prints the private key on stderr: none of it may reach any output.
    path = stand_in("openssl", 'for a in "$@"; do [ -f "$a" ] && cat "$a" >&2; done\nexit 1\n')
    for args in ([], ["--json"]):
        result = runner.invoke(app, ["verify", *args], env={"PATH": path})
        for line in private_key_body(zoo["privateKey.pem"]):
            assert line not in result.output


def test_private_key_never_appears_in_any_output(zoo: dict[str, Path]) -> None:
    # The base64 lines (not the armour's headers, such as Proc-Type, which the diagnosis quotes).
    secrets = {
        name: [ln for ln in private_key_body(p) if ":" not in ln and len(ln) >= 16]
        for name, p in zoo.items()
        if "PRIVATE" in p.read_text(errors="replace")
    }
    assert len(secrets) >= 8
    for name in secrets:
        for public in ("publicKey.pub", name):
            result = runner.invoke(app, ["verify", "--json", name, public])
            text = runner.invoke(app, ["verify", name, public]).output
            for line in secrets[name]:
                assert line not in result.output and line not in text, (name, public)
    assert not os.path.exists(os.environ["KEYGEN_AUDIT_LOG"])  # verify records nothing
