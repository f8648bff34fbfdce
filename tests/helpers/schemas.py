"""Every `--json` output the suite produces is checked against its command's JSON Schema.

The schemas are the documentation's (`docs/schemas/<command>.json`, published on the JSON output
reference page), so the page and the output cannot drift apart: `install()` (called once by
conftest, before any test module is imported) wraps `subprocess.run` and Typer's `CliRunner.invoke`,
and every run of keygen with `--json` that they see has its standard output validated, wherever in
the suite it happens. A command with no schema file fails the test that ran it, with the path to
write: a new command cannot ship without its documented JSON.

Runs that go through a shell line, a pseudo-terminal or `Popen` are not seen; the suite's JSON runs
go through `run_keygen`, `subprocess.run` or `CliRunner`. Validation needs `jsonschema` (the `test`
extra); the Windows lane installs only what its part of the suite needs and skips it there
(tests/test_docs_schemas.py requires it everywhere else).

`KEYGEN_TEST_JSON_SAMPLES=DIR` writes every output into DIR instead of validating it: raw material
for a new command's schema (see CONTRIBUTING.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "docs" / "schemas"


def schema_path(command: str) -> Path:
    """`generate` -> docs/schemas/generate.json; `audit verify` -> docs/schemas/audit-verify.json."""
    return SCHEMAS / f"{command.replace(' ', '-')}.json"


@cache
def load(command: str) -> dict[str, Any]:
    path = schema_path(command)
    if not path.is_file():
        raise AssertionError(
            f"keygen {command} --json printed a document but {path.relative_to(REPO)} does not exist: "
            "write the command's JSON Schema there (CONTRIBUTING.md, 'Adding a command, or an option')"
        )
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def validate(doc: dict[str, Any]) -> None:
    """Raise AssertionError when `doc` does not follow its command's schema (or has none)."""
    import jsonschema

    command = doc.get("command")
    if not isinstance(command, str) or not command:
        # A usage error before any command was chosen (`keygen --json`): the envelope alone.
        command = "error"
    schema = load(command)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        where = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:5])
        raise AssertionError(f"keygen {command} --json does not follow {schema_path(command).name}: {where}")


def check_stdout(stdout: str | bytes | None) -> None:
    """Validate a keygen run's standard output when it is a JSON envelope (anything else is left
    to the test that ran it: a closed stdout, a deliberately broken run)."""
    if not stdout:
        return
    try:
        doc = json.loads(stdout)
    except ValueError:
        return
    if not isinstance(doc, dict) or "exit_code" not in doc:
        return
    samples = os.environ.get("KEYGEN_TEST_JSON_SAMPLES")
    if samples:
        name = str(doc.get("command") or "error").replace(" ", "-")
        Path(samples, f"{name}-{uuid.uuid4().hex}.json").write_text(json.dumps(doc), encoding="utf-8")
        return
    validate(doc)


def is_json_run(argv: Sequence[Any]) -> bool:
    """keygen's argv (`python -m keygen ...`, the console script, or CliRunner's args) with --json."""
    words = [str(a) for a in argv]
    if "--json" not in words:
        return False
    names = {Path(w).name.lower() for w in words[:1]}
    return "keygen" in words[:4] or bool(names & {"keygen", "keygen.exe"})


