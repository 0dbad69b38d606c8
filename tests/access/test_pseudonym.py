"""Patient pseudonyms are caresec.privacy's keyed pseudonyms of the identifier type ``mrn``
(HMAC-SHA256, RFC 2104), here checked against a direct computation of that HMAC."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from caresec.access.pseudonym import Identity, KeyedPseudonymizer


def test_same_as_privacy_module() -> None:
    key = b"\x0b" * 32
    expected = hmac.new(key, b"mrn\x1fp1000123", hashlib.sha256).hexdigest()[:20]
    assert KeyedPseudonymizer(key).pseudonym("P1000123") == "p:" + expected


def test_keys_separate_runs_and_organizations(tmp_path: Path) -> None:
    a, b = KeyedPseudonymizer(b"a" * 32), KeyedPseudonymizer(b"b" * 32)
    assert a.pseudonym("P1") == a.pseudonym("P1") != b.pseudonym("P1")
    assert KeyedPseudonymizer.ephemeral().pseudonym("P1") != KeyedPseudonymizer.ephemeral(
    ).pseudonym("P1")
    org = KeyedPseudonymizer.for_org(tmp_path)
    assert (tmp_path / ".caresec" / "key").is_file()
    assert KeyedPseudonymizer.for_org(tmp_path).pseudonym("P1") == org.pseudonym("P1")
    assert Identity().pseudonym("P1") == "P1"
