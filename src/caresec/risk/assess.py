"""The risk stage's entry point: findings and the ranked register from model records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from caresec.catalogs.loader import ThreatEvent, load_threat_events
from caresec.model.asset import Asset
from caresec.model.finding import Finding, NotAssessed, VulnerabilityMatch
from caresec.model.risk import Risk
from caresec.risk.findings import build_findings
from caresec.risk.register import build_register
from caresec.risk.threats import check_catalog


def assess(
    assets: Sequence[Asset],
    matches: Sequence[VulnerabilityMatch],
    not_assessed: Sequence[NotAssessed],
    *,
    today: date,
    threat_events: Mapping[str, ThreatEvent] | None = None,
) -> tuple[tuple[Finding, ...], tuple[Risk, ...]]:
    """Turn matches and the inventory into findings and a NIST SP 800-30 Rev. 1 risk register.

    Pure: no clock, no network, no files beyond the shipped catalogs.

    Args:
        assets: inventory assets.
        matches: vulnerability matches (one per component × vulnerability).
        not_assessed: components the matcher could not judge.
        today: the audit date, for end-of-support findings (pass it in; never read the clock).
        threat_events: the threat-event catalog; defaults to the shipped one.

    Returns:
        ``(findings, risks)``: findings in a stable order (see
        :func:`caresec.risk.findings.build_findings`) and risks ranked highest first.

    Raises:
        CatalogError: a shipped catalog is invalid or lacks a threat event the engine names.
    """
    events = load_threat_events() if threat_events is None else threat_events
    check_catalog(events)
    findings = build_findings(assets, matches, not_assessed, today=today, threat_events=events)
    return findings, build_register(assets, findings, events)
