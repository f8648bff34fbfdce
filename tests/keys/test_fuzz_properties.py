"""Issue 19's differential fuzzing, as Hypothesis properties in the plain suite (no Node needed):
whatever mutation of a real pair `keygen verify` calls ready, the system's openssl reads (both
files) and sees match. The verdict is what is promised: keygen's own reading, and where it is
less strict than the system's openssl (a platform's OpenSSL may refuse what the library reads),
the second opinion that turns the disagreement into a failure. The ≥1,000-case run with the Node
SDK is `.ci/fuzz`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keygen.commands import verify as verify_mod
from tests.keys import fuzz
from tests.keys.mutations import MUTATORS, Pair, cases, mutate, openssl_reads, oracle

ROLES = st.sampled_from(["private", "public", "both"])
MUTATIONS = st.lists(st.sampled_from(sorted(MUTATORS)), min_size=1, max_size=3)


def _pairs(key_zoo: dict[str, Path]) -> list[Pair]:
    return [
        Pair(key_zoo["privateKey.pem"].read_bytes(), key_zoo["publicKey.pub"].read_bytes()),
        Pair(key_zoo["other.pem"].read_bytes(), key_zoo["other.pub"].read_bytes()),
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=MUTATIONS, role=ROLES, which=st.integers(0, 1), seed=st.integers(0, 2**32 - 1))
def test_keygen_never_calls_ready_what_openssl_cannot_read(
    key_zoo: dict[str, Path], tmp_path: Path, names: list[str], role: str, which: int, seed: int
) -> None:
    pair = _pairs(key_zoo)[which]
    rng = random.Random(seed)
    private = mutate(pair.private, rng, names) if role != "public" else pair.private
    public = mutate(pair.public, rng, names) if role != "private" else pair.public
    priv_path, pub_path = tmp_path / "privateKey.pem", tmp_path / "publicKey.pub"
    priv_path.write_bytes(private)
    pub_path.write_bytes(public)
    result = verify_mod.command(priv_path, pub_path)
    if result.exit_code == 0:
        assert openssl_reads(priv_path, public=False) is not None, (names, role, result.envelope())
        assert openssl_reads(pub_path, public=True) is not None, (names, role, result.envelope())
        assert oracle(priv_path, pub_path).ready, (names, role)


def test_the_generator_is_seeded(key_zoo: dict[str, Path]) -> None:
    pairs = _pairs(key_zoo)
    first, again = list(cases(pairs, 7, 40)), list(cases(pairs, 7, 40))
    assert first == again and list(cases(pairs, 8, 40)) != first
    # Controls, other pairs' public keys, concatenations and mutations of both files all occur.
    kinds = {m.split(":")[0].split("-")[0] for c in first for m in c.mutations}
    assert {"control", "private", "public"} <= kinds


@pytest.mark.slow
def test_a_small_fuzz_run_finds_no_wrong_ready() -> None:
    """The lane's own runner, a few cases: `keygen verify` as a process, judged by the oracles."""
    tally = fuzz.run(seed=19, count=6, pairs=1, workers=2)
    assert tally.counts["cases"] == 6 and not tally.failed(), tally.report()
    assert tally.counts["ready (agreed)"] + tally.counts["not ready (agreed)"] + tally.counts[
        "stricter than the oracles"
    ] == 6
