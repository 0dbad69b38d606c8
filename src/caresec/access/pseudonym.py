"""How patients appear in access-review outputs: keyed pseudonyms from :mod:`caresec.privacy`
(HMAC-SHA256 under the organization's key, RFC 2104 / FIPS 198-1), so that the same patient
gets the same pseudonym within an organization and nobody without the key can recompute it.

The review takes any :class:`Pseudonymizer`; :class:`KeyedPseudonymizer` is caresec's (patient
ids are pseudonymized as the identifier type ``mrn``, medical record number), :class:`Identity`
shows ids as they are and is used only when the user opts in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from caresec import privacy

PATIENT_ID_KIND = "mrn"


class Pseudonymizer(Protocol):
    """Anything that turns a patient identifier into the string shown in outputs."""

    def pseudonym(self, value: str) -> str:
        """The output form of ``value`` (same input, same output, within one key)."""
        ...


class KeyedPseudonymizer:
    """:func:`caresec.privacy.pseudonym` of patient ids: ``p:`` + 20 hex digits.

    Args:
        key: the secret key (the organization's, see :meth:`for_org`).
    """

    def __init__(self, key: bytes) -> None:
        self._key = bytes(key)

    @classmethod
    def for_org(cls, org_root: Path) -> KeyedPseudonymizer:
        """With the organization's key ``ORG/.caresec/key`` (made on first use).

        Raises:
            StoreError: the key cannot be created or read, or is readable by others.
        """
        return cls(privacy.load_or_create_key(org_root))

    @classmethod
    def ephemeral(cls) -> KeyedPseudonymizer:
        """With a fresh random key: pseudonyms compare only within this run."""
        return cls(privacy.ephemeral_key())

    def pseudonym(self, value: str) -> str:
        """The keyed pseudonym of patient id ``value``."""
        return privacy.pseudonym(self._key, PATIENT_ID_KIND, value)


class Identity:
    """No pseudonymization: the patient id as given (only when the user opts in)."""

    def pseudonym(self, value: str) -> str:
        """``value`` unchanged."""
        return value
