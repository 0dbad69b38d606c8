"""Vulnerability advisories (OSV schema) and their enrichment (CISA KEV, FIRST EPSS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class RangeEvent:
    """One OSV range event: ``introduced``, ``fixed``, ``last_affected`` or ``limit``."""

    kind: str
    version: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """An OSV ``affected[].ranges[]`` entry.

    Attributes:
        type: ``ECOSYSTEM``, ``SEMVER`` or ``GIT`` (OSV schema 1.6 §affected[].ranges[].type).
        events: events in file order.
    """

    type: str
    events: tuple[RangeEvent, ...]


@dataclass(frozen=True, slots=True)
class AffectedPackage:
    """An OSV ``affected[]`` entry.

    Attributes:
        ecosystem: OSV ecosystem name (``PyPI``, ``npm``, ``Maven``, ``Debian:12`` …).
        name: package name as the ecosystem spells it.
        purl: package URL without version, when the advisory gives one.
        ranges: affected ranges.
        versions: explicitly listed affected versions.
    """

    ecosystem: str
    name: str
    purl: str = ""
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SeverityVector:
    """A CVSS vector from an advisory: ``type`` is ``CVSS_V3`` or ``CVSS_V4``."""

    type: str
    vector: str


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory in OSV form.

    Attributes:
        advisory_id: OSV ``id`` (``PYSEC-2019-132``, ``GHSA-…``, ``CVE-…``).
        aliases: OSV ``aliases`` (and ``upstream``), without ``advisory_id``.
        summary: short summary (may be empty).
        published: publication date when given.
        withdrawn: True when OSV ``withdrawn`` is set; never matched.
        affected: affected packages.
        severity: CVSS vectors.
        source: where the advisory came from (feed name and file).
        references: reference URLs.
    """

    advisory_id: str
    aliases: tuple[str, ...]
    summary: str
    affected: tuple[AffectedPackage, ...]
    severity: tuple[SeverityVector, ...] = ()
    published: date | None = None
    withdrawn: bool = False
    source: str = ""
    references: tuple[str, ...] = ()

    @property
    def all_ids(self) -> tuple[str, ...]:
        """``advisory_id`` followed by its aliases."""
        return (self.advisory_id, *self.aliases)

    @property
    def cve_ids(self) -> tuple[str, ...]:
        """The CVE ids among :attr:`all_ids`."""
        return tuple(i for i in self.all_ids if i.startswith("CVE-"))


@dataclass(frozen=True, slots=True)
class KevEntry:
    """One CISA Known Exploited Vulnerabilities catalog entry.

    Attributes:
        cve_id: ``CVE-YYYY-NNNN``.
        date_added: when CISA added it (``dateAdded``).
        due_date: remediation due date for US federal agencies (``dueDate``).
        ransomware: ``knownRansomwareCampaignUse`` is ``Known``.
        name: ``vulnerabilityName``.
    """

    cve_id: str
    date_added: date
    due_date: date | None = None
    ransomware: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class EpssScore:
    """FIRST EPSS score: probability of exploitation activity in the next 30 days.

    Attributes:
        cve_id: ``CVE-YYYY-NNNN``.
        epss: probability in [0, 1].
        percentile: percentile among all scored CVEs in [0, 1].
    """

    cve_id: str
    epss: float
    percentile: float
