"""Local time: the UTC offset CASE used by both engines, and timestamp parsing. US DST
(Energy Policy Act of 2005): begins the second Sunday of March at 02:00 local, ends the first
Sunday of November at 02:00 local."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from caresec.access.ingest.timeparse import parse_instant, parse_instants
from caresec.access.review import local_offset_sql


def _epoch(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


def test_offset_case_for_chicago_spring_2025() -> None:
    # 2025-03-09 02:00 CST (UTC-6) = 08:00 UTC: CST before, CDT (UTC-5) after
    sql = local_offset_sql("America/Chicago", _epoch(2025, 3, 3), _epoch(2025, 3, 31))
    assert sql == f"(CASE WHEN t < {_epoch(2025, 3, 9, 8)} THEN -21600 ELSE -18000 END)"


def test_offset_without_transitions_is_a_constant() -> None:
    assert local_offset_sql("UTC", _epoch(2025, 1, 1), _epoch(2025, 12, 31)) == "0"
    assert local_offset_sql("Asia/Kolkata", _epoch(2025, 1, 1), _epoch(2025, 2, 1)) == "19800"


def test_offsets_keep_nothing_but_the_period() -> None:
    sql = local_offset_sql("Europe/Paris", _epoch(2024, 1, 1), _epoch(2024, 12, 31))
    # EU: last Sunday of March 01:00 UTC, last Sunday of October 01:00 UTC
    assert sql == (f"(CASE WHEN t < {_epoch(2024, 3, 31, 1)} THEN 3600 "
                   f"WHEN t < {_epoch(2024, 10, 27, 1)} THEN 7200 ELSE 3600 END)")


def test_parse_instants_names_bad_rows() -> None:
    values = pa.array(["2024-05-01T08:00:00Z", "garbage", None, "2024-05-01 10:00"])
    parsed, bad = parse_instants(values, "America/New_York")
    assert bad == [1, 2]
    assert parsed[3].as_py() == datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


def test_parse_instant_offsets() -> None:
    assert parse_instant("2017-08-08T14:57:08.813+02:00", "UTC") == datetime(
        2017, 8, 8, 12, 57, 8, 813000, tzinfo=UTC)
    assert parse_instant("2024-11-03T01:30:00", "America/New_York") == datetime(
        2024, 11, 3, 5, 30, tzinfo=UTC)
    assert parse_instant("not a time", "UTC") is None
