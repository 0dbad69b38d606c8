"""Patient pseudonyms for outputs: keyed HMAC-SHA256, so that the same patient gets the same
pseudonym within an organization (one key) and nobody without the key can reverse or recompute it.

HMAC is RFC 2104 with SHA-256 (FIPS 180-4); the pseudonym is ``pt-`` and the first 16 hex digits
(64 bits) of the MAC of the UTF-8 patient id. The key is the organization's own (the audit binds
it to ``ORG/.caresec/key``); a review run without a key uses a fresh random one, so its
pseudonyms link nothing across runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol

PREFIX = "pt-"
DIGITS = 16
MIN_KEY_BYTES = 16


class Pseudonymizer(Protocol):
    """Anything that turns a patient identifier into the string shown in outputs."""

    def pseudonym(self, value: str) -> str:
        """The output form of ``value`` (same input, same output, within one key)."""
        ...


class HmacPseudonymizer:
    """Keyed pseudonyms: ``pt-`` + 16 hex digits of HMAC-SHA256(key, value).

    Args:
        key: the secret key, at least 16 bytes.

    Raises:
        ValueError: the key is shorter than 16 bytes.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
        self._key = bytes(key)

    @classmethod
    def random(cls) -> HmacPseudonymizer:
        """A pseudonymizer with a fresh 32-byte random key (pseudonyms valid for one run)."""
        return cls(secrets.token_bytes(32))

    def pseudonym(self, value: str) -> str:
        """``pt-`` + the first 16 hex digits of HMAC-SHA256(key, UTF-8 ``value``)."""
        mac = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + mac[:DIGITS]


class Identity:
    """No pseudonymization: the patient id as given (only when the user opts in)."""

    def pseudonym(self, value: str) -> str:
        """``value`` unchanged."""
        return value
