"""A self-signed certificate for 127.0.0.1 and localhost, made by the real openssl."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .pairs import DATA_OPENSSL


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


def self_signed(directory: Path) -> CertFiles:
    cert, key = directory / "standin-cert.pem", directory / "standin-key.pem"
    # `req` needs a configuration file, and a Windows openssl.exe often has none where it looks.
    config = directory / "req.cnf"
    config.write_text("[req]\ndistinguished_name = dn\n[dn]\n")
    subprocess.run(
        [DATA_OPENSSL, "req", "-config", str(config), "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    return CertFiles(cert, key)
