"""Risk records on the NIST SP 800-30 Rev. 1 semi-quantitative scale."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """The five qualitative values of NIST SP 800-30 Rev. 1 Appendices G–I."""

    VERY_LOW = "very low"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very high"

    @property
    def ordinal(self) -> int:
        """1 for very low … 5 for very high (the 5×5 matrix axis)."""
        return list(Level).index(self) + 1


@dataclass(frozen=True, slots=True)
class Assessed:
    """A likelihood or impact value with the reason for it.

    Attributes:
        level: qualitative :class:`Level`.
        score: semi-quantitative value 0–100 (NIST SP 800-30 Rev. 1 Tables G-2, G-3, H-3).
        rationale: one line naming the inputs that produced the value.
    """

    level: Level
    score: int
    rationale: str


@dataclass(frozen=True, slots=True)
class Risk:
    """One risk: an asset exposed to a threat event through findings.

    Attributes:
        risk_id: stable id (``RISK-<asset>-<threat event>``).
        asset_id: the asset.
        threat_event_id: threat event id from the threat catalog.
        threat_event: its title.
        likelihood: overall likelihood (Table G-5).
        impact: impact (Table H-3).
        level: level of risk (Table I-2).
        finding_ids: the findings (e.g. vulnerabilities) behind it, the one that drives the
            likelihood first.
        rationale: one line combining the two.
        score: semi-quantitative level of risk 0–100, inside the Table I-3 range of ``level``.
    """

    risk_id: str
    asset_id: str
    threat_event_id: str
    threat_event: str
    likelihood: Assessed
    impact: Assessed
    level: Level
    finding_ids: tuple[str, ...]
    rationale: str
    score: int = 0
