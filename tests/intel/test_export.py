"""Export: identity, own indicators, sightings, incidents; TLP never lowered; validated with
stix2-validator; blocked by the PHI gate. Own indicators: the example hospital's bundle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from caresec.errors import ConfigError
from caresec.intel.phi_fallback import BuiltinPhiDetector
from caresec.intel.phi_gate import PhiGateError
from caresec.intel.stix_export import (
    ExportError,
    IncidentSummary,
    build_export,
    export_bundle,
    load_incidents,
    validate_export,
)
from caresec.intel.stix_import import read_bundle
from caresec.intel.tlp import TLP2_MARKING_IDS, TlpPolicy
from caresec.model.intel import Sighting, Tlp

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
C2 = "indicator--8feb42fa-e33e-48cb-9c97-92bdf0aa4c89"  # example: 203.0.113.66, TLP:GREEN
DROPPER = "indicator--89f57fb8-9c88-40ae-8617-5e3177ff99e8"  # example: TLP:AMBER
FEED = "indicator--0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
POLICY = TlpPolicy()


@pytest.fixture
def own() -> list[dict[str, object]]:
    objects, problems = read_bundle(EXAMPLE / "intel" / "own-indicators.json")
    assert problems == []
    return objects


def _marking(bundle: dict[str, object], object_id: str) -> Tlp:
    ids = {v: k for k, v in TLP2_MARKING_IDS.items()}
    [ref] = next(o for o in bundle["objects"] if o["id"] == object_id)["object_marking_refs"]
    return ids[ref]


def test_export_of_the_example(own: list[dict[str, object]]) -> None:
    sightings = [Sighting(C2, "own", Tlp.GREEN, 3, NOW, NOW),
                 Sighting(FEED, "isac", Tlp.AMBER, 2, NOW, NOW)]
    incidents = load_incidents(EXAMPLE / "intel" / "incidents.toml")
    bundle, summary = export_bundle(org_name="Riverside Community Hospital", policy=POLICY,
                                    own_objects=own, sightings=sightings, incidents=incidents,
                                    internal={"RCH-WS-BILL07"}, now=NOW)
    assert (summary.indicators, summary.sightings, summary.incidents) == (8, 2, 1)
    types = [o["type"] for o in bundle["objects"]]
    assert types[0] == "identity" and types.count("marking-definition") == 2
    assert types.count("relationship") == 3
    identity = bundle["objects"][0]
    assert identity["sectors"] == ["healthcare"]
    # never lowered: the AMBER indicator, and the sighting of an AMBER feed indicator
    assert _marking(bundle, DROPPER) is Tlp.AMBER
    feed_sighting = next(o for o in bundle["objects"] if o.get("sighting_of_ref") == FEED)
    assert _marking(bundle, feed_sighting["id"]) is Tlp.AMBER
    assert _marking(bundle, C2) is Tlp.GREEN
    # sightings carry counts and the time window, nothing about hosts or users
    assert set(feed_sighting) == {"type", "spec_version", "id", "created", "modified",
                                  "created_by_ref", "sighting_of_ref", "where_sighted_refs",
                                  "count", "first_seen", "last_seen", "object_marking_refs"}
    assert feed_sighting["where_sighted_refs"] == [identity["id"]]
    assert feed_sighting["first_seen"] == "2026-03-03T08:00:00.000Z"
    assert len(summary.raised) == 2
    validate_export(bundle)  # stix2-validator, again on the returned bundle


def test_same_value_received_at_a_stricter_tlp_raises_the_own_indicator(
        own: list[dict[str, object]]) -> None:
    bundle, summary = build_export(org_name="Riverside Community Hospital", policy=POLICY,
                                   own_objects=own, now=NOW,
                                   inherited={"ipv4-addr:203.0.113.66": Tlp.AMBER})
    assert _marking(bundle, C2) is Tlp.AMBER
    assert any("a feed shared 203.0.113.66 at TLP:AMBER" in r for r in summary.raised)


def test_objects_above_max_share_are_withheld(own: list[dict[str, object]]) -> None:
    policy = TlpPolicy(export_tlp=Tlp.GREEN, max_share=Tlp.GREEN)
    bundle, summary = build_export(org_name="Riverside Community Hospital", policy=policy,
                                   own_objects=own, now=NOW,
                                   sightings=[Sighting(FEED, "isac", Tlp.RED, 1)])
    ids = {o["id"] for o in bundle["objects"]}
    assert DROPPER not in ids
    assert not any(o.get("sighting_of_ref") == FEED for o in bundle["objects"])
    assert len(summary.withheld) == 2


def test_planted_phi_in_an_incident_blocks_the_export(own: list[dict[str, object]]) -> None:
    incident = IncidentSummary(name="Lure reply", description="Patient Maria Gonzalez "
                               "answered the lure with her MRN: 00482913.")
    for detector in (None, BuiltinPhiDetector()):
        with pytest.raises(PhiGateError, match=r"incident--[0-9a-f-]+ /description: looks "
                                               r"like PHI"):
            export_bundle(org_name="Riverside Community Hospital", policy=POLICY,
                          own_objects=own, incidents=[incident], detector=detector, now=NOW)


def test_internal_host_in_an_own_indicator_blocks(own: list[dict[str, object]]) -> None:
    changed = [dict(o, description="First seen on RCH-WS-BILL07.") if o.get("id") == C2 else o
               for o in own]
    with pytest.raises(PhiGateError, match="internal host or user"):
        export_bundle(org_name="Riverside Community Hospital", policy=POLICY,
                      own_objects=changed, internal={"RCH-WS-BILL07"}, now=NOW)


def test_invalid_stix_is_refused() -> None:
    with pytest.raises(ExportError, match=r"not valid STIX 2\.1"):
        validate_export({"type": "bundle", "id": "bundle--0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
                         "objects": [{"type": "sighting", "spec_version": "2.1",
                                      "id": "sighting--0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
                                      "created": "2026-03-03T08:00:00.000Z",
                                      "modified": "2026-03-03T08:00:00.000Z"}]})


def test_incidents_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "incidents.toml"
    path.write_text('[[incident]]\nname = "x"\nseverity = "high"\n')
    with pytest.raises(ConfigError, match="unknown key severity"):
        load_incidents(path)


def test_export_is_json_serializable(own: list[dict[str, object]]) -> None:
    bundle, _ = export_bundle(org_name="Riverside Community Hospital", policy=POLICY,
                              own_objects=own, now=NOW)
    assert json.loads(json.dumps(bundle)) == bundle
