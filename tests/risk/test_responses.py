"""Risk responses (NIST SP 800-39 §3.3: accept, avoid, mitigate, share/transfer) read from
``risk-responses.yaml`` with problems naming the file and line, and applied to the register:
accepted risks stay visible; an acceptance whose expiry date has passed reverts to open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from caresec.model import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    NetworkZone,
    RegisterEntry,
    ResponseKind,
    RiskResponse,
    Severity,
    VulnerabilityMatch,
)
from caresec.risk import apply_responses, assess_risks, parse_risk_responses

TODAY = date(2026, 11, 30)
HR_EXPLOIT = "RISK-A-HR-TE-VULN-EXPLOIT-CVE-2021-44228"


@pytest.fixture
def register(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
) -> tuple[RegisterEntry, ...]:
    """Log4Shell (KEV, ransomware Known) on a business server: two register entries."""
    hr = make_asset("A-HR", network_zone=NetworkZone.CORPORATE)
    pump = make_asset("A-PUMP", kind=AssetKind.MEDICAL_DEVICE,
                      criticality=ClinicalCriticality.LIFE_SUSTAINING,
                      network_zone=NetworkZone.MEDICAL_DEVICE)
    matches = [
        make_match("CVE-2021-44228", make_component("log4j-core", "2.14.1", "A-HR"),
                   Severity.CRITICAL, score=10.0, vector=facts.LOG4SHELL_VECTOR,
                   kev=facts.LOG4SHELL_KEV, fixed=("2.15.0",)),
        make_match("CVE-2021-33885", make_component("SpaceCom 2", "L81", "A-PUMP"),
                   Severity.CRITICAL, score=9.0, vector=facts.SPACECOM_33885_VECTOR),
    ]
    return assess_risks([hr, pump], matches, [], today=TODAY).register


def test_valid_file(fixtures: Path) -> None:
    text = (fixtures / "risk" / "risk-responses.valid.yaml").read_text(encoding="utf-8")
    responses, problems = parse_risk_responses(text)
    assert problems == ()
    accept, transfer, mitigate = responses
    assert accept == RiskResponse(
        response=ResponseKind.ACCEPT,
        justification="HR server is decommissioned in the second quarter of 2027.",
        owner="Chief Information Security Officer",
        expires=date(2027, 6, 30),
        decided_on=date(2026, 9, 1),
        risk_id=HR_EXPLOIT,
        source="risk-responses.yaml:3",
    )
    assert (transfer.asset_id, transfer.threat_event_id, transfer.source) == (
        "ORG", "TE-BA-BREACH", "risk-responses.yaml:9",
    )
    assert mitigate.response is ResponseKind.MITIGATE and mitigate.owner == ""


def test_invalid_items_are_problems_with_lines(fixtures: Path) -> None:
    text = (fixtures / "risk" / "risk-responses.invalid.yaml").read_text(encoding="utf-8")
    responses, problems = parse_risk_responses(text)
    # Only the last item is valid; every other one is reported where it goes wrong.
    assert [r.risk_id for r in responses] == ["RISK-A-PACS-TE-VULN-EXPLOIT-CVE-2022-2119"]
    assert [(p.place, p.message) for p in problems] == [
        ("line 2", "response: response accept needs justification, expires"),
        ("line 6", "response, response: Input should be 'mitigate', 'accept', 'transfer' or "
                   "'avoid'"),
        ("line 7", "response: name the risk, or both asset and threat_event"),
        ("line 13", "response, expires: Input should be a valid date or datetime, day value "
                    "is outside expected range"),
        ("line 16", "response, reviewer: Extra inputs are not permitted"),
    ]
    assert {p.file for p in problems} == {"risk-responses.yaml"}
    assert all(p.severity == "error" for p in problems)


@pytest.mark.parametrize(
    ("text", "place", "message"),
    [
        ("responses:\n  - risk: [unclosed\n    response: accept\n", "line 3",
         "not valid YAML"),
        ("- risk: R\n", "line 1", "expected a mapping with one key, responses"),
        ("responses: none\n", "line 1", "responses must be a list"),
        ("responses:\n  - just text\n", "line 2", "each response must be a mapping"),
    ],
)
def test_malformed_files(text: str, place: str, message: str) -> None:
    responses, problems = parse_risk_responses(text, "ORG/risk-responses.yaml")
    assert responses == ()
    assert problems[0].file == "ORG/risk-responses.yaml"
    assert problems[0].place == place and problems[0].message.startswith(message)


def test_empty_file_has_no_responses() -> None:
    assert parse_risk_responses("# nothing decided yet\n") == ((), ())


def _accept(expires: date, **selector: str) -> RiskResponse:
    return RiskResponse(ResponseKind.ACCEPT, "decommissioned in 2027", "CISO", expires,
                        source="risk-responses.yaml:3", **selector)


@pytest.mark.parametrize(
    ("expires", "expired", "treatment"),
    [
        (date(2027, 6, 30), False, "accepted"),
        (TODAY, False, "accepted"),  # the expiry date is the last day the acceptance applies
        (date(2026, 11, 29), True, "acceptance expired"),
    ],
)
def test_acceptance_applies_until_its_expiry(
    register: tuple[RegisterEntry, ...], expires: date, expired: bool, treatment: str
) -> None:
    entries, problems = apply_responses(register, [_accept(expires, risk_id=HR_EXPLOIT)], TODAY)
    assert problems == ()
    hr = next(e for e in entries if e.risk_id == HR_EXPLOIT)
    assert hr.response is not None and hr.response.expired is expired
    assert hr.treatment == treatment
    assert hr.response.effective is (None if expired else ResponseKind.ACCEPT)
    if expired:
        assert hr.response.note == "accept decision by CISO expired on 2026-11-29: reverted to open"
    # Accepted or not, the risk stays in the register, with its rating unchanged.
    assert [e.risk_id for e in entries] == [e.risk_id for e in register]
    assert hr.residual == next(e for e in register if e.risk_id == HR_EXPLOIT).residual
    others = [e for e in entries if e.risk_id != HR_EXPLOIT]
    assert all(e.response is None and e.treatment == "open" for e in others)


def test_asset_and_threat_event_selector_and_precedence(
    register: tuple[RegisterEntry, ...],
) -> None:
    transfer = RiskResponse(ResponseKind.TRANSFER, "cyber insurance", "CFO", asset_id="A-HR",
                            threat_event_id="TE-RANSOMWARE", source="risk-responses.yaml:2")
    by_pair = RiskResponse(ResponseKind.AVOID, "retire", "CIO", asset_id="A-HR",
                           threat_event_id="TE-VULN-EXPLOIT", source="risk-responses.yaml:8")
    by_id = _accept(date(2027, 1, 31), risk_id=HR_EXPLOIT)
    entries, problems = apply_responses(register, [transfer, by_id, by_pair], TODAY)
    treatments = {e.risk_id: e.treatment for e in entries}
    assert treatments["RISK-A-HR-TE-RANSOMWARE-CVE-2021-44228"] == "transferred"
    # The risk-id decision beats the later asset + threat event one.
    assert treatments[HR_EXPLOIT] == "accepted"
    assert [(p.place, p.message) for p in problems] == [
        ("line 8", "response is overridden for every risk it selects by a later or more "
                   "specific one"),
    ]
    assert all(p.severity == "warning" for p in problems)


def test_unknown_selector_is_a_warning(register: tuple[RegisterEntry, ...]) -> None:
    stray = _accept(date(2027, 1, 31), risk_id="RISK-A-GONE-TE-VULN-EXPLOIT-CVE-2019-0708")
    entries, problems = apply_responses(register, [stray], TODAY)
    assert entries == register
    assert problems[0].message == (
        "response selects no risk in this audit (RISK-A-GONE-TE-VULN-EXPLOIT-CVE-2019-0708)"
    )
    assert problems[0].place == "line 3"


def test_later_decision_of_the_same_kind_wins(register: tuple[RegisterEntry, ...]) -> None:
    first = _accept(date(2027, 1, 31), risk_id=HR_EXPLOIT)
    second = replace(first, response=ResponseKind.MITIGATE, source="risk-responses.yaml:9")
    entries, problems = apply_responses(register, [first, second], TODAY)
    assert next(e for e in entries if e.risk_id == HR_EXPLOIT).treatment == "mitigating"
    assert [p.place for p in problems] == ["line 3"]
