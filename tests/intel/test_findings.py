"""``intel-hit`` findings: severity from STIX 2.1 Appendix A confidence, catalog ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caresec.catalogs.loader import load_threat_events
from caresec.catalogs.registry import resolve_citation
from caresec.intel.findings import intel_findings
from caresec.model.asset import Asset, AssetKind, ClinicalCriticality
from caresec.model.finding import Severity
from caresec.model.intel import (
    Indicator,
    IndicatorKind,
    IntelHit,
    IntelMatchResult,
    Sighting,
    Tlp,
)

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _result(kind: IndicatorKind, value: str, confidence: int | None) -> IntelMatchResult:
    indicator = Indicator("indicator--x", kind, value, "isac", Tlp.AMBER, confidence)
    hit = IntelHit(file="fw.csv", place="row 7", log_source="firewall", column="dst",
                   observed=value, indicator=indicator, why="dst matched", seen_at=WHEN,
                   context=(("host", "RCH-WS-BILL07"), ("src", "10.20.1.11")))
    sighting = Sighting("indicator--x", "isac", Tlp.AMBER, 3, WHEN, WHEN)
    return IntelMatchResult(hits=(hit,), sightings=(sighting,))


@pytest.mark.parametrize(("confidence", "severity"), [
    # STIX 2.1 Appendix A, "Low/Med/High" scale: 1-29 Low, 30-69 Med, 70-100 High; 0 None
    (100, Severity.HIGH), (70, Severity.HIGH), (69, Severity.MEDIUM), (30, Severity.MEDIUM),
    (29, Severity.LOW), (1, Severity.LOW), (0, Severity.NONE), (None, Severity.MEDIUM),
])
def test_severity_from_confidence(confidence: int | None, severity: Severity) -> None:
    [finding] = intel_findings(_result(IndicatorKind.IPV4, "203.0.113.66", confidence))
    assert finding.severity is severity


@pytest.mark.parametrize(("kind", "value", "threats", "malware_control"), [
    (IndicatorKind.IPV4, "203.0.113.66", ("TE-RANSOMWARE",), False),
    (IndicatorKind.URL, "http://invoice.example/a.zip", ("TE-RANSOMWARE", "TE-PHISHING-BEC"),
     False),
    (IndicatorKind.SHA256, "f" * 64, ("TE-RANSOMWARE",), True),
])
def test_threat_events_and_controls_exist_in_catalogs(kind: IndicatorKind, value: str,
                                                      threats: tuple[str, ...],
                                                      malware_control: bool) -> None:
    [finding] = intel_findings(_result(kind, value, 80))
    assert finding.kind == "intel-hit"
    assert finding.threat_event_ids == threats
    catalog = load_threat_events()
    assert all(t in catalog for t in finding.threat_event_ids)
    for citation in finding.control_ids:
        resolve_citation(citation)  # raises for a citation not in the HIPAA catalog
    assert ("164.308(a)(5)(ii)(B)" in finding.control_ids) is malware_control
    assert "164.308(a)(6)(ii)" in finding.control_ids


def test_assets_named_by_host_or_address() -> None:
    asset = Asset(asset_id="WS-BILL-07", name="RCH-WS-BILL07", kind=AssetKind.WORKSTATION,
                  criticality=ClinicalCriticality.BUSINESS, ip="10.20.1.11")
    other = Asset(asset_id="EHR", name="EHR", kind=AssetKind.SERVER,
                  criticality=ClinicalCriticality.CLINICAL_SUPPORT)
    [finding] = intel_findings(_result(IndicatorKind.IPV4, "203.0.113.66", 85), [asset, other])
    assert finding.asset_ids == ("WS-BILL-07",)
    assert finding.finding_id == "INTEL-indicator--x"
    assert dict(finding.details)["count"] == "3"
    assert finding.title == "3 log lines matched ipv4-addr indicator 203.0.113.66 from isac " \
                            "(TLP:AMBER)"
