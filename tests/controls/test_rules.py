"""Rule combinators (analyze/controls/rules.py): Kleene's strong three-valued logic for AllOf,
AnyOf and Not (true / false / unknown = None), the evidence each cites, and ControlRule's
branches and message templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from caresec.analyze.controls import AllOf, AnyOf, Check, ControlRule, Effect, Not, RuleOutcome
from caresec.analyze.controls.context import EvidenceContext
from caresec.analyze.controls.predicates import ActivityParams
from caresec.model import ControlState, Evidence

CTX = EvidenceContext(today=date(2026, 11, 29))
T, F, U = True, False, None


@dataclass(frozen=True)
class Fixed:
    """A stub rule with a fixed value, citing one evidence record named after it."""

    name: str
    holds: bool | None

    def evaluate(self, ctx: EvidenceContext) -> RuleOutcome:
        return RuleOutcome(
            self.holds, f"{self.name} is {self.holds}",
            (Evidence("test", self.name, self.name),), (f"F-{self.name}",), {self.name: "1"},
        )


def parts(*values: bool | None) -> tuple[Fixed, ...]:
    return tuple(Fixed(f"p{i}", v) for i, v in enumerate(values))


# Kleene: AND is false if any false, unknown if any unknown, else true; OR the dual.
@pytest.mark.parametrize(
    ("values", "all_of", "any_of"),
    [
        ((T, T), T, T),
        ((T, F), F, T),
        ((F, F), F, F),
        ((T, U), U, T),
        ((F, U), F, U),
        ((U, U), U, U),
        ((T, T, F), F, T),
        ((F, F, U), F, U),
    ],
)
def test_kleene_tables(values: tuple[bool | None, ...], all_of: bool | None,
                       any_of: bool | None) -> None:
    assert AllOf(parts(*values)).evaluate(CTX).holds is all_of
    assert AnyOf(parts(*values)).evaluate(CTX).holds is any_of


@pytest.mark.parametrize(("value", "negated"), [(T, F), (F, T), (U, U)])
def test_not(value: bool | None, negated: bool | None) -> None:
    out = Not(Fixed("x", value)).evaluate(CTX)
    assert out.holds is negated
    assert out.evidence == (Evidence("test", "x", "x"),)


@pytest.mark.parametrize(
    ("combinator", "values", "cited"),
    [
        (AllOf, (T, F, U), ["p1"]),  # false: only the false part decided it
        (AllOf, (T, U), ["p1"]),  # unknown: the unknown part
        (AllOf, (T, T), ["p0", "p1"]),  # true: every part
        (AnyOf, (F, T, U), ["p1"]),  # true: only the true part
        (AnyOf, (F, U), ["p1"]),
        (AnyOf, (F, F), ["p0", "p1"]),
    ],
)
def test_combinators_cite_the_deciding_parts(
    combinator: type[AllOf] | type[AnyOf], values: tuple[bool | None, ...], cited: list[str]
) -> None:
    out = combinator(parts(*values)).evaluate(CTX)
    assert [e.source for e in out.evidence] == cited
    assert list(out.finding_ids) == [f"F-{c}" for c in cited]
    # Facts of every part stay available to message templates.
    assert set(out.facts) == {f"p{i}" for i in range(len(values))}


def test_nesting() -> None:
    rule = AnyOf((AllOf(parts(T, F)), Not(Fixed("q", F))))
    assert rule.evaluate(CTX).holds is True


@pytest.mark.parametrize(
    ("activities", "state", "message"),
    [
        (frozenset({"access-log-review"}), ControlState.MET, "ran: access-log-review"),
        (frozenset(), ControlState.NOT_MET, "missing: access-log-review"),
    ],
)
def test_control_rule_branches_and_templates(
    activities: frozenset[str], state: ControlState, message: str
) -> None:
    rule = ControlRule(
        rule_id="ER-TEST",
        title="test",
        control_ids=("164.312(b)",),  # 45 CFR 164.312(b) Audit controls (standard)
        condition=Check("activity_ran", ActivityParams(activity="access-log-review")),
        if_true=Effect.parse("support: met"),
        if_false=Effect.parse("gap: not met"),
        message_true="ran: {activity}",
        message_false="missing: {activity}",
    )
    out = rule.evaluate(EvidenceContext(today=date(2026, 11, 29), activities=activities))
    assert (out.state, out.message) == (state, message)


@pytest.mark.parametrize(
    ("text", "role", "state"),
    [
        ("gap: not met", "gap", ControlState.NOT_MET),
        ("gap: partly met", "gap", ControlState.PARTLY_MET),
        ("support: met", "support", ControlState.MET),
        ("support: partly met", "support", ControlState.PARTLY_MET),
        ("note", "note", None),
    ],
)
def test_effects(text: str, role: str, state: ControlState | None) -> None:
    assert Effect.parse(text) == Effect(role, state)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["gap: met", "support: not met", "unknown", "gap:not met"])
def test_bad_effects(text: str) -> None:
    with pytest.raises(ValueError, match="is not one of"):
        Effect.parse(text)


def test_check_rejects_wrong_parameter_model() -> None:
    with pytest.raises(TypeError, match="activity_ran takes ActivityParams"):
        Check("activity_ran", Effect("note"))  # type: ignore[arg-type]
