"""A hand-built audit of a small hospital for the report tests.

Facts (sources): CVE-2023-43208 Mirth Connect — CISA KEV dateAdded 2024-05-20, dueDate
2024-06-10, ransomware Known; CVSS 3.1 9.8 AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (CISA ADP).
CVE-2021-33885 B. Braun SpaceCom 2 ≤ L81 — CVSS 3.0 9.0 AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H
(ICSMA-21-294-01), not in KEV. CVE-2021-44228 log4j-core — KEV dateAdded 2021-12-10, ransomware
Known; CVSS 3.1 10.0; GHSA-jfh8-c2jp-5v3q fixed 2.3.1 / 2.12.2 / 2.15.0. Windows 7 extended
support ended 2020-01-14 (Microsoft lifecycle). The CISA KEV feed line uses catalogVersion
2025.08.25 (1,404 entries) and the sha256 of that file. The EPSS score on CVE-2023-43208 is a
constructed input (0.94 / percentile 0.9991), not FIRST's published value for any date.

Control statuses, answers, CPG, NPRM and OCR results, risk responses, plan statuses and the
previous run are constructed inputs (a fictional hospital's), not judgements of a real one;
control titles are the regulation's headings (45 CFR 164.308-164.316), goal titles HHS's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from caresec.model import (
    Answer,
    AnswerValue,
    Asset,
    AssetKind,
    AuditResult,
    ClinicalCriticality,
    Component,
    Contradiction,
    ControlState,
    ControlStatus,
    EpssScore,
    Evidence,
    Facts,
    FeedSummary,
    InputProblem,
    KevEntry,
    Level,
    NetworkZone,
    NotAssessed,
    OrgConfig,
    PlanStatus,
    PlanStatusEntry,
    ProblemSeverity,
    ResponseKind,
    RiskResponse,
    RiskSnapshot,
    RunSummary,
    Sbom,
    Severity,
    SizeTier,
    VulnerabilityMatch,
)
from caresec.model.control import (
    ControlEvaluation,
    CpgStatus,
    NprmReadiness,
    NprmVerdict,
    OcrCoverage,
    OcrElementCoverage,
)
from caresec.risk import assess_risks, compare_runs, summarize

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
    controls = build_controls()
    assessment = assess_risks(
        assets, matches, not_assessed, today=TODAY, controls=controls,
        responses=RESPONSES, plan_status=PLAN_STATUS,
    )
    current = summarize(assessment.register, assessment.findings,
                        started_at="2026-11-30T14:05:00+00:00", judged_on=TODAY.isoformat())
    return AuditResult(
        org=_org(root),
        started_at=datetime(2026, 11, 30, 14, 5, tzinfo=UTC),
        facts=Facts(assets=assets, sboms=sboms, problems=problems),
        matches=matches,
        not_assessed=not_assessed,
        findings=assessment.findings,
        risks=assessment.risks,
        problems=(*problems, *assessment.problems),
        feeds=(
            FeedSummary("CISA KEV 2025.08.25", KEV_DIGEST, 1404, "2026-11-30T13:50:00+00:00"),
        ),
        kev={"CVE-2023-43208": mirth_kev, "CVE-2021-44228": log4j_kev},
        controls=controls,
        register=assessment.register,
        plan=assessment.plan,
        comparison=compare_runs(previous_run(current), current),
        judged_on=TODAY,
    )


ANSWER_PATCH = Answer("Q-308-a1-iiB-02", AnswerValue.YES, note="patched within 15 days",
                      source="answers.yaml:14")
ANSWER_MALWARE = Answer("Q-308-a5-iiB-01", AnswerValue.YES, source="answers.yaml:30")
ANSWER_MFA = Answer("Q-312-d-01", AnswerValue.NO, note="no MFA on remote access",
                    source="answers.yaml:61")
KEV_EVIDENCE = Evidence("kev", "CISA KEV", "CVE-2023-43208 added to CISA KEV on 2024-05-20, "
                        "open on A-EHR at least 924 days")


def build_controls() -> ControlEvaluation:
    """Six HIPAA elements judged (one of each state but not applicable), one contradiction,
    two CPGs, two NPRM verdicts and the nine OCR elements."""
    statuses = (
        ControlStatus("164.308(a)(1)(ii)(B)", "Risk management", ControlState.NOT_MET,
                      "answered yes, but a KEV vulnerability is open on an ePHI asset",
                      answers=(ANSWER_PATCH,), evidence=(KEV_EVIDENCE,),
                      rule_ids=("ER-KEV-OPEN",)),
        ControlStatus("164.308(a)(5)(ii)(B)", "Protection from malicious software",
                      ControlState.MET, "answered yes", answers=(ANSWER_MALWARE,)),
        ControlStatus("164.310(d)(1)", "Device and media controls", ControlState.MET,
                      "answered yes"),
        ControlStatus("164.312(c)(1)", "Integrity", ControlState.PARTLY_MET, "answered partial"),
        ControlStatus("164.312(d)", "Person or entity authentication", ControlState.NOT_MET,
                      "answered no", answers=(ANSWER_MFA,)),
        ControlStatus("164.316(b)(2)(iii)", "Updates", ControlState.UNKNOWN, "not answered"),
    )
    ocr = tuple(
        OcrElementCoverage(f"OCR-RA-{n}", title, OcrCoverage.COVERED if n < 5 else
                           OcrCoverage.PARTLY_COVERED, f"summary of element {n}",
                           (Evidence("audit", "caresec audit", f"evidence for element {n}"),))
        for n, title in enumerate(
            ("Scope of the Analysis", "Data Collection",
             "Identify and Document Potential Threats and Vulnerabilities",
             "Assess Current Security Measures", "Determine the Likelihood of Threat Occurrence",
             "Determine the Potential Impact of Threat Occurrence", "Determine the Level of Risk",
             "Finalize Documentation", "Periodic Review and Updates to the Risk Assessment"),
            start=1,
        )
    )
    return ControlEvaluation(
        statuses=statuses,
        contradictions=(
            Contradiction("164.308(a)(1)(ii)(B)", "Q-308-a1-iiB-02", AnswerValue.YES,
                          "answered yes to critical patches within 15 days, but CVE-2023-43208 "
                          "(KEV) has been open on A-EHR at least 924 days",
                          (KEV_EVIDENCE,)),
        ),
        cpg_status=(
            CpgStatus("CPG-ESS-01", "Mitigate Known Vulnerabilities", "essential",
                      ControlState.NOT_MET, "KEV vulnerability open on an internet-facing asset"),
            CpgStatus("CPG-ESS-03", "Multifactor Authentication", "essential",
                      ControlState.NOT_MET, "answered no"),
            CpgStatus("CPG-ENH-01", "Asset Inventory", "enhanced", ControlState.MET,
                      "inventory of 5 assets"),
        ),
        nprm_readiness=(
            NprmReadiness("NPRM-PATCH-CRITICAL", "Patch critical-risk vulnerabilities within 15 "
                          "days", NprmVerdict.WOULD_FAIL, "CVE-2023-43208 open at least 924 days"),
            NprmReadiness("NPRM-MFA", "Multi-factor authentication", NprmVerdict.WOULD_FAIL,
                          "answered no to MFA"),
            NprmReadiness("NPRM-ENCRYPTION", "Encrypt ePHI at rest and in transit",
                          NprmVerdict.UNKNOWN, "not answered"),
        ),
        ocr_elements=ocr,
        answers=(ANSWER_PATCH, ANSWER_MALWARE, ANSWER_MFA),
        questions=120,
    )


#: Accept the HR server's Log4Shell exploitation risk until 2027-06-30 (in force on TODAY);
#: an acceptance of the PACS workstation's end of support that expired on 2026-10-31.
RESPONSES = (
    RiskResponse(ResponseKind.ACCEPT, "HR server is scheduled for decommissioning",
                 "CISO", date(2027, 6, 30), risk_id="RISK-A-HR-TE-VULN-EXPLOIT-CVE-2021-44228",
                 source="risk-responses.yaml:3"),
    RiskResponse(ResponseKind.ACCEPT, "viewer certified on Windows 7 only", "CISO",
                 date(2026, 10, 31), asset_id="A-PACS", threat_event_id="TE-VULN-EXPLOIT",
                 source="risk-responses.yaml:9"),
)
PLAN_STATUS = {
    "PLAN-mirth-connect-4.4.0": PlanStatusEntry(
        "PLAN-mirth-connect-4.4.0", PlanStatus.REMEDIATING, note="change CHG-77 approved",
        milestones_done=("Test the fixed version outside production",),
        source="plan-status.yaml:3",
    ),
}


#: Levels the previous run gave two risks: the pump's exploitation risk was low (it is
#: moderate now: up), its device-compromise risk very high (high now: down).
PREVIOUS_LEVELS = {
    "RISK-A-PUMP-TE-VULN-EXPLOIT-CVE-2021-33885": (Level.LOW, 15),
    "RISK-A-PUMP-TE-MEDDEV-COMPROMISE-CVE-2021-33885": (Level.VERY_HIGH, 97),
}


def previous_run(current: RunSummary) -> RunSummary:
    """The run before: without the EHR ransomware risk (so it is new now), with a risk since
    resolved (A-NAS), and with the levels of :data:`PREVIOUS_LEVELS`."""
    risks = [r for r in current.risks if r.risk_id != "RISK-A-EHR-TE-RANSOMWARE-CVE-2023-43208"]
    risks = [
        RiskSnapshot(r.risk_id, *PREVIOUS_LEVELS[r.risk_id], r.title)
        if r.risk_id in PREVIOUS_LEVELS else r
        for r in risks
    ]
    risks.append(RiskSnapshot("RISK-A-NAS-TE-VULN-EXPLOIT-CVE-2019-0708", Level.HIGH, 85,
                              "Exploitation of a known software vulnerability on A-NAS: "
                              "CVE-2019-0708"))
    return RunSummary(7, "2026-08-31T09:00:00+00:00", "2026-08-31", tuple(risks),
                      current.finding_ids)


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
