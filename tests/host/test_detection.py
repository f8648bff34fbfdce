"""Knowing the host: Git for Windows in FACTS.md's search order (fake trees laid out as the
installer lays them), shell names, version strings, and detection that asks only what it needs."""

from __future__ import annotations

import ntpath
from pathlib import Path

import pytest

from keygen import host as host_mod
from keygen.host import is_git_bash_path, parse_openssh_version, parse_openssl_version, versions_needed
from keygen.host.platforms import OSName
from keygen.host.windows import GitForWindows, find_git_for_windows, windows_ssh_keygen
from keygen.proc import run
from tests.helpers import SSH_KEYGEN, rooted_exists

#: The files a Git for Windows install has, relative to its root (FACTS.md "Layout").
INSTALLER_LAYOUT = (
    r"git-bash.exe",
    r"bin\bash.exe",
    r"usr\bin\bash.exe",
    r"cmd\git.exe",
    r"mingw64\bin\openssl.exe",
    r"usr\bin\openssl.exe",
)


def lay_out(fs: Path, root: str, files: tuple[str, ...] = INSTALLER_LAYOUT) -> str:
    """Create a fake install at Windows path `root` inside the fake file system `fs`."""
    exists_root = fs
    drive, rest = ntpath.splitdrive(root)
    base = exists_root.joinpath(drive.rstrip(":"), *[p for p in rest.split("\\") if p])
    for rel in files:
        target = base.joinpath(*rel.split("\\"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"MZ")
    return root


@pytest.fixture
def fs(tmp_path: Path) -> Path:
    return tmp_path / "fs"


WIN_ENV = {
    "ProgramW6432": r"C:\Program Files",
    "ProgramFiles": r"C:\Program Files",
    "ProgramFiles(x86)": r"C:\Program Files (x86)",
    "LOCALAPPDATA": r"C:\Users\ada\AppData\Local",
    "USERPROFILE": r"C:\Users\ada",
    "Path": r"C:\Windows\system32;C:\Windows",
}


def test_default_install_is_found_with_its_bash_and_mingw64_openssl(fs: Path) -> None:
    lay_out(fs, r"C:\Program Files\Git")
    found = find_git_for_windows(WIN_ENV, rooted_exists(fs))
    assert found == GitForWindows(
        root=r"C:\Program Files\Git",
        bash=r"C:\Program Files\Git\usr\bin\bash.exe",
        openssl=r"C:\Program Files\Git\mingw64\bin\openssl.exe",
        found_by="%ProgramW6432%",
    )
    assert found.launcher == r"C:\Program Files\Git\git-bash.exe"


def test_git_on_path_wins_over_program_files_and_is_two_folders_up(fs: Path) -> None:
    lay_out(fs, r"C:\Program Files\Git")
    lay_out(fs, r"D:\tools\PortableGit")
    env = {**WIN_ENV, "Path": r'C:\Windows\system32;"D:\tools\PortableGit\cmd";C:\Windows'}
    found = find_git_for_windows(env, rooted_exists(fs))
    assert found is not None
    assert (found.root, found.found_by) == (r"D:\tools\PortableGit", "git.exe on PATH")


def test_git_on_path_without_a_bash_beside_it_is_passed_over(fs: Path) -> None:
    # e.g. MinGit, or a git.exe from another distribution: no bash, so no Git Bash.
    lay_out(fs, r"D:\MinGit", (r"cmd\git.exe", r"mingw64\bin\git.exe"))
    lay_out(fs, r"C:\Users\ada\AppData\Local\Programs\Git")
    env = {**WIN_ENV, "Path": r"D:\MinGit\cmd"}
    found = find_git_for_windows(env, rooted_exists(fs))
    assert found is not None
    assert found.found_by == "%LocalAppData%"
    assert found.root == r"C:\Users\ada\AppData\Local\Programs\Git"


@pytest.mark.parametrize(
    ("installs", "expected_root", "expected_by"),
    [
        ([r"C:\Program Files\Git", r"C:\Program Files (x86)\Git"], r"C:\Program Files\Git", "%ProgramW6432%"),
        ([r"C:\Program Files (x86)\Git"], r"C:\Program Files (x86)\Git", "%ProgramFiles(X86)%"),
        (
            [r"C:\Program Files (x86)\Git", r"C:\Users\ada\AppData\Local\Programs\Git"],
            r"C:\Program Files (x86)\Git",
            "%ProgramFiles(X86)%",
        ),
        (
            [r"C:\Users\ada\AppData\Local\Programs\Git", r"C:\Users\ada\scoop\apps\git\current"],
            r"C:\Users\ada\AppData\Local\Programs\Git",
            "%LocalAppData%",
        ),
        ([r"C:\Users\ada\scoop\apps\git\current"], r"C:\Users\ada\scoop\apps\git\current", "Scoop (%USERPROFILE%)"),
    ],
)
def test_search_order(fs: Path, installs: list[str], expected_root: str, expected_by: str) -> None:
    for root in installs:
        lay_out(fs, root)
    found = find_git_for_windows(WIN_ENV, rooted_exists(fs))
    assert found is not None
    assert (found.root, found.found_by) == (expected_root, expected_by)


def test_program_files_w6432_differs_from_program_files_in_a_32_bit_process(fs: Path) -> None:
    # A 32-bit Python sees %ProgramFiles% as the x86 folder; %ProgramW6432% still names the 64-bit one.
    lay_out(fs, r"C:\Program Files\Git")
    env = {**WIN_ENV, "ProgramFiles": r"C:\Program Files (x86)"}
    found = find_git_for_windows(env, rooted_exists(fs))
    assert found is not None
    assert found.root == r"C:\Program Files\Git"


def test_registry_is_last_and_hklm_comes_before_hkcu(fs: Path) -> None:
    lay_out(fs, r"E:\Git")
    lay_out(fs, r"F:\UserGit")
    asked: list[tuple[str, str, str]] = []

    def registry(hive: str, key: str, value: str) -> str | None:
        asked.append((hive, key, value))
        return {"HKLM": r"E:\Git", "HKCU": r"F:\UserGit"}[hive]

    found = find_git_for_windows(WIN_ENV, rooted_exists(fs), registry)
    assert found is not None
    assert found.root == r"E:\Git"
    assert found.found_by == r"registry HKLM\Software\GitForWindows"
    assert asked == [("HKLM", r"Software\GitForWindows", "InstallPath")]


def test_registry_hkcu_and_a_failing_reader(fs: Path) -> None:
    lay_out(fs, r"F:\UserGit")

    def registry(hive: str, key: str, value: str) -> str | None:
        if hive == "HKLM":
            raise OSError("access denied")
        return r"F:\UserGit"

    found = find_git_for_windows({}, rooted_exists(fs), registry)
    assert found is not None
    assert found.found_by == r"registry HKCU\Software\GitForWindows"


def test_registry_is_not_consulted_when_a_folder_matched(fs: Path) -> None:
    lay_out(fs, r"C:\Program Files\Git")

    def registry(hive: str, key: str, value: str) -> str | None:
        raise AssertionError("the registry is the last resort")

    assert find_git_for_windows(WIN_ENV, rooted_exists(fs), registry) is not None


def test_arm64_build_uses_clangarm64_openssl(fs: Path) -> None:
    files = tuple(f.replace("mingw64", "clangarm64") for f in INSTALLER_LAYOUT)
    lay_out(fs, r"C:\Program Files\Git", files)
    found = find_git_for_windows(WIN_ENV, rooted_exists(fs))
    assert found is not None
    assert found.openssl == r"C:\Program Files\Git\clangarm64\bin\openssl.exe"


def test_only_usr_bin_openssl_and_only_the_bin_redirector(fs: Path) -> None:
    lay_out(fs, r"C:\Program Files\Git", (r"bin\bash.exe", r"usr\bin\openssl.exe"))
    found = find_git_for_windows(WIN_ENV, rooted_exists(fs))
    assert found is not None
    assert found.bash == r"C:\Program Files\Git\bin\bash.exe"
    assert found.openssl == r"C:\Program Files\Git\usr\bin\openssl.exe"


def test_nothing_installed(fs: Path) -> None:
    fs.mkdir()
    assert find_git_for_windows(WIN_ENV, rooted_exists(fs), lambda *a: None) is None
    assert find_git_for_windows({}, rooted_exists(fs)) is None


def test_scoop_env_variable_is_honoured(fs: Path) -> None:
    lay_out(fs, r"D:\scoop\apps\git\current")
    found = find_git_for_windows({**WIN_ENV, "SCOOP": r"D:\scoop"}, rooted_exists(fs))
    assert found is not None
    assert found.found_by == "Scoop (%SCOOP%)"


def test_windows_ssh_keygen_in_box_and_sysnative(fs: Path) -> None:
    lay_out(fs, r"C:\Windows\Sysnative\OpenSSH", ("ssh-keygen.exe",))
    env = {"SystemRoot": r"C:\Windows"}
    assert windows_ssh_keygen(env, rooted_exists(fs)) == r"C:\Windows\Sysnative\OpenSSH\ssh-keygen.exe"
    lay_out(fs, r"C:\Windows\System32\OpenSSH", ("ssh-keygen.exe",))
    assert windows_ssh_keygen(env, rooted_exists(fs)) == r"C:\Windows\System32\OpenSSH\ssh-keygen.exe"
    assert windows_ssh_keygen({}, rooted_exists(fs)) is None


# --- shells ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "is_git_bash"),
    [
        (r"C:\Program Files\Git\usr\bin\bash.exe", True),
        (r"C:\Program Files\Git\bin\bash.exe", True),
        (r"C:\Users\ada\scoop\apps\git\current\usr\bin\bash.exe", True),
        (r"C:\Windows\System32\bash.exe", False),  # WSL's launcher
        (r"C:\Windows\Sysnative\bash.exe", False),
        ("/bin/bash", False),
        (None, False),
    ],
)
def test_git_bash_path(path: str | None, is_git_bash: bool) -> None:
    assert is_git_bash_path(path) is is_git_bash


