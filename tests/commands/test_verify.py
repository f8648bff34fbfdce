"""`keygen verify`: every bad input of issue 4, made by the real tools, gets its own diagnosis and fix."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keygen.cli.app import app
from tests.helpers import private_key_body, readme_fingerprint, run_keygen

runner = CliRunner()


def verify(*args: str) -> tuple[int, str]:
    """Run `keygen verify` in-process; it must end by exit code, never by an exception."""
    result = runner.invoke(app, ["verify", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"verify raised {result.exception!r}") from result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def verify_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["verify", "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    doc = json.loads(result.stdout)
    assert doc["exit_code"] == result.exit_code
    return result.exit_code, doc


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in doc["checks"]}


@pytest.fixture
def zoo(key_zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Run from inside the zoo, so that fix commands name the files as a user typed them."""
    monkeypatch.chdir(next(iter(key_zoo.values())).parent)
    return key_zoo


def spki_fingerprint(pub: Path) -> str:
    """keygen's fingerprint of the key (`SHA256:` and unpadded base64 over the file's SPKI), by the README's command."""
    return readme_fingerprint(pub)[0]


# (private, public, exit code, check name, status, words in the summary, words in the fix)
CASES = [
    pytest.param(
        "privateKey.pem", "powershell.pub", 1, "public_key.encoding", "fail",
        ["UTF-16", "PowerShell"],
        ["`keygen verify --fix privateKey.pem powershell.pub`",
         "keygen public-key privateKey.pem -o powershell.new.pub && keygen verify privateKey.pem "
         "powershell.new.pub"],
        id="utf16-powershell",
    ),
    pytest.param(
        "privateKey.pem", "utf16le_no_bom.pub", 1, "public_key.encoding", "fail", ["UTF-16-LE"],
        ["keygen verify --fix privateKey.pem utf16le_no_bom.pub"], id="utf16-no-bom",
    ),
    pytest.param(
        "privateKey.pem", "mixed.pub", 0, "public_key.encoding", "warn", ["mixes CRLF and LF", "still load"],
        ["keygen verify --fix"], id="mixed-line-ends",
    ),

    pytest.param(
        "privateKey.pem", "bom.pub", 0, "public_key.encoding", "warn", ["byte order mark"],
        ["keygen verify --fix"], id="utf8-bom",
    ),
    pytest.param(
        "pkcs1.pem", "publicKey.pub", 0, "private_key.format", "warn", ["PKCS#1", "BEGIN RSA PRIVATE KEY", "Java"],
        ["openssl pkcs8 -topk8 -nocrypt -in pkcs1.pem -out pkcs1.pkcs8.pem", "keeping the original"], id="pkcs1",
    ),
    pytest.param(
        "openssh.pem", "publicKey.pub", 1, "private_key.format", "fail", ["OpenSSH", "7.8 to 8.0", "-m PKCS8"],
        ["cp openssh.pem openssh.pkcs8.pem && ssh-keygen -p -N '' -m PKCS8 -f openssh.pkcs8.pem && "
         "keygen verify openssh.pkcs8.pem publicKey.pub", "keygen generate --out-dir new-key-pair"],
        id="openssh-private",
    ),
    pytest.param(
        "openssh_encrypted.pem", "publicKey.pub", 1, "private_key.format", "fail", ["OpenSSH", "passphrase"],
        ["ssh-keygen -p", "-m PKCS8"], id="openssh-encrypted",
    ),
    pytest.param(
        "encrypted_pkcs8.pem", "publicKey.pub", 1, "private_key.format", "fail",
        ["ENCRYPTED PRIVATE KEY", "no passphrase"],
        ["openssl pkey -in encrypted_pkcs8.pem -out encrypted_pkcs8.unencrypted.pem"], id="encrypted-pkcs8",
    ),
    pytest.param(
        "encrypted_pkcs1.pem", "publicKey.pub", 1, "private_key.format", "fail", ["Proc-Type: 4,ENCRYPTED"],
        ["openssl pkey -in encrypted_pkcs1.pem -out encrypted_pkcs1.unencrypted.pem"], id="encrypted-pkcs1",
    ),
    pytest.param(
        "privateKey.pem", "rfc4716.pub", 1, "public_key.format", "fail", ["RFC 4716", "SSH2"],
        ["keygen public-key privateKey.pem -o rfc4716.new.pub", "ssh-keygen -i -f rfc4716.pub > "
         "rfc4716.openssh.pub && ssh-keygen -e -m PKCS8 -f rfc4716.openssh.pub > rfc4716.spki.pub"], id="rfc4716",
    ),
    pytest.param(
        "privateKey.pem", "ssh_rsa_line.pub", 1, "public_key.format", "fail", ["ssh-rsa", ".pem.pub"],
        ["ssh-keygen -e -m PKCS8 -f ssh_rsa_line.pub > ssh_rsa_line.spki.pub"], id="ssh-rsa-line",
    ),
    pytest.param(
        "sdk_readme.pem", "sdk_readme.pem.pub", 1, "public_key.format", "fail", ["ssh-rsa"],
        ["ssh-keygen -y -f sdk_readme.pem > publicKey-2.openssh.pub && ssh-keygen -e -m PKCS8 -f "
         "publicKey-2.openssh.pub > publicKey-2.pub && keygen verify --public-only publicKey-2.pub",
         "openssl cannot read"],
        id="pem-pub-side-file",
    ),
    pytest.param(
        "privateKey.pem", "pkcs1_public.pub", 1, "public_key.format", "fail", ["BEGIN RSA PUBLIC KEY"],
        ["openssl rsa -RSAPublicKey_in -in pkcs1_public.pub"], id="pkcs1-public",
    ),
    pytest.param(
        "rsa1024.pem", "rsa1024.pub", 1, "private_key.size", "fail", ["1024 bits", "2048"], ["keygen generate"],
        id="rsa-1024",
    ),
    pytest.param(
        "ec.pem", "ec.pub", 1, "private_key.algorithm", "fail", ["EC (secp256r1)", "needs RSA"], ["RSA-2048"],
        id="ec-pkcs8",
    ),
    pytest.param(
        "ec_traditional.pem", "ec.pub", 1, "private_key.algorithm", "fail", ["EC PRIVATE KEY", "needs RSA"],
        ["keygen generate"], id="ec-traditional",
    ),
    pytest.param(
        "ed25519.pem", "ed25519.pub", 1, "public_key.algorithm", "fail", ["Ed25519", "needs RSA"],
        ["keygen generate"], id="ed25519",
    ),
    pytest.param(
        "publicKey.pub", "privateKey.pem", 1, "public_key.format", "fail", ["PRIVATE key", "never upload"],
        ["look swapped", "`keygen verify privateKey.pem publicKey.pub`"], id="swapped",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("private", "public", "code", "name", "status", "summary", "fix"), CASES)
def test_each_bad_input_has_its_own_diagnosis_and_fix(
    zoo: dict[str, Path],
    private: str,
    public: str,
    code: int,
    name: str,
    status: str,
    summary: list[str],
    fix: list[str],
) -> None:
    exit_code, doc = verify_json("--no-second-opinion", private, public)
    check = by_name(doc)[name]
    assert (exit_code, check["status"]) == (code, status), check
    for word in summary:
        assert word in check["summary"]
    for word in fix:
        assert word in check["fix"]
    # The text form carries the same diagnosis and fix, and never the private key.
    text_code, text = verify("--no-second-opinion", private, public)
    assert text_code == code
    assert f"{'FAIL' if status == 'fail' else 'WARN'} {name}: " in text
    assert fix[0] in text.replace("\n       ", " ")
    for line in private_key_body(zoo["privateKey.pem"]):
        assert line not in text and line not in json.dumps(doc)


def test_crlf_pair_as_windows_openssl_writes_it_passes(zoo: dict[str, Path]) -> None:
    code, doc = verify_json("crlf.pem", "crlf.pub")
    checks = by_name(doc)
    assert code == 0 and doc["ok"] and doc["summary"]["fail"] == doc["summary"]["warn"] == 0, checks
    for role in ("private_key", "public_key"):
        assert checks[f"{role}.encoding"]["status"] == "pass"
        assert "CRLF (Windows) line ends" in checks[f"{role}.encoding"]["summary"]


def test_good_pair_passes_with_the_amazon_pay_self_test(zoo: dict[str, Path]) -> None:
    code, doc = verify_json()  # the defaults: privateKey.pem and publicKey.pub in the cwd
    checks = by_name(doc)
    assert code == 0 and doc["ok"] and doc["summary"]["fail"] == 0
    assert checks["amazon_pay.sign.AMZN-PAY-RSASSA-PSS"]["summary"] == "signed and verified (salt 20)"
    assert checks["amazon_pay.sign.AMZN-PAY-RSASSA-PSS-V2"]["summary"] == "signed and verified (salt 32)"
    assert checks["amazon_pay.string_to_sign"]["status"] == "pass"
    assert doc["fingerprint"] == spki_fingerprint(zoo["publicKey.pub"])
    assert doc["private_key"] == "privateKey.pem" and doc["public_key"] == "publicKey.pub"


def test_documented_ssh_keygen_pair_passes_and_its_side_file_does_not(zoo: dict[str, Path]) -> None:
    # other.pem / other.pub were made by the documented ssh-keygen lines (with -m PKCS8).
    code, doc = verify_json("--no-second-opinion", "other.pem", "other.pub")
    assert code == 0 and doc["summary"]["fail"] == 0
    code, doc = verify_json("--no-second-opinion", "other.pem", "other.pem.pub")
    check = by_name(doc)["public_key.format"]
    assert code == 1 and "ssh-rsa" in check["summary"]
    assert "`keygen public-key other.pem -o publicKey-2.pub && keygen verify other.pem publicKey-2.pub`" in (
        check["fix"]
    )
    assert by_name(doc)["pair.match"]["status"] == "pass"


def test_known_answer_digest_is_checked(zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from keygen.amazon_pay import signing

    monkeypatch.setattr(signing, "KNOWN_DIGEST", "0" * 64)
    code, doc = verify_json("--no-second-opinion")
    assert code == 1
    assert by_name(doc)["amazon_pay.string_to_sign"]["status"] == "fail"


def test_mismatched_pair_names_both_fingerprints(zoo: dict[str, Path]) -> None:
    code, doc = verify_json("--no-second-opinion", "privateKey.pem", "other.pub")
    check = by_name(doc)["pair.match"]
    assert code == 1 and check["status"] == "fail"
    assert spki_fingerprint(zoo["publicKey.pub"]) in check["summary"]
    assert spki_fingerprint(zoo["other.pub"]) in check["summary"]
    assert "different pairs" in check["fix"]
    assert not any(c["name"].startswith("amazon_pay.sign") for c in doc["checks"])


def test_openssh_private_key_is_still_matched_against_its_public_key(zoo: dict[str, Path]) -> None:
    code, doc = verify_json("--no-second-opinion", "openssh.pem", "publicKey.pub")
    assert code == 1
    assert by_name(doc)["pair.match"]["status"] == "pass"


# --- files that are not key files ---------------------------------------------------------------


def test_empty_file_left_by_a_failed_redirect(tmp_path: Path, key_zoo: dict[str, Path]) -> None:
    # What a shell leaves when the command behind `>` fails: the target exists and is empty.
    subprocess.run("openssl rsa -in missing.pem -pubout > publicKey.pub", shell=True, cwd=tmp_path, capture_output=True)
    assert (tmp_path / "publicKey.pub").stat().st_size == 0
    code, doc = verify_json("--no-second-opinion", str(key_zoo["privateKey.pem"]), str(tmp_path / "publicKey.pub"))
    check = by_name(doc)["public_key.file"]
    assert code == 1 and check["status"] == "fail"
    assert "is empty (0 bytes)" in check["summary"] and "redirect" in check["fix"]


def test_missing_files_and_the_single_file_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key_zoo) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    code, doc = verify_json()
    checks = by_name(doc)
    assert code == 1
    assert "privateKey.pem does not exist" in checks["private_key.file"]["summary"]
    assert "publicKey.pub does not exist" in checks["public_key.file"]["summary"]
    # With only the public key present, the fix says how to check it alone.
    shutil.copyfile(key_zoo["publicKey.pub"], tmp_path / "publicKey.pub")
    code, doc = verify_json()
    assert "keygen verify --public-only publicKey.pub" in by_name(doc)["private_key.file"]["fix"]
    code, doc = verify_json("--public-only")
    assert code == 0 and doc["private_key"] is None
    assert not any(c["name"].startswith("private_key") for c in doc["checks"])


def test_directory_binary_junk_and_fifo(tmp_path: Path, key_zoo: dict[str, Path]) -> None:
    (tmp_path / "adir").mkdir()
    junk = tmp_path / "junk.pem"
    junk.write_bytes(random.Random(4).randbytes(3000))
    fifo = tmp_path / "fifo.pub"
    os.mkfifo(fifo)
    code, doc = verify_json(str(tmp_path / "adir"), str(junk))
    checks = by_name(doc)
    assert code == 1
    assert "is a directory" in checks["private_key.file"]["summary"]
    assert "not a text file" in checks["public_key.encoding"]["summary"]
    # A FIFO is refused without blocking on it (the second opinion must not open it either).
    code, doc = verify_json("--public-only", str(fifo))
    assert code == 1 and "not a regular file" in by_name(doc)["public_key.file"]["summary"]


def test_huge_file_is_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = tmp_path / "publicKey.pub"
    with open(huge, "wb") as fh:
        fh.truncate(8 * 1024**3)  # sparse: reading it whole would take far longer than this test may
    read_sizes: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        read_sizes.append(len(data))
        return data

    monkeypatch.setattr("keygen.keys.keyfile.os.read", counting_read)
    code, doc = verify_json("--public-only", str(huge))
    check = by_name(doc)["public_key.file"]
    assert code == 1 and "refused without reading it" in check["summary"]
    assert str(8 * 1024**3) in check["summary"]
    assert sum(read_sizes) == 0
    assert doc["second_opinion"] == []


def test_link_is_said_and_followed_for_reading(tmp_path: Path, key_zoo: dict[str, Path]) -> None:
    link = tmp_path / "publicKey.pub"
    link.symlink_to(key_zoo["publicKey.pub"])
    code, doc = verify_json("--no-second-opinion", str(key_zoo["privateKey.pem"]), str(link))
    check = by_name(doc)["public_key.link"]
    assert code == 0 and check["status"] == "warn"
    assert str(key_zoo["publicKey.pub"]) in check["summary"] and "reading only" in check["summary"]
    assert by_name(doc)["pair.match"]["status"] == "pass"
    dangling = tmp_path / "dangling.pem"
    dangling.symlink_to(tmp_path / "nowhere.pem")
    code, doc = verify_json("--private-only", str(dangling))
    assert code == 1 and "link to a missing file" in by_name(doc)["private_key.file"]["summary"]


# --- usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--private-only", "--public-only"],
        ["--public-only", "a.pub", "b.pub"],
        ["--private-only", "a.pem", "b.pub"],
        ["a", "b", "c"],
        ["--no-such-flag"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, output = verify(*args)
    assert code == 2
    assert output.strip()


def test_usage_error_in_json_mode_is_one_object() -> None:
    result = runner.invoke(app, ["verify", "--json", "--private-only", "--public-only"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 2 and doc["error"]["kind"] == "usage"


def test_real_cli_exit_codes_without_traceback(zoo: dict[str, Path]) -> None:
    ok = run_keygen("verify", "--no-second-opinion", cwd=zoo["privateKey.pem"].parent)
    bad = run_keygen("verify", "--no-second-opinion", "openssh.pem", cwd=zoo["privateKey.pem"].parent)
    assert (ok.returncode, bad.returncode) == (0, 1)
    assert "ready for Amazon Pay" in ok.stdout and "Not ready" in bad.stdout
    assert "Traceback" not in ok.stderr + bad.stderr
