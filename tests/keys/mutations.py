"""Mangled copies of real key pairs, and the oracles that judge them (issue 19's differential fuzzing).

The mutations are what happens to keys pasted into CI secrets, YAML, web forms and editors: line
ends, white space, stray text, PEM headers, joined lines, base64 flips, truncation, concatenation,
encodings and byte order marks. A seeded `random.Random` picks them, so a run is repeated exactly
from its seed. The oracles are the system's `openssl pkey` (the reader the Node, PHP and Ruby SDKs
use) on each file, and the pair match it sees; the SDK lane adds the official Node SDK signing.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

Mutator = Callable[[bytes, random.Random], bytes]

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _body_index(data: bytes, rng: random.Random) -> int:
    """A random base64 line's index (between the BEGIN and END lines)."""
    lines = _lines(data)
    inner = [i for i, line in enumerate(lines) if line and not line.startswith(b"-----")]
    return rng.choice(inner) if inner else 0


def _on_line(data: bytes, rng: random.Random, change: Callable[[bytes], bytes]) -> bytes:
    lines = _lines(data)
    i = _body_index(data, rng)
    lines[i] = change(lines[i])
    return b"\n".join(lines)


def _replace_some(data: bytes, old: bytes, new: bytes, rng: random.Random) -> bytes:
    """Replace one randomly chosen occurrence of `old`."""
    spots = [i for i in range(len(data)) if data.startswith(old, i)]
    if not spots:
        return data
    i = rng.choice(spots)
    return data[:i] + new + data[i + len(old) :]


def _flip_b64(data: bytes, rng: random.Random) -> bytes:
    def flip(line: bytes) -> bytes:
        if not line:
            return line
        j = rng.randrange(len(line))
        return line[:j] + bytes([rng.choice([c for c in _B64 if c != line[j]])]) + line[j + 1 :]

    return _on_line(data, rng, flip)


def _blank_in_body(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = _body_index(data, rng)
    return b"\n".join([*lines[: i + 1], b"", *lines[i + 1 :]])


def _one_line_body(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    inner = [line for line in lines if line and not line.startswith(b"-----")]
    begin = [line for line in lines if line.startswith(b"-----BEGIN")][:1]
    end = [line for line in lines if line.startswith(b"-----END")][:1]
    return b"\n".join([*begin, b"".join(inner), *end, b""]) if begin and end else data


def _headers(data: bytes, rng: random.Random) -> bytes:
    extra = rng.choice(
        [
            b"Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n",
            b"Comment: pasted from the wiki\n",
            b"Proc-Type: 4,ENCRYPTED\n\n",
        ]
    )
    return data.replace(b"-----\n", b"-----\n" + extra, 1)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))] if len(data) > 1 else data


