"""Scores on the NIST SP 800-30 Rev. 1 scale (Table G-2 ranges) and caresec's combination rule."""

from __future__ import annotations

import pytest

from caresec.catalogs.nist800_30 import load_nist_800_30
from caresec.model.risk import Assessed, Level
from caresec.risk.scale import assessed, combine, midpoint, shift

VL, L, M, H, VH = Level.VERY_LOW, Level.LOW, Level.MODERATE, Level.HIGH, Level.VERY_HIGH


@pytest.mark.parametrize(
    ("level", "score"),
    # Midpoints of the Table G-2 ranges 0-4, 5-20, 21-79, 80-95, 96-100, rounded half up.
    [(VL, 2), (L, 13), (M, 50), (H, 88), (VH, 98)],
)
def test_midpoint_of_each_range(level: Level, score: int) -> None:
    assert midpoint(level) == score
    assert load_nist_800_30().level_for_score(score) is level


@pytest.mark.parametrize(
    ("level", "steps", "result"),
    [(M, 1, H), (VH, 1, VH), (VL, -1, VL), (H, -1, M), (L, 0, L), (VL, 4, VH)],
)
def test_shift_clamps_to_the_scale(level: Level, steps: int, result: Level) -> None:
    assert shift(level, steps) is result


@pytest.mark.parametrize("row", list(Level))
@pytest.mark.parametrize("col", list(Level))
def test_combined_score_stays_in_the_cell_level_range(row: Level, col: Level) -> None:
    table = load_nist_800_30().level_of_risk
    level, score = combine(table, assessed(row, "r"), assessed(col, "c"))
    assert level is table.lookup(row, col)
    assert load_nist_800_30().level_for_score(score) is level


def test_combined_score_orders_within_a_level() -> None:
    """Table I-2 gives moderate for both high × moderate and moderate × moderate; the score
    ranks the stronger inputs higher."""
    table = load_nist_800_30().level_of_risk
    strong = combine(table, assessed(H, ""), assessed(M, ""))
    weak = combine(table, assessed(M, ""), assessed(M, ""))
    assert strong[0] is weak[0] is M
    assert strong[1] > weak[1]


def test_combined_score_extremes() -> None:
    table = load_nist_800_30().level_of_risk
    assert combine(table, Assessed(VH, 100, ""), Assessed(VH, 100, "")) == (VH, 100)
    assert combine(table, Assessed(VL, 0, ""), Assessed(VL, 0, "")) == (VL, 0)
