"""analyze/cpe.py and collect/nvd.py: CPE 2.3 applicability, one regression test per guard.

Criteria shapes follow the NVD CVE API 2.0 ``configurations`` schema and CPE matching follows
NISTIR 7696 §6.2; version facts are those of the CVEs named in each case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from caresec.analyze.cpe import (
    CPE_PENDING_REASON,
    compare_versions,
    components_matching,
    cpe_matches_criterion,
    match_cpe,
    replace_cpe_pending,
)
from caresec.collect.nvd import collect_cve_records, parse_cve_json, read_cve_file
from caresec.errors import InputError
from caresec.model import Component, NotAssessed, Severity
from caresec.model.device import CpeConfiguration, CpeCriterion, CpeNode, CveRecord


def _component(cpe: str, purl: str = "", version: str = "", ref: str = "c") -> Component:
    return Component(bom_ref=ref, name=ref, version=version, purl=purl, cpe=cpe, sbom_id="s.json",
                     asset_ids=("A-1",))


def _record(cve: str, *nodes: CpeNode, operator: str = "OR") -> CveRecord:
    return CveRecord(cve_id=cve, summary="", record_format="NVD API 2.0", source="test",
                     configurations=(CpeConfiguration(nodes=nodes, operator=operator),))


# CVE-2022-42889 (Apache Commons Text): versions 1.5 up to (excluding) 1.10.0.
COMMONS_TEXT = CpeCriterion("cpe:2.3:a:apache:commons_text:*:*:*:*:*:*:*:*",
                            version_start_including="1.5", version_end_excluding="1.10.0")


# --- guard 1: a wildcard vendor never matches a purl-typed component ------------------------


def test_guard_wildcard_vendor_never_matches_a_purl_component() -> None:
    wildcard = CpeCriterion("cpe:2.3:a:*:commons_text:*:*:*:*:*:*:*:*",
                            version_end_excluding="1.10.0")
    with_purl = _component("cpe:2.3:a:apache:commons_text:1.9:*:*:*:*:*:*:*",
                           purl="pkg:maven/org.apache.commons/commons-text@1.9")
    cpe_only = _component("cpe:2.3:a:apache:commons_text:1.9:*:*:*:*:*:*:*")
    matched, reason = cpe_matches_criterion(with_purl, wildcard)
    assert not matched and "guard 1" in reason
    assert cpe_matches_criterion(cpe_only, wildcard)[0]


# --- guard 2: running on/with platforms are not vulnerable targets --------------------------


def test_guard_running_on_platform_is_not_a_target() -> None:
    # NVD writes "application X running on OS Y" as an AND configuration: the application's
    # criterion vulnerable=true, the platform's vulnerable=false.
    record = _record(
        "CVE-2023-43208",
        CpeNode("OR", (CpeCriterion("cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*",
                                    version_end_excluding="4.4.1"),)),
        CpeNode("OR", (CpeCriterion("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*",
                                    vulnerable=False),)),
        operator="AND",
    )
    platform = _component("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", ref="windows")
    application = _component("cpe:2.3:a:nextgen:mirth_connect:4.3.0:*:*:*:*:*:*:*", ref="mirth")
    matches, not_assessed = match_cpe([platform, application], [record], {}, {})
    assert [m.component.bom_ref for m in matches] == ["mirth"]
    assert "running on/with cpe:2.3:o:microsoft:windows" in matches[0].basis
    assert not_assessed == []


# --- guard 3: NA (-) is not ANY (*) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("component_cpe", "criterion", "matched"),
    [
        # A component version "-" (not applicable) lies in no version range.
        ("cpe:2.3:a:nextgen:mirth_connect:-:*:*:*:*:*:*:*",
         CpeCriterion("cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*",
                      version_end_excluding="4.4.1"), False),
        # A criterion version "-" matches only "-".
        ("cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*",
         CpeCriterion("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"), False),
        ("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*",
         CpeCriterion("cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"), True),
        # NA in another attribute: update "-" is not update "sp1".
        ("cpe:2.3:o:microsoft:windows_7:-:-:*:*:*:*:*:*",
         CpeCriterion("cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*"), False),
        # ANY in the criterion covers NA in the component.
        ("cpe:2.3:o:microsoft:windows_7:-:-:*:*:*:*:*:*",
         CpeCriterion("cpe:2.3:o:microsoft:windows_7:-:*:*:*:*:*:*:*"), True),
    ],
)
def test_guard_na_is_not_any(component_cpe: str, criterion: CpeCriterion, matched: bool) -> None:
    assert cpe_matches_criterion(_component(component_cpe), criterion)[0] is matched


# --- guard 4: a purl namespace that contradicts the CPE vendor blocks the match --------------


@pytest.mark.parametrize(
    ("purl", "matched"),
    [
        ("pkg:maven/org.apache.commons/commons-text@1.9", True),
        ("pkg:maven/com.example.fork/commons-text@1.9", False),
    ],
)
def test_guard_purl_namespace_contradicting_vendor(purl: str, matched: bool) -> None:
    component = _component("cpe:2.3:a:apache:commons_text:1.9:*:*:*:*:*:*:*", purl=purl)
    result, reason = cpe_matches_criterion(component, COMMONS_TEXT)
    assert result is matched
    if not matched:
        assert "guard 4" in reason


# --- guard 5: ecosystems stay isolated ----------------------------------------------------------


@pytest.mark.parametrize(
    ("purl", "matched"),
    [("pkg:npm/lodash@4.17.15", True), ("pkg:pypi/lodash@4.17.15", False)],
)
def test_guard_ecosystems_stay_isolated(purl: str, matched: bool) -> None:
    # CVE-2021-23337 (lodash command injection): NVD names the node.js package,
    # cpe:2.3:a:lodash:lodash:*:*:*:*:*:node.js:*:*, versions before 4.17.21.
    criterion = CpeCriterion("cpe:2.3:a:lodash:lodash:*:*:*:*:*:node.js:*:*",
                             version_end_excluding="4.17.21")
    component = _component("cpe:2.3:a:lodash:lodash:4.17.15:*:*:*:*:node.js:*:*", purl=purl)
    result, reason = cpe_matches_criterion(component, criterion)
    assert result is matched
    if not matched:
        assert "guard 5" in reason


# --- guard 6: letter-suffixed and non-semver versions order correctly -------------------------


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.1.1k", "1.1.1l"),  # OpenSSL letter releases
        ("1.1.1", "1.1.1k"),
        ("10.4.3", "10.4.10"),  # FreeRTOS-style numeric parts, not text
        ("2.0.0-beta", "2.0.0"),  # SemVer 2.0.0 §11: a pre-release precedes its release
        ("2.0.0-beta", "2.0.0-rc1"),
        ("B.06.17", "B.06.18"),  # Philips IntelliVue revision letters (ICSMA-17-255-01)
        ("2.43.01", "2.43.02"),  # Welch Allyn CVSM (ICSMA-21-152-01)
    ],
)
def test_guard_version_order(lower: str, higher: str) -> None:
    assert compare_versions(lower, higher) == -1
    assert compare_versions(higher, lower) == 1


def test_guard_openssl_letter_release_range() -> None:
    # CVE-2021-3711 (OpenSSL SM2 decryption overflow): 1.1.1 through 1.1.1k; fixed in 1.1.1l.
    criterion = CpeCriterion("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
                             version_start_including="1.1.1", version_end_excluding="1.1.1l")
    for version, affected in (("1.1.1", True), ("1.1.1k", True), ("1.1.1l", False),
                              ("1.1.0l", False)):
        component = _component(f"cpe:2.3:a:openssl:openssl:{version}:*:*:*:*:*:*:*")
        assert cpe_matches_criterion(component, criterion)[0] is affected, version


# --- guard 7: a CPE-only component is judged alone and never aborts the file -----------------


def test_guard_each_component_alone() -> None:
    record = _record("CVE-2022-42889", CpeNode("OR", (COMMONS_TEXT,)))
    bad_cpe = Component(bom_ref="bad", name="bad", version="1", cpe="cpe:2.3:a:broken",
                        sbom_id="s.json")
    no_version = _component("cpe:2.3:a:apache:commons_text:*:*:*:*:*:*:*:*", ref="nover")
    good = _component("cpe:2.3:a:apache:commons_text:1.9:*:*:*:*:*:*:*", ref="good")
    matches, not_assessed = match_cpe([bad_cpe, no_version, good], [record], {}, {})
    assert [m.component.bom_ref for m in matches] == ["good"]
    assert matches[0].fixed_versions == ("1.10.0",)
    assert sorted(n.component.bom_ref for n in not_assessed) == ["bad", "nover"]


def test_no_double_report_of_an_osv_match() -> None:
    record = _record("CVE-2022-42889", CpeNode("OR", (COMMONS_TEXT,)))
    good = _component("cpe:2.3:a:apache:commons_text:1.9:*:*:*:*:*:*:*", ref="good")
    first, _ = match_cpe([good], [record], {}, {})
    again, _ = match_cpe([good], [record], {}, {}, already=first)
    assert len(first) == 1 and again == []


def test_replace_cpe_pending() -> None:
    cpe_only = _component("cpe:2.3:a:nextgen:mirth_connect:4.3.0:*:*:*:*:*:*:*")
    other = _component("", ref="x")
    osv = [NotAssessed(cpe_only, CPE_PENDING_REASON), NotAssessed(other, "no version")]
    assert [n.reason for n in replace_cpe_pending(osv, [])] == ["no version"]


# --- CVE JSON 5 and NVD API 2.0 records ---------------------------------------------------------


@pytest.mark.realdata
def test_cve5_record_with_structured_range(shared_data: Path) -> None:
    # CVE-2022-2119 (cvelistV5): affected OFFIS / DCMTK, lessThan 3.6.7, no CPE given; the
    # vendor and product names stand in for a CPE.
    (record,), problems = read_cve_file(shared_data / "vuln/cve-records/CVE-2022-2119"
                                        ".cvelistV5.json")
    assert problems == []
    assert record.cwe_ids == ("CWE-22",)
    affected = _component("cpe:2.3:a:offis:dcmtk:3.6.6:*:*:*:*:*:*:*", ref="dcmtk")
    fixed = _component("cpe:2.3:a:offis:dcmtk:3.6.7:*:*:*:*:*:*:*", ref="fixed")
    matches, _ = match_cpe([affected, fixed], [record], {}, {})
    assert [m.component.bom_ref for m in matches] == ["dcmtk"]
    assert matches[0].fixed_versions == ("3.6.7",)
    assert matches[0].severity is Severity.HIGH


@pytest.mark.realdata
def test_cve5_vulnrichment_adp_facts(shared_data: Path) -> None:
    # CVE-2023-43208 (cisagov/vulnrichment): the CNA's affected product is n/a; the CISA ADP
    # adds CVSS 3.1 9.8, KEV dateAdded 2024-05-20 and SSVC active / yes / total.
    (record,), problems = read_cve_file(shared_data / "vuln/cve-records/CVE-2023-43208"
                                        ".vulnrichment.json")
    assert record.configurations == ()
    assert "n/a" in problems[0].message
    assert record.kev_date_added is not None and record.kev_date_added.isoformat() == \
        "2024-05-20"
    assert record.ssvc is not None
    assert (record.ssvc.exploitation, record.ssvc.automatable, record.ssvc.technical_impact) \
        == ("active", "yes", "total")
    assert record.cwe_ids == ("CWE-502",)


def test_example_mirth_record_matches_the_cpe_only_component(example: Path) -> None:
    records, problems = collect_cve_records(example / "feeds/nvd", example)
    assert problems == ()
    mirth = _component("cpe:2.3:a:nextgen:mirth_connect:4.3.0:*:*:*:*:*:*:*", ref="mirth")
    patched = _component("cpe:2.3:a:nextgen:mirth_connect:4.4.1:*:*:*:*:*:*:*", ref="patched")
    matches, _ = match_cpe([mirth, patched], records, {}, {})
    assert [m.component.bom_ref for m in matches] == ["mirth"]
    match = matches[0]
    assert match.vulnerability_id == "CVE-2023-43208"
    assert match.cvss_score == 9.8 and match.severity is Severity.CRITICAL
    assert match.kev is not None and match.kev.date_added.isoformat() == "2024-05-20"


def test_nvd_api_json(fixtures: Path) -> None:
    (record,), problems = read_cve_file(fixtures / "devices/nvd.api2.running-on.json")
    assert problems == []
    (configuration,) = record.configurations
    assert configuration.operator == "AND"
    assert [c.vulnerable for n in configuration.nodes for c in n.matches] == [True, False]
    assert record.kev_date_added is not None


def test_not_a_cve_document() -> None:
    with pytest.raises(InputError):
        parse_cve_json({"hello": 1}, source="x.json")
    records, problems = parse_cve_json(
        {"cveMetadata": {"cveId": "CVE-2020-0001", "state": "REJECTED"}}, source="r.json")
    assert records == [] and "REJECTED" in problems[0].message


def test_inventory_where_queries() -> None:
    components = [
        _component("", purl="pkg:conan/openssl@1.1.1k", ref="pump-openssl"),
        _component("", purl="pkg:conan/zlib@1.2.11", ref="pump-zlib"),
        _component("cpe:2.3:a:nextgen:mirth_connect:4.3.0:*:*:*:*:*:*:*", ref="mirth"),
    ]
    assert [c.bom_ref for c in components_matching("pkg:conan/openssl", components)] == \
        ["pump-openssl"]
    assert components_matching("pkg:conan/openssl@1.1.1l", components) == []
    assert [c.bom_ref for c in components_matching(
        "cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*", components)] == ["mirth"]
    with pytest.raises(ValueError):
        components_matching("openssl", components)
