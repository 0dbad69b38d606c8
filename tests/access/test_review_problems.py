"""Bad input at review: repeated event ids (dropped, named with the kept row), users and
patients missing from the context, events dated in the future, nothing readable at all."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from caresec.access.pseudonym import Identity
from caresec.access.review import review_access
from caresec.model.problems import ProblemSeverity


def test_duplicates_unknowns_and_future(fixtures: Path, tmp_path: Path) -> None:
    mini = fixtures / "access" / "mini"
    extra = tmp_path / "late-export.csv"
    extra.write_text(
        "event_id,time,user_id,patient_id,action\n"
        "ev01,2024-03-01T09:00:00Z,U1,P1,view\n"          # the same event again
        "z1,2024-03-05T09:00:00Z,U99,P1,view\n"           # a user not on the roster
        "z2,2024-03-05T09:10:00Z,U1,P404,view\n"          # a patient not in the index
        "z3,2031-01-01T00:00:00Z,U1,P1,view\n",           # the future
        encoding="utf-8")
    review = review_access([mini / "events.csv", extra], mini / "context",
                           pseudonymizer=Identity(), today=date(2024, 12, 31))
    counts = dict(review.counts)
    assert review.events == 19 + 3
    assert counts["duplicate events dropped"] == 1
    assert (counts["unknown users"], counts["events by unknown users"]) == (1, 1)
    assert (counts["unknown patients"], counts["events on unknown patients"]) == (1, 1)
    assert counts["events after today"] == 1
    [duplicate] = [p for p in review.problems if "repeats the event at" in p.message]
    # the first by (file path, row) is kept: both copies are row 2 of their file
    kept, dropped = sorted([str(extra), str(mini / "events.csv")])
    assert (duplicate.file, duplicate.place) == (dropped, "row 2")
    assert f"{kept} row 2" in duplicate.message
    by_place = {(Path(p.file).name, p.place): p for p in review.problems}
    assert "U99" in by_place[("late-export.csv", "row 3")].message
    assert "not in the patient index" in by_place[("late-export.csv", "row 4")].message
    assert "after 2024-12-31" in by_place[("late-export.csv", "row 5")].message
    assert all(p.severity is ProblemSeverity.WARNING for p in by_place.values())


def test_no_readable_events(fixtures: Path, tmp_path: Path) -> None:
    review = review_access([fixtures / "access" / "events.missing-column.csv"],
                           fixtures / "access" / "mini" / "context")
    assert (review.events, review.cases) == (0, ())
    assert review.problems[0].place == "row 1"


def test_review_without_roster_uses_logged_roles(fixtures: Path, tmp_path: Path) -> None:
    context = tmp_path / "context"
    shutil.copytree(fixtures / "access" / "mini" / "context", context)
    (context / "users.csv").unlink()
    review = review_access([fixtures / "access" / "mini" / "events.csv"], context,
                           pseudonymizer=Identity(), today=date(2024, 12, 31))
    # departments come from the log: U5 (Emergency) is still explained on E10
    assert dict(review.explained_by)["encounter-department"] == 2
    assert any("no workforce roster" in p.message for p in review.problems)
    vip = next(c for c in review.cases if c.patient == "P2")
    assert vip.user_role == "physician"
