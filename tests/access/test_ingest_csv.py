"""CSV access logs: presets, mapping files, bad input named by file and row, idempotent
re-runs. Fixtures: tests/fixtures/access/events.*.csv and mapping.*.yaml (written for these
tests; US DST dates from the Energy Policy Act of 2005: second Sunday of March, first Sunday of
November, at 02:00 local time)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from caresec.access.ingest import ingest_events, sniff
from caresec.access.ingest.mapping import detect_preset, load_mapping, preset_mapping
from caresec.access.schema import EVENT_SCHEMA
from caresec.errors import InputError
from caresec.model.problems import ProblemSeverity


def _rows(result_files: tuple[Path, ...]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in result_files:
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def test_bad_values_are_named_and_the_rest_kept(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "access" / "events.bad-values.csv"
    result = ingest_events([source], tmp_path, timezone="America/Chicago")
    rows = {r["source_row"]: r for r in _rows(result.parquet_files)}
    # rows 2, 3, 8 and 9 are good (row 7 repeats event id a1: dropped at review, not here)
    assert sorted(rows) == [2, 3, 7, 8, 9]
    assert rows[2]["ts"] == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    # no offset: read in America/Chicago, CDT (UTC-5) on 1 May
    assert rows[3]["ts"] == datetime(2024, 5, 1, 13, 5, tzinfo=UTC)
    assert rows[3]["action"] == "view"
    assert rows[8]["action"] == "query" and rows[8]["patient_id"] is None
    assert rows[8]["ts"] == datetime(2024, 5, 1, 13, 30, tzinfo=UTC)
    assert str(rows[9]["event_id"]).startswith("row-")
    places = {(p.place, p.severity) for p in result.problems}
    assert ("row 4, column time", ProblemSeverity.ERROR) in places
    assert ("row 5, column action", ProblemSeverity.ERROR) in places
    assert ("row 6, column user_id", ProblemSeverity.ERROR) in places
    assert ("row 9", ProblemSeverity.WARNING) in places
    assert all(p.file == str(source) for p in result.problems)
    assert result.formats == ((str(source), "csv:caresec"),)


def test_truncated_file_keeps_the_complete_rows(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "access" / "events.truncated.csv"
    result = ingest_events([source], tmp_path)
    assert [r["event_id"] for r in _rows(result.parquet_files)] == ["t1", "t2"]
    [problem] = result.problems
    assert problem.place == "line 4" and "expected 5" in problem.message


def test_missing_column_is_an_error_naming_it(fixtures: Path, tmp_path: Path) -> None:
    source = fixtures / "access" / "events.missing-column.csv"
    result = ingest_events([source], tmp_path)
    assert result.parquet_files == ()
    [problem] = result.problems
    assert problem.place == "row 1" and "no column-mapping preset fits" in problem.message


def test_mapping_file_with_local_times_and_dst(fixtures: Path, tmp_path: Path) -> None:
    mapping = load_mapping(fixtures / "access" / "mapping.custom.yaml")
    result = ingest_events([fixtures / "access" / "events.custom.csv"], tmp_path,
                           mapping=mapping, timezone="UTC")
    rows = {r["event_id"]: r for r in _rows(result.parquet_files)}
    assert rows["x1"]["ts"] == datetime(2024, 3, 10, 6, 30, tzinfo=UTC)  # EST, UTC-5
    # 02:30 does not exist on 10 March 2024 in New York: the first instant after the gap
    assert rows["x2"]["ts"] == datetime(2024, 3, 10, 7, 0, tzinfo=UTC)
    # 01:30 happens twice on 3 November 2024: the earlier (EDT, UTC-4)
    assert rows["x3"]["ts"] == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert (rows["x2"]["action"], rows["x3"]["btg"], rows["x3"]["btg_reason"]) == (
        "print", True, "Code blue")
    assert rows["x1"]["extra"] == '{"Application": "Inpatient"}'
    assert result.problems == ()


@pytest.mark.parametrize(("name", "place"), [
    ("mapping.bad-action.yaml", "actions.Looked"),
])
def test_bad_mapping_file(fixtures: Path, name: str, place: str) -> None:
    with pytest.raises(InputError) as error:
        load_mapping(fixtures / "access" / name)
    assert error.value.place == place


def test_presets_are_detected_from_the_header() -> None:
    assert detect_preset(["event_id", "time", "user_id", "action"]).name == "caresec"
    found = detect_preset(["EventDateTime", "UserID", "EventActionCode"])
    assert found is not None and found.name == "dicom-audit-flat"
    assert detect_preset(["when", "who"]) is None
    with pytest.raises(InputError):
        preset_mapping("no-such-preset")


def test_rerun_is_idempotent(fixtures: Path, tmp_path: Path) -> None:
    sources = [fixtures / "access" / "events.bad-values.csv",
               fixtures / "access" / "mini" / "events.csv"]
    first = ingest_events(sources, tmp_path)
    contents = {p.name: pq.read_table(p) for p in first.parquet_files}
    second = ingest_events(sources, tmp_path)
    assert first.parquet_files == second.parquet_files
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(contents)
    for path in second.parquet_files:
        assert pq.read_table(path).equals(contents[path.name])
        assert pq.read_schema(path).equals(EVENT_SCHEMA)


def test_sniffing_reads_content_not_names(fixtures: Path, shared_data: Path,
                                          tmp_path: Path) -> None:
    renamed = tmp_path / "log.txt"
    renamed.write_bytes((shared_data / "access" / "fhir-r4-auditevent" /
                         "AuditEvent-example-rest.json").read_bytes())
    assert sniff(renamed) == "json"
    assert sniff(fixtures / "access" / "events.custom.csv") == "csv"
    assert sniff(fixtures / "access" / "atna.truncated.xml") == "xml"
