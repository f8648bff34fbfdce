"""Key pairs made by the documented openssl lines, for tests that need several."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    private: Path
    public: Path


#: The openssl that makes test data: the system's, where a lane puts another first on PATH (the
#: macOS lane's LibreSSL writes keys with the umask's mode and lacks some algorithms the data needs).
DATA_OPENSSL = os.environ.get("KEYGEN_DATA_OPENSSL") or "openssl"


def make_pair(directory: Path) -> Pair:
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / "privateKey.pem", directory / "publicKey.pub"
    subprocess.run(
        [DATA_OPENSSL, "genpkey", "-out", str(private), "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        check=True, capture_output=True, timeout=60,
    )
    with open(public, "wb") as out:
        subprocess.run([DATA_OPENSSL, "rsa", "-in", str(private), "-pubout"], stdout=out, stderr=subprocess.DEVNULL,
                       check=True, timeout=60)
    return Pair(private, public)
