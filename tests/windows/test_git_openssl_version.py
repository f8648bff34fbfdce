"""Git Bash's openssl is asked its version on Windows (issue 19): plan, doctor, generate's JSON and
the audit record name the OpenSSL that made the key. Driven from Linux through the seams (a fake
`openssl version` answer, a Host value); the Windows lane shows it with a real openssl.exe."""

from __future__ import annotations

from keygen.host import Host, ShellInfo
from keygen.host.windows import GitForWindows, with_openssl_version
from keygen.recipes import method

GIT = GitForWindows(
    root=r"C:\Program Files\Git",
    bash=r"C:\Program Files\Git\usr\bin\bash.exe",
    openssl=r"C:\Program Files\Git\mingw64\bin\openssl.exe",
    found_by="%ProgramFiles%",
)
ANSWER = "OpenSSL 3.0.20 27 Jan 2026 (Library: OpenSSL 3.0.20 27 Jan 2026)"


def test_git_bash_openssl_is_asked_its_version() -> None:
    asked: list[str] = []

    def ask(path: str) -> str | None:
        asked.append(path)
        return ANSWER

    git = with_openssl_version(GIT, ask)
    assert asked == [GIT.openssl] and git.openssl_version == ANSWER
    # No openssl in the tree: nothing to ask.
    bare = GitForWindows(GIT.root, GIT.bash, None, GIT.found_by)
    assert with_openssl_version(bare, ask).openssl_version is None and len(asked) == 1


def test_the_chosen_tool_carries_git_bash_openssl_version() -> None:
    git = with_openssl_version(GIT, lambda path: ANSWER)
    host = Host(os="windows", shell=ShellInfo("cmd", r"C:\Windows\System32\cmd.exe", "given"), openssl=None,
                ssh_keygen=None, git=git)
    choice = method.choose(host, "auto")
    assert choice.recipe.name == "git-bash"
    # What plan's and generate's JSON and every step record carry as tool_version.
    assert choice.tool.version_text == ANSWER and choice.tool.version == (3, 0, 20)
