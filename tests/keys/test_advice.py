"""keygen.keys.advice: quoting for POSIX shells (run through the real ones), cmd.exe and PowerShell (held
against their documented parsing rules, modelled below: no cmd.exe or PowerShell runs here), fresh
names that never collide, and steps joined so a failure stops the line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from keygen.recipes import quoting

NAMES = [
    "privateKey.pem",
    "my keys/private key.pem",
    "it's.pub",
    "$HOME.pub",
    "a`b`.pub",
    'say "hi".pub',
    "50% off & more (x).pub",
    "-dash.pub",
    "back\\slash.pub",
    "star*?.pub",
    "semi;colon|pipe>.pub",
    "ünïcode.pub",
    "new\nline.pub",
]


@pytest.mark.parametrize("shell", [s for s in ("sh", "dash", "bash", "zsh") if shutil.which(s)])
@pytest.mark.parametrize("name", NAMES)
def test_posix_quote_round_trips_through_real_shells(shell: str, name: str, tmp_path: Path) -> None:
    line = f"printf '%s' {quoting.quote(name, 'posix')}"
    done = subprocess.run([shell, "-c", line], capture_output=True, cwd=tmp_path, check=True)
    assert done.stdout.decode() == name


def _cmd_argv(line: str) -> list[str]:
    """cmd.exe's interactive parsing (^ escapes outside quotes, quotes toggle) then the C runtime's
    argv rules (quotes group and are removed; 2n backslashes before a quote are n)."""
    typed, quoted, i = "", False, 0
    while i < len(line):
        c = line[i]
        if c == "^" and not quoted:
            typed += line[i + 1]
            i += 2
            continue
        assert quoted or c not in "&|<>()%", f"unquoted special {c!r} in {line!r}"
        if c == '"':
            quoted = not quoted
        typed += c
        i += 1
    argv, cur, inq, pending, i = [], "", False, False, 0
    while i < len(typed):
        c = typed[i]
        if c == "\\":
            n = len(typed[i:]) - len(typed[i:].lstrip("\\"))
            if i + n < len(typed) and typed[i + n] == '"':
                cur += "\\" * (n // 2)
                i += n
                continue
            cur += "\\" * n
            i += n
            continue
        if c == '"':
            inq, pending = not inq, True
        elif c == " " and not inq:
            if cur or pending:
                argv.append(cur)
            cur, pending = "", False
        else:
            cur += c
        i += 1
    if cur or pending:
        argv.append(cur)
    return argv


@pytest.mark.parametrize("name", [n for n in NAMES if '"' not in n and "\n" not in n] + ["C:\\my dir\\"])
def test_cmd_quote_is_one_argument_with_the_name(name: str) -> None:
    assert _cmd_argv(f"prog {quoting.quote(name, 'cmd')}") == ["prog", name]


def test_cmd_refuses_a_double_quote() -> None:
    with pytest.raises(ValueError, match="double quote"):
        quoting.quote('say "hi".pub', "cmd")


def _powershell_single_quoted(word: str) -> str:
    """PowerShell's verbatim string: '...' with '' for a quote (also the typographic quotes)."""
    assert word[0] == "'" and word[-1] == "'", word
    body = word[1:-1]
    out, i = "", 0
    while i < len(body):
        if body[i] in "'\u2018\u2019\u201a\u201b":
            assert body[i + 1] == body[i], f"lone quote in {word!r}"
            i += 1
        out += body[i]
        i += 1
    return out


@pytest.mark.parametrize("name", [*NAMES, "curly\u2019quote.pub"])
def test_powershell_quote_is_verbatim(name: str) -> None:
    word = quoting.quote(name, "powershell")
    if word == name:
        assert all(c.isalnum() or c in "._/\\:-" for c in name) and not name.startswith("-")
    else:
        assert _powershell_single_quoted(word) == name


def test_safe_names_stay_as_typed() -> None:
    for shell in quoting.SHELLS:
        assert quoting.quote("keys/privateKey.pem", shell) == "keys/privateKey.pem"


