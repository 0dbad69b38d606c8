"""Evidence rules as small composable objects.

Every rule implements :class:`EvidenceRule`: ``evaluate(ctx) -> RuleOutcome``. Leaves are
:class:`Check` (one predicate of :mod:`caresec.analyze.controls.predicates` with its
parameters); :class:`AllOf`, :class:`AnyOf` and :class:`Not` combine them with Kleene's
three-valued logic (``None`` = the evidence needed was not collected):

* ``AllOf``: false if any part is false, else unknown if any is unknown, else true.
* ``AnyOf``: true if any part is true, else unknown if any is unknown, else false.
* ``Not``: swaps true and false; unknown stays unknown.

Each outcome cites only the parts that decided it (the false parts of a false ``AllOf``, the
true parts of a true ``AnyOf`` …). :class:`ControlRule` wraps a condition with what it means
for HIPAA controls: for each branch (true / false / unknown) an :class:`Effect`, a message
template and, for the true branch, the answers it contradicts.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from caresec.analyze.controls.context import EvidenceContext
from caresec.analyze.controls.predicates import PREDICATES, Params
from caresec.model.control import AnswerValue, ControlState
from caresec.model.finding import Evidence

Role = Literal["gap", "support", "note"]


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What a rule concluded.

    Attributes:
        holds: the condition's value (``None``: undecided for want of evidence).
        message: a sentence with figures.
        evidence: evidence records that decided it.
        finding_ids: findings that decided it.
        facts: template values of every leaf evaluated.
        state: the control state suggested (set by :class:`ControlRule` only).
        role: how the suggestion combines with answers (set by :class:`ControlRule` only).
    """

    holds: bool | None
    message: str
    evidence: tuple[Evidence, ...] = ()
    finding_ids: tuple[str, ...] = ()
    facts: Mapping[str, str] = field(default_factory=dict)
    state: ControlState | None = None
    role: Role | None = None


class EvidenceRule(Protocol):
    """Anything that judges the evidence context."""

    def evaluate(self, ctx: EvidenceContext) -> RuleOutcome:
        """Judge ``ctx``; pure."""
        ...


@dataclass(frozen=True, slots=True)
class Check:
    """A leaf: the predicate ``kind`` with validated ``params``.

    Raises (at construction):
        KeyError: unknown kind.
        TypeError: ``params`` is not the kind's parameter model.
    """

    kind: str
    params: Params

    def __post_init__(self) -> None:
        model = PREDICATES[self.kind].params
        if not isinstance(self.params, model):
            raise TypeError(f"{self.kind} takes {model.__name__}, not {type(self.params).__name__}")

    def evaluate(self, ctx: EvidenceContext) -> RuleOutcome:
        """Run the predicate."""
        verdict = PREDICATES[self.kind].check(ctx, self.params)
        return RuleOutcome(
            verdict.holds, verdict.summary, verdict.evidence, verdict.finding_ids,
            dict(verdict.facts),
        )


def _merge(
    holds: bool | None, parts: Sequence[RuleOutcome], deciding: Sequence[RuleOutcome]
) -> RuleOutcome:
    facts: dict[str, str] = {}
    for part in parts:
        facts.update(part.facts)
    return RuleOutcome(
        holds,
        "; ".join(dict.fromkeys(p.message for p in deciding)),
        tuple(dict.fromkeys(e for p in deciding for e in p.evidence)),
        tuple(dict.fromkeys(f for p in deciding for f in p.finding_ids)),
        facts,
    )


@dataclass(frozen=True, slots=True)
class AllOf:
    """True when every part is true (Kleene conjunction)."""

    parts: tuple[EvidenceRule, ...]

    def evaluate(self, ctx: EvidenceContext) -> RuleOutcome:
        """Evaluate every part; cite the false parts (false), unknown parts (unknown) or all."""
        outs = [p.evaluate(ctx) for p in self.parts]
        if any(o.holds is False for o in outs):
            return _merge(False, outs, [o for o in outs if o.holds is False])
        if any(o.holds is None for o in outs):
            return _merge(None, outs, [o for o in outs if o.holds is None])
        return _merge(True, outs, outs)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """True when some part is true (Kleene disjunction)."""

    parts: tuple[EvidenceRule, ...]

    def evaluate(self, ctx: EvidenceContext) -> RuleOutcome:
        """Evaluate every part; cite the true parts (true), unknown parts (unknown) or all."""
        outs = [p.evaluate(ctx) for p in self.parts]
        if any(o.holds is True for o in outs):
            return _merge(True, outs, [o for o in outs if o.holds is True])
        if any(o.holds is None for o in outs):
            return _merge(None, outs, [o for o in outs if o.holds is None])
        return _merge(False, outs, outs)


