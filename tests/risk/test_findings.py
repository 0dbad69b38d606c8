"""Findings from matches, not-assessed components and the inventory (docs/risk-method.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from caresec.catalogs import load_threat_events
from caresec.model import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    NotAssessed,
    Severity,
    VulnerabilityMatch,
)
from caresec.risk.findings import build_findings

TODAY = date(2026, 11, 30)


def _find(findings: tuple[Any, ...], finding_id: str) -> Any:
    return next(f for f in findings if f.finding_id == finding_id)


def test_one_finding_per_asset_and_vulnerability(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
) -> None:
    """Log4Shell in two SBOMs of the same server → one finding; the same SBOM component run by
    two servers → one finding per server."""
    a, b = make_asset("A-1"), make_asset("A-2")
    core = make_component("log4j-core", "2.14.1", "A-1", "A-2", sbom="sboms/app.cdx.json")
    again = make_component("log4j-core", "2.14.1", "A-1", sbom="sboms/batch.cdx.json")
    matches = [
        make_match(
            "CVE-2021-44228",
            c,
            Severity.CRITICAL,
            score=10.0,
            vector=facts.LOG4SHELL_VECTOR,
            kev=facts.LOG4SHELL_KEV,
            fixed=("2.3.1", "2.12.2", "2.15.0"),
        )
        for c in (core, again)
    ]
    findings = build_findings([a, b], matches, [], today=TODAY, threat_events=load_threat_events())
    assert [f.finding_id for f in findings] == [
        "VULN-A-1-CVE-2021-44228",
        "VULN-A-2-CVE-2021-44228",
    ]
    first = findings[0]
    assert first.kind == "vulnerability"
    assert first.asset_ids == ("A-1",)
    assert first.severity is Severity.CRITICAL
    sources = {e.source for e in first.evidence if e.collector == "sbom"}
    assert sources == {"sboms/app.cdx.json", "sboms/batch.cdx.json"}
    kev = [e for e in first.evidence if e.collector == "kev"]
    assert kev[0].description == (
        "CVE-2021-44228 added to CISA KEV on 2021-12-10; known ransomware campaign use"
    )
    assert ("fixed versions", "2.3.1, 2.12.2, 2.15.0") in first.details
    assert findings[1].asset_ids == ("A-2",)


@pytest.mark.parametrize(
    ("kind", "kev_name", "expected"),
    [
        # KEV with knownRansomwareCampaignUse Known → ransomware threat event.
        (AssetKind.SERVER, "LOG4SHELL_KEV", ("TE-VULN-EXPLOIT", "TE-RANSOMWARE")),
        # KEV with ransomware use Unknown (CVE-2022-22965) → no ransomware threat event.
        (AssetKind.SERVER, "SPRING_KEV", ("TE-VULN-EXPLOIT",)),
        (AssetKind.SERVER, None, ("TE-VULN-EXPLOIT",)),
        (AssetKind.MEDICAL_DEVICE, None, ("TE-VULN-EXPLOIT", "TE-MEDDEV-COMPROMISE")),
        (AssetKind.IOT, None, ("TE-VULN-EXPLOIT", "TE-MEDDEV-COMPROMISE")),
        (
            AssetKind.MEDICAL_DEVICE,
            "LOG4SHELL_KEV",
            ("TE-VULN-EXPLOIT", "TE-RANSOMWARE", "TE-MEDDEV-COMPROMISE"),
        ),
        (AssetKind.WORKSTATION, None, ("TE-VULN-EXPLOIT",)),
    ],
)
def test_threat_events_and_controls(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
    kind: AssetKind,
    kev_name: str | None,
    expected: tuple[str, ...],
) -> None:
    kev = getattr(facts, kev_name) if kev_name else None
    m = make_match("CVE-X", make_component("c", "1", "A-1"), Severity.HIGH, kev=kev)
    catalog = load_threat_events()
    (f,) = build_findings([make_asset(kind=kind)], [m], [], today=TODAY, threat_events=catalog)
    assert f.threat_event_ids == expected
    for te in expected:
        for control in catalog[te].control_ids:
            assert control in f.control_ids
    assert len(set(f.control_ids)) == len(f.control_ids)


@pytest.mark.parametrize(
    ("end_of_support", "expected"),
    [
        # Windows 7 extended support ended 2020-01-14 (Microsoft lifecycle).
        (date(2020, 1, 14), True),
        (TODAY, False),  # support ends today: not yet past
        (date(2027, 10, 14), False),
        (None, False),
    ],
)
def test_lifecycle_finding(
    make_asset: Callable[..., Asset], end_of_support: date | None, expected: bool
) -> None:
    a = make_asset(
        "A-PACS",
        name="Radiology workstation",
        vendor="Microsoft",
        model="Windows 7",
        end_of_support=end_of_support,
    )
    findings = build_findings([a], [], [], today=TODAY, threat_events=load_threat_events())
    assert bool(findings) is expected
    if expected:
        (f,) = findings
        assert f.finding_id == "EOS-A-PACS"
        assert f.kind == "lifecycle"
        assert f.threat_event_ids == ("TE-VULN-EXPLOIT",)
        assert "Microsoft Windows 7 past end of support since 2020-01-14" in f.title
        assert ("days past", str((TODAY - date(2020, 1, 14)).days)) in f.details
        assert f.evidence[0].source == "inventory.csv:A-PACS"


def test_not_assessed_summarized_per_asset(
    make_asset: Callable[..., Asset], make_component: Callable[..., Any]
) -> None:
    items = [
        NotAssessed(make_component("dicom-viewer", "", "A-1"), "no version"),
        NotAssessed(make_component("vendor-blob", "2.0", "A-1"), "no purl or CPE"),
        NotAssessed(make_component("agent", "1.0", "A-1", "A-2"), "no purl or CPE"),
        NotAssessed(make_component("orphan", "1.0"), "no purl or CPE"),
    ]
    findings = build_findings(
        [make_asset("A-1"), make_asset("A-2")], [], items, today=TODAY,
        threat_events=load_threat_events(),
    )
    assert [f.finding_id for f in findings] == ["NA-A-1", "NA-A-2", "NA-UNLINKED"]
    first = findings[0]
    assert first.severity is Severity.UNKNOWN
    assert first.threat_event_ids == ()
    assert first.title == "3 components could not be assessed for vulnerabilities"
    assert first.details == (("reasons", "no purl or CPE (2); no version (1)"),)
    assert findings[2].asset_ids == ()


def test_unlinked_and_unknown_assets_keep_their_findings(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
) -> None:
    matches = [
        make_match("CVE-1", make_component("a", "1"), Severity.LOW),
        make_match("CVE-2", make_component("b", "1", "A-GONE"), Severity.LOW),
    ]
    findings = build_findings(
        [make_asset("A-1")], matches, [], today=TODAY, threat_events=load_threat_events()
    )
    ids = [f.finding_id for f in findings]
    assert ids == ["VULN-A-GONE-CVE-2", "VULN-UNLINKED-CVE-1"]
    assert "(asset A-GONE is not in the inventory)" in findings[0].title
    assert findings[1].asset_ids == ()


def test_order_is_stable_and_by_severity(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
) -> None:
    c = make_component("lib", "1", "A-1")
    matches = [
        make_match("CVE-B", c, Severity.LOW),
        make_match("CVE-A", c, Severity.CRITICAL),
        make_match("CVE-C", c, Severity.LOW),
    ]
    pump = make_asset("A-1", criticality=ClinicalCriticality.LIFE_SUSTAINING)
    catalog = load_threat_events()
    one = build_findings([pump], matches, [], today=TODAY, threat_events=catalog)
    two = build_findings([pump], list(reversed(matches)), [], today=TODAY, threat_events=catalog)
    assert [f.finding_id for f in one] == ["VULN-A-1-CVE-A", "VULN-A-1-CVE-B", "VULN-A-1-CVE-C"]
    assert one == two