def test_join_and_to_file_per_shell() -> None:
    assert quoting.join(["a", "b", "c"], "posix") == "a && b && c"
    assert quoting.join(["a", "b"], "cmd") == "a && b"
    # Windows PowerShell 5.1 has no &&.
    assert quoting.join(["a", "b", "c"], "powershell") == "a; if ($?) { b }; if ($?) { c }"
    assert quoting.to_file("x", "out file.pub", "posix") == "x > 'out file.pub'"
    # 5.1's > writes UTF-16, which no tool reads: Out-File as ASCII, never over an existing file.
    assert quoting.to_file("x", "o.pub", "powershell") == "x | Out-File -Encoding ascii -NoClobber o.pub"


def test_fresh_name_skips_taken_names(tmp_path: Path) -> None:
    taken = {"keys/publicKey.new.pub", "keys/publicKey-2.new.pub"}
    assert quoting.fresh_name("keys/publicKey.pub", ".new.pub", taken.__contains__) == "keys/publicKey-3.new.pub"
    assert quoting.fresh_name("privateKey.pem", ".pkcs8.pem", lambda p: False) == "privateKey.pkcs8.pem"
    assert quoting.fresh_dir("new-key-pair", {"new-key-pair"}.__contains__) == "new-key-pair-2"


def test_keygen_verify_names_exactly_the_files() -> None:
    assert quoting.keygen_verify("privateKey.pem", "pub16.pub", "posix", "--fix") == (
        "keygen verify --fix privateKey.pem pub16.pub"
    )
    assert quoting.keygen_verify(None, "a b.pub", "powershell") == "keygen verify --public-only 'a b.pub'"
    assert quoting.keygen_verify("k.pem", None, "cmd") == "keygen verify --private-only k.pem"


@pytest.mark.parametrize(
    ("env", "kind"),
    [({"KEYGEN_SHELL": "pwsh"}, "powershell"), ({"KEYGEN_SHELL": "cmd"}, "cmd"), ({"KEYGEN_SHELL": "zsh"}, "posix")],
)
def test_shell_override(env: dict[str, str], kind: str) -> None:
    assert quoting.current_shell(env) == kind


def test_shell_kind_by_detected_name() -> None:
    assert quoting.shell_kind("powershell", "windows") == "powershell"
    assert quoting.shell_kind("git-bash", "windows") == "posix"
    assert quoting.shell_kind(None, "windows") == "cmd"
    assert quoting.shell_kind(None, "linux") == "posix"


