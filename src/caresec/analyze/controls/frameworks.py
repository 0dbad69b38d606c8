"""CPG status, NPRM readiness and OCR risk-analysis coverage from answers, rules and statuses.

* HPH CPGs (voluntary, HHS 2024): each goal combines the answers to the questions mapped to it
  (``cpg_ids`` in the question bank) with the rules mapped to it (``cpg_ids`` in
  ``evidence-rules.yaml``), by the same table as HIPAA controls. The goal's ``hipaa_citations``
  are an alignment, not an equivalence, and do not decide it.
* NPRM (90 FR 898; proposed, not in force): a requirement *would fail* when a rule linked to it
  shows a gap or a question measuring it is answered ``no`` or ``partial`` (the proposed figures
  admit no partial compliance); it *would pass* when every question measuring it is answered
  ``yes`` (or ``na``) and no evidence says otherwise; else it is *unknown*. Evidence alone never
  makes a requirement pass: each also asks for written policy or figures only the organization
  holds. ``NPRM-NO-ADDRESSABLE`` (every specification required) is judged from the statuses of
  the addressable specifications.
* OCR risk-analysis elements (HHS OCR guidance, 2010): what in this audit covers each one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from caresec.analyze.controls.combine import answer_rollup, combine
from caresec.analyze.controls.context import (
    KIND_LIFECYCLE,
    KIND_NOT_ASSESSED,
    KIND_VULNERABILITY,
    EvidenceContext,
)
from caresec.analyze.controls.predicates import count, listing
from caresec.analyze.controls.rules import ControlRule, RuleOutcome
from caresec.catalogs.models import (
    CpgCatalog,
    HipaaSecurityRuleCatalog,
    NprmCatalog,
    NprmRequirement,
    OcrRiskAnalysisCatalog,
    Question,
)
from caresec.model.control import (
    Answer,
    AnswerValue,
    ControlState,
    ControlStatus,
    CpgStatus,
    NprmReadiness,
    NprmVerdict,
    OcrCoverage,
    OcrElementCoverage,
)
from caresec.model.finding import Evidence

Fired = Sequence[tuple[ControlRule, RuleOutcome]]
NO_ADDRESSABLE = "NPRM-NO-ADDRESSABLE"


def _evidence(outcomes: Sequence[RuleOutcome]) -> tuple[Evidence, ...]:
    return tuple(dict.fromkeys(e for o in outcomes for e in o.evidence))


def cpg_statuses(
    catalog: CpgCatalog,
    questions: Sequence[Question],
    answers: Mapping[str, Answer],
    fired: Fired,
) -> tuple[CpgStatus, ...]:
    """One :class:`CpgStatus` per goal, in catalog order (see the module docstring)."""
    result = []
    for goal in catalog.goals:
        asked = [q for q in questions if goal.id in q.cpg_ids]
        mine = [(r.rule_id, o) for r, o in fired if goal.id in r.cpg_ids]
        combined = combine(answer_rollup(asked, answers), mine)
        result.append(
            CpgStatus(
                cpg_id=goal.id,
                title=goal.title,
                tier=goal.tier,
                state=combined.state,
                rationale=combined.rationale,
                answers=tuple(answers[q.id] for q in asked if q.id in answers),
                rule_ids=tuple(rule_id for rule_id, _ in mine),
                evidence=_evidence([o for _, o in mine]),
            )
        )
    return tuple(result)


def _figure(value: bool | int, unit: str) -> str:
    """``15 days``, ``1 hour``."""
    return f"{value} {unit.removesuffix('s') if value == 1 else unit}"


def _parameters(req: NprmRequirement) -> str:
    shown = [_figure(p.value, p.unit) for p in req.parameters if p.unit != "boolean"]
    return f" (proposed: {', '.join(shown)})" if shown else ""


def _no_addressable(
    req: NprmRequirement, rule: HipaaSecurityRuleCatalog, statuses: Sequence[ControlStatus]
) -> NprmReadiness:
    addressable = {e.citation for e in rule.specifications if e.status == "addressable"}
    mine = [s for s in statuses if s.control_id in addressable]
    short = [s for s in mine if s.state in (ControlState.NOT_MET, ControlState.PARTLY_MET)]
    unknown = [s for s in mine if s.state is ControlState.UNKNOWN]
    if short:
        verdict = NprmVerdict.WOULD_FAIL
        reason = (
            f"{len(short)} addressable specifications that would become required are not fully "
            "met: " + listing([f"{s.control_id} {s.state}" for s in short])
        )
    elif unknown:
        verdict = NprmVerdict.UNKNOWN
        reason = (
            f"{len(unknown)} of {len(mine)} addressable specifications are unknown: "
            + listing([s.control_id for s in unknown])
        )
    else:
        verdict = NprmVerdict.WOULD_PASS
        reason = f"all {len(mine)} addressable specifications are met or not applicable"
    return NprmReadiness(req.id, req.title, verdict, reason)


def nprm_readiness(
    catalog: NprmCatalog,
    rule: HipaaSecurityRuleCatalog,
    questions: Sequence[Question],
    answers: Mapping[str, Answer],
    fired: Fired,
    statuses: Sequence[ControlStatus],
) -> tuple[NprmReadiness, ...]:
    """One :class:`NprmReadiness` per proposed requirement, in catalog order."""
    result = []
    for req in catalog.requirements:
        if req.id == NO_ADDRESSABLE:
            result.append(_no_addressable(req, rule, statuses))
            continue
        asked = [q for q in questions if q.nprm_requirement == req.id]
        linked = [(r, o) for r, o in fired if r.nprm_requirement == req.id]
        gaps = [o for _, o in linked if o.role == "gap"]
        given = [answers[q.id] for q in asked if q.id in answers]
        short = [a for a in given if a.value in (AnswerValue.NO, AnswerValue.PARTIAL)]
        missing = [q.id for q in asked if q.id not in answers]
        if gaps or short:
            verdict = NprmVerdict.WOULD_FAIL
            reasons = [o.message for o in gaps]
            reasons += [
                f"answered {a.value} to {a.question_id}{_parameters(req)}" for a in short
            ]
        elif asked and not missing:
            verdict = NprmVerdict.WOULD_PASS
            reasons = [
                "answered " + ", ".join(f"{a.value} to {a.question_id}" for a in given)
                + "; no evidence says otherwise"
            ]
        else:
            verdict = NprmVerdict.UNKNOWN
            reasons = [
                f"unanswered: {', '.join(missing)}" if missing
                else "no question measures it and no evidence was collected"
            ]
        supports = [o.message for _, o in linked if o.role == "support"]
        if supports and verdict is not NprmVerdict.WOULD_FAIL:
            reasons.append("evidence: " + "; ".join(supports))
        result.append(
            NprmReadiness(
                requirement_id=req.id,
                title=req.title,
                verdict=verdict,
                reason="; ".join(reasons),
                question_ids=tuple(q.id for q in asked),
                rule_ids=tuple(r.rule_id for r, o in linked if o.role is not None),
                evidence=_evidence([o for _, o in linked if o.role is not None]),
            )
        )
    return tuple(result)


def _inputs_summary(ctx: EvidenceContext, answers: int) -> tuple[OcrCoverage, str]:
    files = sorted({a.source.rsplit(":", 1)[0] for a in ctx.assets if a.source}
                   | set(ctx.inventory_dates))
    kinds = sum(1 for n in (len(ctx.assets), ctx.sbom_count, answers) if n)
    coverage = (
        OcrCoverage.COVERED if kinds == 3
        else OcrCoverage.PARTLY_COVERED if kinds else OcrCoverage.NOT_COVERED
    )
    summary = (
        f"inputs read: inventory ({listing(files)}; {count(len(ctx.assets))} assets), "
        f"SBOMs ({count(ctx.sbom_count)}; {count(ctx.component_count)} components), "
        f"questionnaire ({count(answers)} answers)"
    )
    return coverage, summary


def ocr_coverage(
    catalog: OcrRiskAnalysisCatalog,
    ctx: EvidenceContext,
    statuses: Sequence[ControlStatus],
    answers: Mapping[str, Answer],
) -> tuple[OcrElementCoverage, ...]:
    """One :class:`OcrElementCoverage` per OCR element, in guidance order.

    Element 1 scope: the inventory and its ePHI assets. 2 data collection: the inputs read.
    3 threats and vulnerabilities: the findings (partly covered while components could not be
    assessed). 4 current security measures: HIPAA elements judged (not unknown). 5-7 likelihood,
    impact, level of risk: the risk register (partly covered: it weighs technical findings only;
    other threats rest on the answers). 8 documentation: this audit's reports. 9 periodic review:
    an earlier run and the answer to Q-308-a1-iiA-02.
    """
    vulns = ctx.open_findings(KIND_VULNERABILITY)
    eos = ctx.open_findings(KIND_LIFECYCLE)
    blind = ctx.open_findings(KIND_NOT_ASSESSED)
    judged = [s for s in statuses if s.state is not ControlState.UNKNOWN]
    review = answers.get("Q-308-a1-iiA-02")
    rows: dict[int, tuple[OcrCoverage, str]] = {}

    n_ephi = len(ctx.ephi_assets)
    rows[1] = (
        OcrCoverage.COVERED if ctx.assets and n_ephi
        else OcrCoverage.PARTLY_COVERED if ctx.assets else OcrCoverage.NOT_COVERED,
        f"inventory of {count(len(ctx.assets))} assets, {count(n_ephi)} holding ePHI; "
        f"{count(len(ctx.sbom_asset_ids))} assets described by SBOMs",
    )
    rows[2] = _inputs_summary(ctx, len(answers))
    findings_text = (
        f"{count(len(vulns) + len(eos) + len(blind))} findings before control gaps: "
        f"{count(len(vulns))} asset × vulnerability ({count(len(ctx.kev_open))} on a CISA KEV "
        f"vulnerability), {count(len(eos))} end of support, {count(len(blind))} not assessed"
    )
    rows[3] = (
        OcrCoverage.NOT_COVERED if not ctx.assets
        else OcrCoverage.PARTLY_COVERED if blind or not ctx.sbom_count
        else OcrCoverage.COVERED,
        findings_text,
    )
    rows[4] = (
        OcrCoverage.COVERED if len(judged) == len(statuses) and statuses
        else OcrCoverage.PARTLY_COVERED if judged else OcrCoverage.NOT_COVERED,
        f"{count(len(judged))} of {count(len(statuses))} HIPAA standards and implementation "
        f"specifications judged from answers and evidence",
    )
    register = (
        f"{count(ctx.risk_count)} risks weighed from the technical findings (NIST SP 800-30 "
        "Rev. 1), before the control gaps are added to the register; threats without a finding "
        "rest on the answers"
    )
    for number in (5, 6, 7):
        rows[number] = (
            OcrCoverage.PARTLY_COVERED if ctx.risk_count else OcrCoverage.NOT_COVERED, register
        )
    rows[8] = (
        OcrCoverage.COVERED,
        "documented by this audit's reports (report.html, report.json): inputs, findings, risk "
        "register and control statuses, dated",
    )
    answered_review = review is not None and review.value is AnswerValue.YES
    rows[9] = (
        OcrCoverage.COVERED if ctx.previous_run and answered_review
        else OcrCoverage.PARTLY_COVERED if ctx.previous_run or answered_review
        else OcrCoverage.NOT_COVERED,
        ("an earlier caresec run exists" if ctx.previous_run else "no earlier caresec run")
        + "; Q-308-a1-iiA-02 (risk analysis reviewed within 12 months) "
        + (f"answered {review.value}" if review is not None else "unanswered"),
    )
    return tuple(
        OcrElementCoverage(
            element_id=e.id,
            title=e.title,
            coverage=rows[e.number][0],
            summary=rows[e.number][1],
            evidence=(Evidence("audit", "caresec audit", rows[e.number][1]),),
        )
        for e in catalog.elements
    )
