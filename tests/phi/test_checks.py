"""Check digits and validity rules, against the values their specifications publish."""

from __future__ import annotations

import pytest

from caresec.phi import checks
from caresec.phi.mrn import learn_mrn_pattern


# NPI: CMS "Requirements for NPI check digit" works 123456789 → check digit 3 (1234567893).
@pytest.mark.parametrize(("value", "valid"), [
    ("1234567893", True), ("1234 567 893", True), ("1234567890", False), ("3234567893", False),
    ("123456789", False),
])
def test_npi(value: str, valid: bool) -> None:
    assert checks.npi_valid(value) is valid


# DEA: (1+3+5) + 2*(2+4+6) = 33 → check digit 3 (DEA registration number formula).
@pytest.mark.parametrize(("value", "valid"), [
    ("AB1234563", True), ("AB1234564", False), ("ZB1234563", False), ("A91234563", True),
    ("AB123456", False),
])
def test_dea(value: str, valid: bool) -> None:
    assert checks.dea_valid(value) is valid


# MBI: the example CMS publishes, 1EG4-TE5-MK73; S, L, O, I, B, Z never appear.
@pytest.mark.parametrize(("value", "valid"), [
    ("1EG4-TE5-MK73", True), ("1EG4TE5MK73", True), ("1SG4-TE5-MK73", False),
    ("0EG4-TE5-MK73", False), ("1EG4-TE5-MK7", False),
])
def test_mbi(value: str, valid: bool) -> None:
    assert checks.mbi_valid(value) is valid


# SSN: SSA never issues area 000, 666 or 900-999, group 00, serial 0000, and voided the
# published 078-05-1120 (Woolworth wallet card) and 219-09-9999 (SSA pamphlet).
@pytest.mark.parametrize(("value", "valid"), [
    ("123-45-6789", True), ("444-33-3333", True), ("900-12-0001", False), ("666-12-3456", False),
    ("000-12-3456", False), ("123-00-4567", False), ("123-45-0000", False),
    ("078-05-1120", False), ("219-09-9999", False),
])
def test_ssn(value: str, valid: bool) -> None:
    assert checks.ssn_valid(value) is valid


# VIN: 1M8GDM9AXKP042788 is the example of 49 CFR 565 check-digit computation (check digit X).
@pytest.mark.parametrize(("value", "valid"), [
    ("1M8GDM9AXKP042788", True), ("1M8GDM9A1KP042788", False), ("1M8GDM9AXKP04278", False),
    ("IM8GDM9AXKP042788", False),
])
def test_vin(value: str, valid: bool) -> None:
    assert checks.vin_valid(value) is valid


# GTIN-14 (GS1 General Specifications §7.9): 00614141999996 has check digit 6.
@pytest.mark.parametrize(("value", "valid"), [("00614141999996", True), ("00614141999995", False)])
def test_gtin(value: str, valid: bool) -> None:
    assert checks.gtin_valid(value) is valid


@pytest.mark.parametrize(("samples", "pattern"), [
    (["RCH0004711", "RCH0004712", "rch0012345"], r"RCH\d{7}"),
    (["00123456", "00998877", "M-445-2231"], r"\d{8}|[A-Z]\-\d{3}\-\d{4}"),
])
def test_learn_mrn_pattern(samples: list[str], pattern: str) -> None:
    assert learn_mrn_pattern(samples) == pattern


@pytest.mark.parametrize("samples", [[], ["", "  "], ["ABCDEF"]])
def test_learn_mrn_pattern_refuses(samples: list[str]) -> None:
    with pytest.raises(ValueError):
        learn_mrn_pattern(samples)
