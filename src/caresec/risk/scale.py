"""Arithmetic on the NIST SP 800-30 Rev. 1 scales: levels, representative scores, table look-ups.

NIST gives each qualitative level a 0–100 range (Tables G-2, G-3, G-4, H-3, I-3) and gives the
5×5 tables G-5 and I-2 for combining levels, but no formula for a score inside a range. caresec's
rule, used everywhere: a single assessed input scores the midpoint of its level's range; a
combined value takes its level from the NIST table and its score inside that level's range in
proportion to the product of the two input scores (so that, within one level, a combination of
higher inputs ranks higher).
"""

from __future__ import annotations

import math

from caresec.catalogs.nist800_30 import LevelMatrix, load_nist_800_30
from caresec.model.risk import Assessed, Level

LEVELS_ASCENDING: tuple[Level, ...] = tuple(Level)


def midpoint(level: Level) -> int:
    """Representative 0–100 score of ``level``: the midpoint of its NIST range (very high → 98,
    high → 88, moderate → 50, low → 13, very low → 2)."""
    return load_nist_800_30().bin(level).midpoint


def assessed(level: Level, rationale: str) -> Assessed:
    """An :class:`Assessed` value at the representative score of ``level``."""
    return Assessed(level=level, score=midpoint(level), rationale=rationale)


def shift(level: Level, steps: int) -> Level:
    """``level`` moved ``steps`` places up (positive) or down, clamped to very low … very high."""
    index = min(max(level.ordinal - 1 + steps, 0), len(LEVELS_ASCENDING) - 1)
    return LEVELS_ASCENDING[index]


def combine(table: LevelMatrix, row: Assessed, column: Assessed) -> tuple[Level, int]:
    """Combine two assessed values with a NIST table (G-5 or I-2).

    Returns:
        ``(level, score)``: the table's cell for ``row.level`` × ``column.level``, and a 0–100
        score inside that level's range: ``low + (high - low) × row.score × column.score
        / 10 000``, rounded half up.
    """
    level = table.lookup(row.level, column.level)
    band = load_nist_800_30().bin(level)
    fraction = (row.score * column.score) / 10_000
    return level, band.low + math.floor((band.high - band.low) * fraction + 0.5)


def max_level(*levels: Level) -> Level:
    """The highest of ``levels``."""
    return max(levels, key=lambda lv: lv.ordinal)
