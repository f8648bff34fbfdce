"""The one result shape every command returns.

A command's core function returns a `Result`: its error (or None), its warnings, and its facts.
The exit code follows from them; the renderer (`keygen.render`) turns the same value into text or
into the JSON envelope `command, ok, exit_code, error, warnings, ...facts`. The audit record of a
run is built from the same facts, so what is shown and what is recorded cannot drift apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from keygen.errors import ExitCode, KeygenError


class Result:
    """Base of every command's outcome (each is a dataclass with `error` and `warnings` fields)."""

    command: ClassVar[str] = ""
    error: KeygenError | None
    warnings: list[str]

    def status_code(self) -> int:
        """The exit code when no error stopped the command (verify: 1 when a check failed)."""
        return int(ExitCode.OK)

    @property
    def exit_code(self) -> int:
        return int(self.error.code) if self.error is not None else self.status_code()

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def name(self) -> str:
        return self.command

    def facts(self) -> dict[str, Any]:
        """What the command found or did, as JSON-ready data (after the envelope's own keys)."""
        return {}

    def envelope(self) -> dict[str, Any]:
        return {
            "command": self.name(),
            "ok": self.ok,
            "exit_code": self.exit_code,
            "error": self.error.as_dict() if self.error is not None else None,
            "warnings": list(self.warnings),
            **self.facts(),
        }


@dataclass
class Failure(Result):
    """A command that failed before it had a result of its own: a usage error, an unreadable log."""

    command_name: str = ""
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)

    def name(self) -> str:
        return self.command_name


def utc_timestamp() -> str:
    """A record's or a result's time: UTC, to the second, ISO 8601 with a Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
