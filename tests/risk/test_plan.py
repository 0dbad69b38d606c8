"""The remediation plan (docs/risk-method.md §11): items, actions, due dates from the SLA by
residual level, NPRM timers, status, ranking by risk reduced per effort point."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from caresec.model import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    ControlState,
    ControlStatus,
    KevEntry,
    NetworkZone,
    PlanAction,
    PlanItem,
    PlanStatus,
    PlanStatusEntry,
    ResponseKind,
    RiskResponse,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.control import ControlEvaluation
from caresec.model.risk import Level
from caresec.risk import assess_risks, default_policy, remediation_policy
from caresec.risk.assess import RiskAssessment
from caresec.risk.plan import target_version
from caresec.risk.sla import RemediationPolicy

TODAY = date(2026, 11, 30)


def _status(cite: str, title: str, state: ControlState) -> ControlStatus:
    return ControlStatus(cite, title, state, "judged")


CONTROLS = ControlEvaluation(
    statuses=(
        _status("164.308(a)(1)(ii)(B)", "Risk management", ControlState.NOT_MET),
        _status("164.308(a)(5)(ii)(B)", "Protection from malicious software", ControlState.MET),
        _status("164.312(c)(1)", "Integrity", ControlState.PARTLY_MET),
        _status("164.312(d)", "Person or entity authentication", ControlState.NOT_MET),
        # 164.316(b)(2)(iii) Updates: no threat event names it or its standard.
        _status("164.316(b)(2)(iii)", "Updates", ControlState.NOT_MET),
    )
)


@pytest.fixture
def plan_inputs(
    make_asset: Callable[..., Asset],
    make_component: Callable[..., Any],
    make_match: Callable[..., VulnerabilityMatch],
    facts: Any,
) -> dict[str, Any]:
    """Two portal nodes running one SBOM, an infusion pump fleet, a Windows 7 workstation."""
    portal = {
        "kind": AssetKind.APPLICATION,
        "criticality": ClinicalCriticality.CLINICAL_SUPPORT,
        "holds_ephi": True,
        "ephi_records": 96_000,
        "network_zone": NetworkZone.DMZ,
        "internet_facing": True,
        "owner": "Web Applications Team",
    }
    assets = [
        make_asset("PORTAL-1", **portal),
        make_asset("PORTAL-2", **portal),
        make_asset("A-PUMP", kind=AssetKind.MEDICAL_DEVICE,
                   criticality=ClinicalCriticality.LIFE_SUSTAINING,
                   network_zone=NetworkZone.MEDICAL_DEVICE, owner="Clinical Engineering"),
        make_asset("A-PACS", kind=AssetKind.WORKSTATION,
                   criticality=ClinicalCriticality.DIAGNOSTIC, holds_ephi=True,
                   ephi_records=40_000, network_zone=NetworkZone.CLINICAL,
                   end_of_support=date(2020, 1, 14), owner="Imaging Informatics"),
    ]
    jquery = make_component("jquery", "3.4.1", "PORTAL-1", "PORTAL-2",
                            purl="pkg:npm/jquery@3.4.1")
    spacecom = make_component("SpaceCom 2", "L81", "A-PUMP")
    matches = [
        # GHSA-gxr4-xjj5-5px2 / GHSA-jpcq-cgw6-v4j6: jQuery XSS, both fixed in 3.5.0;
        # CVE-2020-11023 is in CISA KEV (dateAdded 2025-01-23).
        make_match("CVE-2020-11022", jquery, Severity.MEDIUM, score=6.9,
                   vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:H/A:N", fixed=("3.5.0",)),
        make_match("CVE-2020-11023", jquery, Severity.MEDIUM, score=6.9,
                   vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:H/A:N", fixed=("3.5.0",),
                   kev=KevEntry("CVE-2020-11023", date(2025, 1, 23))),
        make_match("CVE-2021-33885", spacecom, Severity.CRITICAL, score=9.0,
                   vector=facts.SPACECOM_33885_VECTOR),
    ]
    return {"assets": assets, "matches": matches}


def _plan(inputs: dict[str, Any], **kw: Any) -> RiskAssessment:
    return assess_risks(inputs["assets"], inputs["matches"], [], today=TODAY,
                        controls=CONTROLS, **kw)


def _item(assessment: RiskAssessment, item_id: str) -> PlanItem:
    return next(i for i in assessment.plan if i.item_id == item_id)


def test_default_deadlines_follow_their_sources() -> None:
    policy = default_policy()
    # CISA BOD 19-02: critical 15 days, high 30 days; FedRAMP continuous monitoring: moderate
    # 90 days, low 180 days; very low 365 days is caresec's.
    assert dict(policy.sla_days) == {
        Level.VERY_HIGH: 15, Level.HIGH: 30, Level.MODERATE: 90, Level.LOW: 180,
        Level.VERY_LOW: 365,
    }
    # 90 FR 898 (HIPAA Security Rule NPRM): critical-risk patches within 15 calendar days,
    # high-risk within 30.
    timers = policy.nprm_timers
    assert (timers[Level.VERY_HIGH].requirement_id, timers[Level.VERY_HIGH].days) == (
        "NPRM-PATCH-CRITICAL", 15,
    )
    assert (timers[Level.HIGH].requirement_id, timers[Level.HIGH].days) == ("NPRM-PATCH-HIGH", 30)
    assert policy.nprm_actions == {PlanAction.UPGRADE, PlanAction.VENDOR_FIX}
    assert policy.owner == "Security official (45 CFR 164.308(a)(2))"


def test_items_actions_and_due_dates(plan_inputs: dict[str, Any]) -> None:
    assessment = _plan(plan_inputs)
    policy = default_policy()
    for item in assessment.plan:
        days = policy.sla_days[item.level] if item.level else policy.compliance_gap_days
        assert item.sla_days == days and item.due == TODAY + timedelta(days=days)

    jquery = _item(assessment, "PLAN-jquery-3.4.1")
    # One item for the component both portal nodes run; both vulnerabilities fixed in 3.5.0.
    assert jquery.action is PlanAction.UPGRADE
    assert jquery.title == "Upgrade jquery 3.4.1 to 3.5.0 or later on PORTAL-1, PORTAL-2"
    assert jquery.asset_ids == ("PORTAL-1", "PORTAL-2")
    assert jquery.description == (
        "2 vulnerabilities: CVE-2020-11022 (fixed in 3.5.0); CVE-2020-11023 (fixed in 3.5.0)."
    )
    assert jquery.owner == "Web Applications Team"
    assert len(jquery.risk_ids) == 4  # 2 CVEs × 2 nodes, threat event exploitation
    assert [m.title for m in jquery.milestones] == [
        "Test the fixed version outside production",
        "Deploy the fixed version and confirm it with a new audit",
    ]
    assert jquery.milestones[-1].due == jquery.due

    pump = _item(assessment, "PLAN-SpaceCom-2-L81")
    assert pump.action is PlanAction.VENDOR_FIX  # a medical device: the manufacturer fixes it
    assert pump.owner == "Clinical Engineering"

    eos = _item(assessment, "PLAN-EOS-A-PACS")
    assert (eos.action, eos.title) == (PlanAction.UPGRADE, "Move A-PACS to a supported release")

    policy_gap = _item(assessment, "PLAN-GAP-164.308(a)(1)(ii)(B)")
    assert policy_gap.action is PlanAction.POLICY  # an administrative safeguard (§ 164.308)
    assert policy_gap.owner == "Security official (45 CFR 164.308(a)(2))"
    assert policy_gap.nprm is None
    technical_gap = _item(assessment, "PLAN-GAP-164.312(d)")
    assert technical_gap.action is PlanAction.IMPLEMENT_CONTROL  # a technical safeguard

    updates = _item(assessment, "PLAN-GAP-164.316(b)(2)(iii)")
    assert updates.level is None and updates.risk_ids == () and updates.sla_days == 180
    assert updates.risk_reduction == 0


def test_ranking_is_risk_reduced_per_effort(plan_inputs: dict[str, Any]) -> None:
    plan = _plan(plan_inputs).plan
    assert [i.rank for i in plan] == list(range(1, len(plan) + 1))
    assert [i.priority for i in plan] == sorted((i.priority for i in plan), reverse=True)
    policy = default_policy()
    for item in plan:
        assert item.effort == policy.effort[item.action]
        assert item.priority == round(item.risk_reduction / item.effort, 2)
    # The compliance item removes no register risk: it ranks last.
    assert plan[-1].item_id == "PLAN-GAP-164.316(b)(2)(iii)"


def test_risk_reduction_sums_the_residual_scores(plan_inputs: dict[str, Any]) -> None:
    assessment = _plan(plan_inputs)
    scores = {e.risk_id: e.risk.score for e in assessment.register}
    for item in assessment.plan:
        assert item.risk_reduction == sum(scores[r] for r in item.risk_ids)
    covered = [r for i in assessment.plan for r in i.risk_ids]
    assert sorted(covered) == sorted(scores)  # every register entry is in exactly one item


def test_nprm_timer_shown_and_flagged(plan_inputs: dict[str, Any]) -> None:
    def jquery(policy: RemediationPolicy | None = None) -> PlanItem:
        plan = assess_risks(plan_inputs["assets"], plan_inputs["matches"], [], today=TODAY,
                            policy=policy).plan
        return next(i for i in plan if i.item_id == "PLAN-jquery-3.4.1")

    # Without control status: CVE-2020-11023 in KEV (very high) on an internet-facing node
    # (+1, clamped), adverse impact moderate (CVSS medium) → Table G-5 very high × moderate =
    # high; impact high (96,000 ePHI records ≥ 500, 45 CFR 164.408(b)); Table I-2 high × high =
    # high → 30 days, and the NPRM's proposed 30-day timer for high-risk patches.
    item = jquery()
    assert item.level is Level.HIGH and item.sla_days == 30
    assert item.nprm is not None
    assert (item.nprm.requirement_id, item.nprm.days) == ("NPRM-PATCH-HIGH", 30)
    assert item.nprm.exceeded_by_sla is False
    slow, problems = remediation_policy([("sla_high_days", "60")])
    assert problems == ()
    late = jquery(slow)
    assert late.sla_days == 60 and late.due == date(2027, 1, 29)
    assert late.nprm is not None and late.nprm.exceeded_by_sla is True
    # With control status the same item drops to moderate (coverage ½): no NPRM timer.
    assert _item(_plan(plan_inputs), "PLAN-jquery-3.4.1").nprm is None


def test_settings_override_and_invalid_values() -> None:
    policy, problems = remediation_policy([
        ("sla_high_days", "14"), ("effort_policy", "4"), ("sla_low_days", "soon"),
        ("plan_owner", "Chief Information Security Officer"), ("fail_on", "high"),
    ])
    assert policy.sla_days[Level.HIGH] == 14 and policy.effort[PlanAction.POLICY] == 4
    assert policy.sla_days[Level.LOW] == 180  # default kept
    assert policy.owner == "Chief Information Security Officer"
    assert [(p.file, p.place, p.severity) for p in problems] == [
        ("caresec.toml", "[settings] sla_low_days", "warning"),
    ]
    assert problems[0].message == "'soon' is not a whole number ≥ 1; the default 180 is used"


def test_recorded_status_and_reopened_items(plan_inputs: dict[str, Any]) -> None:
    recorded = {
        "PLAN-jquery-3.4.1": PlanStatusEntry(
            "PLAN-jquery-3.4.1", PlanStatus.REMEDIATING, owner="Portal vendor",
            note="release 3.9 ships jQuery 3.7",
            milestones_done=("Test the fixed version outside production",),
            source="plan-status.yaml:2"),
        "PLAN-EOS-A-PACS": PlanStatusEntry("PLAN-EOS-A-PACS", PlanStatus.CLOSED,
                                           source="plan-status.yaml:8"),
        "PLAN-retired": PlanStatusEntry("PLAN-retired", PlanStatus.OPEN,
                                        source="plan-status.yaml:10"),
    }
    assessment = _plan(plan_inputs, plan_status=recorded)
    jquery = _item(assessment, "PLAN-jquery-3.4.1")
    assert (jquery.status, jquery.owner, jquery.status_source) == (
        PlanStatus.REMEDIATING, "Portal vendor", "plan-status.yaml:2",
    )
    assert [m.done for m in jquery.milestones] == [True, False]
    eos = _item(assessment, "PLAN-EOS-A-PACS")
    assert eos.status is PlanStatus.OPEN and "still found by this audit: reopened" in eos.note
    assert [(p.place, p.message) for p in assessment.problems] == [
        ("line 8", "PLAN-EOS-A-PACS is recorded closed, but this audit still finds it; reopened"),
        ("line 10", "PLAN-retired is not in this audit's plan (its findings are gone, or the id "
                    "is mistyped)"),
    ]


def test_responses_set_status_and_action(plan_inputs: dict[str, Any]) -> None:
    accept = RiskResponse(ResponseKind.ACCEPT, "replaced in 2027", "CISO", date(2027, 3, 31),
                          asset_id="A-PACS", threat_event_id="TE-VULN-EXPLOIT")
    transfer = RiskResponse(ResponseKind.TRANSFER, "manufacturer service contract",
                            "Clinical Engineering", asset_id="A-PUMP",
                            threat_event_id="TE-VULN-EXPLOIT")
    transfer_dev = RiskResponse(ResponseKind.TRANSFER, "manufacturer service contract",
                                "Clinical Engineering", asset_id="A-PUMP",
                                threat_event_id="TE-MEDDEV-COMPROMISE")
    assessment = _plan(plan_inputs, responses=[accept, transfer, transfer_dev])
    eos = _item(assessment, "PLAN-EOS-A-PACS")
    assert eos.status is PlanStatus.DEVIATION_APPROVED
    assert eos.note == "risk accepted: accept by CISO until 2027-03-31: replaced in 2027"
    pump = _item(assessment, "PLAN-SpaceCom-2-L81")
    assert pump.action is PlanAction.TRANSFER and pump.title.startswith("Transfer the risk: ")
    expired = RiskResponse(ResponseKind.ACCEPT, "replaced in 2027", "CISO", date(2026, 6, 30),
                           asset_id="A-PACS", threat_event_id="TE-VULN-EXPLOIT")
    eos = _item(_plan(plan_inputs, responses=[expired]), "PLAN-EOS-A-PACS")
    assert eos.status is PlanStatus.OPEN
    assert eos.note == "accept decision by CISO expired on 2026-06-30: reverted to open."


@pytest.mark.parametrize(
    ("fixed", "expected"),
    [
        # GHSA-jfh8-c2jp-5v3q (CVE-2021-44228) fixed 2.3.1, 2.12.2, 2.15.0: above 2.14.1 only
        # 2.15.0; GHSA-7rjr-3q55-vv33 (CVE-2021-45046) 2.12.2, 2.16.0; GHSA-p6xc-xr62-6r2g
        # (CVE-2021-45105) 2.3.1, 2.12.3, 2.17.0: every one fixed from 2.17.0.
        ((("2.3.1", "2.12.2", "2.15.0"), ("2.12.2", "2.16.0"), ("2.3.1", "2.12.3", "2.17.0")),
         "2.17.0"),
        ((("2.3.1", "2.12.2", "2.15.0"),), "2.15.0"),
        ((("2.3.1", "2.12.2"),), None),  # no fixed version above 2.14.1 on any branch
    ],
)
def test_target_version(
    make_component: Callable[..., Any], make_match: Callable[..., VulnerabilityMatch],
    fixed: tuple[tuple[str, ...], ...], expected: str | None,
) -> None:
    log4j = make_component("log4j-core", "2.14.1", "A-1",
                           purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    matches = [make_match(f"CVE-{n}", log4j, Severity.CRITICAL, fixed=f)
               for n, f in enumerate(fixed)]
    assert target_version(matches) == expected


def test_policy_type_is_frozen() -> None:
    assert isinstance(default_policy(), RemediationPolicy)
