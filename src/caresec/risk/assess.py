"""The risk stage's entry points: findings, the register and the plan from model records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from caresec.catalogs.loader import ThreatEvent, load_threat_events
from caresec.model.asset import Asset
from caresec.model.control import ControlEvaluation
from caresec.model.finding import Finding, FindingStatement, NotAssessed, VulnerabilityMatch
from caresec.model.plan import PlanItem, PlanStatusEntry, RegisterEntry, RiskResponse
from caresec.model.problems import InputProblem
from caresec.model.risk import Risk
from caresec.risk.findings import build_findings
from caresec.risk.gaps import control_gap_findings
from caresec.risk.plan import build_plan
from caresec.risk.register import build_entries
from caresec.risk.responses import apply_responses
from caresec.risk.sla import RemediationPolicy, default_policy
from caresec.risk.threats import check_catalog


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """What the risk stage produces.

    Attributes:
        findings: technical findings (:func:`caresec.risk.findings.build_findings` order), then
            the findings passed in, then control-gap findings (regulation order).
        register: register entries, responses applied, highest residual risk first.
        plan: plan items by rank.
        problems: risk responses or plan statuses that select nothing or were overridden.
    """

    findings: tuple[Finding, ...]
    register: tuple[RegisterEntry, ...]
    plan: tuple[PlanItem, ...]
    problems: tuple[InputProblem, ...] = ()

    @property
    def risks(self) -> tuple[Risk, ...]:
        """The register's risks, residual, in register order."""
        return tuple(e.risk for e in self.register)


def assess_risks(
    assets: Sequence[Asset],
    matches: Sequence[VulnerabilityMatch],
    not_assessed: Sequence[NotAssessed],
    *,
    today: date,
    controls: ControlEvaluation | None = None,
    extra_findings: Sequence[Finding] = (),
    statements: Sequence[FindingStatement] = (),
    responses: Sequence[RiskResponse] = (),
    plan_status: Mapping[str, PlanStatusEntry] | None = None,
    policy: RemediationPolicy | None = None,
    threat_events: Mapping[str, ThreatEvent] | None = None,
) -> RiskAssessment:
    """Findings, the NIST SP 800-30 Rev. 1 register (inherent and residual) and the plan.

    Pure: no clock, no network, no files beyond the shipped catalogs.

    Args:
        assets: inventory assets.
        matches: vulnerability matches (one per component × vulnerability).
        not_assessed: components the matcher could not judge.
        today: the audit date (end of support, response expiry, due dates).
        controls: the control evaluation (statuses make control-gap findings and residual
            ratings); None: no control status, residual equals inherent.
        extra_findings: findings of other analyzers (with threat events, asset ids and, to
            enter the register, their own ``likelihood``).
        statements: status statements (VEX) applied to the vulnerability findings: a
            suppressed finding stays in ``findings`` with its statement and enters no risk.
        responses: the organization's risk responses.
        plan_status: the organization's recorded plan statuses by item id.
        policy: SLA days, effort, milestones; defaults to the shipped data.
        threat_events: the threat-event catalog; defaults to the shipped one.

    Raises:
        CatalogError: a shipped catalog is invalid or lacks a threat event the engine names.
    """
    events = load_threat_events() if threat_events is None else threat_events
    check_catalog(events)
    technical = apply_statements(
        build_findings(assets, matches, not_assessed, today=today, threat_events=events),
        statements,
    )
    statuses = controls.statuses if controls is not None else ()
    gaps = control_gap_findings(statuses, events)
    findings = (*technical, *extra_findings, *gaps)
    entries = build_entries(assets, findings, events, {s.control_id: s for s in statuses})
    register, response_problems = apply_responses(entries, responses, today)
    plan, plan_problems = build_plan(
        register, findings, assets, policy or default_policy(), today=today, recorded=plan_status
    )
    return RiskAssessment(
        findings=findings,
        register=register,
        plan=plan,
        problems=(*response_problems, *plan_problems),
    )


def apply_statements(
    findings: Sequence[Finding], statements: Sequence[FindingStatement]
) -> tuple[Finding, ...]:
    """Set the status of each vulnerability finding a statement covers (first statement wins)
    and add the statement to its details, so a suppressed finding says why.

    Returns:
        The findings, in the same order.
    """
    if not statements:
        return tuple(findings)
    out: list[Finding] = []
    for finding in findings:
        statement = next((s for s in statements if s.applies_to(finding)), None)
        if statement is None:
            out.append(finding)
            continue
        note = f"{statement.status}: {statement.statement}"
        if statement.source:
            note += f" ({statement.source})"
        out.append(
            replace(finding, status=statement.status,
                    details=(*finding.details, ("statement", note)))
        )
    return tuple(out)


def assess(
    assets: Sequence[Asset],
    matches: Sequence[VulnerabilityMatch],
    not_assessed: Sequence[NotAssessed],
    *,
    today: date,
    threat_events: Mapping[str, ThreatEvent] | None = None,
) -> tuple[tuple[Finding, ...], tuple[Risk, ...]]:
    """Turn matches and the inventory into findings and a NIST SP 800-30 Rev. 1 risk register,
    without control status or responses (see :func:`assess_risks` for the full stage).

    Returns:
        ``(findings, risks)``: findings in a stable order (see
        :func:`caresec.risk.findings.build_findings`) and risks ranked highest first.

    Raises:
        CatalogError: a shipped catalog is invalid or lacks a threat event the engine names.
    """
    events = load_threat_events() if threat_events is None else threat_events
    check_catalog(events)
    findings = build_findings(assets, matches, not_assessed, today=today, threat_events=events)
    entries = build_entries(assets, findings, events)
    return findings, tuple(e.risk for e in entries)
