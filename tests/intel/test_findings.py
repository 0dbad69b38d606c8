"""``intel-hit`` findings: severity from STIX 2.1 Appendix A confidence, catalog ids, the NIST
SP 800-30 Rev. 1 likelihood (Table G-5 of initiation × adverse impact, docs/intel.md) and the
inventory assets of the hit lines."""

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
from caresec.model.risk import Level

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _result(kind: IndicatorKind, value: str, confidence: int | None, *, column: str = "dst",
            tlp: Tlp = Tlp.AMBER, name: str = "", labels: tuple[str, ...] = (),
            types: tuple[str, ...] = ()) -> IntelMatchResult:
    indicator = Indicator("indicator--x", kind, value, "isac", tlp, confidence, name=name,
                          labels=labels, indicator_types=types)
    hit = IntelHit(file="fw.csv", place="row 7", log_source="firewall", column=column,
                   observed=value, indicator=indicator, why=f"{column} {value} matched",
                   seen_at=WHEN, context=(("host", "RCH-WS-BILL07"), ("src", "10.20.1.11")))
    sighting = Sighting("indicator--x", "isac", tlp, 3, WHEN, WHEN)
    return IntelMatchResult(hits=(hit,), sightings=(sighting,))


# The firewall table of a log mapping (examples/riverside-community-hospital/intel/logs).
ROLES = {("firewall", "src"): "src_ip", ("firewall", "dst"): "dst_ip",
         ("firewall", "host"): "host", ("firewall", "url"): "url",
         ("firewall", "query"): "domain", ("firewall", "answer"): "ip",
         ("firewall", "sha256"): "sha256"}


@pytest.mark.parametrize(("confidence", "severity"), [
    # STIX 2.1 Appendix A, "Low/Med/High" scale: 1-29 Low, 30-69 Med, 70-100 High; 0 None
    (100, Severity.HIGH), (70, Severity.HIGH), (69, Severity.MEDIUM), (30, Severity.MEDIUM),
    (29, Severity.LOW), (1, Severity.LOW), (0, Severity.NONE), (None, Severity.MEDIUM),
])
def test_severity_from_confidence(confidence: int | None, severity: Severity) -> None:
    [finding] = intel_findings(_result(IndicatorKind.IPV4, "203.0.113.66", confidence))
    assert finding.severity is severity


@pytest.mark.parametrize(("kind", "value", "column", "name", "threats", "malware_control"), [
    (IndicatorKind.IPV4, "203.0.113.66", "dst", "", ("TE-MALWARE-C2",), False),
    (IndicatorKind.URL, "http://invoice.example/a.zip", "url", "",
     ("TE-MALWARE-C2", "TE-PHISHING-BEC"), False),
    # a domain a client requested as a URL (proxy host) is also phishing's ground
    (IndicatorKind.DOMAIN, "payroll.example", "url", "", ("TE-MALWARE-C2", "TE-PHISHING-BEC"),
     False),
    (IndicatorKind.DOMAIN, "payroll.example", "query", "", ("TE-MALWARE-C2",), False),
    (IndicatorKind.SHA256, "f" * 64, "sha256", "", ("TE-MALWARE-C2",), True),
    (IndicatorKind.IPV4, "203.0.113.66", "dst", "LockBit Ransomware C2",
     ("TE-MALWARE-C2", "TE-RANSOMWARE"), False),
])
def test_threat_events_and_controls_exist_in_catalogs(kind: IndicatorKind, value: str,
                                                      column: str, name: str,
                                                      threats: tuple[str, ...],
                                                      malware_control: bool) -> None:
    [finding] = intel_findings(_result(kind, value, 80, column=column, name=name), roles=ROLES)
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


