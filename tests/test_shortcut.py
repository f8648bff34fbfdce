"""keygen.shortcut: the common command lines run without Typer, and mean exactly what they mean to Typer.

The shortcut is a second reader of argv, so everything it takes is held against Typer's own parse
(the Click command Typer builds; Typer carries its own Click, so parameters are told apart by
`param_type_name`): the same words, the same parameters, the same values, the same
defaults, the same output. What it does not take goes to Typer, which answers as always.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st

from keygen import doctor, edge, plan, shortcut, verify
from keygen import generate as generate_mod
from keygen.cli import app
from tests.helpers import OPENSSL

COMMANDS: dict[str, Any] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
PATH_PARAMETERS = {"out_dir", "audit_log", "private_key", "public_key"}


def click_parse(command: str, args: list[str]) -> dict[str, Any]:
    """What Typer's command receives for args (Click's parse, types and callbacks; nothing runs)."""
    ctx = COMMANDS[command].make_context(command, list(args))
    # Typer hands its command a Path for a Path parameter (Click's own value is the string).
    return {k: Path(v) if k in PATH_PARAMETERS and v is not None else v for k, v in ctx.params.items()}


def expected(command: str, given: dict[str, Any]) -> dict[str, Any]:
    """The parameters the Typer command would get for the words the shortcut took."""
    params = click_parse(command, [])
    params.update({k: Path(v) if k in PATH_PARAMETERS else v for k, v in given.items()})
    return params


def option(command: str, parameter: str) -> Any:
    return next(p for p in COMMANDS[command].params if p.name == parameter)


@pytest.mark.parametrize("command", sorted(shortcut.GRAMMARS))
def test_every_word_the_shortcut_knows_is_the_typer_option_of_that_name(command: str) -> None:
    grammar = shortcut.GRAMMARS[command]
    for word, parameter in grammar.flags.items():
        declared = option(command, parameter)
        assert declared.param_type_name == "option" and declared.is_flag, word
        assert word in declared.opts, word
        assert click_parse(command, [word])[parameter] is True, word
    for word, parameter in grammar.values.items():
        declared = option(command, parameter)
        assert declared.param_type_name == "option" and not declared.is_flag and word in declared.opts, word
        assert not declared.multiple, word
        choices = shortcut._choices(parameter)
        if choices is not None:
            # The Typer option's metavar is its choices, from the same table (keygen.cli.choice).
            assert tuple((declared.metavar or "").split("|")) == choices, word
    arguments = [p.name for p in COMMANDS[command].params if p.param_type_name == "argument"]
    assert list(grammar.arguments) == arguments


def test_the_core_functions_default_to_the_typer_commands_defaults() -> None:
    """The shortcut passes only what was typed; the rest comes from the core's own defaults."""
    gen = click_parse("generate", [])
    options = generate_mod.Options()
    for field in ("out_dir", "region", "force", "dry_run", "timeout", "audit_log", "method", "literal", "shell"):
        assert getattr(options, field) == gen[field], field
    assert options.interactive == gen["interactive"]
    for core, command in ((verify.command, "verify"), (plan.command, "plan"), (doctor.command, "doctor")):
        typed = click_parse(command, [])
        for name, parameter in inspect.signature(core).parameters.items():
            assert parameter.default == typed[name], (command, name)


COMMON = [
    ["generate"],
    ["generate", "--json"],
    ["generate", "--out-dir", "keys", "--method", "openssl", "--region", "eu", "-v"],
    ["generate", "--out-dir=new dir", "--force", "--dry-run", "--audit-log", "a.jsonl", "--verbose"],
    ["verify"],
    ["verify", "privateKey.pem", "publicKey.pub"],
    ["verify", "--json", "a.pem", "b.pub"],
    ["verify", "--public-only", "publicKey.pub", "--json"],
    ["plan"],
    ["plan", "--os", "windows", "--shell", "cmd", "--json"],
    ["doctor", "--json", "--method=ssh-keygen"],
]


@pytest.mark.parametrize("argv", COMMON, ids=" ".join)
def test_the_common_lines_are_taken_and_mean_what_they_mean_to_typer(argv: list[str]) -> None:
    parsed = shortcut.parse(argv, {})
    assert parsed is not None
    command, given_ = parsed
    assert command == argv[0]
    assert expected(command, given_) == click_parse(command, argv[1:])


NOT_TAKEN = [
    [],
    ["--version"],
    ["generate", "--help"],
    ["generate", "--timeout", "5"],
    ["generate", "--literal"],
    ["generate", "--out-dir"],
    ["generate", "--out-dir", ""],
    ["generate", "--out-dir", "-x"],
    ["generate", "--out-dir", "a", "--out-dir", "b"],
    ["generate", "--method", "bogus"],
    ["generate", "--json=1"],
    ["generate", "stray"],
    ["generate", "--", "--json"],
    ["generate", "-vv"],
    ["verify", "a", "b", "c"],
    ["verify", "--fix", "a", "b"],
    ["verify", "-"],
    ["plan", "--shell", "tcsh"],
    ["exchange"],
    ["audit"],
]


