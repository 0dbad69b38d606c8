"""SBOM reading on caresec's own fixtures (tests/fixtures/collect/sboms/), written for these tests:
CycloneDX 1.6 with nesting and CPEs, slightly-off CycloneDX read leniently, SPDX 2.3 JSON and
tag-value with purl and CPE references (SPDX 2.3 Annex F external reference types)."""

from __future__ import annotations

from pathlib import Path

import pytest

from caresec.collect._cpe import to_cpe23
from caresec.collect.sbom import read_sbom
from caresec.model import ProblemSeverity, Sbom

SBOMS = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "sboms"


def read(name: str) -> Sbom:
    return read_sbom(SBOMS / name, sbom_id=name, display=f"sboms/{name}")


def test_cyclonedx_16_nested_components_flattened_in_document_order() -> None:
    sbom = read("cyclonedx-1.6.infusion-pump.cdx.json")
    assert (sbom.format, sbom.spec_version, sbom.serialization) == ("CycloneDX", "1.6", "json")
    assert sbom.subject == "IP-200 infusion pump 3.2.1"  # metadata.component, not a component
    assert sbom.path == "sboms/cyclonedx-1.6.infusion-pump.cdx.json"
    assert sbom.problems == ()
    rows = [(c.bom_ref, c.name, c.version, c.purl, c.cpe, c.supplier) for c in sbom.components]
    assert rows == [
        ("ip-200-firmware", "ip-200-firmware", "3.2.1", "",
         # a CPE 2.2 URI, converted to 2.3 (NISTIR 7695 §6.1.3 then §6.2.2)
         "cpe:2.3:o:example_medical:ip-200_firmware:3.2.1:*:*:*:*:*:*:*", "Example Medical"),
        ("busybox", "busybox", "1.31.1", "pkg:generic/busybox@1.31.1",
         "cpe:2.3:a:busybox:busybox:1.31.1:*:*:*:*:*:*:*", ""),
        # no bom-ref in the file: generated from its place in the flattened list
        ("component-2", "openssl", "1.0.2k", "", "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*",
         "OpenSSL Software Foundation"),
        ("pump-gateway", "pump-gateway", "2.0.0", "", "", ""),
        ("pkg:pypi/urllib3@1.24.1", "urllib3", "1.24.1", "pkg:pypi/urllib3@1.24.1", "", ""),
    ]
    assert {c.sbom_id for c in sbom.components} == {"cyclonedx-1.6.infusion-pump.cdx.json"}
    assert sbom.components[2].key == "cyclonedx-1.6.infusion-pump.cdx.json#component-2"


def test_cyclonedx_json_read_leniently_names_each_bad_value() -> None:
    sbom = read("cyclonedx-1.5.lenient.json")
    display = "sboms/cyclonedx-1.5.lenient.json"
    assert sbom.subject == "nurse-call-server 7.4"
    assert [(c.bom_ref, c.name, c.purl) for c in sbom.components] == [
        ("jackson-databind", "jackson-databind",
         "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10"),
        ("log4j-core", "log4j-core", ""),  # invalid purl dropped, component kept
        ("component-2", "base-image", "pkg:docker/library/alpine@3.18"),
        ("jackson-databind~2", "jackson-databind",
         "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10"),
    ]  # /components/3 has no name, purl or valid CPE: skipped
    assert all(p.file == display and p.severity is ProblemSeverity.WARNING
               for p in sbom.problems)
    assert [p.place for p in sbom.problems] == [
        "", "/components/1/purl", "/components/2/components/0", "/components/3/cpe",
        "/components/3"]
    assert sbom.problems[0].message.startswith("parsed leniently: cyclonedx-python-lib rejected")
    assert "maven:org.apache.logging.log4j:log4j-core:2.14.1" in sbom.problems[0].message
    assert "invalid purl 'maven:org.apache.logging.log4j:log4j-core:2.14.1'" in (
        sbom.problems[1].message)


