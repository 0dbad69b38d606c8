"""The explanation templates and the patient detectors on a hand-built hospital
(tests/fixtures/access/mini): each event was written to exercise one template or one detector,
so the expected explanation or case of every event is known by construction.

Windows are those of access-explanations.yaml (treating provider: encounter -24 h/+30 days;
repeat access: an explained access in the previous 30 days; scheduled appointment: -60/+14 days;
department: -12 h/+72 h; billing/HIM: discharge to +180 days).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from caresec.access.pseudonym import Identity, KeyedPseudonymizer
from caresec.access.review import review_access
from caresec.model.access import AccessPattern, AccessReview

TODAY = date(2024, 12, 31)


@pytest.fixture(scope="module")
def mini() -> Path:
    return Path(__file__).resolve().parents[1] / "fixtures" / "access" / "mini"


@pytest.fixture(scope="module")
def review(mini: Path) -> AccessReview:
    return review_access([mini / "events.csv"], mini / "context", pseudonymizer=Identity(),
                         today=TODAY)


def test_counts(review: AccessReview) -> None:
    assert (review.events, review.patient_events, review.explained_events) == (19, 19, 10)
    assert review.explained_share == pytest.approx(10 / 19)
    assert review.problems == ()


@pytest.mark.parametrize(("template", "events", "why"), [
    ("treating-provider", 2, "ev01 during E1, ev08a 22 days after E1 ended (window 30 days)"),
    ("care-team", 1, "ev02: U2 is on E1's care team"),
    ("order-or-result", 1, "ev03: U6 resulted O10"),
    ("scheduled-appointment", 1, "ev04: U7 booked A8, 13 days ahead"),
    ("encounter-department", 2, "ev07, ev19: U5 works in Emergency, where E10 was"),
    ("appointment-department", 0, "no access by Family Medicine staff"),
    ("front-desk-appointment", 1, "ev05: registration on the day of A8"),
    ("billing-him-discharge", 1, "ev06: billing 5 days after E9's discharge"),
    ("repeat-access", 1, "ev08: 47 days after E1 but 16 days after the explained ev08a"),
])
def test_explained_by_template(review: AccessReview, template: str, events: int,
                               why: str) -> None:
    assert dict(review.explained_by)[template] == events, why


EXPECTED = {
    (AccessPattern.VIP, "U1", "P2", ("ev10", "ev11")),
    (AccessPattern.SELF, "U2", "P3", ("ev12",)),
    (AccessPattern.COWORKER, "U1", "P4", ("ev13",)),
    (AccessPattern.DECEASED, "U7", "P5", ("ev14",)),
    (AccessPattern.FAMILY_OR_NEIGHBOUR, "U3", "P6", ("ev15",)),
    (AccessPattern.FAMILY_OR_NEIGHBOUR, "U2", "P7", ("ev16",)),
    (AccessPattern.AFTER_TERMINATION, "U5", "", ("ev17",)),
    (AccessPattern.BREAK_GLASS, "U2", "P9", ("ev18",)),
}


def test_cases_are_exactly_the_planted_ones(review: AccessReview) -> None:
    found = {(c.pattern, c.user_id, c.patient, c.event_ids) for c in review.cases}
    assert found == EXPECTED
    # ev19 is break-the-glass too, but E10 (Emergency, U5's department) began 30 minutes later
    assert not any("ev19" in c.event_ids for c in review.cases)


def test_ranked_highest_first(review: AccessReview) -> None:
    scores = [c.score for c in review.cases]
    assert scores == sorted(scores, reverse=True)
    assert review.cases[0].pattern is AccessPattern.SELF


@pytest.mark.parametrize(("pattern", "words"), [
    (AccessPattern.FAMILY_OR_NEIGHBOUR, "shares the user's surname and home address"),
    (AccessPattern.COWORKER, "works in Laboratory"),
    (AccessPattern.DECEASED, "died on 2024-01-10"),
    (AccessPattern.AFTER_TERMINATION, "termination date 2024-03-05"),
    (AccessPattern.BREAK_GLASS, "reason given: Patient unresponsive"),
])
def test_evidence_names_the_reason(review: AccessReview, pattern: AccessPattern,
                                   words: str) -> None:
    texts = [" ".join(c.evidence) for c in review.cases if c.pattern is pattern]
    assert any(words in t for t in texts), texts


def test_neighbour_is_told_apart_from_family(review: AccessReview) -> None:
    neighbour = next(c for c in review.cases if c.patient == "P7")
    assert "lives in the user's building (another unit)" in neighbour.evidence[0]


def test_patients_are_pseudonymized_by_default(mini: Path) -> None:
    key = KeyedPseudonymizer(b"0123456789abcdef0123456789abcdef")
    review = review_access([mini / "events.csv"], mini / "context", pseudonymizer=key,
                           today=TODAY)
    shown = {c.patient for c in review.cases} - {""}
    assert shown == {key.pseudonym(p) for p in ("P2", "P3", "P4", "P5", "P6", "P7", "P9")}
    text = " ".join(" ".join(c.evidence) for c in review.cases)
    for patient in ("P2", "P3", "P4", "P5", "P6", "P7", "P9"):
        assert f" {patient} " not in f" {text} "
    assert review.pseudonymized
