"""What `generate` does beside its first step: everything that decides nothing.

Started the moment the first step's process runs (`start`, from the Runner), collected after:
openssl's version (it is only recorded), the shell keygen runs in (outside Windows it chooses
nothing), the surroundings' warnings (git check-ignore is a process), and the imports of the
checking, audit and rendering code. What never got started (no
step ran: a dry run, a refusal) is done in place when collected, so every result still has it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

from keygen import safety
from keygen.host import Host, ShellInfo, ToolInfo, detect_shell, probe_openssl
from keygen.parallel import Background


def warm(audit_log: Path | None, environ: Mapping[str, str]) -> None:
    """Import the checking, audit and rendering code while openssl works: it hides their start-up
    cost (a failed import is left for the real one to report)."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization  # noqa: F401
        from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: F401

        from keygen import audit, audit_chain, audit_store, checks  # noqa: F401
        from keygen.render import generate  # noqa: F401

        audit.resolve(audit_log, environ)  # the default location imports platformdirs
    except Exception:  # noqa: BLE001, S110 - whatever failed here fails again, reported, where it is needed
        pass


class Aside:
    def __init__(self, host: Host, out_dir: Path, audit_log: Path | None, environ: Mapping[str, str]) -> None:
        self.host, self.out_dir, self.audit_log, self.environ = host, out_dir, audit_log, environ
        self._late: Background[ToolInfo] | None = None
        self._shell: Background[ShellInfo | None] | None = None
        self._around: Background[list[str]] | None = None
        self._warm: Background[None] | None = None

    @property
    def _deferred(self) -> ToolInfo | None:
        """openssl, when detection left its version to be asked here."""
        return self.host.openssl if "openssl" in self.host.later else None

    def start(self) -> None:
        if self._warm is not None:
            return  # called as each step starts: once is the point
        tool = self._deferred
        if tool is not None:
            self._late = Background(partial(probe_openssl, tool.path, os.getcwd()))
        if "shell" in self.host.later:
            self._shell = Background(partial(detect_shell, self.environ, self.host.os))
        self._around = Background(partial(safety.surroundings, self.out_dir, self.environ))
        self._warm = Background(partial(warm, self.audit_log, self.environ))

    def surroundings(self) -> list[str]:
        if self._around is None:
            return safety.surroundings(self.out_dir, self.environ)
        return self._around.result()

    def finish(self) -> Host:
        """Join what was started (the surroundings are collected with the steps); the host with
        what detection left to ask here (asked now if it never was) in its place."""
        if self._warm is not None:
            self._warm.result()
        host, tool = self.host, self._deferred
        if tool is not None:
            probed = self._late.result() if self._late is not None else probe_openssl(tool.path, os.getcwd())
            host = replace(host, openssl=probed)
        if "shell" in host.later:
            shell = self._shell.result() if self._shell is not None else detect_shell(self.environ, host.os)
            host = replace(host, shell=shell)
        return replace(host, later=())
