"""Control gaps as register vulnerabilities (docs/risk-method.md §9): findings, the ORG
pseudo-asset's impact, inherent likelihood by NIST SP 800-30 Rev. 1 Table G-5."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from caresec.catalogs.loader import load_threat_events
from caresec.model import Asset, AssetKind, ClinicalCriticality, ControlState, ControlStatus
from caresec.model.finding import Severity
from caresec.model.risk import Level
from caresec.risk.gaps import (
    ORG_ASSET_ID,
    control_gap_findings,
    gap_likelihood,
    organization_impact,
)
from caresec.risk.register import build_entries

MET, PARTLY, NOT = ControlState.MET, ControlState.PARTLY_MET, ControlState.NOT_MET


def _status(cite: str, state: ControlState, title: str = "t") -> ControlStatus:
    return ControlStatus(cite, title, state, f"{cite} judged {state}")


def test_one_finding_per_gap_with_threat_events_from_the_catalog() -> None:
    statuses = [
        # 45 CFR 164.308(a)(1) Security management process is a standard whose specification
        # (ii)(B) Risk management is itself a gap: the specification stands for it.
        _status("164.308(a)(1)", PARTLY, "Security management process"),
        _status("164.308(a)(1)(ii)(B)", NOT, "Risk management"),
        _status("164.308(a)(5)(ii)(B)", MET, "Protection from malicious software"),
        # 164.312(b) Audit controls: a standard without implementation specifications.
        _status("164.312(b)", NOT, "Audit controls"),
        # 164.312(a)(2)(iv) Encryption and decryption, a specification of 164.312(a)(1).
        _status("164.312(a)(2)(iv)", PARTLY, "Encryption and decryption"),
    ]
    findings = control_gap_findings(statuses, load_threat_events())
    assert [f.finding_id for f in findings] == [
        "GAP-164.308(a)(1)(ii)(B)", "GAP-164.312(b)", "GAP-164.312(a)(2)(iv)",
    ]
    by_id = {f.finding_id: f for f in findings}
    risk_mgmt = by_id["GAP-164.308(a)(1)(ii)(B)"]
    assert risk_mgmt.kind == "control-gap" and risk_mgmt.asset_ids == (ORG_ASSET_ID,)
    assert risk_mgmt.severity is Severity.HIGH  # not met
    assert risk_mgmt.title == "Risk management (164.308(a)(1)(ii)(B)) not met"
    # threat-events.yaml: the events whose control_ids name 164.308(a)(1)(ii)(B).
    assert risk_mgmt.threat_event_ids == (
        "TE-VULN-EXPLOIT", "TE-MEDDEV-COMPROMISE", "TE-MISCONFIG-EXPOSURE", "TE-WEBAPP-ATTACK",
    )
    assert by_id["GAP-164.312(b)"].threat_event_ids == (
        "TE-INSIDER-SNOOPING", "TE-INSIDER-DATA-THEFT", "TE-WEBAPP-ATTACK",
    )
    encryption = by_id["GAP-164.312(a)(2)(iv)"]
    assert encryption.severity is Severity.MEDIUM  # partly met
    # Named directly (device loss and theft) or through its standard 164.312(a)(1).
    assert encryption.threat_event_ids == (
        "TE-MEDDEV-COMPROMISE", "TE-DEVICE-LOSS", "TE-DEVICE-THEFT", "TE-MISCONFIG-EXPOSURE",
        "TE-WEBAPP-ATTACK",
    )


@pytest.mark.parametrize(
    ("source", "state", "expected"),
    [
        # Table G-5 rows: initiation/occurrence; columns: adverse impact.
        ("TE-PHISHING-BEC", NOT, Level.HIGH),  # adversarial high × not met high = high
        ("TE-PHISHING-BEC", PARTLY, Level.MODERATE),  # high × moderate = moderate
        ("TE-NATURAL-DISASTER", NOT, Level.MODERATE),  # environmental low × high = moderate
        ("TE-DEVICE-LOSS", PARTLY, Level.MODERATE),  # accidental moderate × moderate
        ("TE-HARDWARE-FAILURE", NOT, Level.MODERATE),  # structural moderate × high = moderate
    ],
)
def test_gap_likelihood_by_table_g5(source: str, state: ControlState, expected: Level) -> None:
    event = load_threat_events()[source]
    finding = control_gap_findings([_status(event.control_ids[0], state)],
                                   load_threat_events())[0]
    got = gap_likelihood(finding, event)
    assert got.level is expected
    assert got.rationale.endswith("(Table G-5)")


def test_gap_likelihood_refuses_other_findings() -> None:
    finding = control_gap_findings([_status("164.312(b)", NOT)], load_threat_events())[0]
    with pytest.raises(ValueError, match="not a control gap"):
        gap_likelihood(replace(finding, details=()), load_threat_events()["TE-VULN-EXPLOIT"])


def test_organization_impact(make_asset: Callable[..., Asset]) -> None:
    ehr = make_asset("A-EHR", criticality=ClinicalCriticality.CLINICAL_SUPPORT, holds_ephi=True,
                     ephi_records=250_000)
    pump = make_asset("A-PUMP", kind=AssetKind.MEDICAL_DEVICE,
                      criticality=ClinicalCriticality.LIFE_SUSTAINING)
    lab = make_asset("A-LAB", criticality=ClinicalCriticality.DIAGNOSTIC, holds_ephi=True,
                     ephi_records=300)
    # Only ePHI assets count: the EHR's 250,000 records ≥ 100,000 → very high; the pump
    # (life-sustaining, no ePHI) is not in scope.
    got = organization_impact([pump, lab, ehr])
    assert got.level is Level.VERY_HIGH
    assert "highest impact among 2 ePHI asset(s) is A-EHR" in got.rationale
    # Without ePHI assets every asset counts: life-sustaining → very high.
    assert organization_impact([pump]).level is Level.VERY_HIGH
    # 300 records (< 500, 45 CFR 164.404) on a diagnostic asset → moderate.
    assert organization_impact([lab]).level is Level.MODERATE
    none = organization_impact([])
    assert none.level is Level.MODERATE and "45 CFR 164.404" in none.rationale


def test_gap_entries_on_the_org_pseudo_asset(make_asset: Callable[..., Asset]) -> None:
    ehr = make_asset("A-EHR", holds_ephi=True, ephi_records=250_000)
    events = load_threat_events()
    statuses = [_status("164.312(d)", NOT, "Person or entity authentication")]
    findings = control_gap_findings(statuses, events)
    entries = build_entries([ehr], findings, events, {s.control_id: s for s in statuses})
    assert [e.risk_id for e in entries] == [
        "RISK-ORG-TE-CREDENTIAL-THEFT-GAP-164.312(d)",
        "RISK-ORG-TE-PHISHING-BEC-GAP-164.312(d)",
        "RISK-ORG-TE-WEBAPP-ATTACK-GAP-164.312(d)",
    ]
    top = entries[0]
    # Inherent: G-5 high × high = high; impact very high (250,000 records); Table I-2:
    # high × very high = very high; 5×5 = 4 × 5 = 20.
    assert (top.inherent.likelihood.level, top.inherent.impact.level, top.inherent.level) == (
        Level.HIGH, Level.VERY_HIGH, Level.VERY_HIGH,
    )
    assert top.inherent.matrix_score == 20
    # The other counter-controls are unknown: coverage 0, residual = inherent.
    assert top.residual.level is Level.VERY_HIGH
    assert top.kind == "control-gap" and top.vulnerability.endswith("not met")
