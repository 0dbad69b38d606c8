"""The risk register: one risk per asset × threat event, levels by NIST SP 800-30 Rev. 1
Table I-2, ranked highest first (docs/risk-method.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from caresec.catalogs.loader import ThreatEvent
from caresec.errors import CatalogError
from caresec.model import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    NetworkZone,
    NotAssessed,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.risk import Assessed, Level
from caresec.risk import assess, level_of_risk

VL, L, M, H, VH = Level.VERY_LOW, Level.LOW, Level.MODERATE, Level.HIGH, Level.VERY_HIGH
TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("likelihood", "impact", "expected"),
    [
        (H, M, M),  # Table I-2: likelihood high × impact moderate = moderate
        (VH, L, L),  # Table I-2: likelihood very high × impact low = low
        (M, VH, H),  # Table I-2: likelihood moderate × impact very high = high
        (L, VH, M),  # Table I-2: likelihood low × impact very high = moderate
        (VL, VH, L),  # Table I-2: likelihood very low × impact very high = low
    ],
)
def test_level_of_risk(likelihood: Level, impact: Level, expected: Level) -> None:
    level, score, rationale = level_of_risk(
        Assessed(likelihood, 50, "l"), Assessed(impact, 50, "i")
    )
    assert level is expected
    assert rationale == f"Table I-2: likelihood {likelihood} × impact {impact} = {expected}"
    lo, hi = {VL: (0, 4), L: (5, 20), M: (21, 79), H: (80, 95), VH: (96, 100)}[expected]
    assert lo <= score <= hi  # Table I-3 range of the level


@pytest.fixture
def scenario(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
) -> tuple[list[Asset], list[VulnerabilityMatch], list[NotAssessed]]:
    """Four assets of a small hospital, with real CVEs (see conftest for the sources)."""
    ehr = make_asset(
        "A-EHR",
        name="EHR integration engine",
        kind=AssetKind.APPLICATION,
        criticality=ClinicalCriticality.CLINICAL_SUPPORT,
        holds_ephi=True,
        ephi_records=250_000,
        network_zone=NetworkZone.DMZ,
        internet_facing=True,
    )
    pump = make_asset(
        "A-PUMP",
        name="ICU infusion pump fleet",
        kind=AssetKind.MEDICAL_DEVICE,
        criticality=ClinicalCriticality.LIFE_SUSTAINING,
        network_zone=NetworkZone.MEDICAL_DEVICE,
    )
    pacs = make_asset(
        "A-PACS",
        name="Radiology workstation",
        kind=AssetKind.WORKSTATION,
        criticality=ClinicalCriticality.DIAGNOSTIC,
        holds_ephi=True,
        ephi_records=40_000,
        network_zone=NetworkZone.CLINICAL,
        vendor="Microsoft",
        model="Windows 7",
        end_of_support=date(2020, 1, 14),
    )
    hr = make_asset("A-HR", name="HR intranet", network_zone=NetworkZone.CORPORATE)
    spacecom = make_component("SpaceCom 2", "L81", "A-PUMP", sbom="sboms/pump.cdx.json")
    matches = [
        make_match(
            "CVE-2023-43208",
            make_component("mirth-connect", "4.4.0", "A-EHR", sbom="sboms/ehr.cdx.json"),
            Severity.CRITICAL,
            score=9.8,
            vector=facts.MIRTH_VECTOR,
            kev=facts.MIRTH_KEV,
            fixed=("4.4.1",),
        ),
        make_match(
            "CVE-2021-33885", spacecom, Severity.CRITICAL, score=9.0,
            vector=facts.SPACECOM_33885_VECTOR,
        ),
        make_match(
            "CVE-2021-33884", spacecom, Severity.MEDIUM, score=6.5,
            vector=facts.SPACECOM_33884_VECTOR,
        ),
        make_match(
            "CVE-2022-2119",
            make_component("dcmtk", "3.6.6", "A-PACS", sbom="sboms/pacs.cdx.json"),
            Severity.HIGH,
            score=7.5,
            vector=facts.DCMTK_VECTOR,
            fixed=("3.6.7",),
        ),
        make_match(
            "CVE-2021-44228",
            make_component("log4j-core", "2.14.1", "A-HR", sbom="sboms/hr.cdx.json"),
            Severity.CRITICAL,
            score=10.0,
            vector=facts.LOG4SHELL_VECTOR,
            kev=facts.LOG4SHELL_KEV,
            fixed=("2.3.1", "2.12.2", "2.15.0"),
        ),
    ]
    not_assessed = [
        NotAssessed(make_component("dicom-viewer", "", "A-PACS", sbom="sboms/pacs.cdx.json"),
                    "no version"),
    ]
    return [ehr, pump, pacs, hr], matches, not_assessed


def test_register_levels_and_order(
    scenario: tuple[list[Asset], list[VulnerabilityMatch], list[NotAssessed]],
) -> None:
    assets, matches, not_assessed = scenario
    findings, risks = assess(assets, matches, not_assessed, today=TODAY)
    table = [(r.risk_id, r.likelihood.level, r.impact.level, r.level, r.score) for r in risks]
    assert table == [
        # KEV + internet-facing + critical: G-5 VH × VH = VH; 250,000 ePHI → impact VH;
        # Table I-2: likelihood very high × impact very high = very high.
        ("RISK-A-EHR-TE-RANSOMWARE-CVE-2023-43208", VH, VH, VH, 100),
        ("RISK-A-EHR-TE-VULN-EXPLOIT-CVE-2023-43208", VH, VH, VH, 100),
        # CVE-2021-33884: G-5 moderate × moderate = moderate (score 21 + 58 × 50 × 50 / 10 000
        # = 35.5 → 36); life-sustaining → impact VH; Table I-2: moderate × very high = high,
        # score 80 + 15 × 36 × 98 / 10 000 = 85.3 → 85.
        ("RISK-A-PUMP-TE-MEDDEV-COMPROMISE-CVE-2021-33884", M, VH, H, 85),
        ("RISK-A-PUMP-TE-VULN-EXPLOIT-CVE-2021-33884", M, VH, H, 85),
        # CVE-2021-33885: AC:H → initiation low; G-5 low × very high = moderate (21 + 58 × 13 ×
        # 98 / 10 000 = 28.4 → 28); Table I-2 moderate × very high = high, 80 + 15 × 28 × 98 /
        # 10 000 = 84.1 → 84 (docs/risk-method.md §6).
        ("RISK-A-PUMP-TE-MEDDEV-COMPROMISE-CVE-2021-33885", M, VH, H, 84),
        ("RISK-A-PUMP-TE-VULN-EXPLOIT-CVE-2021-33885", M, VH, H, 84),
        # Windows 7 past end of support: G-5 moderate × moderate = moderate (36); diagnostic
        # with 40,000 ePHI records → impact high; Table I-2 moderate × high = moderate, 21 + 58 ×
        # 36 × 88 / 10 000 = 39.4 → 39.
        ("RISK-A-PACS-TE-VULN-EXPLOIT-EOS-A-PACS", M, H, M, 39),
        # DCMTK (AV:A, AC:H → low) × adverse high: G-5 moderate (28); I-2 moderate × high =
        # moderate, 21 + 58 × 28 × 88 / 10 000 = 35.3 → 35.
        ("RISK-A-PACS-TE-VULN-EXPLOIT-CVE-2022-2119", M, H, M, 35),
        # Log4Shell in KEV: G-5 VH × VH = VH (100); business, no ePHI → impact low (13);
        # Table I-2: very high × low = low, 5 + 15 × 100 × 13 / 10 000 = 6.95 → 7.
        ("RISK-A-HR-TE-RANSOMWARE-CVE-2021-44228", VH, L, L, 7),
        ("RISK-A-HR-TE-VULN-EXPLOIT-CVE-2021-44228", VH, L, L, 7),
    ]
    assert {f.finding_id for f in findings} == {
        "VULN-A-EHR-CVE-2023-43208",
        "VULN-A-PUMP-CVE-2021-33885",
        "VULN-A-PUMP-CVE-2021-33884",
        "EOS-A-PACS",
        "VULN-A-PACS-CVE-2022-2119",
        "NA-A-PACS",
        "VULN-A-HR-CVE-2021-44228",
    }


def test_each_entry_names_its_vulnerability_and_inputs(
    scenario: tuple[list[Asset], list[VulnerabilityMatch], list[NotAssessed]],
) -> None:
    assets, matches, not_assessed = scenario
    _, risks = assess(assets, matches, not_assessed, today=TODAY)
    by_id = {r.risk_id: r for r in risks}

    pump = by_id["RISK-A-PUMP-TE-VULN-EXPLOIT-CVE-2021-33884"]
    assert pump.finding_ids == ("VULN-A-PUMP-CVE-2021-33884",)
    assert pump.likelihood.rationale.startswith("CVE-2021-33884 in SpaceCom 2 L81:")
    assert pump.rationale == (
        "Table I-2: likelihood moderate × impact very high = high; "
        "driven by CVE-2021-33884 in SpaceCom 2 L81"
    )
    assert pump.impact.rationale == (
        "criticality life-sustaining → very high; no ePHI; impact very high"
    )

    pacs = by_id["RISK-A-PACS-TE-VULN-EXPLOIT-EOS-A-PACS"]
    assert pacs.finding_ids == ("EOS-A-PACS",)
    assert pacs.threat_event == "Exploitation of a known software vulnerability"

    ehr = by_id["RISK-A-EHR-TE-RANSOMWARE-CVE-2023-43208"]
    assert ehr.threat_event == "Ransomware attack"
    assert "in CISA KEV since 2024-05-20" in ehr.likelihood.rationale
    assert "AV:N on internet-facing asset +1" in ehr.likelihood.rationale
    assert "250,000 ePHI records ≥ 100,000 → very high" in ehr.impact.rationale


def test_not_assessed_and_unlinked_make_no_risk(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
) -> None:
    findings, risks = assess(
        [make_asset("A-1")],
        [make_match("CVE-1", make_component("x", "1"), Severity.CRITICAL)],
        [NotAssessed(make_component("y", "", "A-1"), "no version")],
        today=TODAY,
    )
    assert {f.kind for f in findings} == {"vulnerability", "not-assessed"}
    assert risks == ()


def test_empty_inputs_give_empty_register() -> None:
    assert assess([], [], [], today=TODAY) == ((), ())


def test_catalog_without_engine_threat_events_is_an_error() -> None:
    only = {
        "TE-VULN-EXPLOIT": ThreatEvent(
            id="TE-VULN-EXPLOIT", title="t", source_type="adversarial", description="d"
        )
    }
    with pytest.raises(CatalogError, match="TE-RANSOMWARE"):
        assess([], [], [], today=TODAY, threat_events=only)