def test_cyclonedx_xml_read_leniently() -> None:
    sbom = read("cyclonedx-1.4.lenient.xml")
    assert (sbom.spec_version, sbom.serialization, sbom.subject) == (
        "1.4", "xml", "lab-results-portal 5.1")
    assert [(c.bom_ref, c.name, c.version, c.purl, c.supplier) for c in sbom.components] == [
        ("pkg:pypi/urllib3@1.24.1", "urllib3", "1.24.1", "pkg:pypi/urllib3@1.24.1", ""),
        ("bad-purl", "requests", "2.19.1", "", ""),
        ("component-2", "certifi", "2018.4.16", "pkg:pypi/certifi@2018.4.16",
         "Python Software Foundation"),
    ]
    assert [p.place for p in sbom.problems] == ["", "/bom/components/component[2]/purl"]


@pytest.mark.parametrize(
    ("name", "serialization"),
    [("spdx23.pacs-viewer.spdx.json", "json"), ("spdx23.pacs-viewer.spdx", "tag-value")],
)
def test_spdx_23(name: str, serialization: str) -> None:
    sbom = read(name)
    assert (sbom.format, sbom.spec_version, sbom.serialization) == ("SPDX", "2.3", serialization)
    assert sbom.subject == "pacs-viewer 4.2.0"  # the package the document DESCRIBES
    assert sbom.problems == ()
    rows = [(c.bom_ref, c.name, c.version, c.purl, c.cpe, c.supplier) for c in sbom.components]
    assert rows == [
        ("SPDXRef-Package-pacs-viewer", "pacs-viewer", "4.2.0", "", "", "Example Imaging Inc."),
        ("SPDXRef-Package-log4j-core", "log4j-core", "2.14.1",
         "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
         "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*", "The Apache Software Foundation"),
        # JSON fixture spells the category PACKAGE_MANAGER (SPDX 2.2 JSON style)
        ("SPDXRef-Package-urllib3", "urllib3", "1.24.1", "pkg:pypi/urllib3@1.24.1", "", ""),
        # only a cpe22Type reference: converted to CPE 2.3
        ("SPDXRef-Package-dcmtk", "dcmtk", "3.6.6", "",
         "cpe:2.3:a:offis:dcmtk:3.6.6:*:*:*:*:*:*:*", "OFFIS e.V."),
    ]


def test_spdx_invalid_purl_is_a_warning(tmp_path: Path) -> None:
    text = (SBOMS / "spdx23.pacs-viewer.spdx").read_text(encoding="utf-8").replace(
        "pkg:pypi/urllib3@1.24.1", "pypi:urllib3:1.24.1")
    path = tmp_path / "viewer.spdx"
    path.write_text(text, encoding="utf-8")
    sbom = read_sbom(path, sbom_id="viewer.spdx", display="sboms/viewer.spdx")
    urllib3 = next(c for c in sbom.components if c.name == "urllib3")
    assert urllib3.purl == ""
    assert [(p.place, p.severity) for p in sbom.problems] == [
        ("SPDXRef-Package-urllib3 externalRef purl", ProblemSeverity.WARNING)]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # The two names NISTIR 7695 binds both ways in its §6.1 (URI) and §6.2 (formatted
        # string) examples: internet_explorer 8.0.6001 beta, and insight_diagnostics with
        # update NA and a packed edition (sw_edition online, target_sw win2003, target_hw x64).
        ("cpe:/a:microsoft:internet_explorer:8.0.6001:beta",
         "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*"),
        ("cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~",
         "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*"),
        # An empty URI component is ANY (§6.1.3.2): here the update.
        ("cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~",
         "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:*:*:*:online:win2003:x64:*"),
        # Percent-encoded special characters decode to quoted characters (§6.1.3.2) and stay
        # quoted in the formatted string (§6.2.2.2), except "." "-" "_".
        ("cpe:/a:foo%5cbar:big%24money_manager_2010",
         "cpe:2.3:a:foo\\\\bar:big\\$money_manager_2010:*:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*",
         "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:apache:log4j:2.14.1", None),  # too few attributes
        ("cpe:/x:apache:log4j", None),  # no such part
        ("apache log4j 2.14.1", None),
    ],
)
def test_cpe_bindings(given: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="CPE"):
            to_cpe23(given)
    else:
        assert to_cpe23(given) == expected
