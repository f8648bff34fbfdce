"""Shell completion through Typer's own mechanism: `--show-completion` / `--install-completion`
print or install a script that calls `keygen` back with `_KEYGEN_COMPLETE` set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import WINDOWS, run_keygen

COMMANDS = {"generate", "plan", "doctor", "audit"}
#: The console script the README's install puts beside the interpreter.
SCRIPT_DIR = Path(sys.executable).parent


def complete(env: dict[str, str]) -> list[str]:
    done = run_keygen(env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_bash_protocol_completes_subcommands() -> None:
    words = complete({"_KEYGEN_COMPLETE": "complete_bash", "COMP_WORDS": "keygen ", "COMP_CWORD": "1"})
    assert set(words) >= COMMANDS
    assert complete({"_KEYGEN_COMPLETE": "complete_bash", "COMP_WORDS": "keygen pl", "COMP_CWORD": "1"}) == ["plan"]


def test_bash_protocol_completes_choices() -> None:
    words = complete(
        {"_KEYGEN_COMPLETE": "complete_bash", "COMP_WORDS": "keygen generate --method ", "COMP_CWORD": "3"}
    )
    assert words == ["auto", "openssl", "ssh-keygen", "git-bash"]
    shells = complete({"_KEYGEN_COMPLETE": "complete_bash", "COMP_WORDS": "keygen plan --shell p", "COMP_CWORD": "3"})
    assert shells == ["powershell", "pwsh"]


def test_zsh_and_fish_protocols() -> None:
    zsh = run_keygen(env={"_KEYGEN_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "keygen doc"})
    assert '"doctor"' in zsh.stdout
    fish = complete(
        {
            "_KEYGEN_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            "_TYPER_COMPLETE_ARGS": "keygen ",
        }
    )
    assert {line.split("\t")[0] for line in fish} >= COMMANDS


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_show_completion_prints_the_script(shell: str) -> None:
    done = run_keygen("--show-completion", shell)
    assert done.returncode == 0, done.stderr
    assert "_KEYGEN_COMPLETE" in done.stdout
    assert "keygen" in done.stdout


def _env_with_script() -> dict[str, str]:
    if not (SCRIPT_DIR / "keygen").exists():
        pytest.skip("the keygen console script is not installed beside this Python")
    return {**os.environ, "PATH": f"{SCRIPT_DIR}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.skipif(WINDOWS, reason="runs bash or fish on the completion script (no MSYS bash.exe in the Windows lane)")
def test_real_bash_runs_the_completion_script() -> None:
    env = _env_with_script()
    script = (
        'eval "$(keygen --show-completion bash)"; COMP_WORDS=(keygen do); COMP_CWORD=1; '
        '_keygen_completion keygen; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.stdout.split() == ["doctor"], done.stderr


@pytest.mark.skipif(WINDOWS, reason="runs bash or fish on the completion script (no MSYS bash.exe in the Windows lane)")
def test_real_fish_runs_the_completion_script() -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed (.ci/install-shells)")
    env = _env_with_script()
    script = 'keygen --show-completion fish | source; complete -C "keygen gen"'
    done = subprocess.run(["fish", "-c", script], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.stdout.split("\t")[0] == "generate", done.stderr


def test_install_completion_writes_into_home_only(home: Path) -> None:
    done = run_keygen("--install-completion", "bash", env={"SHELL": "/bin/bash"})
    assert done.returncode == 0, done.stderr
    installed = home / ".bash_completions" / "keygen.sh"
    assert "_KEYGEN_COMPLETE=complete_bash" in installed.read_text()
    assert f"source '{installed}'" in (home / ".bashrc").read_text()
