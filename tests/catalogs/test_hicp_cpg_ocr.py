"""hicp-2023.yaml (HHS 405(d) HICP 2023; sub-practices from Technical Volume 2), hph-cpg.yaml
(HHS HPH Cybersecurity Performance Goals, Jan. 2024) and ocr-risk-analysis-elements.yaml (HHS
OCR Guidance on Risk Analysis Requirements under the HIPAA Security Rule, July 14, 2010)."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from caresec.catalogs.models import Cpg, HicpSubPractice
from caresec.catalogs.registry import load_cpgs, load_hicp, load_ocr_elements

HICP = load_hicp()
CPGS = load_cpgs()
OCR = load_ocr_elements()


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


def test_hicp_sub_practice_counts() -> None:
    # Technical Volume 2 practice charts: medium (M) and large (L) sub-practices per practice.
    counts = Counter((sp.practice, sp.tier.value) for p in HICP.practices for sp in p.sub_practices)
    expected = {
        1: (4, 3),
        2: (1, 6),
        3: (4, 4),
        4: (5, 2),
        5: (4, 2),
        6: (5, 5),
        7: (4, 2),
        8: (3, 6),
        9: (5, 4),
        10: (1, 0),
    }
    for practice, (medium, large) in expected.items():
        assert counts[(practice, "medium")] == medium, practice
        assert counts[(practice, "large")] == large, practice


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
    titles = {sp.id: sp.title for p in HICP.practices for sp in p.sub_practices}
    assert titles[sub_practice] == title


@pytest.mark.parametrize(
    ("record", "ok"),
    [
        ({"id": "7.M.D", "title": "t", "tier": "medium"}, True),
        ({"id": "10.L.A", "title": "t", "tier": "large"}, True),
        ({"id": "7.M.D", "title": "t", "tier": "large"}, False),
        ({"id": "11.M.A", "title": "t", "tier": "medium"}, False),
        ({"id": "7.X.A", "title": "t", "tier": "medium"}, False),
    ],
)
def test_hicp_sub_practice_model(record: dict[str, object], ok: bool) -> None:
    if ok:
        HicpSubPractice.model_validate(record)
    else:
        with pytest.raises(ValidationError):
            HicpSubPractice.model_validate(record)


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
