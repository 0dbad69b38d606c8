"""Leaf predicates of the evidence rules: small checks on the :class:`EvidenceContext`.

Each predicate kind has a pydantic parameter model (unknown parameters are rejected when
``evidence-rules.yaml`` is loaded), a function returning a :class:`Verdict`, and the names of the
facts it offers to message templates. Verdicts are three-valued: ``True``, ``False`` or ``None``
when the evidence needed to decide was not collected. Every verdict cites its evidence.

Kinds (parameters in brackets):

* ``inventory_present`` [min_assets]: the inventory lists at least that many assets.
* ``inventory_current`` [max_months]: the newest inventory file changed within that many
  calendar months (``None`` when no file dates were given).
* ``ephi_assets_identified`` [min_assets]: at least that many assets are marked as holding ePHI.
* ``inventory_fields_missing`` [fields, kinds, ephi_only]: some asset in scope lacks a field.
* ``kev_open`` [ephi_only, internet_facing_only, severities, open_more_than_days,
  fix_available_only]: some open KEV vulnerability finding matches the filters.
* ``end_of_support`` [ephi_only, kinds]: some asset is past its end of support (open
  ``lifecycle`` finding).
* ``not_assessed``: some components could not be assessed (``not-assessed`` findings).
* ``sbom_coverage_below`` [min_share, ephi_only, kinds]: the share of in-scope assets with an
  SBOM that was read is below ``min_share``.
* ``sboms_analyzed`` [min_sboms]: at least that many SBOMs were read and matched.
* ``activity_ran`` [activity]: a named collection activity ran (``access-log-review``,
  ``encryption-check``, ``backup-check``: not yet caresec capabilities).
* ``audit_ran``: always holds; cites this audit's own scope (it is an evaluation in itself).
* ``previous_run``: an earlier caresec run exists for the organization.
* ``vendors_with_ephi``: the inventory lists vendors (business associates) holding ePHI.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from caresec.analyze.controls.context import (
    KIND_LIFECYCLE,
    KIND_NOT_ASSESSED,
    EvidenceContext,
    KevExposure,
)
from caresec.model.asset import Asset, AssetKind
from caresec.model.finding import Evidence, Finding, Severity

SHOWN_ITEMS = 5
"""How many items a fact list names before "and N more"."""

AssetField = Literal[
    "vendor", "model", "version", "department", "location", "owner", "ip", "network_zone",
    "end_of_support",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one predicate concluded.

    Attributes:
        holds: ``True``, ``False``, or ``None`` when the evidence was not collected.
        summary: a sentence naming what was observed, with figures.
        evidence: evidence records behind it.
        finding_ids: findings behind it.
        facts: values for message templates (all strings, already formatted).
    """

    holds: bool | None
    summary: str
    evidence: tuple[Evidence, ...] = ()
    finding_ids: tuple[str, ...] = ()
    facts: Mapping[str, str] = field(default_factory=dict)