@pytest.mark.parametrize("argv", NOT_TAKEN, ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert shortcut.parse(argv, {}) is None


def test_completion_requests_go_to_typer() -> None:
    assert shortcut.parse(["generate"], {"_KEYGEN_COMPLETE": "bash_complete"}) is None


VALUES = ["openssl", "auto", "ssh-keygen", "git-bash", "eu", "na", "jp", "windows", "macos", "cmd", "bash", "keys"]
ODD = ["", "-", "--", "-x", "--help", "--json=1", "--bogus", "--timeout", "5", "a=b", "--out-dir=", "é", "-vv", "a b"]
# A command line's words never hold NUL (execve cannot pass one); undecodable bytes arrive as
# surrogate escapes, which they may.
WORD = st.text(st.characters(blacklist_characters="\x00"), max_size=5) | st.just("\udcff.pem")


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Mostly well-formed lines of one command (so that many are taken), with odd words mixed in."""
    command = draw(st.sampled_from(sorted(shortcut.GRAMMARS)))
    grammar = shortcut.GRAMMARS[command]
    value = st.one_of(st.sampled_from(VALUES), WORD)
    groups = [
        st.sampled_from(sorted(grammar.flags)).map(lambda word: [word]),
        st.one_of(st.sampled_from(ODD), WORD).map(lambda word: [word]),
        st.sampled_from(["privateKey.pem", "pub.pub", "x y/z.pem"]).map(lambda word: [word]),
    ]
    if grammar.values:
        names = st.sampled_from(sorted(grammar.values))
        groups.append(st.tuples(names, value).map(list))
        groups.append(st.tuples(names, value).map(lambda pair: [f"{pair[0]}={pair[1]}"]))
    words = draw(st.lists(st.one_of(groups), max_size=5))
    return [command, *(word for group in words for word in group)]


@settings(max_examples=800, deadline=None)
@given(command_lines())
def test_whatever_the_shortcut_takes_typer_parses_the_same(argv: list[str]) -> None:
    parsed = shortcut.parse(argv, {})
    if parsed is None:
        return
    command, given_ = parsed
    # Typer must take the line too (no usage error), with every parameter the same.
    assert expected(command, given_) == click_parse(command, argv[1:])


def _via(argv: list[str], capsys: pytest.CaptureFixture[str], *, typer_only: bool) -> tuple[int, str, str]:
    """edge.run in this process, by the shortcut or (typer_only) by Typer."""
    if typer_only:
        original = shortcut.parse
        shortcut.parse = lambda *a: None  # type: ignore[assignment]
    try:
        code = edge.run(argv)
    except SystemExit as done:  # Typer's path may end with SystemExit
        code = int(done.code or 0)
    finally:
        if typer_only:
            shortcut.parse = original  # type: ignore[assignment]
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_a_line_the_shortcut_takes_prints_exactly_what_typer_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEYGEN_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    subprocess.run([sys.executable, "-m", "keygen", "generate", "--out-dir", "pair"], check=True, capture_output=True)
    lines = [
        ["plan", "--json"],
        ["plan", "--os", "windows", "--shell", "powershell"],
        ["doctor", "--json"],
        ["verify", "pair/privateKey.pem", "pair/publicKey.pub", "--json"],
        ["verify", "--private-only", "pair/privateKey.pem"],
        ["verify", "missing.pem", "missing.pub"],
        ["generate", "--dry-run", "--json", "--out-dir", "fresh"],
        ["generate", "--out-dir", "pair"],  # refused: the pair is there
    ]
    for argv in lines:
        assert shortcut.parse(argv, {}) is not None, argv
        shortcut_code, shortcut_out, shortcut_err = _via(argv, capsys, typer_only=False)
        typer_code, typer_out, typer_err = _via(argv, capsys, typer_only=True)
        assert (shortcut_code, shortcut_err) == (typer_code, typer_err), argv
        if "--json" in argv:
            assert json.loads(shortcut_out) == json.loads(typer_out), argv
        else:
            assert shortcut_out == typer_out, argv
    assert not (tmp_path / "fresh").exists()


def _imported(argv: list[str], cwd: Path) -> set[str]:
    """The modules `keygen ARGV` imports (python -X importtime: `import time: self | total | name`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "keygen", *argv], cwd=cwd, capture_output=True, text=True
    )
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
def test_the_common_lines_never_import_typer_and_the_rest_do(tmp_path: Path) -> None:
    for argv in (["plan", "--json"], ["doctor"], ["generate", "--dry-run"], ["verify", "a.pem", "b.pub"]):
        taken = _imported(argv, tmp_path)
        assert "keygen.shortcut" in taken and "typer" not in taken and "keygen.cli" not in taken, argv
    assert {"typer", "keygen.cli"} <= _imported(["plan", "--help"], tmp_path)
