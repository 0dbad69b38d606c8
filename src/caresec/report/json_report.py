"""The JSON report: a documented structure validated against ``schema/report.schema.json``
(JSON Schema draft 2020-12, shipped in the package)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from caresec import __version__
from caresec.errors import ReportError
from caresec.model.asset import Asset
from caresec.model.capability import CapabilityResult
from caresec.model.component import Component, Sbom
from caresec.model.control import Answer, ControlEvaluation, ControlStatus
from caresec.model.finding import Evidence, Finding, NotAssessed, VulnerabilityMatch
from caresec.model.org import AuditResult, FeedSummary
from caresec.model.plan import (
    AppliedResponse,
    PlanItem,
    RegisterEntry,
    RiskChange,
    RiskRating,
    RiskSnapshot,
    RunComparison,
)
from caresec.model.problems import InputProblem
from caresec.model.risk import Assessed, Risk
from caresec.report.counts import count
from caresec.report.views import hicp_coverage, register_counts, safeguard_coverage

#: The ``schema_version`` this module writes; equal to the schema's ``const``.
SCHEMA_VERSION = "1.2.0"

JsonObject = dict[str, Any]


@cache
def _schema_text() -> str:
    resource = files("caresec.report").joinpath("schema", "report.schema.json")
    try:
        return resource.read_text(encoding="utf-8")
    except FileNotFoundError as exc:  # a packaging bug
        raise ReportError("report.schema.json is not shipped with this caresec") from exc


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`render_json`'s output, as a fresh dict.

    Raises:
        ReportError: the schema file is missing from the installed package.
    """
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(report_schema(), format_checker=FormatChecker())


def _asset(a: Asset) -> JsonObject:
    # ``extra`` (unknown inventory columns) is left out on purpose: it is free text we cannot
    # vouch for, and reports never carry patient identifiers.
    return {
        "asset_id": a.asset_id,
        "name": a.name,
        "kind": str(a.kind),
        "criticality": str(a.criticality),
        "holds_ephi": a.holds_ephi,
        "ephi_records": a.ephi_records,
        "vendor": a.vendor,
        "model": a.model,
        "version": a.version,
        "department": a.department,
        "location": a.location,
        "owner": a.owner,
        "ip": a.ip,
        "network_zone": str(a.network_zone) if a.network_zone else None,
        "internet_facing": a.internet_facing,
        "end_of_support": a.end_of_support.isoformat() if a.end_of_support else None,
        "sbom_files": list(a.sbom_files),
        "source": a.source,
    }


def _sbom(s: Sbom) -> JsonObject:
    return {
        "sbom_id": s.sbom_id,
        "path": s.path,
        "format": s.format,
        "spec_version": s.spec_version,
        "serialization": s.serialization,
        "subject": s.subject,
        "component_count": len(s.components),
        "asset_ids": list(s.asset_ids),
    }


def _component(c: Component) -> JsonObject:
    return {
        "key": c.key,
        "bom_ref": c.bom_ref,
        "name": c.name,
        "version": c.version,
        "purl": c.purl,
        "cpe": c.cpe,
        "supplier": c.supplier,
        "sbom_id": c.sbom_id,
        "asset_ids": list(c.asset_ids),
    }


def _match(m: VulnerabilityMatch) -> JsonObject:
    kev = m.kev
    epss = m.epss
    return {
        "vulnerability_id": m.vulnerability_id,
        "aliases": list(m.aliases),
        "advisory_ids": list(m.advisory_ids),
        "summary": m.summary,
        "severity": str(m.severity),
        "cvss_score": m.cvss_score,
        "cvss_vector": m.cvss_vector,
        "fixed_versions": list(m.fixed_versions),
        "kev": None
        if kev is None
        else {
            "cve_id": kev.cve_id,
            "date_added": kev.date_added.isoformat(),
            "due_date": kev.due_date.isoformat() if kev.due_date else None,
            "ransomware": kev.ransomware,
            "name": kev.name,
        },
        "epss": None
        if epss is None
        else {"cve_id": epss.cve_id, "epss": epss.epss, "percentile": epss.percentile},
        "basis": m.basis,
        "component": _component(m.component),
    }


def _not_assessed(n: NotAssessed) -> JsonObject:
    return {"component": _component(n.component), "reason": n.reason}


def _evidence(items: tuple[Evidence, ...]) -> list[JsonObject]:
    return [
        {"collector": e.collector, "source": e.source, "description": e.description}
        for e in items
    ]


def _finding(f: Finding) -> JsonObject:
    return {
        "finding_id": f.finding_id,
        "kind": f.kind,
        "title": f.title,
        "asset_ids": list(f.asset_ids),
        "severity": str(f.severity),
        "status": str(f.status),
        "evidence": _evidence(f.evidence),
        "threat_event_ids": list(f.threat_event_ids),
        "control_ids": list(f.control_ids),
        "vulnerability_id": f.vulnerability.vulnerability_id if f.vulnerability else None,
        "details": [[k, v] for k, v in f.details],
        "likelihood": _assessed(f.likelihood) if f.likelihood is not None else None,
    }


