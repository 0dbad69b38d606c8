"""Factories for risk-engine inputs, built by hand from public facts.

Facts used (each test names its own source too):
* CVE-2023-43208 (NextGen Healthcare Mirth Connect): CISA KEV dateAdded 2024-05-20, dueDate
  2024-06-10, knownRansomwareCampaignUse Known (CISA KEV catalog 2025.08.25); CVSS 3.1
  AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H 9.8 (CISA ADP, cisagov/vulnrichment); fixed in 4.4.1.
* CVE-2021-44228 (Apache Log4j2): CISA KEV dateAdded 2021-12-10, ransomware Known; CVSS 3.1
  AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H 10.0; GHSA-jfh8-c2jp-5v3q fixed 2.15.0 / 2.12.2 / 2.3.1.
* CVE-2021-33885 and CVE-2021-33884 (B. Braun SpaceCom 2 / Infusomat, ICSMA-21-294-01):
  CVSS 3.0 9.0 AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H and 6.5 AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N;
  not in CISA KEV 2025.08.25.
* CVE-2022-2119 (OFFIS DCMTK < 3.6.7): CVSS 3.1 7.5 AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H
  (CVE record); not in CISA KEV 2025.08.25.
EPSS numbers in these tests are constructed inputs placed on caresec's band edges, not FIRST's
published scores.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from caresec.model import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    Component,
    EpssScore,
    KevEntry,
    NetworkZone,
    Severity,
    VulnerabilityMatch,
)

MIRTH_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
LOG4SHELL_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
SPACECOM_33885_VECTOR = "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H"
SPACECOM_33884_VECTOR = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N"
DCMTK_VECTOR = "CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"

MIRTH_KEV = KevEntry(
    cve_id="CVE-2023-43208",
    date_added=date(2024, 5, 20),
    due_date=date(2024, 6, 10),
    ransomware=True,
    name="NextGen Healthcare Mirth Connect Deserialization of Untrusted Data Vulnerability",
)
LOG4SHELL_KEV = KevEntry(
    cve_id="CVE-2021-44228",
    date_added=date(2021, 12, 10),
    due_date=date(2021, 12, 24),
    ransomware=True,
    name="Apache Log4j2 Remote Code Execution Vulnerability",
)
# CVE-2022-22965 (Spring4Shell): CISA KEV dateAdded 2022-04-04, knownRansomwareCampaignUse Unknown.
SPRING_KEV = KevEntry(
    cve_id="CVE-2022-22965", date_added=date(2022, 4, 4), due_date=date(2022, 4, 25)
)


def asset(asset_id: str = "A-1", **kw: Any) -> Asset:
    """An asset with defaults: a business server, no ePHI, corporate zone."""
    base: dict[str, Any] = {
        "name": f"asset {asset_id}",
        "kind": AssetKind.SERVER,
        "criticality": ClinicalCriticality.BUSINESS,
        "network_zone": NetworkZone.CORPORATE,
        "source": f"inventory.csv:{asset_id}",
    }
    base.update(kw)
    return Asset(asset_id=asset_id, **base)


def component(
    name: str, version: str, *asset_ids: str, purl: str = "", sbom: str = "sboms/a.cdx.json"
) -> Component:
    return Component(
        bom_ref=f"{name}@{version}",
        name=name,
        version=version,
        purl=purl,
        sbom_id=sbom,
        asset_ids=asset_ids,
    )


def match(
    vuln: str,
    comp: Component,
    severity: Severity,
    *,
    score: float | None = None,
    vector: str = "",
    kev: KevEntry | None = None,
    epss_percentile: float | None = None,
    fixed: tuple[str, ...] = (),
) -> VulnerabilityMatch:
    epss = (
        None
        if epss_percentile is None
        else EpssScore(cve_id=vuln, epss=round(epss_percentile / 10, 4), percentile=epss_percentile)
    )
    return VulnerabilityMatch(
        component=comp,
        vulnerability_id=vuln,
        aliases=(),
        advisory_ids=(f"OSV-{vuln}",),
        summary="",
        severity=severity,
        cvss_score=score,
        cvss_vector=vector,
        fixed_versions=fixed,
        kev=kev,
        epss=epss,
        basis=f"version {comp.version} affected",
    )


@pytest.fixture
def make_asset() -> Callable[..., Asset]:
    return asset


@pytest.fixture
def make_component() -> Callable[..., Component]:
    return component


@pytest.fixture
def make_match() -> Callable[..., VulnerabilityMatch]:
    return match


class Facts:
    """The public facts above, for tests (conftest modules cannot be imported)."""

    MIRTH_VECTOR = MIRTH_VECTOR
    LOG4SHELL_VECTOR = LOG4SHELL_VECTOR
    SPACECOM_33885_VECTOR = SPACECOM_33885_VECTOR
    SPACECOM_33884_VECTOR = SPACECOM_33884_VECTOR
    DCMTK_VECTOR = DCMTK_VECTOR
    MIRTH_KEV = MIRTH_KEV
    LOG4SHELL_KEV = LOG4SHELL_KEV
    SPRING_KEV = SPRING_KEV


@pytest.fixture
def facts() -> type[Facts]:
    return Facts
