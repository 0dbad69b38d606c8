"""Factories for control-evaluation inputs, built by hand from public facts.

Facts used:
* CVE-2021-44228 (Apache Log4j2, log4j-core 2.14.1): CISA KEV dateAdded 2021-12-10, ransomware
  use Known; CVSS 3.1 10.0 (critical); GHSA-jfh8-c2jp-5v3q fixed in 2.15.0 (also 2.12.2, 2.3.1).
* CVE-2020-11023 (jQuery < 3.5.0): CISA KEV dateAdded 2025-01-23; CVSS 3.1 6.9 (medium) in
  GHSA-jpcq-cgw6-v4j6; fixed in 3.5.0.
* Windows 7 end of extended support 2020-01-14 (Microsoft lifecycle).
* NPRM (90 FR 898): critical patches within 15 days, high within 30; inventory reviewed every
  12 months (hipaa-security-rule-nprm.yaml).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from caresec.catalogs.loader import load_threat_events
from caresec.model import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    Component,
    Finding,
    KevEntry,
    Severity,
    VulnerabilityMatch,
)
from caresec.risk.findings import build_findings

TODAY = date(2026, 11, 29)
LOG4SHELL_KEV = KevEntry("CVE-2021-44228", date(2021, 12, 10), date(2021, 12, 24), True)
JQUERY_KEV = KevEntry("CVE-2020-11023", date(2025, 1, 23), date(2025, 2, 13), False)
INVENTORY = {"inventory/assets.csv": TODAY}


def asset(asset_id: str, **kw: Any) -> Asset:
    """An asset: an application server holding ePHI, with owner and location, unless told."""
    base: dict[str, Any] = {
        "name": f"asset {asset_id}",
        "kind": AssetKind.SERVER,
        "criticality": ClinicalCriticality.CLINICAL_SUPPORT,
        "holds_ephi": True,
        "owner": "IT Infrastructure",
        "location": "Data Center A",
        "version": "1.0",
        "source": f"inventory/assets.csv:row {asset_id}",
    }
    base.update(kw)
    return Asset(asset_id=asset_id, **base)


def log4shell(
    asset_id: str = "HL7-01", *, kev: KevEntry | None = LOG4SHELL_KEV
) -> VulnerabilityMatch:
    """log4j-core 2.14.1 on ``asset_id`` affected by CVE-2021-44228."""
    comp = Component(
        bom_ref="log4j-core@2.14.1", name="log4j-core", version="2.14.1",
        purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        sbom_id="mirth-interface-engine.cdx.json", asset_ids=(asset_id,),
    )
    return VulnerabilityMatch(
        component=comp, vulnerability_id="CVE-2021-44228", aliases=("GHSA-jfh8-c2jp-5v3q",),
        advisory_ids=("GHSA-jfh8-c2jp-5v3q",), summary="Log4Shell", severity=Severity.CRITICAL,
        cvss_score=10.0, cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        fixed_versions=("2.15.0", "2.12.2", "2.3.1"), kev=kev,
    )


def jquery(asset_id: str = "PORTAL-WEB-01") -> VulnerabilityMatch:
    """jquery 3.4.1 on ``asset_id`` affected by CVE-2020-11023."""
    comp = Component(
        bom_ref="jquery@3.4.1", name="jquery", version="3.4.1", purl="pkg:npm/jquery@3.4.1",
        sbom_id="patient-portal-web.cdx.json", asset_ids=(asset_id,),
    )
    return VulnerabilityMatch(
        component=comp, vulnerability_id="CVE-2020-11023", aliases=("GHSA-jpcq-cgw6-v4j6",),
        advisory_ids=("GHSA-jpcq-cgw6-v4j6",), summary="jQuery XSS", severity=Severity.MEDIUM,
        cvss_score=6.9, cvss_vector="", fixed_versions=("3.5.0",), kev=JQUERY_KEV,
    )


def findings(
    assets: Sequence[Asset], matches: Sequence[VulnerabilityMatch] = (), today: date = TODAY
) -> tuple[Finding, ...]:
    """Findings as the risk engine builds them (caresec.risk.findings.build_findings)."""
    return build_findings(assets, matches, [], today=today, threat_events=load_threat_events())


@pytest.fixture
def kit() -> SimpleNamespace:
    """The factories and facts above, for tests (pytest runs with --import-mode=importlib, so
    test modules cannot import this file by name)."""
    return SimpleNamespace(
        TODAY=TODAY, LOG4SHELL_KEV=LOG4SHELL_KEV, JQUERY_KEV=JQUERY_KEV, INVENTORY=INVENTORY,
        asset=asset, log4shell=log4shell, jquery=jquery, findings=findings,
    )