@pytest.mark.parametrize(("confidence", "types", "column", "initiation", "adverse", "overall"), [
    # confidence (STIX 2.1 Appendix A) → initiation; matched column's role → adverse impact;
    # NIST SP 800-30 Rev. 1 Table G-5 → overall.
    (85, (), "dst", Level.VERY_HIGH, Level.VERY_HIGH, Level.VERY_HIGH),  # C2, outbound
    (60, (), "dst", Level.HIGH, Level.VERY_HIGH, Level.VERY_HIGH),
    (85, (), "sha256", Level.VERY_HIGH, Level.HIGH, Level.VERY_HIGH),  # file on an endpoint
    (85, (), "src", Level.VERY_HIGH, Level.HIGH, Level.VERY_HIGH),  # inbound
    (85, (), "query", Level.VERY_HIGH, Level.MODERATE, Level.HIGH),  # a DNS lookup only
    (60, (), "answer", Level.HIGH, Level.MODERATE, Level.MODERATE),  # a DNS answer only
    (20, (), "dst", Level.MODERATE, Level.VERY_HIGH, Level.HIGH),
    (0, (), "dst", Level.LOW, Level.VERY_HIGH, Level.MODERATE),
    (None, (), "dst", Level.HIGH, Level.VERY_HIGH, Level.VERY_HIGH),
    (100, ("benign",), "sha256", Level.VERY_LOW, Level.HIGH, Level.LOW),  # EICAR test file
    (100, ("benign", "malicious-activity"), "dst", Level.VERY_HIGH, Level.VERY_HIGH,
     Level.VERY_HIGH),
])
def test_likelihood(confidence: int | None, types: tuple[str, ...], column: str,
                    initiation: Level, adverse: Level, overall: Level) -> None:
    [finding] = intel_findings(_result(IndicatorKind.IPV4, "203.0.113.66", confidence,
                                       column=column, types=types), roles=ROLES)
    assert finding.likelihood is not None
    assert finding.likelihood.level is overall
    assert f"initiation {initiation} (" in finding.likelihood.rationale
    assert f"adverse impact {adverse} (" in finding.likelihood.rationale


def test_likelihood_without_roles_is_moderate_adverse_impact() -> None:
    [finding] = intel_findings(_result(IndicatorKind.IPV4, "203.0.113.66", 85))
    assert finding.likelihood is not None
    # very high initiation × moderate (role not known) → high (Table G-5)
    assert finding.likelihood.level is Level.HIGH
    assert "role is not known" in finding.likelihood.rationale


def _asset(asset_id: str, ip: str = "", name: str = "") -> Asset:
    return Asset(asset_id=asset_id, name=name or asset_id, kind=AssetKind.WORKSTATION,
                 criticality=ClinicalCriticality.BUSINESS, ip=ip)


@pytest.mark.parametrize(("assets", "hosts", "linked"), [
    ([_asset("WS", "10.20.0.0/21")], (), ("WS",)),  # the source address inside a network
    ([_asset("WS", "10.20.1.11")], (), ("WS",)),  # equal address
    ([_asset("WS", "10.20.8.0/21")], (), ()),  # another network
    ([_asset("WS")], (("RCH-WS-BILL*", "WS"),), ("WS",)),  # host-name glob
    ([_asset("WS")], (("rch-ws-bill07", "WS"),), ("WS",)),  # case-insensitive
    ([_asset("WS")], (("RCH-WS-ICU*", "WS"),), ()),
    ([_asset("WS")], (("10.20.1.0/24", "WS"),), ("WS",)),  # a network rule
    ([_asset("WS")], (("RCH-WS-*", "NOT-IN-INVENTORY"),), ()),  # rule to an unknown asset
    # the matched column (dst) is the adversary's side, never the organization's
    ([_asset("VPN", "203.0.113.66")], (), ()),
    ([_asset("WS", "10.20.0.0/21"), _asset("B7", name="RCH-WS-BILL07")], (), ("B7", "WS")),
])
def test_assets_of_the_hit_lines(assets: list[Asset], hosts: tuple[tuple[str, str], ...],
                                 linked: tuple[str, ...]) -> None:
    [finding] = intel_findings(_result(IndicatorKind.IPV4, "203.0.113.66", 85), assets,
                               roles=ROLES, hosts=hosts)
    assert finding.asset_ids == linked


def test_tlp_red_value_is_withheld() -> None:
    [finding] = intel_findings(_result(IndicatorKind.IPV4, "203.0.113.66", 85, tlp=Tlp.RED),
                               roles=ROLES)
    assert finding.title == "3 log lines matched ipv4-addr indicator (value withheld " \
                            "(TLP:RED)) from isac (TLP:RED)"
    assert not any("203.0.113.66" in e.description for e in finding.evidence)
    assert finding.likelihood is not None and "203.0.113.66" not in finding.likelihood.rationale
