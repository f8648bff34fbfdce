"""`keygen audit show` as text: the record as JSON, or the replay script byte for byte."""

from __future__ import annotations

from keygen.audit.replay import Shown
from keygen.render import Text, dumps
from keygen.render.style import Style


def text(shown: Shown, style: Style, verbose: bool = False) -> Text:
    if shown.error is not None:
        return Text()  # the error line says it; stdout stays empty for a script that would be piped
    if shown.script is not None:
        # Exact bytes: a cmd script's CRLF must not become CR CR LF in Windows' text-mode stdout.
        return Text(raw=shown.script.encode("ascii", "replace"))
    if shown.record is not None:
        return Text([dumps(shown.record)])
    return Text()
