"""caresec.privacy: the per-organization key and keyed pseudonyms (RFC 2104 HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest

from caresec import privacy
from caresec.errors import StoreError


def test_key_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    key = privacy.load_or_create_key(tmp_path)
    path = privacy.key_path(tmp_path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert privacy.load_or_create_key(tmp_path) == key


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    privacy.load_or_create_key(tmp_path)
    os.chmod(privacy.key_path(tmp_path), 0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        privacy.load_or_create_key(tmp_path)


def test_malformed_key_is_refused(tmp_path: Path) -> None:
    path = privacy.key_path(tmp_path)
    path.parent.mkdir()
    path.write_text("not hex\n")
    os.chmod(path, 0o600)
    with pytest.raises(StoreError, match="not hexadecimal"):
        privacy.load_or_create_key(tmp_path)


def test_pseudonym_is_hmac_sha256_of_type_and_normalized_value() -> None:
    key = b"k" * 32
    expected = hmac.new(key, b"ssn\x1f078051120", hashlib.sha256).hexdigest()[:20]
    assert privacy.pseudonym(key, "ssn", "078-05-1120") == "p:" + expected
    assert privacy.pseudonym(key, "ssn", "078 05 1120") == "p:" + expected
    assert privacy.pseudonym(key, "phone", "078-05-1120") != "p:" + expected
    assert privacy.pseudonym(b"j" * 32, "ssn", "078-05-1120") != "p:" + expected


@pytest.mark.parametrize(("kind", "a", "b"), [
    ("name", "O'Brien", "OBRIEN"), ("phone", "(410) 555-0101", "410.555.0101"),
    ("email", "Joe@Example.org", "joe@example.org"),
])
def test_spellings_of_one_value_agree(kind: str, a: str, b: str) -> None:
    assert privacy.pseudonym(b"k" * 32, kind, a) == privacy.pseudonym(b"k" * 32, kind, b)


@pytest.mark.parametrize(("value", "shape"), [
    ("078-05-1120", "NNN-NN-NNNN"), ("Jörg O'Brien", "Xxxx X'Xxxxx"),
    ("RCH0004711", "XXXNNNNNNN"),
])
def test_shape_keeps_form_not_value(value: str, shape: str) -> None:
    assert privacy.shape(value) == shape


def test_key_id_does_not_reveal_the_key() -> None:
    key = bytes(range(32))
    assert len(privacy.key_id(key)) == 12
    assert key.hex()[:12] != privacy.key_id(key)
