"""The detector's accuracy floor on the PhysioNet deid gold standard (development part,
patients 1–81; ../shared/data/phi/physionet-deid-dev, scoring of caresec.phi.evaluate: a gold
span is found when a detected span overlaps it). The floors sit just under the figures
benchmarks/phi_eval.py prints, so that a change that loses accuracy fails here."""

from __future__ import annotations

from pathlib import Path

from caresec.phi import detect
from caresec.phi.evaluate import read_gold, read_notes, score_corpus

RECALL_FLOOR = 0.97  # measured 0.980 (1226/1251)
PRECISION_FLOOR = 0.92  # measured 0.931 (1059/1137)


def test_physionet_deid_dev_floor(shared_data: Path) -> None:
    corpus = shared_data / "phi" / "physionet-deid-dev"
    notes = read_notes(corpus.joinpath("id.text").read_text(encoding="utf-8"))
    gold = read_gold(corpus.joinpath("id-phi.phrase").read_text(encoding="utf-8"))
    assert len(notes) == 1642 and sum(map(len, gold.values())) == 1251  # PROVENANCE.md counts
    score = score_corpus(notes, gold, lambda body: [(s.start, s.end) for s in detect(body)])
    assert score.recall >= RECALL_FLOOR
    assert score.precision >= PRECISION_FLOOR
