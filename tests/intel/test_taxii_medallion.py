"""Against a real TAXII 2.1 server: medallion 3 (memory backend) on 127.0.0.1, loaded with its
own test data (../shared/data/intel/taxii-medallion/default_data.json) and the OASIS examples.

The end-to-end test pulls, matches a generated log, exports and pushes the organization's
bundle back, then reads it from the server again.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from caresec.errors import FeedError
from caresec.intel.logs import load_mapping
from caresec.intel.matcher import match_logs
from caresec.intel.sources import log_internal_names
from caresec.intel.stix_export import export_bundle
from caresec.intel.stix_import import indicator_set
from caresec.intel.store import IntelStore
from caresec.intel.taxii import pull, push
from caresec.intel.tlp import TlpPolicy
from caresec.model.intel import IndicatorKind, Tlp

from .conftest import EXAMPLES, HIGH_VALUE, NOT_READABLE, NOT_WRITABLE, WRITABLE, Taxii

MAPPING = """\
[firewall]
files = ["firewall-*.csv"]
[firewall.columns]
time = "timestamp"
src = "src_ip"
dst = "dst_ip"
host = "host"
user = "user"
"""


def test_pull_pages_and_remembers_the_position(taxii_server: Taxii, tmp_path: Path) -> None:
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        first = pull(taxii_server.endpoint(HIGH_VALUE, page_size=2), store, "hvi")
        again = pull(taxii_server.endpoint(HIGH_VALUE, page_size=2), store, "hvi")
        found = indicator_set(store.by_source(), {"hvi": Tlp.GREEN})
    # medallion serves the latest version of each of the 5 objects, 2 per page; the last
    # X-TAXII-Date-Added-Last is the manifest's latest date_added (2017-12-31T13:49:53.935Z)
    assert (first.error, first.pages, first.received, first.stored) == ("", 3, 5, 5)
    assert first.added_after_now == "2017-12-31T13:49:53.935000Z"
    assert (again.error, again.received, again.stored) == ("", 0, 0)
    assert again.added_after_before == first.added_after_now
    values = {(i.kind, i.value) for i in found.indicators}
    # indicator--6770298f… has three versions; the latest pattern wins (STIX 2.1 §3.6)
    assert values == {
        (IndicatorKind.SHA256, "ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"),
        (IndicatorKind.URL, "http://x4z9arb.cn/4712"),
    }


def _log(folder: Path) -> Path:
    rows = [("2026-03-02T09:00:00Z", "10.20.1.11", "223.167.4.4", "RCH-WS-BILL07", "u10482"),
            ("2026-03-02T09:05:00Z", "10.20.1.11", "203.0.113.200", "RCH-WS-BILL07", "u10482"),
            ("2026-03-02T09:10:00Z", "10.20.1.12", "60.10.1.115", "RCH-WS-ED04", "u20931"),
            ("2026-03-02T09:20:00Z", "10.20.1.12", "60.10.1.115", "RCH-WS-ED04", "u20931")]
    path = folder / "firewall-2026-03-02.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("time", "src", "dst", "host", "user"))
        writer.writerows(rows)
    (folder / "mapping.toml").write_text(MAPPING)
    return path


def test_pull_match_export_push_round_trip(taxii_server: Taxii, tmp_path: Path) -> None:
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        report = pull(taxii_server.endpoint(EXAMPLES, page_size=100), store, "isac")
        # apt1 (76 objects) + poisonivy (155) + indicators-for-C2-with-COA (8) = 239, served
        # 50 per page (the server's max_page_size wins over the limit asked)
        assert report.error == "" and report.pages == 5
        assert report.received == report.stored == 239
        indicators = indicator_set(store.by_source(), {"isac": Tlp.AMBER})
    log = _log(tmp_path)
    mapping = load_mapping(tmp_path / "mapping.toml")
    result = match_logs(indicators, [log], mapping)
    counts = {s.indicator_id: s.count for s in result.sightings}
    # apt1.json: 223.166.0.0/15 (indicator--031778a4…); poisonivy.json: 60.10.1.115 in one OR
    assert counts == {"indicator--031778a4-057f-48e6-9db9-c8d72b81ccd5": 1,
                      "indicator--4e4c4ad7-4909-456a-b6fa-e24a6f682a40": 2}
    first = next(s for s in result.sightings if s.count == 2)
    assert (first.first_seen, first.last_seen) == (datetime(2026, 3, 2, 9, 10, tzinfo=UTC),
                                                   datetime(2026, 3, 2, 9, 20, tzinfo=UTC))
    internal = log_internal_names(mapping, [log])
    assert internal == {"RCH-WS-BILL07", "RCH-WS-ED04", "u10482", "u20931"}
    bundle, summary = export_bundle(org_name="Riverside Community Hospital",
                                    policy=TlpPolicy(), sightings=result.sightings,
                                    internal=internal)
    assert summary.sightings == 2
    text = str(bundle)
    assert not any(name in text for name in internal) and "10.20.1." not in text
    status = push(taxii_server.endpoint(WRITABLE), bundle)
    assert (status.status, status.failure, status.success) == ("complete", 0,
                                                               len(bundle["objects"]))
    with IntelStore.open(tmp_path / "back.sqlite") as store:
        back = pull(taxii_server.endpoint(WRITABLE), store, "shared")
        stored = {o["id"]: o for _, o in store.objects()}
    assert back.error == ""
    assert {o["id"] for o in bundle["objects"]} <= set(stored)
    sighting = next(o for o in stored.values() if o["type"] == "sighting")
    # the feed's TLP (AMBER, the source default) is kept on the shared sighting
    assert sighting["object_marking_refs"] == ["marking-definition--55d920b0-5e8b-4f79-9ee9-"
                                               "91f868d9b421"]


def test_wrong_password_is_http_401(taxii_server: Taxii, tmp_path: Path) -> None:
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        report = pull(taxii_server.endpoint(HIGH_VALUE, password="wrong"), store, "x")
        assert store.counts() == []
    assert "HTTP 401 Unauthorized" in report.error
    assert report.stored == 0


def test_collection_rules(taxii_server: Taxii, tmp_path: Path) -> None:
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        unreadable = pull(taxii_server.endpoint(NOT_READABLE), store, "x")
        missing = pull(taxii_server.endpoint("no-such-collection"), store, "x")
    assert "can_read is false" in unreadable.error
    assert "no collection 'no-such-collection'" in missing.error
    assert HIGH_VALUE in missing.error  # the message lists what the server has
    with pytest.raises(FeedError, match="can_write is false"):
        push(taxii_server.endpoint(NOT_WRITABLE), {"objects": []})