def test_shell_names_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    import shellingham

    cases = {
        ("cmd", r"C:\Windows\System32\cmd.exe"): "cmd",
        ("powershell", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"): "powershell",
        ("pwsh", r"C:\Program Files\PowerShell\7\pwsh.exe"): "pwsh",
        ("bash", r"C:\Program Files\Git\usr\bin\bash.exe"): "git-bash",
        ("bash", r"C:\Windows\System32\bash.exe"): "bash",
    }
    for (name, path), expected in cases.items():
        monkeypatch.setattr(shellingham, "detect_shell", lambda n=name, p=path: (n, p))
        found = host_mod.detect_shell({}, "windows")
        assert found is not None
        assert (found.name, found.source) == (expected, "shellingham")


def test_shell_falls_back_to_comspec_and_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    import shellingham

    def fail() -> tuple[str, str]:
        raise shellingham.ShellDetectionFailure()

    monkeypatch.setattr(shellingham, "detect_shell", fail)
    win = host_mod.detect_shell({"COMSPEC": r"C:\Windows\system32\cmd.exe"}, "windows")
    assert win is not None
    assert (win.name, win.source) == ("cmd", "%COMSPEC%")
    posix = host_mod.detect_shell({"SHELL": "/usr/bin/fish"}, "linux")
    assert posix is not None
    assert (posix.name, posix.source) == ("fish", "$SHELL")
    assert host_mod.detect_shell({}, "linux") is None


# --- versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flavor", "version"),
    [
        ("OpenSSL 1.0.2k-fips  26 Jan 2017", "OpenSSL", (1, 0, 2)),
        ("OpenSSL 1.1.1w  11 Sep 2023", "OpenSSL", (1, 1, 1)),
        ("OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)", "OpenSSL", (3, 0, 19)),
        ("LibreSSL 3.3.6", "LibreSSL", (3, 3, 6)),
        ("LibreSSL 2.8.3", "LibreSSL", (2, 8, 3)),
        ("BoringSSL", "BoringSSL", None),
        ("garbage", None, None),
        ("", None, None),
    ],
)
def test_openssl_versions(text: str, flavor: str | None, version: tuple[int, ...] | None) -> None:
    assert parse_openssl_version(text) == (flavor, version)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.19 27 Jan 2026", (9, 2)),
        ("OpenSSH_for_Windows_7.7p1, LibreSSL 2.6.5", (7, 7)),
        ("OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2", (8, 1)),
        ("OpenSSH_8.0p1, OpenSSL 1.1.1k  FIPS 25 Mar 2021", (8, 0)),
        ("ssh: unknown option", None),
    ],
)
def test_openssh_versions(text: str, version: tuple[int, ...] | None) -> None:
    assert parse_openssh_version(text)[1] == version