class Params(BaseModel):
    """Base of every parameter model: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def count(n: int) -> str:
    """``1815`` → ``1,815``."""
    return f"{n:,}"


def listing(items: Sequence[str], limit: int = SHOWN_ITEMS) -> str:
    """``a, b, c and 4 more`` (``none`` when empty)."""
    if not items:
        return "none"
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def _source_file(asset: Asset) -> str:
    return asset.source.rsplit(":", 1)[0] if ":" in asset.source else asset.source


def _inventory_files(ctx: EvidenceContext) -> list[str]:
    files = dict.fromkeys(_source_file(a) for a in ctx.assets if a.source)
    files.update(dict.fromkeys(ctx.inventory_dates))
    return sorted(files)


def _in_scope(
    assets: Sequence[Asset], kinds: Sequence[AssetKind] | None, ephi_only: bool
) -> list[Asset]:
    return [
        a for a in assets
        if (kinds is None or a.kind in kinds) and (a.holds_ephi or not ephi_only)
    ]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    years, month0 = divmod(day.month - 1 - months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- inventory


class MinAssets(Params):
    """``min_assets``: the least number of assets that satisfies the check (default 1)."""

    min_assets: int = Field(default=1, ge=1)


def inventory_present(ctx: EvidenceContext, p: MinAssets) -> Verdict:
    """The inventory lists at least ``min_assets`` assets."""
    files = _inventory_files(ctx)
    facts = {
        "assets": count(len(ctx.assets)),
        "ephi_assets": count(len(ctx.ephi_assets)),
        "files": listing(files),
    }
    if not ctx.assets:
        summary = "no asset inventory was read"
        return Verdict(
            False, summary, (Evidence("inventory", "inventory", summary),), facts=facts
        )
    summary = (
        f"the inventory lists {facts['assets']} assets ({facts['ephi_assets']} holding ePHI) "
        f"in {facts['files']}"
    )
    return Verdict(
        len(ctx.assets) >= p.min_assets,
        summary,
        (Evidence("inventory", facts["files"], summary),),
        facts=facts,
    )


class MaxMonths(Params):
    """``max_months``: the longest accepted age in calendar months."""

    max_months: int = Field(ge=1)


def inventory_current(ctx: EvidenceContext, p: MaxMonths) -> Verdict:
    """The newest inventory file was modified within ``max_months`` calendar months."""
    facts = {"max_months": str(p.max_months), "newest_date": "unknown", "newest_file": "none",
             "age_days": "unknown"}
    if not ctx.inventory_dates:
        summary = "the inventory files' dates were not collected; currency cannot be judged"
        return Verdict(None, summary, (Evidence("inventory", "inventory", summary),), facts=facts)
    newest_file, newest = max(ctx.inventory_dates.items(), key=lambda kv: (kv[1], kv[0]))
    age = (ctx.today - newest).days
    facts |= {"newest_date": newest.isoformat(), "newest_file": newest_file,
              "age_days": count(age)}
    holds = newest >= months_before(ctx.today, p.max_months)
    summary = (
        f"the newest inventory file {newest_file} was last changed on {newest.isoformat()} "
        f"({count(age)} days before the audit; limit {p.max_months} months)"
    )
    return Verdict(holds, summary, (Evidence("inventory", newest_file, summary),), facts=facts)


def ephi_assets_identified(ctx: EvidenceContext, p: MinAssets) -> Verdict:
    """At least ``min_assets`` assets are marked as holding ePHI (45 CFR 164.306(a))."""
    n = len(ctx.ephi_assets)
    facts = {"ephi_assets": count(n)}
    summary = f"{count(n)} inventory assets are marked as holding ePHI"
    return Verdict(
        n >= p.min_assets, summary,
        (Evidence("inventory", listing(_inventory_files(ctx)), summary),), facts=facts,
    )


class FieldsParams(Params):
    """``fields``: asset fields that must be filled; ``kinds``: asset kinds in scope (all when
    absent); ``ephi_only``: only assets holding ePHI."""

    fields: tuple[AssetField, ...] = Field(min_length=1)
    kinds: tuple[AssetKind, ...] | None = None
    ephi_only: bool = False


def _blank(asset: Asset, name: str) -> bool:
    value: object = getattr(asset, name)
    return value is None or value == ""


def inventory_fields_missing(ctx: EvidenceContext, p: FieldsParams) -> Verdict:
    """Some in-scope asset leaves one of ``fields`` empty (holds: something is missing)."""
    scope = _in_scope(ctx.assets, p.kinds, p.ephi_only)
    missing: list[str] = []
    for a in scope:
        blanks = [f for f in p.fields if _blank(a, f)]
        if blanks:
            missing.append(f"{a.asset_id} (no {' or '.join(b.replace('_', ' ') for b in blanks)})")
    what = " or ".join(f.replace("_", " ") for f in p.fields)
    kinds = " or ".join(k.value for k in p.kinds) if p.kinds else "any kind"
    facts = {"missing": count(len(missing)), "total": count(len(scope)), "fields": what,
             "kinds": kinds, "items": listing(missing)}
    summary = (
        f"{facts['missing']} of {facts['total']} inventory assets ({kinds}) lack {what}"
        + (f": {facts['items']}" if missing else "")
    )
    return Verdict(
        bool(missing), summary,
        (Evidence("inventory", listing(_inventory_files(ctx)), summary),), facts=facts,
    )


# --------------------------------------------------------------------------- vulnerabilities


class KevParams(Params):
    """Filters on open KEV exposures: ``ephi_only``, ``internet_facing_only``, ``severities``
    (CVSS-based severities kept; all when absent), ``open_more_than_days`` (known for more than
    this many days since KEV ``dateAdded``), ``fix_available_only`` (the advisory names a fixed
    version)."""

    ephi_only: bool = False
    internet_facing_only: bool = False
    severities: tuple[Severity, ...] | None = None
    open_more_than_days: int = Field(default=0, ge=0)
    fix_available_only: bool = False


def _kev_item(e: KevExposure) -> str:
    where = e.asset_id or "a component linked to no asset"
    return f"{e.cve_id} open at least {count(e.days_known)} days on {where}"


def _kev_evidence(e: KevExposure) -> Evidence:
    where = e.asset_id or "a component linked to no asset"
    ransomware = "; known ransomware campaign use" if e.ransomware else ""
    return Evidence(
        "kev",
        "CISA KEV",
        f"{e.cve_id} ({e.severity}) in CISA KEV since {e.date_added.isoformat()}{ransomware}; "
        f"open on {where} ({e.finding_id}): known at least {count(e.days_known)} days",
    )


def kev_open(ctx: EvidenceContext, p: KevParams) -> Verdict:
    """Some open vulnerability finding in CISA KEV passes the filters. Days are counted from
    KEV ``dateAdded`` (a lower bound; see :mod:`caresec.analyze.controls.context`)."""
    hits = [
        e for e in ctx.kev_open
        if (e.holds_ephi or not p.ephi_only)
        and (e.internet_facing or not p.internet_facing_only)
        and (p.severities is None or e.severity in p.severities)
        and e.days_known > p.open_more_than_days
        and (e.fix_available or not p.fix_available_only)
    ]
    scope = []
    if p.severities:
        scope.append("/".join(s.value for s in p.severities))
    scope.append("KEV vulnerabilities")
    if p.ephi_only:
        scope.append("on ePHI assets")
    if p.internet_facing_only:
        scope.append("on internet-facing assets")
    if p.open_more_than_days:
        scope.append(f"known more than {p.open_more_than_days} days")
    if p.fix_available_only:
        scope.append("with a fix available")
    label = " ".join(scope)
    worst = hits[0] if hits else None
    facts = {
        "count": count(len(hits)),
        "items": listing([_kev_item(e) for e in hits]),
        "scope": label,
        "threshold_days": str(p.open_more_than_days),
        "worst_cve": worst.cve_id if worst else "none",
        "worst_asset": (worst.asset_id or "no asset") if worst else "none",
        "worst_days": count(worst.days_known) if worst else "0",
    }
    if not hits:
        summary = f"no open {label}"
        return Verdict(False, summary, facts=facts)
    summary = f"{facts['count']} open {label}: {facts['items']}"
    return Verdict(
        True,
        summary,
        tuple(_kev_evidence(e) for e in hits),
        tuple(dict.fromkeys(e.finding_id for e in hits)),
        facts,
    )


class EosParams(Params):
    """``ephi_only``: only assets holding ePHI; ``kinds``: asset kinds in scope (all when
    absent)."""

    ephi_only: bool = False
    kinds: tuple[AssetKind, ...] | None = None


def _eos_date(f: Finding) -> str:
    return dict(f.details).get("end of support", "unknown")


def end_of_support(ctx: EvidenceContext, p: EosParams) -> Verdict:
    """Some in-scope asset is past its end of support (an open ``lifecycle`` finding)."""
    scope = {a.asset_id for a in _in_scope(ctx.assets, p.kinds, p.ephi_only)}
    hits = [f for f in ctx.open_findings(KIND_LIFECYCLE) if set(f.asset_ids) & scope]
    items = [f"{', '.join(f.asset_ids)} since {_eos_date(f)}" for f in hits]
    facts = {"count": count(len(hits)), "items": listing(items)}
    if not hits:
        return Verdict(False, "no in-scope asset is past its end of support", facts=facts)
    summary = f"{facts['count']} assets past end of support: {facts['items']}"
    return Verdict(
        True, summary, tuple(e for f in hits for e in f.evidence),
        tuple(f.finding_id for f in hits), facts,
    )


class NoParams(Params):
    """No parameters."""


def not_assessed(ctx: EvidenceContext, _p: NoParams) -> Verdict:
    """Some components could not be assessed for vulnerabilities (never to be read as clean)."""
    hits = ctx.open_findings(KIND_NOT_ASSESSED)
    components = sum(len(f.evidence) for f in hits)
    assets = [a for f in hits for a in f.asset_ids] or ["no asset"]
    facts = {"components": count(components), "assets": count(len(hits)),
             "items": listing(assets)}
    if not hits:
        return Verdict(False, "every component read was assessed", facts=facts)
    summary = (
        f"{facts['components']} components on {facts['assets']} assets could not be assessed "
        f"for vulnerabilities ({facts['items']})"
    )
    return Verdict(
        True, summary,
        (Evidence("sbom", listing(sorted({e.source for f in hits for e in f.evidence})), summary),),
        tuple(f.finding_id for f in hits), facts,
    )


class CoverageParams(Params):
    """``min_share`` in [0, 1]; ``ephi_only``; ``kinds`` in scope (all but vendor and cloud
    service when absent: kinds that run software an SBOM can describe)."""

    min_share: float = Field(ge=0.0, le=1.0)
    ephi_only: bool = True
    kinds: tuple[AssetKind, ...] | None = None


_SOFTWARE_KINDS = tuple(
    k for k in AssetKind if k not in (AssetKind.VENDOR, AssetKind.CLOUD_SERVICE)
)


def sbom_coverage_below(ctx: EvidenceContext, p: CoverageParams) -> Verdict:
    """The share of in-scope assets named by an SBOM that was read is below ``min_share``
    (``None`` when nothing is in scope)."""
    scope = _in_scope(ctx.assets, p.kinds or _SOFTWARE_KINDS, p.ephi_only)
    covered = [a for a in scope if a.asset_id in ctx.sbom_asset_ids]
    uncovered = [a.asset_id for a in scope if a.asset_id not in ctx.sbom_asset_ids]
    share = len(covered) / len(scope) if scope else 0.0
    facts = {"covered": count(len(covered)), "total": count(len(scope)),
             "share": f"{share:.0%}", "min_share": f"{p.min_share:.0%}",
             "items": listing(uncovered)}
    if not scope:
        return Verdict(None, "no asset in scope for SBOM coverage", facts=facts)
    summary = (
        f"{facts['covered']} of {facts['total']} in-scope assets ({facts['share']}) have an SBOM "
        f"(wanted {facts['min_share']}); without one: {facts['items']}"
    )
    return Verdict(
        share < p.min_share, summary,
        (Evidence("sbom", "sboms", summary),), facts=facts,
    )


class MinSboms(Params):
    """``min_sboms``: the least number of SBOMs read (default 1)."""

    min_sboms: int = Field(default=1, ge=1)


def sboms_analyzed(ctx: EvidenceContext, p: MinSboms) -> Verdict:
    """At least ``min_sboms`` SBOMs were read and their components matched to advisories."""
    facts = {"sboms": count(ctx.sbom_count), "components": count(ctx.component_count),
             "matches": count(ctx.match_count)}
    summary = (
        f"{facts['sboms']} SBOMs with {facts['components']} components were matched against "
        f"the advisory feeds ({facts['matches']} component × vulnerability matches)"
    )
    return Verdict(
        ctx.sbom_count >= p.min_sboms, summary, (Evidence("sbom", "sboms", summary),),
        facts=facts,
    )


# --------------------------------------------------------------------------- activities


class ActivityParams(Params):
    """``activity``: the activity's name (``access-log-review``, ``encryption-check`` …)."""

    activity: str = Field(pattern=r"^[a-z][a-z0-9-]*$")


