"""Access-review cases as findings for the risk register.

One ``access-case`` finding per case (``ACCESS-<case id>``): the threat event is insider
snooping (``TE-INSIDER-SNOOPING`` in ``threat-events.yaml``), and also insider theft of ePHI
(``TE-INSIDER-DATA-THEFT``) for after-termination and volume cases. Every case bears on
information system activity review (45 CFR 164.308(a)(1)(ii)(D)) and audit controls
(164.312(b)); after-termination cases also on termination procedures (164.308(a)(3)(ii)(C)),
break-the-glass cases on the emergency access procedure (164.312(a)(2)(ii)).

Each finding carries its own likelihood (:func:`case_likelihood`, NIST SP 800-30 Rev. 1 Table
G-5) so that it enters the risk register with the impact of the asset whose log was reviewed.
"""

from __future__ import annotations

from collections.abc import Sequence

from caresec.catalogs.nist800_30 import load_nist_800_30
from caresec.model.access import AccessCase, AccessPattern, AccessReview
from caresec.model.finding import Evidence, Finding, Severity
from caresec.model.risk import Assessed, Level
from caresec.risk.scale import assessed, combine

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


#: Cases spanning at least this many patients are bulk disclosures (adverse impact very high).
BULK_PATIENTS = 10


def case_likelihood(case: AccessCase) -> Assessed:
    """Overall likelihood (NIST SP 800-30 Rev. 1 Table G-5) of the insider threat events a
    case evidences.

    Likelihood of initiation (Table G-2), from the case score (0–100, docs/access-review.md
    "Detectors and cases"), since the log already records the accesses and the score says how
    little else could explain them: **very high** at 85 and above, **high** at 65 and above,
    **moderate** below. Likelihood of adverse impact (Table G-4): **high**, because an access
    without a reason on record is a use of ePHI the Privacy Rule does not permit, presumed a
    breach (45 CFR 164.402) until a risk assessment shows a low probability of compromise;
    **very high** when the case spans :data:`BULK_PATIENTS` patients or more.

    Returns:
        The Table G-5 level, a score inside its range (:func:`caresec.risk.scale.combine`) and
        a rationale naming the pattern, the score and both inputs.
    """
    if case.score >= 85:
        initiation = Level.VERY_HIGH
    elif case.score >= 65:
        initiation = Level.HIGH
    else:
        initiation = Level.MODERATE
    why = (f"{case.pattern.value} case scored {case.score:.1f} of 100 on "
           f"{len(case.event_ids)} logged event(s) nothing on record explains")
    if case.patients >= BULK_PATIENTS:
        adverse, adverse_why = Level.VERY_HIGH, f"{case.patients} patients' records touched"
    else:
        adverse = Level.HIGH
        adverse_why = "an access without a reason on record is a presumed breach of ePHI"
    first, second = assessed(initiation, why), assessed(adverse, adverse_why)
    level, score = combine(load_nist_800_30().overall_likelihood, first, second)
    return Assessed(level=level, score=score, rationale=(
        f"initiation {initiation} ({why}) × adverse impact {adverse} ({adverse_why}) → "
        f"Table G-5 {level}"))


def case_finding(case: AccessCase, *, asset_ids: Sequence[str] = (ORG_ASSET,),
                 source: str = "EHR access log") -> Finding:
    """One case as a finding (see the module docstring for ids and citations), with its
    likelihood (:func:`case_likelihood`)."""
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
        likelihood=case_likelihood(case),
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
