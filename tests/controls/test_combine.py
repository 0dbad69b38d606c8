"""The combination table of answers and evidence (analyze/controls/combine.py, documented in
docs/questionnaire.md) and the roll-up of several states."""

from __future__ import annotations

import pytest

from caresec.analyze.controls import RuleOutcome, combine, rollup
from caresec.analyze.controls.combine import AnswerRollup, answer_rollup
from caresec.catalogs.registry import load_question_bank
from caresec.model import Answer, AnswerValue, ControlState

MET, PARTLY, NOT_MET = ControlState.MET, ControlState.PARTLY_MET, ControlState.NOT_MET
UNKNOWN, NA = ControlState.UNKNOWN, ControlState.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], UNKNOWN),
        ([MET, MET], MET),
        ([NOT_MET, NOT_MET], NOT_MET),
        ([UNKNOWN], UNKNOWN),
        ([NA, NA], NA),
        ([MET, NA], MET),  # not-applicable parts are left out
        ([MET, NOT_MET], PARTLY),
        ([MET, UNKNOWN], PARTLY),  # shown in part, the rest unknown
        ([NOT_MET, UNKNOWN], NOT_MET),  # nothing shown met
        ([PARTLY], PARTLY),
        ([MET, PARTLY, NA], PARTLY),
    ],
)
def test_rollup(states: list[ControlState], expected: ControlState) -> None:
    assert rollup(states) is expected


def outcome(role: str, state: ControlState | None) -> RuleOutcome:
    return RuleOutcome(True, f"{role} {state}", state=state, role=role)  # type: ignore[arg-type]


def answered(state: ControlState | None) -> AnswerRollup:
    return AnswerRollup(state, (), ())


# A: the answers' roll-up (None: unanswered); S: support evidence; G: gap evidence.
@pytest.mark.parametrize(
    ("a", "s", "g", "expected"),
    [
        (None, None, None, UNKNOWN),
        (None, MET, None, MET),
        (None, PARTLY, None, PARTLY),
        (None, None, NOT_MET, NOT_MET),
        (None, MET, PARTLY, PARTLY),
        (MET, None, None, MET),  # self-reported
        (MET, PARTLY, None, MET),  # the respondent knows more than the audit
        (MET, None, NOT_MET, NOT_MET),  # evidence "not met" overrides answer "yes"
        (MET, None, PARTLY, PARTLY),
        (PARTLY, MET, None, PARTLY),  # an admission stands
        (PARTLY, None, NOT_MET, NOT_MET),
        (NOT_MET, None, None, NOT_MET),
        (NOT_MET, PARTLY, None, PARTLY),  # the audit itself shows part done
        (NOT_MET, MET, None, PARTLY),
        (NOT_MET, None, PARTLY, NOT_MET),
        (NA, None, None, NA),
        (NA, MET, None, MET),  # evidence shows the safeguard applies
        (NA, None, NOT_MET, NOT_MET),
    ],
)
def test_combination_table(
    a: ControlState | None, s: ControlState | None, g: ControlState | None,
    expected: ControlState,
) -> None:
    outcomes = []
    if s is not None:
        outcomes.append(("ER-S", outcome("support", s)))
    if g is not None:
        outcomes.append(("ER-G", outcome("gap", g)))
    outcomes.append(("ER-N", outcome("note", None)))  # notes never change the state
    result = combine(answered(a), outcomes)
    assert result.state is expected
    assert result.rationale.startswith(str(expected))
    for rule_id, _ in outcomes:
        assert rule_id in result.rationale  # every input is named


def test_answers_roll_up_with_unanswered_questions_as_unknown() -> None:
    # Questions of 164.308(a)(1)(ii)(B) risk management in the question bank.
    questions = [
        q for q in load_question_bank().questions if "164.308(a)(1)(ii)(B)" in q.control_ids
    ][:3]
    ids = [q.id for q in questions]
    given = {ids[0]: Answer(ids[0], AnswerValue.YES)}
    rolled = answer_rollup(questions, given)
    assert rolled.state is PARTLY  # one yes, two unknown
    assert rolled.unanswered == tuple(ids[1:])
    assert answer_rollup(questions, {}).state is None
    all_yes = {i: Answer(i, AnswerValue.YES) for i in ids}
    assert answer_rollup(questions, all_yes).state is MET
    assert f"{ids[0]}=yes" in answer_rollup(questions, all_yes).describe()
