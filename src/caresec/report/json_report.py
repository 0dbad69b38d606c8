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
from caresec.model.component import Component, Sbom
from caresec.model.finding import Finding, NotAssessed, VulnerabilityMatch
from caresec.model.org import AuditResult, FeedSummary
from caresec.model.problems import InputProblem
from caresec.model.risk import Assessed, Risk
from caresec.report.counts import count

#: The ``schema_version`` this module writes; equal to the schema's ``const``.
SCHEMA_VERSION = "1.0.0"

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


def _finding(f: Finding) -> JsonObject:
    return {
        "finding_id": f.finding_id,
        "kind": f.kind,
        "title": f.title,
        "asset_ids": list(f.asset_ids),
        "severity": str(f.severity),
        "status": str(f.status),
        "evidence": [
            {"collector": e.collector, "source": e.source, "description": e.description}
            for e in f.evidence
        ],
        "threat_event_ids": list(f.threat_event_ids),
        "control_ids": list(f.control_ids),
        "vulnerability_id": f.vulnerability.vulnerability_id if f.vulnerability else None,
        "details": [[k, v] for k, v in f.details],
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
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "caresec", "version": __version__},
        "org": {"name": result.org.name, "size_tier": str(result.org.size_tier)},
        "started_at": result.started_at.isoformat(),
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
        },
        "assets": [_asset(a) for a in result.facts.assets],
        "sboms": [_sbom(s) for s in result.facts.sboms],
        "matches": [_match(m) for m in result.matches],
        "not_assessed": [_not_assessed(n) for n in result.not_assessed],
        "findings": [_finding(f) for f in result.findings],
        "risks": [_risk(r) for r in result.risks],
        "problems": [_problem(p) for p in result.problems],
        "feeds": [_feed(f) for f in result.feeds],
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