def activity_ran(ctx: EvidenceContext, p: ActivityParams) -> Verdict:
    """The named collection activity ran in this audit."""
    facts = {"activity": p.activity}
    if p.activity in ctx.activities:
        summary = f"the {p.activity} ran in this audit"
        return Verdict(True, summary, (Evidence("audit", "caresec audit", summary),), facts=facts)
    summary = f"no {p.activity} ran in this audit"
    return Verdict(False, summary, (Evidence("audit", "caresec audit", summary),), facts=facts)


def audit_ran(ctx: EvidenceContext, _p: NoParams) -> Verdict:
    """Always holds: this audit evaluated the organization's technical evidence."""
    facts = {
        "date": ctx.today.isoformat(), "assets": count(len(ctx.assets)),
        "sboms": count(ctx.sbom_count), "components": count(ctx.component_count),
        "findings": count(len(ctx.findings)), "risks": count(ctx.risk_count),
    }
    summary = (
        f"this caresec audit of {facts['date']} evaluated {facts['assets']} assets and "
        f"{facts['components']} components from {facts['sboms']} SBOMs, giving "
        f"{facts['findings']} findings and {facts['risks']} risks"
    )
    return Verdict(True, summary, (Evidence("audit", "caresec audit", summary),), facts=facts)


def previous_run(ctx: EvidenceContext, _p: NoParams) -> Verdict:
    """An earlier caresec run exists for this organization."""
    summary = (
        "an earlier caresec run exists for this organization" if ctx.previous_run
        else "no earlier caresec run is recorded for this organization"
    )
    return Verdict(ctx.previous_run, summary, (Evidence("audit", "caresec audit", summary),))


