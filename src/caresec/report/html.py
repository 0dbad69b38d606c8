"""The HTML report: one self-contained page (inline CSS and SVG, no script, no external
resource), rendered with Jinja2 templates shipped in ``caresec/report/templates`` with
autoescaping on."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError
from markupsafe import Markup

from caresec import __version__
from caresec.catalogs.nist800_30 import load_nist_800_30
from caresec.errors import ReportError
from caresec.model.asset import Asset
from caresec.model.component import Component
from caresec.model.control import ControlState
from caresec.model.finding import Evidence, Finding, Severity
from caresec.model.org import AuditResult
from caresec.model.plan import ChangeKind, RegisterEntry, RegisterKind
from caresec.model.risk import Level, Risk
from caresec.report.counts import LEVEL_ORDER, SEVERITY_ORDER, count
from caresec.report.views import (
    STATE_ORDER,
    cpg_by_tier,
    hicp_coverage,
    register_counts,
    safeguard_coverage,
    state_counts,
)
from caresec.risk.gaps import ORG_ASSET_ID
from caresec.risk.impact import assess_impact

#: Fill and text colour of each level (heat map cells, badges); text colours keep contrast.
LEVEL_COLOURS: dict[Level, tuple[str, str]] = {
    Level.VERY_LOW: ("#2e7d32", "#ffffff"),
    Level.LOW: ("#9ccc65", "#1b1b1b"),
    Level.MODERATE: ("#ffd54f", "#1b1b1b"),
    Level.HIGH: ("#f57c00", "#1b1b1b"),
    Level.VERY_HIGH: ("#b71c1c", "#ffffff"),
}

SEVERITY_COLOURS: dict[Severity, str] = {
    Severity.CRITICAL: "#8e0000",
    Severity.HIGH: "#d84315",
    Severity.MEDIUM: "#f9a825",
    Severity.LOW: "#1565c0",
    Severity.NONE: "#757575",
    Severity.UNKNOWN: "#9e9e9e",
}

TOP_RISKS_IN_WORDS = 3

#: Rows of a long table (register, plan, an asset's risks and vulnerabilities) shown before
#: the rest is folded into a ``<details>`` element; every row stays in report.json.
VISIBLE_ROWS = 20
#: Rows of an asset's risk and vulnerability tables shown before the rest is folded.
VISIBLE_ASSET_ROWS = 5

T = TypeVar("T")

# Heat map geometry (SVG user units).
_HM_LEFT, _HM_TOP, _HM_CELL_W, _HM_CELL_H = 150, 16, 96, 60
# Severity chart geometry.
_BAR_LEFT, _BAR_MAX, _BAR_ROW = 110, 430, 30


def _sentence_case(title: str) -> str:
    """``Malicious or tampered AI model`` → ``malicious or tampered AI model``: lower-case the
    first word only, unless it is an acronym (``DICOM``, ``AI``)."""
    first, _, rest = title.partition(" ")
    if first.isupper():
        return title
    return f"{first.lower()} {rest}" if rest else first.lower()


def slug(text: str) -> str:
    """A CSS-class/HTML-id safe form of ``text`` (``very high`` → ``very-high``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower() or "x"


_BREAK_AFTER = re.compile(r"(?<=[-./_:@,])")
_WBR = Markup("<wbr>")


def breakable(text: object) -> Markup:
    """``text`` escaped, with a ``<wbr>`` line-break opportunity after each ``- . / _ : @ ,``.

    Identifiers such as ``RISK-EHR-APP-01-TE-AI-SUPPLY-CHAIN-…`` then wrap at their parts
    instead of character by character (a browser does not break ``APP-01`` at the hyphen:
    Unicode UAX #14 rule LB25 keeps a hyphen before a digit).
    """
    return _WBR.join(_BREAK_AFTER.split(str(text)))


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("caresec.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["slug"] = slug
    env.filters["breakable"] = breakable
    return env


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One heat-map cell: likelihood row × impact column, its Table I-2 level and risk count."""

    likelihood: Level
    impact: Level
    level: Level
    count: int
    x: int
    y: int
    fill: str
    ink: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of the severity chart."""

    severity: Severity
    count: int
    y: int
    width: int
    colour: str


def _heat_map(risks: Iterable[Risk]) -> tuple[HeatCell, ...]:
    table = load_nist_800_30().level_of_risk
    counts: dict[tuple[Level, Level], int] = {}
    for r in risks:
        key = (r.likelihood.level, r.impact.level)
        counts[key] = counts.get(key, 0) + 1
    cells = []
    for row, likelihood in enumerate(LEVEL_ORDER):
        for col, impact in enumerate(Level):
            level = table.lookup(likelihood, impact)
            fill, ink = LEVEL_COLOURS[level]
            cells.append(
                HeatCell(
                    likelihood=likelihood,
                    impact=impact,
                    level=level,
                    count=counts.get((likelihood, impact), 0),
                    x=_HM_LEFT + col * _HM_CELL_W,
                    y=_HM_TOP + row * _HM_CELL_H,
                    fill=fill,
                    ink=ink,
                )
            )
    return tuple(cells)


def _bars(by_severity: Iterable[tuple[Severity, int]]) -> tuple[Bar, ...]:
    pairs = list(by_severity)
    top = max((n for _, n in pairs), default=0)
    return tuple(
        Bar(
            severity=s,
            count=n,
            y=i * _BAR_ROW,
            width=round(_BAR_MAX * n / top) if top else 0,
            colour=SEVERITY_COLOURS[s],
        )
        for i, (s, n) in enumerate(pairs)
    )


def _risk_in_words(risk: Risk, assets: dict[str, Asset], findings: dict[str, Finding]) -> str:
    asset = assets.get(risk.asset_id)
    if asset is not None:
        name = f"{asset.name} ({risk.asset_id})"
    elif risk.asset_id == ORG_ASSET_ID:
        name = "the organization as a whole"
    else:
        name = risk.asset_id
    driver = findings.get(risk.finding_ids[0]) if risk.finding_ids else None
    because = f" Driven by {driver.title}." if driver else ""
    return (
        f"{str(risk.level).capitalize()} risk of “{_sentence_case(risk.threat_event)}” on {name}: "
        f"likelihood {risk.likelihood.level}, impact {risk.impact.level}.{because}"
    )


def _by_asset(items: Iterable[T], asset_ids: Callable[[T], Iterable[str]]) -> dict[str, list[T]]:
    index: dict[str, list[T]] = defaultdict(list)
    for item in items:
        for asset_id in asset_ids(item):
            index[asset_id].append(item)
    return index


def _components_by_asset(result: AuditResult) -> dict[str, list[Component]]:
    index: dict[str, dict[str, Component]] = defaultdict(dict)
    for sbom in result.facts.sboms:
        for c in sbom.components:
            for asset_id in c.asset_ids or sbom.asset_ids:
                index[asset_id][c.key] = c
    return {
        asset_id: sorted(found.values(), key=lambda c: (c.name.lower(), c.version, c.key))
        for asset_id, found in index.items()
    }


def _asset_views(result: AuditResult) -> list[dict[str, Any]]:
    matches = _by_asset(result.matches, lambda m: m.component.asset_ids)
    unknown = _by_asset(result.not_assessed, lambda n: n.component.asset_ids)
    risks = _by_asset(result.risks, lambda r: (r.asset_id,))
    findings = _by_asset(
        (f for f in result.findings if f.kind != "vulnerability"), lambda f: f.asset_ids
    )
    components = _components_by_asset(result)
    views = []
    used: set[str] = set()
    for asset in result.facts.assets:
        key = asset.asset_id
        anchor = f"asset-{slug(key)}"
        while anchor in used:
            anchor += "-x"
        used.add(anchor)
        views.append(
            {
                "asset": asset,
                "anchor": anchor,
                "impact": assess_impact(asset),
                "risks": risks.get(key, []),
                "findings": findings.get(key, []),
                "matches": sorted(
                    matches.get(key, []),
                    key=lambda m: (
                        m.severity.rank,
                        -(m.cvss_score or 0.0),
                        m.vulnerability_id,
                        m.component.key,
                    ),
                ),
                "components": components.get(key, []),
                "not_assessed": len({n.component.key for n in unknown.get(key, [])}),
            }
        )
    return views


def treatment_class(entry: RegisterEntry) -> str:
    """CSS class of an entry's treatment badge (``tr-accepted``, ``tr-expired`` …)."""
    if entry.response is not None and entry.response.expired:
        return "tr-expired"
    return f"tr-{slug(entry.treatment)}"


def _ocr_register_lines(result: AuditResult) -> dict[str, list[str]]:
    """What the register, plan and run history add to the OCR elements, by element id."""
    reg = result.register
    if not reg and result.controls is None:
        return {}
    counts = register_counts(result)
    events = len({e.risk.threat_event_id for e in reg})
    by_residual = ", ".join(
        f"{n} {lv}" for lv, n in ((lv, sum(1 for e in reg if e.risk.level is lv))
                                  for lv in LEVEL_ORDER) if n
    )
    lines: dict[str, list[str]] = defaultdict(list)
    lines["OCR-RA-3"].append(
        f"Register: {len(reg)} threat–vulnerability pairs over {events} threat events "
        f"({counts.technical} technical findings, {counts.control_gap} control gaps)."
    )
    lines["OCR-RA-5"].append(
        f"Inherent and residual likelihood (Table G-5) on each of {len(reg)} register entries; "
        "residual credits each threat event's counter-controls by their status."
    )
    lines["OCR-RA-6"].append(
        "Impact (Table H-3 scale) from each asset's clinical criticality and ePHI; "
        "organization-wide for control gaps (highest ePHI asset)."
    )
    lines["OCR-RA-7"].append(
        f"Level of risk (Table I-2) with SRA Tool level and 5×5 score; residual: "
        f"{by_residual or 'no risks'}. Corrective actions: {len(result.plan)} plan items."
    )
    comparison = result.comparison
    if comparison is None:
        lines["OCR-RA-9"].append("This is the first recorded caresec run of the organization.")
    else:
        lines["OCR-RA-9"].append(
            f"Compared with run {comparison.previous_run_id} of "
            f"{comparison.previous_started_at[:10]}: {len(comparison.of(ChangeKind.NEW))} new, "
            f"{len(comparison.of(ChangeKind.RESOLVED))} resolved, "
            f"{len(comparison.of(ChangeKind.UP)) + len(comparison.of(ChangeKind.DOWN))} changed "
            "risks."
        )
    return dict(lines)


def _ocr_evidence(result: AuditResult) -> dict[str, list[Evidence]]:
    """Each OCR element's evidence records that say more than its summary, by element id.

    An element whose only evidence restates its summary (the audit's own counts) maps to an
    empty list; the template then names the evidence's source instead of repeating the text.
    """
    controls = result.controls
    if controls is None:
        return {}
    return {
        o.element_id: [e for e in o.evidence if e.description.strip() != o.summary.strip()]
        for o in controls.ocr_elements
    }


def _control_views(result: AuditResult) -> dict[str, Any]:
    controls = result.controls
    statuses = controls.statuses if controls is not None else ()
    essential = cpg_by_tier(result, "essential")
    enhanced = cpg_by_tier(result, "enhanced")
    nprm = controls.nprm_readiness if controls is not None else ()
    return {
        "controls": controls,
        "states": STATE_ORDER,
        "coverage": safeguard_coverage(result),
        "coverage_total": state_counts(s.state for s in statuses),
        "cpg_tiers": (
            ("Essential goals", essential, state_counts(c.state for c in essential)),
            ("Enhanced goals", enhanced, state_counts(c.state for c in enhanced)),
        ),
        "hicp": hicp_coverage(result),
        "nprm_fail": [n for n in nprm if str(n.verdict) == "would fail"],
        "nprm_other": [n for n in nprm if str(n.verdict) != "would fail"],
        "ocr_lines": _ocr_register_lines(result),
        "ocr_evidence": _ocr_evidence(result),
        "gap_states": (ControlState.NOT_MET, ControlState.PARTLY_MET),
    }


def _plan_views(result: AuditResult) -> dict[str, Any]:
    comparison = result.comparison
    return {
        "register_counts": register_counts(result),
        "control_gap_kind": RegisterKind.CONTROL_GAP,
        "treatment_class": treatment_class,
        "nprm_exceeded": [i for i in result.plan if i.nprm and i.nprm.exceeded_by_sla],
        "changes": {
            kind: comparison.of(kind) for kind in ChangeKind
        } if comparison is not None else {},
        "change_kinds": tuple(ChangeKind),
    }


def _context(result: AuditResult) -> dict[str, Any]:
    counts = count(result)
    assets = {a.asset_id: a for a in result.facts.assets}
    findings = {f.finding_id: f for f in result.findings}
    unlinked = sorted(
        (m for m in result.matches if not m.component.asset_ids),
        key=lambda m: (m.severity.rank, m.vulnerability_id, m.component.key),
    )
    catalog = load_nist_800_30()
    return {
        "result": result,
        "org": result.org,
        "started": f"{result.started_at:%Y-%m-%d %H:%M} UTC",
        "version": __version__,
        "counts": counts,
        "top_words": [
            _risk_in_words(r, assets, findings) for r in result.risks[:TOP_RISKS_IN_WORDS]
        ],
        "assets_by_id": assets,
        "heat_cells": _heat_map(result.risks),
        "heat": {
            "left": _HM_LEFT,
            "top": _HM_TOP,
            "w": _HM_CELL_W,
            "h": _HM_CELL_H,
            "width": _HM_LEFT + 5 * _HM_CELL_W + 10,
            "height": _HM_TOP + 5 * _HM_CELL_H + 56,
        },
        "levels_desc": LEVEL_ORDER,
        "levels_asc": tuple(Level),
        "level_colours": LEVEL_COLOURS,
        "scale": sorted(catalog.scale, key=lambda b: -b.low),
        "bars": _bars(counts.by_severity),
        "bar": {
            "left": _BAR_LEFT,
            "max": _BAR_MAX,
            "row": _BAR_ROW,
            "height": _BAR_ROW * len(SEVERITY_ORDER) + 8,
        },
        "severity_colours": SEVERITY_COLOURS,
        "asset_views": _asset_views(result),
        "unlinked": unlinked,
        "audit_date": (result.judged_on or result.started_at.date()).isoformat(),
        "visible_rows": VISIBLE_ROWS,
        "visible_asset_rows": VISIBLE_ASSET_ROWS,
        **_control_views(result),
        **_plan_views(result),
    }


def render_fragment(template: str, **context: Any) -> str:
    """Render a capability's report section body from ``report/templates/capabilities/``.

    Uses the report's own Jinja2 environment (autoescape on, strict undefined, the macros
    ``level_badge``, ``severity_badge``, ``badge`` and ``empty`` importable from
    ``macros.html.j2``), so a capability's section looks like the rest of the report and
    escapes what it shows.

    Args:
        template: file name under ``capabilities/`` (``devices.html.j2``).
        context: template variables.

    Raises:
        ReportError: the template is missing or fails to render.
    """
    try:
        return _environment().get_template(f"capabilities/{template}").render(**context)
    except TemplateError as exc:
        raise ReportError(f"report section template {template} failed: {exc}") from exc


def render_html(result: AuditResult) -> str:
    """Render ``result`` as a self-contained HTML page.

    Sections (each an element with that id): ``summary`` (organization, date, counts, top three
    risks in words), ``heatmap`` (5×5 likelihood × impact SVG of the residual risks, cells
    coloured by NIST SP 800-30 Rev. 1 Table I-2), ``ocr-elements`` (the nine elements of HHS
    OCR's risk-analysis guidance with the evidence behind each), ``controls`` (HIPAA Security
    Rule coverage by safeguard), ``contradictions``, ``cpg`` (HPH CPG scorecard), ``hicp``
    (HICP 2023 practices for the size tier), ``nprm`` (NPRM readiness: what would fail),
    ``register`` (inherent and residual ratings, SRA level, 5×5 score, response), ``plan``
    (the remediation plan), ``changes`` (since the previous run), ``assets`` (per-asset
    detail), ``severity`` (SVG bar chart), ``not-assessed``, ``problems``, ``feeds`` and
    ``method``. Empty sections say so. No script, no external stylesheet, font or image; print
    styles included.

    Raises:
        ReportError: a template is missing or fails to render (a packaging bug).
    """
    try:
        return _environment().get_template("report.html.j2").render(**_context(result))
    except TemplateError as exc:
        raise ReportError(f"HTML report template failed: {exc}") from exc
