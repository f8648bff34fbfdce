"""`keygen audit show N|last [--script posix|cmd|powershell]`: one record in full, or a script that
repeats the documented steps it recorded.

The script's commands come from keygen's own copy of the documented lines (recipes), chosen by
the record's step lines, never from the record's text: a record edited to hold another command
makes no script at all, and nothing from the record reaches the script except sanitised comments.
Every script refuses (exit 5, touching nothing) when privateKey.pem or publicKey.pub already exist,
runs the lines in a new private directory inside DIR, and only then moves the pair into DIR without
overwriting, so a failed step never leaves half a pair under the final names.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen import recipes
from keygen.audit import files
from keygen.audit.chain import Line, parse
from keygen.audit.walk import lines_of
from keygen.errors import KeygenError, UsageError
from keygen.recipes.quoting import powershell_ascii_line
from keygen.result import Result

SHELLS = ("posix", "cmd", "powershell")
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._:/\\@+=,()\-]")


@dataclass
class Shown(Result):
    command: ClassVar[str] = "audit show"
    path: Path
    which: str
    line: Line | None = None
    shell: str | None = None
    script: str | None = None
    warnings: list[str] = field(default_factory=list)
    error: KeygenError | None = None

    @property
    def record(self) -> dict[str, Any] | None:
        return self.line.value if self.line else None

    def facts(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            **_place(self.line),
            "record": self.record,
            "script": {"shell": self.shell, "text": self.script} if self.script is not None else None,
        }


def _place(line: Line | None) -> dict[str, Any]:
    """Where the record is and its line's hash (all None when no record was found)."""
    if line is None:
        return {"file": None, "line": None, "seq": None, "sha256": None}
    return {"file": str(line.file), "line": line.no, "seq": line.seq, "sha256": line.digest}


def show(path: Path, which: str, shell: str | None = None) -> Shown:
    shown = Shown(path, which, shell=shell)
    try:
        if shell is not None and shell not in SHELLS:
            raise UsageError(f"--script {shell!r} is not a shell keygen writes", f"use one of: {', '.join(SHELLS)}")
        if which != "last" and not which.isdigit():
            raise UsageError(f"{which!r} is neither a record number nor `last`", "for example: keygen audit show last")
        shown.line = line = _find(path, which, shown.warnings)
        if line.sealed is False:
            shown.warnings.append(
                f"{line.where()} was changed after it was written (its hash does not match); "
                "`keygen audit verify` says more"
            )
        if shell is not None:
            shown.script = script(shell, line)
    except KeygenError as exc:
        shown.error = exc
    return shown


def _find(path: Path, which: str, warnings: list[str]) -> Line:
    """`last`: the log's last record, read from the end of the newest file; a number: the chained
    record with that seq (`keygen audit --json`), read front to back until it is found."""
    try:
        with files.opened(path) as parts:
            found = _last(parts, warnings) if which == "last" else _numbered(parts, int(which))
    except OSError as exc:
        raise files.refusal(exc, path) from None
    if found is None and which == "last":
        raise UsageError(
            f"the audit log {path} holds no records", "run keygen generate first, or name another --audit-log"
        )
    if found is None:
        raise UsageError(
            f"the audit log {path} has no record {which}",
            "record numbers are the `seq` in `keygen audit --json`; `keygen audit verify` prints the newest",
        )
    return found


def _backwards(parts: list[files.Part]) -> Iterator[tuple[files.Part, int, Line]]:
    """The log's lines from the newest back, each with its file and where it starts (its line number
    is counted only for a line that is shown: counting costs a read of the file up to it)."""
    for part in reversed(parts):
        for offset, raw in files.lines_backwards(part):
            yield part, offset, parse(raw, part.path, 0)


def _numbered_line(found: tuple[files.Part, int, Line]) -> Line:
    part, offset, line = found
    return dataclasses.replace(line, no=files.line_number(part, offset))


