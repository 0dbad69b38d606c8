"""Lifecycle findings beyond the inventory's ``end_of_support`` column: SBOM components past
their end of support, and operating systems past their end of security support.

Pure: no files, no network (the OS dates are a shipped catalog, ``catalogs/os-lifecycle.yaml``).
The asset's own ``end_of_support`` finding (``EOS-<asset>``) is made by the risk engine
(:func:`caresec.risk.findings.lifecycle_finding`); this module adds, in the same form:

* ``EOS-<asset>-<component>``: a component (CycloneDX ``cdx:lifecycle:milestone:endOfSupport``,
  else ``endOfLife``, :mod:`caresec.collect.lifecycle`) whose date is before the audit date, on
  each asset that runs its SBOM;
* ``EOS-OS-<asset>``: the inventory ``os`` names an operating system whose end of security
  support (catalog) is before the audit date, when the asset's ``end_of_support`` does not
  already record that date or an earlier one (no double finding).

Both enable the threat event ``TE-VULN-EXPLOIT`` (no more fixes) and carry the HIPAA controls
the threat catalog names for it, as the risk engine's lifecycle findings do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache

from pydantic import BaseModel, ConfigDict

from caresec.catalogs.loader import (
    CatalogHeader,
    ThreatEvent,
    load_catalog,
    load_threat_events,
)
from caresec.collect.lifecycle import ComponentLifecycle
from caresec.model import Asset, Evidence, Finding, Sbom
from caresec.risk.likelihood import LIFECYCLE_SEVERITY
from caresec.risk.threats import TE_VULN_EXPLOIT, control_ids

__all__ = ["OsLifecycleCatalog", "lifecycle_findings", "os_end_of_support", "os_lifecycle"]


class _System(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    pattern: str
    end_of_support: date


class OsLifecycleCatalog(CatalogHeader):
    """``catalogs/os-lifecycle.yaml``."""

    systems: list[_System]


@cache
def os_lifecycle() -> OsLifecycleCatalog:
    """The shipped OS lifecycle catalog (cached).

    Raises:
        CatalogError: missing or invalid (a packaging bug).
    """
    return load_catalog("os-lifecycle", OsLifecycleCatalog)


def os_end_of_support(os_text: str, catalog: OsLifecycleCatalog | None = None
                      ) -> tuple[str, date] | None:
    """``(system name, end of support)`` of the first catalog entry whose pattern matches the
    inventory ``os`` text, or None."""
    for system in (catalog or os_lifecycle()).systems:
        if re.search(system.pattern, os_text, re.IGNORECASE):
            return system.name, system.end_of_support
    return None


def lifecycle_findings(
    assets: Sequence[Asset],
    sboms: Sequence[Sbom],
    lifecycles: Sequence[ComponentLifecycle],
    *,
    today: date,
    catalog: OsLifecycleCatalog | None = None,
    threat_events: Mapping[str, ThreatEvent] | None = None,
) -> list[Finding]:
    """Component and operating-system end-of-support findings, inventory order.

    Args:
        assets: the inventory.
        sboms: the SBOMs (their components carry the asset ids).
        lifecycles: component lifecycle dates (:mod:`caresec.collect.lifecycle`).
        today: the audit date.
        catalog: the OS lifecycle catalog (default: the shipped one).
        threat_events: the threat-event catalog (default: the shipped one).
    """
    events = threat_events or load_threat_events()
    controls = control_ids((TE_VULN_EXPLOIT,), events)
    by_sbom = {s.sbom_id: s for s in sboms}
    findings: list[Finding] = []
    for asset in assets:
        findings.extend(_os_finding(asset, today, catalog, controls))
        for record in lifecycles:
            sbom = by_sbom.get(record.sbom_id)
            eos = record.end_of_support
            if sbom is None or asset.asset_id not in sbom.asset_ids or eos is None or \
                    eos >= today:
                continue
            label = f"{record.name} {record.version}".strip()
            milestone = "endOfSupport" if dict(record.milestones).get("endOfSupport") else \
                "endOfLife"
            findings.append(Finding(
                finding_id=f"EOS-{asset.asset_id}-{record.bom_ref or label}",
                kind="lifecycle",
                title=f"{asset.name}: component {label} past end of support since "
                      f"{eos.isoformat()}",
                asset_ids=(asset.asset_id,),
                severity=LIFECYCLE_SEVERITY,
                evidence=(Evidence(
                    collector="sbom", source=f"{sbom.path} ({record.place})",
                    description=f"cdx:lifecycle:milestone:{milestone} {eos.isoformat()} is "
                                f"before the audit date {today.isoformat()}"),),
                threat_event_ids=(TE_VULN_EXPLOIT,),
                control_ids=controls,
                details=(("end of support", eos.isoformat()),
                         ("days past", str((today - eos).days)), ("component", label)),
            ))
    return findings


def _os_finding(asset: Asset, today: date, catalog: OsLifecycleCatalog | None,
                controls: tuple[str, ...]) -> list[Finding]:
    os_text = dict(asset.extra).get("os", "")
    found = os_end_of_support(os_text, catalog) if os_text else None
    if found is None:
        return []
    name, eos = found
    if eos >= today or (asset.end_of_support is not None and asset.end_of_support <= eos):
        return []
    return [Finding(
        finding_id=f"EOS-OS-{asset.asset_id}",
        kind="lifecycle",
        title=f"{asset.name}: {name} past end of security support since {eos.isoformat()}",
        asset_ids=(asset.asset_id,),
        severity=LIFECYCLE_SEVERITY,
        evidence=(Evidence(
            collector="inventory", source=asset.source,
            description=f"os {os_text!r} is {name}, whose support ended {eos.isoformat()} "
                        f"(catalogs/os-lifecycle.yaml), before the audit date "
                        f"{today.isoformat()}"),),
        threat_event_ids=(TE_VULN_EXPLOIT,),
        control_ids=controls,
        details=(("end of support", eos.isoformat()), ("days past", str((today - eos).days)),
                 ("operating system", name)),
    )]
