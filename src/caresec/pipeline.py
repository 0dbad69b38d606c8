"""The audit pipeline: collect → analyze → risk, returning an :class:`AuditResult`.

This is the one core function the CLI (and later the web service) calls. It performs the I/O
of collection (reading the organization folder and the feed store) and hands pure records to
the analyzers and the risk engine. An unreadable input never stops the audit: it becomes an
:class:`~caresec.model.InputProblem` in the result.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from caresec.analyze.vulns import match_components
from caresec.collect.inventory import collect_inventory
from caresec.collect.org import load_org
from caresec.collect.sbom import collect_sboms
from caresec.model import AuditResult, Facts
from caresec.risk import assess
from caresec.store import STORE_FILE, FeedStore

Progress = Callable[[str], None]


def run_audit(
    org_root: Path,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit one organization folder.

    Args:
        org_root: the organization folder (holds ``caresec.toml``).
        today: the date findings are judged against (end of support); defaults to today (UTC).
        progress: called with a short description as each stage starts.

    Returns:
        The :class:`AuditResult`; ``problems`` lists every input that could not be read.

    Raises:
        ConfigError: ``caresec.toml`` is missing or invalid (nothing else can be done then).
        StoreError: the feed store under ``.caresec/`` cannot be opened.
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

    say("Importing advisory feeds (cached)")
    with FeedStore.open(org.root / STORE_FILE) as store:
        feeds, feed_problems = store.import_feeds(org.feeds_dir)
        components = [c for sbom in sboms for c in sbom.components]
        say(f"Matching {len(components)} components")
        kev = store.kev()
        matches, not_assessed = match_components(components, store, kev, store.epss_lookup())
        epss = store.epss_for({cve for m in matches for cve in (m.vulnerability_id, *m.aliases)})

    say("Weighing risk")
    findings, risks = assess(assets, matches, not_assessed, today=judged_on)
    return AuditResult(
        org=org,
        started_at=started,
        facts=facts,
        matches=tuple(matches),
        not_assessed=tuple(not_assessed),
        findings=tuple(findings),
        risks=tuple(risks),
        problems=(*facts.problems, *feed_problems),
        feeds=tuple(feeds),
        kev=dict(kev),
        epss=dict(epss),
    )
