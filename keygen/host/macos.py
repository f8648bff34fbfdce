"""macOS: which `openssl` the documented line runs there, and what to say about it.

A Mac has its own `/usr/bin/openssl` (LibreSSL: 3.3.6 on macOS 12 to 15, 2.8.3 or older before),
and Homebrew's OpenSSL is often ahead of it on PATH (`/opt/homebrew/bin` on Apple silicon,
`/usr/local/bin` on Intel Macs). The documented line runs whichever comes first; both write the
same PKCS#8 private key and SPKI public key, so either is fine for this recipe. Everything here
works from a `ToolInfo`, so it is tested with described Macs (the machine at hand is never one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keygen.host import ToolInfo

#: Where a Mac's openssl lives, by the directory it is in: whose it is.
_ORIGINS: tuple[tuple[str, str], ...] = (
    ("/usr/bin/", "macOS's own"),
    ("/opt/homebrew/", "Homebrew's (Apple silicon)"),
    ("/usr/local/", "Homebrew's (Intel Mac) or another /usr/local install"),
    ("/opt/local/", "MacPorts'"),
)
#: What /usr/bin/openssl is when its version was not asked (a described Mac).
APPLE_OPENSSL = "LibreSSL: 3.3.6 on macOS 12 to 15"
EITHER_IS_FINE = (
    "either macOS's LibreSSL or Homebrew's OpenSSL is fine for this recipe: both write the same "
    "PKCS#8 private key and public key"
)


def openssl_origin(path: str) -> str:
    """Whose openssl this is on a Mac, from where it lives."""
    for prefix, origin in _ORIGINS:
        if path.startswith(prefix):
            return origin
    return "not macOS's own"


def openssl_label(tool: ToolInfo) -> str:
    """Its flavour and version, as asked; for a /usr/bin/openssl not asked, what macOS ships there."""
    if tool.flavor or tool.version_text:
        return tool.version_label
    if tool.path.startswith("/usr/bin/"):
        return APPLE_OPENSSL
    return "version not asked"


def which_openssl(tool: ToolInfo) -> str:
    """One sentence: the openssl the documented line runs on this Mac, whose it is, and that either is fine."""
    ahead = "" if tool.path.startswith("/usr/bin/") else ", found on PATH ahead of macOS's /usr/bin/openssl"
    return (
        f"on this Mac the documented `openssl` line runs {tool.path} "
        f"({openssl_origin(tool.path)}, {openssl_label(tool)}){ahead}; {EITHER_IS_FINE}"
    )
