"""Impact of a threat event on an asset (NIST SP 800-30 Rev. 1 Appendix H, Table H-3 scale).

caresec's rules (documented in docs/risk-method.md), taken from the asset record alone:

1. Clinical criticality sets a base level: life-sustaining → very high (failure can kill or
   seriously injure); patient-connected → high; diagnostic → moderate; clinical support →
   moderate; business → low.
2. ePHI raises it to a floor: any ePHI → at least moderate (a breach of unsecured PHI must be
   notified to each individual, 45 CFR 164.404); 500 or more individuals' records → at least
   high (a breach of 500 or more is reported to HHS at the same time as the individual
   notices, 45 CFR 164.408(b)); 100,000 or more → very high (caresec's threshold for a mass
   breach).
3. The impact is the higher of the two.
"""

from __future__ import annotations

from caresec.model.asset import Asset, ClinicalCriticality
from caresec.model.risk import Assessed, Level
from caresec.risk.scale import assessed, max_level

#: 45 CFR 164.408(b): a breach of unsecured PHI of 500 or more individuals is reported to HHS
#: contemporaneously with the individual notices (not in the annual log).
EPHI_HHS_IMMEDIATE = 500
#: caresec's own threshold for a mass breach.
EPHI_MASS_BREACH = 100_000

CRITICALITY_IMPACT: dict[ClinicalCriticality, Level] = {
    ClinicalCriticality.LIFE_SUSTAINING: Level.VERY_HIGH,
    ClinicalCriticality.PATIENT_CONNECTED: Level.HIGH,
    ClinicalCriticality.DIAGNOSTIC: Level.MODERATE,
    ClinicalCriticality.CLINICAL_SUPPORT: Level.MODERATE,
    ClinicalCriticality.BUSINESS: Level.LOW,
}


def ephi_floor(asset: Asset) -> tuple[Level | None, str]:
    """The impact floor set by the asset's ePHI and a phrase saying why.

    Returns:
        ``(None, "no ePHI")`` when the asset holds no ePHI, else the floor level and the reason.
    """
    records = asset.ephi_records
    if not asset.holds_ephi and records <= 0:
        return None, "no ePHI"
    if records >= EPHI_MASS_BREACH:
        return Level.VERY_HIGH, f"{records:,} ePHI records ≥ {EPHI_MASS_BREACH:,} → very high"
    if records >= EPHI_HHS_IMMEDIATE:
        return (
            Level.HIGH,
            f"{records:,} ePHI records ≥ {EPHI_HHS_IMMEDIATE} (45 CFR 164.408(b)) → at least high",
        )
    count = f"{records:,} ePHI records" if records > 0 else "holds ePHI (count unknown)"
    return Level.MODERATE, f"{count} (45 CFR 164.404) → at least moderate"


def assess_impact(asset: Asset) -> Assessed:
    """Impact of a threat event against ``asset`` (Table H-3 scale).

    Args:
        asset: the inventory record (its criticality, ``holds_ephi`` and ``ephi_records``).

    Returns:
        :class:`Assessed` with the representative score of the level and a rationale naming the
        criticality and ePHI inputs, e.g. ``criticality life-sustaining → very high; 1,200 ePHI
        records ≥ 500 (45 CFR 164.408(b)) → at least high; impact very high``.
    """
    base = CRITICALITY_IMPACT[asset.criticality]
    floor, ephi_reason = ephi_floor(asset)
    level = base if floor is None else max_level(base, floor)
    rationale = f"criticality {asset.criticality} → {base}; {ephi_reason}; impact {level}"
    return assessed(level, rationale)