@pytest.mark.parametrize(
    ("shell", "expected"),
    [
        ("posix", "`ssh-keygen -e -m PKCS8 -f 'my key.pub' > 'my key.spki.pub' && "
                  "keygen verify k.pem 'my key.spki.pub'`"),
        ("cmd", '`ssh-keygen -e -m PKCS8 -f "my key.pub" > "my key.spki.pub" && '
                'keygen verify k.pem "my key.spki.pub"`'),
        ("powershell", "`ssh-keygen -e -m PKCS8 -f 'my key.pub' | Out-File -Encoding ascii -NoClobber "
                       "'my key.spki.pub'; if ($?) { keygen verify k.pem 'my key.spki.pub' }`"),
    ],
)  # fmt: skip
def test_fixes_are_written_for_the_users_shell(
    shell: quoting.Shell, expected: str, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from keygen.keys import checks

    monkeypatch.chdir(tmp_path)
    shutil.copyfile(key_zoo["privateKey.pem"], "k.pem")
    shutil.copyfile(key_zoo["ssh_rsa_line.pub"], "my key.pub")
    report = checks.check_pair(Path("k.pem"), Path("my key.pub"), strict=False, shell=shell)
    fix = next(c.fix for c in report.checks if c.name == "public_key.format")
    assert expected in fix


# --- the program a printed command names -------------------------------------------------------

GIT_OPENSSL = "C:\\Program Files\\Git\\mingw64\\bin\\openssl.exe"
#: A Windows user with Git for Windows installed: Git's tree, no openssl on PATH.
WINDOWS_ENV = {"PATH": "C:\\Windows\\system32", "ProgramFiles": "C:\\Program Files"}
GIT_FILES = {"C:\\Program Files\\Git\\bin\\bash.exe", GIT_OPENSSL}


def _nowhere(name: str, path: str | None = None) -> None:
    return None


def test_located_is_git_bash_openssl_when_openssl_is_not_on_path() -> None:
    assert quoting.located("openssl", "windows", WINDOWS_ENV, GIT_FILES.__contains__, which=_nowhere) == GIT_OPENSSL
    # On PATH, the bare name runs what keygen runs; off Windows, there is nowhere else to look.
    assert quoting.located("openssl", "windows", WINDOWS_ENV, GIT_FILES.__contains__, which=lambda *a, **k: "x") is None
    assert quoting.located("openssl", "linux", WINDOWS_ENV, GIT_FILES.__contains__, which=_nowhere) is None
    assert quoting.located("openssl", "windows", WINDOWS_ENV, set().__contains__, which=_nowhere) is None


def test_program_is_the_full_path_quoted_for_each_shell() -> None:
    cmd = quoting.program("openssl", "cmd", GIT_OPENSSL)
    assert cmd == f'"{GIT_OPENSSL}"'
    assert _cmd_argv(f"{cmd} pkey -in k.pem") == [GIT_OPENSSL, "pkey", "-in", "k.pem"]
    # PowerShell runs a quoted path only through the call operator.
    ps = quoting.program("openssl", "powershell", GIT_OPENSSL)
    assert ps.startswith("& ") and _powershell_single_quoted(ps[2:]) == GIT_OPENSSL
    assert quoting.program("openssl", "posix", "") == "openssl"


@pytest.mark.parametrize("shell", ["cmd", "powershell"])
def test_fixes_name_the_openssl_keygen_found(
    shell: quoting.Shell, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Typed as `openssl` in a Windows console with only Git Bash's openssl, a fix would be "not
    recognized": it names the executable instead."""
    from keygen.keys import checks

    monkeypatch.setattr(quoting, "_located_here", lambda tool: GIT_OPENSSL if tool == "openssl" else None)
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(key_zoo["pkcs1.pem"], "k.pem")
    shutil.copyfile(key_zoo["pkcs1_public.pub"], "p.pub")
    report = checks.check_pair(Path("k.pem"), Path("p.pub"), strict=False, shell=shell)
    fixes = {c.name: c.fix for c in report.checks}
    word = quoting.program("openssl", shell, GIT_OPENSSL)
    assert f"`{word} pkcs8 -topk8 -nocrypt -in k.pem" in fixes["private_key.format"]
    assert f"`{word} rsa -RSAPublicKey_in -in p.pub" in fixes["public_key.format"]
    assert "`openssl " not in " ".join(fixes.values())


@pytest.mark.parametrize("shell", quoting.SHELLS)
def test_missing_public_key_is_written_from_the_private_key_first(
    shell: quoting.Shell, key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from keygen.keys import checks

    monkeypatch.chdir(tmp_path)
    shutil.copyfile(key_zoo["privateKey.pem"], "privateKey.pem")
    report = checks.check_pair(Path("privateKey.pem"), Path("publicKey.pub"), strict=False, shell=shell)
    fix = next(c.fix for c in report.checks if c.name == "public_key.file")
    line = quoting.join(
        ["keygen public-key privateKey.pem -o publicKey.pub", "keygen verify privateKey.pem publicKey.pub"], shell
    )
    assert f"`{line}`" in fix
    # A new pair only after it: a private key already registered must not be replaced by accident.
    assert fix.index("keygen public-key") < fix.index("keygen generate")


def test_missing_public_key_beside_a_missing_private_key_is_a_new_pair(tmp_path: Path) -> None:
    from keygen.keys import checks

    report = checks.check_pair(tmp_path / "privateKey.pem", tmp_path / "publicKey.pub", strict=False, shell="posix")
    fix = next(c.fix for c in report.checks if c.name == "public_key.file")
    assert "keygen public-key" not in fix and "keygen generate" in fix
