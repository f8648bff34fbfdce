"""The recipes are the document's command lines, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from keygen import recipes
from tests.helpers import REPO

DATA = Path(__file__).parents[1] / "data" / "documented-lines.txt"
#: The reference page sits beside the repository in the team's workspace and in CI.
REFERENCE = REPO.parent / "shared" / "reference" / "amazon-pay-manual-key-pairs.txt"


def documented_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith(("openssl ", "ssh-keygen "))]


def test_vendored_lines_match_the_reference_page() -> None:
    if not REFERENCE.exists():
        pytest.skip("the shared reference page is not beside this clone")
    assert documented_lines(REFERENCE.read_text(encoding="utf-8")) == DATA.read_text().splitlines()


def test_every_documented_line_is_a_recipe_step_and_back() -> None:
    lines = DATA.read_text().splitlines()
    # The document: openssl (macOS/Linux), ssh-keygen (Windows consoles), openssl again (Git Bash).
    assert [s.line for s in recipes.OPENSSL.steps] == lines[0:2]
    assert [s.line for s in recipes.SSH_KEYGEN.steps] == lines[2:4]
    assert [s.line for s in recipes.GIT_BASH.steps] == lines[4:6]


@pytest.mark.parametrize(
    ("recipe", "argvs", "target"),
    [
        (
            recipes.OPENSSL,
            [
                [
                    "openssl",
                    "genpkey",
                    "-out",
                    "privateKey.pem",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                ],
                ["openssl", "rsa", "-in", "privateKey.pem", "-pubout"],
            ],
            "publicKey.pub",
        ),
        (
            recipes.SSH_KEYGEN,
            [
                ["ssh-keygen", "-t", "rsa", "-b", "2048", "-m", "PKCS8", "-f", "privateKey.pem"],
                ["ssh-keygen", "-f", "privateKey.pem", "-e", "-m", "PKCS8"],
            ],
            "publicKey.pub",
        ),
    ],
)
def test_argv_is_the_documented_line(recipe: recipes.Recipe, argvs: list[list[str]], target: str) -> None:
    assert [list(s.argv) for s in recipe.steps] == argvs
    assert [s.stdout_to for s in recipe.steps] == [None, target]
    for s in recipe.steps:
        rebuilt = " ".join(s.argv) + (f" > {s.stdout_to}" if s.stdout_to else "")
        assert rebuilt.encode() == s.line.encode()


def test_only_ssh_keygen_leaves_a_side_file() -> None:
    assert recipes.SSH_KEYGEN.side_files == ("privateKey.pem.pub",)
    assert recipes.OPENSSL.side_files == ()
