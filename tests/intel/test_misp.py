"""MISP feed import: a real DigitalSide event (../shared/data/intel/misp-feed-sample), with the
feed's manifest.json written by PyMISP's ``MISPEvent.manifest`` as the feed generator does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pymisp import MISPEvent

from caresec.intel.misp import feed_events, read_event
from caresec.intel.sources import _pull_misp
from caresec.intel.stix_import import indicator_set
from caresec.intel.store import IntelStore
from caresec.model.intel import IndicatorKind, Tlp

EVENT = "00003011-78f7-4c37-b4e1-cd08e350b785"


@pytest.fixture
def feed(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "feed"
    folder.mkdir()
    source = shared_data / "intel" / "misp-feed-sample" / f"{EVENT}.json"
    shutil.copy(source, folder / f"{EVENT}.json")
    event = MISPEvent()
    event.load(json.loads(source.read_text()))
    (folder / "manifest.json").write_text(json.dumps(event.manifest))
    return folder


def test_event_to_indicators(feed: Path) -> None:
    objects, problems = read_event(feed / f"{EVENT}.json")
    assert problems == []
    found = indicator_set([("digitalside", objects)], {})
    values = {(i.kind, i.value) for i in found.indicators}
    # the event's to_ids attributes: md5, sha1, sha256, url, domain (filename and mime-type
    # are to_ids false; the virustotal-report object's attributes too)
    assert values == {
        (IndicatorKind.MD5, "00da4e95f955eaae3566d19135ceb8f2"),
        (IndicatorKind.SHA1, "f7cea25e5ed038fa566b23b288102451c1cab1ce"),
        (IndicatorKind.SHA256, "f516ee82660137a6d56f460e85a14f041eb56ffbf14c1d54d614fca5cfe5dcd0"),
        (IndicatorKind.URL, "https://dc541.4sync.com/download/tNU3UTeE/lightshot_setup.msi?"
         "dsid=342jLuve.e2877eba77015a9ddb5f65831cef3eb6&sbsr=f4abe47fe61ec84e030c93bee755fc"
         "ebad2&bip=MTkyLjE1OC4yMjYuMTY&lgfp=40"),
        (IndicatorKind.DOMAIN, "dc541.4sync.com"),
    }
    # tlp:white → TLP:CLEAR; the attribute uuid names the indicator
    assert {i.tlp for i in found.indicators} == {Tlp.CLEAR}
    assert "indicator--7a448dfa-6c91-4f82-acd0-eb48329cbe46" in {i.indicator_id
                                                                for i in found.indicators}
    identity = next(o for o in objects if o["type"] == "identity")
    assert identity["name"] == "DIGITALSIDE.IT"


def test_pull_twice_reads_unchanged_events_once(feed: Path, tmp_path: Path) -> None:
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        first = _pull_misp("digitalside", feed, store)
        again = _pull_misp("digitalside", feed, store)
    # the identity, 5 indicators and the TLP:CLEAR marking
    assert (first.pages, first.stored, first.error) == (1, 7, "")
    assert (again.pages, again.stored) == (0, 0)


def test_manifest_listing_a_missing_event(feed: Path) -> None:
    manifest = json.loads((feed / "manifest.json").read_text())
    manifest["11111111-2222-4333-8444-555555555555"] = {"timestamp": "1"}
    (feed / "manifest.json").write_text(json.dumps(manifest))
    events, problems = feed_events(feed)
    assert [e.uuid for e in events] == [EVENT]
    assert problems[0].place == "/11111111-2222-4333-8444-555555555555"


def test_not_an_event(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"Event": {"info": "x", "Attribute": [{"type": "nonsense",
                                                                      "value": "1"}]}}))
    objects, problems = read_event(path)
    assert objects == [] and "not a MISP event" in problems[0].message
