"""CycloneDX reading on real documents: the CycloneDX/bom-examples files in the shared data
folder (vuln/cyclonedx-examples, CC0-1.0, see its PROVENANCE.md). Every expected value below is
read off those files (file and line named where a literal is used)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.model.bom import Bom

from caresec.collect.sbom import read_sbom
from caresec.model import Sbom

EXAMPLES = "vuln/cyclonedx-examples"


def count_components(items: list[dict[str, Any]] | None) -> int:
    """Components in a CycloneDX JSON ``components`` array, nested ones included."""
    return sum(1 + count_components(c.get("components")) for c in items or [])


def read(shared_data: Path, relative: str) -> Sbom:
    return read_sbom(shared_data / EXAMPLES / relative, sbom_id=relative)


@pytest.mark.realdata
@pytest.mark.parametrize(("folder", "files"), [("SBOM", 7), ("HBOM", 1), ("VEX", 39)])
def test_every_example_bom_parses(shared_data: Path, folder: str, files: int) -> None:
    paths = sorted((shared_data / EXAMPLES / folder).rglob("*.json"))
    paths += sorted((shared_data / EXAMPLES / folder).rglob("*.xml"))
    assert len(paths) == files  # the folder holds this many BOMs (PROVENANCE.md)
    for path in paths:
        sbom = read_sbom(path, sbom_id=path.name)
        assert sbom.format == "CycloneDX", path
        assert sbom.problems == (), path  # read by cyclonedx-python-lib, nothing dropped
        if path.suffix == ".json":
            document = json.loads(path.read_text(encoding="utf-8"))
            assert sbom.spec_version == document["specVersion"], path
            assert len(sbom.components) == count_components(document.get("components")), path
        refs = [c.bom_ref for c in sbom.components]
        assert len(refs) == len(set(refs)), path


@pytest.mark.realdata
def test_dropwizard_json_and_xml_agree(shared_data: Path) -> None:
    as_json = read(shared_data, "SBOM/dropwizard-1.3.15/bom.json")
    as_xml = read(shared_data, "SBOM/dropwizard-1.3.15/bom.xml")
    assert (as_json.serialization, as_xml.serialization) == ("json", "xml")
    assert as_json.spec_version == as_xml.spec_version == "1.2"
    assert len(as_json.components) == len(as_xml.components) == 167
    assert as_json.subject == as_xml.subject == "dropwizard-parent 1.3.15"

    def identity(sbom: Sbom) -> list[tuple[str, str, str, str, str]]:
        return [(c.bom_ref, c.name, c.version, c.purl, c.supplier) for c in sbom.components]

    assert identity(as_json) == identity(as_xml)
    purls = {c.purl for c in as_json.components}
    # bom.json line 688 / bom.xml line 411.
    assert "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10?type=jar" in purls
    # bom.json line 166.
    assert "pkg:maven/com.google.guava/guava@24.1.1-jre?type=jar" in purls
    first = as_json.components[0]  # bom.json: the first component, jackson-annotations
    assert (first.name, first.version, first.supplier) == (
        "jackson-annotations", "2.9.10", "FasterXML")  # its "publisher"


@pytest.mark.realdata
def test_laravel_spec_12_and_14_list_the_same_packages(shared_data: Path) -> None:
    v12 = read(shared_data, "SBOM/laravel-7.12.0/bom.1.2.json")
    v14 = read(shared_data, "SBOM/laravel-7.12.0/bom.1.4.json")
    assert (v12.spec_version, v14.spec_version) == ("1.2", "1.4")
    assert len(v12.components) == len(v14.components) == 62
    assert {c.purl for c in v12.components} == {c.purl for c in v14.components}
    # bom.1.2.json lines 27-41: bom-ref asm89/stack-cors-1.3.0.0, purl below.
    stack_cors = next(c for c in v12.components if c.bom_ref == "asm89/stack-cors-1.3.0.0")
    assert (stack_cors.name, stack_cors.version, stack_cors.purl) == (
        "stack-cors", "1.3.0", "pkg:composer/asm89/stack-cors@1.3.0")


@pytest.mark.realdata
def test_other_examples_values(shared_data: Path) -> None:
    juice = read(shared_data, "SBOM/juice-shop/v11.1.2/bom.json")
    assert len(juice.components) == 840
    assert "pkg:npm/body-parser@1.19.0" in {c.purl for c in juice.components}  # line 65
    proton = read(shared_data, "SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json")
    assert proton.subject == "github.com/ProtonMail/proton-bridge v1.8.0"
    assert (  # line 49
        "pkg:golang/github.com/0xAX/notificator@v0.0.0-20191016112426-3962a5ea8da1"
        in {c.purl for c in proton.components})
    hbom = read(shared_data, "HBOM/PCIe-SATA-adapter-board/bom.json")
    assert hbom.subject == "pcie-sata-adaptor-board rev-1"
    assert [(c.bom_ref, c.version, c.supplier) for c in hbom.components[:2]] == [
        ("PCIE-098-02-F-D-EMS2", "2.9.10", "Samtec"), ("molex-47155-4001", "", "Molex")]
    assert all(c.purl == "" for c in hbom.components)  # hardware parts have no purl
    vex_bom = read(shared_data, "VEX/bom.json")
    assert [(c.name, c.version) for c in vex_bom.components] == [
        ("jackson-databind", "2.10.0"), ("jackson-annotations", "2.10.0"),
        ("jackson-core", "2.10.0")]
    vex = read(shared_data, "VEX/vex.json")  # a VEX document lists no components
    assert vex.components == ()


@pytest.mark.realdata
@pytest.mark.parametrize(
    "relative",
    ["SBOM/dropwizard-1.3.15/bom.json", "SBOM/dropwizard-1.3.15/bom.xml",
     "SBOM/laravel-7.12.0/bom.1.4.json", "HBOM/PCIe-SATA-adapter-board/bom.json"],
)
def test_lenient_reader_matches_library(
    shared_data: Path, relative: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When cyclonedx-python-lib rejects a document caresec reads the structure itself; on a
    valid document both paths must give the same components in the same order."""
    by_library = read(shared_data, relative)

    def reject(cls: type, *args: object, **kwargs: object) -> None:
        raise ValueError("rejected for the test")

    monkeypatch.setattr(Bom, "from_json", classmethod(reject))
    monkeypatch.setattr(Bom, "from_xml", classmethod(reject))
    leniently = read(shared_data, relative)
    assert leniently.components == by_library.components
    assert leniently.subject == by_library.subject
    assert [p.message.split(":")[0] for p in leniently.problems] == ["parsed leniently"]
    assert "rejected for the test" in leniently.problems[0].message
