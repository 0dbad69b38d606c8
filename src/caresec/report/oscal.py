"""OSCAL assessment results and plan of action and milestones (POA&M), validated by
compliance-trestle's models.

Each document is built as OSCAL JSON (field names as the OSCAL 1.1 JSON schema spells them),
validated by constructing trestle's pydantic model of the whole document
(``trestle.oscal.assessment_results.Model``, ``trestle.oscal.poam.Model``), serialized by
trestle (``oscal_serialize_json``) and parsed back; the round trip must give an equal model.

Mapping (docs/reports.md, "OSCAL"):

* **observations**: one per HIPAA control status (its answers and evidence, method INTERVIEW
  and/or TEST) and one per technical finding behind a register entry (method TEST);
* **findings**: one per judged control status (target ``objective-id`` = the control token,
  status satisfied / not-satisfied) and one per technical finding behind a register entry;
* **risks**: one per register entry, with likelihood, impact and risk facets (residual and
  inherent, SRA level, 5×5 score), its threat event, the plan item's deadline, status and
  milestones, and the risk response in its risk log;
* **POA&M items**: one per plan item, linked to its risks and observations.

Identifiers: HIPAA citations become OSCAL tokens ``hipaa-164.308-a-1-ii-B``; every UUID is a
UUID v5 of the organization name and the object's caresec id, so two runs of the same
organization give the same UUIDs for the same objects and their documents diff cleanly.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from trestle.oscal import OSCAL_VERSION
from trestle.oscal import assessment_results as oscal_ar
from trestle.oscal import poam as oscal_poam

from caresec import __version__
from caresec.catalogs.registry import load_hipaa_security_rule
from caresec.errors import ReportError
from caresec.model.control import Answer, ControlState, ControlStatus
from caresec.model.finding import Evidence, Finding
from caresec.model.org import AuditResult
from caresec.model.plan import PlanItem, PlanStatus, RegisterEntry, RegisterKind, ResponseKind

JsonObject = dict[str, Any]

#: caresec's namespace for OSCAL property names and facet systems.
NS = "urn:caresec:oscal"
FACET_SYSTEM = "urn:caresec:nist-sp-800-30"
THREAT_SYSTEM = "urn:caresec:threat-events"
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:caresec:oscal")

_SATISFIED = {
    ControlState.MET: ("satisfied", "pass", "implemented"),
    ControlState.PARTLY_MET: ("not-satisfied", "fail", "partial"),
    ControlState.NOT_MET: ("not-satisfied", "fail", None),
    ControlState.NOT_APPLICABLE: ("satisfied", "other", "not-applicable"),
}


def control_token(citation: str) -> str:
    """An OSCAL token for a HIPAA citation: ``164.308(a)(1)(ii)(B)`` →
    ``hipaa-164.308-a-1-ii-B``."""
    return "hipaa-" + re.sub(r"[()]+", "-", citation).strip("-").replace("--", "-")


def stable_uuid(org: str, kind: str, key: str) -> str:
    """UUID v5 of ``org``, ``kind`` and ``key`` (deterministic across runs)."""
    return str(uuid.uuid5(_UUID_NAMESPACE, f"{org}\x1f{kind}\x1f{key}"))


def _line(text: str) -> str:
    """One line without leading or trailing space (OSCAL titles and property values)."""
    return " ".join(text.split()) or "-"


def _when(moment: datetime | date) -> str:
    """ISO 8601 with a UTC offset, to the second (trestle writes milliseconds at most)."""
    if isinstance(moment, datetime):
        return moment.replace(microsecond=0).isoformat()
    return f"{moment.isoformat()}T00:00:00+00:00"


def _props(*pairs: tuple[str, object]) -> list[JsonObject]:
    out = []
    for name, value in pairs:
        text = " ".join(str(value).split()) if value is not None else ""
        if text:
            out.append({"name": name, "ns": NS, "value": text})
    return out


def _evidence(items: Iterable[Evidence], answers: Iterable[Answer] = ()) -> list[JsonObject]:
    out: list[JsonObject] = []
    for a in answers:
        note = f": {a.note}" if a.note else ""
        out.append({
            "description": f"{a.question_id} answered {a.value}{note}",
            "props": _props(("collector", "answers"), ("source", a.source or "answers.yaml")),
        })
    for e in items:
        out.append({
            "description": e.description or "-",
            "props": _props(("collector", e.collector), ("source", e.source)),
        })
    return out


class _Builder:
    """Builds both documents of one audit; every object keyed by caresec id."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
        self.org = result.org.name
        self.collected = _when(result.started_at)
        self.tool_uuid = self.u("tool", "caresec")
        self.findings = {f.finding_id: f for f in result.findings}
        self.items_by_risk: dict[str, PlanItem] = {}
        for item in result.plan:
            for rid in item.risk_ids:
                self.items_by_risk.setdefault(rid, item)
        self.risks_by_finding: dict[str, list[RegisterEntry]] = {}
        for entry in result.register:
            for fid in entry.risk.finding_ids:
                self.risks_by_finding.setdefault(fid, []).append(entry)

    def u(self, kind: str, key: str) -> str:
        return stable_uuid(self.org, kind, key)

    # --- common parts ------------------------------------------------------------------------

    def metadata(self, title: str) -> JsonObject:
        judged = self.result.judged_on or self.result.started_at.date()
        return {
            "title": _line(title),
            "last-modified": self.collected,
            "version": judged.isoformat(),
            "oscal-version": OSCAL_VERSION,
            "props": _props(("tool", f"caresec {__version__}")),
            "parties": [{"uuid": self.u("party", "organization"), "type": "organization",
                         "name": _line(self.org)}],
        }

    def origin(self) -> list[JsonObject]:
        return [{"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]}]

    def assessment_assets(self) -> JsonObject:
        return {
            "components": [{
                "uuid": self.tool_uuid,
                "type": "software",
                "title": f"caresec {__version__}",
                "description": "Evidence-based HIPAA Security Rule risk analysis tool.",
                "status": {"state": "operational"},
            }],
            "assessment-platforms": [{
                "uuid": self.u("platform", "caresec"),
                "title": f"caresec {__version__}",
                "uses-components": [{"component-uuid": self.tool_uuid}],
            }],
        }

    # --- observations ------------------------------------------------------------------------

    def control_observation(self, status: ControlStatus) -> JsonObject:
        methods = []
        if status.answers:
            methods.append("INTERVIEW")
        if status.evidence or status.rule_ids:
            methods.append("TEST")
        obs: JsonObject = {
            "uuid": self.u("observation-control", status.control_id),
            "title": _line(f"{status.control_id} {status.title}: {status.state}"),
            "description": status.rationale or f"{status.control_id} is {status.state}.",
            "props": _props(("control-id", status.control_id), ("state", status.state),
                            ("evidence-rules", ", ".join(status.rule_ids))),
            "methods": methods or ["UNKNOWN"],
            "types": ["control-objective"],
            "origins": self.origin(),
            "collected": self.collected,
        }
        evidence = _evidence(status.evidence, status.answers)
        if evidence:
            obs["relevant-evidence"] = evidence
        return obs

    def finding_observation(self, finding: Finding) -> JsonObject:
        obs: JsonObject = {
            "uuid": self.u("observation-finding", finding.finding_id),
            "title": _line(finding.title),
            "description": f"{finding.kind} finding {finding.finding_id} on "
            f"{', '.join(finding.asset_ids) or 'no asset'}: {finding.title}",
            "props": _props(("finding-id", finding.finding_id), ("kind", finding.kind),
                            ("severity", finding.severity),
                            ("asset-ids", ", ".join(finding.asset_ids))),
            "methods": ["TEST"],
            "types": ["finding"],
            "origins": self.origin(),
            "collected": self.collected,
        }
        evidence = _evidence(finding.evidence)
        if evidence:
            obs["relevant-evidence"] = evidence
        return obs

    def observation_of(self, entry: RegisterEntry) -> str:
        fid = entry.risk.finding_ids[0]
        finding = self.findings.get(fid)
        if entry.kind is RegisterKind.CONTROL_GAP and finding is not None:
            return self.u("observation-control", finding.control_ids[0])
        return self.u("observation-finding", fid)

    def technical_findings(self) -> list[Finding]:
        return [
            f for f in self.result.findings
            if f.finding_id in self.risks_by_finding and f.kind != "control-gap"
        ]

    # --- risks -------------------------------------------------------------------------------

    def risk(self, entry: RegisterEntry) -> JsonObject:
        r, inh, res = entry.risk, entry.inherent, entry.residual
        item = self.items_by_risk.get(r.risk_id)
        facets = [
            ("likelihood", res.likelihood.level), ("impact", res.impact.level),
            ("risk", res.level), ("risk-score", res.score), ("sra-level", res.sra_level),
            ("matrix-score", res.matrix_score), ("inherent-likelihood", inh.likelihood.level),
            ("inherent-risk", inh.level), ("inherent-risk-score", inh.score),
            ("inherent-sra-level", inh.sra_level), ("inherent-matrix-score", inh.matrix_score),
        ]
        risk: JsonObject = {
            "uuid": self.u("risk", r.risk_id),
            "title": _line(f"{r.threat_event} on {r.asset_id}: {entry.vulnerability}"),
            "description": f"{entry.vulnerability}. Likelihood: {r.likelihood.rationale}. "
            f"Impact: {r.impact.rationale}.",
            "statement": f"Residual {res.rationale}; inherent {inh.rationale}. "
            f"{entry.control_effect}.",
            "props": _props(("risk-id", r.risk_id), ("kind", entry.kind),
                            ("asset-id", r.asset_id), ("threat-event-id", r.threat_event_id),
                            ("treatment", entry.treatment)),
            "status": self.risk_status(entry, item),
            "origins": self.origin(),
            "threat-ids": [{"system": THREAT_SYSTEM,
                            "id": f"urn:caresec:threat-event:{r.threat_event_id}"}],
            "characterizations": [{
                "origin": self.origin()[0],
                "facets": [{"name": n, "system": FACET_SYSTEM, "value": _line(str(v))}
                           for n, v in facets],
            }],
            "related-observations": [{"observation-uuid": self.observation_of(entry)}],
        }
        if item is not None:
            risk["deadline"] = _when(item.due)
            risk["remediations"] = [self.remediation(item)]
        if entry.response is not None:
            decision = entry.response.decision
            risk["risk-log"] = {"entries": [{
                "uuid": self.u("risk-log", f"{r.risk_id}|{decision.source}"),
                "title": _line(f"Risk response: {decision.response}"),
                "description": entry.response.note,
                "start": _when(decision.decided_on or self.result.started_at),
                **({"end": _when(decision.expires)} if decision.expires else {}),
                "status-change": self.risk_status(entry, item),
            }]}
        return risk

    def risk_status(self, entry: RegisterEntry, item: PlanItem | None) -> str:
        if entry.response is not None and entry.response.effective is ResponseKind.ACCEPT:
            return PlanStatus.DEVIATION_APPROVED.value
        return item.status.value if item is not None else PlanStatus.OPEN.value

    def remediation(self, item: PlanItem) -> JsonObject:
        planned = item.status in (PlanStatus.REMEDIATING, PlanStatus.INVESTIGATING)
        return {
            "uuid": self.u("remediation", item.item_id),
            "lifecycle": "planned" if planned else "recommendation",
            "title": _line(item.title),
            "description": item.description or item.title,
            "props": _props(("plan-item-id", item.item_id), ("action", item.action),
                            ("owner", item.owner), ("effort", item.effort)),
            "origins": self.origin(),
            "tasks": [
                {
                    "uuid": self.u("milestone", f"{item.item_id}|{m.title}"),
                    "type": "milestone",
                    "title": _line(m.title),
                    "props": _props(("done", "yes" if m.done else "no")),
                    "timing": {"on-date": {"date": _when(m.due)}},
                }
                for m in item.milestones
            ],
        }

    # --- findings ----------------------------------------------------------------------------

    def control_finding(self, status: ControlStatus) -> JsonObject:
        state, reason, implementation = _SATISFIED[status.state]
        target: JsonObject = {
            "type": "objective-id",
            "target-id": control_token(status.control_id),
            "title": _line(f"{status.control_id} {status.title}"),
            "status": {"state": state, "reason": reason},
        }
        if implementation is not None:
            target["implementation-status"] = {"state": implementation}
        finding: JsonObject = {
            "uuid": self.u("finding-control", status.control_id),
            "title": _line(f"{status.control_id} {status.title}: {status.state}"),
            "description": status.rationale or f"{status.control_id} is {status.state}.",
            "props": _props(("control-id", status.control_id), ("state", status.state)),
            "origins": self.origin(),
            "target": target,
            "related-observations": [
                {"observation-uuid": self.u("observation-control", status.control_id)}
            ],
        }
        risks = self.risks_by_finding.get(f"GAP-{status.control_id}", [])
        if risks:
            finding["related-risks"] = [{"risk-uuid": self.u("risk", e.risk_id)} for e in risks]
        return finding

    def technical_finding(self, f: Finding) -> JsonObject:
        control = f.control_ids[0] if f.control_ids else "164.308(a)(1)(ii)(B)"
        return {
            "uuid": self.u("finding", f.finding_id),
            "title": _line(f.title),
            "description": f"{f.kind} finding on {', '.join(f.asset_ids) or 'no asset'}: "
            f"{f.title}",
            "props": _props(("finding-id", f.finding_id), ("kind", f.kind),
                            ("severity", f.severity)),
            "origins": self.origin(),
            "target": {
                "type": "objective-id",
                "target-id": control_token(control),
                "status": {"state": "not-satisfied", "reason": "fail"},
            },
            "related-observations": [
                {"observation-uuid": self.u("observation-finding", f.finding_id)}
            ],
            "related-risks": [
                {"risk-uuid": self.u("risk", e.risk_id)}
                for e in self.risks_by_finding.get(f.finding_id, [])
            ],
        }

    # --- documents ---------------------------------------------------------------------------

    def statuses(self) -> tuple[ControlStatus, ...]:
        return self.result.controls.statuses if self.result.controls is not None else ()

    def assessment_results(self) -> JsonObject:
        judged = [s for s in self.statuses() if s.state is not ControlState.UNKNOWN]
        observations = [self.control_observation(s) for s in self.statuses()]
        observations += [self.finding_observation(f) for f in self.technical_findings()]
        findings = [self.control_finding(s) for s in judged]
        findings += [self.technical_finding(f) for f in self.technical_findings()]
        risks = [self.risk(e) for e in self.result.register]
        controls = [{"control-id": control_token(e.citation)}
                    for e in load_hipaa_security_rule().elements]
        judged_on = (self.result.judged_on or self.result.started_at.date()).isoformat()
        result: JsonObject = {
            "uuid": self.u("result", "risk-analysis"),
            "title": _line(f"HIPAA Security Rule risk analysis of {self.org}, {judged_on}"),
            "description": "Control status judged from questionnaire answers and technical "
            "evidence; risk register on the NIST SP 800-30 Rev. 1 scales (45 CFR "
            "164.308(a)(1)(ii)(A)).",
            "start": self.collected,
            "local-definitions": {"assessment-assets": self.assessment_assets()},
            "reviewed-controls": {
                "description": "Every standard and implementation specification of 45 CFR "
                "164.308-164.316; control ids are caresec tokens of the CFR citations.",
                "control-selections": [{"include-controls": controls}],
            },
        }
        for key, values in (("observations", observations), ("risks", risks),
                            ("findings", findings)):
            if values:
                result[key] = values
        return {
            "uuid": self.u("assessment-results", "document"),
            "metadata": self.metadata(f"HIPAA Security Rule risk analysis: {self.org}"),
            "import-ap": {
                "href": "urn:caresec:no-assessment-plan",
                "remarks": "No OSCAL assessment plan exists: caresec assesses the HIPAA "
                "Security Rule (45 CFR 164.308-164.316) directly.",
            },
            "results": [result],
        }

    def poam(self) -> JsonObject | None:
        if not self.result.plan:
            return None
        entries = {e.risk_id: e for e in self.result.register}
        covered = [entries[r] for item in self.result.plan for r in item.risk_ids if r in entries]
        seen: dict[str, RegisterEntry] = {e.risk_id: e for e in covered}
        obs_ids: dict[str, JsonObject] = {}
        statuses = {s.control_id: s for s in self.statuses()}
        for item in self.result.plan:
            for fid in item.finding_ids:
                f = self.findings.get(fid)
                if f is None:
                    continue
                if f.kind == "control-gap" and f.control_ids[0] in statuses:
                    obs = self.control_observation(statuses[f.control_ids[0]])
                else:
                    obs = self.finding_observation(f)
                obs_ids.setdefault(obs["uuid"], obs)
        items = [self.poam_item(item, statuses) for item in self.result.plan]
        doc: JsonObject = {
            "uuid": self.u("poam", "document"),
            "metadata": self.metadata(f"Plan of action and milestones: {self.org}"),
            "local-definitions": {"assessment-assets": self.assessment_assets()},
        }
        if obs_ids:
            doc["observations"] = list(obs_ids.values())
        if seen:
            doc["risks"] = [self.risk(e) for e in seen.values()]
        doc["poam-items"] = items
        return doc

    def poam_item(self, item: PlanItem, statuses: Mapping[str, ControlStatus]) -> JsonObject:
        observations = []
        for fid in item.finding_ids:
            f = self.findings.get(fid)
            if f is None:
                continue
            if f.kind == "control-gap" and f.control_ids[0] in statuses:
                observations.append(self.u("observation-control", f.control_ids[0]))
            else:
                observations.append(self.u("observation-finding", fid))
        poam_item: JsonObject = {
            "uuid": self.u("poam-item", item.item_id),
            "title": _line(item.title),
            "description": item.description or item.title,
            "props": _props(
                ("plan-item-id", item.item_id), ("action", item.action),
                ("level", item.level or "none"), ("status", item.status),
                ("owner", item.owner), ("due", item.due.isoformat()),
                ("sla-days", item.sla_days), ("risk-reduction", item.risk_reduction),
                ("effort", item.effort), ("priority", f"{item.priority:.2f}"),
                ("rank", item.rank),
                ("nprm-requirement", item.nprm.requirement_id if item.nprm else ""),
                ("nprm-days", item.nprm.days if item.nprm else ""),
            ),
            "origins": self.origin(),
        }
        if observations:
            poam_item["related-observations"] = [{"observation-uuid": o} for o in observations]
        if item.risk_ids:
            poam_item["related-risks"] = [{"risk-uuid": self.u("risk", r)} for r in item.risk_ids]
        if item.note:
            poam_item["remarks"] = item.note
        return poam_item


def _validated(model: type[Any], key: str, document: JsonObject, what: str) -> str:
    try:
        parsed = model.model_validate({key: document})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"])
        raise ReportError(
            f"OSCAL {what} fails trestle's model at {where}: {first['msg']} "
            f"({exc.error_count()} error(s))"
        ) from exc
    inner = getattr(parsed, key.replace("-", "_"))
    text: str = inner.oscal_serialize_json(pretty=True)
    again = model.model_validate_json(text)
    if again != parsed:
        raise ReportError(f"OSCAL {what} does not survive a trestle round trip")
    return text + "\n"


def render_oscal_assessment_results(result: AuditResult) -> str:
    """The OSCAL assessment results of ``result`` as JSON text, validated by
    ``trestle.oscal.assessment_results`` (see the module docstring).

    Raises:
        ReportError: the document fails trestle's model or its round trip.
    """
    document = _Builder(result).assessment_results()
    return _validated(oscal_ar.Model, "assessment-results", document, "assessment results")


def render_oscal_poam(result: AuditResult) -> str | None:
    """The OSCAL POA&M of ``result`` as JSON text, validated by ``trestle.oscal.poam``; None
    when the plan is empty (OSCAL requires at least one POA&M item).

    Raises:
        ReportError: the document fails trestle's model or its round trip.
    """
    document = _Builder(result).poam()
    if document is None:
        return None
    return _validated(oscal_poam.Model, "plan-of-action-and-milestones", document, "POA&M")


def oscal_uuids(text: str) -> Sequence[str]:
    """Every UUID in an OSCAL JSON text, in order (for tests and diffs)."""
    return re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                      text)
