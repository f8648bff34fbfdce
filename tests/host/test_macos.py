"""Which openssl the documented line runs on a Mac, through the Host seam (no Mac runs here):
macOS's own LibreSSL in /usr/bin, or Homebrew's OpenSSL ahead of it on PATH. plan and doctor name
the one that runs, its flavour and version, and that either is fine for this recipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from keygen.commands.doctor import diagnose
from keygen.commands.plan import describe, described_host
from keygen.host import Host, ShellInfo, ToolInfo, detect_host, openssl_version_line, parse_openssl_version
from keygen.host.hints import install_hint
from keygen.render.machine import doctor_text, plan_text
from keygen.render.style import PLAIN
from tests.helpers import WINDOWS
from tests.helpers.libressl import libressl_stand_in


def mac(openssl: ToolInfo | None) -> Host:
    return Host(
        os="macos",
        shell=ShellInfo("zsh", "/bin/zsh", "shellingham"),
        openssl=openssl,
        ssh_keygen=ToolInfo("ssh-keygen", "/usr/bin/ssh-keygen"),
    )


def openssl_at(path: str, text: str) -> ToolInfo:
    return ToolInfo("openssl", path, text, *parse_openssl_version(text))


MACS = [
    ("/usr/bin/openssl", "LibreSSL 3.3.6", "macOS's own", "LibreSSL 3.3.6"),
    ("/usr/bin/openssl", "LibreSSL 2.8.3", "macOS's own", "LibreSSL 2.8.3"),
    ("/opt/homebrew/bin/openssl", "OpenSSL 3.4.0 22 Oct 2024 (Library: OpenSSL 3.4.0 22 Oct 2024)",
     "Homebrew's (Apple silicon)", "OpenSSL 3.4.0"),
    ("/usr/local/bin/openssl", "OpenSSL 1.1.1w  11 Sep 2023", "Homebrew's (Intel Mac)", "OpenSSL 1.1.1"),
]


@pytest.mark.parametrize(("path", "text", "origin", "label"), MACS)
def test_plan_names_the_openssl_that_runs_on_a_mac(path: str, text: str, origin: str, label: str) -> None:
    plan = describe(mac(openssl_at(path, text)))
    [note] = [n for n in plan.notes if "documented `openssl` line runs" in n.message]
    assert path in note.message and origin in note.message and label in note.message
    assert "either macOS's LibreSSL or Homebrew's OpenSSL is fine for this recipe" in note.message
    assert ("ahead of macOS's /usr/bin/openssl" in note.message) == (not path.startswith("/usr/bin/"))
    shown = "\n".join(plan_text(plan, PLAIN).lines)
    assert note.message in shown and f"Tool: {path} ({text})" in shown
    assert plan.facts()["notes"][-1]["message"] == note.message


@pytest.mark.parametrize(("path", "text", "origin", "label"), MACS)
def test_doctor_names_the_openssl_that_runs_on_a_mac(path: str, text: str, origin: str, label: str) -> None:
    doc = diagnose(mac(openssl_at(path, text)))
    shown = doctor_text(doc, PLAIN).lines
    assert f"openssl: {path} ({text})" in shown
    [line] = [ln for ln in shown if "documented `openssl` line runs" in ln]
    assert origin in line and label in line and "fine for this recipe" in line
    assert any(origin in n["message"] for n in doc.facts()["notes"])


def test_a_described_mac_names_apple_s_libressl() -> None:
    plan = describe(described_host("macos"), described=True)
    [note] = [n for n in plan.notes if "documented `openssl` line runs" in n.message]
    assert "/usr/bin/openssl (macOS's own, LibreSSL: 3.3.6 on macOS 12 to 15)" in note.message


def test_linux_and_the_ssh_keygen_recipe_say_nothing_of_a_mac() -> None:
    linux = Host(os="linux", shell=ShellInfo("bash"), openssl=openssl_at("/usr/bin/openssl", "OpenSSL 3.0.19"))
    assert not [n for n in describe(linux).notes if "Mac" in n.message]
    assert not any("Mac" in ln for ln in doctor_text(diagnose(linux), PLAIN).lines)
    ssh_only = describe(mac(None), method="ssh-keygen")
    assert not [n for n in ssh_only.notes if "Mac" in n.message]


def test_a_mac_s_install_hint_speaks_of_macos() -> None:
    assert install_hint("openssl", "macos") == "macOS ships openssl in /usr/bin; if it is gone, `brew install openssl`"


@pytest.mark.parametrize(
    ("text", "flavor", "version", "line"),
    [
        ("LibreSSL 3.3.6\n", "LibreSSL", (3, 3, 6), "LibreSSL 3.3.6"),  # macOS 12 to 15
        ("LibreSSL 2.6.5\r\n", "LibreSSL", (2, 6, 5), "LibreSSL 2.6.5"),  # macOS 10.14
        ("LibreSSL 2.2.7", "LibreSSL", (2, 2, 7), "LibreSSL 2.2.7"),  # macOS 10.13
        ("OpenSSL 0.9.8zh 14 Jan 2016", "OpenSSL", (0, 9, 8), "OpenSSL 0.9.8zh 14 Jan 2016"),  # OS X 10.11
        ("libressl 3.3.6", "LibreSSL", (3, 3, 6), "libressl 3.3.6"),
        # Old Homebrew and MacPorts builds warn about their config file before the version.
        (
            "WARNING: can't open config file: /usr/local/etc/openssl/openssl.cnf\nOpenSSL 1.0.2t  10 Sep 2019",
            "OpenSSL",
            (1, 0, 2),
            "OpenSSL 1.0.2t  10 Sep 2019",
        ),
    ],
)
def test_macos_openssl_versions(text: str, flavor: str, version: tuple[int, ...], line: str) -> None:
    assert parse_openssl_version(text) == (flavor, version)
    assert openssl_version_line(text) == line


@pytest.mark.skipif(WINDOWS, reason="the stand-in is a POSIX script")
def test_a_libressl_version_is_probed_as_flavour_and_version(tmp_path: Path) -> None:
    path, _ = libressl_stand_in(tmp_path / "bin")
    host = detect_host(env={"PATH": path}, tools=("openssl",), versions=("openssl",), cwd=str(tmp_path))
    assert host.openssl is not None
    found = (host.openssl.flavor, host.openssl.version, host.openssl.version_text)
    assert found == ("LibreSSL", (3, 3, 6), "LibreSSL 3.3.6")
