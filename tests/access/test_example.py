"""The shipped example (examples/riverside-community-hospital/access, generated with seed 2025):
the review explains most accesses and finds every planted pattern, with evidence."""

from __future__ import annotations

import json
from pathlib import Path

from caresec.access.pseudonym import KeyedPseudonymizer
from caresec.access.review import review_access
from caresec.model.access import AccessPattern

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
           / "access")


def test_example_review() -> None:
    review = review_access([EXAMPLE / "logs"], EXAMPLE / "context", timezone="America/Chicago",
                           pseudonymizer=KeyedPseudonymizer(b"example-key-0123456789"))
    truth = json.loads((EXAMPLE / "ground-truth.json").read_text())
    assert review.events == 9936 and review.problems == ()
    assert review.explained_share > 0.9
    found = set()
    for incident in truth["incidents"]:
        for case in review.cases:
            if case.pattern.value == incident["pattern"] and set(case.event_ids) & set(
                    incident["event_ids"]):
                found.add(incident["pattern"])
                assert len(case.evidence) >= 3 and case.evidence[-1].startswith("Next step:")
    assert found == {p.value for p in AccessPattern}
