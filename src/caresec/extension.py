"""The one extension point of the audit: a *capability* adds evidence to ``caresec audit``.

A capability (medical-device advisories, AI-model admission, PHI discovery, access-log review,
threat intelligence, exposure probes …) reads what it needs from the organization folder, runs
its analysis, and returns a :class:`CapabilityResult`: findings that enter the risk register,
extra vulnerability matches, VEX-style statements, the evidence activities it performed (which
the control evaluation credits), input problems, and its own report sections. The pipeline runs
every capability of the :class:`CapabilityRegistry` it is given, between vulnerability matching
and control evaluation, so the risk analysis and the reports see all of them the same way.

Third-party capabilities register through the ``caresec.capabilities`` entry-point group: each
entry point names a zero-argument callable returning a :class:`Capability`. Nothing runs at
import time.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from caresec.model import (
    Asset,
    EpssScore,
    KevEntry,
    NotAssessed,
    OrgConfig,
    Sbom,
    VulnerabilityMatch,
)
from caresec.model.capability import CapabilityResult, ReportSection

ENTRY_POINT_GROUP = "caresec.capabilities"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class AuditContext:
    """What a capability may read: the collected facts and the vulnerability feeds.

    Attributes:
        org: the organization's configuration (``org.root`` is the folder; ``org.sections``
            holds its own ``caresec.toml`` table, if any).
        assets: inventory assets.
        sboms: parsed SBOMs.
        matches: OSV vulnerability matches found so far.
        not_assessed: components the OSV matcher could not judge.
        kev: CISA KEV entries by CVE id.
        epss: FIRST EPSS scores by CVE id (a lazy mapping over the feed store).
        today: the audit date.
        progress: report a short line of progress.
    """

    org: OrgConfig
    assets: tuple[Asset, ...]
    sboms: tuple[Sbom, ...]
    matches: tuple[VulnerabilityMatch, ...]
    not_assessed: tuple[NotAssessed, ...]
    kev: Mapping[str, KevEntry]
    epss: Mapping[str, EpssScore]
    today: date
    progress: Progress = field(default=lambda _line: None)


@runtime_checkable
class Capability(Protocol):
    """A pluggable part of the audit.

    Attributes:
        name: short unique name.
    """

    name: str

    def applies(self, org: OrgConfig) -> bool:
        """Whether the organization folder holds anything for this capability (so the audit
        skips it silently when not)."""
        ...

    def run(self, context: AuditContext) -> CapabilityResult:
        """Collect and analyze. Input problems are returned, never raised; a
        :class:`~caresec.errors.CaresecError` raised here is recorded as a problem of the
        capability and the audit goes on."""
        ...


BUILTIN_PACKAGE = "caresec.capabilities"


class CapabilityRegistry:
    """An ordered set of capabilities, passed into :func:`caresec.pipeline.run_audit`.

    Args:
        capabilities: the capabilities, run in this order.

    Raises:
        ValueError: two capabilities share a name.
    """

    def __init__(self, capabilities: Sequence[Capability] = ()) -> None:
        names = [c.name for c in capabilities]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"capability names must be unique: {sorted(duplicates)}")
        self._capabilities = tuple(capabilities)

    def __iter__(self) -> Iterator[Capability]:
        return iter(self._capabilities)

    def __len__(self) -> int:
        return len(self._capabilities)

    @property
    def names(self) -> tuple[str, ...]:
        """The capabilities' names, in run order."""
        return tuple(c.name for c in self._capabilities)

    @classmethod
    def default(cls, *, plugins: bool = True) -> CapabilityRegistry:
        """The built-in capabilities, then those of installed plugins (entry points).

        Raises:
            ImportError: a built-in capability module is missing (a packaging bug).
        """
        found = builtin_capabilities()
        if plugins:
            for point in entry_points(group=ENTRY_POINT_GROUP):
                factory: Callable[[], Capability] = point.load()
                found.append(factory())
        return cls(found)


def builtin_capabilities() -> list[Capability]:
    """The capabilities shipped in :mod:`caresec.capabilities`: every module there that
    defines ``ORDER`` (an int; lower runs first) and ``capability()`` (the factory).

    Raises:
        ImportError: a capability module fails to import (a packaging bug).
    """
    package = import_module(BUILTIN_PACKAGE)
    modules = [
        import_module(f"{BUILTIN_PACKAGE}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]
    ordered = sorted(
        (m for m in modules if hasattr(m, "capability")),
        key=lambda m: (int(getattr(m, "ORDER", 100)), m.__name__),
    )
    return [m.capability() for m in ordered]


__all__ = [
    "BUILTIN_PACKAGE",
    "ENTRY_POINT_GROUP",
    "AuditContext",
    "Capability",
    "CapabilityRegistry",
    "CapabilityResult",
    "ReportSection",
    "builtin_capabilities",
]
