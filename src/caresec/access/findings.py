"""Access-review cases as findings for the risk register.

One ``access-case`` finding per case (``ACCESS-<case id>``): the threat event is insider
snooping (``TE-INSIDER-SNOOPING`` in ``threat-events.yaml``), and also insider theft of ePHI
(``TE-INSIDER-DATA-THEFT``) for after-termination and volume cases. Every case bears on
information system activity review (45 CFR 164.308(a)(1)(ii)(D)) and audit controls
(164.312(b)); after-termination cases also on termination procedures (164.308(a)(3)(ii)(C)),
break-the-glass cases on the emergency access procedure (164.312(a)(2)(ii)).
"""

from __future__ import annotations

from collections.abc import Sequence

from caresec.model.access import AccessCase, AccessPattern, AccessReview
from caresec.model.finding import Evidence, Finding, Severity

KIND_ACCESS_CASE = "access-case"
TE_SNOOPING = "TE-INSIDER-SNOOPING"
TE_DATA_THEFT = "TE-INSIDER-DATA-THEFT"
ACTIVITY_REVIEW = "164.308(a)(1)(ii)(D)"
AUDIT_CONTROLS = "164.312(b)"
TERMINATION = "164.308(a)(3)(ii)(C)"
EMERGENCY_ACCESS = "164.312(a)(2)(ii)"
ORG_ASSET = "ORG"
_TITLES = {
    AccessPattern.VIP: "VIP record opened without a care relationship",
    AccessPattern.COWORKER: "Coworker's record opened without a care relationship",
    AccessPattern.FAMILY_OR_NEIGHBOUR: "Family member's or neighbour's record opened",
    AccessPattern.SELF: "User opened their own record",
    AccessPattern.DECEASED: "Deceased patient's record opened without a reason on record",
    AccessPattern.AFTER_TERMINATION: "Account used after the user's termination",
    AccessPattern.AFTER_HOURS: "Unexplained records opened at unusual hours",
    AccessPattern.VOLUME: "Unusual volume of record accesses",
    AccessPattern.BREAK_GLASS: "Break-the-glass without care evidence",
    AccessPattern.NEW_WORKSTATION: "Unexplained accesses from a new workstation",
}


def severity_of(score: float) -> Severity:
    """Case score → severity: 85 and above high, 65 and above medium, else low."""
    if score >= 85:
        return Severity.HIGH
    if score >= 65:
        return Severity.MEDIUM
    return Severity.LOW


def case_finding(case: AccessCase, *, asset_ids: Sequence[str] = (ORG_ASSET,),
                 source: str = "EHR access log") -> Finding:
    """One case as a finding (see the module docstring for ids and citations)."""
    threats = [TE_SNOOPING]
    if case.pattern in (AccessPattern.AFTER_TERMINATION, AccessPattern.VOLUME):
        threats.append(TE_DATA_THEFT)
    controls = [ACTIVITY_REVIEW, AUDIT_CONTROLS]
    if case.pattern is AccessPattern.AFTER_TERMINATION:
        controls.append(TERMINATION)
    if case.pattern is AccessPattern.BREAK_GLASS:
        controls.append(EMERGENCY_ACCESS)
    who = case.user_id + (f" → {case.patient}" if case.patient else "")
    shown = ", ".join(case.event_ids[:20]) + (
        f" (+{len(case.event_ids) - 20} more)" if len(case.event_ids) > 20 else "")
    return Finding(
        finding_id=f"ACCESS-{case.case_id}",
        kind=KIND_ACCESS_CASE,
        title=f"{_TITLES[case.pattern]}: {who}",
        asset_ids=tuple(asset_ids),
        severity=severity_of(case.score),
        evidence=tuple(Evidence(collector="access", source=source, description=sentence)
                       for sentence in case.evidence),
        threat_event_ids=tuple(threats),
        control_ids=tuple(controls),
        details=(("pattern", case.pattern.value), ("user_id", case.user_id),
                 ("user_role", case.user_role), ("user_department", case.user_department),
                 ("patient", case.patient), ("score", f"{case.score:.1f}"),
                 ("events", str(len(case.event_ids))), ("event_ids", shown),
                 ("first_event", case.first_event.isoformat()),
                 ("last_event", case.last_event.isoformat())),
    )


def access_findings(review: AccessReview, *, asset_ids: Sequence[str] = (ORG_ASSET,),
                    source: str = "EHR access log") -> list[Finding]:
    """Every case of ``review`` as an ``access-case`` finding, in rank order.

    Args:
        review: from :func:`caresec.access.review_access`.
        asset_ids: the assets whose logs were reviewed (default: the organization, ``ORG``).
        source: how the evidence names the log.
    """
    return [case_finding(c, asset_ids=asset_ids, source=source) for c in review.cases]
