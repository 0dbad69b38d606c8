"""The NIST SP 800-30 Rev. 1 assessment scales (``nist-800-30.yaml``), validated at load."""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from caresec.catalogs.loader import CatalogHeader, load_catalog
from caresec.model.risk import Level

CATALOG_NAME = "nist-800-30"


class ScaleBin(BaseModel):
    """One row of the semi-quantitative scale (NIST SP 800-30 Rev. 1 Tables G-2, G-3, G-4,
    H-3, I-3).

    Attributes:
        level: the qualitative value.
        low, high: the inclusive 0–100 range it covers.
        value: the 0–10 semi-quantitative value.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Level
    low: int = Field(ge=0, le=100)
    high: int = Field(ge=0, le=100)
    value: int = Field(ge=0, le=10)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise ValueError(f"{self.level}: low {self.low} is above high {self.high}")
        return self

    @property
    def midpoint(self) -> int:
        """The middle of the range, rounded half up (``very high`` 96–100 → 98)."""
        return (self.low + self.high + 1) // 2


class LevelMatrix(BaseModel):
    """A 5×5 table giving a :class:`Level` for a (row level, column level) pair.

    Attributes:
        table: the table's number in the publication (``G-5``, ``I-2``).
        title: its title.
        rows, columns: what the row and column values are.
        cells: ``cells[row][column]``; every one of the 25 cells must be present.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    title: str
    rows: str
    columns: str
    cells: dict[Level, dict[Level, Level]]

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [
            f"{row} × {column}"
            for row in Level
            for column in Level
            if column not in self.cells.get(row, {})
        ]
        if missing:
            raise ValueError(f"Table {self.table} lacks cells: {', '.join(missing)}")
        return self

    def lookup(self, row: Level, column: Level) -> Level:
        """The cell at ``row`` × ``column``."""
        return self.cells[row][column]


class Nist80030Catalog(CatalogHeader):
    """The whole ``nist-800-30.yaml`` file.

    Attributes:
        scale_tables: the tables that share :attr:`scale`.
        scale: one bin per level; together they cover 0–100 without gap or overlap.
        overall_likelihood: Table G-5.
        level_of_risk: Table I-2.
    """

    scale_tables: tuple[str, ...]
    scale: tuple[ScaleBin, ...]
    overall_likelihood: LevelMatrix
    level_of_risk: LevelMatrix

    @model_validator(mode="after")
    def _scale_covers_0_to_100(self) -> Self:
        levels = [b.level for b in self.scale]
        if sorted(levels, key=lambda lv: lv.ordinal) != list(Level) or len(set(levels)) != 5:
            raise ValueError("scale must have exactly one bin per level")
        ordered = sorted(self.scale, key=lambda b: b.low)
        if ordered[0].low != 0 or ordered[-1].high != 100:
            raise ValueError("scale must start at 0 and end at 100")
        for below, above in pairwise(ordered):
            if above.low != below.high + 1:
                raise ValueError(
                    f"scale has a gap or overlap between {below.level} and {above.level}"
                )
            if above.level.ordinal != below.level.ordinal + 1 or above.value <= below.value:
                raise ValueError(f"scale bins {below.level} and {above.level} are out of order")
        return self

    def bin(self, level: Level) -> ScaleBin:
        """The scale bin of ``level``."""
        return next(b for b in self.scale if b.level is level)

    def level_for_score(self, score: int) -> Level:
        """The level whose 0–100 range holds ``score``.

        Raises:
            ValueError: ``score`` is outside 0–100.
        """
        for b in self.scale:
            if b.low <= score <= b.high:
                return b.level
        raise ValueError(f"score {score} is outside 0–100")


@cache
def load_nist_800_30() -> Nist80030Catalog:
    """The shipped NIST SP 800-30 Rev. 1 scales, validated (cached).

    Raises:
        CatalogError: the file is missing, not YAML, or fails validation (a missing cell,
            a value outside the five levels, a scale with gaps).
    """
    return load_catalog(CATALOG_NAME, Nist80030Catalog)
