"""The organization, what the audit collected about it, and the audit result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from caresec.model.advisory import EpssScore, KevEntry
from caresec.model.asset import Asset
from caresec.model.capability import CapabilityResult
from caresec.model.component import Sbom
from caresec.model.control import ControlEvaluation
from caresec.model.finding import Finding, NotAssessed, VulnerabilityMatch
from caresec.model.plan import PlanItem, RegisterEntry, RunComparison
from caresec.model.problems import InputProblem
from caresec.model.risk import Risk


class SizeTier(StrEnum):
    """Organization size, as HHS 405(d) HICP sorts organizations."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@dataclass(frozen=True, slots=True)
class OrgConfig:
    """``caresec.toml`` of an organization folder.

    Attributes:
        root: the organization folder.
        name: organization name.
        size_tier: :class:`SizeTier`.
        inventory_dir, sbom_dir, feeds_dir: folders, relative paths already resolved.
        settings: the remaining ``[settings]`` table, as read.
        sections: capability tables of ``caresec.toml`` (``[probe]``, ``[intel]`` …) as
            (name, JSON text) pairs; read one with :meth:`section`.
    """

    root: Path
    name: str
    size_tier: SizeTier
    inventory_dir: Path
    sbom_dir: Path
    feeds_dir: Path
    settings: tuple[tuple[str, str], ...] = ()
    sections: tuple[tuple[str, str], ...] = ()

    def section(self, name: str) -> dict[str, Any]:
        """The ``[name]`` table of ``caresec.toml`` as a dict (empty when absent)."""
        for key, text in self.sections:
            if key == name:
                value: dict[str, Any] = json.loads(text)
                return value
        return {}


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything collected, before analysis.

    Attributes:
        assets: inventory assets in file order.
        sboms: parsed SBOMs (components carry the asset ids that run them).
        problems: every input problem met while collecting.
    """

    assets: tuple[Asset, ...] = ()
    sboms: tuple[Sbom, ...] = ()
    problems: tuple[InputProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """What feeds the matcher used: name, digest, record count, when imported."""

    name: str
    digest: str
    records: int
    imported_at: str


@dataclass(frozen=True, slots=True)
class AuditResult:
    """The outcome of one audit run; reporters render it.

    Attributes:
        org: the configuration.
        started_at: UTC start time.
        facts: collected facts.
        matches: vulnerability matches (one per component × vulnerability).
        not_assessed: components the matcher could not judge.
        findings: findings for the register.
        risks: ranked risk register (highest first).
        problems: input problems from every stage (facts' problems included).
        feeds: feeds used.
        kev: KEV entries used for enrichment, keyed by CVE.
        epss: EPSS scores, keyed by CVE.
        controls: control status judged from evidence and answers (None: not evaluated).
        register: the register with inherent and residual ratings and responses, in the
            order of ``risks`` (one entry per risk, same ids).
        plan: the remediation plan by rank.
        comparison: this run against the previous run (None: no previous run).
        judged_on: the audit date findings, expiries and due dates are judged against.
        capabilities: what each capability (devices, models, PHI, access review …) added.
    """

    org: OrgConfig
    started_at: datetime
    facts: Facts
    matches: tuple[VulnerabilityMatch, ...] = ()
    not_assessed: tuple[NotAssessed, ...] = ()
    findings: tuple[Finding, ...] = ()
    risks: tuple[Risk, ...] = ()
    problems: tuple[InputProblem, ...] = ()
    feeds: tuple[FeedSummary, ...] = ()
    kev: dict[str, KevEntry] = field(default_factory=dict)
    epss: dict[str, EpssScore] = field(default_factory=dict)
    controls: ControlEvaluation | None = None
    register: tuple[RegisterEntry, ...] = ()
    plan: tuple[PlanItem, ...] = ()
    comparison: RunComparison | None = None
    judged_on: date | None = None
    capabilities: tuple[CapabilityResult, ...] = ()
