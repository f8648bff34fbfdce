"""checks.py directly: strict (generate) against lenient (verify), and the encoding detective work."""

from __future__ import annotations

from pathlib import Path

import pytest

from keygen.keys import checks, keyfile


def statuses(report: checks.Report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


@pytest.mark.parametrize(
    ("private", "public", "name"),
    [
        ("pkcs1.pem", "publicKey.pub", "private_key.format"),
        ("privateKey.pem", "mixed.pub", "public_key.encoding"),
        ("privateKey.pem", "bom.pub", "public_key.encoding"),
        ("privateKey.pem", "bom_crlf.pub", "public_key.encoding"),
    ],
)
def test_strict_fails_what_lenient_warns(key_zoo: dict[str, Path], private: str, public: str, name: str) -> None:
    strict = checks.check_pair(key_zoo[private], key_zoo[public], strict=True)
    lenient = checks.check_pair(key_zoo[private], key_zoo[public], strict=False)
    assert statuses(strict)[name] == "fail" and not strict.ok
    assert statuses(lenient)[name] == "warn" and lenient.ok


@pytest.mark.parametrize("strict", [True, False])
def test_one_consistent_line_end_style_passes_and_is_reported(key_zoo: dict[str, Path], strict: bool) -> None:
    """CRLF throughout is what the documented openssl lines write on Windows: it passes, named."""
    report = checks.check_pair(key_zoo["crlf.pem"], key_zoo["crlf.pub"], strict=strict)
    assert report.ok, [c for c in report.checks if c.status != "pass"]
    assert statuses(report)["private_key.encoding"] == statuses(report)["public_key.encoding"] == "pass"
    assert report.private is not None and report.public is not None
    assert (report.private.line_ends, report.public.line_ends) == ("crlf", "crlf")
    summary = next(c.summary for c in report.checks if c.name == "public_key.encoding")
    assert "CRLF" in summary
    lf = checks.check_pair(key_zoo["privateKey.pem"], key_zoo["publicKey.pub"], strict=strict)
    assert lf.public is not None and lf.public.line_ends == "lf"


def test_mixed_line_ends_are_named(key_zoo: dict[str, Path]) -> None:
    mixed = checks.check_pair(key_zoo["privateKey.pem"], key_zoo["mixed.pub"], strict=True)
    assert mixed.public is not None and mixed.public.line_ends == "mixed"
    check = next(c for c in mixed.checks if c.name == "public_key.encoding")
    assert "mixes CRLF and LF" in check.summary and "--fix" in check.fix


@pytest.mark.parametrize(
    ("data", "style"),
    [(b"a\nb\n", "lf"), (b"a\r\nb\r\n", "crlf"), (b"a\r\nb\n", "mixed"), (b"a\rb\r", "mixed"), (b"ab", "lf")],
)
def test_line_end_style(data: bytes, style: str) -> None:
    assert keyfile.line_end_style(data) == style


def test_inspection_records_the_encoding(key_zoo: dict[str, Path]) -> None:
    ps = checks.inspect(key_zoo["powershell.pub"], "public", strict=False)
    assert (ps.encoding, ps.bom, ps.line_ends) == ("utf-16-le", True, "crlf")
    assert ps.text == key_zoo["publicKey.pub"].read_text()
    plain = checks.inspect(key_zoo["publicKey.pub"], "public", strict=False)
    assert (plain.encoding, plain.bom, plain.line_ends) == ("ascii", False, "lf")


def test_non_ascii_text_is_told_apart_from_binary(tmp_path: Path, key_zoo: dict[str, Path]) -> None:
    text = key_zoo["publicKey.pub"].read_text().replace("-----\n", "-----\n# clé\n", 1)
    (tmp_path / "accent.pub").write_text(text, encoding="utf-8")
    ins = checks.inspect(tmp_path / "accent.pub", "public", strict=False)
    assert ins.encoding == "utf-8"
    assert "non-ASCII characters (first on line 2)" in ins.checks[-1].summary


def test_fix_commands_never_write_over_their_input(key_zoo: dict[str, Path]) -> None:
    report = checks.check_pair(None, key_zoo["ssh_rsa_line.pub"], strict=False)
    fix = {c.name: c.fix for c in report.checks}["public_key.format"]
    command = fix.split("from this file alone: ")[1]
    source, target = command.split(" -f ")[1].split(" > ")
    assert source != target