@pytest.mark.parametrize(
    ("os_name", "shell", "method", "needed"),
    [
        ("linux", "bash", "auto", ("openssl",)),
        ("macos", "zsh", "auto", ("openssl",)),
        ("windows", "cmd", "auto", ("ssh-keygen",)),
        ("windows", "powershell", "auto", ("ssh-keygen",)),
        ("windows", "pwsh", "auto", ("ssh-keygen",)),
        ("windows", None, "auto", ("ssh-keygen",)),
        ("windows", "git-bash", "auto", ("openssl",)),
        ("linux", "bash", "ssh-keygen", ("ssh-keygen",)),
        ("windows", "cmd", "git-bash", ("openssl",)),
    ],
)
def test_versions_needed(os_name: OSName, shell: str | None, method: str, needed: tuple[str, ...]) -> None:
    assert versions_needed(os_name, shell, method) == needed


def _count_spawns(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    spawned: list[list[str]] = []
    real = run.run

    def counting(argv: list[str], **kwargs: object) -> run.Completed:
        spawned.append(list(argv))
        return real(argv, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "run", counting)
    return spawned


def test_detection_asks_only_the_tool_that_will_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spawned = _count_spawns(monkeypatch)
    host = host_mod.detect_host(cwd=str(tmp_path))
    assert spawned == [["openssl", "version"]]
    assert host.openssl is not None and host.openssl.version_text
    if SSH_KEYGEN is None:  # Windows lane: openssl is what will run, and nothing else was asked
        assert host.ssh_keygen is None
        return
    assert host.ssh_keygen is not None and host.ssh_keygen.version_text is None
    spawned.clear()
    host = host_mod.detect_host(method="ssh-keygen", cwd=str(tmp_path))
    assert spawned == [["ssh", "-V"]]
    assert (
        host.ssh_keygen is not None
        and host.ssh_keygen.version == parse_openssh_version(host.ssh_keygen.version_text or "")[1]
    )


@pytest.mark.skipif(SSH_KEYGEN is None, reason="needs ssh-keygen (no ssh-keygen.exe in the Windows lane)")
def test_without_openssl_auto_asks_ssh_keygen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("ssh-keygen", "ssh"):
        real = run.which(name)
        assert real
        (bindir / name).symlink_to(real)
    spawned = _count_spawns(monkeypatch)
    host = host_mod.detect_host(env={"PATH": str(bindir)}, cwd=str(tmp_path))
    assert host.openssl is None
    assert spawned == [["ssh", "-V"]]


def test_a_broken_openssl_is_a_tool_without_a_version_not_a_crash(tmp_path: Path, stand_in) -> None:  # type: ignore[no-untyped-def]
    path = stand_in(
        "openssl",
        "echo 'Segmentation fault' >&2; exit 139\n",
        python="sys.stderr.write('Segmentation fault\\n')\nraise SystemExit(139)\n",
    )
    host = host_mod.detect_host(env={"PATH": path}, cwd=str(tmp_path))
    assert host.openssl is not None
    assert host.openssl.version is None
    assert host.openssl.version_label == "unknown version"


def test_given_shell_replaces_detection(tmp_path: Path) -> None:
    host = host_mod.detect_host(shell="dash", cwd=str(tmp_path))
    assert host.shell is not None
    assert (host.shell.name, host.shell.source) == ("dash", "given")
    assert host.shell.path == run.which("dash")
