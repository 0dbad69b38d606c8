"""A risk rated three ways: NIST SP 800-30 Rev. 1 level, the SRA Tool's three levels and a 5×5
matrix score.

* **Level of risk**: Table I-2 cell for likelihood × impact, with a 0–100 score inside that
  level's Table I-3 range (:func:`level_of_risk`).
* **SRA Tool level** (caresec's projection of the five NIST values onto the HHS Security Risk
  Assessment Tool's low / medium / high): very low and low → low; moderate → medium; high and
  very high → high. The middle NIST value stays the middle SRA value and the two values on each
  side fold onto their side.
* **5×5 matrix score** 1–25: likelihood ordinal × impact ordinal, each 1 (very low) … 5
  (very high), the axes of Table I-2 (e.g. likelihood high × impact very high = 4 × 5 = 20).
"""

from __future__ import annotations

from caresec.catalogs.nist800_30 import load_nist_800_30
from caresec.model.plan import RiskRating, SraLevel
from caresec.model.risk import Assessed, Level
from caresec.risk.scale import combine

#: caresec's projection of the NIST SP 800-30 Rev. 1 levels onto the SRA Tool's three levels.
SRA_PROJECTION: dict[Level, SraLevel] = {
    Level.VERY_LOW: SraLevel.LOW,
    Level.LOW: SraLevel.LOW,
    Level.MODERATE: SraLevel.MEDIUM,
    Level.HIGH: SraLevel.HIGH,
    Level.VERY_HIGH: SraLevel.HIGH,
}


def level_of_risk(likelihood: Assessed, impact: Assessed) -> tuple[Level, int, str]:
    """Level of risk by Table I-2 and its 0–100 score (Table I-3 range).

    Returns:
        ``(level, score, rationale)``, the rationale in the form
        ``Table I-2: likelihood high × impact moderate = moderate``.
    """
    level, score = combine(load_nist_800_30().level_of_risk, likelihood, impact)
    rationale = f"Table I-2: likelihood {likelihood.level} × impact {impact.level} = {level}"
    return level, score, rationale


def sra_level(level: Level) -> SraLevel:
    """``level`` projected onto the SRA Tool's low / medium / high (see module docstring)."""
    return SRA_PROJECTION[level]


def matrix_score(likelihood: Level, impact: Level) -> int:
    """5×5 matrix score 1–25: ``likelihood.ordinal × impact.ordinal``."""
    return likelihood.ordinal * impact.ordinal


def rate(likelihood: Assessed, impact: Assessed) -> RiskRating:
    """Rate likelihood × impact: Table I-2 level and score, SRA level, 5×5 score."""
    level, score, rationale = level_of_risk(likelihood, impact)
    return RiskRating(
        likelihood=likelihood,
        impact=impact,
        level=level,
        score=score,
        sra_level=sra_level(level),
        matrix_score=matrix_score(likelihood.level, impact.level),
        rationale=rationale,
    )
