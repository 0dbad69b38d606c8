"""analyze/devices.py: CSAF advisory products ↔ inventory devices, on CISA ICSMA advisories.

Right values are read from the advisories named in each case (github.com/cisagov/CSAF,
csaf_files/OT/white, as archived in ../shared/data/vuln/csaf-icsma).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from caresec.analyze.device_plan import device_plan
from caresec.analyze.devices import (
    UnparsedError,
    device_vulnerability_matches,
    match_devices,
    parse_version_spec,
    vendor_aliases,
)
from caresec.collect.csaf import read_csaf
from caresec.model import Asset, ClinicalCriticality, Severity
from caresec.model.device import Confidence, CsafAdvisory, MatchBasis, PlanAction


def _advisory(shared: Path, name: str) -> CsafAdvisory:
    return read_csaf(shared / "vuln/csaf-icsma" / f"{name}.json")


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("advisory", "vendor", "model", "version", "matched", "basis", "fixed"),
    [
        # ICSMA-22-174-01: DCMTK "< 3.6.7" — below the fixed version matches, at it does not.
        ("icsma-22-174-01", "OFFIS", "DCMTK", "3.6.6", True, MatchBasis.FREE_TEXT, ("3.6.7",)),
        ("icsma-22-174-01", "OFFIS", "DCMTK", "3.6.7", False, None, ()),
        # ICSMA-21-047-01: "T1 Ventilator" "<= 2.2.3" (vendor "Hamilton Medical AG").
        ("icsma-21-047-01", "Hamilton Medical", "HAMILTON-T1", "2.2.3", True,
         MatchBasis.FREE_TEXT, ()),
        ("icsma-21-047-01", "Hamilton Medical", "HAMILTON-T1", "2.2.4", False, None, ()),
        # ICSMA-21-152-01: Welch Allyn Connex Vital Signs Monitor (CVSM) "< 2.43.02" under
        # vendor "Hillrom"; the inventory spells the vendor Hill-Rom or Welch Allyn.
        ("icsma-21-152-01", "Hill-Rom", "Connex Vital Signs Monitor", "2.43.01", True,
         MatchBasis.FREE_TEXT, ("2.43.02",)),
        ("icsma-21-152-01", "Welch Allyn", "Connex Vital Signs Monitor", "2.43.02", False,
         None, ()),
        # ICSMA-18-025-01 spells the vendor "Phillips": IntelliSpace Cardiovascular "<= 2.3.0".
        ("icsma-18-025-01", "Philips", "IntelliSpace Cardiovascular", "2.3.0", True,
         MatchBasis.FREE_TEXT, ()),
        ("icsma-18-025-01", "Philips", "IntelliSpace Cardiovascular", "2.4", False, None, ()),
        # ICSMA-20-049-02: GE Healthcare "LOGIQ, not including LOGIQ 100 Pro", vers:all/*; the
        # inventory writes the vendor "General Electric".
        ("icsma-20-049-02", "General Electric", "LOGIQ E10", "R3", True, MatchBasis.RANGE, ()),
        ("icsma-20-049-02", "GE Healthcare", "LOGIQ 100 Pro", "1.0", False, None, ()),
        # ICSMA-17-017-02: Alaris 8015 PC unit, product_version "9.7" (exact; 9.7 is also
        # within the "<= 9.33" product of the same advisory).
        ("icsma-17-017-02", "BD", "Alaris 8015 PC Unit", "9.7", True, MatchBasis.EXACT_VERSION,
         ()),
        # ICSMA-17-241-01: Abbott "Accent MRI" "< august 28" — not a version: name only.
        ("icsma-17-241-01", "Abbott", "Accent MRI", "1", True, MatchBasis.NAME_ONLY, ()),
        # Another vendor's product of the same name never matches.
        ("icsma-22-174-01", "Siemens", "DCMTK", "3.6.6", False, None, ()),
    ],
)
def test_icsma_device_matches(
    shared_data: Path, make_device: Callable[..., Asset], advisory: str, vendor: str,
    model: str, version: str, matched: bool, basis: MatchBasis | None, fixed: tuple[str, ...],
) -> None:
    asset = make_device("DEV-1", vendor, model, version)
    matches, _unparsed = match_devices([asset], [_advisory(shared_data, advisory)])
    assert bool(matches) is matched
    if matched:
        assert basis in {m.basis for m in matches}
        assert next(m for m in matches if m.basis is basis).fixed_versions == fixed


@pytest.mark.realdata
def test_confidence_follows_basis_and_name(
    shared_data: Path, make_device: Callable[..., Asset]
) -> None:
    exact = match_devices([make_device("B", "BD", "Alaris 8015 PC Unit", "9.7")],
                          [_advisory(shared_data, "icsma-17-017-02")])[0]
    assert [(m.basis, m.confidence) for m in exact] == [
        (MatchBasis.EXACT_VERSION, Confidence.HIGH), (MatchBasis.FREE_TEXT, Confidence.MEDIUM)]
    family = match_devices([make_device("U", "General Electric", "LOGIQ E10", "R3")],
                           [_advisory(shared_data, "icsma-20-049-02")])[0]
    assert [m.confidence for m in family] == [Confidence.MEDIUM]  # vers range, family name
    name_only = match_devices([make_device("A", "Abbott", "Accent MRI", "1")],
                              [_advisory(shared_data, "icsma-17-241-01")])[0]
    assert [m.confidence for m in name_only] == [Confidence.LOW]


@pytest.mark.realdata
def test_unparsed_versions_are_listed_with_the_devices_they_concern(
    shared_data: Path, make_device: Callable[..., Asset]
) -> None:
    asset = make_device("A", "Abbott Laboratories", "Accent MRI", "1")
    _matches, unparsed = match_devices([asset], [_advisory(shared_data, "icsma-17-241-01")])
    texts = {(u.product, u.text) for u in unparsed}
    assert ("Abbott Laboratories / Accent MRI", "< august 28") in texts
    (accent,) = [u for u in unparsed if u.product.endswith("/ Accent MRI")]
    assert accent.asset_ids == ("A",)


@pytest.mark.realdata
def test_device_vulnerability_records_carry_cvss_and_basis(
    shared_data: Path, make_device: Callable[..., Asset]
) -> None:
    asset = make_device("VSM", "Hill-Rom", "Connex Vital Signs Monitor", "2.43.01")
    matches, _ = match_devices([asset], [_advisory(shared_data, "icsma-21-152-01")])
    records = device_vulnerability_matches(matches, {}, {})
    # ICSMA-21-152-01: CVE-2021-27410 (CWE-787) and CVE-2021-27408 (CWE-125), both
    # CVSS:3.0/AV:A/AC:H/PR:L/UI:N/S:U/C:L/I:H/A:L = 5.9.
    assert sorted(r.vulnerability_id for r in records) == ["CVE-2021-27408", "CVE-2021-27410"]
    assert {r.cvss_score for r in records} == {5.9}
    assert {r.severity for r in records} == {Severity.MEDIUM}
    assert all(r.component.asset_ids == ("VSM",) for r in records)
    assert all(r.advisory_ids == ("ICSMA-21-152-01",) for r in records)
    assert all("confidence medium" in r.basis for r in records)


@pytest.mark.realdata
def test_mitigation_only_advisory_yields_compensating_controls(
    shared_data: Path, make_device: Callable[..., Asset]
) -> None:
    # ICSMA-20-049-02 gives only mitigations: restrict physical access, enable the "system
    # lock" password.
    asset = make_device("US", "General Electric", "LOGIQ E10", "R3", ClinicalCriticality.DIAGNOSTIC)
    matches, _ = match_devices([asset], [_advisory(shared_data, "icsma-20-049-02")])
    assert matches[0].mitigation_only
    (item,) = device_plan([asset], matches, today=date(2026, 11, 29))
    assert item.action is PlanAction.COMPENSATING_CONTROLS
    categories = {c.category for c in item.controls}
    assert {"physical access", "access control"} <= categories
    assert not item.vendor_fix


@pytest.mark.parametrize(
    ("text", "is_range", "inside", "outside", "basis"),
    [
        # Free-text forms as CISA writes them in the ICSMA product trees.
        ("< 3.6.7", True, ["3.6.6", "3.0"], ["3.6.7", "3.7"], MatchBasis.FREE_TEXT),  # 22-174-01
        ("<= 2.2.3", True, ["2.2.3"], ["2.2.4"], MatchBasis.FREE_TEXT),  # 21-047-01
        ("2.3.6 and  below", False, ["2.3.6", "2.1"], ["2.3.7"], MatchBasis.FREE_TEXT),  # 19-164
        (">= 4.01 | <= 4.34", True, ["4.01", "4.2", "4.34"], ["4.00", "4.35"],
         MatchBasis.FREE_TEXT),  # 18-240-01
        (">= 1.3.4 | < 1.5.3", True, ["1.3.4", "1.5.2"], ["1.3.3", "1.5.3"],
         MatchBasis.FREE_TEXT),  # 19-248-01
        ("<= 12.2.x.x", True, ["12.2.5.1", "11.0"], ["12.3"], MatchBasis.FREE_TEXT),  # 21-187
        ("2.X", False, ["2.0", "2.7.1"], ["3.0", "1.9"], MatchBasis.FREE_TEXT),  # 20-023-01
        ("1.10 | 1.11 | 1.13 | 1.14", False, ["1.10", "1.14"], ["1.12", "1.1"],
         MatchBasis.EXACT_VERSION),  # 20-170-01
        ("< B.06.18", True, ["B.06.17", "B.5.1"], ["B.06.18"], MatchBasis.FREE_TEXT),  # 17-255
        ("<= 1.54 (integrated into GE MobileLink)", True, ["1.54"], ["1.55"],
         MatchBasis.FREE_TEXT),  # 18-128-01
        ("vers:all/*", True, ["0.1", "99"], [], MatchBasis.RANGE),  # many
        # The forms the issue names, and the vers: specification's comparators.
        ("3.0 and prior", True, ["3.0", "2.9"], ["3.0.1"], MatchBasis.FREE_TEXT),
        ("versions 2.x", True, ["2.4"], ["3.1"], MatchBasis.FREE_TEXT),
        ("All versions prior to 3.6.7", True, ["3.6.6"], ["3.6.7"], MatchBasis.FREE_TEXT),
        ("vers:generic/>=2.2.0|<=2.4.0", True, ["2.3.0"], ["2.4.1", "2.1"], MatchBasis.RANGE),
        ("vers:generic/<1.5.0|>=7.0.0", True, ["1.4", "7.0.0"], ["1.5.0", "6.9"],
         MatchBasis.RANGE),
        ("vers:generic/>=1.0|!=1.2", True, ["1.1", "1.3"], ["1.2", "0.9"], MatchBasis.RANGE),
    ],
)
def test_version_texts(text: str, is_range: bool, inside: list[str], outside: list[str],
                       basis: MatchBasis) -> None:
    spec = parse_version_spec(text, is_range=is_range)
    assert spec.basis is basis
    assert all(spec.contains(v) for v in inside), inside
    assert not any(spec.contains(v) for v in outside), outside


@pytest.mark.parametrize(
    "text",
    # Unreadable versions found in ICSMA product trees (17-241-01, 18-107-01, 18-156-01,
    # 18-277-01, 21-294-01, 22-095-01).
    ["< august 28", "distributed  < april 1, 2018", "Rev J-M | (X3/MX100 for Rev M only)",
     "<=11.2 on Windows 8.1 with IIS 7.5", "A10 < A11", "LPI 3.5.12.P30"],
)
def test_unreadable_version_texts(text: str) -> None:
    with pytest.raises(UnparsedError):
        parse_version_spec(text, is_range=True)


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Phillips", "Philips", True),  # ICSMA-18-025-01 vs ICSMA-17-229-01
        ("General Electric (GE)", "GE Healthcare", True),  # ICSMA-20-023-01 vs 18-037-02
        ("Becton, Dickinson and Company (BD)", "BD", True),
        ("Hillrom", "Welch Allyn", True),  # ICSMA-21-152-01 lists Welch Allyn products
        ("Hamilton Medical AG", "Hamilton Medical", True),
        ("Dräger", "Draeger", True),
        ("Philips", "GE Healthcare", False),
        ("Medtronic", "Baxter", False),
    ],
)
def test_vendor_aliases(first: str, second: str, same: bool) -> None:
    table = vendor_aliases()
    assert bool(table.keys(first) & table.keys(second)) is same


def test_csaf_vendor_naming_several_companies() -> None:
    # ICSMA-18-128-01's vendor is "Silex Technology and GE Healthcare".
    keys = vendor_aliases().keys("Silex Technology and GE Healthcare")
    assert vendor_aliases().canonical("General Electric") in keys
