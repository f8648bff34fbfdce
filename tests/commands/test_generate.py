"""`keygen generate` end to end with the real openssl: the pair, its checks, output and record."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from keygen import __version__
from tests.helpers import NO_MODE_BITS, OPENSSL, WINDOWS, private_key_body, readme_fingerprint, run_keygen

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str], Path]:
    """One real `keygen generate --json` shared by the read-only tests below."""
    home = tmp_path_factory.mktemp("made-home")
    out = tmp_path_factory.mktemp("made") / "keys"
    log = home / "audit.jsonl"
    proc = run_keygen(
        "generate",
        "--out-dir",
        str(out),
        "--region",
        "eu",
        "--json",
        env={"HOME": str(home), "KEYGEN_AUDIT_LOG": str(log)},
    )
    return out, proc, log


def test_generate_makes_a_checked_pair(made: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    out, proc, _ = made
    assert proc.returncode == 0, proc.stderr
    private, public = out / "privateKey.pem", out / "publicKey.pub"
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    assert WINDOWS or stat.S_IMODE(private.stat().st_mode) == 0o600  # Windows: no mode bits (README)
    # An independent opinion: openssl derives the same public key from the private one.
    derived = subprocess.run([OPENSSL, "pkey", "-in", str(private), "-pubout"], capture_output=True, check=True)
    assert derived.stdout == public.read_bytes()
    text = subprocess.run(
        [OPENSSL, "pkey", "-in", str(private), "-noout", "-text"], capture_output=True, text=True, check=True
    ).stdout
    assert "(2048 bit" in text and "65537" in text
    # Only the pair is left: no staging directory, no ssh side file.
    assert sorted(p.name for p in out.iterdir()) == ["privateKey.pem", "publicKey.pub"]


@pytest.mark.skipif(WINDOWS, reason=NO_MODE_BITS)
def test_new_directory_is_owner_only(made: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    out, _, _ = made
    assert stat.S_IMODE(out.stat().st_mode) == 0o700


def made_line_ends(out: Path) -> dict[str, str]:
    """The style the tool really wrote: LF here; CRLF from a native Windows openssl (text-mode PEM)."""
    styles = {}
    for role, name in (("private_key", "privateKey.pem"), ("public_key", "publicKey.pub")):
        data = (out / name).read_bytes()
        styles[role] = "crlf" if b"\r\n" in data else "lf"
        assert sys.platform == "win32" or styles[role] == "lf"
    return styles


def test_json_carries_the_facts(made: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    out, proc, log = made
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["exit_code"] == 0 and doc["error"] is None
    assert doc["keygen_version"] == __version__
    assert doc["dir"] == str(out)
    assert doc["method"]["name"] == "openssl"
    assert doc["method"]["executable"] == OPENSSL
    steps = doc["steps"]
    assert [s["line"] for s in steps] == [
        "openssl genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048",
        "openssl rsa -in privateKey.pem -pubout > publicKey.pub",
    ]
    assert steps[0]["argv"] == [
        "openssl",
        "genpkey",
        "-out",
        "privateKey.pem",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
    ]
    assert steps[1]["argv"] == ["openssl", "rsa", "-in", "privateKey.pem", "-pubout"]
    assert steps[1]["stdout_to"] == "publicKey.pub"
    for s in steps:
        assert s["exit_code"] == 0
        assert os.path.isabs(s["executable"])
        assert s["duration_s"] > 0
        assert s["tool_version"].startswith(("OpenSSL", "LibreSSL"))
    names = {c["name"]: c["status"] for c in doc["checks"]}
    for required in (
        "private_key.format",
        "private_key.size",
        "private_key.exponent",
        "private_key.encoding",
        "public_key.format",
        "public_key.encoding",
        "pair.match",
        "amazon_pay.sign.AMZN-PAY-RSASSA-PSS",
        "amazon_pay.sign.AMZN-PAY-RSASSA-PSS-V2",
    ):
        assert names[required] == "pass", required
    files = {Path(f["path"]).name: f for f in doc["files"]}
    # Windows has no mode bits (Python would make up 0666): keygen claims none there.
    assert files["privateKey.pem"]["mode"] == (None if WINDOWS else "0600")
    assert doc["fingerprint"].startswith("SHA256:") and len(doc["fingerprint"]) == 7 + 43
    assert len(doc["fingerprint_hex"]) == 64
    assert [r["region"] for r in doc["next"]["integration_central"]] == ["eu"]
    assert doc["audit_log"] == str(log)


def test_fingerprint_is_the_readme_command(made: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    """One format (`SHA256:` and unpadded base64, over the file's SPKI DER), reproduced by the README's
    command; hex of the same digest only in JSON beside it, reproduced by the README's `sha256sum` line."""
    out, proc, _ = made
    doc = json.loads(proc.stdout)
    assert (doc["fingerprint"], doc["fingerprint_hex"]) == readme_fingerprint(out / "publicKey.pub")
    import base64

    assert base64.b64encode(bytes.fromhex(doc["fingerprint_hex"])).decode().rstrip("=") == doc["fingerprint"][7:]


def test_audit_record(made: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    out, proc, log = made
    assert WINDOWS or stat.S_IMODE(log.stat().st_mode) == 0o600  # Windows: no mode bits (README)
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    for key in (
        "time",
        "keygen_version",
        "user",
        "host",
        "os",
        "shell",
        "method",
        "dir",
        "steps",
        "checks",
        "fingerprint",
        "result",
        "exit_code",
    ):
        assert key in rec, key
    assert rec["time"].endswith("Z") and rec["result"] == "ok" and rec["exit_code"] == 0
    assert rec["dir"] == str(out)
    assert rec["fingerprint"] == json.loads(proc.stdout)["fingerprint"]
    assert rec["line_ends"] == json.loads(proc.stdout)["line_ends"] == made_line_ends(out)
    step = rec["steps"][0]
    for key in ("line", "argv", "executable", "tool_version", "cwd", "stdout_to", "exit_code", "duration_s", "stderr"):
        assert key in step, key
    assert rec["steps"][1]["stdout_to"] == "publicKey.pub"


def test_private_key_appears_nowhere_but_its_file(made: tuple[Path, subprocess.CompletedProcess[str], Path]) -> None:
    out, proc, log = made
    body = private_key_body(out / "privateKey.pem")
    everything = proc.stdout + proc.stderr + log.read_text()
    for line in body:
        assert line not in everything
    # Not even in a form a record might have flattened it to.
    assert "".join(body)[:40] not in everything.replace("\\n", "").replace("\n", "")


def test_human_output_says_what_ran_and_what_next(tmp_path: Path) -> None:
    proc = run_keygen("generate", "--out-dir", str(tmp_path), "--region", "jp")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "$ openssl genpkey -out privateKey.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048" in out
    assert "$ openssl rsa -in privateKey.pem -pubout > publicKey.pub" in out
    if os.name == "posix":  # Windows has no mode bits to show: its ACLs are another matter (README)
        assert "mode 0600" in out and "mode 0644" in out
    style = {"lf": "LF line ends", "crlf": "CRLF (Windows) line ends"}[made_line_ends(tmp_path)["public_key"]]
    assert f"publicKey.pub  mode 0644, {(tmp_path / 'publicKey.pub').stat().st_size} bytes, {style}" in out or (
        os.name != "posix" and style in out
    )
    assert "Public key fingerprint: SHA256:" in out
    assert "sellercentral-japan.amazon.com" in out and "sellercentral-europe" not in out
    assert "Use an existing public key" in out
    # Without --region, all three regions are offered.
    again = run_keygen("generate", "--out-dir", str(tmp_path / "b"))
    assert all(
        host in again.stdout for host in ("sellercentral.amazon.com", "sellercentral-europe", "sellercentral-japan")
    )


@pytest.mark.xfail(
    WINDOWS,
    reason="intermittent in the Windows lane (Wine): genpkey 'could not start: Internal error' once in "
    "a full lane run when DIR is the current directory (0.3.0: privateKey.pem is made ready first); under study",
    strict=False,
)
def test_default_out_dir_is_the_current_directory(tmp_path: Path) -> None:
    proc = run_keygen("generate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "privateKey.pem").is_file() and (tmp_path / "publicKey.pub").is_file()


def test_dry_run_touches_nothing(tmp_path: Path, audit_log: Path) -> None:
    target = tmp_path / "not-yet"
    proc = run_keygen("generate", "--out-dir", str(target), "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["dry_run"] is True
    assert doc["steps"][0]["line"].startswith("openssl genpkey")
    assert all(s["exit_code"] is None for s in doc["steps"])
    assert not target.exists() and not audit_log.exists()
    text = run_keygen("generate", "--out-dir", str(tmp_path), "--dry-run")
    assert "Nothing was run or written" in text.stdout and list(tmp_path.iterdir()) == []


def test_version_matches_the_installed_distribution() -> None:
    from importlib.metadata import version

    proc = run_keygen("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"keygen {__version__}" == f"keygen {version('amazon-pay-keygen')}"
