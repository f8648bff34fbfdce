"""Error types and the exit codes they map to.

Every failure a user can cause is one of these: the CLI turns it into a one-line message, a hint
and its exit code, never a traceback. The numbers are part of the interface (README table).
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2
    TOOL_MISSING = 3
    COMMAND_FAILED = 4
    REFUSED = 5
    DIR_UNUSABLE = 6
    OUTPUT_FAILED = 7
    #: `confirm`: Amazon Pay could not be reached (DNS, no route, refused, reset, a proxy).
    NETWORK = 8
    #: `confirm`: no answer within --timeout.
    TIMEOUT = 9
    #: `confirm`: the TLS handshake or the certificate check failed.
    TLS = 10
    #: `confirm`: Amazon Pay answered and refused the signed request (signature, key, ID, headers).
    REJECTED = 11
    #: `confirm`: the service failed (5xx) or answered something that is not its API.
    SERVICE = 12
    #: `keys --max-age`: an active key is past the rotation age (a scheduled CI job fails on it).
    ROTATION_DUE = 13
    #: The audit log cannot be used: its path is not a regular file (a FIFO, a device, a socket,
    #: a directory, a link), or a command needs the log while it is turned off.
    AUDIT_LOG = 14
    #: A bug in keygen itself, never something a user caused.
    INTERNAL = 70
    INTERRUPTED = 130


class KeygenError(Exception):
    """A failure with a user-facing message, a hint that fixes it, and an exit code."""

    code: ExitCode = ExitCode.CHECKS_FAILED
    kind: str = "error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "code": int(self.code), "message": self.message, "hint": self.hint}


class ChecksFailed(KeygenError):
    code = ExitCode.CHECKS_FAILED
    kind = "checks_failed"


class UsageError(KeygenError):
    code = ExitCode.USAGE
    kind = "usage"


class ToolMissing(KeygenError):
    code = ExitCode.TOOL_MISSING
    kind = "tool_missing"


class CommandFailed(KeygenError):
    code = ExitCode.COMMAND_FAILED
    kind = "command_failed"


class Refused(KeygenError):
    code = ExitCode.REFUSED
    kind = "refused"


class DirUnusable(KeygenError):
    code = ExitCode.DIR_UNUSABLE
    kind = "dir_unusable"


class OutputFailed(KeygenError):
    code = ExitCode.OUTPUT_FAILED
    kind = "output_failed"


class Interrupted(KeygenError):
    code = ExitCode.INTERRUPTED
    kind = "interrupted"


class NetworkError(KeygenError):
    code = ExitCode.NETWORK
    kind = "network"


class TimedOut(KeygenError):
    code = ExitCode.TIMEOUT
    kind = "timeout"


class TLSError(KeygenError):
    code = ExitCode.TLS
    kind = "tls"


class Rejected(KeygenError):
    code = ExitCode.REJECTED
    kind = "rejected"


class ServiceError(KeygenError):
    code = ExitCode.SERVICE
    kind = "service"


class RotationDue(KeygenError):
    """`keygen keys --max-age DAYS`: an active key is older than DAYS; its hint is `keygen rotate`."""

    code = ExitCode.ROTATION_DUE
    kind = "rotation_due"


class LogUnusable(KeygenError):
    """The audit log's path is something other than a regular file, or the log is turned off for a
    command that cannot work without it (exit 14)."""

    code = ExitCode.AUDIT_LOG
    kind = "audit_log_unusable"
