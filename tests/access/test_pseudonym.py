"""Keyed pseudonyms: HMAC-SHA256 (RFC 2104), checked against RFC 4231 test case 1
(key = 20 bytes 0x0b, data "Hi There", MAC b0344c61d8db38535ca8afceaf0bf12b…)."""

from __future__ import annotations

import pytest

from caresec.access.pseudonym import HmacPseudonymizer, Identity


def test_rfc4231_case_1() -> None:
    assert HmacPseudonymizer(b"\x0b" * 20).pseudonym("Hi There") == "pt-b0344c61d8db3853"


def test_keys_separate_and_short_keys_refused() -> None:
    a, b = HmacPseudonymizer(b"a" * 16), HmacPseudonymizer(b"b" * 16)
    assert a.pseudonym("P1") == a.pseudonym("P1") != b.pseudonym("P1")
    assert HmacPseudonymizer.random().pseudonym("P1") != HmacPseudonymizer.random().pseudonym("P1")
    with pytest.raises(ValueError):
        HmacPseudonymizer(b"short")
    assert Identity().pseudonym("P1") == "P1"
