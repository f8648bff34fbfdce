"""`keygen --version`: the one place that prints it. The entry point answers a bare
`keygen --version` with it before the rest of keygen loads, and the app's own `--version` option
calls it too; it needs nothing of keygen but its version and standard output."""

from __future__ import annotations

import sys

from keygen import __version__, stream
from keygen.errors import OutputFailed


def version() -> int:
    """Print `keygen VERSION`; exit 0, or 7 (one error line) when standard output is full or closed."""
    stream.install()
    try:
        stream.out(f"keygen {__version__}")
        sys.stdout.flush()
    except OutputFailed as exc:
        return stream.report_output_failure(exc)
    return 0