def _last(parts: list[files.Part], warnings: list[str]) -> Line | None:
    """The last record; a warning when it is not what keygen appends to a chained log: a line with
    no seq, prev and hash after chained records, or one that does not link to the line before it."""
    lines = _backwards(parts)
    found = next((x for x in lines if x[2].value is not None), None)
    if found is None:
        return None
    last = _numbered_line(found)
    before = next((x for x in lines if x[2].raw.strip()), None)
    if not last.chained:
        if before is not None and (before[2].chained or any(x[2].chained for x in lines)):
            warnings.append(
                f"{last.where()} carries no seq, prev and hash although the log is chained: keygen did not "
                "append it (it was added by hand); `keygen audit verify` says more"
            )
    elif before is not None and "prev" in (last.value or {}) and not last.links_to(before[2]):
        warnings.append(
            f"{last.where()} does not link to the line before it ({_numbered_line(before).where()}): the log "
            "was changed; `keygen audit verify` says more"
        )
    return last


def _numbered(parts: list[files.Part], seq: int) -> Line | None:
    """The first chained record whose seq is `seq`, read front to back."""
    return next((ln for ln in lines_of(parts) if ln.value is not None and ln.chained and ln.seq == seq), None)


def recipe_of(record: dict[str, Any]) -> recipes.Recipe:
    """The documented recipe whose lines, all of them and in order, are the record's steps."""
    lines = _step_lines(record)
    for recipe in (recipes.OPENSSL, recipes.SSH_KEYGEN):
        if lines == tuple(s.line for s in recipe.steps):
            return recipe
    raise _not_replayable(record, lines)


def _step_lines(record: dict[str, Any]) -> tuple[object, ...]:
    """The `line` of each step the record holds, as recorded (whatever a hand-edited record put there)."""
    steps = record.get("steps")
    if not isinstance(steps, list):
        return ()
    return tuple(s.get("line") for s in steps if isinstance(s, dict))


def _not_replayable(record: dict[str, Any], lines: tuple[object, ...]) -> UsageError:
    """Why no recipe matches: the record ran no documented commands, or only part of a recipe."""
    if record.get("command") != "generate" or not lines:
        return UsageError(
            f"record {record.get('seq', '')} ran no documented commands (it is {record.get('command', 'unknown')!r})",
            "pick a generate record: keygen audit --json lists them with their seq",
        )
    return UsageError(
        f"record {record.get('seq', '')} does not hold the whole of a documented recipe ({len(lines)} step(s) that "
        "are not exactly the documented lines), so a replay would not make a pair",
        "pick a generate record whose run completed both documented steps",
    )


