"""Bad SBOM input: each error names the file and the place, and hostile XML is refused.

Fixtures: tests/fixtures/collect/sboms/cyclonedx.{malformed.json, billion-laughs.xml, xxe.xml,
latin1.json}. The billion-laughs and XXE documents are the classic attacks described by
defusedxml's documentation (entity expansion; external entity to a local file)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from caresec.collect.sbom import read_sbom
from caresec.errors import InputError

SBOMS = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "sboms"


def fail(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_sbom(path, sbom_id=path.name, display=f"sboms/{path.name}")
    assert caught.value.path == f"sboms/{path.name}"
    return caught.value


def test_malformed_json_names_line_and_column() -> None:
    error = fail(SBOMS / "cyclonedx.malformed.json")
    # Line 5 ends with `"1.24.1", }`: the '}' after the trailing comma is where a key was due.
    line5 = (SBOMS / "cyclonedx.malformed.json").read_text(encoding="utf-8").splitlines()[4]
    assert line5.index("}") + 1 == 66
    assert error.place == "line 5, column 66"
    assert error.detail == "malformed JSON: Expecting property name enclosed in double quotes"


@pytest.mark.parametrize("name", ["cyclonedx.billion-laughs.xml", "cyclonedx.xxe.xml"])
def test_xml_with_dtd_or_entity_is_refused(name: str) -> None:
    error = fail(SBOMS / name)
    assert "the XML document uses a DTD or entity, refused" in error.detail
    assert "root:" not in str(error)  # nothing of /etc/passwd was read


def test_non_utf8_sbom_names_byte_offset() -> None:
    data = (SBOMS / "cyclonedx.latin1.json").read_bytes()
    error = fail(SBOMS / "cyclonedx.latin1.json")
    assert data[108] == 0xED  # Latin-1 'í' of "Clínica-viewer"
    assert error.place == "byte 108"
    assert "not valid UTF-8" in error.detail


@pytest.mark.parametrize(
    ("content", "place", "message"),
    [
        (codecs.BOM_UTF16_LE + '{"bomFormat": "CycloneDX"}'.encode("utf-16-le"), "byte 0",
         "the file is UTF-16"),
        (b"", "", "the file is empty"),
        (b"[1, 2]", "", "is a list, not a CycloneDX or SPDX document"),
        (b'{"name": "not an sbom"}', "", "neither CycloneDX"),
        (b"name,version\nurllib3,1.24.1\n", "line 1", "not an SBOM caresec can read"),
        (b"<bom><components/></bom>", "", "not a CycloneDX <bom>"),
        (b'<bom xmlns="http://cyclonedx.org/schema/bom/1.4">\n  <components>\n</bom>',
         "line 3, column 3", "malformed XML: mismatched tag"),
        (b"[" * 200_000, "", "nested too deeply"),
        (b"SPDXVersion: SPDX-2.3\nPackageName: x\nBogusTag: 1\n", "",
         "not a valid SPDX document: "),
    ],
)
def test_unreadable_documents(tmp_path: Path, content: bytes, place: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    error = fail(path)
    assert error.place == place
    assert message in error.detail


def test_library_exception_on_hostile_structure_falls_back(tmp_path: Path) -> None:
    """A CycloneDX JSON document whose component is not an object is read leniently; the bad
    entry is named by its JSON pointer and the good component kept."""
    path = tmp_path / "odd.json"
    path.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": '
                    '[42, {"type": "library", "name": "urllib3", "version": "1.24.1", '
                    '"purl": "pkg:pypi/urllib3@1.24.1"}]}', encoding="utf-8")
    sbom = read_sbom(path, sbom_id="odd.json")
    assert [c.purl for c in sbom.components] == ["pkg:pypi/urllib3@1.24.1"]
    assert sbom.components[0].bom_ref == "component-0"  # 0-based among readable components
    places = [p.place for p in sbom.problems]
    assert "/components/0" in places
    assert any(p.message.startswith("parsed leniently") for p in sbom.problems)
