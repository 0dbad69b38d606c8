"""``catalogs/evidence-rules.yaml``: its pydantic model and its compilation into rule objects.

A condition is written as exactly one of::

    check: kev_open            # a predicate kind (see predicates.py)
    params: {ephi_only: true}  # its parameters
    all_of: [<condition>, ...]
    any_of: [<condition>, ...]
    not: <condition>

A parameter value ``nprm:<REQUIREMENT>.<parameter>`` is replaced by that parameter's value in
``hipaa-security-rule-nprm.yaml`` (``nprm:NPRM-PATCH-CRITICAL.max_days`` → 15), so the proposed
figures live in one place.

Loading checks, and raises :class:`~caresec.errors.CatalogError` on: unknown predicate kinds or
parameters, ill-typed parameters, unknown HIPAA citations, CPG ids, question ids or NPRM
requirements, contradicted answers a question does not allow, and message templates that name a
fact no leaf of the condition offers.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from caresec.analyze.controls.predicates import PREDICATES
from caresec.analyze.controls.rules import (
    AllOf,
    AnyOf,
    Check,
    Contradicts,
    ControlRule,
    Effect,
    EvidenceRule,
    Not,
    template_fields,
)
from caresec.catalogs.loader import CatalogHeader, load_catalog
from caresec.catalogs.models import HIPAA_CITATION
from caresec.catalogs.registry import (
    load_cpgs,
    load_hipaa_security_rule,
    load_nprm,
    load_question_bank,
)
from caresec.errors import CatalogError
from caresec.model.control import AnswerValue

CATALOG = "evidence-rules"
NPRM_REF = "nprm:"

ParamValue = bool | int | float | str | list[str]
EffectText = Literal["gap: not met", "gap: partly met", "support: met", "support: partly met",
                     "note"]
_FROZEN = ConfigDict(extra="forbid", frozen=True)


class ConditionSpec(BaseModel):
    """One condition: a predicate ``check`` with ``params``, or ``all_of`` / ``any_of`` /
    ``not`` over conditions."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    check: str | None = None
    params: dict[str, ParamValue] = Field(default_factory=dict)
    all_of: tuple[ConditionSpec, ...] | None = Field(default=None, min_length=1)
    any_of: tuple[ConditionSpec, ...] | None = Field(default=None, min_length=1)
    not_: ConditionSpec | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        forms = [f for f in ("check", "all_of", "any_of", "not_") if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("a condition is exactly one of check, all_of, any_of, not")
        if self.params and self.check is None:
            raise ValueError("params belong to a check")
        if self.check is not None and self.check not in PREDICATES:
            raise ValueError(
                f"unknown check {self.check!r}; known: {', '.join(sorted(PREDICATES))}"
            )
        return self

    def kinds(self) -> set[str]:
        """Every predicate kind used in this condition."""
        if self.check is not None:
            return {self.check}
        children = [*(self.all_of or ()), *(self.any_of or ())]
        if self.not_ is not None:
            children.append(self.not_)
        return {k for c in children for k in c.kinds()}


class ContradictsSpec(BaseModel):
    """A question whose answers the rule's true branch contradicts."""

    model_config = _FROZEN

    question: str
    answers: tuple[AnswerValue, ...] = (AnswerValue.YES,)


class RuleSpec(BaseModel):
    """One evidence rule as written in the YAML file (see :class:`ControlRule`)."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^ER-[A-Z0-9-]+$")
    title: str = Field(min_length=1)
    control_ids: tuple[str, ...] = Field(min_length=1)
    cpg_ids: tuple[str, ...] = ()
    nprm_requirement: str | None = None
    basis: str = Field(min_length=1)
    when: ConditionSpec
    if_true: EffectText | None = None
    if_false: EffectText | None = None
    if_unknown: EffectText | None = None
    message_true: str | None = None
    message_false: str | None = None
    message_unknown: str | None = None
    contradicts: tuple[ContradictsSpec, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for c in self.control_ids:
            if not re.match(HIPAA_CITATION, c):
                raise ValueError(f"{self.id}: {c!r} is not a HIPAA citation")
        if (self.if_true, self.if_false, self.if_unknown) == (None, None, None):
            raise ValueError(f"{self.id}: a rule needs at least one effect")
        if self.contradicts and self.if_true is None:
            raise ValueError(f"{self.id}: contradicts needs an if_true effect")
        offered = {f for k in self.when.kinds() for f in PREDICATES[k].facts}
        for template in (self.message_true, self.message_false, self.message_unknown):
            unknown = template_fields(template or "") - offered
            if unknown:
                raise ValueError(f"{self.id}: message names unknown facts {sorted(unknown)}")
        return self


class EvidenceRuleCatalog(CatalogHeader):
    """``evidence-rules.yaml``: the assumptions and the rules, in evaluation order."""

    assumptions: tuple[str, ...] = ()
    rules: tuple[RuleSpec, ...]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [r.id for r in self.rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate rule ids: {', '.join(dup)}")
        return self


def _nprm_value(ref: str, where: str) -> bool | int:
    requirement, _, name = ref.removeprefix(NPRM_REF).partition(".")
    for r in load_nprm().requirements:
        if r.id == requirement:
            try:
                return r.parameter(name).value
            except KeyError:
                break
    raise CatalogError(f"{CATALOG}.yaml {where}: {ref!r} names no NPRM parameter")


def _compile(spec: ConditionSpec, where: str) -> EvidenceRule:
    if spec.check is not None:
        kind = PREDICATES[spec.check]
        params = {
            k: _nprm_value(v, where) if isinstance(v, str) and v.startswith(NPRM_REF) else v
            for k, v in spec.params.items()
        }
        try:
            return Check(spec.check, kind.params.model_validate(params))
        except ValidationError as exc:
            raise CatalogError(
                f"{CATALOG}.yaml {where}: bad parameters for {spec.check}: {exc}"
            ) from exc
    if spec.all_of is not None:
        return AllOf(tuple(_compile(c, where) for c in spec.all_of))
    if spec.any_of is not None:
        return AnyOf(tuple(_compile(c, where) for c in spec.any_of))
    assert spec.not_ is not None  # guaranteed by ConditionSpec._one_form
    return Not(_compile(spec.not_, where))


def _check_references(spec: RuleSpec) -> None:
    cites = {e.citation for e in load_hipaa_security_rule().elements}
    cpgs = {g.id for g in load_cpgs().goals}
    nprm = {r.id for r in load_nprm().requirements}
    questions = {q.id: q for q in load_question_bank().questions}
    problems = [f"unknown HIPAA citation {c}" for c in spec.control_ids if c not in cites]
    problems += [f"unknown CPG {c}" for c in spec.cpg_ids if c not in cpgs]
    if spec.nprm_requirement is not None and spec.nprm_requirement not in nprm:
        problems.append(f"unknown NPRM requirement {spec.nprm_requirement}")
    for c in spec.contradicts:
        question = questions.get(c.question)
        if question is None:
            problems.append(f"unknown question {c.question}")
            continue
        allowed = {a.value for a in question.answers}
        problems += [
            f"{c.question} does not allow answer {a.value}"
            for a in c.answers if a.value not in allowed
        ]
    if problems:
        raise CatalogError(f"{CATALOG}.yaml rule {spec.id}: {'; '.join(problems)}")


def compile_rule(spec: RuleSpec) -> ControlRule:
    """Turn one validated :class:`RuleSpec` into a :class:`ControlRule`.

    Raises:
        CatalogError: a reference does not resolve or a parameter is invalid.
    """
    _check_references(spec)

    def effect(text: str | None) -> Effect | None:
        return Effect.parse(text) if text is not None else None

    return ControlRule(
        rule_id=spec.id,
        title=spec.title,
        control_ids=spec.control_ids,
        condition=_compile(spec.when, f"rule {spec.id}"),
        if_true=effect(spec.if_true),
        if_false=effect(spec.if_false),
        if_unknown=effect(spec.if_unknown),
        message_true=spec.message_true,
        message_false=spec.message_false,
        message_unknown=spec.message_unknown,
        contradicts=tuple(Contradicts(c.question, c.answers) for c in spec.contradicts),
        cpg_ids=spec.cpg_ids,
        nprm_requirement=spec.nprm_requirement,
        basis=spec.basis,
    )


@cache
def load_evidence_rule_catalog() -> EvidenceRuleCatalog:
    """``evidence-rules.yaml`` as validated data (cached).

    Raises:
        CatalogError: the file is missing, not YAML or fails validation.
    """
    return load_catalog(CATALOG, EvidenceRuleCatalog)


@cache
def load_evidence_rules() -> tuple[ControlRule, ...]:
    """The shipped evidence rules, compiled, in file order (cached).

    Raises:
        CatalogError: see :func:`load_evidence_rule_catalog` and :func:`compile_rule`.
    """
    return tuple(compile_rule(r) for r in load_evidence_rule_catalog().rules)
