"""Residual likelihood: what the threat event's counter-controls take off the inherent likelihood.

Each threat event names the HIPAA Security Rule safeguards that counter it
(``catalogs/threat-events.yaml`` ``control_ids``). caresec's rule (docs/risk-method.md §8):

* each counter-control is credited by its status: met 1, partly met ½, not met 0, unknown 0
  (not judged is not in place); a not-applicable control is left out;
* coverage = credits ÷ counted controls;
* coverage 1 (every counter-control met) → overall likelihood two steps down; coverage ≥ ½ →
  one step down; below ½ → no change. The level is clamped at very low.

Without any control status (no questionnaire, no evidence rules run) coverage is 0: the
residual risk equals the inherent risk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from caresec.model.control import ControlState, ControlStatus
from caresec.model.risk import Assessed
from caresec.risk.scale import midpoint, shift

#: Credit of each state toward coverage; not applicable is left out of the count.
STATE_CREDIT: dict[ControlState, float] = {
    ControlState.MET: 1.0,
    ControlState.PARTLY_MET: 0.5,
    ControlState.NOT_MET: 0.0,
    ControlState.UNKNOWN: 0.0,
}

#: Coverage at or above the bound → steps the overall likelihood goes down (first match wins).
COVERAGE_STEPS: tuple[tuple[float, int], ...] = ((1.0, 2), (0.5, 1))


def coverage(
    control_ids: Iterable[str], statuses: Mapping[str, ControlStatus]
) -> tuple[float | None, str]:
    """Coverage of ``control_ids`` by their statuses, and a phrase listing them.

    Returns:
        ``(coverage, phrase)``; coverage is None when every control is not applicable or
        ``control_ids`` is empty. A control absent from ``statuses`` counts as unknown.
    """
    parts: list[str] = []
    credit = 0.0
    counted = 0
    for control in control_ids:
        status = statuses.get(control)
        state = status.state if status is not None else ControlState.UNKNOWN
        parts.append(f"{control} {state}")
        if state is ControlState.NOT_APPLICABLE:
            continue
        counted += 1
        credit += STATE_CREDIT[state]
    phrase = ", ".join(parts) if parts else "no counter-controls"
    return (credit / counted if counted else None), phrase


def control_steps(cover: float | None) -> int:
    """Steps down for a coverage value (see module docstring); 0 for None."""
    if cover is None:
        return 0
    return next((steps for bound, steps in COVERAGE_STEPS if cover >= bound - 1e-9), 0)


def residual_likelihood(
    inherent: Assessed, control_ids: Iterable[str], statuses: Mapping[str, ControlStatus]
) -> tuple[Assessed, str]:
    """The residual overall likelihood and the one-line control effect.

    Args:
        inherent: the overall likelihood without crediting safeguards (Table G-5 scale).
        control_ids: the threat event's counter-controls.
        statuses: control statuses keyed by HIPAA citation (empty: not evaluated).

    Returns:
        ``(likelihood, effect)``. With no step the inherent value is returned unchanged;
        otherwise the shifted level at its representative score.
    """
    if not statuses:
        return inherent, "control status not evaluated → residual equals inherent"
    cover, phrase = coverage(control_ids, statuses)
    steps = control_steps(cover)
    shown = "n/a" if cover is None else f"{cover:.2f}"
    if steps == 0:
        return inherent, f"counter-controls {phrase}: coverage {shown} → no step"
    level = shift(inherent.level, -steps)
    effect = (
        f"counter-controls {phrase}: coverage {shown} → likelihood −{steps} "
        f"({inherent.level} → {level})"
    )
    rationale = f"{inherent.rationale}; {effect}"
    return Assessed(level=level, score=midpoint(level), rationale=rationale), effect
