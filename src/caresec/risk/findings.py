"""Findings from vulnerability matches, not-assessed components and the inventory.

* ``vulnerability``: one per asset × vulnerability (``VULN-<asset>-<vulnerability>``), merging
  every component of that asset that has the vulnerability. Components not linked to any asset
  give one finding per vulnerability with no asset (``VULN-UNLINKED-<vulnerability>``); they enter
  no risk, since no asset means no impact to judge.
* ``lifecycle``: one per asset whose ``end_of_support`` is before the audit date
  (``EOS-<asset>``).
* ``not-assessed``: one per asset summarizing its components the matcher could not judge
  (``NA-<asset>``, or ``NA-UNLINKED``); no threat event, since unknown is not a finding of
  exposure, but never to be read as clean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from caresec.catalogs.loader import ThreatEvent
from caresec.model.asset import Asset
from caresec.model.finding import Evidence, Finding, NotAssessed, Severity, VulnerabilityMatch
from caresec.risk.likelihood import LIFECYCLE_SEVERITY
from caresec.risk.threats import TE_VULN_EXPLOIT, control_ids, vulnerability_threat_events

UNLINKED = "UNLINKED"
KIND_VULNERABILITY = "vulnerability"
KIND_LIFECYCLE = "lifecycle"
KIND_NOT_ASSESSED = "not-assessed"


def _component_label(match: VulnerabilityMatch) -> str:
    c = match.component
    return f"{c.name} {c.version}".strip()


def _match_evidence(match: VulnerabilityMatch) -> tuple[Evidence, ...]:
    c = match.component
    ident = c.purl or c.cpe or "no purl or CPE"
    evidence = [
        Evidence(
            collector="sbom",
            source=c.sbom_id,
            description=f"SBOM {c.sbom_id} lists {_component_label(match)} ({ident})",
        ),
        Evidence(
            collector="advisory",
            source=", ".join(match.advisory_ids) or match.vulnerability_id,
            description=f"{match.vulnerability_id} affects {_component_label(match)}"
            + (f": {match.basis}" if match.basis else ""),
        ),
    ]
    if match.kev is not None:
        ransomware = "; known ransomware campaign use" if match.kev.ransomware else ""
        evidence.append(
            Evidence(
                collector="kev",
                source="CISA KEV",
                description=f"{match.kev.cve_id} added to CISA KEV on "
                f"{match.kev.date_added.isoformat()}{ransomware}",
            )
        )
    if match.epss is not None:
        evidence.append(
            Evidence(
                collector="epss",
                source="FIRST EPSS",
                description=f"{match.epss.cve_id} EPSS {match.epss.epss:.4f}, "
                f"percentile {match.epss.percentile:.4f}",
            )
        )
    return tuple(evidence)


def _lead(matches: Sequence[VulnerabilityMatch]) -> VulnerabilityMatch:
    """The match that stands for the group: highest severity, then KEV, then EPSS, then key."""
    return min(
        matches,
        key=lambda m: (
            m.severity.rank,
            m.kev is None,
            -(m.epss.percentile if m.epss else -1.0),
            m.component.key,
        ),
    )


def vulnerability_finding(
    asset_id: str,
    asset: Asset | None,
    matches: Sequence[VulnerabilityMatch],
    threat_events: Mapping[str, ThreatEvent],
) -> Finding:
    """One ``vulnerability`` finding for one vulnerability on one asset.

    Args:
        asset_id: the asset id (``UNLINKED`` for components with no asset).
        asset: the inventory record, ``None`` when unlinked or not in the inventory.
        matches: the matches of the same vulnerability on the asset's components (non-empty).
        threat_events: the threat-event catalog (for control ids).
    """
    lead = _lead(matches)
    ordered = sorted(matches, key=lambda m: m.component.key)
    components = ", ".join(dict.fromkeys(_component_label(m) for m in ordered))
    te_ids = vulnerability_threat_events(matches, asset)
    title = f"{lead.vulnerability_id} in {components}"
    if asset is None and asset_id != UNLINKED:
        title += f" (asset {asset_id} is not in the inventory)"
    details: list[tuple[str, str]] = [("components", components)]
    if lead.cvss_score is not None:
        details.append(("cvss", f"{lead.cvss_score:.1f} {lead.cvss_vector}".strip()))
    fixed = list(dict.fromkeys(v for m in (lead, *ordered) for v in m.fixed_versions))
    details.append(("fixed versions", ", ".join(fixed) if fixed else "none known"))
    evidence = tuple(e for m in ordered for e in _match_evidence(m))
    return Finding(
        finding_id=f"VULN-{asset_id}-{lead.vulnerability_id}",
        kind=KIND_VULNERABILITY,
        title=title,
        asset_ids=() if asset_id == UNLINKED else (asset_id,),
        severity=lead.severity,
        evidence=tuple(dict.fromkeys(evidence)),
        threat_event_ids=te_ids,
        control_ids=control_ids(te_ids, threat_events),
        vulnerability=lead,
        details=tuple(details),
    )


def lifecycle_finding(
    asset: Asset, today: date, threat_events: Mapping[str, ThreatEvent]
) -> Finding | None:
    """A ``lifecycle`` finding when ``asset.end_of_support`` is before ``today``, else None."""
    eos = asset.end_of_support
    if eos is None or eos >= today:
        return None
    te_ids = (TE_VULN_EXPLOIT,)
    product = " ".join(p for p in (asset.vendor, asset.model, asset.version) if p) or asset.name
    return Finding(
        finding_id=f"EOS-{asset.asset_id}",
        kind=KIND_LIFECYCLE,
        title=f"{asset.name}: {product} past end of support since {eos.isoformat()}",
        asset_ids=(asset.asset_id,),
        severity=LIFECYCLE_SEVERITY,
        evidence=(
            Evidence(
                collector="inventory",
                source=asset.source,
                description=f"end of support {eos.isoformat()} is before the audit date "
                f"{today.isoformat()}: the vendor no longer fixes its vulnerabilities",
            ),
        ),
        threat_event_ids=te_ids,
        control_ids=control_ids(te_ids, threat_events),
        details=(("end of support", eos.isoformat()), ("days past", str((today - eos).days))),
    )


def not_assessed_finding(asset_id: str, items: Sequence[NotAssessed]) -> Finding:
    """One ``not-assessed`` finding summarizing an asset's components the matcher could not
    judge (severity ``unknown``, no threat event)."""
    reasons: dict[str, int] = defaultdict(int)
    for item in items:
        reasons[item.reason] += 1
    summary = "; ".join(f"{reason} ({n})" for reason, n in sorted(reasons.items()))
    evidence = tuple(
        dict.fromkeys(
            Evidence(
                collector="sbom",
                source=i.component.sbom_id,
                description=f"{i.component.name} {i.component.version}".strip() + f": {i.reason}",
            )
            for i in sorted(items, key=lambda i: i.component.key)
        )
    )
    count = len({i.component.key for i in items})
    where = "components not linked to an asset" if asset_id == UNLINKED else "components"
    return Finding(
        finding_id=f"NA-{asset_id}",
        kind=KIND_NOT_ASSESSED,
        title=f"{count} {where} could not be assessed for vulnerabilities",
        asset_ids=() if asset_id == UNLINKED else (asset_id,),
        severity=Severity.UNKNOWN,
        evidence=evidence,
        details=(("reasons", summary),),
    )


def build_findings(
    assets: Sequence[Asset],
    matches: Sequence[VulnerabilityMatch],
    not_assessed: Sequence[NotAssessed],
    *,
    today: date,
    threat_events: Mapping[str, ThreatEvent],
) -> tuple[Finding, ...]:
    """All findings of an audit, in a stable order.

    Order: for each asset in inventory order its lifecycle finding, its vulnerability findings
    (severity, then vulnerability id) and its not-assessed finding; then assets named by
    components but absent from the inventory; then unlinked components.

    Args:
        assets: the inventory.
        matches: vulnerability matches; ``match.component.asset_ids`` names the assets.
        not_assessed: components the matcher could not judge.
        today: the audit date (end-of-support comparison).
        threat_events: the threat-event catalog.
    """
    by_id = {a.asset_id: a for a in assets}
    vulns: dict[str, dict[str, list[VulnerabilityMatch]]] = defaultdict(lambda: defaultdict(list))
    for m in matches:
        for asset_id in m.component.asset_ids or (UNLINKED,):
            vulns[asset_id][m.vulnerability_id].append(m)
    unknown: dict[str, list[NotAssessed]] = defaultdict(list)
    for n in not_assessed:
        for asset_id in n.component.asset_ids or (UNLINKED,):
            unknown[asset_id].append(n)

    order = [a.asset_id for a in assets]
    extra = sorted((set(vulns) | set(unknown)) - set(order) - {UNLINKED})
    order += [*extra, UNLINKED]
    findings: list[Finding] = []
    for asset_id in order:
        asset = by_id.get(asset_id)
        if asset is not None:
            eos = lifecycle_finding(asset, today, threat_events)
            if eos is not None:
                findings.append(eos)
        group = [
            vulnerability_finding(asset_id, asset, ms, threat_events)
            for ms in vulns.get(asset_id, {}).values()
        ]
        findings.extend(sorted(group, key=lambda f: (f.severity.rank, f.finding_id)))
        if unknown.get(asset_id):
            findings.append(not_assessed_finding(asset_id, unknown[asset_id]))
    return tuple(findings)
