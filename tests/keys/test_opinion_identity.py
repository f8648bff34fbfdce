"""The second opinion names the programs that answered (path, flavour, version), in JSON and text:
on a Mac the openssl asked is LibreSSL 3.3.6 or Homebrew's OpenSSL, and an auditor must see which."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import OPENSSL, SSH_KEYGEN, WINDOWS, run_keygen
from tests.helpers.libressl import libressl_stand_in

pytestmark = [
    pytest.mark.skipif(OPENSSL is None, reason="needs openssl"),
    pytest.mark.skipif(WINDOWS, reason="the LibreSSL stand-in is a POSIX script"),
]


def test_each_answer_names_the_program_that_gave_it(key_zoo: dict[str, Path], tmp_path: Path) -> None:
    path, _ = libressl_stand_in(tmp_path / "bin")
    priv, pub = str(key_zoo["privateKey.pem"]), str(key_zoo["publicKey.pub"])
    done = run_keygen("verify", priv, pub, "--json", env={"PATH": path})
    assert done.returncode == 0, done.stdout
    answers = json.loads(done.stdout)["second_opinion"]
    by_openssl = [a["answered_by"] for a in answers if a["tool"] == "openssl"]
    assert by_openssl and all(
        a == {"path": str(tmp_path / "bin" / "openssl"), "flavor": "LibreSSL", "version": "3.3.6",
              "version_text": "LibreSSL 3.3.6"}
        for a in by_openssl
    )
    if SSH_KEYGEN is not None:
        [ssh] = [a["answered_by"] for a in answers if a["tool"] == "ssh-keygen"]
        assert ssh["path"] == shutil.which("ssh-keygen", path=path) and ssh["flavor"] == "OpenSSH" and ssh["version"]
    text = run_keygen("verify", priv, pub, env={"PATH": path}).stdout
    [line] = [ln for ln in text.splitlines() if "answered by:" in ln]
    assert f"openssl {tmp_path / 'bin' / 'openssl'} (LibreSSL 3.3.6)" in line


def test_verbose_and_disagreeing_answers_name_their_programs_too(key_zoo: dict[str, Path], tmp_path: Path) -> None:
    path, _ = libressl_stand_in(tmp_path / "bin")
    done = run_keygen("verify", str(key_zoo["privateKey.pem"]), str(key_zoo["publicKey.pub"]), "-v",
                      env={"PATH": path})
    assert done.returncode == 0, done.stdout
    [line] = [ln for ln in done.stdout.splitlines() if "answered by:" in ln]
    assert f"openssl {tmp_path / 'bin' / 'openssl'} (LibreSSL 3.3.6)" in line


def test_openssl_exe_crlf_pem_is_the_same_public_key_as_the_library_lf_one() -> None:
    """openssl.exe on Windows writes PEM to standard output in text mode (CRLF): the derived public
    key is compared with the library's LF PEM by content, so a sound pair is not a disagreement."""
    from keygen.keys import opinion
    from keygen.proc.run import Completed

    lf = b"-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
    done = Completed(argv=("openssl",), executable="openssl", cwd=".", returncode=0, duration_s=0.0,
                     stdout=lf.replace(b"\n", b"\r\n"), stderr=b"", stdout_bytes=len(lf) + 3, stderr_bytes=0)
    assert opinion._public_pem(done, ("pass", "")) == lf
    assert opinion._public_pem(done, ("fail", "")) is None