def install() -> None:
    """Wrap subprocess.run and CliRunner.invoke so every keygen --json output is validated."""
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        return
    real_run = subprocess.run

    def run(*popenargs: Any, **kwargs: Any) -> Any:
        done = real_run(*popenargs, **kwargs)
        argv = popenargs[0] if popenargs else kwargs.get("args")
        if isinstance(argv, (list, tuple)) and is_json_run(argv):
            check_stdout(done.stdout)
        return done

    subprocess.run = run  # type: ignore[assignment]

    from typer.testing import CliRunner

    real_invoke = CliRunner.invoke

    def invoke(self: CliRunner, app: Any, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        result = real_invoke(self, app, args, *rest, **kwargs)
        if isinstance(args, (list, tuple)) and "--json" in [str(a) for a in args]:
            check_stdout(result.stdout)
        return result

    CliRunner.invoke = invoke  # type: ignore[method-assign]


# A first draft of a command's schema from sample outputs, for a person to read and finish:
#   KEYGEN_TEST_JSON_SAMPLES=/tmp/samples .venv/bin/python -m pytest -q -n auto
#   .venv/bin/python -m tests.helpers.schemas /tmp/samples COMMAND > docs/schemas/COMMAND.json

ENVELOPE_KEYS = ("command", "ok", "exit_code", "error", "warnings")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


#: Whole numbers by nature; any other number seen whole in the samples may be a fraction elsewhere.
WHOLE = {"code", "exit_code", "seq", "line", "size", "status", "pid", "records", "count", "age_days"}
#: Closed vocabularies, written into the schema as enums.
ENUMS = {"status": ["pass", "warn", "fail"], "severity": ["problem", "warning", "tip"]}
#: What keygen passes on as it found it: an audit record is what the log holds (a hand-edited line
#: included), so its shape is the audit record format's, not this output's to promise.
OPEN = {
    "record": {"type": ["object", "null"], "description": "The record as the log holds it."},
    "records": {"type": "array", "items": {"type": "object"}, "description": "The records as the log holds them."},
}


def infer(values: list[Any], top: bool = False, key: str = "") -> dict[str, Any]:
    """The types seen. Nested scalars may also be null (a fact unknown on another machine: a tool
    not found, a mode Windows does not have), numbers may be fractions unless whole by nature, and
    objects list the properties seen; only the top is closed, and there only the envelope is required."""
    types = {_json_type(v) for v in values}
    if "integer" in types and (key not in WHOLE or "number" in types):
        types.discard("integer")
        types.add("number")
    if not top and types <= {"string", "number", "integer", "boolean", "null"}:
        types.add("null")
    schema: dict[str, Any] = {"type": sorted(types)[0] if len(types) == 1 else sorted(types)}
    if key in ENUMS and types <= {"string", "null"} and all(v in ENUMS[key] for v in values if v is not None):
        schema["enum"] = [*ENUMS[key], None]
    if key in OPEN and all(isinstance(v, (dict, list)) or v is None for v in values):
        return OPEN[key]
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        keys = list(dict.fromkeys(k for o in objects for k in o))
        schema["properties"] = {k: infer([o[k] for o in objects if k in o], key=k) for k in keys}
        if top:
            schema["required"] = [k for k in keys if all(k in o for o in objects)]
            schema["additionalProperties"] = False
    items = [item for v in values if isinstance(v, list) for item in v]
    if items:
        schema["items"] = infer(items, key=key)
    return schema


def envelope_schema(command: str) -> dict[str, Any]:
    from keygen.errors import ExitCode

    return {
        "command": {"const": command.replace("-", " ") if command != "error" else ""},
        "ok": {"type": "boolean"},
        "exit_code": {"enum": sorted(int(c) for c in ExitCode)},
        "error": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["kind", "code", "message", "hint"],
                    "properties": {
                        "kind": {"type": "string"},
                        "code": {"type": "integer"},
                        "message": {"type": "string"},
                        "hint": {"type": ["string", "null"]},
                    },
                    "additionalProperties": False,
                },
            ]
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    }


def draft(samples: Path, command: str) -> dict[str, Any]:
    every = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(samples.glob("*.json"))]
    docs = [d for d in every if str(d.get("command") or "error").replace(" ", "-") == command]
    if not docs:
        raise SystemExit(f"no samples of {command} in {samples}")
    body = infer(docs, top=True)
    properties = {**envelope_schema(command), **{k: v for k, v in body["properties"].items() if k not in ENVELOPE_KEYS}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"keygen {command.replace('-', ' ')} --json",
        "description": "The envelope (command, ok, exit_code, error, warnings), then the command's own facts.",
        "type": "object",
        # Only the envelope is always there (a usage error has nothing else); every other key must
        # be one of the properties, with its type.
        "required": list(ENVELOPE_KEYS),
        "properties": properties,
        "additionalProperties": False,
    }


if __name__ == "__main__":
    import sys

    print(json.dumps(draft(Path(sys.argv[1]), sys.argv[2]), indent=2))
