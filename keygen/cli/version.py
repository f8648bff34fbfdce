"""`keygen --version`: the one place that prints it. The process edge answers a bare
`keygen --version` with it before the Typer app is built, and the app's own `--version` option
calls it too; it needs nothing of keygen but its version and standard output."""

from __future__ import annotations

from keygen import __version__, stream


def version() -> int:
    stream.out(f"keygen {__version__}")
    return 0
