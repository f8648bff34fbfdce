"""One renderer for every command: the words people read, and the JSON programs read.

A command's core returns a `keygen.result.Result`; `emit` prints it. Under `--json` that is one
object, the envelope `command, ok, exit_code, error, warnings` followed by the result's facts.
As text it is the command's own body (from the function registered in TEXT_RENDERERS), then each
warning and the error with its hint on standard error.

A new command plugs in with one line in TEXT_RENDERERS naming a function
`(result, style, verbose) -> Text`; its JSON needs nothing here (the result's `facts()`).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Optional, Protocol

from keygen import stream
from keygen.proc import interrupt
from keygen.render.style import for_stream, terminal
from keygen.result import Result

if TYPE_CHECKING:
    from keygen.render.style import Style


@dataclass
class Text:
    lines: list[str] = field(default_factory=list)
    #: "err" when the body explains a failure: it then goes to standard error, before the error line.
    stream: Literal["out", "err"] = "out"
    #: Bytes to write as they are instead of lines (a script whose line ends must survive).
    raw: bytes | None = None
    #: Lines written as they are made, after `lines` (a listing too long to hold: `keygen audit`).
    more: Iterable[str] | None = None


class TextRenderer(Protocol):
    def __call__(self, result: Any, style: Style, verbose: bool) -> Text: ...


#: command -> "module:function", the function that renders it as `(result, style, verbose) -> Text`.
#: The one registry. A module may serve several commands (render.audit: `audit`, `audit verify`,
#: `audit show`); it is imported only when its command's text is wanted.
TEXT_RENDERERS: dict[str, str] = {
    "generate": "keygen.render.generate:text",
    "public-key": "keygen.render.generate:public_key_text",
    "verify": "keygen.render.verify:text",
    "exchange": "keygen.render.exchange:text",
    "confirm": "keygen.render.confirm:text",
    "plan": "keygen.render.machine:plan_text",
    "doctor": "keygen.render.machine:doctor_text",
    "audit": "keygen.render.audit:text",
    "audit verify": "keygen.render.audit:verify_text",
    "audit show": "keygen.render.audit:show_text",
    "keys": "keygen.render.lifecycle:keys_text",
    "rotate": "keygen.render.lifecycle:rotate_text",
    "retire": "keygen.render.lifecycle:retire_text",
}


def reporting(lines: list[str], error: object | None) -> Text:
    """A command's body: on standard output, or, when it explains the error that ended the command
    (a --fix that could not write, a failed step), on standard error, just before the error line."""
    return Text(lines, "out" if error is None else "err")


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


#: What JSON leaves raw but a terminal may act on: DEL, C1 controls, separators, bidi controls.
JSON_UNSAFE = re.compile("[\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]")


def json_printable(document: str) -> str:
    """The same JSON document (they occur only inside strings, where `\\uXXXX` means the same
    character), with nothing a terminal would act on left raw (json.dumps already escapes C0)."""
    return JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def renderer(command: str) -> TextRenderer | None:
    spec = TEXT_RENDERERS.get(command)
    if spec is None:
        return None
    module, function = spec.split(":")
    text: TextRenderer = getattr(importlib.import_module(module), function)
    return text


def body(result: Result, *, verbose: bool = False) -> Text:
    """The text body of `result`, coloured for the stream it goes to (when that is a terminal)."""
    render = renderer(type(result).command)  # none for a Failure (command ""): only its error line
    if render is None:
        return Text()

    style = for_stream(sys.stdout)
    text = render(result, style, verbose)
    if text.stream == "err" and for_stream(sys.stderr) != style:
        text = render(result, for_stream(sys.stderr), verbose)
    return text


def progress(as_json: bool) -> Optional[Callable[[str], None]]:
    """What a long command says while it works: on a terminal's standard error, never under --json."""
    if as_json or not sys.stderr.isatty():
        return None
    return lambda message: _say(f"keygen: {message}")


def emit(result: Result, *, as_json: bool = False, verbose: bool = False) -> int:
    """Print `result` (JSON, or text then warnings and error) and return its exit code.

    From its first byte the command is over: a Ctrl-C or SIGTERM from here on changes nothing, so
    what is printed is whole and the exit code is the result's own (keygen.proc.interrupt)."""
    interrupt.ignore()
    if as_json:
        _write_json(result)
        return result.exit_code
    _write(body(result, verbose=verbose))
    _write_warnings_and_error(result)
    return result.exit_code


def _write(text: Text) -> None:
    if text.raw is not None:
        stream.out_bytes(text.raw)
    if text.lines:
        # The one place text meets the terminal: each element is one line, and whatever in it a
        # terminal would act on (a server's ESC, a path's CR or newline) is shown escaped; only
        # then do keygen's own colours become SGR codes.
        shown = "\n".join(terminal(stream.printable(line)) for line in text.lines)
        (stream.err if text.stream == "err" else stream.out)(shown)
    if text.more is not None:
        for batch in _batches(text.more):
            (stream.err if text.stream == "err" else stream.out)(
                "\n".join(terminal(stream.printable(line)) for line in batch)
            )


#: Lines or records written at once when they are streamed: few writes, little held.
BATCH = 256


def _batches(items: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_json(result: Result) -> None:
    """The envelope as one document. A result with `each` (the whole `keygen audit`) has its
    `records` written as they are read: the same document, byte for byte, never held whole."""
    each: Callable[[], Iterator[Any]] | None = getattr(result, "each", None)
    if each is None:
        stream.out(json_printable(dumps(result.envelope())))
        return
    mark = f"records-{uuid.uuid4().hex}"  # stands in for the records: the document splits around it
    head, tail = json_printable(dumps({**result.envelope(), "records": [mark]})).split(f'"{mark}"')
    # indent=2 puts the array's items at 4 spaces: `head` ends with "[\n    ", `tail` starts "\n  ]".
    shown = ("    " + json_printable(dumps(record)).replace("\n", "\n    ") for record in each())
    stream.out(head.removesuffix("\n    "))
    pending = None
    for batch in _batches(shown):
        if pending is not None:
            stream.out(pending + ",")
        pending = ",\n".join(batch)
    if pending is not None:
        stream.out(pending)
    stream.out(tail.removeprefix("\n"))


def _say(line: str) -> None:
    stream.err(stream.printable(line))


def _write_warnings_and_error(result: Result) -> None:
    for warning in result.warnings:
        _say(f"keygen: warning: {warning}")
    if result.error is not None:
        _say(f"keygen: error: {result.error.message}")
        if result.error.hint:
            _say(f"  hint: {result.error.hint}")
