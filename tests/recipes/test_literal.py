"""Literal mode: the documented lines typed into real shells (bash, sh, dash, zsh, fish here),
under the same checks and nothing-lost rules, with the shell and the exact line recorded."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keygen import recipes
from keygen.errors import ToolMissing, UsageError
from keygen.host import Host, ShellInfo
from keygen.recipes import literal
from tests.helpers import GIT, OPENSSL, SSH_KEYGEN, WINDOWS, run_in_pty, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")

POSIX = ("bash", "sh", "dash", "zsh", "fish")


def need(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        if WINDOWS:
            pytest.skip(f"{shell}: no MSYS bash.exe or other POSIX shell in the Windows lane")
        pytest.skip(f"{shell} is not installed (.ci/install-shells installs zsh and fish)")
    return path


@pytest.mark.parametrize("shell", POSIX)
def test_literal_in_each_shell_makes_a_checked_pair(shell: str, tmp_path: Path, audit_log: Path) -> None:
    path = need(shell)
    out = tmp_path / "keys"
    done = run_keygen("generate", "--literal", "--shell", shell, "--out-dir", str(out), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert doc["literal"] == {"shell": shell, "path": path}
    assert all(c["status"] == "pass" for c in doc["checks"])
    assert [s["argv"] for s in doc["steps"]] == [[shell, "-c", line] for line in recipes.OPENSSL_LINES]
    assert [s["executable"] for s in doc["steps"]] == [path, path]
    assert sorted(p.name for p in out.iterdir()) == ["privateKey.pem", "publicKey.pub"]
    assert oct((out / "privateKey.pem").stat().st_mode & 0o777) == "0o600"
    record = json.loads(audit_log.read_text().splitlines()[-1])
    assert record["literal"] == {"shell": shell, "path": path}
    assert [s["line"] for s in record["steps"]] == list(recipes.OPENSSL_LINES)
    assert [s["shell"] for s in record["steps"]] == [{"name": shell, "path": path}] * 2
    assert [s["argv"][2] for s in record["steps"]] == list(recipes.OPENSSL_LINES)
    # The shell, not keygen, performed `>`: the record still names its target.
    assert record["steps"][1]["stdout_to"] == "publicKey.pub"


@pytest.mark.parametrize("shell", ("bash", "dash", "zsh", "fish"))
def test_literal_inside_a_terminal(shell: str, tmp_path: Path) -> None:
    need(shell)
    code, output = run_in_pty(
        [sys.executable, "-m", "keygen", "generate", "--literal", "--shell", shell, "--out-dir", "keys"],
        cwd=tmp_path,
    )
    assert code == 0, output
    assert f"Literal mode: each line typed into {shell}" in output
    assert (tmp_path / "keys" / "publicKey.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")


@pytest.mark.skipif(SSH_KEYGEN is None, reason="needs ssh-keygen (no ssh-keygen.exe in the Windows lane)")
@pytest.mark.parametrize("shell", ("bash", "fish"))
def test_literal_ssh_keygen_lines(shell: str, tmp_path: Path) -> None:
    need(shell)
    out = tmp_path / "keys"
    code, output = run_in_pty(
        [
            sys.executable,
            "-m",
            "keygen",
            "generate",
            "--literal",
            "--shell",
            shell,
            "--method",
            "ssh-keygen",
            "--out-dir",
            str(out),
            "--timeout",
            "20",
        ],
        cwd=tmp_path,
    )
    assert code == 0, output
    assert "not published: ssh-keygen's privateKey.pem.pub" in output
    assert sorted(p.name for p in out.iterdir()) == ["privateKey.pem", "publicKey.pub"]


def test_a_failing_line_leaves_nothing_behind(tmp_path: Path, stand_in) -> None:  # type: ignore[no-untyped-def]
    need("bash")
    # The second line fails: the shell has already created an empty publicKey.pub for `>`.
    path = stand_in(
        "openssl",
        'case "$1" in rsa) echo "unable to load Private Key" >&2; exit 1 ;; esac\nexec "$REAL" "$@"\n',
    )
    out = tmp_path / "keys"
    out.mkdir()
    done = run_keygen("generate", "--literal", "--shell", "bash", "--out-dir", str(out), env={"PATH": path})
    assert done.returncode == 4, done.stderr
    assert "(typed into bash) exited 1: unable to load Private Key" in done.stderr
    assert list(out.iterdir()) == []


def test_dry_run_names_the_shell_and_runs_nothing(tmp_path: Path, audit_log: Path) -> None:
    need("dash")
    done = run_keygen("generate", "--literal", "--shell", "dash", "--dry-run", "--out-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"Literal mode: each line typed into dash ({shutil.which('dash')})" in done.stdout
    assert list(tmp_path.iterdir()) == []
    assert not audit_log.exists()


def test_a_missing_shell_is_exit_3(tmp_path: Path) -> None:
    if shutil.which("pwsh"):
        pytest.skip("pwsh is installed here")
    done = run_keygen("generate", "--literal", "--shell", "pwsh", "--out-dir", str(tmp_path))
    assert done.returncode == 3
    assert "the shell pwsh was not found on PATH" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(
    WINDOWS, reason="Windows runs every shell keygen knows (cmd, PowerShell, Git Bash, POSIX shells): none to refuse"
)
def test_cmd_on_linux_is_a_usage_error(tmp_path: Path) -> None:
    done = run_keygen("generate", "--literal", "--shell", "cmd", "--out-dir", str(tmp_path))
    assert done.returncode == 2
    assert "cmd does not run on linux" in done.stderr


def test_default_shell_is_the_one_keygen_runs_in(tmp_path: Path) -> None:
    # `sh -c` reports sh to shellingham; literal mode then types into sh. On Windows: cmd /c, and cmd.
    command = f'"{sys.executable}" -m keygen generate --literal --dry-run --json --out-dir "{tmp_path}"'
    argv = ["cmd", "/c", sys.executable, "-m", "keygen", "generate", "--literal", "--dry-run", "--json", "--out-dir",
            str(tmp_path)]
    done = subprocess.run(
        argv if WINDOWS else ["sh", "-c", command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["literal"]["shell"] in (("cmd",) if WINDOWS else POSIX)


# --- argv for every shell, including the ones that cannot run here ---------------------------------

LINE = recipes.SSH_KEYGEN_LINES[1]


@pytest.mark.parametrize(
    ("shell", "argv"),
    [
        ("bash", ("bash", "-c", LINE)),
        ("sh", ("sh", "-c", LINE)),
        ("dash", ("dash", "-c", LINE)),
        ("zsh", ("zsh", "-c", LINE)),
        ("fish", ("fish", "-c", LINE)),
        ("git-bash", ("bash", "-c", LINE)),
        ("cmd", ("cmd", "/d", "/c", LINE)),
        ("powershell", ("powershell", "-NoProfile", "-NonInteractive", "-Command", LINE)),
        ("pwsh", ("pwsh", "-NoProfile", "-NonInteractive", "-Command", LINE)),
    ],
)
def test_shell_argv(shell: str, argv: tuple[str, ...]) -> None:
    assert literal.shell_argv(shell, LINE) == argv
    # The documented line is one argument, untouched: no quoting, no splitting.
    assert argv[-1] == LINE


def test_unknown_shell() -> None:
    with pytest.raises(UsageError):
        literal.shell_argv("tcsh", LINE)


def test_git_bash_shell_uses_the_install_tree_and_its_path() -> None:
    host = Host(os="windows", shell=ShellInfo("cmd"), git=GIT)
    shell = literal.resolve("git-bash", host, {})
    assert shell.path == GIT.bash
    env = literal.shell_env(shell, host, {"PATH": r"C:\Windows"})
    assert env["PATH"] == r"C:\Program Files\Git\mingw64\bin;C:\Program Files\Git\usr\bin;C:\Windows"
    with pytest.raises(ToolMissing) as err:
        literal.resolve("git-bash", Host(os="windows"), {})
    assert "winget install --id Git.Git" in err.value.hint


def test_default_shell_choices() -> None:
    assert literal.default_shell(Host(os="windows", shell=ShellInfo("powershell"))) == "powershell"
    assert literal.default_shell(Host(os="windows")) == "cmd"
    assert literal.default_shell(Host(os="linux", shell=ShellInfo("tcsh"))) == "sh"
