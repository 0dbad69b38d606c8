"""Context folders: caresec CSVs (bad values named by file, row and column) and Synthea v3 CSV
exports read directly (../shared/data/access/synthea-27pt; counts from its PROVENANCE.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from caresec.access.context import EPOCH, FAR_FUTURE_S, load_context
from caresec.errors import InputError
from caresec.model.problems import ProblemSeverity


@pytest.mark.realdata
def test_synthea_export(shared_data: Path) -> None:
    context = load_context(shared_data / "access" / "synthea-27pt")
    # PROVENANCE.md: 27 patients, 604 encounters, providers.csv 166 rows
    assert (context.patients.num_rows, context.encounters.num_rows,
            context.users.num_rows) == (27, 604, 166)
    classes = context.encounters.column("encounter_class").to_pylist()
    assert {c: classes.count(c) for c in set(classes)} == {
        "wellness": 348, "ambulatory": 174, "outpatient": 52, "emergency": 17, "inpatient": 11,
        "urgentcare": 2}
    first = context.encounters.slice(0, 1).to_pylist()[0]
    # encounters.csv row 2: 57f2562b-…, START 2023-01-27T16:17:47Z, STOP 16:32:47Z, the
    # provider 2d85c411-… whose SPECIALITY is GENERAL PRACTICE
    assert first["encounter_id"] == "57f2562b-445c-f11c-ba40-edc55af3c84f"
    assert first["start_s"] == int(datetime(2023, 1, 27, 16, 17, 47, tzinfo=UTC).timestamp())
    assert first["stop_s"] - first["start_s"] == 15 * 60
    assert first["department"] == "General Practice"
    patient = context.patients.slice(0, 1).to_pylist()[0]
    # patients.csv row 2: Maynard46 Mosciski958, born 2014-10-06, 784 Stamm Lock Unit 46, 02155
    assert patient["surname_key"] == "MOSCISKI"
    assert patient["birth_day"] == (date(2014, 10, 6) - EPOCH).days
    assert patient["household_key"] == "784 STAMM LCK APT 46|02155"
    assert context.problems == ()
    assert [t for t, _ in context.sources] == ["users", "patients", "encounters"]


def test_bad_context_values_are_named(fixtures: Path) -> None:
    folder = fixtures / "access" / "context-bad"
    context = load_context(folder)
    users = context.users.to_pylist()
    assert [u["user_id"] for u in users] == ["U1", "U2"]
    assert users[0]["role"] == "physician"  # roles are compared in lower case
    assert users[1]["hire_day"] is None
    found = {(Path(p.file).name, p.place, p.severity) for p in context.problems}
    assert ("users.csv", "row 3, column hire_date", ProblemSeverity.WARNING) in found
    assert ("users.csv", "row 4, column user_id", ProblemSeverity.WARNING) in found
    assert ("users.csv", "row 5, column user_id", ProblemSeverity.ERROR) in found
    assert ("patients.csv", "row 1", ProblemSeverity.ERROR) in found
    assert ("encounters.csv", "row 2, column end", ProblemSeverity.WARNING) in found
    [encounter] = context.encounters.to_pylist()
    assert encounter["stop_s"] == FAR_FUTURE_S  # an unreadable end counts as still open
    assert context.patients.num_rows == 0


def test_missing_folder() -> None:
    with pytest.raises(InputError):
        load_context(Path("/nonexistent/context"))
