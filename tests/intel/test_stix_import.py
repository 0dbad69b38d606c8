"""STIX 2.1 bundle import: validation per object, versions, TLP, patterns.

Real data: the OASIS cti-stix2-json-schemas examples and the TLP 2.0 examples of
cti-stix-common-objects (../shared/data/intel, see its PROVENANCE.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caresec.intel.stix_import import indicator_set, parse_bundle, read_bundle
from caresec.model.intel import IndicatorKind, PatternSupport, Tlp
from caresec.model.problems import ProblemSeverity


def test_invalid_tlp_example_is_rejected_with_clear_messages(shared_data: Path) -> None:
    # using-tlp2.0-green.json has no top-level "type" and a relationship whose created is
    # "2022-101-27T13:49:54.326Z" (PROVENANCE.md: negative fixture)
    objects, problems = read_bundle(shared_data / "intel" / "tlp2" / "using-tlp2.0-green.json")
    assert objects == []
    places = [p.place for p in problems]
    assert places == ["/type", "/objects/2/created"]
    assert "not a STIX 2.1 bundle" in problems[0].message
    assert "nothing was imported" in problems[0].message
    assert "relationship--1621d4d4-b67d-11e3-9670-f01faf20d111" in problems[1].message


@pytest.mark.parametrize(("name", "objects", "indicators"), [
    ("threat-reports/apt1.json", 76, 12),
    ("threat-reports/poisonivy.json", 155, 25),
    ("indicator-for-c2-ip-address.json", 1, 1),
])
def test_oasis_examples_import(shared_data: Path, name: str, objects: int,
                               indicators: int) -> None:
    found, problems = read_bundle(shared_data / "intel" / "stix-examples" / name)
    assert problems == []
    assert len(found) == objects
    assert sum(o["type"] == "indicator" for o in found) == indicators


def test_apt1_indicators_are_split_by_kind(shared_data: Path) -> None:
    objects, _ = read_bundle(shared_data / "intel" / "stix-examples" / "threat-reports"
                             / "apt1.json")
    found = indicator_set([("apt1", objects)], {"apt1": Tlp.GREEN})
    kinds = sorted((i.kind.value, i.value) for i in found.indicators)
    # apt1.json: 4 CIDR ranges, 3 domains, 3 MD5 hashes; 2 x509 patterns need stix2-matcher
    assert [k for k, _ in kinds].count("ipv4-addr") == 4
    assert ("ipv4-addr", "223.166.0.0/15") in kinds
    assert ("domain-name", "hugesoft.org") in kinds
    assert ("md5", "001dd76872d80801692ff942308c64e6") in kinds
    assert len(kinds) == 10
    assert [p.object_types for p in found.patterns] == [("x509-certificate",)] * 2
    assert all(p.support is PatternSupport.EVALUATED for p in found.patterns)
    assert {i.tlp for i in found.indicators} == {Tlp.GREEN}


def test_poisonivy_bad_value_is_skipped_not_the_indicator(shared_data: Path) -> None:
    objects, _ = read_bundle(shared_data / "intel" / "stix-examples" / "threat-reports"
                             / "poisonivy.json")
    found = indicator_set([("pi", objects)], {})
    # "domain autuo.xicp.net" (a space inside) is refused; its IPv4 60.10.1.115 is kept
    assert [p.severity for p in found.problems] == [ProblemSeverity.WARNING]
    assert "domain autuo.xicp.net" in found.problems[0].message
    assert any(i.value == "60.10.1.115" for i in found.indicators)


def test_unknown_custom_and_broken_objects(fixtures: Path) -> None:
    objects, problems = read_bundle(fixtures / "intel" / "bundle.unknown-type.json")
    assert [o["id"] for o in objects] == ["indicator--1f8b5d3a-6e7c-4c2a-9d4e-0a1b2c3d4e5f"]
    shown = {(p.place, p.severity.value) for p in problems}
    assert shown == {("/objects/1", "error"), ("/objects/2", "warning"),
                     ("/objects/3/pattern", "error"), ("/objects/4", "error")}
    unknown = next(p for p in problems if p.place == "/objects/1")
    assert "unknown object type 'vulnerability-report'" in unknown.message


def test_truncated_json_names_line_and_column(fixtures: Path) -> None:
    objects, problems = read_bundle(fixtures / "intel" / "bundle.truncated.json")
    assert objects == []
    assert problems[0].place == "line 3, column 1"
    assert "not valid JSON" in problems[0].message


def test_huge_bundle_is_refused_before_reading(tmp_path: Path) -> None:
    bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
              "objects": [{"type": "x-pad", "id": f"x-pad--{i:08d}-0000-4000-8000-000000000000",
                           "pad": "x" * 1000} for i in range(2000)]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(bundle))
    objects, problems = read_bundle(path, max_bytes=1_000_000)
    assert objects == []
    assert "above the limit of 1.0 MB" in problems[0].message


def test_versions_revocation_pattern_types_and_markings(fixtures: Path) -> None:
    objects, problems = read_bundle(fixtures / "intel" / "bundle.versions.json")
    assert problems == []
    found = indicator_set([("feed", objects)], {"feed": Tlp.GREEN})
    values = {(i.kind, i.value, i.tlp) for i in found.indicators}
    # STIX 2.1 §3.6: the latest modified wins; revoked indicators are left out;
    # the TLP 2.0 AMBER marking of the last indicator is read
    assert values == {(IndicatorKind.DOMAIN, "new.example", Tlp.GREEN),
                      (IndicatorKind.IPV4, "203.0.113.9", Tlp.AMBER)}
    snort = [p for p in found.patterns if p.pattern_type == "snort"]
    assert snort and snort[0].support is PatternSupport.NOT_SUPPORTED
    amber = next(i for i in found.indicators if i.tlp is Tlp.AMBER)
    assert amber.confidence == 80
    assert amber.valid_until is not None and amber.valid_until.isoformat() == \
        "2026-07-01T00:00:00+00:00"


def test_not_a_bundle_at_all() -> None:
    objects, problems = parse_bundle(b"[1, 2]", "list.json")
    assert objects == [] and "not a JSON object" in problems[0].message
