"""Verdicts that match the official Node SDK (the `sdk` lane: `bash .ci/sdk`).

Pairs from every method sign through the SDK with both algorithms (button signature and signed
request headers; nothing is sent), and every signature verifies with publicKey.pub by openssl and
by pyca/cryptography. Keys made other ways are put to the SDK and to `keygen verify`: the verdicts
agree, and where keygen is deliberately stricter the message says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.helpers import OPENSSL, TRADITIONAL, node_sdk, readme_fingerprint, run_keygen

SALT = {"AMZN-PAY-RSASSA-PSS": 20, "AMZN-PAY-RSASSA-PSS-V2": 32}
PAYLOAD = '{"storeId":"amzn1.application-oa2-client.keygen","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://a.example/r"}}'
FIGURES = {"pairs": 0, "signatures": 0, "verifications": 0}

#: For each key file and algorithm: the button signature and the signed headers, or the SDK's error.
NODE = """
const crypto = require('crypto');
// Keep what the SDK hands to crypto's signer: the exact string it signs (nothing re-derived).
const signed = [];
const createSign = crypto.createSign;
crypto.createSign = function (alg) {
  const signer = createSign(alg);
  const update = signer.update.bind(signer);
  signer.update = function (data) { signed.push(String(data)); return update(data); };
  return signer;
};
const Client = require('@amazonpay/amazon-pay-api-sdk-nodejs');
const fs = require('fs');
const out = {};
for (const file of %(files)s) {
  out[file] = {};
  for (const alg of ['AMZN-PAY-RSASSA-PSS', 'AMZN-PAY-RSASSA-PSS-V2']) {
    try {
      const client = new Client.WebStoreClient({publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA',
        privateKey: fs.readFileSync(file), region: 'eu', sandbox: true, algorithm: alg});
      signed.length = 0;
      const button = client.generateButtonSignature(%(payload)s);
      const headers = client.getSignedHeaders({method: 'GET', urlFragment: 'v2/checkoutSessions/abc'});
      out[file][alg] = {button: button, headers: headers, signed: signed.slice()};
    } catch (e) {
      out[file][alg] = {error: String((e && e.message) || e)};
    }
  }
}
console.log(JSON.stringify(out));
"""


def node_sign(files: list[str], cwd: Path) -> dict[str, dict[str, dict[str, object]]]:
    script = NODE % {"files": json.dumps(files), "payload": json.dumps(PAYLOAD)}
    return node_sdk.run_json(script, cwd)  # type: ignore[no-any-return]


def header_signature(headers: dict[str, str], alg: str) -> bytes:
    auth = headers["authorization"]
    assert auth.startswith(alg + " PublicKeyId=SANDBOX-"), auth
    return base64.b64decode(auth.split("Signature=")[1])


def button_message(alg: str) -> bytes:
    return f"{alg}\n{hashlib.sha256(PAYLOAD.encode()).hexdigest()}".encode()


def verify_both_ways(public: Path, message: bytes, signature: bytes, alg: str, work: Path) -> None:
    (work / "msg.bin").write_bytes(message)
    (work / "sig.bin").write_bytes(signature)
    done = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(public), "-sigopt", "rsa_padding_mode:pss",
         "-sigopt", f"rsa_pss_saltlen:{SALT[alg]}", "-signature", "sig.bin", "msg.bin"],
        cwd=work, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "Verified OK" in done.stdout, done.stderr
    key = serialization.load_pem_public_key(public.read_bytes())
    assert isinstance(key, rsa.RSAPublicKey)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=SALT[alg])
    key.verify(signature, message, pss, hashes.SHA256())  # raises InvalidSignature
    FIGURES["verifications"] += 2


METHODS = {
    "openssl": ["--method", "openssl"],
    "ssh-keygen": ["--method", "ssh-keygen"],
    "literal-bash": ["--literal", "--shell", "bash"],
}


@node_sdk.requires_node_sdk
@pytest.mark.parametrize("method", sorted(METHODS))
def test_pairs_from_every_method_sign_through_the_sdk(method: str, tmp_path: Path) -> None:
    out = tmp_path / "keys"
    done = run_keygen("generate", *METHODS[method], "--out-dir", str(out), "--json")
    assert done.returncode == 0, done.stderr
    FIGURES["pairs"] += 1
    results = node_sign([str(out / "privateKey.pem")], tmp_path)[str(out / "privateKey.pem")]
    for alg, result in results.items():
        assert "error" not in result, result
        button_text, header_text = result["signed"]  # type: ignore[misc]
        # The button's string to sign is the documented one (ALG, newline, hex SHA-256 of the payload).
        assert button_text.encode() == button_message(alg)
        assert header_text.startswith(alg + "\n") and len(header_text) == len(alg) + 1 + 64
        FIGURES["signatures"] += 2
        verify_both_ways(out / "publicKey.pub", button_text.encode(), base64.b64decode(str(result["button"])), alg,
                         tmp_path)  # fmt: skip
        signature = header_signature(result["headers"], alg)  # type: ignore[arg-type]
        verify_both_ways(out / "publicKey.pub", header_text.encode(), signature, alg, tmp_path)


def _openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


#: name -> openssl arguments that write it (then a public key is derived where openssl can).
OTHER_KEYS: dict[str, list[str]] = {
    "rsa1024": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    "rsa3072": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
    "rsa4096": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
    "pss-no-params": ["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
    "pss-saltlen-32": ["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
                       "-pkeyopt", "rsa_pss_keygen_saltlen:32"],
    "pss-sha256-saltlen-32": ["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
                              "-pkeyopt", "rsa_pss_keygen_md:sha256", "-pkeyopt", "rsa_pss_keygen_mgf1_md:sha256",
                              "-pkeyopt", "rsa_pss_keygen_saltlen:32"],
    "pss-sha256-saltlen-20": ["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
                              "-pkeyopt", "rsa_pss_keygen_md:sha256", "-pkeyopt", "rsa_pss_keygen_mgf1_md:sha256",
                              "-pkeyopt", "rsa_pss_keygen_saltlen:20"],
    "ec": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
}  # fmt: skip
#: Where keygen fails a key the SDK signs with, on purpose: the failing check's message says so.
STRICTER = {"rsa1024", "rsa3072", "rsa4096", "pss-no-params", "pss-sha256-saltlen-20", "pkcs1-public"}


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if OPENSSL is None or shutil.which("ssh-keygen") is None:
        pytest.skip("needs openssl and ssh-keygen")
    root = tmp_path_factory.mktemp("other-keys")
    for name, args in OTHER_KEYS.items():
        _openssl(root, *args, "-out", f"{name}.pem")
        _openssl(root, "pkey", "-in", f"{name}.pem", "-pubout", "-out", f"{name}.pub")
    base = root / "rsa2048.pem"
    _openssl(root, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", base.name)
    _openssl(root, "pkey", "-in", base.name, "-pubout", "-out", "pkcs1.pub")
    _openssl(root, "rsa", "-in", base.name, *TRADITIONAL, "-out", "pkcs1.pem")
    _openssl(root, "pkcs8", "-topk8", "-in", base.name, "-out", "encrypted.pem", "-passout", "pass:secret123")
    _openssl(root, "pkey", "-in", base.name, "-pubout", "-out", "encrypted.pub")
    # The same key in the OpenSSH format, and with its public key as PKCS#1 (BEGIN RSA PUBLIC KEY).
    shutil.copyfile(base, root / "openssh.pem")
    os.chmod(root / "openssh.pem", 0o600)
    subprocess.run(["ssh-keygen", "-p", "-P", "", "-N", "", "-f", "openssh.pem"], cwd=root, check=True,
                   capture_output=True)  # fmt: skip
    shutil.copyfile(root / "pkcs1.pub", root / "openssh.pub")
    shutil.copyfile(base, root / "pkcs1-public.pem")
    _openssl(root, "rsa", "-in", base.name, "-RSAPublicKey_out", "-out", "pkcs1-public.pub")
    return root


def _pss_valid(public: Path, result: dict[str, object], alg: str) -> bool:
    if "error" in result:
        return False
    key = serialization.load_pem_public_key(public.read_bytes())
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=SALT[alg])
    try:
        key.verify(base64.b64decode(str(result["button"])), button_message(alg), pss, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@node_sdk.requires_node_sdk
def test_verify_agrees_with_what_the_sdk_can_do(other_keys: Path) -> None:
    names = [*OTHER_KEYS, "pkcs1", "encrypted", "openssh", "pkcs1-public"]
    sdk = node_sign([f"{n}.pem" for n in names], other_keys)
    for name in names:
        # "Can" means an Amazon Pay signature: an RSASSA-PSS one that the public key verifies (Node
        # also signs with an EC key, ignoring the PSS options: an ECDSA signature Amazon Pay refuses).
        can = {alg for alg, r in sdk[f"{name}.pem"].items() if _pss_valid(other_keys / f"{name}.pub", r, alg)}
        done = run_keygen("verify", "--json", f"{name}.pem", f"{name}.pub", cwd=other_keys)
        doc = json.loads(done.stdout)
        failed = [c for c in doc["checks"] if c["status"] == "fail"]
        if name in STRICTER:
            assert can == set(SALT), (name, sdk[f"{name}.pem"])
            assert done.returncode == 1 and any("stricter" in c["summary"] for c in failed), (name, failed)
        elif can == set(SALT):
            assert done.returncode == 0, (name, failed)
        else:
            assert done.returncode == 1, (name, sdk[f"{name}.pem"])
            # Per algorithm, where keygen got as far as signing: its self-test says what the SDK does.
            for alg in SALT:
                check = next((c for c in doc["checks"] if c["name"] == f"amazon_pay.sign.{alg}"), None)
                if check is not None:
                    assert (check["status"] == "pass") == (alg in can), (name, alg, check, sdk[f"{name}.pem"])
        # Who reads what, in the words of the failing checks about the key's algorithm.
        if name.startswith("pss") and name not in STRICTER:
            assert any("the SDKs read the private key" in c["summary"] for c in failed), failed


def test_fingerprint_is_the_readme_command_over_the_file_as_it_is(other_keys: Path) -> None:
    # README: `openssl pkey -pubin -in publicKey.pub -outform DER | openssl dgst -sha256 -binary | openssl base64`
    # and `... | sha256sum` for the hex; an RSA-PSS SPKI keeps its own algorithm identifier.
    for name in ("pss-saltlen-32", "pss-no-params", "rsa3072"):
        der = subprocess.run(["openssl", "pkey", "-pubin", "-in", f"{name}.pub", "-outform", "DER"],
                             cwd=other_keys, capture_output=True, check=True).stdout  # fmt: skip
        doc = json.loads(run_keygen("verify", "--json", f"{name}.pem", f"{name}.pub", cwd=other_keys).stdout)
        assert doc["fingerprint_hex"] == hashlib.sha256(der).hexdigest()
        assert (doc["fingerprint"], doc["fingerprint_hex"]) == readme_fingerprint(other_keys / f"{name}.pub")


@node_sdk.requires_node_sdk
def test_zz_figures() -> None:
    """The lane's figures (after the tests above, in file order)."""
    print(f"\nsdk lane: {FIGURES['pairs']} pairs, {FIGURES['signatures']} signatures, "
          f"{FIGURES['verifications']} verifications")  # fmt: skip
    assert FIGURES["pairs"] == len(METHODS) and FIGURES["verifications"] == 2 * FIGURES["signatures"]


@pytest.mark.parametrize("name", ["pss-no-params", "pss-saltlen-32", "pss-sha256-saltlen-32"])
def test_rsa_pss_keys_fail_with_the_reason_and_the_documented_way_out(other_keys: Path, name: str) -> None:
    done = run_keygen("verify", "--json", f"{name}.pem", f"{name}.pub", cwd=other_keys)
    assert done.returncode == 1
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    for role in ("private_key", "public_key"):
        check = checks[f"{role}.algorithm"]
        assert check["status"] == "fail" and "id-RSASSA-PSS" in check["summary"]
        assert "`keygen generate --out-dir new-key-pair` (the documented commands" in check["fix"]
