"""Residual likelihood: the threat event's counter-controls credited by status
(docs/risk-method.md §8): met 1, partly met ½, not met and unknown 0, not applicable left out;
coverage 1 → two steps down, ≥ ½ → one step, below → none."""

from __future__ import annotations

import pytest

from caresec.model import ControlState, ControlStatus
from caresec.model.risk import Assessed, Level
from caresec.risk.controls import control_steps, coverage, residual_likelihood

MET, PARTLY, NOT, UNKNOWN, NA = (
    ControlState.MET, ControlState.PARTLY_MET, ControlState.NOT_MET, ControlState.UNKNOWN,
    ControlState.NOT_APPLICABLE,
)
# TE-VULN-EXPLOIT's counter-controls in catalogs/threat-events.yaml: risk management,
# protection from malicious software, integrity (45 CFR 164.308(a)(1)(ii)(B), (a)(5)(ii)(B),
# 164.312(c)(1)).
CONTROLS = ("164.308(a)(1)(ii)(B)", "164.308(a)(5)(ii)(B)", "164.312(c)(1)")


def _statuses(*states: ControlState) -> dict[str, ControlStatus]:
    return {c: ControlStatus(c, c, s, "r") for c, s in zip(CONTROLS, states, strict=True)}


@pytest.mark.parametrize(
    ("states", "cover", "steps"),
    [
        ((MET, MET, MET), 1.0, 2),
        ((MET, MET, NA), 1.0, 2),  # not applicable is left out: 2 / 2
        ((MET, PARTLY, NOT), 0.5, 1),  # (1 + ½ + 0) / 3
        ((PARTLY, PARTLY, PARTLY), 0.5, 1),
        ((MET, NOT, UNKNOWN), 1 / 3, 0),
        ((NOT, NOT, NOT), 0.0, 0),
        ((UNKNOWN, UNKNOWN, UNKNOWN), 0.0, 0),  # not judged is not in place
    ],
)
def test_coverage_and_steps(states: tuple[ControlState, ...], cover: float, steps: int) -> None:
    got, _ = coverage(CONTROLS, _statuses(*states))
    assert got == pytest.approx(cover)
    assert control_steps(got) == steps


def test_all_not_applicable_has_no_coverage() -> None:
    got, phrase = coverage(CONTROLS, _statuses(NA, NA, NA))
    assert got is None and control_steps(got) == 0
    assert phrase.startswith("164.308(a)(1)(ii)(B) not applicable")


def test_missing_status_counts_as_unknown() -> None:
    got, phrase = coverage(CONTROLS, {CONTROLS[0]: ControlStatus(CONTROLS[0], "t", MET, "r")})
    assert got == pytest.approx(1 / 3)
    assert "164.312(c)(1) unknown" in phrase


@pytest.mark.parametrize(
    ("states", "before", "after"),
    [
        ((MET, MET, MET), Level.VERY_HIGH, Level.MODERATE),  # two steps
        ((MET, PARTLY, NOT), Level.VERY_HIGH, Level.HIGH),  # one step
        ((MET, MET, MET), Level.LOW, Level.VERY_LOW),  # clamped at very low
        ((NOT, NOT, MET), Level.HIGH, Level.HIGH),  # coverage ⅓: none
    ],
)
def test_residual_likelihood_steps(
    states: tuple[ControlState, ...], before: Level, after: Level
) -> None:
    inherent = Assessed(before, 90, "evidence")
    residual, effect = residual_likelihood(inherent, CONTROLS, _statuses(*states))
    assert residual.level is after
    if after is before:
        assert residual == inherent and effect.endswith("→ no step")
    else:
        assert f"({before} → {after})" in effect
        assert residual.rationale == f"evidence; {effect}"
        # NIST SP 800-30 Rev. 1 scale midpoints: high 80–95 → 88, moderate 21–79 → 50.
        assert residual.score == {Level.HIGH: 88, Level.MODERATE: 50, Level.VERY_LOW: 2}[after]


def test_no_statuses_leave_the_residual_equal_to_the_inherent() -> None:
    inherent = Assessed(Level.HIGH, 88, "evidence")
    residual, effect = residual_likelihood(inherent, CONTROLS, {})
    assert residual == inherent
    assert effect == "control status not evaluated → residual equals inherent"
