"""The command lines people type most, run without importing Typer (issue 14's critical path).

Importing Typer (and the Click it carries) and building its parser is about a third of what
`keygen generate` costs beside its two openssl commands, and more of `keygen verify`'s. A command
line made only of words this module knows is run through the same core function and the same
renderer the Typer command calls; for anything else `parse` returns None and Typer parses the
line as it always does: an unknown, misspelt or repeated option, `--help`, `--`, the rarer options
(`--timeout`, `--literal`, `--fix`...), a value that is empty, starts with `-` or is not one of its
option's choices, too many arguments, shell completion. So a mistake is always answered in Typer's
words, and a word taken here means exactly what it means to Typer: tests/test_shortcut.py holds
every command line this module takes against Typer's own parse of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

from keygen import platforms
from keygen.platforms import METHODS, OSES, SHELLS

if TYPE_CHECKING:
    from keygen import generate
    from keygen.platforms import Method
    from keygen.result import Result


class Grammar(NamedTuple):
    """The words of one command that the shortcut takes: each names a parameter of the Typer command.
    (A named tuple, not a dataclass: a dataclass costs a few hundred microseconds to define.)"""

    #: Flags: the word sets its parameter to True.
    flags: Mapping[str, str]
    #: Options with a value (`--name VALUE` or `--name=VALUE`), each given at most once.
    values: Mapping[str, str]
    #: Positional arguments, in order, each optional.
    arguments: tuple[str, ...] = ()


_OUTPUT = {"--json": "as_json", "-v": "verbose", "--verbose": "verbose"}

GRAMMARS: dict[str, Grammar] = {
    "generate": Grammar(
        flags={**_OUTPUT, "--force": "force", "--dry-run": "dry_run"},
        values={"--out-dir": "out_dir", "--audit-log": "audit_log", "--method": "method", "--region": "region"},
    ),
    "verify": Grammar(
        flags={**_OUTPUT, "--private-only": "private_only", "--public-only": "public_only"},
        values={},
        arguments=("private_key", "public_key"),
    ),
    "plan": Grammar(flags={"--json": "as_json"}, values={"--os": "os_name", "--shell": "shell", "--method": "method"}),
    "doctor": Grammar(flags={"--json": "as_json"}, values={"--method": "method"}),
}


_TABLES: dict[str, tuple[str, ...]] = {"method": METHODS, "os_name": OSES, "shell": SHELLS}


def _choices(parameter: str) -> Optional[tuple[str, ...]]:
    """The values a choice option takes (from the tables the Typer options are built from)."""
    if parameter in _TABLES:
        return _TABLES[parameter]
    if parameter == "region":
        from keygen.amazon_pay import REGIONS

        return tuple(REGIONS)
    return None


def _value(word: str) -> bool:
    """A value the shortcut may take: Click would take more (`--out-dir -x`), but not mean it as surely."""
    return bool(word) and not word.startswith("-")


def _option_value(parameter: str, value: str, given: Mapping[str, Any]) -> bool:
    """Whether an option's value is one the shortcut takes: the option's first, not empty, not
    like an option itself, and one of its choices if it has them."""
    choices = _choices(parameter)
    return parameter not in given and _value(value) and (choices is None or value in choices)


def parse(argv: Sequence[str], environ: Mapping[str, str]) -> Optional[tuple[str, dict[str, Any]]]:
    """(command, the parameters given) when every word of argv is one the shortcut takes, else None."""
    grammar = GRAMMARS.get(argv[0]) if argv else None
    if grammar is None or "_KEYGEN_COMPLETE" in environ:
        return None
    given: dict[str, Any] = {}
    arguments = iter(grammar.arguments)
    words = iter(argv[1:])
    for word in words:
        name, equals, inline = word.partition("=")
        if word in grammar.flags:
            given[grammar.flags[word]] = True
        elif name in grammar.values:
            parameter, value = grammar.values[name], inline if equals else next(words, "")
            if not _option_value(parameter, value, given):
                return None
            given[parameter] = value
        elif _value(word) and (argument := next(arguments, None)) is not None:
            given[argument] = word
        else:
            return None
    return argv[0], given


def run(argv: Sequence[str]) -> Optional[int]:
    """Run argv's command without Typer when `parse` takes it: its exit code, else None."""
    parsed = parse(argv, os.environ)
    if parsed is None:
        return None
    command, given = parsed
    as_json, verbose = given.pop("as_json", False), given.pop("verbose", False)
    result = _RUN[command](given, as_json)
    from keygen import render

    return render.emit(result, as_json=as_json, verbose=verbose)


def _method(given: Mapping[str, Any]) -> Method:
    return platforms.method(given.get("method", "auto"))


def _path(value: Optional[str]) -> Optional[Path]:
    return None if value is None else Path(value)


def generate_options(given: Mapping[str, Any]) -> generate.Options:
    """generate's Options for the words `parse` took (the rest are the Options' own defaults)."""
    from keygen import generate

    return generate.Options(
        out_dir=Path(given.get("out_dir", ".")),
        region=given.get("region"),
        force=given.get("force", False),
        dry_run=given.get("dry_run", False),
        audit_log=_path(given.get("audit_log")),
        method=_method(given),
    )


def _generate(given: dict[str, Any], as_json: bool) -> Result:
    from keygen import generate, render

    return generate.command(generate_options(given), progress=render.progress(as_json))


def _verify(given: dict[str, Any], as_json: bool) -> Result:
    private_key, public_key = given.get("private_key"), given.get("public_key")
    private_only, public_only = given.get("private_only", False), given.get("public_only", False)
    if private_key and public_key and not (private_only or public_only):
        # The second opinion's tools start now, beside the imports and the library's checks.
        from keygen.opinion import start_early

        start_early(private_key, public_key, os.environ)
    from keygen import verify

    return verify.command(_path(private_key), _path(public_key), private_only=private_only, public_only=public_only)


def _plan(given: dict[str, Any], as_json: bool) -> Result:
    from keygen import plan

    return plan.command(given.get("os_name"), given.get("shell"), _method(given))


def _doctor(given: dict[str, Any], as_json: bool) -> Result:
    from keygen import doctor

    return doctor.command(_method(given))


_RUN = {"generate": _generate, "verify": _verify, "plan": _plan, "doctor": _doctor}
