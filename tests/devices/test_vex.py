"""collect/vex.py, analyze/vex.py and report/vex.py on the CycloneDX VEX use cases
(CycloneDX/bom-examples VEX/Use-Cases, as archived in ../shared/data/vuln/cyclonedx-examples),
plus OpenVEX 0.2.0 and CSAF 2.0 VEX documents written for these tests."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from caresec.analyze.vex import apply_vex
from caresec.collect.vex import collect_vex, parse_vex, read_vex
from caresec.errors import InputError
from caresec.model import (
    Component,
    Finding,
    FindingStatus,
    Sbom,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.device import VexStatus
from caresec.report.vex import render_cyclonedx_vex

TODAY = date(2026, 11, 29)
CASES = "vuln/cyclonedx-examples/VEX/Use-Cases"


def _finding(vuln: str, name: str, version: str, *, purl: str = "", supplier: str = "",
             sbom_id: str = "s.json", asset: str = "A-1") -> Finding:
    component = Component(bom_ref=name, name=name, version=version, purl=purl,
                          supplier=supplier, sbom_id=sbom_id, asset_ids=(asset,))
    match = VulnerabilityMatch(component=component, vulnerability_id=vuln, aliases=(),
                               advisory_ids=(vuln,), summary="", severity=Severity.HIGH,
                               cvss_score=7.5, cvss_vector="", fixed_versions=())
    return Finding(finding_id=f"VULN-{asset}-{vuln}", kind="vulnerability", title=vuln,
                   asset_ids=(asset,), severity=Severity.HIGH, vulnerability=match)


def _case(shared: Path, case: int) -> Path:
    return shared / CASES / f"Case-{case}" / "vex.json"


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("case", "version", "status"),
    [
        # Case 1: CVE-2020-25649 not_affected (code_not_reachable) in Acme Product 2.4.0 only.
        (1, "2.4.0", FindingStatus.SUPPRESSED),
        (1, "2.5.0", FindingStatus.OPEN),
        # Case 2: exploitable in 2.4.0 — stays open.
        (2, "2.4.0", FindingStatus.OPEN),
        # Case 3: in_triage — stays open.
        (3, "2.4.0", FindingStatus.OPEN),
        # Case 4: not affected in vers:semver/>=2.2.0|<=2.4.0.
        (4, "2.3.0", FindingStatus.SUPPRESSED),
        (4, "2.5.0", FindingStatus.OPEN),
        # Case 5: exploitable in [1.5.0, 7.0.0), not affected below 1.5.0 and from 7.0.0.
        (5, "7.0.0", FindingStatus.SUPPRESSED),
        (5, "1.4.9", FindingStatus.SUPPRESSED),
        (5, "6.0.0", FindingStatus.OPEN),
        # Case 8: not affected in 2.0.0–2.7.0, 3.0.0–3.2.0, 3.8.0–4.1.0 and 5.9.0 only.
        (8, "3.1.0", FindingStatus.SUPPRESSED),
        (8, "5.9.0", FindingStatus.SUPPRESSED),
        (8, "3.5.0", FindingStatus.OPEN),
        # Case 10: not affected in the listed versions 2.2.0 … 2.4.0.
        (10, "2.3.4", FindingStatus.SUPPRESSED),
        (10, "2.3.8", FindingStatus.OPEN),
    ],
)
def test_cyclonedx_use_cases_on_acme_product(shared_data: Path, case: int, version: str,
                                             status: FindingStatus) -> None:
    statements, problems = read_vex(_case(shared_data, case))
    assert problems == []
    finding = _finding("CVE-2020-25649", "Acme Product", version)
    (result,) = apply_vex([finding], statements, today=TODAY)
    assert result.status is status
    mentioned = any(key == "vex" for key, _ in result.details)
    # A statement that applies is shown whatever it says; one about other versions is not.
    assert mentioned is (status is FindingStatus.SUPPRESSED or case in (2, 3, 5))


@pytest.mark.realdata
def test_case_3_maps_in_triage_to_under_investigation(shared_data: Path) -> None:
    (statement,), _ = read_vex(_case(shared_data, 3))
    assert statement.status is VexStatus.UNDER_INVESTIGATION
    assert statement.state == "in_triage"


@pytest.mark.realdata
def test_case_7_covers_every_product_of_the_supplier(shared_data: Path) -> None:
    # Case 7: no affects; the VEX's supplier is "Acme, Inc.".
    statements, _ = read_vex(_case(shared_data, 7))
    assert statements[0].products == () and statements[0].supplier == "Acme, Inc."
    acme = _finding("CVE-2020-25649", "Any Acme thing", "9", supplier="Acme, Inc.")
    other = _finding("CVE-2020-25649", "Other thing", "9", supplier="Other Corp")
    results = apply_vex([acme, other], statements, today=TODAY)
    assert [r.status for r in results] == [FindingStatus.SUPPRESSED, FindingStatus.OPEN]


@pytest.mark.realdata
def test_case_12_justification_per_vulnerability(shared_data: Path) -> None:
    statements, _ = read_vex(_case(shared_data, 12))
    by_id = {s.vulnerability_id: s for s in statements}
    assert by_id["CVE-2020-25649"].justification == "code_not_reachable"
    assert by_id["CVE-2020-14195"].justification == "protected_by_mitigating_control"
    assert by_id["CVE-2020-35491"].status is VexStatus.AFFECTED
    findings = [_finding(v, "Acme Product", "2.2.0")
                for v in ("CVE-2020-25649", "CVE-2020-14195", "CVE-2020-35491")]
    results = apply_vex(findings, statements, today=TODAY)
    assert [r.status for r in results] == [FindingStatus.SUPPRESSED, FindingStatus.SUPPRESSED,
                                           FindingStatus.OPEN]


@pytest.mark.realdata
def test_case_13_bom_links_by_product(shared_data: Path) -> None:
    # Case 13: not affected in acme-product-1 and -2 (BOM-Links), exploitable in -3.
    statements, _ = read_vex(_case(shared_data, 13))
    refs = {(s.status, p.ref) for s in statements for p in s.products}
    assert (VexStatus.NOT_AFFECTED, "acme-product-1") in refs
    assert (VexStatus.AFFECTED, "acme-product-3") in refs
    one = _finding("CVE-2020-25649", "acme-product-1", "1")
    three = _finding("CVE-2020-25649", "acme-product-3", "1")
    results = apply_vex([one, three], statements, today=TODAY)
    assert [r.status for r in results] == [FindingStatus.SUPPRESSED, FindingStatus.OPEN]


@pytest.mark.realdata
def test_top_level_vex_by_purl_bom_link(shared_data: Path) -> None:
    # VEX/vex.json: CVE-2020-25649 not affected in jackson-databind 2.10.0 (a BOM-Link whose
    # fragment is the purl pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0).
    statements, _ = read_vex(shared_data / "vuln/cyclonedx-examples/VEX/vex.json")
    purl = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar"
    hit = _finding("CVE-2020-25649", "jackson-databind", "2.10.0", purl=purl)
    miss = _finding("CVE-2020-25649", "jackson-databind", "2.12.0",
                    purl="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.12.0")
    results = apply_vex([hit, miss], statements, today=TODAY)
    assert [r.status for r in results] == [FindingStatus.SUPPRESSED, FindingStatus.OPEN]


def _org_statement_document(expires: str) -> dict[str, object]:
    return {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"supplier": {"name": "Riverside Community Hospital"}},
        "components": [{"type": "library", "name": "jackson-databind",
                        "bom-ref": "pkg:maven/com.fasterxml.jackson.core/jackson-databind",
                        "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind"}],
        "vulnerabilities": [{
            "id": "CVE-2020-36518",
            "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
            "affects": [{"ref": "pkg:maven/com.fasterxml.jackson.core/jackson-databind"}],
            "properties": [{"name": "caresec:vex:owner", "value": "Integration Services"},
                           {"name": "caresec:vex:expires", "value": expires},
                           {"name": "caresec:vex:scope", "value": "Mirth Connect"}]}],
    }


def _sbom(sbom_id: str, subject: str) -> Sbom:
    return Sbom(sbom_id=sbom_id, path=sbom_id, format="CycloneDX", spec_version="1.5",
                serialization="json", subject=subject, components=())


def test_organization_statement_carries_across_sbom_versions() -> None:
    statements, _ = parse_vex(_org_statement_document("2027-06-30"), source="org.cdx.json")
    sboms = [_sbom("mirth-4.3.json", "Mirth Connect 4.3.0"),
             _sbom("mirth-4.4.json", "Mirth Connect 4.4.0"),
             _sbom("pharmacy.json", "Dispensa Console Server 11.2.0")]
    base = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@"
    old = _finding("CVE-2020-36518", "jackson-databind", "2.12.3", purl=base + "2.12.3",
                   sbom_id="mirth-4.3.json", asset="HL7-01")
    new = _finding("CVE-2020-36518", "jackson-databind", "2.13.0", purl=base + "2.13.0",
                   sbom_id="mirth-4.4.json", asset="HL7-02")
    other_product = _finding("CVE-2020-36518", "jackson-databind", "2.13.1",
                             purl=base + "2.13.1", sbom_id="pharmacy.json", asset="PHARM")
    results = apply_vex([old, new, other_product], statements, today=TODAY, sboms=sboms)
    assert [r.status for r in results] == [FindingStatus.SUPPRESSED, FindingStatus.SUPPRESSED,
                                           FindingStatus.OPEN]
    detail = dict(results[0].details)["vex"]
    assert "owner Integration Services" in detail and "expires 2027-06-30" in detail


def test_expired_statement_no_longer_suppresses() -> None:
    statements, _ = parse_vex(_org_statement_document("2026-01-31"), source="org.cdx.json")
    finding = _finding("CVE-2020-36518", "jackson-databind", "2.12.3",
                       purl="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.12.3",
                       sbom_id="m.json")
    (result,) = apply_vex([finding], statements, today=TODAY,
                          sboms=[_sbom("m.json", "Mirth Connect 4.3.0")])
    assert result.status is FindingStatus.OPEN
    assert dict(result.details)["vex"].startswith("EXPIRED on 2026-01-31")


def test_suppression_needs_every_component_of_the_finding() -> None:
    statements, _ = parse_vex(_org_statement_document("2027-06-30"), source="org.cdx.json")
    covered = _finding("CVE-2020-36518", "jackson-databind", "2.12.3",
                       purl="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.12.3",
                       sbom_id="m.json")
    shaded = _finding("CVE-2020-36518", "shaded-jackson", "2.12.3",
                      purl="pkg:maven/org.example/shaded-jackson@2.12.3", sbom_id="m.json")
    assert covered.vulnerability is not None and shaded.vulnerability is not None
    matches = [covered.vulnerability, shaded.vulnerability]
    (result,) = apply_vex([covered], statements, today=TODAY, matches=matches,
                          sboms=[_sbom("m.json", "Mirth Connect 4.3.0")])
    assert result.status is FindingStatus.OPEN


def test_openvex_statements(fixtures: Path) -> None:
    statements, problems = read_vex(fixtures / "devices/openvex.json")
    assert problems == []
    assert [s.status for s in statements] == [VexStatus.NOT_AFFECTED, VexStatus.AFFECTED]
    first = statements[0]
    assert first.justification == "vulnerable_code_not_in_execute_path"
    assert first.scope == "pkg:oci/mirth-connect"
    finding = _finding("CVE-2020-36518", "jackson-databind", "2.12.3",
                       purl="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.12.3")
    (result,) = apply_vex([finding], statements[:1], today=TODAY)
    assert result.status is FindingStatus.OPEN  # scope: another product than this SBOM's


def test_csaf_vex_known_not_affected(fixtures: Path) -> None:
    statements, _ = read_vex(fixtures / "devices/csaf-vex.json")
    by_status = {s.status: s for s in statements}
    not_affected = by_status[VexStatus.NOT_AFFECTED]
    assert not_affected.justification == "vulnerable_code_not_present"
    assert not_affected.products[0].name == "Connex Vital Signs Monitor"
    assert not_affected.products[0].versions == ("2.43.02",)
    # A device component: the inventory's vendor and model, the advisory's vendor as supplier.
    fixed = _finding("CVE-2021-27410", "Hill-Rom Connex Vital Signs Monitor", "2.43.02",
                     supplier="Hillrom", sbom_id="inventory")
    older = _finding("CVE-2021-27410", "Hill-Rom Connex Vital Signs Monitor", "2.43.01",
                     supplier="Hillrom", sbom_id="inventory")
    results = apply_vex([fixed, older], statements, today=TODAY)
    assert [r.status for r in results] == [FindingStatus.SUPPRESSED, FindingStatus.OPEN]


def test_not_a_vex_document(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": "world"}', "utf-8")
    with pytest.raises(InputError):
        read_vex(path)
    statements, problems = collect_vex(tmp_path, tmp_path)
    assert statements == () and problems[0].file == "x.json"


def test_organization_vex_round_trip() -> None:
    statements, _ = parse_vex(_org_statement_document("2027-06-30"), source="org.cdx.json")
    sboms = [_sbom("m.json", "Mirth Connect 4.3.0")]
    suppressed = _finding("CVE-2020-36518", "jackson-databind", "2.12.3",
                          purl="pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.12.3",
                          sbom_id="m.json", asset="HL7-01")
    open_one = _finding("CVE-2021-44228", "log4j-core", "2.14.1",
                        purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                        sbom_id="m.json", asset="HL7-01")
    findings = apply_vex([suppressed, open_one], statements, today=TODAY, sboms=sboms)
    text = render_cyclonedx_vex(findings, statements, organization="Riverside",
                                timestamp=datetime(2026, 11, 29, tzinfo=UTC))
    document = json.loads(text)
    assert document["specVersion"] == "1.6"
    states = {v["id"]: v["analysis"]["state"] for v in document["vulnerabilities"]}
    assert states == {"CVE-2020-36518": "not_affected", "CVE-2021-44228": "in_triage"}
    assert render_cyclonedx_vex(findings, statements, organization="Riverside",
                                timestamp=datetime(2026, 11, 29, tzinfo=UTC)) == text
    again, _ = parse_vex(document, source="out.cdx.json")
    mine = [s for s in again if s.status is VexStatus.NOT_AFFECTED]
    assert mine[0].owner == "Integration Services"
    assert mine[0].expires == date(2027, 6, 30)
    assert mine[0].scope == "Mirth Connect"
    (reapplied,) = apply_vex([suppressed], mine, today=TODAY, sboms=sboms)
    assert reapplied.status is FindingStatus.SUPPRESSED
