"""Key pairs made by the documented openssl lines, for tests that need several."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    private: Path
    public: Path


def make_pair(directory: Path) -> Pair:
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / "privateKey.pem", directory / "publicKey.pub"
    subprocess.run(
        ["openssl", "genpkey", "-out", str(private), "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        check=True, capture_output=True, timeout=60,
    )
    with open(public, "wb") as out:
        subprocess.run(["openssl", "rsa", "-in", str(private), "-pubout"], stdout=out, stderr=subprocess.DEVNULL,
                       check=True, timeout=60)
    return Pair(private, public)