def _comment(value: object) -> str:
    """Text from the record, safe inside a comment of any of the three shells (one line, no
    characters cmd or PowerShell would act on) and still legible: every other character is written
    as its code point, `\\u00e9` for an é, `\\u001b` for an ESC (never a bare `?`)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))[:300]


def _name(value: object) -> object:
    """A recorded method (or tool): a name in older records, an object with a `name` since."""
    return value.get("name", "?") if isinstance(value, dict) else value


def _about(line: Line) -> list[str]:
    r = line.value or {}
    step0 = next((s for s in r.get("steps", []) if isinstance(s, dict)), {})
    return [
        f"keygen audit replay of record {line.seq} (line sha256 {line.digest})",
        f"from {line.file} line {line.no}",
        f"recorded {r.get('time')} by {r.get('user')} on {r.get('host')} in {r.get('dir')}",
        f"method {_name(r.get('method'))}, result {r.get('result')}, keygen {r.get('keygen_version')}",
        f"recorded executable {step0.get('executable')} ({step0.get('tool_version')})",
        "Usage: run it with the directory for the pair as its argument (default: the current directory).",
        "It refuses (exit 5) when privateKey.pem or publicKey.pub exist there, runs the documented lines",
        "in a new private directory inside it, then moves the pair in without overwriting anything.",
    ]


def script(shell: str, line: Line) -> str:
    recipe = recipe_of(line.value or {})
    about = [_comment(text) for text in _about(line)]
    if shell == "posix":
        return _posix(recipe, about)
    if shell == "cmd":
        return _cmd(recipe, about)
    return _powershell(recipe, about)


def _posix(recipe: recipes.Recipe, about: list[str]) -> str:
    steps = " &&\n  ".join(s.line for s in recipe.steps)
    return "\n".join(
        [
            "#!/bin/sh",
            *(f"# {text}" for text in about),
            "set -u",
            "dir=${1:-.}",
            'cd -- "$dir" || { echo "replay: cannot enter $dir" >&2; exit 6; }',
            f"for name in {recipes.PRIVATE_KEY} {recipes.PUBLIC_KEY}; do",
            '  if [ -e "$name" ] || [ -L "$name" ]; then',
            '    echo "replay: refusing: $name already exists in $(pwd); keygen never overwrites a key" >&2',
            "    exit 5",
            "  fi",
            "done",
            f"command -v {recipe.tool} >/dev/null 2>&1 ||",
            f"  {{ echo 'replay: {recipe.tool} was not found on PATH' >&2; exit 3; }}",
            "work=$(umask 077 && mktemp -d ./.keygen-replay.XXXXXX) ||",
            '  { echo "replay: cannot make a directory in $(pwd)" >&2; exit 6; }',
            "trap 'rm -rf -- \"$work\"' EXIT",
            "trap 'exit 130' HUP INT TERM",
            "# The documented lines, as recorded, in the private directory:",
            '( cd -- "$work" && umask 077 &&',
            f"  {steps}",
            ') || { echo "replay: a documented step failed; nothing was placed in $(pwd)" >&2; exit 4; }',
            "# No-clobber: ln fails when the name is taken; a private key alone is taken back.",
            f'if ln -- "$work/{recipes.PRIVATE_KEY}" {recipes.PRIVATE_KEY}; then',
            f'  if ln -- "$work/{recipes.PUBLIC_KEY}" {recipes.PUBLIC_KEY}; then',
            f'    echo "replay: made {recipes.PRIVATE_KEY} and {recipes.PUBLIC_KEY} in $(pwd)" >&2',
            "    exit 0",
            "  fi",
            f'  [ {recipes.PRIVATE_KEY} -ef "$work/{recipes.PRIVATE_KEY}" ] && rm -f -- {recipes.PRIVATE_KEY}',
            "fi",
            'echo "replay: could not place the pair in $(pwd) (a name was taken meanwhile, or no hard links here);'
            ' nothing was placed" >&2',
            "exit 5",
            "",
        ]
    )


def _cmd(recipe: recipes.Recipe, about: list[str]) -> str:
    """Plain batch: `if exist ... goto`, `if errorlevel 1 goto`, labels; CRLF line ends (cmd's label
    search misreads LF-only files)."""
    run: list[str] = []
    for s in recipe.steps:
        run += [s.line, "if errorlevel 1 goto failed"]
    priv, pub = recipes.PRIVATE_KEY, recipes.PUBLIC_KEY
    text = [
        "@echo off",
        *(f"rem {text}" for text in about),
        "setlocal",
        'if "%~1"=="" goto here',
        'cd /d "%~1"',
        "if errorlevel 1 exit /b 6",
        ":here",
        f"if exist {priv} goto taken",
        f"if exist {pub} goto taken",
        'set "BASE=%CD%"',
        'set "WORK=%CD%\\.keygen-replay-%RANDOM%%RANDOM%"',
        'mkdir "%WORK%"',
        "if errorlevel 1 exit /b 6",
        'cd /d "%WORK%"',
        *run,
        'cd /d "%BASE%"',
        "rem cmd has no no-clobber move: look again right before each move.",
        f"if exist {priv} goto lost",
        f"if exist {pub} goto lost",
        f'move "%WORK%\\{priv}" {priv} >nul',
        "if errorlevel 1 goto lost",
        f"if exist {pub} goto lostpub",
        f'move "%WORK%\\{pub}" {pub} >nul',
        "if errorlevel 1 goto lostpub",
        'rmdir /s /q "%WORK%"',
        f'echo replay: made {priv} and {pub} in "%CD%" 1>&2',
        "exit /b 0",
        ":taken",
        f'echo replay: refusing: {priv} or {pub} already exists in "%CD%"; keygen never overwrites a key 1>&2',
        "exit /b 5",
        ":failed",
        'cd /d "%BASE%"',
        'rmdir /s /q "%WORK%"',
        'echo replay: a documented step failed; nothing was placed in "%CD%" 1>&2',
        "exit /b 4",
        ":lostpub",
        f"del {priv}",
        ":lost",
        'rmdir /s /q "%WORK%"',
        'echo replay: a name was taken meanwhile in "%CD%"; nothing was placed 1>&2',
        "exit /b 5",
        "",
    ]
    return "\r\n".join(text)


def _powershell(recipe: recipes.Recipe, about: list[str]) -> str:
    """Windows PowerShell 5.1's `>` writes UTF-16, which no tool reads: there the redirect goes through
    Out-File -Encoding ascii (the line `keygen plan` gives); PowerShell 7 keeps the documented `>`."""
    run: list[str] = []
    for s in recipe.steps:
        if s.stdout_to:
            run += [
                "  if ($PSVersionTable.PSVersion.Major -lt 6) {",
                f"    {powershell_ascii_line(s)}",
                "  } else {",
                f"    {s.line}",
                "  }",
            ]
        else:
            run.append(f"  {s.line}")
        run.append(f"  if ($LASTEXITCODE -ne 0) {{ throw 'a documented step failed: {s.line}' }}")
    priv, pub = recipes.PRIVATE_KEY, recipes.PUBLIC_KEY
    text = [
        *(f"# {text}" for text in about),
        "param([string]$Dir = '.')",
        "# No global ErrorActionPreference = 'Stop': Windows PowerShell 5.1 would turn the tools' stderr",
        "# (openssl's progress dots) into a terminating error when its own stderr is redirected.",
        "$base = (Resolve-Path -LiteralPath $Dir -ErrorAction Stop).ProviderPath",
        f"foreach ($name in '{priv}', '{pub}') {{",
        "  if (Test-Path -LiteralPath (Join-Path $base $name)) {",
        '    [Console]::Error.WriteLine("replay: refusing: $name already exists in $base; '
        'keygen never overwrites a key")',
        "    exit 5",
        "  }",
        "}",
        "$work = Join-Path $base ('.keygen-replay-' + [guid]::NewGuid().ToString('N'))",
        "New-Item -ItemType Directory -Path $work -ErrorAction Stop | Out-Null",
        "$placed = $false",
        "try {",
        "  Push-Location -LiteralPath $work -ErrorAction Stop",
        *run,
        "  Pop-Location",
        "  # File.Move never overwrites: it fails when the name is taken.",
        f"  [System.IO.File]::Move((Join-Path $work '{priv}'), (Join-Path $base '{priv}'))",
        "  $placed = $true",
        f"  [System.IO.File]::Move((Join-Path $work '{pub}'), (Join-Path $base '{pub}'))",
        f'  [Console]::Error.WriteLine("replay: made {priv} and {pub} in $base")',
        "  exit 0",
        "} catch {",
        f"  if ($placed) {{ Remove-Item -LiteralPath (Join-Path $base '{priv}') -Force }}",
        '  [Console]::Error.WriteLine("replay: $($_.Exception.Message); nothing was placed in $base")',
        "  exit 4",
        "} finally {",
        "  Set-Location -LiteralPath $base",
        "  Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue",
        "}",
        "",
    ]
    return "\r\n".join(text)
