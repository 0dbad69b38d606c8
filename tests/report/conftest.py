"""A hand-built audit of a small hospital for the report tests.

Facts (sources): CVE-2023-43208 Mirth Connect — CISA KEV dateAdded 2024-05-20, dueDate
2024-06-10, ransomware Known; CVSS 3.1 9.8 AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (CISA ADP).
CVE-2021-33885 B. Braun SpaceCom 2 ≤ L81 — CVSS 3.0 9.0 AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H
(ICSMA-21-294-01), not in KEV. CVE-2021-44228 log4j-core — KEV dateAdded 2021-12-10, ransomware
Known; CVSS 3.1 10.0; GHSA-jfh8-c2jp-5v3q fixed 2.3.1 / 2.12.2 / 2.15.0. Windows 7 extended
support ended 2020-01-14 (Microsoft lifecycle). The CISA KEV feed line uses catalogVersion
2025.08.25 (1,404 entries) and the sha256 of that file. The EPSS score on CVE-2023-43208 is a
constructed input (0.94 / percentile 0.9991), not FIRST's published value for any date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from caresec.model import (
    Asset,
    AssetKind,
    AuditResult,
    ClinicalCriticality,
    Component,
    EpssScore,
    Facts,
    FeedSummary,
    InputProblem,
    KevEntry,
    NetworkZone,
    NotAssessed,
    OrgConfig,
    ProblemSeverity,
    Sbom,
    Severity,
    SizeTier,
    VulnerabilityMatch,
)
from caresec.risk import assess

TODAY = date(2026, 11, 30)
PHI_LIKE = "MRN 00412345 Jane Q. Patient DOB 1950-01-01"
OWNER = "Biomedical Engineering — Dr. Ana Ruiz"
KEV_DIGEST = "sha256:901b1f227941a3879a3e39fcb857bb6f7252bf9d71b63ef08d50a836d5ab1bd2"


def _org(root: Path) -> OrgConfig:
    return OrgConfig(
        root=root,
        name="Lakeside Community Hospital",
        size_tier=SizeTier.MEDIUM,
        inventory_dir=root / "inventory",
        sbom_dir=root / "sboms",
        feeds_dir=root / "feeds",
    )


def _component(name: str, version: str, sbom: str, asset: str, purl: str = "") -> Component:
    return Component(
        bom_ref=f"{name}@{version}", name=name, version=version, purl=purl, sbom_id=sbom,
        asset_ids=(asset,),
    )


def _sbom(sbom_id: str, asset: str, *components: Component) -> Sbom:
    return Sbom(
        sbom_id=sbom_id,
        path=sbom_id,
        format="CycloneDX",
        spec_version="1.5",
        serialization="json",
        subject=sbom_id.split("/")[-1],
        components=components,
        asset_ids=(asset,),
    )


def build_audit(root: Path) -> AuditResult:
    """The scenario: EHR (internet-facing, KEV), infusion pumps, PACS (end of support), HR."""
    assets = (
        Asset(
            asset_id="A-EHR",
            name="EHR integration engine",
            kind=AssetKind.APPLICATION,
            criticality=ClinicalCriticality.CLINICAL_SUPPORT,
            holds_ephi=True,
            ephi_records=250_000,
            vendor="NextGen Healthcare",
            model="Mirth Connect",
            version="4.4.0",
            network_zone=NetworkZone.DMZ,
            internet_facing=True,
            owner="Clinical Applications",
            sbom_files=("sboms/ehr.cdx.json",),
            source="inventory/assets.csv:2",
            extra=(("notes", PHI_LIKE),),
        ),
        Asset(
            asset_id="A-PUMP",
            name="ICU infusion pump fleet",
            kind=AssetKind.MEDICAL_DEVICE,
            criticality=ClinicalCriticality.LIFE_SUSTAINING,
            vendor="B. Braun",
            model="SpaceStation with SpaceCom 2",
            version="L81",
            department="ICU",
            network_zone=NetworkZone.MEDICAL_DEVICE,
            owner=OWNER,
            sbom_files=("sboms/pump.cdx.json",),
            source="inventory/assets.csv:3",
        ),
        Asset(
            asset_id="A-PACS",
            name="Radiology workstation",
            kind=AssetKind.WORKSTATION,
            criticality=ClinicalCriticality.DIAGNOSTIC,
            holds_ephi=True,
            ephi_records=40_000,
            vendor="Microsoft",
            model="Windows 7",
            network_zone=NetworkZone.CLINICAL,
            end_of_support=date(2020, 1, 14),
            sbom_files=("sboms/pacs.cdx.json",),
            source="inventory/assets.csv:4",
        ),
        Asset(
            asset_id="A-HR",
            name="HR <intranet> & payroll",
            kind=AssetKind.SERVER,
            criticality=ClinicalCriticality.BUSINESS,
            network_zone=NetworkZone.CORPORATE,
            sbom_files=("sboms/hr.cdx.json",),
            source="inventory/assets.csv:5",
        ),
        Asset(
            asset_id="A-NAS",
            name="Scanner share",
            kind=AssetKind.DATA_STORE,
            criticality=ClinicalCriticality.BUSINESS,
            source="inventory/assets.csv:6",
        ),
    )
    mirth = _component("mirth-connect", "4.4.0", "sboms/ehr.cdx.json", "A-EHR")
    spacecom = _component("SpaceCom 2", "L81", "sboms/pump.cdx.json", "A-PUMP")
    viewer = _component("dicom-viewer", "", "sboms/pacs.cdx.json", "A-PACS")
    log4j = _component(
        "log4j-core", "2.14.1", "sboms/hr.cdx.json", "A-HR",
        purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    )
    slf4j = _component(
        "slf4j-api", "1.7.36", "sboms/hr.cdx.json", "A-HR",
        purl="pkg:maven/org.slf4j/slf4j-api@1.7.36",
    )
    sboms = (
        _sbom("sboms/ehr.cdx.json", "A-EHR", mirth),
        _sbom("sboms/pump.cdx.json", "A-PUMP", spacecom),
        _sbom("sboms/pacs.cdx.json", "A-PACS", viewer),
        _sbom("sboms/hr.cdx.json", "A-HR", log4j, slf4j),
    )
    mirth_kev = KevEntry(
        "CVE-2023-43208", date(2024, 5, 20), date(2024, 6, 10), True,
        "NextGen Healthcare Mirth Connect Deserialization of Untrusted Data Vulnerability",
    )
    log4j_kev = KevEntry(
        "CVE-2021-44228", date(2021, 12, 10), date(2021, 12, 24), True,
        "Apache Log4j2 Remote Code Execution Vulnerability",
    )
    matches = (
        VulnerabilityMatch(
            component=mirth,
            vulnerability_id="CVE-2023-43208",
            aliases=(),
            advisory_ids=("CVE-2023-43208",),
            summary="Mirth Connect deserialization of untrusted data allows remote code execution",
            severity=Severity.CRITICAL,
            cvss_score=9.8,
            cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            fixed_versions=("4.4.1",),
            kev=mirth_kev,
            epss=EpssScore("CVE-2023-43208", 0.94, 0.9991),
            basis="version 4.4.0 in [0, 4.4.1)",
        ),
        VulnerabilityMatch(
            component=spacecom,
            vulnerability_id="CVE-2021-33885",
            aliases=(),
            advisory_ids=("ICSMA-21-294-01",),
            summary="Insufficient verification of data authenticity",
            severity=Severity.CRITICAL,
            cvss_score=9.0,
            cvss_vector="CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H",
            fixed_versions=(),
            basis="version L81 ≤ L81",
        ),
        VulnerabilityMatch(
            component=log4j,
            vulnerability_id="CVE-2021-44228",
            aliases=("GHSA-jfh8-c2jp-5v3q",),
            advisory_ids=("GHSA-jfh8-c2jp-5v3q",),
            summary="Remote code injection in Log4j",
            severity=Severity.CRITICAL,
            cvss_score=10.0,
            cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            fixed_versions=("2.3.1", "2.12.2", "2.15.0"),
            kev=log4j_kev,
            basis="version 2.14.1 in [2.13.0, 2.15.0) ECOSYSTEM",
        ),
    )
    not_assessed = (NotAssessed(viewer, "no version"),)
    problems = (
        InputProblem("sboms/lab.cdx.json", "/components/3", "component has neither name nor purl",
                     ProblemSeverity.ERROR, "sbom"),
        InputProblem("inventory/assets.csv", "row 7, column ephi_records",
                     "'many' is not a number; taken as 0", ProblemSeverity.WARNING, "inventory"),
    )
    findings, risks = assess(assets, matches, not_assessed, today=TODAY)
    return AuditResult(
        org=_org(root),
        started_at=datetime(2026, 11, 30, 14, 5, tzinfo=UTC),
        facts=Facts(assets=assets, sboms=sboms, problems=problems),
        matches=matches,
        not_assessed=not_assessed,
        findings=findings,
        risks=risks,
        problems=problems,
        feeds=(
            FeedSummary("CISA KEV 2025.08.25", KEV_DIGEST, 1404, "2026-11-30T13:50:00+00:00"),
        ),
        kev={"CVE-2023-43208": mirth_kev, "CVE-2021-44228": log4j_kev},
    )


@pytest.fixture
def audit(tmp_path: Path) -> AuditResult:
    return build_audit(tmp_path)


@pytest.fixture
def empty_audit(tmp_path: Path) -> AuditResult:
    return AuditResult(
        org=_org(tmp_path),
        started_at=datetime(2026, 11, 30, 14, 5, tzinfo=UTC),
        facts=Facts(),
    )
