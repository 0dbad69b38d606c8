"""The accuracy floor of issue 6 on one small seed (benchmarks/access_eval.py measures several):
at least 94 % of legitimate patient events explained, recall >= 0.9 for every pattern and
precision >= 0.8 over the 50 highest-ranked cases, against the generator's ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from caresec.access.pseudonym import KeyedPseudonymizer
from caresec.access.review import review_access
from caresec.model.access import AccessPattern, AccessReview

from .conftest import SMALL

KEY = KeyedPseudonymizer(b"accuracy-test-key-0123456789")


@pytest.fixture(scope="module")
def truth(small_hospital: dict[str, Path]) -> dict[str, list[dict[str, object]]]:
    loaded: dict[str, list[dict[str, object]]] = json.loads(small_hospital["truth"].read_text())
    return loaded


@pytest.fixture(scope="module")
def review(small_hospital: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> AccessReview:
    return review_access([small_hospital["events"]], small_hospital["context"],
                         pseudonymizer=KEY, timezone=SMALL.timezone,
                         work_dir=tmp_path_factory.mktemp("review"))


def test_every_pattern_is_planted(truth: dict[str, list[dict[str, object]]]) -> None:
    patterns = [i["pattern"] for i in truth["incidents"]]
    assert {p: patterns.count(p) for p in set(patterns)} == {p.value: 8 for p in AccessPattern}


@pytest.mark.parametrize("pattern", list(AccessPattern), ids=lambda p: p.value)
def test_recall_floor(review: AccessReview, truth: dict[str, list[dict[str, object]]],
                      pattern: AccessPattern) -> None:
    planted = [i for i in truth["incidents"] if i["pattern"] == pattern.value]
    covered = [i for i in planted if any(
        c.pattern is pattern and set(c.event_ids) & set(i["event_ids"])  # type: ignore[arg-type]
        for c in review.cases)]
    assert len(covered) / len(planted) >= 0.9


def test_precision_at_50(review: AccessReview, truth: dict[str, list[dict[str, object]]]) -> None:
    planted = {e for i in truth["incidents"] for e in i["event_ids"]}  # type: ignore[attr-defined]
    top = review.cases[:50]
    assert len(top) == 50
    assert sum(bool(set(c.event_ids) & planted) for c in top) / 50 >= 0.8


def test_explained_share_of_legitimate_events(small_hospital: dict[str, Path],
                                              truth: dict[str, list[dict[str, object]]],
                                              tmp_path: Path) -> None:
    planted = {e for i in truth["incidents"] for e in i["event_ids"]}  # type: ignore[attr-defined]
    parts = sorted(small_hospital["events"].glob("*.parquet"))
    legit = [p for p in parts if not planted & set(
        pq.read_table(p, columns=["event_id"]).column("event_id").to_pylist())]
    assert len(legit) == len(parts) - 1
    review = review_access(legit, small_hospital["context"], pseudonymizer=KEY,
                           timezone=SMALL.timezone, work_dir=tmp_path)
    assert review.explained_share >= 0.94
