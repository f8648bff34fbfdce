"""`keygen plan` and `keygen doctor` for every OS and shell, from built Host values, with the
documented lines verbatim; and the real commands on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keygen import recipes
from keygen.commands import doctor
from keygen.commands import plan as plan_mod
from keygen.host import Host, ShellInfo, ToolInfo, platforms
from keygen.host.windows import GitForWindows
from tests.helpers import GIT, SSH_KEYGEN, WIN_SSH_77, WIN_SSH_96, WINDOWS, run_keygen, text_of

DATA = Path(__file__).parents[1] / "data" / "documented-lines.txt"
#: What Windows PowerShell 5.1 users should type instead of the documented `>` (ASCII, not UTF-16).
POWERSHELL_ASCII_LINE = "ssh-keygen -f privateKey.pem -e -m PKCS8 | Out-File -Encoding ascii publicKey.pub"
DOCUMENTED = DATA.read_text().splitlines()
OPENSSL_LINES, SSH_KEYGEN_LINES, GIT_BASH_LINES = DOCUMENTED[0:2], DOCUMENTED[2:4], DOCUMENTED[4:6]

COMBINATIONS = [(os_name, shell) for os_name, shells in platforms.SHELLS_BY_OS.items() for shell in shells]
EXPECTED_LINES = {
    "cmd": SSH_KEYGEN_LINES,
    "powershell": SSH_KEYGEN_LINES,
    "pwsh": SSH_KEYGEN_LINES,
    "git-bash": GIT_BASH_LINES,
}
PROMPTS = {"cmd": "> ", "powershell": "PS> ", "pwsh": "PS> "}


def expected_lines(os_name: str, shell: str) -> list[str]:
    if os_name == "windows":
        return EXPECTED_LINES.get(shell, OPENSSL_LINES)
    return OPENSSL_LINES


@pytest.mark.parametrize(("os_name", "shell"), COMBINATIONS)
def test_plan_for_every_described_combination(os_name: str, shell: str) -> None:
    plan = plan_mod.describe(plan_mod.described_host(os_name, shell), described=True)  # type: ignore[arg-type]
    assert plan.error is None
    assert plan.lines == expected_lines(os_name, shell)
    text = text_of(plan).splitlines()
    prompt = PROMPTS.get(shell, "$ ")
    # As the user types them in that shell: the prompt, then the documented line byte for byte.
    for line in plan.lines:
        assert f"  {prompt}{line}" in text
    data = plan.envelope()
    assert data["lines"] == plan.lines
    assert data["described"] is True
    assert data["method"]["reason"]
    assert json.loads(json.dumps(data)) == data
    warned = [n for n in plan.notes if n.severity == "warning"]
    if shell == "powershell":
        assert len(warned) == 1
        assert "UTF-16" in warned[0].message
        assert warned[0].lines == (POWERSHELL_ASCII_LINE,)
        assert f"  PS> {POWERSHELL_ASCII_LINE}" in text
    else:
        assert warned == []


@pytest.mark.parametrize(("os_name", "shell"), COMBINATIONS)
def test_plan_cli_for_every_combination(os_name: str, shell: str) -> None:
    done = run_keygen("plan", "--os", os_name, "--shell", shell, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["lines"] == expected_lines(os_name, shell)
    assert data["shell"]["name"] == shell


@pytest.mark.parametrize(
    ("os_name", "shell"), [("linux", "cmd"), ("macos", "powershell"), ("linux", "git-bash"), ("macos", "cmd")]
)
def test_plan_refuses_a_shell_that_does_not_exist_on_that_os(os_name: str, shell: str) -> None:
    done = run_keygen("plan", "--os", os_name, "--shell", shell)
    assert done.returncode == 2
    assert f"{shell} does not run on {os_name}" in done.stderr
    assert "Traceback" not in done.stderr


def test_plan_defaults_for_a_described_os() -> None:
    done = run_keygen("plan", "--os", "windows")
    assert done.returncode == 0
    assert "Windows PowerShell 5.1" in done.stdout
    for line in SSH_KEYGEN_LINES:
        assert f"  PS> {line}\n" in done.stdout


def test_powershell_ascii_line_is_the_documented_command_piped() -> None:
    step = recipes.SSH_KEYGEN.steps[1]
    assert plan_mod.powershell_ascii_line(step) == POWERSHELL_ASCII_LINE
    assert plan_mod.powershell_ascii_line(recipes.OPENSSL.steps[1]) == (
        "openssl rsa -in privateKey.pem -pubout | Out-File -Encoding ascii publicKey.pub"
    )


@pytest.mark.parametrize(
    ("shell", "lines"),
    [
        (
            "cmd",
            (
                r'start "" "C:\Program Files\Git\git-bash.exe"',
                r'"C:\Program Files\Git\bin\bash.exe" --login -i',
            ),
        ),
        (
            "powershell",
            (
                r"& 'C:\Program Files\Git\git-bash.exe'",
                r"& 'C:\Program Files\Git\bin\bash.exe' --login -i",
            ),
        ),
        (
            "pwsh",
            (
                r"& 'C:\Program Files\Git\git-bash.exe'",
                r"& 'C:\Program Files\Git\bin\bash.exe' --login -i",
            ),
        ),
    ],
)
def test_consoles_with_git_bash_present_say_how_to_open_it(shell: str, lines: tuple[str, ...]) -> None:
    host = Host(os="windows", shell=ShellInfo(shell), ssh_keygen=WIN_SSH_96, git=GIT)
    plan = plan_mod.describe(host)
    tips = [n for n in plan.notes if n.lines and "Git Bash is installed" in n.message]
    assert len(tips) == 1
    assert tips[0].lines == lines
    assert r"C:\Program Files\Git" in tips[0].message
    text = text_of(plan)
    for line in lines:
        assert f"  {PROMPTS[shell]}{line}" in text.splitlines()


def test_consoles_without_git_bash_do_not_pretend_it_is_there() -> None:
    plan = plan_mod.describe(Host(os="windows", shell=ShellInfo("cmd"), ssh_keygen=WIN_SSH_96))
    assert not any("Git Bash is installed" in n.message for n in plan.notes)


def test_plan_for_an_old_ssh_keygen_shows_the_openssl_lines_and_why() -> None:
    host = Host(os="windows", shell=ShellInfo("powershell"), ssh_keygen=WIN_SSH_77, git=GIT)
    plan = plan_mod.describe(host)
    assert plan.lines == GIT_BASH_LINES
    assert plan.choice is not None and "OpenSSH 7.7" in plan.choice.reason
    # The lines are typed into Git Bash (its openssl is not on PowerShell's PATH), so PowerShell
    # 5.1's UTF-16 `>` does not touch them: no warning (test_lines_run_by_git_bash_from_a_console...).
    assert plan.typed_in == "git-bash" and not [n for n in plan.notes if n.severity == "warning"]


# --- doctor, from built hosts --------------------------------------------------------------------

LINUX_OK = Host(
    os="linux",
    shell=ShellInfo("bash", "/bin/bash"),
    openssl=ToolInfo("openssl", "/usr/bin/openssl", "OpenSSL 3.0.19 27 Jan 2026", "OpenSSL", (3, 0, 19)),
    ssh_keygen=ToolInfo("ssh-keygen", "/usr/bin/ssh-keygen", "OpenSSH_9.2p1", "OpenSSH", (9, 2)),
)


def test_doctor_healthy_linux() -> None:
    doc = doctor.diagnose(LINUX_OK)
    assert doc.exit_code == 0
    assert doc.problems == []
    text = text_of(doc)
    assert "openssl: /usr/bin/openssl (OpenSSL 3.0.19 27 Jan 2026)" in text
    assert "generate would run: openssl (openssl is the documented path on Linux)" in text
    assert "No problems found." in text


def test_doctor_linux_without_any_tool_is_exit_3_with_the_install_line() -> None:
    doc = doctor.diagnose(Host(os="linux", shell=ShellInfo("bash")))
    assert doc.exit_code == 3
    assert doc.problems[0].severity == "problem"
    assert "openssl was not found" in doc.problems[0].message
    assert "generate cannot run here." in text_of(doc)


def test_doctor_linux_without_openssl_warns_and_still_runs() -> None:
    from dataclasses import replace

    doc = doctor.diagnose(replace(LINUX_OK, openssl=None))
    assert doc.exit_code == 0
    assert any("openssl, the documented tool here, was not found" in n.message for n in doc.problems)


def test_doctor_windows_old_ssh_keygen_with_git_bash() -> None:
    host = Host(os="windows", shell=ShellInfo("cmd", r"C:\Windows\system32\cmd.exe"), ssh_keygen=WIN_SSH_77, git=GIT)
    doc = doctor.diagnose(host)
    assert doc.exit_code == 0
    data = doc.envelope()
    assert data["generate"]["method"] == "git-bash"
    assert data["git_for_windows"]["root"] == GIT.root
    assert data["tools"]["ssh-keygen"]["version_number"] == "7.7"
    fixes = " ".join(p["fix"] for p in data["problems"])
    assert "Add-WindowsCapability" in fixes
    text = text_of(doc)
    assert r"Git for Windows: C:\Program Files\Git (found by %ProgramW6432%" in text


def test_doctor_windows_nothing() -> None:
    doc = doctor.diagnose(Host(os="windows", shell=ShellInfo("powershell")))
    assert doc.exit_code == 3
    data = doc.envelope()
    assert data["ok"] is False and data["generate"] is None
    assert "winget install --id Git.Git -e --source winget" in data["problems"][0]["fix"]
    assert "Git for Windows: not found" in text_of(doc)


def test_doctor_windows_console_without_git_bash_tips_it() -> None:
    doc = doctor.diagnose(Host(os="windows", shell=ShellInfo("pwsh"), ssh_keygen=WIN_SSH_96))
    assert doc.exit_code == 0
    assert [n.severity for n in doc.problems] == ["tip"]


def test_doctor_unknown_shell() -> None:
    from dataclasses import replace

    doc = doctor.diagnose(replace(LINUX_OK, shell=None))
    assert any("shell could not be detected" in n.message for n in doc.problems)


def test_doctor_git_bash_openssl_missing_in_tree() -> None:
    git = GitForWindows(GIT.root, GIT.bash, None, "%ProgramFiles%")
    doc = doctor.diagnose(Host(os="windows", shell=ShellInfo("git-bash"), git=git))
    assert doc.exit_code == 3


# --- on this machine -----------------------------------------------------------------------------


def test_doctor_here(tmp_path: Path) -> None:
    done = run_keygen("doctor", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["os"] == ("windows" if WINDOWS else "linux")
    assert data["tools"]["openssl"]["version"].startswith(("OpenSSL ", "LibreSSL "))  # LibreSSL: the macOS lane
    if SSH_KEYGEN:  # the Windows lane has no ssh-keygen.exe: auto runs openssl there
        assert data["tools"]["ssh-keygen"]["version"].startswith("OpenSSH_")
    assert data["generate"]["lines"] == OPENSSL_LINES
    assert list(tmp_path.iterdir()) == []


def test_doctor_here_without_tools_is_exit_3(tmp_path: Path) -> None:
    done = run_keygen("doctor", cwd=tmp_path, env={"PATH": str(tmp_path)})
    assert done.returncode == 3
    assert "generate cannot run here." in done.stderr
    assert "openssl was not found" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(SSH_KEYGEN is None, reason="needs ssh-keygen (no ssh-keygen.exe in the Windows lane)")
def test_plan_here_json_and_method(tmp_path: Path) -> None:
    done = run_keygen("plan", "--method", "ssh-keygen", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["described"] is False
    assert data["lines"] == SSH_KEYGEN_LINES
    assert data["method"]["reason"] == "asked for with --method ssh-keygen"


def test_plan_here_without_tools_is_exit_3_with_hint(tmp_path: Path) -> None:
    done = run_keygen("plan", cwd=tmp_path, env={"PATH": str(tmp_path)})
    assert done.returncode == 3
    assert "hint:" in done.stderr
    done = run_keygen("plan", "--json", cwd=tmp_path, env={"PATH": str(tmp_path)})
    assert done.returncode == 3
    assert json.loads(done.stdout)["error"]["code"] == 3


@pytest.mark.skipif(
    WINDOWS, reason="Windows runs every shell keygen knows (cmd, PowerShell, Git Bash, POSIX shells): none to refuse"
)
def test_plan_here_refuses_cmd_on_linux() -> None:
    done = run_keygen("plan", "--shell", "cmd")
    assert done.returncode == 2
    assert "cmd does not run on linux" in done.stderr


@pytest.mark.parametrize(("os_name", "shell"), COMBINATIONS)
def test_doctor_for_every_described_combination(os_name: str, shell: str) -> None:
    doc = doctor.diagnose(plan_mod.described_host(os_name, shell))  # type: ignore[arg-type]
    assert doc.exit_code == 0
    data = doc.envelope()
    assert data["generate"]["lines"] == expected_lines(os_name, shell)
    assert data["shell"]["name"] == shell
    text = text_of(doc)
    prompt = PROMPTS.get(shell, "$ ")
    for line in expected_lines(os_name, shell):
        assert f"  {prompt}{line}" in text.splitlines()
    if shell == "powershell":
        assert f"  PS> {POWERSHELL_ASCII_LINE}" in text.splitlines()
    # Windows consoles on a described machine: Git Bash is not assumed, so doctor tips it.
    tips = [n for n in doc.problems if n.severity == "tip"]
    assert bool(tips) == (os_name == "windows" and shell in ("cmd", "powershell", "pwsh"))


@pytest.mark.parametrize("console", ["cmd", "powershell"])
def test_lines_run_by_git_bash_from_a_console_are_shown_as_typed_in_git_bash(console: str) -> None:
    """In cmd or PowerShell with an ssh-keygen too old, Git Bash's openssl runs the openssl lines:
    they are typed into Git Bash (openssl is not on the console's PATH), so the plan shows them
    there, with its prompt, and PowerShell's `>` warning does not apply to them."""
    host = Host(os="windows", shell=ShellInfo(console), ssh_keygen=WIN_SSH_77, git=GIT)
    plan = plan_mod.describe(host)
    assert plan.choice is not None and plan.choice.recipe.name == "git-bash"
    assert plan.envelope()["typed_in"] == "git-bash"
    text = text_of(plan)
    assert "The documented lines, as typed in Git Bash, in an empty directory:" in text
    assert "  $ openssl genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048" in text
    assert "UTF-16" not in text
    assert "Git Bash is installed" in text  # and how to open it from this console
    assert "  $ openssl rsa -in privateKey.pem -pubout > publicKey.pub" in text_of(doctor.diagnose(host))


def test_lines_typed_into_the_console_itself_keep_its_prompt_and_warnings() -> None:
    host = Host(os="windows", shell=ShellInfo("powershell"), ssh_keygen=WIN_SSH_96, git=GIT)
    plan = plan_mod.describe(host)
    assert plan.envelope()["typed_in"] == "powershell"
    text = text_of(plan)
    assert "as typed in Windows PowerShell" in text and "  PS> ssh-keygen -t rsa" in text and "UTF-16" in text
