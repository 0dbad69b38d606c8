"""TLP 2.0 markings (OASIS extension objects) and the never-downgrade rule (FIRST TLP 2.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caresec.errors import ConfigError
from caresec.intel.tlp import (
    TLP1_MARKING_IDS,
    TlpPolicy,
    marking_definition,
    marking_tlp,
    misp_tags_tlp,
    parse_tlp,
    reshare_tlp,
)
from caresec.model.intel import Tlp


def test_marking_objects_equal_the_oasis_ones(shared_data: Path) -> None:
    folder = shared_data / "intel" / "tlp2"
    derived = json.loads((folder / "DERIVED-tlp2-all-markings.json").read_text())["objects"]
    assert [marking_definition(t) for t in Tlp] == derived
    upstream = json.loads((folder / "tlp-amber+strict.json").read_text())["objects"][0]
    assert marking_definition(Tlp.AMBER_STRICT) == upstream


def test_marking_ids_are_those_of_the_extension_schema(shared_data: Path) -> None:
    schema = json.loads((shared_data / "intel" / "tlp2" / "extension-definition--60a3c5c5-"
                         "0d10-413e-aab3-9e08dde9e88d.json").read_text())
    ids = {k: v["properties"]["id"]["enum"][0] for k, v in schema["definitions"].items()}
    assert ids == {"tlp_clear": marking_definition(Tlp.CLEAR)["id"],
                   "tlp_green": marking_definition(Tlp.GREEN)["id"],
                   "tlp_amber": marking_definition(Tlp.AMBER)["id"],
                   "tlp_amber_strict": marking_definition(Tlp.AMBER_STRICT)["id"],
                   "tlp_red": marking_definition(Tlp.RED)["id"]}


def test_tlp1_markings_map_to_tlp2() -> None:
    # STIX 2.1 §7.2.1.4 TLP:WHITE; FIRST TLP 2.0 renames WHITE to CLEAR
    assert TLP1_MARKING_IDS["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"] \
        is Tlp.CLEAR
    green_v1 = {"type": "marking-definition", "id": "marking-definition--other",
                "definition_type": "tlp", "definition": {"tlp": "green"}}
    assert marking_tlp(green_v1) is Tlp.GREEN


@pytest.mark.parametrize(("inherited", "requested", "expected"), [
    (Tlp.AMBER, Tlp.GREEN, Tlp.AMBER),  # never lowered
    (Tlp.GREEN, Tlp.AMBER, Tlp.AMBER),  # may be raised
    (Tlp.AMBER_STRICT, Tlp.AMBER, Tlp.AMBER_STRICT),
    (Tlp.CLEAR, Tlp.CLEAR, Tlp.CLEAR),
    (Tlp.RED, Tlp.CLEAR, Tlp.RED),
])
def test_reshare_never_downgrades(inherited: Tlp, requested: Tlp, expected: Tlp) -> None:
    assert reshare_tlp(inherited, requested) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("TLP:AMBER+STRICT", Tlp.AMBER_STRICT), ("white", Tlp.CLEAR), (" Green ", Tlp.GREEN)])
def test_parse_tlp(text: str, expected: Tlp) -> None:
    assert parse_tlp(text) is expected


def test_parse_tlp_rejects() -> None:
    with pytest.raises(ValueError, match="not a TLP label"):
        parse_tlp("orange")


def test_misp_tags() -> None:
    assert misp_tags_tlp(["type:OSINT", "tlp:white"]) is Tlp.CLEAR
    assert misp_tags_tlp(["tlp:green", "tlp:amber"]) is Tlp.AMBER
    assert misp_tags_tlp(["source:x"]) is None


def test_policy_refuses_red_and_inverted_levels() -> None:
    with pytest.raises(ConfigError, match="cannot be red"):
        TlpPolicy(max_share=Tlp.RED)
    with pytest.raises(ConfigError, match="more restrictive than max_share_tlp"):
        TlpPolicy(export_tlp=Tlp.AMBER_STRICT, max_share=Tlp.AMBER)
