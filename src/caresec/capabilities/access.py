"""EHR access-log review in ``caresec audit`` (docs/access-review.md "In the audit").

The capability applies when ``caresec.toml`` has an ``[access]`` table or the organization folder
has ``access/logs/``. It reviews the logs against the clinical and workforce context with
:func:`caresec.access.review_access` (DuckDB, in process, offline; patients as keyed pseudonyms
under the organization's key ``ORG/.caresec/key``) and returns:

* one ``access-case`` finding per case (:func:`caresec.access.access_findings`) on the asset(s)
  whose log it is, each with its own likelihood (:func:`caresec.access.findings.case_likelihood`),
  so the cases enter the register with that asset's impact (threat events
  ``TE-INSIDER-SNOOPING``, ``TE-INSIDER-DATA-THEFT``; controls 164.308(a)(1)(ii)(D),
  164.312(b), 164.308(a)(3)(ii)(C), 164.312(a)(2)(ii));
* the evidence activity ``access-log-review`` (credited by evidence rule
  ``ER-ACCESS-LOG-REVIEW``);
* the review's input problems and those of the ``[access]`` table;
* summary lines, the ``report.json`` object (:func:`access_data`) and the HTML section
  ``access-review``.

Settings, the ``[access]`` table of ``caresec.toml`` (all optional; paths relative to the
organization folder)::

    [access]
    logs = "access/logs"          # a file or folder, or a list of them
    context = "access/context"    # the context folder
    timezone = "America/Chicago"  # IANA zone of the hospital's local days and hours (UTC)
    asset_id = "EHR-APP-01"       # the inventory asset(s) whose log this is (ORG when absent)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from caresec.access import KeyedPseudonymizer, access_findings, review_access
from caresec.access.review import COLLECTOR
from caresec.analyze.controls import ACTIVITY_ACCESS_LOG_REVIEW
from caresec.extension import AuditContext, Capability
from caresec.model import (
    CapabilityResult,
    Finding,
    InputProblem,
    OrgConfig,
    ProblemSeverity,
    ReportSection,
)
from caresec.model.access import AccessReview
from caresec.report import render_fragment

#: Run order among the built-in capabilities (:func:`caresec.extension.builtin_capabilities`).
ORDER = 20
NAME = "access"
SECTION_ID = "access-review"
SETTINGS_FILE = "caresec.toml"
SETTINGS = ("logs", "context", "timezone", "asset_id")
DEFAULT_LOGS = "access/logs"
DEFAULT_CONTEXT = "access/context"
DEFAULT_TIMEZONE = "UTC"
ORG_ASSET = "ORG"
ENGINE = "duckdb"


def capability() -> Capability:
    """The built-in access-review capability (:class:`AccessCapability`)."""
    return AccessCapability()


class AccessCapability:
    """EHR access-log review (explanation-based auditing) as an audit capability.

    Attributes:
        name: ``access`` (the ``[access]`` table of ``caresec.toml``, the ``report.json``
            capability name).
    """

    def __init__(self) -> None:
        self.name: str = NAME

    def applies(self, org: OrgConfig) -> bool:
        """True when ``caresec.toml`` has an ``[access]`` table or ``ORG/access/logs`` exists."""
        return any(key == NAME for key, _ in org.sections) or (org.root / DEFAULT_LOGS).exists()

    def run(self, context: AuditContext) -> CapabilityResult:
        """Review the access logs and turn the cases into findings (see the module docstring).

        Raises:
            StoreError: the organization's pseudonym key cannot be created or read.
            CaresecError: the review engine cannot start (the pipeline records it as a problem
                of this capability).
        """
        org = context.org
        settings, problems = access_settings(org.section(NAME))
        logs = [org.root / p for p in settings["logs"]]
        present = [p for p in logs if p.exists()]
        for missing in sorted(set(logs) - set(present)):
            problems.append(_problem(f"[{NAME}] logs", f"{missing} does not exist; not reviewed"))
        context_dir = org.root / settings["context"]
        if not context_dir.is_dir():
            problems.append(_problem(f"[{NAME}] context",
                                     f"{context_dir} is not a folder; the review needs the "
                                     "clinical and workforce context"))
        known = {a.asset_id for a in context.assets}
        asset_ids: tuple[str, ...] = settings["asset_id"]
        for asset_id in asset_ids:
            if asset_id != ORG_ASSET and asset_id not in known:
                problems.append(_problem(
                    f"[{NAME}] asset_id", f"asset {asset_id!r} is not in the asset inventory; "
                    "its cases enter no risk", ProblemSeverity.WARNING))
        if not present or not context_dir.is_dir():
            return CapabilityResult(name=NAME, problems=tuple(problems),
                                    summary=(("EHR access review", "not run (see problems)"),))
        context.progress("reviewing EHR access logs")
        review = review_access(present, context_dir, engine=ENGINE,
                               pseudonymizer=KeyedPseudonymizer.for_org(org.root),
                               today=context.today, timezone=settings["timezone"])
        problems.extend(review.problems)
        findings = tuple(access_findings(review, asset_ids=asset_ids))
        data = access_data(review, findings, asset_ids)
        html = render_fragment("access.html.j2", data=data)
        return CapabilityResult(
            name=NAME,
            findings=findings,
            activities=frozenset({ACTIVITY_ACCESS_LOG_REVIEW}),
            problems=tuple(problems),
            summary=summary_lines(data),
            data=data,
            sections=(ReportSection(SECTION_ID, "EHR access review", html),),
        )


def _problem(place: str, message: str,
             severity: ProblemSeverity = ProblemSeverity.ERROR) -> InputProblem:
    return InputProblem(SETTINGS_FILE, place, message, severity, COLLECTOR)


def access_settings(table: Mapping[str, Any]) -> tuple[dict[str, Any], list[InputProblem]]:
    """The settings from the ``[access]`` table of ``caresec.toml``, defaults filled in.

    Args:
        table: the table (:meth:`OrgConfig.section`), keys as in the module docstring.

    Returns:
        ``({"logs": [str], "context": str, "timezone": str, "asset_id": (str, ...)},
        problems)``: a value of the wrong type is replaced by its default with an error naming
        ``caresec.toml`` and ``[access] key``; an unknown key gives a warning. An unknown time
        zone is an error and the review falls back to UTC.
    """
    problems: list[InputProblem] = []
    for key in sorted(set(table) - set(SETTINGS)):
        problems.append(_problem(f"[{NAME}] {key}", "unknown setting ignored (known: "
                                 f"{', '.join(SETTINGS)})", ProblemSeverity.WARNING))

    def strings(key: str, default: str, problem: Callable[[str], None]) -> list[str]:
        value = table.get(key, default)
        if isinstance(value, str) and value:
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return list(value)
        problem(key)
        return [default]

    def bad(key: str) -> None:
        problems.append(_problem(f"[{NAME}] {key}", "must be a non-empty string or list of "
                                 "strings; the default is used"))

    logs = strings("logs", DEFAULT_LOGS, bad)
    context = table.get("context", DEFAULT_CONTEXT)
    if not isinstance(context, str) or not context:
        problems.append(_problem(f"[{NAME}] context", "must be a folder path; "
                                 f"{DEFAULT_CONTEXT} is used"))
        context = DEFAULT_CONTEXT
    timezone = table.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(timezone, str) or not _zone_known(timezone):
        problems.append(_problem(f"[{NAME}] timezone", f"unknown IANA time zone {timezone!r}; "
                                 "local days and hours are judged in UTC"))
        timezone = DEFAULT_TIMEZONE
    asset_ids = tuple(dict.fromkeys(strings("asset_id", ORG_ASSET, bad)))
    return {"logs": logs, "context": context, "timezone": timezone,
            "asset_id": asset_ids}, problems


def _zone_known(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def access_data(review: AccessReview, findings: Sequence[Finding],
                asset_ids: Sequence[str]) -> dict[str, Any]:
    """The capability's ``report.json`` object (JSON values only; documented in
    docs/access-review.md "In the audit"). Patients appear only as keyed pseudonyms.

    Returns:
        ``{"engine", "timezone", "period": {"start", "end"}, "events", "patient_events",
        "explained_events", "explained_share", "explained_by": [{"template", "events",
        "share"}], "counts", "asset_ids", "cases_by_pattern", "problems", "cases": [...]}``;
        each case (rank order) has ``case_id``, ``finding_id``, ``pattern``, ``score``,
        ``severity``, ``likelihood``, ``likelihood_rationale``, ``user_id``, ``user_role``,
        ``user_department``, ``patient`` (keyed pseudonym or ""), ``patients``,
        ``first_event``, ``last_event`` (UTC, ISO 8601), ``event_ids``, ``also`` and
        ``evidence`` (the evidence chain, one sentence each).
    """
    by_id = {f.finding_id: f for f in findings}
    total = review.patient_events
    cases: list[dict[str, Any]] = []
    for case in review.cases:
        finding = by_id[f"ACCESS-{case.case_id}"]
        cases.append({
            "case_id": case.case_id,
            "finding_id": finding.finding_id,
            "pattern": case.pattern.value,
            "score": case.score,
            "severity": str(finding.severity),
            "likelihood": str(finding.likelihood.level) if finding.likelihood else None,
            "likelihood_rationale": finding.likelihood.rationale if finding.likelihood else None,
            "user_id": case.user_id,
            "user_role": case.user_role,
            "user_department": case.user_department,
            "patient": case.patient,
            "patients": case.patients,
            "first_event": case.first_event.isoformat(),
            "last_event": case.last_event.isoformat(),
            "event_ids": list(case.event_ids),
            "also": [a.value for a in case.also],
            "evidence": list(case.evidence),
        })
    return {
        "engine": review.engine,
        "timezone": review.timezone,
        "period": {"start": review.period_start.isoformat() if review.period_start else None,
                   "end": review.period_end.isoformat() if review.period_end else None},
        "events": review.events,
        "patient_events": total,
        "explained_events": review.explained_events,
        "explained_share": round(review.explained_share, 6),
        "explained_by": [{"template": t, "events": n,
                          "share": round(n / total, 6) if total else 0.0}
                         for t, n in review.explained_by],
        "counts": dict(review.counts),
        "asset_ids": list(asset_ids),
        "cases_by_pattern": dict(sorted(Counter(c["pattern"] for c in cases).items())),
        "problems": len(review.problems),
        "pseudonymized": review.pseudonymized,
        "cases": cases,
    }


def summary_lines(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Terminal and executive summary lines from :func:`access_data`: ``EHR access review``
    (``9,936 events, 92.4% of patient events explained``), then the cases by pattern."""
    lines = [("EHR access review", f"{data['events']:,} events, {data['explained_share']:.1%} "
              "of patient events explained")]
    by_pattern = data["cases_by_pattern"]
    shown = ", ".join(f"{p} {n}" for p, n in sorted(by_pattern.items(), key=lambda kv: -kv[1]))
    lines.append(("  access cases", f"{len(data['cases'])}" + (f" ({shown})" if shown else "")))
    return tuple(lines)
