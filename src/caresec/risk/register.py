"""The risk register: one risk per asset × threat event (NIST SP 800-30 Rev. 1 Appendix I).

For each asset and each threat event its findings enable: likelihood is the highest overall
likelihood (Table G-5) among those findings, and the rationale names the finding that drives
it; impact comes from the asset (Table H-3 scale, :mod:`caresec.risk.impact`); the level of
risk is the Table I-2 cell, and the 0–100 score lies inside that level's Table I-3 range.
Risks are sorted highest level first, then score, then impact, then asset id and threat event id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from caresec.catalogs.loader import ThreatEvent
from caresec.catalogs.nist800_30 import load_nist_800_30
from caresec.model.asset import Asset
from caresec.model.finding import Finding
from caresec.model.risk import Assessed, Level, Risk
from caresec.risk.findings import KIND_LIFECYCLE, KIND_VULNERABILITY
from caresec.risk.impact import assess_impact
from caresec.risk.likelihood import lifecycle_likelihood, vulnerability_likelihood
from caresec.risk.scale import combine


def level_of_risk(likelihood: Assessed, impact: Assessed) -> tuple[Level, int, str]:
    """Level of risk by Table I-2 and its 0–100 score (Table I-3 range).

    Returns:
        ``(level, score, rationale)``, the rationale in the form
        ``Table I-2: likelihood high × impact moderate = moderate``.
    """
    level, score = combine(load_nist_800_30().level_of_risk, likelihood, impact)
    rationale = f"Table I-2: likelihood {likelihood.level} × impact {impact.level} = {level}"
    return level, score, rationale


def finding_likelihood(finding: Finding, asset: Asset) -> Assessed | None:
    """Overall likelihood (Table G-5) of the threat events ``finding`` enables on ``asset``;
    ``None`` for kinds that carry no likelihood (``not-assessed``)."""
    if finding.kind == KIND_VULNERABILITY and finding.vulnerability is not None:
        return vulnerability_likelihood(finding.vulnerability, asset)
    if finding.kind == KIND_LIFECYCLE:
        return lifecycle_likelihood(asset)
    return None


def _strongest(candidates: Sequence[tuple[Assessed, Finding]]) -> tuple[Assessed, Finding]:
    """The candidate with the highest likelihood (level, then score; ties by finding id)."""
    best = max(c[0].level.ordinal * 1000 + c[0].score for c in candidates)
    tied = [c for c in candidates if c[0].level.ordinal * 1000 + c[0].score == best]
    return min(tied, key=lambda c: c[1].finding_id)


def risk_sort_key(risk: Risk) -> tuple[int, int, int, int, str, str]:
    """Sort key: highest level, score and impact first; then asset id and threat event id."""
    return (
        -risk.level.ordinal,
        -risk.score,
        -risk.impact.level.ordinal,
        -risk.impact.score,
        risk.asset_id,
        risk.threat_event_id,
    )


def build_register(
    assets: Sequence[Asset],
    findings: Sequence[Finding],
    threat_events: Mapping[str, ThreatEvent],
) -> tuple[Risk, ...]:
    """The ranked risk register.

    Args:
        assets: the inventory; findings naming assets outside it enter no risk.
        findings: findings with ``threat_event_ids`` (others are ignored).
        threat_events: the threat-event catalog (titles).

    Returns:
        One :class:`Risk` per asset × threat event, sorted by :func:`risk_sort_key`; its
        ``finding_ids`` start with the finding that drives the likelihood, then the others
        sorted.
    """
    by_id = {a.asset_id: a for a in assets}
    groups: dict[tuple[str, str], list[tuple[Assessed, Finding]]] = defaultdict(list)
    for finding in findings:
        for asset_id in finding.asset_ids:
            asset = by_id.get(asset_id)
            if asset is None:
                continue
            likelihood = finding_likelihood(finding, asset)
            if likelihood is None:
                continue
            for te in finding.threat_event_ids:
                groups[(asset_id, te)].append((likelihood, finding))

    risks: list[Risk] = []
    for (asset_id, te), candidates in groups.items():
        asset = by_id[asset_id]
        likelihood, driver = _strongest(candidates)
        impact = assess_impact(asset)
        level, score, rationale = level_of_risk(likelihood, impact)
        others = sorted({f.finding_id for _, f in candidates} - {driver.finding_id})
        more = f" (+{len(others)} more finding(s))" if others else ""
        risks.append(
            Risk(
                risk_id=f"RISK-{asset_id}-{te}",
                asset_id=asset_id,
                threat_event_id=te,
                threat_event=threat_events[te].title,
                likelihood=likelihood,
                impact=impact,
                level=level,
                finding_ids=(driver.finding_id, *others),
                rationale=f"{rationale}; driven by {driver.title}{more}",
                score=score,
            )
        )
    return tuple(sorted(risks, key=risk_sort_key))
