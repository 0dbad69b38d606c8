"""The evidence an audit collected, in the shape the evidence rules read.

:func:`build_context` turns the audit's records (inventory assets, SBOMs, findings, matches,
risks) into an :class:`EvidenceContext`. Pure: file dates are passed in, never read here.

Assumption (stated in docs/questionnaire.md): a known exploited vulnerability has been *known*
at least since the day CISA added it to the KEV catalog (``dateAdded``). The days it has been
open are therefore counted as ``today - dateAdded``, a lower bound: the CVE and its fix were
usually public earlier, so the true figure is at least this large.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from caresec.model.asset import Asset
from caresec.model.component import Sbom
from caresec.model.finding import Finding, FindingStatus, Severity, VulnerabilityMatch
from caresec.model.risk import Risk

# Collection activities the evidence rules know by name (``activities`` of build_context).
ACTIVITY_ACCESS_LOG_REVIEW = "access-log-review"
ACTIVITY_ENCRYPTION_CHECK = "encryption-check"
ACTIVITY_BACKUP_CHECK = "backup-check"

# Finding kinds as risk/findings.py names them.
KIND_VULNERABILITY = "vulnerability"
KIND_LIFECYCLE = "lifecycle"
KIND_NOT_ASSESSED = "not-assessed"


@dataclass(frozen=True, slots=True)
class KevExposure:
    """One open vulnerability finding whose vulnerability is in CISA KEV.

    Attributes:
        finding_id: the ``vulnerability`` finding.
        asset_id: the asset (``""`` for components linked to no asset).
        cve_id: the KEV CVE.
        date_added: KEV ``dateAdded``.
        days_known: ``today - date_added`` in days (a lower bound of the days open).
        severity: the finding's CVSS-based severity.
        holds_ephi: the asset holds ePHI (False when unlinked or not in the inventory).
        internet_facing: the asset is reachable from the internet.
        fix_available: the advisory names a fixed version.
        ransomware: KEV ``knownRansomwareCampaignUse`` is ``Known``.
    """

    finding_id: str
    asset_id: str
    cve_id: str
    date_added: date
    days_known: int
    severity: Severity
    holds_ephi: bool
    internet_facing: bool
    fix_available: bool
    ransomware: bool = False


@dataclass(frozen=True, slots=True)
class EvidenceContext:
    """Everything the evidence rules may look at.

    Attributes:
        today: the audit date.
        assets: the inventory, in file order.
        inventory_dates: inventory file (as displayed) → last modification date; empty when the
            caller did not provide them (currency then cannot be judged).
        sbom_asset_ids: assets named by at least one SBOM that was read.
        sbom_count: SBOMs read.
        component_count: components read from the SBOMs.
        match_count: component × vulnerability matches.
        findings: every finding of the audit.
        kev_open: open vulnerability findings whose vulnerability is in KEV.
        risk_count: risks in the register.
        activities: names of the collection activities that ran (``access-log-review`` …).
        previous_run: a previous caresec run exists for this organization.
    """

    today: date
    assets: tuple[Asset, ...] = ()
    inventory_dates: Mapping[str, date] = field(default_factory=dict)
    sbom_asset_ids: frozenset[str] = frozenset()
    sbom_count: int = 0
    component_count: int = 0
    match_count: int = 0
    findings: tuple[Finding, ...] = ()
    kev_open: tuple[KevExposure, ...] = ()
    risk_count: int = 0
    activities: frozenset[str] = frozenset()
    previous_run: bool = False

    @property
    def ephi_assets(self) -> tuple[Asset, ...]:
        """Assets that create, receive, keep or send ePHI (45 CFR 164.306(a))."""
        return tuple(a for a in self.assets if a.holds_ephi)

    def open_findings(self, kind: str) -> tuple[Finding, ...]:
        """Open findings of one kind (suppressed and accepted ones left out)."""
        return tuple(f for f in self.findings if f.kind == kind and f.status is FindingStatus.OPEN)


def _kev_exposures(
    findings: Sequence[Finding], assets: Mapping[str, Asset], today: date
) -> tuple[KevExposure, ...]:
    exposures: list[KevExposure] = []
    for f in findings:
        match = f.vulnerability
        if f.kind != KIND_VULNERABILITY or f.status is not FindingStatus.OPEN:
            continue
        if match is None or match.kev is None:
            continue
        asset_id = f.asset_ids[0] if f.asset_ids else ""
        asset = assets.get(asset_id)
        exposures.append(
            KevExposure(
                finding_id=f.finding_id,
                asset_id=asset_id,
                cve_id=match.kev.cve_id,
                date_added=match.kev.date_added,
                days_known=max(0, (today - match.kev.date_added).days),
                severity=f.severity,
                holds_ephi=asset is not None and asset.holds_ephi,
                internet_facing=asset is not None and asset.internet_facing,
                fix_available=bool(match.fixed_versions),
                ransomware=match.kev.ransomware,
            )
        )
    return tuple(sorted(exposures, key=lambda e: (-e.days_known, e.cve_id, e.asset_id)))


def build_context(
    *,
    assets: Sequence[Asset],
    sboms: Sequence[Sbom],
    findings: Sequence[Finding],
    matches: Sequence[VulnerabilityMatch],
    today: date,
    risks: Sequence[Risk] = (),
    inventory_mtimes: Mapping[str, date] | None = None,
    activities: frozenset[str] = frozenset(),
    previous_run: bool = False,
) -> EvidenceContext:
    """Build the :class:`EvidenceContext` of one audit (pure; see the module docstring for the
    KEV "known since" assumption).

    Args:
        assets: inventory assets.
        sboms: SBOMs read (their ``asset_ids`` give SBOM coverage).
        findings: the audit's findings (``risk.findings``).
        matches: vulnerability matches.
        today: the audit date.
        risks: the risk register.
        inventory_mtimes: inventory file → modification date, read by the caller.
        activities: collection activities that ran.
        previous_run: whether an earlier run exists.
    """
    by_id = {a.asset_id: a for a in assets}
    return EvidenceContext(
        today=today,
        assets=tuple(assets),
        inventory_dates=dict(inventory_mtimes or {}),
        sbom_asset_ids=frozenset(a for s in sboms for a in s.asset_ids),
        sbom_count=len(sboms),
        component_count=sum(len(s.components) for s in sboms),
        match_count=len(matches),
        findings=tuple(findings),
        kev_open=_kev_exposures(findings, by_id, today),
        risk_count=len(risks),
        activities=frozenset(activities),
        previous_run=previous_run,
    )
