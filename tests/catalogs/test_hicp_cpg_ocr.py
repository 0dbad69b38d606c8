"""hicp-2023.yaml (HHS 405(d) HICP 2023; sub-practices from Technical Volume 1 (small) and 2
(medium, large), 2018 editions), hph-cpg.yaml (HHS HPH Cybersecurity Performance Goals, Jan.
2024) and ocr-risk-analysis-elements.yaml (HHS OCR Guidance on Risk Analysis Requirements under
the HIPAA Security Rule, July 14, 2010)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic import ValidationError

from caresec.catalogs.models import Cpg, HicpCatalog, HicpSubPractice
from caresec.catalogs.registry import load_cpgs, load_hicp, load_ocr_elements
from caresec.model.org import SizeTier

HICP = load_hicp()
CPGS = load_cpgs()
OCR = load_ocr_elements()
SUB_PRACTICES = {sp.id: sp for p in HICP.practices for sp in p.sub_practices}


def test_hicp_ten_practices_in_order() -> None:
    # HICP 2023 edition practice names.
    assert [p.title for p in HICP.practices] == [
        "Email Protection Systems",
        "Endpoint Protection Systems",
        "Access Management",
        "Data Protection and Loss Prevention",
        "Asset Management",
        "Network Management",
        "Vulnerability Management",
        "Security Operations Center and Incident Response",
        "Network Connected Medical Devices",
        "Cybersecurity Oversight and Governance",
    ]


def test_hicp_five_threats() -> None:
    assert [t.title for t in HICP.threats] == [
        "Social Engineering",
        "Ransomware Attacks",
        "Loss or Theft of Equipment or Data",
        "Insider, Accidental or Malicious Data Loss",
        "Attacks Against Network Connected Medical Devices",
    ]


# (small, medium, large) sub-practices per practice. Small: the "Sub-Practices for Small
# Organizations" of each practice section of HICP Technical Volume 1 (2018); medium and large:
# the ten practice charts of Technical Volume 2 (2018). 19 + 70 = the 89 sub-practices of the
# 2018 volumes.
SUB_PRACTICE_COUNTS = {
    1: (3, 4, 3),
    2: (1, 1, 6),
    3: (1, 4, 4),
    4: (3, 5, 2),
    5: (3, 4, 2),
    6: (3, 5, 5),
    7: (1, 4, 2),
    8: (2, 3, 6),
    9: (1, 5, 4),
    10: (1, 1, 0),
}


@pytest.mark.parametrize(("practice", "counts"), sorted(SUB_PRACTICE_COUNTS.items()))
def test_hicp_sub_practice_counts(practice: int, counts: tuple[int, int, int]) -> None:
    found = Counter(sp.tier for sp in HICP.practices[practice - 1].sub_practices)
    assert (found[SizeTier.SMALL], found[SizeTier.MEDIUM], found[SizeTier.LARGE]) == counts


def test_hicp_sub_practice_totals() -> None:
    assert Counter(sp.tier.value for sp in SUB_PRACTICES.values()) == {
        "small": 19, "medium": 36, "large": 34,
    }
    assert len(SUB_PRACTICES) == 89


@pytest.mark.parametrize(
    ("sub_practice", "tier", "checked_against"),
    [
        # Read in the 2018 Technical Volume 1 practice sections.
        ("1.S.A", SizeTier.SMALL, "TV1-2018"),
        ("3.S.A", SizeTier.SMALL, "TV1-2018"),
        ("5.S.C", SizeTier.SMALL, "TV1-2018"),
        ("10.S.A", SizeTier.SMALL, "TV1-2018"),
        # Not re-read in a copy of the text: provenance says so.
        ("8.S.B", SizeTier.SMALL, None),
        ("9.S.A", SizeTier.SMALL, None),
        # Technical Volume 2 (2018) charts.
        ("7.M.D", SizeTier.MEDIUM, "TV2-2018"),
        ("9.L.D", SizeTier.LARGE, "TV2-2018"),
    ],
)
def test_hicp_sub_practice_ids(
    sub_practice: str, tier: SizeTier, checked_against: str | None
) -> None:
    sp = SUB_PRACTICES[sub_practice]
    assert (sp.tier, sp.checked_against) == (tier, checked_against)


@pytest.mark.parametrize("absent", ["2.S.B", "3.S.B", "7.S.B", "9.S.B", "10.L.A", "11.S.A"])
def test_hicp_sub_practice_absent(absent: str) -> None:
    # Technical Volume 1 (2018) has one small sub-practice in practices 2, 3, 7, 9 and 10;
    # Technical Volume 2 (2018) has no large sub-practice in practice 10.
    assert absent not in SUB_PRACTICES


def test_hicp_every_practice_has_small_sub_practices() -> None:
    # Technical Volume 1 gives each of the ten practices at least one small sub-practice.
    assert all(
        any(sp.tier is SizeTier.SMALL for sp in p.sub_practices) for p in HICP.practices
    )


@pytest.mark.parametrize(
    ("sub_practice", "title"),
    [
        ("1.M.A", "Basic E-mail Protection Controls"),
        ("3.M.D", "Multifactor Authentication for Remote Access"),
        ("4.M.D", "Backup Strategies"),
        ("7.M.D", "Patch Management, Configuration Management, Change Management"),
        ("7.L.A", "Penetration Testing"),
        ("9.L.D", "Contacting the FDA"),
        ("10.M.A", "Policies"),
    ],
)
def test_hicp_sub_practice_titles(sub_practice: str, title: str) -> None:
    # Technical Volume 2 (2018) headings.
    assert SUB_PRACTICES[sub_practice].title == title


@pytest.mark.parametrize(
    ("size", "practice", "expected"),
    [
        # Small: Technical Volume 1 only.
        (SizeTier.SMALL, 1, ["1.S.A", "1.S.B", "1.S.C"]),
        (SizeTier.SMALL, 7, ["7.S.A"]),
        # Medium: the M sub-practices (Technical Volume 2).
        (SizeTier.MEDIUM, 7, ["7.M.A", "7.M.B", "7.M.C", "7.M.D"]),
        (SizeTier.MEDIUM, 10, ["10.M.A"]),
        # Large: M and L ("medium sub-practices apply to both medium-sized and large").
        (SizeTier.LARGE, 7, ["7.M.A", "7.M.B", "7.M.C", "7.M.D", "7.L.A", "7.L.B"]),
        (SizeTier.LARGE, 10, ["10.M.A"]),
    ],
)
def test_hicp_sub_practices_for_size(size: SizeTier, practice: int, expected: list[str]) -> None:
    shown = HICP.sub_practices_for(HICP.practices[practice - 1], size)
    assert [sp.id for sp in shown] == expected


@pytest.mark.parametrize(
    ("record", "ok"),
    [
        ({"id": "7.M.D", "title": "t", "tier": "medium", "checked_against": "TV2-2018"}, True),
        ({"id": "10.L.A", "title": "t", "tier": "large", "checked_against": "TV2-2023"}, True),
        ({"id": "1.S.A", "title": "t", "tier": "small", "checked_against": "TV1-2018"}, True),
        ({"id": "4.S.B", "title": "t", "tier": "small", "checked_against": None}, True),
        ({"id": "7.M.D", "title": "t", "tier": "large", "checked_against": None}, False),
        ({"id": "1.S.A", "title": "t", "tier": "medium", "checked_against": None}, False),
        ({"id": "1.S.A", "title": "t", "tier": "small", "checked_against": "TV2-2018"}, False),
        ({"id": "1.M.A", "title": "t", "tier": "medium", "checked_against": "TV1-2018"}, False),
        ({"id": "1.M.A", "title": "t", "tier": "medium", "checked_against": "TV2-2019"}, False),
        ({"id": "1.M.A", "title": "t", "tier": "medium"}, False),
        ({"id": "11.M.A", "title": "t", "tier": "medium", "checked_against": None}, False),
        ({"id": "7.X.A", "title": "t", "tier": "medium", "checked_against": None}, False),
    ],
)
def test_hicp_sub_practice_model(record: dict[str, object], ok: bool) -> None:
    if ok:
        HicpSubPractice.model_validate(record)
    else:
        with pytest.raises(ValidationError):
            HicpSubPractice.model_validate(record)


def _catalog_with(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = HICP.model_dump(mode="json")
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("tier_rule", "ok"),
    [
        ({"small": ["small"], "medium": ["medium"], "large": ["medium", "large"]}, True),
        ({"small": ["small"], "medium": ["small", "medium"], "large": ["large"]}, True),
        ({"small": ["small"], "medium": ["medium"]}, False),  # no rule for large
        ({"small": ["medium"], "medium": ["medium"], "large": ["large"]}, False),
    ],
)
def test_hicp_tier_rule_model(tier_rule: dict[str, list[str]], ok: bool) -> None:
    data = _catalog_with(tier_rule=tier_rule)
    if ok:
        HicpCatalog.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            HicpCatalog.model_validate(data)


def test_hicp_sub_practice_tier_must_be_a_practice_tier() -> None:
    data = _catalog_with()
    data["practices"][0]["tiers"] = ["medium", "large"]  # but practice 1 lists 1.S.A
    with pytest.raises(ValidationError, match=r"1\.S\.A"):
        HicpCatalog.model_validate(data)


def test_cpg_ten_essential_ten_enhanced() -> None:
    tiers = Counter(g.tier for g in CPGS.goals)
    assert tiers == {"essential": 10, "enhanced": 10}


@pytest.mark.parametrize(
    ("cpg", "title"),
    [
        ("CPG-ESS-01", "Mitigate Known Vulnerabilities"),
        ("CPG-ESS-03", "Multifactor Authentication"),
        ("CPG-ESS-06", "Revoke Credentials for Departing Workforce Members"),
        ("CPG-ESS-10", "Vendor/Supplier Cybersecurity Requirements"),
        ("CPG-ENH-01", "Asset Inventory"),
        ("CPG-ENH-07", "Network Segmentation"),
        ("CPG-ENH-10", "Configuration Management"),
    ],
)
def test_cpg_titles(cpg: str, title: str) -> None:
    assert {g.id: g.title for g in CPGS.goals}[cpg] == title


@pytest.mark.parametrize(
    ("goal_id", "tier", "ok"),
    [
        ("CPG-ESS-01", "essential", True),
        ("CPG-ENH-01", "enhanced", True),
        ("CPG-ESS-01", "enhanced", False),
        ("CPG-XYZ-01", "essential", False),
    ],
)
def test_cpg_model(goal_id: str, tier: str, ok: bool) -> None:
    record = {"id": goal_id, "tier": tier, "title": "t", "description": "d"}
    if ok:
        Cpg.model_validate(record)
    else:
        with pytest.raises(ValidationError):
            Cpg.model_validate(record)


def test_ocr_nine_elements_in_order() -> None:
    assert [e.title for e in OCR.elements] == [
        "Scope of the Analysis",
        "Data Collection",
        "Identify and Document Potential Threats and Vulnerabilities",
        "Assess Current Security Measures",
        "Determine the Likelihood of Threat Occurrence",
        "Determine the Potential Impact of Threat Occurrence",
        "Determine the Level of Risk",
        "Finalize Documentation",
        "Periodic Review and Updates to the Risk Assessment",
    ]
    assert "July 14, 2010" in OCR.source
