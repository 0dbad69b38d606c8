"""Match SBOM components against OSV advisories; enrich with CVSS, CISA KEV and FIRST EPSS.

Pure: no files, no network. Advisories come from an :class:`AdvisorySource` (the feed store,
or an in-memory fake in tests).

How a component is matched:

1. Its purl (``pkg:pypi/urllib3@1.24.1``) gives the OSV ecosystem and package name: purl type →
   ecosystem (:data:`~caresec.analyze.versions.PURL_TYPE_ECOSYSTEMS`); Maven
   ``namespace:name``; npm ``@scope/name``; Go ``namespace/name``; ``deb`` and ``apk`` use the
   source package (``upstream`` qualifier when given) and the release from the ``distro``
   qualifier (``debian-12`` → ``Debian:12``, ``ubuntu-22.04`` → ``Ubuntu:22.04[:LTS]``,
   ``alpine-3.18.4`` → ``Alpine:v3.18``). The version is the purl's, else the component's.
2. Each advisory of that package (``withdrawn`` ones skipped) is evaluated as OSV schema 1.6
   §"Evaluation" specifies: the version is affected when it is listed in ``versions`` or lies
   in a range — events sorted by version (``introduced: "0"`` first), ``introduced`` opens,
   ``fixed`` closes at the version, ``last_affected`` closes after it, and the range applies
   only below some ``limit`` when limits are given. ``ECOSYSTEM`` ranges use the ecosystem's
   ordering, ``SEMVER`` ranges SemVer 2.0.0 precedence; ``GIT`` ranges cannot be evaluated
   from a version.
3. Matched advisories that share an id (``id``, ``aliases``, ``upstream``) are merged
   (union-find) into one :class:`VulnerabilityMatch` per vulnerability and component: the
   CVE id names it when there is one (else the lowest id); severity is the highest CVSS v3.x /
   v4.0 base score among the vectors (computed with the ``cvss`` library) rated on the FIRST
   scale (CVSS v3.1 specification §5: 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0
   critical); KEV by any CVE id; EPSS the highest among the CVE ids.

A component that cannot be judged — no purl, no version, unsupported ecosystem, a version its
ecosystem cannot parse, advisories with only GIT ranges or with versions that do not parse —
is returned as :class:`NotAssessed` with the reason, never as clean.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cmp_to_key, lru_cache
from typing import Protocol

from cvss import CVSS3, CVSS4, CVSSError
from packageurl import PackageURL

from caresec.analyze.versions import (
    SEMVER_SCHEME,
    Comparable,
    UnparseableVersionError,
    normalize_name,
    osv_ecosystem,
    parse_in_scheme,
    scheme_for,
)
from caresec.model import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    Component,
    EpssScore,
    KevEntry,
    NotAssessed,
    Severity,
    VulnerabilityMatch,
)

__all__ = ["AdvisorySource", "cvss_base_score", "match_components", "rating"]


class AdvisorySource(Protocol):
    """Where the matcher gets advisories (``caresec.store.FeedStore`` implements it)."""

    def advisories_for(self, ecosystem: str, name: str) -> Sequence[Advisory]:
        """Advisories with an affected package ``name`` in OSV ecosystem ``ecosystem`` (its
        ``:`` suffix ignored; names normalized per
        :func:`~caresec.analyze.versions.normalize_name`)."""
        ...


# --- public API ---------------------------------------------------------------------------------


def match_components(
    components: Sequence[Component],
    advisories: AdvisorySource,
    kev: Mapping[str, KevEntry],
    epss: Mapping[str, EpssScore],
    *,
    covered: Collection[str] | None = None,
) -> tuple[list[VulnerabilityMatch], list[NotAssessed]]:
    """Match every component against the advisories of its package.

    Args:
        components: SBOM components (any number of SBOMs).
        advisories: the advisory source.
        kev: CISA KEV entries keyed by CVE id.
        epss: FIRST EPSS scores keyed by CVE id.
        covered: the OSV ecosystems the advisory source holds advisories for
            (``FeedStore.ecosystems()``); a component of another ecosystem is *not assessed*
            ("the feeds hold no advisories for …"), never reported clean. None: every
            ecosystem is taken as covered (a caller that knows its source is complete).

    Returns:
        ``(matches, not_assessed)``: one :class:`VulnerabilityMatch` per component and
        vulnerability (components in input order; within one, most severe first), and one
        :class:`NotAssessed` per component that could not be judged (fully or in part).
    """
    matches: list[VulnerabilityMatch] = []
    not_assessed: list[NotAssessed] = []
    for component in components:
        target = _target(component)
        if isinstance(target, str):
            not_assessed.append(NotAssessed(component=component, reason=target))
            continue
        base = osv_ecosystem(target.ecosystem)
        if covered is not None and base not in covered:
            not_assessed.append(NotAssessed(
                component=component,
                reason=f"the feeds hold no {base} advisories, so this component was not checked",
            ))
            continue
        hits, undecided = _assess(target, advisories.advisories_for(target.ecosystem, target.name))
        if undecided:
            not_assessed.append(NotAssessed(component=component, reason=undecided))
        matches.extend(_merge(component, target, hits, kev, epss))
    return matches, not_assessed


@lru_cache(maxsize=65_536)
def cvss_base_score(kind: str, vector: str) -> float | None:
    """CVSS base score (0–10) of a ``CVSS_V3`` or ``CVSS_V4`` vector, None when it is malformed
    or of another type. Computed by the ``cvss`` library (FIRST CVSS v3.1 and v4.0)."""
    try:
        if kind == "CVSS_V3":
            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def rating(score: float | None) -> Severity:
    """FIRST qualitative rating of a CVSS base score (CVSS v3.1 specification §5, the same
    bands in v4.0): none 0.0, low 0.1–3.9, medium 4.0–6.9, high 7.0–8.9, critical 9.0–10.0;
    :attr:`Severity.UNKNOWN` when there is no score."""
    if score is None:
        return Severity.UNKNOWN
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.NONE


# --- what the component is ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    ecosystem: str  # OSV ecosystem base
    name: str
    key: str  # normalized name
    release: str  # distro release ("12", "22.04", "v3.18") or ""
    version: str


_DEBIAN_CODENAMES = {
    "buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2.0", "slink": "2.1", "potato": "2.2",
    "woody": "3.0", "sarge": "3.1", "etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7",
    "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
    "trixie": "13", "forky": "14",
}
_UBUNTU_CODENAMES = {
    "trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04",
    "jammy": "22.04", "noble": "24.04",
}
_NOT_MATCHED_TYPES = {
    "composer": "Packagist (purl type 'composer') is not supported: its version ordering "
    "could not be verified",
    "rpm": "rpm purls are not matched: OSV's RPM ecosystems are scoped to product streams "
    "that a purl does not name",
}


def _target(component: Component) -> _Target | str:
    if not component.purl:
        if component.cpe:
            return "no purl; CPE matching not available"
        return "no purl or CPE: the package cannot be identified"
    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError as exc:
        return f"purl {component.purl!r} is not a valid package URL ({exc})"
    kind = purl.type.lower()
    if kind in _NOT_MATCHED_TYPES:
        return _NOT_MATCHED_TYPES[kind]
    ecosystem = osv_ecosystem(kind)
    if scheme_for(ecosystem) is None:
        named = f" ({ecosystem})" if ecosystem != kind else ""
        return f"purl type {kind!r}{named} is not supported"
    version = (purl.version or component.version or "").strip()
    qualifiers = _qualifiers(purl)
    namespace = purl.namespace or ""
    name = purl.name
    release = ""
    if kind == "maven":
        name = f"{namespace}:{name}" if namespace else name
    elif kind in {"npm", "golang"}:
        name = f"{namespace}/{name}" if namespace else name
    elif kind in {"deb", "apk"}:
        upstream = qualifiers.get("upstream", "").split("@", 1)[0].strip()
        name = upstream or name
        distro = _distro(kind, namespace.lower(), qualifiers.get("distro", ""))
        if isinstance(distro, str):
            return distro
        ecosystem, release = distro
    if not version:
        return "no version"
    scheme = scheme_for(ecosystem)
    assert scheme is not None
    try:
        parse_in_scheme(scheme, version)
    except UnparseableVersionError:
        return f"version {version!r} is not a valid {ecosystem} version"
    return _Target(ecosystem=ecosystem, name=name, key=normalize_name(ecosystem, name),
                   release=release, version=version)


def _qualifiers(purl: PackageURL) -> dict[str, str]:
    raw = purl.qualifiers
    if isinstance(raw, dict):
        return {str(k).lower(): str(v) for k, v in raw.items()}
    return {}


def _distro(kind: str, namespace: str, distro: str) -> tuple[str, str] | str:
    text = distro.strip().lower()
    if kind == "apk":
        if namespace not in {"alpine", ""}:
            return f"apk namespace {namespace!r} is not supported (alpine is)"
        found = re.fullmatch(r"(?:alpine-)?v?(\d+)\.(\d+)(?:\.\d+)*", text)
        if not found:
            return ("apk purl has no usable distro qualifier (such as distro=alpine-3.18.4): "
                    "the Alpine release, and so its fixed versions, is unknown")
        return "Alpine", f"v{found.group(1)}.{found.group(2)}"
    if namespace == "ubuntu":
        text = text.removeprefix("ubuntu-")
        text = _UBUNTU_CODENAMES.get(text, text)
        found = re.fullmatch(r"(\d{2}\.\d{2})(?:\.\d+)?", text)
        if not found:
            return ("deb purl has no usable distro qualifier (such as distro=ubuntu-22.04): "
                    "the Ubuntu release, and so its fixed versions, is unknown")
        return "Ubuntu", found.group(1)
    if namespace == "debian":
        text = text.removeprefix("debian-")
        text = _DEBIAN_CODENAMES.get(text, text)
        found = re.fullmatch(r"(\d+)(?:\.\d+)*", text)
        if not found:
            return ("deb purl has no usable distro qualifier (such as distro=debian-12): "
                    "the Debian release, and so its fixed versions, is unknown")
        return "Debian", found.group(1)
    return f"deb namespace {namespace!r} is not supported (debian and ubuntu are)"


def _same_package(package: AffectedPackage, target: _Target) -> bool:
    if osv_ecosystem(package.ecosystem) != target.ecosystem:
        return False
    if normalize_name(package.ecosystem, package.name) != target.key:
        return False
    if not target.release:
        return True
    parts = package.ecosystem.split(":")[1:]
    if not parts:
        return True  # no release suffix: every release (OSV schema 1.6, Debian)
    # "Debian:12", "Alpine:v3.18", "Ubuntu:22.04:LTS"; "Ubuntu:Pro:18.04:LTS" (ESM) never equals
    return parts[0] == target.release


# --- evaluation ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Hit:
    advisory: Advisory
    fixed: list[str] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)


class _Undecidable(Exception):
    pass


def _assess(target: _Target, advisories: Sequence[Advisory]) -> tuple[list[_Hit], str]:
    hits: list[_Hit] = []
    git_only: list[str] = []
    undecided: list[str] = []
    seen: set[str] = set()
    for advisory in advisories:
        if advisory.withdrawn or advisory.advisory_id in seen:
            continue  # the same advisory from two feeds counts once (the first given)
        seen.add(advisory.advisory_id)
        hit = _Hit(advisory)
        for index, package in enumerate(advisory.affected):
            if not _same_package(package, target):
                continue
            try:
                _evaluate(package, target, hit)
            except _Undecidable as exc:
                undecided.append(f"{advisory.advisory_id} (/affected/{index}: {exc})")
            else:
                if not package.versions and package.ranges and all(
                    r.type == "GIT" for r in package.ranges
                ):
                    git_only.append(advisory.advisory_id)
        if hit.basis:
            hits.append(hit)
    reasons = []
    if git_only:
        ids = ", ".join(sorted(set(git_only)))
        reasons.append(f"advisories {ids} give only GIT commit ranges for {target.name}: "
                       f"version {target.version} cannot be placed in them")
    if undecided:
        reasons.append("advisories could not be evaluated: " + "; ".join(undecided))
    return hits, " ".join(reasons)


def _evaluate(package: AffectedPackage, target: _Target, hit: _Hit) -> None:
    """Add to ``hit`` when ``target.version`` is affected per ``package``."""
    scheme = scheme_for(package.ecosystem)
    if scheme is None:
        raise _Undecidable(f"ecosystem {package.ecosystem!r} not supported")
    who = f"{target.name} {target.version}"
    matched = False
    failures: list[str] = []
    for index, affected_range in enumerate(package.ranges):
        if affected_range.type == "GIT":
            continue
        range_scheme = SEMVER_SCHEME if affected_range.type == "SEMVER" else scheme
        try:
            version = parse_in_scheme(range_scheme, target.version)
            inside, interval, fixed = _in_range(version, affected_range, range_scheme)
        except UnparseableVersionError as exc:
            failures.append(f"ranges/{index}: {exc}")
            continue
        if inside:
            matched = True
            hit.basis.append(f"{who} is in {interval} ({affected_range.type} range of "
                             f"{hit.advisory.advisory_id})")
            hit.fixed.extend(v for v in fixed if v not in hit.fixed)
    if not matched and _listed(package.versions, target.version, scheme):
        hit.basis.append(f"{who} is listed in the affected versions of "
                         f"{hit.advisory.advisory_id}")
        for affected_range in package.ranges:
            if affected_range.type == "GIT":
                continue
            range_scheme = SEMVER_SCHEME if affected_range.type == "SEMVER" else scheme
            try:
                later = _later_fixes(affected_range, target.version, range_scheme)
            except UnparseableVersionError:
                continue
            hit.fixed.extend(v for v in later if v not in hit.fixed)
    if failures and not hit.basis:
        raise _Undecidable("; ".join(failures))


def _listed(versions: Sequence[str], version: str, scheme: str) -> bool:
    if not versions:
        return False
    if version in versions:
        return True
    mine = parse_in_scheme(scheme, version)
    for listed in versions:
        try:
            if parse_in_scheme(scheme, listed) == mine:
                return True
        except UnparseableVersionError:
            continue
    return False


@dataclass(frozen=True, slots=True)
class _Sorted:
    events: tuple[tuple[str, str, Comparable | None], ...]  # (kind, version, parsed|None for 0)
    limits: tuple[Comparable | None, ...]  # None for "*"


@lru_cache(maxsize=131_072)
def _sorted_events(affected_range: AffectedRange, scheme: str) -> _Sorted:
    events: list[tuple[str, str, Comparable | None]] = []
    limits: list[Comparable | None] = []
    for event in affected_range.events:
        if event.kind == "limit":
            limits.append(None if event.version == "*" else parse_in_scheme(scheme, event.version))
        elif event.kind == "introduced" and event.version == "0":
            events.append((event.kind, event.version, None))
        else:
            events.append((event.kind, event.version, parse_in_scheme(scheme, event.version)))

    def order(a: tuple[str, str, Comparable | None], b: tuple[str, str, Comparable | None]) -> int:
        if a[2] is None or b[2] is None:
            return (a[2] is not None) - (b[2] is not None)
        return -1 if a[2] < b[2] else (1 if b[2] < a[2] else 0)

    return _Sorted(tuple(sorted(events, key=cmp_to_key(order))), tuple(limits))


def _in_range(
    version: Comparable, affected_range: AffectedRange, scheme: str
) -> tuple[bool, str, list[str]]:
    """OSV schema 1.6 §Evaluation for one range: (affected, interval text, later fixes)."""
    ordered = _sorted_events(affected_range, scheme)
    if ordered.limits and not any(lim is None or version < lim for lim in ordered.limits):
        return False, "", []
    vulnerable = False
    opened = -1
    for position, (kind, _text, parsed) in enumerate(ordered.events):
        if kind == "introduced":
            if parsed is None or not version < parsed:
                vulnerable, opened = True, position
        elif kind == "fixed":
            if parsed is not None and not version < parsed:
                vulnerable = False
        elif kind == "last_affected" and parsed is not None and parsed < version:
            vulnerable = False
    later = [text for kind, text, parsed in ordered.events
             if kind == "fixed" and parsed is not None and version < parsed]
    if not vulnerable:
        return False, "", later
    start = ordered.events[opened][1]
    interval = f"[{start}, ∞)"
    for kind, text, _parsed in ordered.events[opened + 1 :]:
        if kind == "fixed":
            interval = f"[{start}, {text})"
            break
        if kind == "last_affected":
            interval = f"[{start}, {text}]"
            break
    return True, interval, later


def _later_fixes(affected_range: AffectedRange, version: str, scheme: str) -> list[str]:
    mine = parse_in_scheme(scheme, version)
    return [text for kind, text, parsed in _sorted_events(affected_range, scheme).events
            if kind == "fixed" and parsed is not None and mine < parsed]


# --- merging into vulnerabilities -----------------------------------------------------------------


def _merge(
    component: Component,
    target: _Target,
    hits: list[_Hit],
    kev: Mapping[str, KevEntry],
    epss: Mapping[str, EpssScore],
) -> list[VulnerabilityMatch]:
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for hit in hits:
        ids = hit.advisory.all_ids
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
        find(ids[0])
    groups: dict[str, list[_Hit]] = {}
    for hit in hits:
        groups.setdefault(find(hit.advisory.advisory_id), []).append(hit)
    scheme = scheme_for(target.ecosystem) or SEMVER_SCHEME
    found = [_vulnerability(component, group, scheme, kev, epss) for group in groups.values()]
    return sorted(found, key=lambda m: (m.severity.rank, -(m.cvss_score or 0.0),
                                        m.vulnerability_id))


def _vulnerability(
    component: Component,
    group: list[_Hit],
    scheme: str,
    kev: Mapping[str, KevEntry],
    epss: Mapping[str, EpssScore],
) -> VulnerabilityMatch:
    ids = sorted({i for hit in group for i in hit.advisory.all_ids})
    cves = sorted((i for i in ids if i.startswith("CVE-")), key=_cve_order)
    chosen = cves[0] if cves else ids[0]
    advisories = sorted(group, key=lambda hit: hit.advisory.advisory_id)
    summary = next((h.advisory.summary for h in advisories
                    if h.advisory.advisory_id == chosen and h.advisory.summary), "")
    summary = summary or next((h.advisory.summary for h in advisories if h.advisory.summary), "")
    best: tuple[float, str] | None = None
    for hit in advisories:
        for vector in hit.advisory.severity:
            score = cvss_base_score(vector.type, vector.vector)
            if score is not None and (best is None or score > best[0]):
                best = (score, vector.vector)
    kev_entry = next((kev[c] for c in cves if c in kev), None)
    scores = [epss[c] for c in cves if c in epss]
    fixed = {v for hit in group for v in hit.fixed}
    return VulnerabilityMatch(
        component=component,
        vulnerability_id=chosen,
        aliases=tuple(i for i in ids if i != chosen),
        advisory_ids=tuple(h.advisory.advisory_id for h in advisories),
        summary=summary,
        severity=rating(best[0] if best else None),
        cvss_score=best[0] if best else None,
        cvss_vector=best[1] if best else "",
        fixed_versions=tuple(_sort_versions(fixed, scheme)),
        kev=kev_entry,
        epss=max(scores, key=lambda s: s.epss) if scores else None,
        basis="; ".join(b for hit in advisories for b in hit.basis),
    )


def _cve_order(cve: str) -> tuple[int, int, str]:
    parts = cve.split("-")
    try:
        return int(parts[1]), int(parts[2]), cve
    except (IndexError, ValueError):
        return 10**9, 0, cve


def _sort_versions(versions: set[str], scheme: str) -> list[str]:
    try:
        keyed = [(parse_in_scheme(scheme, v), v) for v in versions]
        return [v for _p, v in sorted(keyed, key=cmp_to_key(_compare_pairs))]
    except UnparseableVersionError:
        return sorted(versions)


def _compare_pairs(a: tuple[Comparable, str], b: tuple[Comparable, str]) -> int:
    if a[0] < b[0]:
        return -1
    if b[0] < a[0]:
        return 1
    return (a[1] > b[1]) - (a[1] < b[1])

