"""What a capability adds to an audit (see :mod:`caresec.extension` for the interface)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from caresec.model.finding import Finding, FindingStatement, NotAssessed, VulnerabilityMatch
from caresec.model.problems import InputProblem


@dataclass(frozen=True, slots=True)
class ReportSection:
    """One section of the HTML report contributed by a capability.

    Attributes:
        section_id: the HTML ``id`` (unique in the report; lowercase, hyphens).
        title: the heading, also used in the report's table of contents.
        html: the section body, already rendered and escaped by the capability (autoescaped
            Jinja2); no scripts, no external resources (the report must open offline).
    """

    section_id: str
    title: str
    html: str


@dataclass(frozen=True, slots=True)
class CapabilityResult:
    """What one capability adds to the audit.

    Attributes:
        name: the capability's name (``devices``, ``models`` …).
        findings: findings for the register (give each a ``likelihood`` to make it a risk).
        matches: extra vulnerability matches (device advisories, CPE matches); the risk engine
            turns them into vulnerability findings like OSV matches.
        assessed_component_keys: components (``Component.key``) this capability assessed, so
            the OSV matcher's "not assessed" entries for them are dropped.
        not_assessed: components this capability could not judge, with the reason.
        statements: status statements (VEX) applied to vulnerability findings.
        activities: evidence activities performed, credited by the control evaluation
            (e.g. ``access-log-review``).
        problems: input problems met.
        summary: (label, value) lines for the terminal summary and the executive summary.
        data: the capability's results for ``report.json`` (JSON-compatible values only).
        sections: HTML report sections.
        ephi_records: observed ePHI volumes as (asset id, number of individuals) pairs (e.g.
            from PHI discovery); the pipeline raises each asset's ``ephi_records`` to the
            observed number (and sets ``holds_ephi``) before weighing impact, and records the
            change as a warning when the inventory said less.
        artifacts: extra output files as (file name, text) pairs, written by the CLI into the
            report folder beside report.html (e.g. ``vex.cdx.json``); names are plain file
            names, no folders.
    """

    name: str
    findings: tuple[Finding, ...] = ()
    matches: tuple[VulnerabilityMatch, ...] = ()
    assessed_component_keys: frozenset[str] = frozenset()
    not_assessed: tuple[NotAssessed, ...] = ()
    statements: tuple[FindingStatement, ...] = ()
    activities: frozenset[str] = frozenset()
    problems: tuple[InputProblem, ...] = ()
    summary: tuple[tuple[str, str], ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    sections: tuple[ReportSection, ...] = ()
    artifacts: tuple[tuple[str, str], ...] = ()
    ephi_records: tuple[tuple[str, int], ...] = ()
