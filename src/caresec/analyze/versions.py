"""Version ordering per package ecosystem, for OSV range evaluation.

Each supported OSV ecosystem maps to a *scheme*; each scheme parses a version string into an
object ordered the way that ecosystem orders versions. The parsing is done by maintained
libraries: ``packaging`` (PEP 440) with ``packaging-legacy`` (pre-PEP 440 ``LegacyVersion``
ordering, as pip and OSV order them), and ``univers`` for the others. Three narrow adapters
sit on top, each checked against the osv-scanner golden files (``internal/semantic/fixtures``):

* Maven: ``univers.maven.Version`` (Maven ``ComparableVersion``) used directly, because
  ``univers.versions.MavenVersion`` strips a leading ``v`` that Maven keeps as a qualifier;
  ``release`` is an alias of the empty qualifier (as ``ga`` and ``final`` are, Maven ≥ 3.9);
  a null qualifier between two hyphens (``1-ga-1``) is dropped, as OSV does.
* RPM (Red Hat and other RPM distributions): ``univers`` ``RpmVersion``; an EVR with an
  empty release after the hyphen (``1-``) or a non-numeric epoch is rejected as unparseable
  rather than ordered differently from ``rpm``.
* CRAN: R ``numeric_version`` ordering — a version is integers separated by ``.`` or ``-``
  (R documentation, ``?numeric_version``) compared as integer sequences; ``univers`` has no
  class for it (its ``GenericVersion`` orders ``0.9`` after ``0.75``).

Packagist is not supported: ``univers`` ``ComposerVersion`` ordered 29 of the 95 golden pairs
differently from Composer (``1.0-dev < 1.0a1`` and others), so components in it are reported
as not assessed rather than matched on a wrong order.

Versions a scheme's own grammar rejects (``1beta`` for RubyGems, ``6.6.2p1`` for Alpine)
raise :class:`UnparseableVersionError`; the matcher then reports the component as not
assessed. They are never ordered by a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from packaging.utils import canonicalize_name
from packaging_legacy.version import (  # type: ignore[import-untyped]
    parse as parse_pep440_or_legacy,
)
from univers import maven as univers_maven
from univers import versions as univers_versions

from caresec.errors import CaresecError

__all__ = [
    "ECOSYSTEM_SCHEMES",
    "PURL_TYPE_ECOSYSTEMS",
    "SEMVER_SCHEME",
    "Comparable",
    "UnparseableVersionError",
    "compare",
    "ecosystem_base",
    "is_supported",
    "normalize_name",
    "osv_ecosystem",
    "parse",
    "parse_in_scheme",
    "scheme_for",
]


class UnparseableVersionError(CaresecError):
    """A version string is not valid in its ecosystem's version grammar.

    Attributes:
        ecosystem: the OSV ecosystem (or ``SEMVER``) the version was read in.
        version: the version string as given.
        reason: what the grammar objected to, when known.
    """

    def __init__(self, ecosystem: str, version: str, reason: str = "") -> None:
        detail = f": {reason}" if reason else ""
        super().__init__(f"version {version!r} is not a valid {ecosystem} version{detail}")
        self.ecosystem = ecosystem
        self.version = version
        self.reason = reason


class Comparable(Protocol):
    """A parsed version: totally ordered against versions of the same scheme."""

    def __lt__(self, other: Any, /) -> bool: ...

    def __eq__(self, other: object, /) -> bool: ...


SEMVER_SCHEME = "semver"
"""The scheme of OSV ``SEMVER`` ranges (SemVer 2.0.0 §11 precedence), whatever the ecosystem."""

# OSV ecosystem (the part before any ``:`` suffix) → scheme. Only ecosystems whose ordering is
# checked against golden pairs are listed (see tests/analyze/test_versions.py).
ECOSYSTEM_SCHEMES: dict[str, str] = {
    "PyPI": "pypi",
    "npm": SEMVER_SCHEME,
    "crates.io": SEMVER_SCHEME,
    "Go": "go",
    "Maven": "maven",
    "NuGet": "nuget",
    "RubyGems": "rubygems",
    "Debian": "debian",
    "Ubuntu": "debian",
    "Alpine": "alpine",
    "Red Hat": "rpm",
    "AlmaLinux": "rpm",
    "Rocky Linux": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "CRAN": "cran",
}

# purl type (purl-spec PURL-TYPES) → OSV ecosystem.
PURL_TYPE_ECOSYSTEMS: dict[str, str] = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "deb": "Debian",
    "apk": "Alpine",
    "rpm": "Red Hat",
    "cran": "CRAN",
    "hex": "Hex",
    "pub": "Pub",
    "swift": "SwiftURL",
    "hackage": "Hackage",
    "conan": "ConanCenter",
    "github": "GitHub Actions",
}


def ecosystem_base(ecosystem: str) -> str:
    """The OSV ecosystem without its ``:<suffix>`` (``Debian:12`` → ``Debian``,
    ``Maven:https://maven.google.com`` → ``Maven``); OSV schema 1.6 §affected[].package."""
    return ecosystem.split(":", 1)[0]


def osv_ecosystem(ecosystem_or_purl_type: str) -> str:
    """The OSV ecosystem base for an OSV ecosystem (suffix dropped) or a purl type
    (``pypi`` → ``PyPI``, ``golang`` → ``Go``); an unknown value is returned as given."""
    base = ecosystem_base(ecosystem_or_purl_type)
    return PURL_TYPE_ECOSYSTEMS.get(base, base)


def normalize_name(ecosystem: str, name: str) -> str:
    """The lookup key of a package name in an ecosystem (OSV name or purl type).

    PyPI names are normalized per PEP 503 (``Foo_Bar`` → ``foo-bar``); NuGet and Packagist
    names are case-insensitive and lower-cased; npm, Maven (``group:artifact``), Go module
    paths, crates, gems and distribution source packages are compared exactly.
    """
    base = osv_ecosystem(ecosystem)
    text = name.strip()
    if base == "PyPI":
        return canonicalize_name(text)
    if base in _CASE_INSENSITIVE_NAMES:
        return text.lower()
    return text


_CASE_INSENSITIVE_NAMES = frozenset({"NuGet", "Packagist"})


def scheme_for(ecosystem: str) -> str | None:
    """The version scheme of an OSV ecosystem or a purl type, or None when not supported.

    Accepts ``SEMVER`` (the OSV range type) too, returning the SemVer scheme.
    """
    if ecosystem == "SEMVER":
        return SEMVER_SCHEME
    return ECOSYSTEM_SCHEMES.get(osv_ecosystem(ecosystem))


def is_supported(ecosystem: str) -> bool:
    """Whether versions of ``ecosystem`` (OSV name, with or without suffix, or purl type) can be
    ordered; False for ecosystems such as Packagist, Hex, Pub or GitHub Actions."""
    return scheme_for(ecosystem) is not None


# --- adapters ----------------------------------------------------------------------------------

_MAVEN_NULL_BETWEEN_HYPHENS = re.compile(r"-(?:ga|final|release)(?=-)", re.IGNORECASE)


class _MavenVersion(univers_maven.Version):
    """Maven ``ComparableVersion`` with ``release`` as an alias of the empty qualifier."""

    def _parse_buffer(self, buf: str, followed_by_digit: bool = False) -> object:
        value = super()._parse_buffer(buf, followed_by_digit)  # type: ignore[no-untyped-call]
        return "" if value == "release" else value


def _parse_maven(version: str) -> Comparable:
    text = _MAVEN_NULL_BETWEEN_HYPHENS.sub("", version.strip())
    if not text:
        raise UnparseableVersionError("Maven", version, "empty")
    parsed: Comparable = _MavenVersion(text)  # type: ignore[no-untyped-call]
    return parsed


_RPM_EPOCH = re.compile(r"^(\d+):")


def _parse_rpm(version: str) -> Comparable:
    text = version.strip()
    if ":" in text and not _RPM_EPOCH.match(text):
        raise UnparseableVersionError("RPM", version, "the epoch is not a number")
    if text.endswith("-"):
        raise UnparseableVersionError("RPM", version, "empty release after '-'")
    return _univers(univers_versions.RpmVersion, "RPM")(text)


_CRAN = re.compile(r"\d+(?:[.-]\d+)*")


def _parse_cran(version: str) -> Comparable:
    text = version.strip()
    if not _CRAN.fullmatch(text):
        raise UnparseableVersionError("CRAN", version, "not integers separated by '.' or '-'")
    return tuple(int(part) for part in re.split(r"[.-]", text))


def _parse_pypi(version: str) -> Comparable:
    if not version.strip():
        raise UnparseableVersionError("PyPI", version, "empty")
    parsed: Comparable = parse_pep440_or_legacy(version.strip())
    return parsed


def _univers(cls: type[Any], label: str) -> Callable[[str], Comparable]:
    def parse_with(version: str) -> Comparable:
        try:
            parsed: Comparable = cls(version)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            raise UnparseableVersionError(label, version) from exc
        return parsed

    return parse_with


_SCHEME_PARSERS: dict[str, Callable[[str], Comparable]] = {
    "pypi": _parse_pypi,
    SEMVER_SCHEME: _univers(univers_versions.SemverVersion, "SemVer"),
    "go": _univers(univers_versions.GolangVersion, "Go"),
    "maven": _parse_maven,
    "nuget": _univers(univers_versions.NugetVersion, "NuGet"),
    "rubygems": _univers(univers_versions.RubygemsVersion, "RubyGems"),
    "debian": _univers(univers_versions.DebianVersion, "Debian"),
    "alpine": _univers(univers_versions.AlpineLinuxVersion, "Alpine"),
    "rpm": _parse_rpm,
    "cran": _parse_cran,
}


@lru_cache(maxsize=262_144)
def parse_in_scheme(scheme: str, version: str) -> Comparable:
    """Parse ``version`` in a scheme (a value of :data:`ECOSYSTEM_SCHEMES`); cached.

    Raises:
        UnparseableVersionError: the scheme's grammar rejects the string.
        KeyError: unknown scheme (a programming error).
    """
    parser = _SCHEME_PARSERS[scheme]
    try:
        return parser(version)
    except UnparseableVersionError:
        raise
    except Exception as exc:  # third-party parsers raise assorted errors on odd input
        raise UnparseableVersionError(scheme, version, str(exc)) from exc


def parse(ecosystem: str, version: str) -> Comparable:
    """Parse ``version`` as ``ecosystem`` orders it.

    Args:
        ecosystem: OSV ecosystem (``PyPI``, ``Debian:12`` …), purl type (``pypi``) or ``SEMVER``.
        version: the version string.

    Raises:
        UnparseableVersionError: the ecosystem is not supported or the string is invalid in it.
    """
    scheme = scheme_for(ecosystem)
    if scheme is None:
        raise UnparseableVersionError(ecosystem, version, "ecosystem not supported")
    try:
        return parse_in_scheme(scheme, version)
    except UnparseableVersionError as exc:
        raise UnparseableVersionError(ecosystem, version, exc.reason) from exc


def compare(ecosystem: str, a: str, b: str) -> int:
    """Compare two versions of one ecosystem: -1 when ``a < b``, 0 when equal, 1 when ``a > b``.

    Raises:
        UnparseableVersionError: either version is invalid, or the ecosystem is not supported.
    """
    va, vb = parse(ecosystem, a), parse(ecosystem, b)
    if va < vb:
        return -1
    if vb < va:
        return 1
    return 0