def _assessed(a: Assessed) -> JsonObject:
    return {"level": str(a.level), "score": a.score, "rationale": a.rationale}


def _risk(r: Risk) -> JsonObject:
    return {
        "risk_id": r.risk_id,
        "asset_id": r.asset_id,
        "threat_event_id": r.threat_event_id,
        "threat_event": r.threat_event,
        "likelihood": _assessed(r.likelihood),
        "impact": _assessed(r.impact),
        "level": str(r.level),
        "score": r.score,
        "finding_ids": list(r.finding_ids),
        "rationale": r.rationale,
    }


def _rating(r: RiskRating) -> JsonObject:
    return {
        "likelihood": _assessed(r.likelihood),
        "impact": _assessed(r.impact),
        "level": str(r.level),
        "score": r.score,
        "sra_level": str(r.sra_level),
        "matrix_score": r.matrix_score,
        "rationale": r.rationale,
    }


def _response(a: AppliedResponse | None) -> JsonObject | None:
    if a is None:
        return None
    d = a.decision
    return {
        "response": str(d.response),
        "justification": d.justification,
        "owner": d.owner,
        "expires": d.expires.isoformat() if d.expires else None,
        "decided_on": d.decided_on.isoformat() if d.decided_on else None,
        "expired": a.expired,
        "in_force": a.effective is not None,
        "note": a.note,
        "source": d.source,
    }


def _entry(e: RegisterEntry) -> JsonObject:
    r = e.risk
    return {
        "risk_id": r.risk_id,
        "kind": str(e.kind),
        "asset_id": r.asset_id,
        "threat_event_id": r.threat_event_id,
        "threat_event": r.threat_event,
        "vulnerability": e.vulnerability,
        "finding_ids": list(r.finding_ids),
        "inherent": _rating(e.inherent),
        "residual": _rating(e.residual),
        "control_ids": list(e.control_ids),
        "control_effect": e.control_effect,
        "treatment": e.treatment,
        "response": _response(e.response),
    }


def _item(i: PlanItem) -> JsonObject:
    return {
        "rank": i.rank,
        "item_id": i.item_id,
        "title": i.title,
        "description": i.description,
        "action": str(i.action),
        "risk_ids": list(i.risk_ids),
        "finding_ids": list(i.finding_ids),
        "asset_ids": list(i.asset_ids),
        "control_ids": list(i.control_ids),
        "owner": i.owner,
        "level": str(i.level) if i.level is not None else None,
        "sla_days": i.sla_days,
        "due": i.due.isoformat(),
        "nprm": None
        if i.nprm is None
        else {
            "requirement_id": i.nprm.requirement_id,
            "title": i.nprm.title,
            "days": i.nprm.days,
            "exceeded_by_sla": i.nprm.exceeded_by_sla,
        },
        "milestones": [
            {"title": m.title, "due": m.due.isoformat(), "done": m.done} for m in i.milestones
        ],
        "status": str(i.status),
        "status_source": i.status_source,
        "note": i.note,
        "risk_reduction": i.risk_reduction,
        "effort": i.effort,
        "priority": i.priority,
    }


def _snapshot(s: RiskSnapshot | None) -> JsonObject | None:
    if s is None:
        return None
    return {"level": str(s.level), "score": s.score, "title": s.title}


def _change(c: RiskChange) -> JsonObject:
    return {
        "risk_id": c.risk_id,
        "change": str(c.change),
        "before": _snapshot(c.before),
        "after": _snapshot(c.after),
    }


def _comparison(c: RunComparison | None) -> JsonObject | None:
    if c is None:
        return None
    return {
        "previous_run_id": c.previous_run_id,
        "previous_started_at": c.previous_started_at,
        "changes": [_change(x) for x in c.changes],
        "unchanged": c.unchanged,
        "new_findings": list(c.new_findings),
        "resolved_findings": list(c.resolved_findings),
    }


def _answer(a: Answer) -> JsonObject:
    return {
        "question_id": a.question_id,
        "value": str(a.value),
        "note": a.note,
        "evidence_refs": list(a.evidence_refs),
        "answered_by": a.answered_by,
        "answered_on": a.answered_on,
        "source": a.source,
    }


def _status(s: ControlStatus) -> JsonObject:
    return {
        "control_id": s.control_id,
        "title": s.title,
        "state": str(s.state),
        "rationale": s.rationale,
        "answers": [a.question_id for a in s.answers],
        "evidence": _evidence(s.evidence),
        "rule_ids": list(s.rule_ids),
        "finding_ids": list(s.finding_ids),
    }


