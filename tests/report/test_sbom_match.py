"""JSON rendering of ``caresec sbom match`` (a pure function of model records)."""

from __future__ import annotations

import json
from datetime import date

from caresec.model import (
    Component,
    EpssScore,
    FeedSummary,
    InputProblem,
    KevEntry,
    NotAssessed,
    Sbom,
    Severity,
    VulnerabilityMatch,
)
from caresec.report.sbom_match import render_sbom_match_json


def test_every_field_is_rendered() -> None:
    log4j = Component(bom_ref="log4j", name="log4j-core", version="2.14.1",
                      purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    dcmtk = Component(bom_ref="dcmtk", name="dcmtk", version="3.6.6")
    sbom = Sbom(sbom_id="pacs.cdx.json", path="sboms/pacs.cdx.json", format="CycloneDX",
                spec_version="1.5", serialization="json", subject="PACS", components=(log4j, dcmtk))
    # KEV values as CISA's catalog 2025.08.25 states them for CVE-2021-44228.
    kev = KevEntry("CVE-2021-44228", date(2021, 12, 10), date(2021, 12, 24), True,
                   "Apache Log4j2 Remote Code Execution Vulnerability")
    match = VulnerabilityMatch(
        component=log4j, vulnerability_id="CVE-2021-44228", aliases=("GHSA-jfh8-c2jp-5v3q",),
        advisory_ids=("GHSA-jfh8-c2jp-5v3q",), summary="Log4Shell", severity=Severity.CRITICAL,
        cvss_score=10.0, cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        fixed_versions=("2.15.0",), kev=kev, epss=EpssScore("CVE-2021-44228", 0.9, 0.99),
        basis="log4j-core 2.14.1 is in [2.13.0, 2.15.0)",
    )
    text = render_sbom_match_json(
        sbom, [match], [NotAssessed(dcmtk, "no purl or CPE")],
        [FeedSummary("kev.json", "ab" * 32, 1404, "2025-08-25T00:00:00+00:00")],
        [InputProblem("feeds/osv/x.json", "/id", "missing or empty 'id'", collector="osv")],
    )
    assert text.endswith("}\n")
    document = json.loads(text)
    assert document["sbom"] == {"path": "sboms/pacs.cdx.json", "format": "CycloneDX",
                                "spec_version": "1.5", "components": 2}
    (rendered,) = document["matches"]
    assert rendered["component"] == {"purl": log4j.purl, "bom_ref": "log4j",
                                     "name": "log4j-core", "version": "2.14.1"}
    assert rendered["vulnerability"]["id"] == "CVE-2021-44228"
    assert rendered["vulnerability"]["aliases"] == ["GHSA-jfh8-c2jp-5v3q"]
    assert rendered["severity"] == "critical" and rendered["cvss_score"] == 10.0
    assert rendered["kev"] == {"date_added": "2021-12-10", "due_date": "2021-12-24",
                               "ransomware": True,
                               "name": "Apache Log4j2 Remote Code Execution Vulnerability"}
    assert rendered["epss"] == {"epss": 0.9, "percentile": 0.99}
    assert rendered["fixed_versions"] == ["2.15.0"]
    assert document["not_assessed"] == [{
        "component": {"purl": "", "bom_ref": "dcmtk", "name": "dcmtk", "version": "3.6.6"},
        "reason": "no purl or CPE"}]
    assert document["feeds"][0]["records"] == 1404
    assert document["problems"] == [{"file": "feeds/osv/x.json", "place": "/id",
                                     "message": "missing or empty 'id'", "severity": "error",
                                     "collector": "osv"}]
