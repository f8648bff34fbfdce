"""The PEM layouts no SDK reader takes (issue 19): each is a failure that names the defect and
its fix, in keygen's own reading (no second opinion needed), and openssl agrees that it cannot
read the file; `verify --fix` mends a public key's and proves it by re-checking."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keygen.cli.app import app
from keygen.keys import checks
from keygen.keys.reading import layout
from tests.keys.mutations import openssl_reads

runner = CliRunner()


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


#: Each defect: how it is made from a clean file, and the words that name it.
DEFECTS = {
    "bare CR": (lambda d: d.replace(b"\n", b"\r"), "bare CR line breaks"),
    "LF CR": (lambda d: d.replace(b"\n", b"\n\r"), "LF CR (`\\n\\r`)"),
    "spaces before BEGIN": (lambda d: b"   " + d, "spaces before -----BEGIN"),
    "text before BEGIN": (lambda d: b"PRIVATE_KEY=" + d, "text before -----BEGIN on the same line"),
    "BEGIN joined": (lambda d: d.replace(b"-----\n", b"-----", 1), "-----BEGIN line joined to the base64"),
    "END joined": (lambda d: d.replace(b"\n-----END", b"-----END"), "-----END line joined to the base64"),
    "headers": (
        lambda d: d.replace(b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\n", 1),
        "has headers (Proc-Type: 4,ENCRYPTED)",
    ),
    "blank line in the base64": (
        lambda d: b"\n".join([*_lines(d)[:2], b"", *_lines(d)[2:]]),
        "blank line inside the base64",
    ),
}


def _judge(path: Path, role: str) -> checks.Inspection:
    report = checks.check_pair(path if role == "private" else None, path if role == "public" else None, strict=False)
    ins = report.private if role == "private" else report.public
    assert ins is not None
    return ins


@pytest.mark.parametrize("role", ["private", "public"])
@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_fails_with_its_name_and_openssl_agrees(
    key_zoo: dict[str, Path], tmp_path: Path, defect: str, role: str
) -> None:
    make, words = DEFECTS[defect]
    source = key_zoo["privateKey.pem" if role == "private" else "publicKey.pub"]
    path = tmp_path / source.name
    path.write_bytes(make(source.read_bytes()))
    ins = _judge(path, role)
    check = next(c for c in ins.checks if c.name == f"{role}_key.layout")
    assert check.status == "fail" and words in check.summary, check
    assert "openssl" in check.summary and check.fix
    # The failure is real: the reader of the Node, PHP and Ruby SDKs cannot read the file either.
    assert openssl_reads(path, public=role == "public") is None
    # And it is not called a harmless mix any more.
    assert not any("still load" in c.summary for c in ins.checks)


def test_a_private_key_with_a_bom_fails_for_the_java_sdk(key_zoo: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "privateKey.pem"
    path.write_bytes(b"\xef\xbb\xbf" + key_zoo["privateKey.pem"].read_bytes())
    check = next(c for c in _judge(path, "private").checks if c.name == "private_key.layout")
    assert check.status == "fail" and "byte order mark" in check.summary and "Java SDK" in check.summary


@pytest.mark.parametrize(
    "layout_ok",
    [b"# a comment line\n", b"", b"\n"],
    ids=["text-line-before", "plain", "blank-line-before"],
)
def test_what_every_reader_takes_passes(key_zoo: dict[str, Path], tmp_path: Path, layout_ok: bytes) -> None:
    data = key_zoo["publicKey.pub"].read_bytes()
    for text in (layout_ok + data, layout_ok + data.replace(b"\n", b"\r\n"), data + b"trailing text\n"):
        assert layout.defects(text.decode("ascii")) == []
        path = tmp_path / "publicKey.pub"
        path.write_bytes(text)
        assert openssl_reads(path, public=True) is not None


def _fix(work: Path) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["verify", "--fix", "--json", "--no-second-opinion", "privateKey.pem", "publicKey.pub"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    "defect", ["bare CR", "LF CR", "spaces before BEGIN", "text before BEGIN", "BEGIN joined", "END joined",
               "blank line in the base64"]
)
def test_fix_mends_the_defect_and_proves_it(
    key_zoo: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, defect: str
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(key_zoo["privateKey.pem"], "privateKey.pem")
    os.chmod("privateKey.pem", 0o600)
    make, _ = DEFECTS[defect]
    Path("publicKey.pub").write_bytes(make(key_zoo["publicKey.pub"].read_bytes()))
    code, doc = _fix(tmp_path)
    assert code == 0, doc
    [mend] = doc["fixed"]  # type: ignore[misc]
    assert "LF line ends" in mend["now"]
    fixed = Path("publicKey.pub").read_bytes()
    assert b"\r" not in fixed and layout.defects(fixed.decode("ascii")) == []
    # As verify would check it, and as openssl reads it: the same key as before.
    assert openssl_reads(Path("publicKey.pub"), public=True) == subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(key_zoo["publicKey.pub"]), "-pubout"],
        capture_output=True, check=True,
    ).stdout


def test_fix_leaves_headers_alone_and_says_why(
    key_zoo: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(key_zoo["privateKey.pem"], "privateKey.pem")
    os.chmod("privateKey.pem", 0o600)
    broken = DEFECTS["headers"][0](key_zoo["publicKey.pub"].read_bytes())
    Path("publicKey.pub").write_bytes(broken)
    code, doc = _fix(tmp_path)
    assert code == 1 and doc["fixed"] == []
    assert any("headers" in note for note in doc["fix_notes"])  # type: ignore[union-attr]
    assert Path("publicKey.pub").read_bytes() == broken
