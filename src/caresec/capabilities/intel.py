"""Threat intelligence in ``caresec audit`` (issue 7): the organization's logs matched against
indicators of compromise, hits fed to the risk register and the report (docs/intel.md).

The capability applies when ``caresec.toml`` has an ``[intel]`` table or the organization
folder has an ``intel/`` folder. It never touches the network: it reads

* the indicators of the organization's own STIX 2.1 bundle (``[intel] own_indicators``) and of
  the intel store ``ORG/.caresec/intel.sqlite`` when ``caresec intel pull`` has filled it
  (:func:`caresec.intel.sources.load_indicators`);
* the MISP warninglists (``warninglists_dir``, ``warninglists``): a folder that does not
  exist is a warning and nothing is suppressed;
* the log exports the column mapping (``mapping``) finds, or ``logs``
  (:func:`caresec.intel.matcher.match_logs`).

What it adds to the audit (:class:`~caresec.model.CapabilityResult`):

* **findings**: one ``intel-hit`` finding per sighted indicator
  (:func:`caresec.intel.findings.intel_findings`), with its NIST SP 800-30 likelihood
  (indicator confidence × what the log line shows happened, Table G-5) and the inventory assets
  of the hit lines (inventory id, name, IP or network, and ``[intel.hosts]`` rules), so it
  enters the register with the asset's impact; a finding on no inventory asset enters no risk
  and is reported as a warning naming the hosts and addresses to add;
* **problems**: configuration, store, indicator, warninglist and log problems (file paths
  relative to the organization folder where they are inside it);
* **activities**: ``intel-log-match`` when logs were matched;
* **summary**, **data** (:func:`intel_data`) and the HTML section ``intel``: the hits with
  indicator, feed, TLP marking, likelihood and why; hits outside the indicator's validity
  window; warninglist suppressions; patterns not evaluated. TLP:RED values are withheld; the
  strictest marking shown is stated at the top of the section.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from caresec.collect.org import CONFIG_FILE
from caresec.errors import ConfigError, StoreError
from caresec.extension import AuditContext, Capability
from caresec.intel.config import IntelConfig, intel_config
from caresec.intel.findings import (
    OUTSIDE_WINDOW,
    WITHHELD,
    Roles,
    intel_findings,
    log_roles,
    unlinked_names,
)
from caresec.intel.logs import LogSource, load_mapping
from caresec.intel.matcher import match_logs
from caresec.intel.sources import load_indicators, load_lists
from caresec.intel.stix_import import COLLECTOR
from caresec.intel.store import IntelStore, store_file
from caresec.model import (
    CapabilityResult,
    Finding,
    InputProblem,
    OrgConfig,
    ProblemSeverity,
    ReportSection,
)
from caresec.model.intel import (
    Indicator,
    IndicatorSet,
    IntelHit,
    IntelMatchResult,
    PatternIndicator,
    Tlp,
)
from caresec.report import render_fragment

__all__ = ["ACTIVITY", "NAME", "ORDER", "SECTION_ID", "IntelCapability", "capability",
           "intel_data"]

#: Run order among the built-in capabilities (:func:`caresec.extension.builtin_capabilities`).
ORDER = 50
NAME = "intel"
SECTION_ID = "intel"
TEMPLATE = "intel.html.j2"
#: The evidence activity this capability performs when logs were matched.
ACTIVITY = "intel-log-match"
#: Most suppressions and not-evaluated patterns listed in data and section (counts complete).
LISTED = 200


def capability() -> Capability:
    """The built-in threat-intelligence capability (:class:`IntelCapability`)."""
    return IntelCapability()


@dataclass(slots=True)
class IntelCapability:
    """Threat-intelligence log matching as an audit capability (see the module docstring).

    Attributes:
        name: ``intel``.
    """

    name: str = NAME

    def applies(self, org: OrgConfig) -> bool:
        """True when ``caresec.toml`` has ``[intel]`` or ``ORG/intel/`` is a folder."""
        return NAME in dict(org.sections) or (org.root / "intel").is_dir()

    def run(self, context: AuditContext) -> CapabilityResult:
        """Load indicators and warninglists, match the logs, make findings (module docstring).

        Input problems are returned in the result; an invalid ``[intel]`` table is one error
        problem (nothing else is done).
        """
        return _run(context)


# --- the run ----------------------------------------------------------------------------------


def _run(context: AuditContext) -> CapabilityResult:
    org = context.org
    shown = _Shown(org.root)
    if NAME not in dict(org.sections):
        return CapabilityResult(name=NAME, problems=(InputProblem(
            CONFIG_FILE, "[intel]", "the folder has intel/ but caresec.toml has no [intel] "
            "table; no log was matched (docs/intel.md)", ProblemSeverity.WARNING, COLLECTOR),))
    try:
        config = intel_config(org)
    except ConfigError as exc:
        return CapabilityResult(name=NAME, problems=(InputProblem(
            CONFIG_FILE, "[intel]", str(exc), ProblemSeverity.ERROR, COLLECTOR),))

    problems: list[InputProblem] = []
    context.progress("Loading threat-intelligence indicators")
    indicators, store_used, store_problems = _indicators(config)
    problems.extend(store_problems)
    lists, list_problems = load_lists(config)
    problems.extend(list_problems)
    mapping, mapping_problems = _mapping(config)
    problems.extend(mapping_problems)

    if mapping:
        context.progress(f"Matching logs against {len(indicators.indicators)} indicator values "
                         f"and {len(indicators.patterns)} patterns")
        result = match_logs(indicators, list(config.logs), mapping, lists)
    else:
        result = IntelMatchResult(indicators=len(indicators.indicators),
                                  problems=indicators.problems)
    problems.extend(result.problems)

    roles = log_roles(mapping)
    known = {a.asset_id for a in context.assets}
    problems.extend(
        InputProblem(CONFIG_FILE, f"[intel.hosts] {pattern}", f"asset id {asset_id!r} is not "
                     f"in the inventory; the rule is ignored", ProblemSeverity.WARNING,
                     COLLECTOR)
        for pattern, asset_id in config.hosts if asset_id not in known)
    findings = intel_findings(result, context.assets, roles=roles, hosts=config.hosts)
    unlinked = {f.finding_id: unlinked_names(f, result, roles) for f in findings
                if not f.asset_ids}
    problems.extend(_unlinked_problems(findings, unlinked, result, shown))

    data = intel_data(result, findings, config=config, roles=roles, unlinked=unlinked,
                      store_used=store_used, lists_loaded=len(lists.lists), shown=shown,
                      mapping_read=bool(mapping), feeds=_feeds(indicators))
    html = render_fragment(TEMPLATE, data=data)
    return CapabilityResult(
        name=NAME,
        findings=tuple(findings),
        activities=frozenset({ACTIVITY}) if mapping and result.files else frozenset(),
        problems=tuple(shown.problem(p) for p in problems),
        summary=summary_lines(data),
        data=data,
        sections=(ReportSection(SECTION_ID, "Threat intelligence", html),),
    )


@dataclass(frozen=True, slots=True)
class _Shown:
    """Paths as shown in the report: relative to the organization folder when inside it."""

    root: Path

    def path(self, text: str) -> str:
        if not text or not Path(text).is_absolute():
            return text
        normal = Path(os.path.normpath(text))
        try:
            return normal.relative_to(self.root).as_posix()
        except ValueError:
            return str(normal)

    def problem(self, problem: InputProblem) -> InputProblem:
        return replace(problem, file=self.path(problem.file))


def _indicators(config: IntelConfig) -> tuple[IndicatorSet, bool, list[InputProblem]]:
    """The own bundle's indicators and, when pulled, the store's (never the network)."""
    path = store_file(config.root)
    if not path.is_file():
        return load_indicators(config, None), False, []
    try:
        with IntelStore.open(path) as store:
            return load_indicators(config, store), True, []
    except StoreError as exc:
        problem = InputProblem(str(path), "", f"{exc}; only the organization's own indicators "
                               f"are matched", ProblemSeverity.ERROR, COLLECTOR)
        return load_indicators(config, None), False, [problem]


def _mapping(config: IntelConfig) -> tuple[tuple[LogSource, ...], list[InputProblem]]:
    if config.mapping is None:
        return (), [InputProblem(CONFIG_FILE, "[intel] mapping", "no log column mapping is "
                                 "configured; no log was matched (docs/intel.md)",
                                 ProblemSeverity.WARNING, COLLECTOR)]
    try:
        return load_mapping(config.mapping), []
    except ConfigError as exc:
        return (), [InputProblem(str(config.mapping), "", f"{exc}; no log was matched",
                                 ProblemSeverity.ERROR, COLLECTOR)]


def _unlinked_problems(findings: Sequence[Finding], unlinked: Mapping[str, tuple[str, ...]],
                       result: IntelMatchResult, shown: _Shown) -> list[InputProblem]:
    first: dict[str, IntelHit] = {}
    for line in result.hits:
        first.setdefault(line.indicator.indicator_id, line)
    problems: list[InputProblem] = []
    for finding in findings:
        if finding.finding_id not in unlinked:
            continue
        hit: IntelHit | None = first.get(dict(finding.details).get("indicator_id", ""))
        names = ", ".join(unlinked[finding.finding_id]) or "none in the hit lines"
        problems.append(InputProblem(
            shown.path(hit.file) if hit else "", hit.place if hit else "",
            f"{finding.finding_id}: the hit lines name no inventory asset (hosts and addresses:"
            f" {names}); the hit enters no risk: add them to the inventory or map them in "
            f"[intel.hosts]", ProblemSeverity.WARNING, COLLECTOR))
    return problems


# --- data, summary ----------------------------------------------------------------------------


def _line(hit: IntelHit, roles: Roles, shown: _Shown) -> dict[str, Any]:
    red = hit.indicator.tlp is Tlp.RED
    return {
        "file": shown.path(hit.file),
        "place": hit.place,
        "log_source": hit.log_source,
        "column": hit.column,
        "role": roles.get((hit.log_source, hit.column), ""),
        "observed": WITHHELD if red else hit.observed,
        "seen_at": hit.seen_at.isoformat() if hit.seen_at else None,
        "validity": hit.validity,
        "context": [{"column": c, "role": roles.get((hit.log_source, c), ""), "value": v}
                    for c, v in hit.context if c != hit.column],
        "why": "" if red else hit.why,
    }


def _feeds(indicators: IndicatorSet) -> dict[str, int]:
    """Distinct indicators (STIX ids) per feed."""
    ids = {(i.source, i.indicator_id) for i in indicators.indicators}
    ids.update((p.source, p.indicator_id) for p in indicators.patterns)
    return dict(Counter(source for source, _ in ids))


def _indicator_fields(indicator: Indicator | PatternIndicator) -> dict[str, Any]:
    red = indicator.tlp is Tlp.RED
    if isinstance(indicator, Indicator):
        kind, value = indicator.kind.value, indicator.value
    else:
        kind, value = "pattern", indicator.pattern
    return {
        "indicator_id": indicator.indicator_id,
        "kind": kind,
        "value": WITHHELD if red else value,
        "name": "" if red else indicator.name,
        "feed": indicator.source,
        "tlp": indicator.tlp.label,
        "confidence": indicator.confidence,
        "indicator_types": list(indicator.indicator_types),
        "valid_from": indicator.valid_from.isoformat() if indicator.valid_from else None,
        "valid_until": indicator.valid_until.isoformat() if indicator.valid_until else None,
    }


def intel_data(result: IntelMatchResult, findings: Sequence[Finding], *, config: IntelConfig,
               roles: Roles, unlinked: Mapping[str, tuple[str, ...]], store_used: bool,
               lists_loaded: int, shown: _Shown, mapping_read: bool,
               feeds: Mapping[str, int]) -> dict[str, Any]:
    """The capability's object in ``report.json`` (JSON-compatible; TLP:RED values withheld).

    Keys: ``counts``; ``sources`` (indicators loaded per feed, ``own`` = the organization's
    bundle); ``strictest_tlp`` (the most
    restrictive marking among the hits shown, or None); ``hits`` (one per finding: indicator,
    feed, TLP, confidence, count, first/last seen, severity, likelihood and its rationale,
    threat events, asset ids, ``in_register``, ``unlinked`` hosts and addresses, and the
    ``lines`` kept in detail with file, place, column, role, value, time, validity, the other
    columns of the line and why it matched); ``outside_window`` (hit lines dated outside the
    indicator's validity, not counted); ``suppressed`` (hits on warninglisted indicators, per
    indicator and list); ``suppressions`` and ``not_evaluated`` (at most :data:`LISTED` each,
    counts complete); ``config`` (what was read).
    """
    hits_by: dict[str, list[IntelHit]] = {}
    outside: list[IntelHit] = []
    for hit in result.hits:
        if hit.validity == OUTSIDE_WINDOW:
            outside.append(hit)
        else:
            hits_by.setdefault(hit.indicator.indicator_id, []).append(hit)
    sightings = {s.indicator_id: s for s in result.sightings}
    rows: list[dict[str, Any]] = []
    for finding in findings:
        indicator_id = dict(finding.details).get("indicator_id", "")
        lines = hits_by.get(indicator_id, [])
        sighting = sightings[indicator_id]
        row: dict[str, Any] = (_indicator_fields(lines[0].indicator) if lines else
                               {"indicator_id": indicator_id, "kind": "", "value": "",
                                "name": "", "feed": sighting.source, "tlp": sighting.tlp.label,
                                "confidence": None, "indicator_types": [],
                                "valid_from": None, "valid_until": None})
        likelihood = finding.likelihood
        row.update({
            "finding_id": finding.finding_id,
            "title": finding.title,
            "severity": finding.severity.value,
            "count": sighting.count,
            "first_seen": sighting.first_seen.isoformat() if sighting.first_seen else None,
            "last_seen": sighting.last_seen.isoformat() if sighting.last_seen else None,
            "likelihood": likelihood.level.value if likelihood else None,
            "likelihood_score": likelihood.score if likelihood else None,
            "likelihood_rationale": likelihood.rationale if likelihood else "",
            "threat_event_ids": list(finding.threat_event_ids),
            "control_ids": list(finding.control_ids),
            "asset_ids": list(finding.asset_ids),
            "in_register": bool(finding.asset_ids),
            "unlinked": list(unlinked.get(finding.finding_id, ())),
            "lines": [_line(h, roles, shown) for h in lines],
        })
        rows.append(row)
    tlps = [Tlp(r["tlp"].removeprefix("TLP:").lower()) for r in rows]
    return {
        "config": {
            "mapping": shown.path(str(config.mapping)) if config.mapping else None,
            "mapping_read": mapping_read,
            "logs": [shown.path(str(p)) for p in config.logs],
            "warninglists_dir": (shown.path(str(config.warninglists_dir))
                                 if config.warninglists_dir else None),
            "warninglists": list(config.warninglists) if config.warninglists is not None
            else None,
            "warninglists_loaded": lists_loaded,
            "own_indicators": (shown.path(str(config.own_indicators))
                               if config.own_indicators else None),
            "store_used": store_used,
        },
        "counts": {
            "indicator_values": result.indicators,
            "files": len(result.files),
            "lines": result.lines,
            "indicators_hit": len(result.sightings),
            "hit_lines": sum(s.count for s in result.sightings),
            "in_register": sum(1 for r in rows if r["in_register"]),
            "not_in_register": sum(1 for r in rows if not r["in_register"]),
            "outside_window": len(outside),
            "suppressed_indicators": len(result.suppressed),
            "suppressed_lines": sum(s.count for s in result.suppressed),
            "warninglisted_indicators": len(result.suppressions),
            "not_evaluated": len(result.not_evaluated),
            "pattern_evaluations": result.patterns_evaluated,
        },
        "sources": dict(sorted(feeds.items())),
        "strictest_tlp": Tlp.strictest(tlps).label if tlps else None,
        "hits": rows,
        "outside_window": [{**_indicator_fields(h.indicator), **_line(h, roles, shown)}
                           for h in outside],
        "suppressed": [{"indicator_id": s.indicator_id, "kind": s.kind.value, "value": s.value,
                        "feed": s.source, "warninglist": s.warninglist, "count": s.count,
                        "first_file": shown.path(s.first_file), "first_place": s.first_place}
                       for s in result.suppressed],
        "suppressions": [{"indicator_id": s.indicator_id, "kind": s.kind.value,
                          "value": s.value, "warninglist": s.warninglist, "entry": s.entry}
                         for s in result.suppressions[:LISTED]],
        "not_evaluated": [{"indicator_id": p.indicator_id, "feed": p.source,
                           "tlp": p.tlp.label, "reason": p.reason}
                          for p in result.not_evaluated[:LISTED]],
        "seconds": round(result.seconds, 3),
    }


def summary_lines(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Terminal and executive summary lines from :func:`intel_data`'s object."""
    c = data["counts"]
    lines = [("Threat intelligence",
              f"{_count(c['indicators_hit'], 'indicator')} hit in {c['hit_lines']} of "
              f"{_count(c['lines'], 'log line')} ({_count(c['files'], 'file')})")]
    if c["not_in_register"]:
        lines.append(("  hits on no inventory asset", str(c["not_in_register"])))
    if c["suppressed_indicators"]:
        lines.append(("  suppressed by warninglists",
                      f"{_count(c['suppressed_indicators'], 'indicator')} "
                      f"({_count(c['suppressed_lines'], 'line')})"))
    if c["not_evaluated"]:
        lines.append(("  patterns not evaluated", str(c["not_evaluated"])))
    if data["strictest_tlp"]:
        lines.append(("  strictest TLP in the report", str(data["strictest_tlp"])))
    return tuple(lines)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
