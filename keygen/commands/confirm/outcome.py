"""What `keygen confirm` is asked (`Options`) and what it found (`Outcome`, one `Attempt` per
signing algorithm): shared by the flow (`keygen.commands.confirm`) and the sources of its
defaults (`keygen.commands.confirm.defaults`), which each fill part of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen import recipes
from keygen.amazon_pay import diagnosis, sdk_config
from keygen.errors import KeygenError
from keygen.result import Result

DEFAULT_TIMEOUT = 20.0


@dataclass(frozen=True)
class Options:
    private_key: Path = Path(recipes.PRIVATE_KEY)
    public_key_id: str | None = None
    region: str | None = None
    #: "sandbox" or "live" from --sandbox/--live.
    environment: str | None = None
    algorithm: str = "v2"
    endpoint: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    audit_log: Path | None = None
    sdks: tuple[str, ...] = ()


@dataclass
class Attempt:
    algorithm: str
    status: int | None = None
    reason_code: str | None = None
    message: str | None = None
    accepted: bool = False
    #: "accepted", "refused", "service failed", "not the API", or "no answer".
    verdict: str = "no answer"
    #: This machine's clock minus the service's Date header, in seconds (None without a Date).
    skew_s: float | None = None
    request_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Outcome(Result):
    command: ClassVar[str] = "confirm"
    options: Options
    fingerprint: str | None = None
    public_key_id: str | None = None
    id_source: str | None = None
    region: str | None = None
    region_source: str | None = None
    environment: str | None = None
    environment_source: str | None = None
    endpoint: str | None = None
    path: str | None = None
    proxy: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    diagnosis: diagnosis.Diagnosis | None = None
    sdk_blocks: list[sdk_config.Block] = field(default_factory=list)
    audit_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    error: KeygenError | None = None
    #: The key file is PKCS#8 (what the Java SDK needs).
    pkcs8: bool = True
    #: Other keys the audit log records this Public Key ID for.
    other_keys: list[str] = field(default_factory=list)

    @property
    def confirmed(self) -> bool:
        return self.error is None and bool(self.attempts) and all(a.accepted for a in self.attempts)

    def facts(self) -> dict[str, Any]:
        return {
            "confirmed": self.confirmed,
            "public_key_id": self.public_key_id,
            "id_source": self.id_source,
            "region": self.region,
            "region_source": self.region_source,
            "environment": self.environment,
            "environment_source": self.environment_source,
            "endpoint": self.endpoint,
            "request": {"method": "GET", "path": self.path} if self.path else None,
            "proxy": self.proxy,
            "private_key": str(self.options.private_key),
            "fingerprint": self.fingerprint,
            "attempts": [a.as_dict() for a in self.attempts],
            "diagnosis": self.diagnosis.as_dict() if self.diagnosis else None,
            "sdk": [b.as_dict() for b in self.sdk_blocks],
            "audit_log": str(self.audit_path) if self.audit_path else None,
        }