@dataclass(frozen=True, slots=True)
class Not:
    """Negation; unknown stays unknown. The message and evidence are the part's."""

    part: EvidenceRule

    def evaluate(self, ctx: EvidenceContext) -> RuleOutcome:
        """Evaluate the part and swap true and false."""
        out = self.part.evaluate(ctx)
        holds = None if out.holds is None else not out.holds
        return RuleOutcome(holds, out.message, out.evidence, out.finding_ids, out.facts)


@dataclass(frozen=True, slots=True)
class Effect:
    """What a branch of a :class:`ControlRule` means for its controls.

    ``gap`` (not met / partly met): a deficiency the evidence shows; caps the state.
    ``support`` (met / partly met): fulfilment the evidence shows.
    ``note``: cited in the rationale, changes no state (e.g. "no encryption evidence").
    """

    role: Role
    state: ControlState | None = None

    @classmethod
    def parse(cls, text: str) -> Effect:
        """``gap: not met``, ``gap: partly met``, ``support: met``, ``support: partly met``
        or ``note``.

        Raises:
            ValueError: any other text.
        """
        if text == "note":
            return cls("note")
        role, _, state = text.partition(": ")
        allowed = {
            "gap": (ControlState.NOT_MET, ControlState.PARTLY_MET),
            "support": (ControlState.MET, ControlState.PARTLY_MET),
        }
        if role in allowed and state in {s.value for s in allowed[role]}:
            return cls("gap" if role == "gap" else "support", ControlState(state))
        raise ValueError(
            f"effect {text!r} is not one of: gap: not met, gap: partly met, support: met, "
            "support: partly met, note"
        )


@dataclass(frozen=True, slots=True)
class Contradicts:
    """Answers to ``question_id`` that the rule's true branch contradicts."""

    question_id: str
    answers: tuple[AnswerValue, ...] = (AnswerValue.YES,)


class _Facts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template_fields(template: str) -> set[str]:
    """The ``{field}`` names a message template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True, slots=True)
class ControlRule:
    """A named evidence rule bearing on HIPAA controls (one entry of ``evidence-rules.yaml``).

    Attributes:
        rule_id: ``ER-…``.
        title: short title.
        control_ids: HIPAA citations it bears on.
        condition: the composed condition.
        if_true, if_false, if_unknown: the :class:`Effect` of each branch (``None``: no effect).
        message_true, message_false, message_unknown: templates over the leaves' facts
            (``None``: the condition's own message).
        contradicts: answers the true branch contradicts.
        cpg_ids: HPH CPGs it also bears on.
        nprm_requirement: the NPRM requirement a gap of this rule would fail.
        basis: the regulation text it rests on, in caresec's words.
    """

    rule_id: str
    title: str
    control_ids: tuple[str, ...]
    condition: EvidenceRule
    if_true: Effect | None = None
    if_false: Effect | None = None
    if_unknown: Effect | None = None
    message_true: str | None = None
    message_false: str | None = None
    message_unknown: str | None = None
    contradicts: tuple[Contradicts, ...] = ()
    cpg_ids: tuple[str, ...] = ()
    nprm_requirement: str | None = None
    basis: str = ""

    def evaluate(self, ctx: EvidenceContext) -> RuleOutcome:
        """Evaluate the condition and attach the branch's effect and message."""
        out = self.condition.evaluate(ctx)
        effect, template = {
            True: (self.if_true, self.message_true),
            False: (self.if_false, self.message_false),
            None: (self.if_unknown, self.message_unknown),
        }[out.holds]
        message = template.format_map(_Facts(out.facts)) if template else out.message
        return RuleOutcome(
            out.holds, message, out.evidence, out.finding_ids, out.facts,
            state=effect.state if effect else None,
            role=effect.role if effect else None,
        )
