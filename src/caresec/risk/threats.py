"""Which threat events (catalogs/threat-events.yaml) a finding enables.

Rules (caresec's, documented in docs/risk-method.md):

* every vulnerability finding and every end-of-support finding → ``TE-VULN-EXPLOIT``;
* a vulnerability in CISA KEV with ``knownRansomwareCampaignUse`` = ``Known`` → also
  ``TE-RANSOMWARE``;
* a vulnerability on a medical device or IoT asset → also ``TE-MEDDEV-COMPROMISE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from caresec.catalogs.loader import ThreatEvent
from caresec.errors import CatalogError
from caresec.model.asset import Asset, AssetKind
from caresec.model.finding import VulnerabilityMatch

TE_VULN_EXPLOIT = "TE-VULN-EXPLOIT"
TE_RANSOMWARE = "TE-RANSOMWARE"
TE_MEDDEV_COMPROMISE = "TE-MEDDEV-COMPROMISE"
REQUIRED_THREAT_EVENTS = (TE_VULN_EXPLOIT, TE_RANSOMWARE, TE_MEDDEV_COMPROMISE)
DEVICE_KINDS = frozenset({AssetKind.MEDICAL_DEVICE, AssetKind.IOT})


def check_catalog(threat_events: Mapping[str, ThreatEvent]) -> None:
    """Ensure the threat events the risk engine names exist in the catalog.

    Raises:
        CatalogError: one of :data:`REQUIRED_THREAT_EVENTS` is missing.
    """
    missing = [te for te in REQUIRED_THREAT_EVENTS if te not in threat_events]
    if missing:
        raise CatalogError(f"threat-events.yaml lacks threat events: {', '.join(missing)}")


def vulnerability_threat_events(
    matches: Iterable[VulnerabilityMatch], asset: Asset | None
) -> tuple[str, ...]:
    """Threat event ids enabled by one vulnerability on one asset.

    Args:
        matches: the matches of the vulnerability on the asset (one per component).
        asset: the asset, or ``None`` when the component is not linked to a known asset.
    """
    events = [TE_VULN_EXPLOIT]
    if any(m.kev is not None and m.kev.ransomware for m in matches):
        events.append(TE_RANSOMWARE)
    if asset is not None and asset.kind in DEVICE_KINDS:
        events.append(TE_MEDDEV_COMPROMISE)
    return tuple(events)


def control_ids(
    threat_event_ids: Iterable[str], threat_events: Mapping[str, ThreatEvent]
) -> tuple[str, ...]:
    """HIPAA Security Rule citations of the safeguards against the given threat events, in
    catalog order, without duplicates."""
    seen: dict[str, None] = {}
    for te in threat_event_ids:
        for control in threat_events[te].control_ids:
            seen.setdefault(control, None)
    return tuple(seen)
