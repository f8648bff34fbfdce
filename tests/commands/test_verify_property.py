"""Property: whatever a key file has become, `verify` answers 0 or 1 with a message, never a crash or a hang."""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from keygen.cli.app import app
from keygen.commands import verify as verify_mod
from tests.helpers import text_of

SEEDS = (
    "privateKey.pem",
    "publicKey.pub",
    "pkcs1.pem",
    "openssh.pem",
    "encrypted_pkcs8.pem",
    "rfc4716.pub",
    "ssh_rsa_line.pub",
    "powershell.pub",
    "ec.pem",
)
LABELS = (
    b"PRIVATE KEY",
    b"PUBLIC KEY",
    b"RSA PRIVATE KEY",
    b"ENCRYPTED PRIVATE KEY",
    b"OPENSSH PRIVATE KEY",
    b"EC PRIVATE KEY",
    b"CERTIFICATE",
)


@st.composite
def mutated(draw: st.DrawFn, seeds: dict[str, bytes]) -> bytes:
    data = bytearray(seeds[draw(st.sampled_from(sorted(seeds)))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "label", "encode", "lines", "dup"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=64))
        elif kind == "truncate":
            del data[at:]
        elif kind == "label":
            data = bytearray(bytes(data).replace(b"PRIVATE KEY", draw(st.sampled_from(LABELS)), 1))
        elif kind == "encode":
            encoding = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-8-sig"]))
            data = bytearray(bytes(data).decode("latin-1").encode(encoding))
        elif kind == "lines":
            data = bytearray(bytes(data).replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"", b"\n\n"]))))
        elif kind == "dup":
            data += data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@pytest.fixture(scope="module")
def seeds(key_zoo: dict[str, Path]) -> dict[str, bytes]:
    return {name: key_zoo[name].read_bytes() for name in SEEDS}


def _check_outcome(outcome: verify_mod.Outcome) -> None:
    assert outcome.exit_code in (0, 1)
    text = text_of(outcome)
    assert ("is ready for Amazon Pay" in text) == (outcome.exit_code == 0)
    assert "Not ready" in text or outcome.exit_code == 0
    json.dumps(outcome.envelope())


@contextlib.contextmanager
def mutated_pair(seeds: dict[str, bytes], data: st.DataObject) -> Iterator[tuple[Path, Path, bytes]]:
    """privateKey.pem and publicKey.pub, each a drawn mutation, in a fresh directory."""
    private = data.draw(mutated(seeds), label="private")
    public = data.draw(mutated(seeds), label="public")
    with tempfile.TemporaryDirectory() as tmp:
        priv, pub = Path(tmp, "privateKey.pem"), Path(tmp, "publicKey.pub")
        priv.write_bytes(private)
        pub.write_bytes(public)
        yield priv, pub, private


@settings(
    max_examples=300,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_pem_files_never_crash(seeds: dict[str, bytes], data: st.DataObject) -> None:
    with mutated_pair(seeds, data) as (priv, pub, _):
        options = verify_mod.Options(priv, pub, second_opinion=False)
        _check_outcome(verify_mod.verify(options))
        _check_outcome(verify_mod.verify(verify_mod.Options(None, pub, second_opinion=False)))


@settings(
    max_examples=25,
    deadline=10000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_pem_files_through_the_cli_with_the_tools(seeds: dict[str, bytes], data: st.DataObject) -> None:
    """The whole command, second opinion and --fix included: still 0 or 1 and a message."""
    with mutated_pair(seeds, data) as (priv, pub, private):
        result = CliRunner().invoke(app, ["verify", "--fix", str(priv), str(pub)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code in (0, 1)
        assert "Result:" in result.output
        assert priv.read_bytes() == private  # --fix never rewrites a private key