def vendors_with_ephi(ctx: EvidenceContext, _p: NoParams) -> Verdict:
    """The inventory lists vendors (business associates) that hold ePHI."""
    vendors = [a.asset_id for a in ctx.assets if a.kind is AssetKind.VENDOR and a.holds_ephi]
    facts = {"count": count(len(vendors)), "items": listing(vendors)}
    if not vendors:
        return Verdict(False, "the inventory lists no vendor holding ePHI", facts=facts)
    summary = f"the inventory lists {facts['count']} vendors holding ePHI: {facts['items']}"
    return Verdict(
        True, summary, (Evidence("inventory", listing(_inventory_files(ctx)), summary),),
        facts=facts,
    )


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True, slots=True)
class PredicateKind:
    """One predicate kind: its parameter model, function and the facts it offers."""

    params: type[Params]
    check: Callable[[EvidenceContext, Any], Verdict]
    facts: frozenset[str]


def _kind(params: type[Params], check: Callable[[EvidenceContext, Any], Verdict],
          *facts: str) -> PredicateKind:
    return PredicateKind(params, check, frozenset(facts))


PREDICATES: Mapping[str, PredicateKind] = {
    "inventory_present": _kind(MinAssets, inventory_present, "assets", "ephi_assets", "files"),
    "inventory_current": _kind(
        MaxMonths, inventory_current, "max_months", "newest_date", "newest_file", "age_days"
    ),
    "ephi_assets_identified": _kind(MinAssets, ephi_assets_identified, "ephi_assets"),
    "inventory_fields_missing": _kind(
        FieldsParams, inventory_fields_missing, "missing", "total", "fields", "kinds", "items"
    ),
    "kev_open": _kind(
        KevParams, kev_open, "count", "items", "scope", "threshold_days", "worst_cve",
        "worst_asset", "worst_days",
    ),
    "end_of_support": _kind(EosParams, end_of_support, "count", "items"),
    "not_assessed": _kind(NoParams, not_assessed, "components", "assets", "items"),
    "sbom_coverage_below": _kind(
        CoverageParams, sbom_coverage_below, "covered", "total", "share", "min_share", "items"
    ),
    "sboms_analyzed": _kind(MinSboms, sboms_analyzed, "sboms", "components", "matches"),
    "activity_ran": _kind(ActivityParams, activity_ran, "activity"),
    "audit_ran": _kind(
        NoParams, audit_ran, "date", "assets", "sboms", "components", "findings", "risks"
    ),
    "previous_run": _kind(NoParams, previous_run),
    "vendors_with_ephi": _kind(NoParams, vendors_with_ephi, "count", "items"),
}
"""Every predicate kind by the name ``evidence-rules.yaml`` uses."""
