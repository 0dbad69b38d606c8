"""Keyed pseudonyms: the one place where an identifier becomes something caresec may keep.

Findings, logs, the store and reports never carry a patient identifier (HIPAA minimum
necessary, 45 CFR 164.502(b)). Where caresec must tell two values apart (counting individuals,
noticing change between scans) it keeps a *keyed pseudonym*: HMAC-SHA256 (RFC 2104, FIPS 198-1)
of the normalized value under a per-organization secret key. Without the key a pseudonym cannot
be reversed by hashing candidate values (a plain hash of a 9-digit SSN can); with the key it is
stable, so scans of the same organization compare. The key is 32 random bytes made on first use
at ``ORG/.caresec/key`` with owner-only permissions (0600), never printed or exported; reports
show only its :func:`key_id`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

from caresec.errors import StoreError

KEY_FILE = Path(".caresec") / "key"
KEY_BYTES = 32
PSEUDONYM_HEX = 20  # 80 bits: collisions are negligible at inventory sizes
_DIGITS_ONLY = frozenset({"ssn", "phone", "fax", "npi", "zip code", "account number"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_NON_DIGIT = re.compile(r"\D+")


def key_path(org_root: Path) -> Path:
    """Where an organization's key lives: ``ORG/.caresec/key``."""
    return org_root / KEY_FILE


def load_or_create_key(org_root: Path) -> bytes:
    """Return the organization's pseudonym key, creating it on first use.

    The key file holds 64 hex characters (32 random bytes from :mod:`secrets`). It is created
    with ``O_CREAT | O_EXCL`` and mode 0600, so two scans starting together cannot both make
    one, and no other user can ever read it.

    Args:
        org_root: the organization folder (``.caresec/`` is made inside it when absent).

    Returns:
        The 32-byte key.

    Raises:
        StoreError: the key cannot be created or read, is malformed, or is readable or writable
            by group or others (the message says to ``chmod 600`` it).
    """
    path = key_path(org_root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the pseudonym key ({exc.strerror}).") from exc
    key = secrets.token_bytes(KEY_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key


def _read_key(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: cannot read the pseudonym key ({exc}).") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(
            f"{path}: the pseudonym key is accessible to other users (mode "
            f"{stat.S_IMODE(mode):04o}); it must be readable by its owner only.",
            hint=f"Run: chmod 600 {path}",
        )
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise StoreError(f"{path}: the pseudonym key is not hexadecimal.") from exc
    if len(key) != KEY_BYTES:
        raise StoreError(f"{path}: the pseudonym key has {len(key)} bytes, not {KEY_BYTES}.")
    return key


def ephemeral_key() -> bytes:
    """A fresh random key for a scan outside any organization folder (pseudonyms then compare
    only within that run)."""
    return secrets.token_bytes(KEY_BYTES)


def key_id(key: bytes) -> str:
    """A public fingerprint of the key (12 hex characters of HMAC-SHA256(key, "caresec key
    id")): equal ids mean comparable pseudonyms; the key cannot be derived from it."""
    return hmac.new(key, b"caresec key id", hashlib.sha256).hexdigest()[:12]


def normalize(kind: str, value: str) -> str:
    """The form of a value that is pseudonymized, so that spellings of one identifier agree.

    Digits only for SSN, phone, fax, NPI, ZIP and account numbers (``078-05-1120`` and
    ``078051120`` agree); otherwise case-folded with runs of other characters removed
    (``O'Brien`` and ``OBRIEN`` agree).
    """
    if kind in _DIGITS_ONLY:
        digits = _NON_DIGIT.sub("", value)
        return digits or value.strip().casefold()
    return _NON_ALNUM.sub("", value.casefold()) or value.strip().casefold()


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """The keyed pseudonym of one identifier: ``p:`` + 20 hex characters of
    HMAC-SHA256(key, kind ␟ normalized value). The type is part of the message, so the same
    digits as an SSN and as a phone number give different pseudonyms."""
    message = f"{kind}\x1f{normalize(kind, value)}".encode()
    return "p:" + hmac.digest(key, message, "sha256").hex()[:PSEUDONYM_HEX]


_ASCII_NON_DIGITS = bytes(c for c in range(256) if not chr(c).isdigit())
_ASCII_NON_ALNUM = bytes(c for c in range(256) if not (chr(c).isascii() and chr(c).isalnum()))


def pseudonym_ints(key: bytes, kind: str, values: list[str]) -> list[int]:
    """:func:`pseudonym_int` of many values of one type (same results, a faster loop for the
    columns of large tables)."""
    prefix = f"{kind}\x1f".encode()
    digits_only = kind in _DIGITS_ONLY
    out: list[int] = []
    digest = hmac.digest
    for value in values:
        if value.isascii():
            raw = (value.encode() if digits_only else value.lower().encode())
            norm = raw.translate(None, _ASCII_NON_DIGITS if digits_only else _ASCII_NON_ALNUM)
            if not norm:
                norm = value.strip().casefold().encode()
        else:
            norm = normalize(kind, value).encode()
        out.append(int.from_bytes(digest(key, prefix + norm, "sha256")[:8], "big"))
    return out


def pseudonym_int(key: bytes, kind: str, value: str) -> int:
    """The first 64 bits of the same HMAC as an integer (for distinct-count sketches)."""
    message = f"{kind}\x1f{normalize(kind, value)}".encode()
    return int.from_bytes(hmac.digest(key, message, "sha256")[:8], "big")


_SHAPE = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "X" * 26 + "x" * 26 + "N" * 10,
)


def shape(value: str, limit: int = 24) -> str:
    """The value's shape: letters → ``X``/``x``, digits → ``N``, other characters kept, other
    letters (accented) → ``x``; cut to ``limit`` characters with ``…``. It tells a reader what
    kind of value was found without telling the value."""
    out = value.translate(_SHAPE)
    out = "".join("x" if ch.isalpha() and ch not in "XxN" else ch for ch in out)
    out = " ".join(out.split())
    return out if len(out) <= limit else out[: limit - 1] + "…"
