"""A published key is a regular file the tool wrote (issue 19): a tool that leaves a symbolic link
or a hard link to a file outside DIR gets a failed check, nothing is published, and no chmod ever
reaches the outside file."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, WINDOWS, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None or WINDOWS, reason="needs openssl and POSIX links")
StandIn = Callable[..., str]


@pytest.mark.parametrize(("link", "said"), [("ln -s", "symbolic link"), ("ln", "2 hard links")])
def test_a_linked_private_key_is_a_failed_check_and_never_chmod_ed(
    tmp_path: Path, stand_in: StandIn, link: str, said: str
) -> None:
    outside = tmp_path / "outside.pem"
    # The stand-in makes the key outside DIR (world-readable, as the user left it), then links it in
    # over the empty owner-only file keygen made ready for it (-f: keygen's file is replaced).
    path = stand_in(
        "openssl",
        f"""
        case "$1" in
          genpkey) "$REAL" genpkey -out {outside} -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null &&
                   chmod 644 {outside} && {link} -f {outside} privateKey.pem ;;
          *) exec "$REAL" "$@" ;;
        esac
        """,
    )
    out = tmp_path / "k"
    proc = run_keygen("generate", "--out-dir", str(out), env={"PATH": path})
    assert proc.returncode == 1, proc.stderr
    assert said in proc.stderr and "regular file" in proc.stderr, proc.stderr
    assert stat.S_IMODE(os.stat(outside).st_mode) == 0o644  # no chmod followed the link
    assert sorted(p.name for p in out.iterdir()) == []  # nothing published, no staging left


def test_set_own_mode_refuses_links_and_changes_nothing(tmp_path: Path) -> None:
    from keygen.errors import ChecksFailed
    from keygen.outdir.publish import set_own_mode

    target = tmp_path / "target"
    target.write_text("x")
    target.chmod(0o644)
    (tmp_path / "sym").symlink_to(target)
    os.link(target, tmp_path / "hard")
    for name in ("sym", "hard"):
        with pytest.raises(ChecksFailed):
            set_own_mode(tmp_path / name, 0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    alone = tmp_path / "alone"
    alone.write_text("y")
    set_own_mode(alone, 0o600)
    assert stat.S_IMODE(alone.stat().st_mode) == 0o600
