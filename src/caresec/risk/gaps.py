"""Control gaps as register vulnerabilities: findings, the organization pseudo-asset, likelihood.

A HIPAA Security Rule safeguard that is not met or partly met (its
:class:`~caresec.model.ControlStatus`) is a vulnerability of the whole organization, not of one
system. caresec's rules (docs/risk-method.md §9):

* **Findings**: one ``control-gap`` finding per standard or implementation specification that
  is not met or partly met (``GAP-<citation>``), except a standard one of whose specifications
  is itself a gap (the specifications stand for it). Severity: not met → high, partly met →
  medium. Its threat events are those whose counter-controls name the citation or, for a
  specification, its standard.
* **Asset**: the pseudo-asset ``ORG``, so one organization-wide gap gives one register entry per
  threat event rather than one per system. Its impact (Table H-3 scale) is the highest impact
  among the inventory assets that hold ePHI (all assets when none does), by the asset rules of
  :mod:`caresec.risk.impact`; the rationale names the asset that sets it.
* **Likelihood** (inherent, Table G-5): initiation or occurrence from the threat source type
  (SP 800-30 Rev. 1 Table D-2): adversarial → high, accidental → moderate, structural →
  moderate, environmental → low; adverse impact from the gap: not met → high, partly met →
  moderate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from caresec.catalogs.loader import ThreatEvent
from caresec.catalogs.registry import load_hipaa_security_rule
from caresec.model.asset import Asset
from caresec.model.control import ControlState, ControlStatus
from caresec.model.finding import Evidence, Finding, Severity
from caresec.model.risk import Assessed, Level
from caresec.risk.impact import assess_impact
from caresec.risk.likelihood import overall
from caresec.risk.scale import assessed

#: The pseudo-asset organization-wide control gaps attach to.
ORG_ASSET_ID = "ORG"
KIND_CONTROL_GAP = "control-gap"

GAP_STATES = (ControlState.NOT_MET, ControlState.PARTLY_MET)
GAP_SEVERITY: dict[ControlState, Severity] = {
    ControlState.NOT_MET: Severity.HIGH,
    ControlState.PARTLY_MET: Severity.MEDIUM,
}
#: Likelihood of initiation (adversarial, Table G-2) or occurrence (G-3) by threat source type.
SOURCE_INITIATION: dict[str, Level] = {
    "adversarial": Level.HIGH,
    "accidental": Level.MODERATE,
    "structural": Level.MODERATE,
    "environmental": Level.LOW,
}
#: Likelihood that the event results in adverse impact (Table G-4) by the gap's state.
GAP_ADVERSE_IMPACT: dict[ControlState, Level] = {
    ControlState.NOT_MET: Level.HIGH,
    ControlState.PARTLY_MET: Level.MODERATE,
}


def is_gap(status: ControlStatus) -> bool:
    """True for ``not met`` and ``partly met``."""
    return status.state in GAP_STATES


def gap_threat_events(
    control_id: str, standard: str | None, threat_events: Mapping[str, ThreatEvent]
) -> tuple[str, ...]:
    """Threat events whose counter-controls name ``control_id`` or its ``standard``, in
    catalog order; events marked ``needs_observation`` are left out (they enter the register
    only through findings that name them)."""
    names = {control_id} if standard is None else {control_id, standard}
    return tuple(
        te.id
        for te in threat_events.values()
        if not te.needs_observation and names & set(te.control_ids)
    )


def control_gap_findings(
    statuses: Sequence[ControlStatus], threat_events: Mapping[str, ThreatEvent]
) -> tuple[Finding, ...]:
    """One ``control-gap`` finding per gap (see module docstring), in the order of
    ``statuses`` (regulation order).

    Raises:
        CatalogError: the HIPAA Security Rule catalog is invalid.
    """
    index = load_hipaa_security_rule().index()
    gaps = {s.control_id for s in statuses if is_gap(s)}
    parents = {
        index[c].standard for c in gaps if c in index and index[c].standard is not None
    }
    findings: list[Finding] = []
    for status in statuses:
        if not is_gap(status) or status.control_id in parents:
            continue
        element = index.get(status.control_id)
        standard = element.standard if element is not None else None
        te_ids = gap_threat_events(status.control_id, standard, threat_events)
        answers = tuple(
            Evidence(
                collector="answers",
                source=a.source or "answers.yaml",
                description=f"{a.question_id} answered {a.value}"
                + (f": {a.note}" if a.note else ""),
            )
            for a in status.answers
        )
        details: list[tuple[str, str]] = [("status", str(status.state))]
        if status.rationale:
            details.append(("rationale", status.rationale))
        if status.rule_ids:
            details.append(("evidence rules", ", ".join(status.rule_ids)))
        findings.append(
            Finding(
                finding_id=f"GAP-{status.control_id}",
                kind=KIND_CONTROL_GAP,
                title=f"{status.title} ({status.control_id}) {status.state}",
                asset_ids=(ORG_ASSET_ID,),
                severity=GAP_SEVERITY[status.state],
                evidence=tuple(dict.fromkeys((*status.evidence, *answers))),
                threat_event_ids=te_ids,
                control_ids=(status.control_id,),
                details=tuple(details),
            )
        )
    return tuple(findings)


def organization_impact(assets: Sequence[Asset]) -> Assessed:
    """Impact of an organization-wide threat event (Table H-3 scale): the highest impact among
    the assets holding ePHI (all assets when none does); moderate with no inventory (any ePHI
    breach is notified to individuals, 45 CFR 164.404)."""
    scope = [a for a in assets if a.holds_ephi or a.ephi_records > 0]
    which = "ePHI asset(s)"
    if not scope:
        scope, which = list(assets), "asset(s) (none holds ePHI)"
    if not scope:
        return assessed(
            Level.MODERATE,
            "organization-wide, no inventory: any ePHI breach is notified to individuals "
            "(45 CFR 164.404) → moderate",
        )
    rated = [(assess_impact(a), a) for a in scope]
    top, asset = max(rated, key=lambda pair: (pair[0].level.ordinal, pair[0].score))
    return Assessed(
        level=top.level,
        score=top.score,
        rationale=f"organization-wide: highest impact among {len(scope)} {which} is "
        f"{asset.asset_id} ({top.rationale})",
    )


def gap_likelihood(finding: Finding, threat_event: ThreatEvent) -> Assessed:
    """Inherent overall likelihood (Table G-5) that ``threat_event`` exploits the control gap
    of ``finding`` (see module docstring).

    Raises:
        ValueError: ``finding`` is not a control-gap finding.
    """
    text = dict(finding.details).get("status", "")
    state = next((s for s in GAP_ADVERSE_IMPACT if s.value == text), None)
    if finding.kind != KIND_CONTROL_GAP or state is None:
        raise ValueError(f"{finding.finding_id} is not a control gap")
    start = SOURCE_INITIATION.get(threat_event.source_type, Level.MODERATE)
    initiation = assessed(start, f"{threat_event.source_type} threat source → {start}")
    adverse_level = GAP_ADVERSE_IMPACT[state]
    adverse = assessed(adverse_level, f"safeguard {state} → {adverse_level}")
    subject = f"{finding.control_ids[0]} {state} against {threat_event.title.lower()}"
    return overall(initiation, adverse, subject)
