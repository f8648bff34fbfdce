"""The docs say macOS's openssl runs for real in the macos lane: CI runs the lane, and the lane
builds LibreSSL 3.3.6 from the checked tarball, caches it outside the clone and runs the flow and
the suite with it first on PATH under umask 022."""

from __future__ import annotations

from tests.helpers import REPO

LANE = (REPO / ".ci" / "macos").read_text()


def test_ci_runs_the_macos_lane_before_the_windows_one() -> None:
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert ci.index("bash .ci/macos") < ci.index("bash .ci/windows")


def test_the_lane_checks_the_tarball_and_caches_outside_the_clone_by_its_hash() -> None:
    assert "../shared/vendor/libressl-3.3.6.tar.gz" in LANE and "SHA256SUMS" in LANE and "sha256sum" in LANE
    assert 'CACHE=${KEYGEN_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keygen-ci}/macos' in LANE
    assert 'DIR=$CACHE/libressl-$SHA' in LANE


def test_the_lane_runs_the_flow_and_the_suite_with_libressl_first_under_umask_022() -> None:
    assert 'export PATH="$DIR/bin:$PATH"' in LANE and "umask 022" in LANE
    assert "tests/lane/test_macos.py" in LANE and '"$REPO/tests"' in LANE and "-rs" in LANE


def test_the_docs_say_what_runs_for_real_on_a_mac_and_what_does_not() -> None:
    page = (REPO / "docs" / "explanation" / "real-and-simulated.md").read_text(encoding="utf-8")
    said = " ".join(page.split())  # the page's own line breaks do not matter
    assert "LibreSSL 3.3.6 built from source, runs for real in the `macos` lane" in said
    assert "macOS itself (its kernel, APFS, the Keychain" in said
