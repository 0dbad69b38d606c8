"""access_findings: every case becomes an ``access-case`` finding whose threat events exist in
threat-events.yaml and whose HIPAA citations exist in hipaa-security-rule.yaml (45 CFR
164.308(a)(1)(ii)(D) information system activity review, 164.312(b) audit controls,
164.308(a)(3)(ii)(C) termination procedures, 164.312(a)(2)(ii) emergency access procedure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caresec.access.findings import access_findings, severity_of
from caresec.catalogs.loader import ThreatEventCatalog, load_catalog
from caresec.catalogs.registry import resolve_citation
from caresec.model.access import AccessCase, AccessPattern, AccessReview
from caresec.model.finding import Severity

WHEN = datetime(2024, 3, 4, 10, tzinfo=UTC)


def _case(pattern: AccessPattern, score: float = 80.0) -> AccessCase:
    return AccessCase(case_id=f"ACC-{pattern.value[:10]}", pattern=pattern, user_id="U1",
                      score=score, event_ids=("e1", "e2"), first_event=WHEN, last_event=WHEN,
                      evidence=("first sentence.", "second sentence."), patient="p:00ff")


@pytest.mark.parametrize(("pattern", "controls", "threats"), [
    (AccessPattern.VIP, ("164.308(a)(1)(ii)(D)", "164.312(b)"), ("TE-INSIDER-SNOOPING",)),
    (AccessPattern.AFTER_TERMINATION, ("164.308(a)(1)(ii)(D)", "164.312(b)",
                                       "164.308(a)(3)(ii)(C)"),
     ("TE-INSIDER-SNOOPING", "TE-INSIDER-DATA-THEFT")),
    (AccessPattern.BREAK_GLASS, ("164.308(a)(1)(ii)(D)", "164.312(b)", "164.312(a)(2)(ii)"),
     ("TE-INSIDER-SNOOPING",)),
    (AccessPattern.VOLUME, ("164.308(a)(1)(ii)(D)", "164.312(b)"),
     ("TE-INSIDER-SNOOPING", "TE-INSIDER-DATA-THEFT")),
])
def test_mapping(pattern: AccessPattern, controls: tuple[str, ...],
                 threats: tuple[str, ...]) -> None:
    review = AccessReview(engine="duckdb", events=2, patient_events=2, explained_events=0,
                          explained_share=0.0, cases=(_case(pattern),))
    [finding] = access_findings(review, asset_ids=("EHR-01",))
    assert finding.kind == "access-case"
    assert finding.finding_id == f"ACCESS-ACC-{pattern.value[:10]}"
    assert finding.control_ids == controls and finding.threat_event_ids == threats
    assert finding.asset_ids == ("EHR-01",)
    assert [e.description for e in finding.evidence] == ["first sentence.", "second sentence."]
    assert dict(finding.details)["patient"] == "p:00ff"


def test_ids_exist_in_the_catalogs() -> None:
    known = {t.id for t in load_catalog("threat-events", ThreatEventCatalog).threat_events}
    review = AccessReview(engine="duckdb", events=0, patient_events=0, explained_events=0,
                          explained_share=0.0, cases=tuple(_case(p) for p in AccessPattern))
    for finding in access_findings(review):
        assert set(finding.threat_event_ids) <= known
        for citation in finding.control_ids:
            assert resolve_citation(citation).citation == citation


@pytest.mark.parametrize(("score", "severity"), [
    (100.0, Severity.HIGH), (85.0, Severity.HIGH), (84.9, Severity.MEDIUM),
    (65.0, Severity.MEDIUM), (64.9, Severity.LOW),
])
def test_severity(score: float, severity: Severity) -> None:
    assert severity_of(score) is severity
