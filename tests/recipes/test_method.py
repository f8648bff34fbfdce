"""Choosing the recipe from built Host values: the documented path per OS and shell, fallbacks
with their reasons, and exit 3 with hints when nothing documented can run."""

from __future__ import annotations

import pytest

from keygen import recipes
from keygen.errors import ExitCode, ToolMissing, UsageError
from keygen.host import Host, ShellInfo, ToolInfo
from keygen.recipes.method import choose
from tests.helpers import (
    GIT,
    GIT_BASH_OPENSSL,
    LIBRESSL,
    OPENSSL,
    SSH_92,
    WIN_SSH,
    WIN_SSH_77,
    WIN_SSH_80,
    WIN_SSH_81,
    WIN_SSH_96,
)


def win(shell: str | None, **kw: object) -> Host:
    return Host(os="windows", shell=ShellInfo(shell, None) if shell else None, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("shell", ["bash", "zsh", "sh", "dash", "fish", "pwsh"])
@pytest.mark.parametrize(("os_name", "label"), [("linux", "Linux"), ("macos", "macOS")])
def test_posix_takes_openssl(os_name: str, label: str, shell: str) -> None:
    host = Host(os=os_name, shell=ShellInfo(shell), openssl=LIBRESSL, ssh_keygen=SSH_92)  # type: ignore[arg-type]
    choice = choose(host)
    assert choice.recipe is recipes.OPENSSL
    assert choice.executable == "/usr/bin/openssl"
    assert choice.reason == f"openssl is the documented path on {label}"


def test_posix_without_openssl_falls_back_to_ssh_keygen_and_says_why() -> None:
    choice = choose(Host(os="linux", shell=ShellInfo("bash"), ssh_keygen=SSH_92))
    assert choice.recipe is recipes.SSH_KEYGEN
    assert choice.reason == "openssl is missing; ssh-keygen is the document's other path"


def test_posix_without_openssl_and_old_ssh_keygen_is_exit_3() -> None:
    old = ToolInfo("ssh-keygen", "/usr/bin/ssh-keygen", "OpenSSH_7.4p1", "OpenSSH", (7, 4))
    with pytest.raises(ToolMissing) as err:
        choose(Host(os="linux", ssh_keygen=old))
    assert err.value.code == ExitCode.TOOL_MISSING
    assert "openssl was not found" in err.value.message
    assert "OpenSSH 7.4" in err.value.message and "8.1 or later" in err.value.message


@pytest.mark.parametrize("shell", ["cmd", "powershell", "pwsh", None])
def test_windows_consoles_take_ssh_keygen(shell: str | None) -> None:
    choice = choose(win(shell, ssh_keygen=WIN_SSH_96, git=GIT))
    assert choice.recipe is recipes.SSH_KEYGEN
    assert choice.executable == WIN_SSH
    label = {
        "cmd": "the Windows command prompt (cmd)",
        "powershell": "Windows PowerShell",
        "pwsh": "PowerShell 7 (pwsh)",
        None: "a Windows console",
    }[shell]
    assert choice.reason == f"in {label} the document uses ssh-keygen"


def test_ssh_keygen_8_1_is_new_enough() -> None:
    assert choose(win("cmd", ssh_keygen=WIN_SSH_81)).recipe is recipes.SSH_KEYGEN


@pytest.mark.parametrize("old", [WIN_SSH_77, WIN_SSH_80])
def test_old_windows_ssh_keygen_falls_back_to_git_bash_openssl(old: ToolInfo) -> None:
    choice = choose(win("powershell", ssh_keygen=old, git=GIT))
    assert choice.recipe is recipes.GIT_BASH
    assert choice.executable == GIT.openssl
    assert f"ssh-keygen is OpenSSH {'.'.join(map(str, old.version or ()))}" in choice.reason
    assert "PKCS#1 or OpenSSH format" in choice.reason
    assert choice.reason.endswith("running the documented openssl lines with Git Bash's openssl")


def test_missing_windows_ssh_keygen_falls_back_to_git_bash_openssl() -> None:
    choice = choose(win("cmd", git=GIT))
    assert choice.recipe is recipes.GIT_BASH
    assert choice.reason.startswith("ssh-keygen (the OpenSSH client) is not installed; ")


def test_old_ssh_keygen_and_no_git_bash_is_exit_3_with_every_install_route() -> None:
    with pytest.raises(ToolMissing) as err:
        choose(win("powershell", ssh_keygen=WIN_SSH_77))
    hint = err.value.hint
    for route in (
        "winget install --id Git.Git -e --source winget",
        "choco install git",
        "scoop install git",
        "git-scm.com",
        "Add-WindowsCapability -Online -Name OpenSSH.Client~~~~0.0.1.0",
    ):
        assert route in hint
    assert "OpenSSH 7.7" in err.value.message


def test_nothing_at_all_on_windows_is_exit_3() -> None:
    with pytest.raises(ToolMissing) as err:
        choose(win("cmd"))
    assert "ssh-keygen (the OpenSSH client) is not installed" in err.value.message
    assert "Add-WindowsCapability" in err.value.hint and "winget" in err.value.hint


def test_git_bash_uses_its_own_openssl_on_path_first() -> None:
    choice = choose(win("git-bash", openssl=GIT_BASH_OPENSSL, ssh_keygen=WIN_SSH_96, git=GIT))
    assert choice.recipe is recipes.GIT_BASH
    assert choice.executable == GIT_BASH_OPENSSL.path
    assert choice.reason == "in Git Bash the document uses openssl"


def test_git_bash_without_openssl_on_path_uses_the_install_tree() -> None:
    choice = choose(win("git-bash", git=GIT))
    assert choice.executable == GIT.openssl


def test_git_bash_without_any_openssl_falls_back_to_ssh_keygen() -> None:
    choice = choose(win("git-bash", ssh_keygen=WIN_SSH_96))
    assert choice.recipe is recipes.SSH_KEYGEN
    assert choice.reason == "openssl was not found in git-bash; ssh-keygen is the document's other path"


def test_another_posix_shell_on_windows_is_the_git_bash_equivalent() -> None:
    choice = choose(win("zsh", openssl=GIT_BASH_OPENSSL, ssh_keygen=WIN_SSH_96))
    assert choice.recipe is recipes.OPENSSL
    assert choice.reason == "in zsh on Windows (a Git Bash equivalent) the document uses openssl"


def test_explicit_methods() -> None:
    host = win("cmd", ssh_keygen=WIN_SSH_96, git=GIT)
    assert choose(host, "git-bash").executable == GIT.openssl
    assert choose(host, "git-bash").reason == "asked for with --method git-bash"
    assert choose(host, "ssh-keygen").reason == "asked for with --method ssh-keygen"
    with pytest.raises(ToolMissing) as err:
        choose(host, "openssl")
    assert "winget" in err.value.hint


def test_explicit_old_ssh_keygen_runs_but_says_what_to_expect() -> None:
    choice = choose(win("cmd", ssh_keygen=WIN_SSH_77), "ssh-keygen")
    assert choice.recipe is recipes.SSH_KEYGEN
    assert "expect failed checks" in choice.reason and "OpenSSH 7.7" in choice.reason


def test_git_bash_method_off_windows_explains_itself() -> None:
    with pytest.raises(ToolMissing) as err:
        choose(Host(os="linux", openssl=OPENSSL), "git-bash")
    assert "Windows path" in err.value.message
    assert "--method openssl" in err.value.hint


@pytest.mark.parametrize(
    ("os_name", "tool", "expected"),
    [
        ("macos", "openssl", "brew install openssl"),
        ("macos", "ssh-keygen", "brew install openssh"),
        ("windows", "openssl", "winget install --id Git.Git"),
        ("windows", "ssh-keygen", "Add-WindowsCapability"),
    ],
)
def test_missing_tool_hints(os_name: str, tool: str, expected: str) -> None:
    with pytest.raises(ToolMissing) as err:
        choose(Host(os=os_name, shell=ShellInfo("cmd" if os_name == "windows" else "zsh")), tool)  # type: ignore[arg-type]
    assert expected in err.value.hint


@pytest.mark.parametrize(
    ("distro", "expected"),
    [
        ({"debian"}, "sudo apt-get install -y openssl"),
        ({"fedora"}, "sudo dnf install -y openssl"),
        ({"alpine"}, "apk add openssl"),
        ({"arch"}, "sudo pacman -S openssl"),
    ],
)
def test_linux_hints_per_distribution(distro: set[str], expected: str) -> None:
    from keygen.host import hints

    assert expected in hints.install_hint("openssl", "linux", distro)


def test_unknown_method_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        choose(Host(os="linux", openssl=OPENSSL), "putty")  # type: ignore[arg-type]
