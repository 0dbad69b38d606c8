"""Impact from an asset's clinical criticality and ePHI (caresec's rules, docs/risk-method.md).

The 500 boundary is the breach size at which HIPAA requires notice to HHS contemporaneously
with the individual notices (45 CFR 164.408(b)); below it, individuals are still notified
(45 CFR 164.404), hence the moderate floor for any ePHI.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from caresec.model import Asset, ClinicalCriticality
from caresec.model.risk import Level
from caresec.risk.impact import assess_impact

C = ClinicalCriticality
VL, L, M, H, VH = Level.VERY_LOW, Level.LOW, Level.MODERATE, Level.HIGH, Level.VERY_HIGH


@pytest.mark.parametrize(
    ("criticality", "holds_ephi", "records", "expected"),
    [
        (C.LIFE_SUSTAINING, False, 0, VH),
        (C.PATIENT_CONNECTED, False, 0, H),
        (C.DIAGNOSTIC, False, 0, M),
        (C.CLINICAL_SUPPORT, False, 0, M),
        (C.BUSINESS, False, 0, L),
        # ePHI floors
        (C.BUSINESS, True, 0, M),  # count unknown: any ePHI → at least moderate
        (C.BUSINESS, True, 499, M),  # below the 164.408(b) threshold
        (C.BUSINESS, True, 500, H),  # at the threshold
        (C.CLINICAL_SUPPORT, True, 99_999, H),
        (C.CLINICAL_SUPPORT, True, 100_000, VH),
        (C.BUSINESS, False, 2_000, H),  # a record count implies ePHI even if the flag is off
        # the criticality wins when higher than the floor
        (C.LIFE_SUSTAINING, True, 10, VH),
        (C.PATIENT_CONNECTED, True, 600, H),
    ],
)
def test_impact_level(
    make_asset: Callable[..., Asset],
    criticality: ClinicalCriticality,
    holds_ephi: bool,
    records: int,
    expected: Level,
) -> None:
    a = make_asset(criticality=criticality, holds_ephi=holds_ephi, ephi_records=records)
    impact = assess_impact(a)
    assert impact.level is expected
    assert f"criticality {criticality}" in impact.rationale
    assert impact.rationale.endswith(f"impact {expected}")


def test_impact_rationale_names_the_regulation(make_asset: Callable[..., Asset]) -> None:
    impact = assess_impact(make_asset(holds_ephi=True, ephi_records=12_000))
    assert impact.rationale == (
        "criticality business → low; 12,000 ePHI records ≥ 500 (45 CFR 164.408(b)) → "
        "at least high; impact high"
    )
    assert impact.score == 88


def test_no_ephi_rationale(make_asset: Callable[..., Asset]) -> None:
    rationale = assess_impact(make_asset()).rationale
    assert rationale == "criticality business → low; no ePHI; impact low"