def _controls(result: AuditResult, ev: ControlEvaluation | None) -> JsonObject | None:
    if ev is None:
        return None
    return {
        "questions": ev.questions,
        "answers": [_answer(a) for a in ev.answers],
        "statuses": [_status(s) for s in ev.statuses],
        "coverage_by_safeguard": [
            {
                "safeguard": str(c.safeguard),
                "label": c.label,
                "counts": {str(state): n for state, n in c.counts},
            }
            for c in safeguard_coverage(result)
        ],
        "contradictions": [
            {
                "control_id": c.control_id,
                "question_id": c.question_id,
                "answer": str(c.answer),
                "message": c.message,
                "evidence": _evidence(c.evidence),
            }
            for c in ev.contradictions
        ],
        "cpg": [
            {
                "cpg_id": c.cpg_id,
                "title": c.title,
                "tier": c.tier,
                "state": str(c.state),
                "rationale": c.rationale,
                "answers": [a.question_id for a in c.answers],
                "rule_ids": list(c.rule_ids),
            }
            for c in ev.cpg_status
        ],
        "hicp": {
            "size_tier": str(result.org.size_tier),
            "practices": [
                {
                    "number": p.number,
                    "title": p.title,
                    "state": str(p.state),
                    "controls": [{"control_id": c, "state": str(s)} for c, s in p.controls],
                    "cpgs": [{"cpg_id": c, "state": str(s)} for c, s in p.cpgs],
                    "sub_practices": [{"id": i, "title": t} for i, t in p.sub_practices],
                }
                for p in hicp_coverage(result)
            ],
        },
        "nprm": [
            {
                "requirement_id": n.requirement_id,
                "title": n.title,
                "verdict": str(n.verdict),
                "reason": n.reason,
                "question_ids": list(n.question_ids),
                "rule_ids": list(n.rule_ids),
            }
            for n in ev.nprm_readiness
        ],
        "ocr_elements": [
            {
                "element_id": o.element_id,
                "title": o.title,
                "coverage": str(o.coverage),
                "summary": o.summary,
                "evidence": _evidence(o.evidence),
            }
            for o in ev.ocr_elements
        ],
    }


def _problem(p: InputProblem) -> JsonObject:
    return {
        "file": p.file,
        "place": p.place,
        "message": p.message,
        "severity": str(p.severity),
        "collector": p.collector,
    }


def _feed(f: FeedSummary) -> JsonObject:
    return {"name": f.name, "digest": f.digest, "records": f.records, "imported_at": f.imported_at}


def report_document(result: AuditResult) -> JsonObject:
    """The report as a JSON-ready dict (not yet validated); see ``report.schema.json``."""
    c = count(result)
    rc = register_counts(result)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "caresec", "version": __version__},
        "org": {"name": result.org.name, "size_tier": str(result.org.size_tier)},
        "started_at": result.started_at.isoformat(),
        "audit_date": result.judged_on.isoformat() if result.judged_on else None,
        "summary": {
            "assets": c.assets,
            "sboms": c.sboms,
            "components": c.components,
            "matches": c.matches,
            "vulnerabilities": c.vulnerabilities,
            "vulnerabilities_by_severity": {str(s): n for s, n in c.by_severity},
            "kev": c.kev,
            "kev_ransomware": c.ransomware,
            "not_assessed": c.not_assessed,
            "findings": c.findings,
            "risks": c.risks,
            "risks_by_level": {str(lv): n for lv, n in c.by_level},
            "problems": {"error": c.problem_errors, "warning": c.problem_warnings},
            "unreadable_inputs": list(c.unreadable),
            "register": {
                "technical": rc.technical,
                "control_gap": rc.control_gap,
                "treatments": dict(rc.treatments),
                "expired_responses": rc.expired,
            },
            "plan_items": len(result.plan),
        },
        "assets": [_asset(a) for a in result.facts.assets],
        "sboms": [_sbom(s) for s in result.facts.sboms],
        "matches": [_match(m) for m in result.matches],
        "not_assessed": [_not_assessed(n) for n in result.not_assessed],
        "findings": [_finding(f) for f in result.findings],
        "risks": [_risk(r) for r in result.risks],
        "problems": [_problem(p) for p in result.problems],
        "feeds": [_feed(f) for f in result.feeds],
        "controls": _controls(result, result.controls),
        "register": [_entry(e) for e in result.register],
        "plan": [_item(i) for i in result.plan],
        "comparison": _comparison(result.comparison),
        "capabilities": [_capability(c) for c in result.capabilities],
    }


def _capability(c: CapabilityResult) -> JsonObject:
    return {
        "name": c.name,
        "summary": [[label, value] for label, value in c.summary],
        "activities": sorted(c.activities),
        "finding_ids": [f.finding_id for f in c.findings],
        "data": dict(c.data),
    }


def validate_report(document: object) -> None:
    """Validate a report document against ``report.schema.json``.

    Raises:
        ReportError: naming the JSON pointer and the first violation found.
    """
    errors = sorted(
        _validator().iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if errors:
        first = errors[0]
        pointer = "/" + "/".join(str(p) for p in first.absolute_path)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ReportError(f"JSON report fails its schema at {pointer}: {first.message}{more}")


def render_json(result: AuditResult) -> str:
    """Render ``result`` as the JSON report (UTF-8 text, 2-space indent, trailing newline).

    The document is validated against :func:`report_schema` before it is returned.

    Raises:
        ReportError: the document does not satisfy the schema.
    """
    document = report_document(result)
    validate_report(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
