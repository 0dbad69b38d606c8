"""How answers and evidence combine into one state (docs/questionnaire.md, "Combination").

Answer states: ``yes`` → met, ``partial`` → partly met, ``no`` → not met, ``na`` → not
applicable, unanswered → unknown. Several states (the answers to a control's questions, or a
standard's implementation specifications) roll up with :func:`rollup`.

Evidence comes from rule outcomes with a role: ``gap`` (a deficiency: caps), ``support``
(fulfilment) or ``note`` (cited only). :func:`combine` applies this table, where A is the answers'
roll-up (``None`` when nothing was answered), S the best support state and G the worst gap state:

=================  =================  ========================================================
A                  S                  claim C
=================  =================  ========================================================
none               none               none (unknown unless a gap decides)
none               S                  S
met / partly met   any                A (the respondent knows more than the audit)
not met            S                  partly met (the audit itself shows part of it done)
not applicable     none               not applicable
not applicable     S                  S (the evidence shows the safeguard applies)
=================  =================  ========================================================

Then, with a gap G: the state is the worse of C and G (G alone when C is none or not
applicable). Without a gap: C, or ``unknown`` when C is none. Evidence can lower an answer but
never raise a ``no`` above ``partly met``; a contradiction is reported separately when a rule
names the contradicted question (:mod:`caresec.analyze.controls.evaluate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from caresec.analyze.controls.rules import RuleOutcome
from caresec.catalogs.models import Question
from caresec.model.control import Answer, AnswerValue, ControlState

ANSWER_STATE: Mapping[AnswerValue, ControlState] = {
    AnswerValue.YES: ControlState.MET,
    AnswerValue.PARTIAL: ControlState.PARTLY_MET,
    AnswerValue.NO: ControlState.NOT_MET,
    AnswerValue.NOT_APPLICABLE: ControlState.NOT_APPLICABLE,
}

_RANK = {ControlState.NOT_MET: 0, ControlState.PARTLY_MET: 1, ControlState.MET: 2}


def rollup(states: Iterable[ControlState]) -> ControlState:
    """One state for several parts.

    Not-applicable parts are left out (all of them not applicable: not applicable). Then: all
    met → met; all not met → not met; all unknown → unknown; only not met and unknown → not met;
    any other mix (met with unknown, partly met, met with not met) → partly met. No parts:
    unknown.
    """
    states = list(states)
    if not states:
        return ControlState.UNKNOWN
    known = {s for s in states if s is not ControlState.NOT_APPLICABLE}
    if not known:
        return ControlState.NOT_APPLICABLE
    if len(known) == 1:
        return next(iter(known))
    if known == {ControlState.NOT_MET, ControlState.UNKNOWN}:
        return ControlState.NOT_MET
    return ControlState.PARTLY_MET


def worse(a: ControlState, b: ControlState) -> ControlState:
    """The worse of two of met / partly met / not met."""
    return a if _RANK[a] <= _RANK[b] else b


@dataclass(frozen=True, slots=True)
class AnswerRollup:
    """The answers bearing on one control (or CPG).

    Attributes:
        state: roll-up of the answered and unanswered questions; ``None`` when none answered.
        answers: the answers given, in question order.
        unanswered: ids of the mapped questions left unanswered.
    """

    state: ControlState | None
    answers: tuple[Answer, ...]
    unanswered: tuple[str, ...]

    def describe(self) -> str:
        """``answers Q-a=yes, Q-b=partial; unanswered: Q-c`` (or ``no question asked``)."""
        if not self.answers and not self.unanswered:
            return "no question asks about it"
        parts = []
        if self.answers:
            parts.append("answers " + ", ".join(f"{a.question_id}={a.value}" for a in self.answers))
        if self.unanswered:
            parts.append("unanswered: " + ", ".join(self.unanswered))
        return "; ".join(parts)


def answer_rollup(
    questions: Sequence[Question], answers: Mapping[str, Answer]
) -> AnswerRollup:
    """Roll up the answers to ``questions`` (unanswered ones count as unknown)."""
    given = [answers[q.id] for q in questions if q.id in answers]
    missing = tuple(q.id for q in questions if q.id not in answers)
    if not given:
        return AnswerRollup(None, (), missing)
    states = [ANSWER_STATE[a.value] for a in given] + [ControlState.UNKNOWN] * len(missing)
    return AnswerRollup(rollup(states), tuple(given), missing)


@dataclass(frozen=True, slots=True)
class Combined:
    """The result of :func:`combine`: the state and a one-line rationale."""

    state: ControlState
    rationale: str


def _rule_text(rule_id: str, outcome: RuleOutcome) -> str:
    label = outcome.role if outcome.state is None else f"{outcome.role}, {outcome.state}"
    return f"{rule_id} ({label}): {outcome.message}"


def combine(answered: AnswerRollup, outcomes: Sequence[tuple[str, RuleOutcome]]) -> Combined:
    """Combine the answers with the rule outcomes bearing on one control (module table).

    Args:
        answered: the answers' roll-up.
        outcomes: ``(rule_id, outcome)`` of every rule with an effect on the control.

    Returns:
        The state and a rationale naming the answers, the rules and how they combined.
    """
    a = answered.state
    supports = [o.state for _, o in outcomes if o.role == "support" and o.state is not None]
    gaps = [o.state for _, o in outcomes if o.role == "gap" and o.state is not None]
    s = max(supports, key=_RANK.__getitem__) if supports else None
    g = min(gaps, key=_RANK.__getitem__) if gaps else None

    if a is None or a is ControlState.UNKNOWN:
        claim, how = s, "from evidence" if s is not None else ""
    elif s is None:
        claim, how = a, "from answers"
    elif a is ControlState.NOT_MET:
        claim = ControlState.PARTLY_MET
        how = "answer no raised to partly met by supporting evidence"
    elif a is ControlState.NOT_APPLICABLE:
        claim, how = s, "answered not applicable, but the evidence shows the safeguard applies"
    else:
        claim, how = a, "from answers, consistent with supporting evidence"

    if g is not None:
        if claim is None or claim in (ControlState.NOT_APPLICABLE, ControlState.UNKNOWN):
            state, how = g, "from gap evidence"
        else:
            state = worse(claim, g)
            if state is not claim:
                how = f"gap evidence caps {claim} at {state}"
    elif claim is None:
        state, how = ControlState.UNKNOWN, "no answer and no deciding evidence"
    else:
        state = claim
        if how == "from answers" and not any(o.role != "note" for _, o in outcomes):
            how = "from answers alone (self-reported, not checked against evidence)"

    parts = [f"{state}: {how}" if how else str(state), answered.describe()]
    parts += [_rule_text(rule_id, o) for rule_id, o in outcomes]
    return Combined(state, "; ".join(parts))
