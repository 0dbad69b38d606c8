"""A risk rated three ways: NIST SP 800-30 Rev. 1 Table I-2 level, the SRA Tool's three levels
(caresec's projection, docs/risk-method.md §7) and the 5×5 matrix score (ordinal product)."""

from __future__ import annotations

import pytest

from caresec.model import SraLevel
from caresec.model.risk import Assessed, Level
from caresec.risk import matrix_score, rate, sra_level

VL, L, M, H, VH = Level.VERY_LOW, Level.LOW, Level.MODERATE, Level.HIGH, Level.VERY_HIGH


@pytest.mark.parametrize(
    ("likelihood", "impact", "expected"),
    [
        # NIST SP 800-30 Rev. 1 Tables I-2 and G-5 order the five values very low (1) … very
        # high (5); the 5×5 score multiplies the two ordinals.
        (H, VH, 20),  # high × very high = 4 × 5
        (VH, VH, 25),  # the top corner
        (VL, VL, 1),  # the bottom corner
        (M, L, 6),  # 3 × 2
        (L, M, 6),  # symmetric
        (VL, VH, 5),  # 1 × 5
    ],
)
def test_matrix_score_is_the_ordinal_product(
    likelihood: Level, impact: Level, expected: int
) -> None:
    assert matrix_score(likelihood, impact) == expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (VL, SraLevel.LOW),
        (L, SraLevel.LOW),
        (M, SraLevel.MEDIUM),
        (H, SraLevel.HIGH),
        (VH, SraLevel.HIGH),
    ],
)
def test_sra_projection(level: Level, expected: SraLevel) -> None:
    assert sra_level(level) is expected


@pytest.mark.parametrize(
    ("likelihood", "impact", "level", "sra", "matrix"),
    [
        # Table I-2: likelihood high × impact very high = very high.
        (H, VH, VH, SraLevel.HIGH, 20),
        # Table I-2: likelihood very high × impact low = low.
        (VH, L, L, SraLevel.LOW, 10),
        # Table I-2: likelihood moderate × impact high = moderate.
        (M, H, M, SraLevel.MEDIUM, 12),
        # Table I-2: likelihood low × impact very high = moderate.
        (L, VH, M, SraLevel.MEDIUM, 10),
        # Table I-2: likelihood very low × impact high = low.
        (VL, H, L, SraLevel.LOW, 4),
    ],
)
def test_rate_combines_table_i2_sra_and_matrix(
    likelihood: Level, impact: Level, level: Level, sra: SraLevel, matrix: int
) -> None:
    rating = rate(Assessed(likelihood, 50, "l"), Assessed(impact, 50, "i"))
    assert (rating.level, rating.sra_level, rating.matrix_score) == (level, sra, matrix)
    assert rating.rationale == f"Table I-2: likelihood {likelihood} × impact {impact} = {level}"
    lo, hi = {VL: (0, 4), L: (5, 20), M: (21, 79), H: (80, 95), VH: (96, 100)}[level]
    assert lo <= rating.score <= hi  # Table I-3 range of the level