def _delete_byte(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + data[i + 1 :]


def _insert_byte(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    byte = rng.choice([b"\x00", b"\t", b"\x0b", b"\x0c", b"\x7f", b"\xa0", b"\xe2\x80\x8b", b"=", b"-", b":"])
    return data[:i] + byte + data[i:]


def _utf16(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("latin-1")
    return rng.choice([b"\xff\xfe" + text.encode("utf-16-le"), text.encode("utf-16-le"), text.encode("utf-16-be")])


#: Every mutation by name (a name is what a run's report counts).
MUTATORS: dict[str, Mutator] = {
    "crlf": lambda d, r: d.replace(b"\n", b"\r\n"),
    "bare-cr": lambda d, r: d.replace(b"\n", b"\r"),
    "lf-cr": lambda d, r: d.replace(b"\n", b"\n\r"),
    "one-bare-cr": lambda d, r: _replace_some(d, b"\n", b"\r", r),
    "one-crlf": lambda d, r: _replace_some(d, b"\n", b"\r\n", r),
    "utf8-bom": lambda d, r: b"\xef\xbb\xbf" + d,
    "utf16": _utf16,
    "spaces-before-begin": lambda d, r: b" " * r.randint(1, 4) + d,
    "tab-before-begin": lambda d, r: b"\t" + d,
    "text-before-begin-same-line": lambda d, r: r.choice([b"key: ", b"PRIVATE_KEY=", b"x"]) + d,
    "text-line-before": lambda d, r: b"# my Amazon Pay key\n" + d,
    "text-after": lambda d, r: d + b"pasted by the CI\n",
    "text-after-end-same-line": lambda d, r: d.rstrip(b"\n") + b" done\n",
    "spaces-before-end": lambda d, r: d.replace(b"-----END", b"  -----END"),
    "indent-body-line": lambda d, r: _on_line(d, r, lambda line: b"  " + line),
    "trailing-space": lambda d, r: _on_line(d, r, lambda line: line + r.choice([b" ", b"\t", b"  "])),
    "trailing-space-begin": lambda d, r: d.replace(b"-----\n", b"----- \n", 1),
    "blank-in-body": _blank_in_body,
    "blank-after-begin": lambda d, r: d.replace(b"-----\n", b"-----\n\n", 1),
    "join-begin": lambda d, r: d.replace(b"-----\n", b"-----", 1),
    "join-end": lambda d, r: d.replace(b"\n-----END", b"-----END"),
    "one-line-body": _one_line_body,
    "headers": _headers,
    "flip-base64": _flip_b64,
    "delete-byte": _delete_byte,
    "insert-byte": _insert_byte,
    "truncate": _truncate,
    "duplicate": lambda d, r: d + d,
    "no-final-newline": lambda d, r: d.rstrip(b"\n"),
    "lowercase-end": lambda d, r: d.replace(b"-----END", b"-----end"),
    "pkcs1-label": lambda d, r: d.replace(b" PRIVATE KEY-----", b" RSA PRIVATE KEY-----").replace(
        b" PUBLIC KEY-----", b" RSA PUBLIC KEY-----"
    ),
    "empty": lambda d, r: b"",
}


@dataclass(frozen=True)
class Pair:
    private: bytes
    public: bytes


@dataclass(frozen=True)
class Case:
    """One mangled pair: the bytes of each file and the mutations that made them."""

    number: int
    private: bytes
    public: bytes
    mutations: tuple[str, ...]


def mutate(data: bytes, rng: random.Random, names: list[str]) -> bytes:
    for name in names:
        data = MUTATORS[name](data, rng) if data else data
    return data


def cases(pairs: list[Pair], seed: int, count: int) -> Iterator[Case]:
    """`count` mangled pairs from `pairs`, the same for the same seed. About one in twelve is left
    intact (a control that must stay "ready"), one in twelve pairs a key with another pair's public key,
    and one in twelve appends another pair's key (concatenation)."""
    rng = random.Random(seed)
    names = sorted(MUTATORS)
    for number in range(count):
        pair = rng.choice(pairs)
        private, public, done = pair.private, pair.public, []
        kind = rng.randrange(12)
        if kind == 0:
            yield Case(number, private, public, ("control",))
            continue
        if kind == 1:
            other = rng.choice([p for p in pairs if p is not pair] or pairs)
            public, done = other.public, ["other-pair-public"]
        elif kind == 2:
            other = rng.choice(pairs)
            role = rng.choice(["private", "public"])
            if role == "private":
                private = private + other.private
            else:
                public = public + other.public
            done = [f"concatenated-{role}"]
        chosen = rng.sample(names, rng.choice([1, 1, 1, 2, 2, 3]))
        role = rng.choice(["private", "public", "both"])
        if role in ("private", "both"):
            private = mutate(private, rng, chosen)
        if role in ("public", "both"):
            public = mutate(public, rng, chosen)
        yield Case(number, private, public, (*done, *(f"{role}:{n}" for n in chosen)))


def make_pairs(directory: Path, count: int) -> list[Pair]:
    """Real pairs made by the documented openssl lines."""
    from tests.helpers.pairs import make_pair

    made = [make_pair(directory / f"pair{i}") for i in range(count)]
    return [Pair(p.private.read_bytes(), p.public.read_bytes()) for p in made]


# --- the oracles ---------------------------------------------------------------------------------


def openssl_reads(path: Path, *, public: bool, timeout: float = 30) -> bytes | None:
    """The public key the system's openssl derives from the file (None: it cannot read it)."""
    argv = ["openssl", "pkey", *(["-pubin"] if public else []), "-in", str(path), "-pubout", "-passin", "pass:"]
    done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    return done.stdout if done.returncode == 0 and done.stdout.startswith(b"-----BEGIN PUBLIC KEY-----") else None


@dataclass(frozen=True)
class OracleView:
    private_reads: bool
    public_reads: bool
    pair_matches: bool

    @property
    def ready(self) -> bool:
        return self.private_reads and self.public_reads and self.pair_matches

    def why_not(self) -> str:
        return ", ".join(
            why
            for why, bad in (
                ("openssl cannot read the private key", not self.private_reads),
                ("openssl cannot read the public key", not self.public_reads),
                ("the pair does not match", self.private_reads and self.public_reads and not self.pair_matches),
            )
            if bad
        )


def oracle(private: Path, public: Path) -> OracleView:
    derived = openssl_reads(private, public=False)
    seen = openssl_reads(public, public=True)
    return OracleView(derived is not None, seen is not None, derived is not None and derived == seen)
