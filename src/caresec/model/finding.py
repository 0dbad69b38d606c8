"""Findings: what the analysis concluded, with the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from caresec.model.advisory import EpssScore, KevEntry
from caresec.model.component import Component
from caresec.model.risk import Assessed


class Severity(StrEnum):
    """Qualitative severity, CVSS v3.1/v4.0 rating scale (FIRST CVSS v3.1 spec §5)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """0 for critical … 5 for unknown (sort key)."""
        return list(Severity).index(self)


class FindingStatus(StrEnum):
    """``open``; ``suppressed`` (a VEX/suppression statement applies, still shown);
    ``accepted`` (a documented risk acceptance applies, still shown)."""

    OPEN = "open"
    SUPPRESSED = "suppressed"
    ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class VulnerabilityMatch:
    """One vulnerability affecting one component (aliases merged: one row per vulnerability).

    Attributes:
        component: the affected component.
        vulnerability_id: preferred id (the CVE when there is one, else the advisory id).
        aliases: every other id of the same vulnerability (GHSA, PYSEC, OSV …), sorted.
        advisory_ids: the advisories (feed records) that matched.
        summary: short description.
        severity: qualitative severity from the highest CVSS base score.
        cvss_score: highest CVSS base score (0–10) or None when no vector was given.
        cvss_vector: the vector that gave :attr:`cvss_score`.
        fixed_versions: versions that fix it, per the advisory's ``fixed`` events.
        kev: CISA KEV entry when any id is in the catalog.
        epss: the highest FIRST EPSS score among the ids.
        basis: why it matched (``version 1.24.1 in [0, 1.24.2) ECOSYSTEM``).
    """

    component: Component
    vulnerability_id: str
    aliases: tuple[str, ...]
    advisory_ids: tuple[str, ...]
    summary: str
    severity: Severity
    cvss_score: float | None
    cvss_vector: str
    fixed_versions: tuple[str, ...]
    kev: KevEntry | None = None
    epss: EpssScore | None = None
    basis: str = ""


@dataclass(frozen=True, slots=True)
class NotAssessed:
    """A component the matcher could not judge; never to be read as clean.

    Attributes:
        component: the component.
        reason: a sentence (``no purl or CPE``, ``no version``, ``ecosystem 'conan' not
            supported``, ``advisory GHSA-x has only GIT ranges``).
    """

    component: Component
    reason: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """What was observed, by which collector, from which input.

    Attributes:
        collector: ``sbom``, ``osv``, ``inventory`` …
        source: file path or host the evidence came from.
        description: what was observed, in a sentence.
    """

    collector: str
    source: str
    description: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A conclusion about one or more assets.

    Attributes:
        finding_id: stable id within a run (``VULN-<asset>-<vuln>``).
        kind: ``vulnerability``, ``lifecycle``, ``not-assessed``, ``control-gap`` …
        title: one line.
        asset_ids: assets concerned.
        severity: :class:`Severity`.
        evidence: evidence records.
        threat_event_ids: threat events this finding enables (ids of the threat catalog).
        control_ids: controls it bears on (HIPAA citations such as ``164.308(a)(1)(ii)(B)``).
        status: :class:`FindingStatus`.
        vulnerability: the match behind a ``vulnerability`` finding.
        details: extra (label, text) pairs shown with the finding.
        likelihood: the overall likelihood (NIST SP 800-30 Rev. 1 Table G-5) an analyzer
            assessed for the threat events this finding enables, with its rationale; the risk
            engine computes it itself for ``vulnerability`` and ``lifecycle`` findings, and a
            finding of another kind enters the register only when it carries one.
    """

    finding_id: str
    kind: str
    title: str
    asset_ids: tuple[str, ...]
    severity: Severity
    evidence: tuple[Evidence, ...] = ()
    threat_event_ids: tuple[str, ...] = ()
    control_ids: tuple[str, ...] = ()
    status: FindingStatus = FindingStatus.OPEN
    vulnerability: VulnerabilityMatch | None = None
    details: tuple[tuple[str, str], ...] = field(default=())
    likelihood: Assessed | None = None


@dataclass(frozen=True, slots=True)
class FindingStatement:
    """A statement that changes the status of vulnerability findings, kept visible with them.

    Typical sources: a VEX ``not_affected`` statement (CycloneDX ``analysis``, OpenVEX, CSAF
    ``known_not_affected``) → :attr:`FindingStatus.SUPPRESSED`.

    Attributes:
        vulnerability_id: a CVE, GHSA or other id; matches a finding whose vulnerability id or
            any alias equals it.
        status: the status to set.
        statement: the justification, in words, shown beside the finding.
        source: the file (and place) the statement came from.
        asset_ids: assets it applies to; empty means every asset.
    """

    vulnerability_id: str
    status: FindingStatus
    statement: str
    source: str = ""
    asset_ids: tuple[str, ...] = ()

    def applies_to(self, finding: Finding) -> bool:
        """True when ``finding`` is a vulnerability finding this statement covers."""
        match = finding.vulnerability
        if match is None:
            return False
        if self.vulnerability_id not in (match.vulnerability_id, *match.aliases):
            return False
        return not self.asset_ids or any(a in self.asset_ids for a in finding.asset_ids)
