"""The remediation plan (plan of action and milestones) from the risk register.

caresec's rules (docs/risk-method.md §11):

* **Items.** Vulnerability findings are grouped by the component that carries them (package
  identity and version, across assets that run the same software): one upgrade fixes them all.
  An end-of-support finding, a control gap and any other finding kind give one item each.
  Only findings behind a register entry make items, plus control gaps no threat event names
  (compliance items without a level).
* **Action.** Vulnerable component: on a medical device or IoT asset ``vendor-fix``; else a
  fixed version known → ``upgrade``; else ``compensating-control``. End of support: device →
  ``vendor-fix``, else ``upgrade``. Control gap: administrative, organizational or
  documentation safeguard → ``policy``; physical or technical → ``implement-control``. Other
  findings → ``compensating-control``. When every risk of an item is being transferred or
  avoided (a response in force), the action is ``transfer`` or ``avoid``.
* **Level, due date.** The highest residual level of the item's risks; due = audit date + the
  level's SLA days (:mod:`caresec.risk.sla`); items without a level get the compliance-gap days.
  Patching items (``upgrade``, ``vendor-fix``) at very high or high also show the NPRM's
  proposed 15- or 30-day timer, flagged when the SLA is longer.
* **Owner.** The owners of the assets concerned; else the configured plan owner.
* **Status.** As recorded in ``plan-status.yaml``; otherwise ``deviation-approved`` when every
  risk of the item is accepted (in force), else ``open``. An item recorded ``closed`` whose
  finding this audit still sees is reopened, with a note.
* **Ranking.** Risk reduced (the sum of the residual scores, 0–100, of the register entries the
  item removes) per effort point of its action; ties by level, due date, id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from caresec.analyze.versions import UnparseableVersionError, compare
from caresec.catalogs.registry import load_hipaa_security_rule
from caresec.model.asset import Asset
from caresec.model.finding import Finding, VulnerabilityMatch
from caresec.model.plan import (
    Milestone,
    NprmTimer,
    PlanAction,
    PlanItem,
    PlanStatus,
    PlanStatusEntry,
    RegisterEntry,
    ResponseKind,
)
from caresec.model.problems import InputProblem, ProblemSeverity
from caresec.risk.findings import KIND_LIFECYCLE, KIND_VULNERABILITY
from caresec.risk.gaps import KIND_CONTROL_GAP, ORG_ASSET_ID
from caresec.risk.sla import RemediationPolicy
from caresec.risk.threats import DEVICE_KINDS

SHOWN_ASSETS = 3
POLICY_SAFEGUARDS = frozenset({"administrative", "organizational", "documentation"})


@dataclass(frozen=True, slots=True)
class _Group:
    key: str
    base_id: str
    findings: tuple[Finding, ...]


def _package(match: VulnerabilityMatch) -> str:
    purl = match.component.purl
    if purl:
        return purl.split("?")[0].split("#")[0].rsplit("@", 1)[0]
    return match.component.name.lower()


def _slug(text: str) -> str:
    return "-".join(text.split())


def _groups(findings: Sequence[Finding], wanted: set[str]) -> list[_Group]:
    by_component: dict[str, list[Finding]] = defaultdict(list)
    labels: dict[str, str] = {}
    singles: list[_Group] = []
    for f in findings:
        if f.finding_id not in wanted:
            continue
        if f.kind == KIND_VULNERABILITY and f.vulnerability is not None:
            c = f.vulnerability.component
            key = f"{_package(f.vulnerability)}@{c.version}"
            by_component[key].append(f)
            labels[key] = f"PLAN-{_slug(c.name)}-{_slug(c.version) or 'unversioned'}"
        else:
            singles.append(_Group(f.finding_id, f"PLAN-{f.finding_id}", (f,)))
    groups = [_Group(k, labels[k], tuple(v)) for k, v in sorted(by_component.items())]
    return groups + singles


def _unique_ids(groups: Sequence[_Group]) -> dict[str, str]:
    seen: dict[str, int] = defaultdict(int)
    out: dict[str, str] = {}
    for g in groups:
        seen[g.base_id] += 1
        n = seen[g.base_id]
        out[g.key] = g.base_id if n == 1 else f"{g.base_id}-{n}"
    return out


def _purl_type(match: VulnerabilityMatch) -> str:
    purl = match.component.purl
    return purl[4:].split("/", 1)[0] if purl.startswith("pkg:") else ""


def target_version(matches: Sequence[VulnerabilityMatch]) -> str | None:
    """The lowest version that fixes every match: for each vulnerability the lowest fixed
    version above the installed one, then the highest of those. None when any vulnerability
    has no such version or the versions cannot be ordered (ecosystem of the purl type)."""
    chosen: str | None = None
    for m in matches:
        eco = _purl_type(m)
        current = m.component.version
        if not eco or not current:
            return None
        try:
            above = [v for v in m.fixed_versions if compare(eco, v, current) > 0]
            if not above:
                return None
            best = above[0]
            for v in above[1:]:
                if compare(eco, v, best) < 0:
                    best = v
            if chosen is None or compare(eco, best, chosen) > 0:
                chosen = best
        except UnparseableVersionError:
            return None
    return chosen


def _asset_list(asset_ids: Sequence[str]) -> str:
    shown = ", ".join(asset_ids[:SHOWN_ASSETS])
    more = len(asset_ids) - SHOWN_ASSETS
    return shown + (f" and {more} more" if more > 0 else "")


def _vulnerability_item(
    findings: Sequence[Finding], assets: Mapping[str, Asset]
) -> tuple[PlanAction, str, str]:
    unique = {f.vulnerability.vulnerability_id: f.vulnerability
              for f in findings if f.vulnerability is not None}
    matches = [unique[k] for k in sorted(unique)]
    lead = matches[0].component
    where = _asset_list(sorted({a for f in findings for a in f.asset_ids}))
    label = f"{lead.name} {lead.version}".strip()
    fixes = "; ".join(
        f"{m.vulnerability_id} (fixed in {', '.join(m.fixed_versions) or 'no version known'})"
        for m in matches
    )
    devices = any(
        assets[a].kind in DEVICE_KINDS for f in findings for a in f.asset_ids if a in assets
    )
    known_fix = all(m.fixed_versions for m in matches)
    if devices:
        action = PlanAction.VENDOR_FIX
        title = f"Obtain and apply the manufacturer's fix for {label} on {where}"
    elif known_fix:
        target = target_version(matches)
        action = PlanAction.UPGRADE
        to = f"{target} or later" if target else "a fixed version"
        title = f"Upgrade {label} to {to} on {where}"
    else:
        action = PlanAction.COMPENSATING_CONTROL
        title = f"Restrict exposure of {label} on {where} until a fix is known"
    others = sorted({ln for f in findings for k, ln in f.details if k == "components"} - {label})
    also = f" Components: {'; '.join(others)}." if others else ""
    return action, title, f"{len(matches)} vulnerabilit{'y' if len(matches) == 1 else 'ies'}: " \
        f"{fixes}.{also}"


def _single_item(finding: Finding, assets: Mapping[str, Asset]) -> tuple[PlanAction, str, str]:
    if finding.kind == KIND_LIFECYCLE:
        asset = assets.get(finding.asset_ids[0]) if finding.asset_ids else None
        if asset is not None and asset.kind in DEVICE_KINDS:
            return (PlanAction.VENDOR_FIX,
                    f"Obtain a supported platform from the manufacturer for {asset.asset_id}",
                    finding.title)
        name = asset.asset_id if asset is not None else ", ".join(finding.asset_ids)
        return PlanAction.UPGRADE, f"Move {name} to a supported release", finding.title
    if finding.kind == KIND_CONTROL_GAP:
        index = load_hipaa_security_rule().index()
        cite = finding.control_ids[0]
        element = index.get(cite)
        title = element.title if element is not None else cite
        if element is not None and str(element.safeguard) in POLICY_SAFEGUARDS:
            return PlanAction.POLICY, f"Establish {title.lower()} ({cite})", finding.title
        return PlanAction.IMPLEMENT_CONTROL, f"Implement {title.lower()} ({cite})", finding.title
    return PlanAction.COMPENSATING_CONTROL, f"Remediate: {finding.title}", finding.title


def _owner(asset_ids: Sequence[str], assets: Mapping[str, Asset], policy: RemediationPolicy) -> str:
    owners = list(dict.fromkeys(
        assets[a].owner for a in asset_ids if a in assets and assets[a].owner
    ))
    return "; ".join(owners) if owners else policy.owner


def _milestones(
    action: PlanAction, today: date, days: int, done: Sequence[str], policy: RemediationPolicy
) -> tuple[Milestone, ...]:
    return tuple(
        Milestone(title=title, due=today + timedelta(days=max(1, round(days * at))),
                  done=title in done)
        for title, at in policy.milestones[action]
    )


def build_plan(
    register: Sequence[RegisterEntry],
    findings: Sequence[Finding],
    assets: Sequence[Asset],
    policy: RemediationPolicy,
    *,
    today: date,
    recorded: Mapping[str, PlanStatusEntry] | None = None,
) -> tuple[tuple[PlanItem, ...], tuple[InputProblem, ...]]:
    """The ranked plan (see module docstring).

    Args:
        register: register entries, responses applied.
        findings: every finding of the audit.
        assets: the inventory (owners, kinds).
        policy: deadlines, effort, milestones, NPRM timers.
        today: the audit date; due dates count from it.
        recorded: ``plan-status.yaml`` entries by item id.

    Returns:
        ``(items, problems)``: items by rank, and warnings for recorded items not in this plan
        and for items recorded closed that this audit still finds.
    """
    recorded = recorded or {}
    by_asset = {a.asset_id: a for a in assets}
    by_finding: dict[str, list[RegisterEntry]] = defaultdict(list)
    for entry in register:
        for fid in entry.risk.finding_ids:
            by_finding[fid].append(entry)
    wanted = set(by_finding) | {
        f.finding_id for f in findings if f.kind == KIND_CONTROL_GAP and not f.threat_event_ids
    }
    groups = _groups(findings, wanted)
    ids = _unique_ids(groups)
    problems: list[InputProblem] = []
    items: list[PlanItem] = []
    for group in groups:
        item_id = ids[group.key]
        entries = [e for f in group.findings for e in by_finding.get(f.finding_id, [])]
        if group.findings[0].kind == KIND_VULNERABILITY:
            action, title, description = _vulnerability_item(group.findings, by_asset)
        else:
            action, title, description = _single_item(group.findings[0], by_asset)
        effective = {e.response.effective if e.response else None for e in entries}
        if effective == {ResponseKind.TRANSFER}:
            action, title = PlanAction.TRANSFER, f"Transfer the risk: {title}"
        elif effective == {ResponseKind.AVOID}:
            action, title = PlanAction.AVOID, f"Avoid the risk: {title}"
        level = max((e.risk.level for e in entries), key=lambda lv: lv.ordinal, default=None)
        days = policy.sla_days[level] if level is not None else policy.compliance_gap_days
        asset_ids = tuple(dict.fromkeys(a for f in group.findings for a in f.asset_ids))
        record = recorded.get(item_id)
        status, note, source = _status(item_id, entries, record, problems)
        nprm = None
        if level is not None and action in policy.nprm_actions and level in policy.nprm_timers:
            spec = policy.nprm_timers[level]
            nprm = NprmTimer(spec.requirement_id, spec.title, spec.days, days > spec.days)
        reduction = sum(e.risk.score for e in entries)
        effort = policy.effort[action]
        items.append(
            PlanItem(
                item_id=item_id,
                title=title,
                description=description,
                action=action,
                risk_ids=tuple(e.risk_id for e in entries),
                finding_ids=tuple(f.finding_id for f in group.findings),
                asset_ids=asset_ids,
                control_ids=tuple(dict.fromkeys(c for f in group.findings for c in f.control_ids)),
                owner=(record.owner if record and record.owner else
                       _owner([a for a in asset_ids if a != ORG_ASSET_ID], by_asset, policy)),
                level=level,
                sla_days=days,
                due=today + timedelta(days=days),
                nprm=nprm,
                milestones=_milestones(action, today, days,
                                       record.milestones_done if record else (), policy),
                status=status,
                status_source=source,
                note=note,
                risk_reduction=reduction,
                effort=effort,
                priority=round(reduction / effort, 2),
                rank=0,
            )
        )
    for item_id, record in recorded.items():
        if item_id not in ids.values():
            problems.append(_warning(record.source, f"{item_id} is not in this audit's plan "
                                     "(its findings are gone, or the id is mistyped)"))
    ranked = sorted(items, key=_rank_key)
    return tuple(_with_rank(item, n) for n, item in enumerate(ranked, start=1)), tuple(problems)


def _rank_key(item: PlanItem) -> tuple[float, int, date, str]:
    level = item.level.ordinal if item.level is not None else 0
    return (-item.priority, -level, item.due, item.item_id)


def _with_rank(item: PlanItem, rank: int) -> PlanItem:
    return replace(item, rank=rank)


def _warning(source: str, message: str) -> InputProblem:
    file, _, at = source.rpartition(":")
    return InputProblem(file=file or source, place=f"line {at}" if at.isdigit() else "",
                        message=message, severity=ProblemSeverity.WARNING, collector="plan-status")


def _status(
    item_id: str,
    entries: Sequence[RegisterEntry],
    record: PlanStatusEntry | None,
    problems: list[InputProblem],
) -> tuple[PlanStatus, str, str]:
    expired = [e.response.note for e in entries if e.response is not None and e.response.expired]
    lapsed = f" {'; '.join(dict.fromkeys(expired))}." if expired else ""
    if record is not None:
        if record.status is PlanStatus.CLOSED:
            problems.append(_warning(record.source, f"{item_id} is recorded closed, but this "
                                     "audit still finds it; reopened"))
            note = f"recorded closed ({record.source}) but still found by this audit: reopened."
            return PlanStatus.OPEN, note + lapsed, record.source
        return record.status, (record.note + lapsed).strip(), record.source
    accepted = [e for e in entries if e.response is not None
                and e.response.effective is ResponseKind.ACCEPT]
    if entries and len(accepted) == len(entries):
        notes = "; ".join(dict.fromkeys(e.response.note for e in accepted if e.response))
        return PlanStatus.DEVIATION_APPROVED, f"risk accepted: {notes}", ""
    return PlanStatus.OPEN, lapsed.strip(), ""
