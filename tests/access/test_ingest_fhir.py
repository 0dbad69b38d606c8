"""FHIR AuditEvent (R4 4.0.1, R5 5.0.0) on the official R4 examples in
../shared/data/access/fhir-r4-auditevent (values read from the files) and an R5 fixture
written after the R5 break-glass example's structure (category/code, occurredDateTime,
patient, authorization)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from caresec.access.ingest import ingest_events
from caresec.access.ingest.fhir import cx_id, read_fhir_events, reference_id
from caresec.access.ingest.problems import ProblemLog

R4 = ("access", "fhir-r4-auditevent")

# file → (id, recorded, requestor id, action, patient, workstation, outcome, purpose)
EXPECTED = {
    "AuditEvent-example-rest.json": ("example-rest",
                                     datetime(2013, 6, 20, 23, 42, 24, tzinfo=UTC),
                                     "95", "view", "example",
                                     "Workstation1.ehr.familyclinic.com", "success", ""),
    "AuditEvent-example-search.json": ("example-search",
                                       datetime(2015, 8, 22, 23, 42, 24, tzinfo=UTC), "95",
                                       "query", "", "Workstation1.ehr.familyclinic.com",
                                       "success", ""),
    "AuditEvent-example-error.json": ("example-error", datetime(2017, 9, 7, 23, 42, 24, tzinfo=UTC),
                                      "95", "create", "", "Workstation1.ehr.familyclinic.com",
                                      "failure", ""),
    "AuditEvent-example-disclosure.json": ("example-disclosure",
                                           datetime(2013, 9, 22, 0, 8, tzinfo=UTC),
                                           "SomeIdiot@nowhere", "export", "example",
                                           "custodian.net", "success", "HMARKT"),
    "AuditEvent-example-media.json": ("example-media",
                                      datetime(2015, 8, 27, 23, 42, 24, tzinfo=UTC),
                                      "95", "export", "e3cdfc81a0d24bd", "", "success", ""),
    "AuditEvent-example-pixQuery.json": ("example-pixQuery",
                                         datetime(2015, 8, 26, 23, 42, 24, tzinfo=UTC), "95",
                                         "query", "e3cdfc81a0d24bd",
                                         "Workstation1.ehr.familyclinic.com", "success", ""),
}
NOT_ACCESS = ("AuditEvent-example.json", "AuditEvent-example-login.json",
              "AuditEvent-example-logout.json")


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_r4_examples(shared_data: Path, name: str) -> None:
    log = ProblemLog()
    events, skipped = read_fhir_events(shared_data.joinpath(*R4, name), name, timezone="UTC",
                                       log=log)
    [event] = events
    got = (event.event_id, event.time, event.user_id, event.action.value, event.patient_id,
           event.workstation, event.outcome, event.purpose)
    assert got == EXPECTED[name]
    assert (skipped, log.problems()) == (0, [])


@pytest.mark.realdata
@pytest.mark.parametrize("name", NOT_ACCESS)
def test_r4_examples_that_are_not_record_accesses(shared_data: Path, name: str) -> None:
    # DCM 110100 Application Activity / 110114 User Authentication (login, logout)
    events, skipped = read_fhir_events(shared_data.joinpath(*R4, name), name, timezone="UTC",
                                       log=ProblemLog())
    assert (events, skipped) == ([], 1)


@pytest.mark.realdata
def test_bundle_and_ndjson_of_the_examples(shared_data: Path, tmp_path: Path) -> None:
    resources = [json.loads(p.read_text()) for p in
                 sorted(shared_data.joinpath(*R4).glob("AuditEvent-*.json"))]
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"resource": r} for r in resources]}))
    ndjson = tmp_path / "events.ndjson"
    lines = [json.dumps(r) for r in resources]
    ndjson.write_text("\n".join(lines) + "\n" + lines[0][:40] + "\n")  # last line truncated
    result = ingest_events([bundle, ndjson], tmp_path / "out")
    ids = sorted(pq.read_table(result.parquet_files[0]).column("event_id").to_pylist())
    assert ids == sorted(v[0] for v in EXPECTED.values())
    assert result.skipped == 2 * len(NOT_ACCESS)
    [problem] = result.problems
    assert problem.file == str(ndjson)
    assert problem.place.startswith(f"line {len(lines) + 1}, column ")
    assert dict(result.formats) == {str(bundle): "fhir", str(ndjson): "fhir"}


def test_r5_break_glass(fixtures: Path) -> None:
    log = ProblemLog()
    [event], _ = read_fhir_events(fixtures / "access" / "fhir-r5.breakglass.json", "r5",
                                        timezone="UTC", log=log)
    assert event.patient_id == "pat-42"
    assert event.user_id == "nurse-7" and event.user_role == "Registered nurse"
    assert event.time == datetime(2024, 6, 1, 7, 15, tzinfo=UTC)  # occurredDateTime, -04:00
    assert event.break_glass and event.break_glass_reason == "Emergency Treatment"
    assert (event.action.value, event.workstation, event.purpose) == ("view", "10.1.2.3",
                                                                      "ETREAT")


@pytest.mark.parametrize(("value", "expected"), [
    ("e3cdfc81a0d24bd^^^&2.16.840.1.113883.4.2&ISO", "e3cdfc81a0d24bd"),  # HL7 v2 CX
    ("PID1^^^Site A&1.2.40.0.13.1.1.999.111.1111&ISO", "PID1"),
    ("plain-id", "plain-id"),
])
def test_cx_id(value: str, expected: str) -> None:
    assert cx_id(value) == expected


@pytest.mark.parametrize(("reference", "expected"), [
    ("Patient/example/_history/1", "example"),
    ("Practitioner/f001", "f001"),
    ("https://example.org/fhir/Patient/42", "42"),
])
def test_reference_id(reference: str, expected: str) -> None:
    assert reference_id(reference) == expected
