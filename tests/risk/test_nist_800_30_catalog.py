"""The shipped NIST SP 800-30 Rev. 1 scales, checked cell by cell against the publication.

Source: NIST SP 800-30 Rev. 1 (September 2012), Appendix G Table G-2 (semi-quantitative
values), Table G-5 (overall likelihood), Appendix I Table I-2 (level of risk) and Table I-3.
"""

from __future__ import annotations

import copy
from itertools import pairwise
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from caresec.catalogs.nist800_30 import Nist80030Catalog, load_nist_800_30
from caresec.model.risk import Level

VL, L, M, H, VH = Level.VERY_LOW, Level.LOW, Level.MODERATE, Level.HIGH, Level.VERY_HIGH


def _raw() -> dict[str, Any]:
    from importlib.resources import files

    text = files("caresec.catalogs").joinpath("nist-800-30.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_catalog_header_cites_the_publication() -> None:
    cat = load_nist_800_30()
    assert cat.catalog == "nist-800-30"
    assert "800-30 Revision 1" in cat.source and "September 2012" in cat.source
    for table in ("G-2", "G-5", "H-3", "I-2"):
        assert table in cat.source


@pytest.mark.parametrize(
    ("level", "low", "high", "value"),
    [
        # Table G-2 (and G-3, G-4, H-3, I-3): qualitative, semi-quantitative range, 0-10 value.
        (VH, 96, 100, 10),
        (H, 80, 95, 8),
        (M, 21, 79, 5),
        (L, 5, 20, 2),
        (VL, 0, 4, 0),
    ],
)
def test_semi_quantitative_scale_matches_table_g2(
    level: Level, low: int, high: int, value: int
) -> None:
    b = load_nist_800_30().bin(level)
    assert (b.low, b.high, b.value) == (low, high, value)


@pytest.mark.parametrize(
    ("score", "level"),
    [(0, VL), (4, VL), (5, L), (20, L), (21, M), (79, M), (80, H), (95, H), (96, VH), (100, VH)],
)
def test_level_for_score_uses_inclusive_bounds(score: int, level: Level) -> None:
    assert load_nist_800_30().level_for_score(score) is level


@pytest.mark.parametrize("score", [-1, 101])
def test_level_for_score_rejects_out_of_range(score: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        load_nist_800_30().level_for_score(score)


@pytest.mark.parametrize(
    ("initiation", "adverse", "overall", "cell"),
    [
        (VH, VH, VH, "Table G-5: initiation very high × adverse impact very high = very high"),
        (VH, VL, L, "Table G-5: initiation very high × adverse impact very low = low"),
        (VH, M, H, "Table G-5: initiation very high × adverse impact moderate = high"),
        (H, M, M, "Table G-5: initiation high × adverse impact moderate = moderate"),
        (H, H, H, "Table G-5: initiation high × adverse impact high = high"),
        (M, VH, H, "Table G-5: initiation moderate × adverse impact very high = high"),
        (M, H, M, "Table G-5: initiation moderate × adverse impact high = moderate"),
        (L, VH, M, "Table G-5: initiation low × adverse impact very high = moderate"),
        (L, VL, VL, "Table G-5: initiation low × adverse impact very low = very low"),
        (VL, VH, L, "Table G-5: initiation very low × adverse impact very high = low"),
        (VL, L, VL, "Table G-5: initiation very low × adverse impact low = very low"),
    ],
)
def test_table_g5_cells(initiation: Level, adverse: Level, overall: Level, cell: str) -> None:
    assert load_nist_800_30().overall_likelihood.lookup(initiation, adverse) is overall, cell


@pytest.mark.parametrize(
    ("likelihood", "impact", "risk", "cell"),
    [
        (H, M, M, "Table I-2: likelihood high × impact moderate = moderate"),
        (VH, VH, VH, "Table I-2: likelihood very high × impact very high = very high"),
        (VH, VL, VL, "Table I-2: likelihood very high × impact very low = very low"),
        (VH, L, L, "Table I-2: likelihood very high × impact low = low"),
        (M, VH, H, "Table I-2: likelihood moderate × impact very high = high"),
        (M, H, M, "Table I-2: likelihood moderate × impact high = moderate"),
        (L, VH, M, "Table I-2: likelihood low × impact very high = moderate"),
        (L, H, L, "Table I-2: likelihood low × impact high = low"),
        (VL, H, L, "Table I-2: likelihood very low × impact high = low"),
        (VL, M, VL, "Table I-2: likelihood very low × impact moderate = very low"),
    ],
)
def test_table_i2_cells(likelihood: Level, impact: Level, risk: Level, cell: str) -> None:
    assert load_nist_800_30().level_of_risk.lookup(likelihood, impact) is risk, cell


def test_both_tables_are_monotonic() -> None:
    """A property of Tables G-5 and I-2: raising either input never lowers the result."""
    cat = load_nist_800_30()
    ascending = list(Level)
    for table in (cat.overall_likelihood, cat.level_of_risk):
        for row, upper_row in pairwise(ascending):
            for col, upper_col in pairwise(ascending):
                here = table.lookup(row, col).ordinal
                assert table.lookup(upper_row, col).ordinal >= here
                assert table.lookup(row, upper_col).ordinal >= here


def test_shipped_file_validates() -> None:
    Nist80030Catalog.model_validate(_raw())


def _broken(edit: str) -> dict[str, Any]:
    data = copy.deepcopy(_raw())
    if edit == "missing I-2 cell":
        del data["level_of_risk"]["cells"]["high"]["moderate"]
    elif edit == "missing G-5 row":
        del data["overall_likelihood"]["cells"]["low"]
    elif edit == "value outside the scale":
        data["level_of_risk"]["cells"]["high"]["moderate"] = "severe"
    elif edit == "scale gap":
        data["scale"][2]["low"] = 22
    elif edit == "scale missing a level":
        data["scale"] = data["scale"][:4]
    elif edit == "unknown key":
        data["weights"] = [1, 2]
    return data


@pytest.mark.parametrize(
    "edit",
    [
        "missing I-2 cell",
        "missing G-5 row",
        "value outside the scale",
        "scale gap",
        "scale missing a level",
        "unknown key",
    ],
)
def test_invalid_catalog_is_rejected(edit: str) -> None:
    with pytest.raises(ValidationError):
        Nist80030Catalog.model_validate(_broken(edit))
