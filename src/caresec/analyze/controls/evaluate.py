"""``evaluate_controls``: HIPAA control status from the audit's evidence and the answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from caresec.analyze.controls.catalog import load_evidence_rules
from caresec.analyze.controls.combine import Combined, answer_rollup, combine, rollup
from caresec.analyze.controls.context import EvidenceContext, build_context
from caresec.analyze.controls.frameworks import cpg_statuses, nprm_readiness, ocr_coverage
from caresec.analyze.controls.rules import ControlRule, RuleOutcome
from caresec.catalogs.models import HipaaElement, Question
from caresec.catalogs.registry import (
    load_cpgs,
    load_hipaa_security_rule,
    load_nprm,
    load_ocr_elements,
    load_question_bank,
)
from caresec.model.asset import Asset
from caresec.model.component import Sbom
from caresec.model.control import (
    Answer,
    Contradiction,
    ControlEvaluation,
    ControlStatus,
    RuleResult,
)
from caresec.model.finding import Finding, VulnerabilityMatch
from caresec.model.risk import Risk

Fired = list[tuple[ControlRule, RuleOutcome]]


def _contradictions(
    fired: Fired, questions: Mapping[str, Question], answers: Mapping[str, Answer]
) -> list[Contradiction]:
    found = []
    for rule, out in fired:
        if out.holds is not True or rule.if_true is None:
            continue
        for c in rule.contradicts:
            answer = answers.get(c.question_id)
            if answer is None or answer.value not in c.answers:
                continue
            question = questions[c.question_id]
            control = next(
                (cid for cid in rule.control_ids if cid in question.control_ids),
                rule.control_ids[0],
            )
            found.append(
                Contradiction(
                    control_id=control,
                    question_id=c.question_id,
                    answer=answer.value,
                    message=f'answered "{answer.value}" to {c.question_id} ("{question.text}"), '
                    f"but {out.message} ({rule.rule_id})",
                    evidence=out.evidence,
                )
            )
    return found


def _own(
    element: HipaaElement,
    asked: Mapping[str, list[Question]],
    fired: Fired,
    answers: Mapping[str, Answer],
) -> tuple[Combined | None, Fired, tuple[Answer, ...]]:
    questions = asked.get(element.citation, [])
    mine = [(r, o) for r, o in fired if element.citation in r.control_ids]
    if not questions and not mine:
        return None, [], ()
    answered = answer_rollup(questions, answers)
    return combine(answered, [(r.rule_id, o) for r, o in mine]), mine, answered.answers


def _status(
    element: HipaaElement,
    combined: Combined | None,
    mine: Fired,
    own_answers: tuple[Answer, ...],
    children: Sequence[ControlStatus],
    contradicted: Sequence[Contradiction],
) -> ControlStatus:
    if children:
        parts = [combined.state] if combined is not None else []
        parts += [c.state for c in children]
        state = rollup(parts)
        rationale = f"{state}: roll-up of its implementation specifications (" + ", ".join(
            f"{c.control_id} {c.state}" for c in children
        ) + ")"
        if combined is not None:
            rationale += f" and its own assessment ({combined.rationale})"
    elif combined is not None:
        state, rationale = combined.state, combined.rationale
    else:
        state = rollup([])
        rationale = f"{state}: no question or evidence rule bears on it"
    if contradicted:
        rationale += "; contradicted answers: " + ", ".join(
            f"{c.question_id}={c.answer}" for c in contradicted
        )
    outcomes = [o for _, o in mine]
    return ControlStatus(
        control_id=element.citation,
        title=element.title,
        state=state,
        rationale=rationale,
        answers=own_answers,
        evidence=tuple(dict.fromkeys(e for o in outcomes for e in o.evidence)),
        rule_ids=tuple(r.rule_id for r, _ in mine),
        finding_ids=tuple(dict.fromkeys(f for o in outcomes for f in o.finding_ids)),
    )


def _statuses(
    fired: Fired,
    questions: Sequence[Question],
    answers: Mapping[str, Answer],
    contradictions: Sequence[Contradiction],
) -> tuple[ControlStatus, ...]:
    catalog = load_hipaa_security_rule()
    asked: dict[str, list[Question]] = {}
    for q in questions:
        for cid in q.control_ids:
            asked.setdefault(cid, []).append(q)
    done: dict[str, ControlStatus] = {}
    # Specifications first, so that each standard can roll them up.
    for element in (*catalog.specifications, *catalog.standards):
        combined, mine, own_answers = _own(element, asked, fired, answers)
        children = (
            [done[s.citation] for s in catalog.specifications_of(element.citation)]
            if element.kind == "standard" else []
        )
        contradicted = [c for c in contradictions if c.control_id == element.citation]
        done[element.citation] = _status(
            element, combined, mine, own_answers, children, contradicted
        )
    return tuple(done[e.citation] for e in catalog.elements)


def _rule_result(rule: ControlRule, out: RuleOutcome) -> RuleResult:
    return RuleResult(
        rule_id=rule.rule_id,
        title=rule.title,
        control_ids=rule.control_ids,
        holds=out.holds,
        role=out.role or "",
        state=out.state,
        message=out.message,
        evidence=out.evidence,
        finding_ids=out.finding_ids,
    )


def evaluate_context(
    ctx: EvidenceContext,
    answers: Sequence[Answer],
    *,
    rules: Sequence[ControlRule] | None = None,
) -> ControlEvaluation:
    """:func:`evaluate_controls` on an already built :class:`EvidenceContext`.

    Answers to questions not in the shipped question bank are ignored (validate them with
    :func:`caresec.collect.answers.read_answers`); of two answers to one question the first
    counts.

    Raises:
        CatalogError: a shipped catalog is invalid.
    """
    bank = load_question_bank().questions
    by_id = {q.id: q for q in bank}
    given: dict[str, Answer] = {}
    for a in answers:
        if a.question_id in by_id:
            given.setdefault(a.question_id, a)
    evaluated = [(r, r.evaluate(ctx)) for r in (load_evidence_rules() if rules is None else rules)]
    fired = [(r, o) for r, o in evaluated if o.role is not None]
    contradictions = _contradictions(fired, by_id, given)
    statuses = _statuses(fired, bank, given, contradictions)
    return ControlEvaluation(
        statuses=statuses,
        contradictions=tuple(contradictions),
        cpg_status=cpg_statuses(load_cpgs(), bank, given, fired),
        nprm_readiness=nprm_readiness(
            load_nprm(), load_hipaa_security_rule(), bank, given, fired, statuses
        ),
        ocr_elements=ocr_coverage(load_ocr_elements(), ctx, statuses, given),
        rule_results=tuple(_rule_result(r, o) for r, o in evaluated),
        answers=tuple(given[q.id] for q in bank if q.id in given),
        questions=len(bank),
    )


def evaluate_controls(
    *,
    assets: Sequence[Asset],
    sboms: Sequence[Sbom],
    findings: Sequence[Finding],
    matches: Sequence[VulnerabilityMatch],
    answers: Sequence[Answer],
    today: date,
    inventory_mtimes: Mapping[str, date] | None = None,
    activities: frozenset[str] = frozenset(),
    risks: Sequence[Risk] = (),
    previous_run: bool = False,
    rules: Sequence[ControlRule] | None = None,
) -> ControlEvaluation:
    """Judge every HIPAA Security Rule standard and implementation specification (45 CFR
    164.308-164.316), every HPH CPG, every NPRM requirement and every OCR risk-analysis element
    from the audit's evidence and the questionnaire answers.

    Pure: no clock, no files beyond the shipped catalogs. Rules are those of
    ``catalogs/evidence-rules.yaml``; answers and evidence combine as documented in
    :mod:`caresec.analyze.controls.combine` and docs/questionnaire.md. Days a KEV vulnerability
    has been open are counted from KEV ``dateAdded`` (a lower bound).

    Args:
        assets: inventory assets.
        sboms: SBOMs read.
        findings: the audit's findings (kinds ``vulnerability``, ``lifecycle``,
            ``not-assessed``).
        matches: vulnerability matches.
        answers: questionnaire answers (:func:`caresec.collect.answers.read_answers`).
        today: the audit date.
        inventory_mtimes: inventory file (as displayed) → modification date; ``None`` leaves
            inventory currency unknown.
        activities: collection activities that ran (``access-log-review``,
            ``encryption-check``, ``backup-check``).
        risks: the risk register (OCR elements 5-7).
        previous_run: an earlier caresec run exists (OCR element 9).
        rules: evidence rules to apply instead of the shipped ones (tests).

    Returns:
        A :class:`~caresec.model.control.ControlEvaluation` with 68 statuses in regulation
        order.

    Raises:
        CatalogError: a shipped catalog is invalid.
    """
    ctx = build_context(
        assets=assets, sboms=sboms, findings=findings, matches=matches, today=today,
        risks=risks, inventory_mtimes=inventory_mtimes, activities=activities,
        previous_run=previous_run,
    )
    return evaluate_context(ctx, answers, rules=rules)
