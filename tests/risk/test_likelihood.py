"""Likelihood: initiation from exploitation evidence and exposure, adverse impact from severity,
combined by NIST SP 800-30 Rev. 1 Table G-5 (caresec's mapping rules, docs/risk-method.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from caresec.model import Asset, NetworkZone, Severity, VulnerabilityMatch
from caresec.model.risk import Level
from caresec.risk.likelihood import (
    adverse_impact,
    initiation,
    lifecycle_likelihood,
    vulnerability_likelihood,
)

VL, L, M, H, VH = Level.VERY_LOW, Level.LOW, Level.MODERATE, Level.HIGH, Level.VERY_HIGH
Z = NetworkZone
N_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
N_HARD_VECTOR = "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H"
A_VECTOR = "CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"
L_VECTOR = "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
P_VECTOR = "CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L"


@pytest.mark.parametrize(
    ("evidence", "vector", "zone", "internet_facing", "expected", "why"),
    [
        # Evidence alone (internal zone, network vector: no exposure step).
        ("kev", N_VECTOR, Z.CLINICAL, False, VH, "in CISA KEV since 2024-05-20 → very high"),
        ("epss:0.95", N_VECTOR, Z.CORPORATE, False, H, "EPSS percentile 0.95 → high"),
        ("epss:0.9499", N_VECTOR, Z.CORPORATE, False, M, "EPSS percentile 0.9499 → moderate"),
        ("epss:0.50", N_VECTOR, Z.CORPORATE, False, M, "EPSS percentile 0.5 → moderate"),
        ("epss:0.49", N_VECTOR, Z.CORPORATE, False, L, "EPSS percentile 0.49 → low"),
        ("none", N_VECTOR, Z.CORPORATE, False, M, "no barrier in vector, exploitability 3.9"),
        ("none", N_HARD_VECTOR, Z.CORPORATE, False, L, "vector has barriers"),
        ("none", "", Z.CORPORATE, False, M, "no readable CVSS vector → moderate"),
        # Exposure steps.
        ("epss:0.96", N_VECTOR, Z.CORPORATE, True, VH, "AV:N on internet-facing asset +1"),
        ("epss:0.96", N_VECTOR, Z.DMZ, False, VH, "AV:N on zone dmz asset +1"),
        ("kev", N_VECTOR, Z.INTERNET, False, VH, "+1 → very high"),  # clamped
        ("epss:0.96", A_VECTOR, Z.DMZ, False, H, "AV:A, zone dmz, no change"),
        ("epss:0.96", N_VECTOR, Z.ISOLATED, False, M, "AV:N on zone isolated asset −1"),
        ("kev", A_VECTOR, Z.ISOLATED, False, H, "AV:A on zone isolated asset −1"),
        ("kev", L_VECTOR, Z.INTERNET, True, H, "AV:L needs local or physical access −1"),
        ("epss:0.96", P_VECTOR, Z.CLINICAL, False, M, "AV:P needs local or physical access −1"),
        ("none", A_VECTOR, Z.ISOLATED, False, VL, "AV:A on zone isolated asset −1 → very low"),
        ("epss:0.96", "", Z.DMZ, False, VH, "AV unknown (taken as network) on zone dmz asset +1"),
    ],
)
def test_initiation(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
    evidence: str,
    vector: str,
    zone: NetworkZone,
    internet_facing: bool,
    expected: Level,
    why: str,
) -> None:
    kw: dict[str, Any] = {"vector": vector}
    if evidence == "kev":
        kw["kev"] = facts.MIRTH_KEV
    elif evidence.startswith("epss:"):
        kw["epss_percentile"] = float(evidence.split(":")[1])
    asset = make_asset(network_zone=zone, internet_facing=internet_facing)
    m = make_match("CVE-2023-43208", make_component("x", "1", "A-1"), Severity.HIGH, **kw)
    value = initiation(m, asset)
    assert value.level is expected, value.rationale
    assert why in value.rationale


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.CRITICAL, VH),
        (Severity.HIGH, H),
        (Severity.MEDIUM, M),
        (Severity.LOW, L),
        (Severity.NONE, VL),
        (Severity.UNKNOWN, M),
    ],
)
def test_adverse_impact_from_severity(severity: Severity, expected: Level) -> None:
    value = adverse_impact(severity)
    assert value.level is expected
    assert value.rationale == f"severity {severity} → {expected}"


def test_kev_on_internet_facing_critical_is_very_high(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
) -> None:
    """CVE-2023-43208 (CISA KEV, CVSS 9.8 critical) on an internet-facing Mirth Connect:
    initiation very high × adverse impact very high = very high (Table G-5)."""
    asset = make_asset("A-EHR", internet_facing=True, network_zone=NetworkZone.DMZ)
    m = make_match(
        "CVE-2023-43208",
        make_component("mirth-connect", "4.4.0", "A-EHR"),
        Severity.CRITICAL,
        score=9.8,
        vector=facts.MIRTH_VECTOR,
        kev=facts.MIRTH_KEV,
    )
    value = vulnerability_likelihood(m, asset)
    assert value.level is VH
    assert value.rationale.startswith("CVE-2023-43208 in mirth-connect 4.4.0: initiation very high")
    assert value.rationale.endswith("→ very high (Table G-5)")
    assert 96 <= value.score <= 100


def test_hard_to_reach_critical_on_medical_network_is_moderate(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
) -> None:
    """CVE-2021-33885 (ICSMA-21-294-01, AV:N/AC:H, critical 9.0), no KEV, no EPSS, pump on the
    medical-device zone: initiation low × adverse impact very high = moderate (Table G-5)."""
    asset = make_asset("A-PUMP", network_zone=NetworkZone.MEDICAL_DEVICE)
    m = make_match(
        "CVE-2021-33885",
        make_component("SpaceCom 2", "L81", "A-PUMP"),
        Severity.CRITICAL,
        score=9.0,
        vector=facts.SPACECOM_33885_VECTOR,
    )
    value = vulnerability_likelihood(m, asset)
    assert value.level is M
    assert "initiation low" in value.rationale and "adverse impact very high" in value.rationale


def test_adjacent_vector_on_isolated_network(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
) -> None:
    """CVE-2022-2119 (DCMTK, AV:A/AC:H, high) on an isolated asset: initiation very low ×
    adverse impact high = low (Table G-5)."""
    asset = make_asset(network_zone=NetworkZone.ISOLATED)
    m = make_match(
        "CVE-2022-2119",
        make_component("dcmtk", "3.6.6", "A-1"),
        Severity.HIGH,
        score=7.5,
        vector=facts.DCMTK_VECTOR,
    )
    assert vulnerability_likelihood(m, asset).level is L


@pytest.mark.parametrize(
    ("zone", "internet_facing", "expected"),
    [
        # initiation high × adverse impact moderate = moderate (Table G-5)
        (NetworkZone.CORPORATE, True, M),
        # initiation moderate × adverse impact moderate = moderate
        (NetworkZone.CLINICAL, False, M),
        # initiation low × adverse impact moderate = low
        (NetworkZone.ISOLATED, False, L),
    ],
)
def test_lifecycle_likelihood(
    make_asset: Callable[..., Asset], zone: NetworkZone, internet_facing: bool, expected: Level
) -> None:
    value = lifecycle_likelihood(make_asset(network_zone=zone, internet_facing=internet_facing))
    assert value.level is expected
    assert "past end of support" in value.rationale
