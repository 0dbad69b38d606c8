"""The risk register: one entry per asset × threat event × vulnerability (NIST SP 800-30 Rev. 1
Appendix I; HHS OCR's "level of risk for each threat and vulnerability pair").

The vulnerability of an entry is one finding: a technical finding (a vulnerability on the
asset's software, the asset past end of support …) or a control gap (a HIPAA safeguard not met
or partly met, on the ``ORG`` pseudo-asset, :mod:`caresec.risk.gaps`). For each finding, each
asset it concerns and each threat event it enables:

* **inherent** rating: the finding's overall likelihood (Table G-5; :mod:`caresec.risk.likelihood`
  or :func:`caresec.risk.gaps.gap_likelihood`) × the asset's impact (Table H-3 scale), without
  crediting any safeguard;
* **residual** rating: the likelihood moved down by the threat event's counter-controls
  (:mod:`caresec.risk.controls`) × the same impact;
* each rating as a Table I-2 level with a Table I-3 score, an SRA Tool level and a 5×5 matrix
  score (:mod:`caresec.risk.rating`).

Entry id: ``RISK-<asset>-<threat event>-<key>``, the key being the vulnerability id for a
vulnerability finding (``RISK-HL7-01-TE-VULN-EXPLOIT-CVE-2021-44228``) and the finding id
otherwise (``RISK-ORG-TE-PHISHING-BEC-GAP-164.308(a)(5)(ii)(A)``). Entries are sorted by
residual level, score and impact (highest first), then asset, threat event and id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from caresec.catalogs.loader import ThreatEvent
from caresec.model.asset import Asset
from caresec.model.control import ControlStatus
from caresec.model.finding import Finding, FindingStatus
from caresec.model.plan import RegisterEntry, RegisterKind
from caresec.model.risk import Assessed, Risk
from caresec.risk.controls import residual_likelihood
from caresec.risk.findings import KIND_LIFECYCLE, KIND_VULNERABILITY
from caresec.risk.gaps import KIND_CONTROL_GAP, ORG_ASSET_ID, gap_likelihood, organization_impact
from caresec.risk.impact import assess_impact
from caresec.risk.likelihood import lifecycle_likelihood, vulnerability_likelihood
from caresec.risk.rating import level_of_risk, rate

__all__ = [
    "build_entries",
    "build_register",
    "entry_sort_key",
    "finding_likelihood",
    "level_of_risk",
    "risk_id",
    "risk_sort_key",
]


def finding_likelihood(finding: Finding, asset: Asset) -> Assessed | None:
    """Overall likelihood (Table G-5) of the threat events ``finding`` enables on ``asset``;
    ``None`` for kinds that carry no likelihood (``not-assessed``) and for suppressed
    findings (a VEX ``not_affected`` statement: no risk, but the finding stays visible)."""
    if finding.status is FindingStatus.SUPPRESSED:
        return None
    if finding.likelihood is not None:
        return finding.likelihood
    if finding.kind == KIND_VULNERABILITY and finding.vulnerability is not None:
        return vulnerability_likelihood(finding.vulnerability, asset)
    if finding.kind == KIND_LIFECYCLE:
        return lifecycle_likelihood(asset)
    return None


def risk_id(asset_id: str, threat_event_id: str, finding: Finding) -> str:
    """``RISK-<asset>-<threat event>-<key>`` (see module docstring)."""
    key = finding.vulnerability.vulnerability_id if finding.vulnerability else finding.finding_id
    return f"RISK-{asset_id}-{threat_event_id}-{key}"


def risk_sort_key(risk: Risk) -> tuple[int, int, int, int, str, str, str]:
    """Sort key: highest level, score and impact first; then asset id, threat event id, id."""
    return (
        -risk.level.ordinal,
        -risk.score,
        -risk.impact.level.ordinal,
        -risk.impact.score,
        risk.asset_id,
        risk.threat_event_id,
        risk.risk_id,
    )


def entry_sort_key(entry: RegisterEntry) -> tuple[int, int, int, int, str, str, str]:
    """:func:`risk_sort_key` of the entry's (residual) risk."""
    return risk_sort_key(entry.risk)


def _kind(finding: Finding) -> RegisterKind:
    return RegisterKind.CONTROL_GAP if finding.kind == KIND_CONTROL_GAP else RegisterKind.TECHNICAL


def build_entries(
    assets: Sequence[Asset],
    findings: Sequence[Finding],
    threat_events: Mapping[str, ThreatEvent],
    statuses: Mapping[str, ControlStatus] | None = None,
) -> tuple[RegisterEntry, ...]:
    """The ranked register (responses not yet applied).

    Args:
        assets: the inventory; findings naming assets outside it enter no risk (control gaps
            name the ``ORG`` pseudo-asset and always enter).
        findings: findings with ``threat_event_ids``; kinds without a likelihood
            (``not-assessed``) are ignored.
        threat_events: the threat-event catalog (titles, source types, counter-controls).
        statuses: control statuses keyed by HIPAA citation; None or empty: residual = inherent.

    Returns:
        Entries sorted by :func:`entry_sort_key`.

    Raises:
        KeyError: a finding names a threat event missing from ``threat_events``.
    """
    by_id = {a.asset_id: a for a in assets}
    known = statuses or {}
    org_impact: Assessed | None = None
    entries: list[RegisterEntry] = []
    for finding in findings:
        for asset_id in finding.asset_ids:
            if finding.kind == KIND_CONTROL_GAP and asset_id == ORG_ASSET_ID:
                if org_impact is None:
                    org_impact = organization_impact(assets)
                impact = org_impact
                base: Assessed | None = None
            else:
                asset = by_id.get(asset_id)
                if asset is None:
                    continue
                base = finding_likelihood(finding, asset)
                if base is None:
                    continue
                impact = assess_impact(asset)
            for te_id in finding.threat_event_ids:
                event = threat_events[te_id]
                inherent_l = base if base is not None else gap_likelihood(finding, event)
                residual_l, effect = residual_likelihood(inherent_l, event.control_ids, known)
                inherent = rate(inherent_l, impact)
                residual = rate(residual_l, impact)
                risk = Risk(
                    risk_id=risk_id(asset_id, te_id, finding),
                    asset_id=asset_id,
                    threat_event_id=te_id,
                    threat_event=event.title,
                    likelihood=residual_l,
                    impact=impact,
                    level=residual.level,
                    finding_ids=(finding.finding_id,),
                    rationale=f"{residual.rationale}; driven by {finding.title}",
                    score=residual.score,
                )
                entries.append(
                    RegisterEntry(
                        risk=risk,
                        kind=_kind(finding),
                        vulnerability=finding.title,
                        inherent=inherent,
                        residual=residual,
                        control_ids=event.control_ids,
                        control_effect=effect,
                    )
                )
    return tuple(sorted(entries, key=entry_sort_key))


def build_register(
    assets: Sequence[Asset],
    findings: Sequence[Finding],
    threat_events: Mapping[str, ThreatEvent],
) -> tuple[Risk, ...]:
    """The ranked register's risks without control status (residual equals inherent).

    Returns:
        One :class:`Risk` per asset × threat event × finding, sorted by :func:`risk_sort_key`;
        its ``finding_ids`` hold that finding.
    """
    return tuple(e.risk for e in build_entries(assets, findings, threat_events))
