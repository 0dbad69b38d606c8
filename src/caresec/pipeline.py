"""The audit pipeline: collect → analyze → risk, returning an :class:`AuditResult`.

This is the one core function the CLI (and later the web service) calls. It performs the I/O
of collection (reading the organization folder and the feed store) and hands pure records to
the analyzers and the risk engine. An unreadable input never stops the audit: it becomes an
:class:`~caresec.model.InputProblem` in the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from caresec.analyze.controls import evaluate_controls
from caresec.analyze.vulns import match_components
from caresec.collect.answers import collect_answers, inventory_file_dates
from caresec.collect.inventory import collect_inventory
from caresec.collect.org import load_org
from caresec.collect.sbom import collect_sboms
from caresec.errors import CaresecError
from caresec.extension import AuditContext, CapabilityRegistry
from caresec.model import (
    Asset,
    AuditResult,
    CapabilityResult,
    Component,
    Facts,
    FindingStatement,
    FindingStatus,
    InputProblem,
    NotAssessed,
    PlanStatusEntry,
    ProblemSeverity,
    RiskResponse,
    Sbom,
    VulnerabilityMatch,
)
from caresec.redact import reveal_phi
from caresec.risk import (
    assess_risks,
    compare_runs,
    parse_plan_status,
    parse_risk_responses,
    remediation_policy,
    summarize,
)
from caresec.risk.plan_status import STATUS_FILE
from caresec.risk.responses import RESPONSES_FILE
from caresec.store import STORE_FILE, FeedStore
from caresec.store.runs import RUNS_FILE, RunStore

Progress = Callable[[str], None]
T = TypeVar("T")


def run_audit(
    org_root: Path,
    *,
    today: date | None = None,
    progress: Progress | None = None,
    record_run: bool = True,
    capabilities: CapabilityRegistry | None = None,
) -> AuditResult:
    """Audit one organization folder.

    Besides the inventory, SBOMs and feeds it reads, when present, ``answers.yaml`` (the
    questionnaire), ``risk-responses.yaml`` and ``plan-status.yaml`` (docs/reports.md), and the
    run history ``.caresec/runs.sqlite``: the result is compared with the latest recorded run,
    then recorded itself (unless ``record_run`` is False).

    Args:
        org_root: the organization folder (holds ``caresec.toml``).
        today: the date findings are judged against (end of support, expiries, due dates);
            defaults to today (UTC).
        progress: called with a short description as each stage starts.
        record_run: add this run to the organization's run history.
        capabilities: the capabilities to run (:mod:`caresec.extension`); defaults to the
            built-in ones and installed plugins.

    Returns:
        The :class:`AuditResult`; ``problems`` lists every input that could not be read.

    Raises:
        ConfigError: ``caresec.toml`` is missing or invalid (nothing else can be done then).
        StoreError: the feed store or the run history under ``.caresec/`` cannot be opened.
    """
    say = progress or (lambda _msg: None)
    started = datetime.now(UTC)
    judged_on = today or started.date()

    say("Reading caresec.toml")
    org = load_org(org_root)
    say("Reading the inventory")
    assets, inventory_problems = collect_inventory(org)
    say("Reading SBOMs")
    sboms, sbom_problems = collect_sboms(org, assets)
    facts = Facts(assets=assets, sboms=sboms, problems=(*inventory_problems, *sbom_problems))
    unread = unread_sboms(assets, sboms, sbom_problems)

    say("Importing advisory feeds (cached)")
    with FeedStore.open(org.root / STORE_FILE) as store:
        feeds, feed_problems = store.import_feeds(org.feeds_dir)
        components = [c for sbom in sboms for c in sbom.components]
        say(f"Matching {len(components)} components")
        kev = store.kev()
        epss_lookup = store.epss_lookup()
        matches, not_assessed = match_components(
            components, store, kev, epss_lookup, covered=store.ecosystems()
        )
        registry = capabilities if capabilities is not None else CapabilityRegistry.default()
        context = AuditContext(
            org=org, assets=assets, sboms=sboms, matches=tuple(matches),
            not_assessed=tuple(not_assessed), kev=kev, epss=epss_lookup, today=judged_on,
            progress=say,
        )
        added = run_capabilities(registry, context)
        matches = [*matches, *(m for c in added for m in c.matches)]
        epss = store.epss_for({cve for m in matches for cve in (m.vulnerability_id, *m.aliases)})

    assessed_keys = frozenset[str]().union(*(c.assessed_component_keys for c in added))
    not_assessed = [
        *unread,
        *(n for n in not_assessed if n.component.key not in assessed_keys),
        *(n for c in added for n in c.not_assessed),
    ]
    assets, ephi_notes = apply_ephi_observations(assets, added)
    facts = replace(facts, assets=assets)
    extra_findings = tuple(f for c in added for f in c.findings)
    statements = tuple(st for c in added for st in c.statements)
    activities = frozenset[str]().union(*(c.activities for c in added))

    say("Reading answers and risk decisions")
    reveal, reveal_problems = reveal_phi(org.settings)
    answers, answer_problems = collect_answers(org)
    no_responses: tuple[RiskResponse, ...] = ()
    responses, response_problems = _read_decisions(
        org.root / RESPONSES_FILE, RESPONSES_FILE,
        partial(parse_risk_responses, reveal_phi=reveal), "risk-responses", no_responses,
    )
    no_status: dict[str, PlanStatusEntry] = {}
    recorded, status_problems = _read_decisions(
        org.root / STATUS_FILE, STATUS_FILE, partial(parse_plan_status, reveal_phi=reveal),
        "plan-status", no_status,
    )
    policy, policy_problems = remediation_policy(org.settings)
    with RunStore.open(org.root / RUNS_FILE) as history:
        previous = history.latest()

    say("Judging controls")
    preliminary = assess_risks(
        assets, matches, not_assessed, today=judged_on, extra_findings=extra_findings,
        statements=statements,
    )
    controls = evaluate_controls(
        assets=assets,
        sboms=sboms,
        findings=preliminary.findings,
        matches=unsuppressed(matches, statements),
        answers=answers,
        today=judged_on,
        inventory_mtimes=inventory_file_dates(org),
        risks=preliminary.risks,
        activities=activities,
        previous_run=previous is not None,
    )

    say("Weighing risk and planning remediation")
    assessment = assess_risks(
        assets, matches, not_assessed, today=judged_on, controls=controls,
        extra_findings=extra_findings, statements=statements,
        responses=responses, plan_status=recorded, policy=policy,
    )
    current = summarize(assessment.register, assessment.findings,
                        started_at=started.isoformat(), judged_on=judged_on.isoformat())
    comparison = compare_runs(previous, current) if previous is not None else None
    if record_run:
        with RunStore.open(org.root / RUNS_FILE) as history:
            history.record(current)
    return AuditResult(
        org=org,
        started_at=started,
        facts=facts,
        matches=tuple(matches),
        not_assessed=tuple(not_assessed),
        findings=assessment.findings,
        risks=assessment.risks,
        problems=(*facts.problems, *feed_problems, *(p for c in added for p in c.problems),
                  *ephi_notes,
                  *reveal_problems, *answer_problems, *response_problems, *status_problems,
                  *policy_problems, *assessment.problems),
        feeds=tuple(feeds),
        kev=dict(kev),
        epss=dict(epss),
        controls=controls,
        register=assessment.register,
        plan=assessment.plan,
        comparison=comparison,
        judged_on=judged_on,
        capabilities=tuple(added),
    )


def apply_ephi_observations(
    assets: tuple[Asset, ...], added: Sequence[CapabilityResult]
) -> tuple[tuple[Asset, ...], list[InputProblem]]:
    """Raise each asset's ePHI volume to what a capability observed (PHI discovery).

    The inventory's own figure is kept when it is larger. Each raise is reported as a
    warning naming the asset, the inventory's figure and the observed one, so the inventory
    can be corrected: 45 CFR 164.308(a)(1)(ii)(A) asks for an accurate account of where ePHI
    is.

    Returns:
        The assets (same order) and the warnings.
    """
    observed: dict[str, tuple[int, str]] = {}
    for result in added:
        for asset_id, count in result.ephi_records:
            if count > observed.get(asset_id, (0, ""))[0]:
                observed[asset_id] = (count, result.name)
    notes: list[InputProblem] = []
    updated: list[Asset] = []
    for asset in assets:
        count, source = observed.get(asset.asset_id, (0, ""))
        if count > asset.ephi_records or (count and not asset.holds_ephi):
            notes.append(InputProblem(
                asset.source.rsplit(":", 1)[0] or "inventory", asset.source.rsplit(":", 1)[-1],
                f"{asset.asset_id}: the inventory says {asset.ephi_records:,} ePHI records"
                f"{'' if asset.holds_ephi else ' (holds ePHI: no)'}, but {source} found "
                f"{count:,} individuals; impact is weighed with {max(count, asset.ephi_records):,}",
                ProblemSeverity.WARNING, source,
            ))
            asset = replace(asset, holds_ephi=True,
                            ephi_records=max(count, asset.ephi_records))
        updated.append(asset)
    return tuple(updated), notes


def unread_sboms(
    assets: Sequence[Asset], sboms: Sequence[Sbom], problems: Sequence[InputProblem]
) -> list[NotAssessed]:
    """One *not assessed* entry per asset and SBOM it names that could not be read, so the
    asset's software is never taken as clean when its SBOM is broken or missing.

    The entry's component stands for the whole SBOM (``bom_ref`` ``(whole SBOM)``); the reason
    quotes the input problem of that file when there is one.
    """
    read = {sbom.sbom_id for sbom in sboms}
    reasons: dict[str, str] = {}
    for problem in problems:
        if problem.severity is ProblemSeverity.ERROR:
            reasons.setdefault(problem.file, problem.message)
    entries: list[NotAssessed] = []
    for asset in assets:
        for sbom_file in asset.sbom_files:
            if sbom_file in read:
                continue
            why = next((m for f, m in reasons.items() if f.endswith(sbom_file)), "not found")
            component = Component(bom_ref="(whole SBOM)", name=f"every component of {sbom_file}",
                                  version="", sbom_id=sbom_file, asset_ids=(asset.asset_id,))
            entries.append(NotAssessed(component=component,
                                       reason=f"the SBOM could not be read: {why}"))
    return entries


def run_capabilities(
    registry: CapabilityRegistry, context: AuditContext
) -> list[CapabilityResult]:
    """Run each capability that applies to the organization, in registry order.

    A :class:`~caresec.errors.CaresecError` raised by a capability becomes an input problem of
    that capability (the audit goes on); any other exception is a bug and propagates.
    """
    results: list[CapabilityResult] = []
    for capability in registry:
        if not capability.applies(context.org):
            continue
        context.progress(f"Running {capability.name}")
        try:
            results.append(capability.run(context))
        except CaresecError as exc:
            problem = InputProblem(capability.name, "", str(exc), ProblemSeverity.ERROR,
                                   capability.name)
            results.append(CapabilityResult(name=capability.name, problems=(problem,)))
    return results


def unsuppressed(
    matches: Sequence[VulnerabilityMatch], statements: Sequence[FindingStatement]
) -> list[VulnerabilityMatch]:
    """The matches not wholly covered by a suppressing statement (VEX ``not_affected`` for
    every asset that runs the component)."""
    suppressing = [st for st in statements if st.status is FindingStatus.SUPPRESSED]
    if not suppressing:
        return list(matches)

    def covered(match: VulnerabilityMatch) -> bool:
        ids = (match.vulnerability_id, *match.aliases)
        for st in suppressing:
            if st.vulnerability_id in ids and (
                not st.asset_ids or set(match.component.asset_ids) <= set(st.asset_ids)
            ):
                return True
        return False

    return [m for m in matches if not covered(m)]


def _read_decisions(
    path: Path,
    display: str,
    parse: Callable[[str, str], tuple[T, Sequence[InputProblem]]],
    collector: str,
    empty: T,
) -> tuple[T, tuple[InputProblem, ...]]:
    """Read an optional decision file (absent: ``empty``, no problem) and parse its text."""
    if not path.is_file():
        return empty, ()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return empty, (InputProblem(display, f"byte {exc.start}", "not UTF-8; save the file as "
                                    "UTF-8; it was not read", ProblemSeverity.ERROR, collector),)
    except OSError as exc:
        return empty, (InputProblem(display, "", f"cannot be read: {exc.strerror}",
                                    ProblemSeverity.ERROR, collector),)
    value, problems = parse(text, display)
    return value, tuple(problems)


__all__ = ["Progress", "run_audit"]
