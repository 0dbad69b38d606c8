"""CPE 2.3 applicability matching for CPE-only and firmware components, with false-positive guards.

Pure: no files, no network. Input records come from :mod:`caresec.collect.nvd` (CVE JSON 5 and
NVD CVE API 2.0). How a component is judged against one CVE record:

* Its CPE (``Component.cpe``, a CPE 2.3 formatted string) is compared attribute by attribute
  with each ``vulnerable`` criterion of the record's configurations, per NISTIR 7696 §6.2
  (*CPE Name Matching*): ``*`` (ANY) in the criterion matches every value; ``-`` (NA) matches
  only NA; literals compare case-insensitively, ``*``/``?`` at a literal's ends as wildcards.
  A criterion literal against an ANY in the component is *not* a match (the component does not
  say it has that value).
* The version attribute: a literal in the criterion must equal the component's version
  (per :func:`compare_versions`); ``*`` with NVD bounds (``versionStartIncluding`` …
  ``versionEndExcluding``) needs the component's version inside them.

Guards against the floods users report from other CPE scanners (each has a regression test):

1. A criterion with an ANY (``*``) vendor never matches a component that has a purl.
2. Criteria with ``vulnerable: false`` are platforms a product runs on/with: a component that
   only matches those is not vulnerable.
3. NA (``-``) is not ANY (``*``): a component version ``-`` never lies in a version range, and
   a criterion version ``-`` never matches a real version.
4. A purl whose namespace contradicts the criterion's vendor (no vendor token in the namespace)
   blocks the match (``pkg:maven/com.example/commons-text`` is not ``apache:commons_text``).
5. Ecosystems stay isolated: a criterion whose ``target_sw`` names a package ecosystem
   (``node.js``, ``python`` …) matches only components whose purl is of that ecosystem.
6. Versions are ordered by :func:`compare_versions`, which orders letter-suffixed firmware and
   OpenSSL-style versions (``1.1.1k < 1.1.1l``, ``1.1.1 < 1.1.1k``, ``10.4.3 < 10.4.10``).
7. Each component is judged on its own: a malformed CPE or an unorderable version makes that
   component :class:`~caresec.model.NotAssessed`, never aborts the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

from packageurl import PackageURL

from caresec.analyze.versions import UnparseableVersionError
from caresec.analyze.vulns import cvss_base_score, rating
from caresec.collect._cpe import to_cpe23
from caresec.model import (
    Component,
    EpssScore,
    KevEntry,
    NotAssessed,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.device import CpeCriterion, CveRecord

__all__ = [
    "CPE_PENDING_REASON",
    "Cpe",
    "compare_versions",
    "components_matching",
    "cpe_matches_criterion",
    "match_cpe",
    "parse_cpe",
    "replace_cpe_pending",
    "version_key",
]

CPE_PENDING_REASON = "no purl; CPE matching not available"
"""The reason the OSV matcher gives a CPE-only component (replaced after CPE matching)."""

ANY = "*"
NA = "-"
_FS_SPLIT = re.compile(r"(?<!\\):")
_ATTRIBUTES = ("part", "vendor", "product", "version", "update", "edition", "language",
               "sw_edition", "target_sw", "target_hw", "other")

# target_sw values naming a package ecosystem → purl types of that ecosystem (guard 5).
TARGET_SW_PURL_TYPES: dict[str, frozenset[str]] = {
    "node.js": frozenset({"npm"}),
    "nodejs": frozenset({"npm"}),
    "npm": frozenset({"npm"}),
    "python": frozenset({"pypi"}),
    "pypi": frozenset({"pypi"}),
    "ruby": frozenset({"gem"}),
    "rails": frozenset({"gem"}),
    "go": frozenset({"golang"}),
    "golang": frozenset({"golang"}),
    "rust": frozenset({"cargo"}),
    ".net": frozenset({"nuget"}),
    "nuget": frozenset({"nuget"}),
    "php": frozenset({"composer"}),
    "wordpress": frozenset({"composer"}),
    "java": frozenset({"maven"}),
    "maven": frozenset({"maven"}),
    "perl": frozenset({"cpan"}),
}

# --- version ordering -------------------------------------------------------------------------

_VERSION_TEXT = re.compile(r"^[a-z0-9]+(?:[._\-+~:][a-z0-9]+)*$")
_TOKENS = re.compile(r"\d+|[a-z]+")
_PRE_RELEASE = {"dev": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3,
                "rc": 4, "cr": 4}
_END = (1, 0, "")


@lru_cache(maxsize=65_536)
def version_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """An order key for a product or firmware version string.

    Rules (for CPE/NVD ``generic`` versions and device firmware, which follow no one scheme):
    runs of digits compare as integers (``10.4.10 > 10.4.3``, ``B.06.18 = B.6.18``); a letter
    run compares as text and sorts *after* the end of a shorter version (OpenSSL letter
    releases: ``1.1.1 < 1.1.1k < 1.1.1l``), except the pre-release words ``dev``, ``snapshot``,
    ``alpha``, ``beta``, ``pre``, ``preview``, ``rc``, ``cr`` after the first token, which sort
    before it in that order (SemVer 2.0.0 §11: ``2.0.0-beta < 2.0.0-rc < 2.0.0``). Separators
    (``. - _ + ~ :``) only split runs. A leading ``v`` before a digit is dropped.

    Raises:
        UnparseableVersionError: empty, ``*``/``-``, or text with spaces or other characters
            (``3.0 and prior``, ``< august 28``): not a version.
    """
    value = text.strip().lower()
    if re.match(r"^v\d", value):
        value = value[1:]
    if not value or not _VERSION_TEXT.match(value):
        raise UnparseableVersionError("generic", text, "not a version string")
    key: list[tuple[int, int, str]] = []
    for index, token in enumerate(_TOKENS.findall(value)):
        if token.isdigit():
            key.append((3, int(token), ""))
        elif index > 0 and token in _PRE_RELEASE:
            key.append((0, _PRE_RELEASE[token], token))
        else:
            key.append((2, 0, token))
    return tuple(key)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is below, equal to or above ``b`` (:func:`version_key`).

    Raises:
        UnparseableVersionError: either is not a version string.
    """
    ka, kb = list(version_key(a)), list(version_key(b))
    width = max(len(ka), len(kb))
    ka += [_END] * (width - len(ka))
    kb += [_END] * (width - len(kb))
    return (ka > kb) - (ka < kb)


# --- CPE names --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cpe:
    """A CPE 2.3 name split into its 11 attributes (formatted-string values, lower-cased,
    ``\\`` escapes kept so that ``*``/``?`` literals stay distinct from wildcards)."""

    part: str
    vendor: str
    product: str
    version: str
    update: str
    edition: str
    language: str
    sw_edition: str
    target_sw: str
    target_hw: str
    other: str

    def value(self, attribute: str) -> str:
        """The attribute's value by name."""
        return str(getattr(self, attribute))

    @property
    def plain_vendor(self) -> str:
        """The vendor without escapes (``nextgen``)."""
        return _unescape(self.vendor)


def parse_cpe(text: str) -> Cpe:
    """Parse a CPE 2.3 formatted string (or a 2.2 URI, converted per NISTIR 7695 §6.1.3).

    Raises:
        ValueError: not a CPE name (the message says why).
    """
    formatted = to_cpe23(text)
    fields = _FS_SPLIT.split(formatted[len("cpe:2.3:"):])
    return Cpe(*(f.lower() for f in fields))


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _literal_matches(source: str, target: str) -> bool:
    """NISTIR 7696 literal comparison, source wildcards ``*``/``?`` (unescaped) honoured."""
    if source == target or _unescape(source) == _unescape(target):
        return True
    if re.search(r"(?<!\\)[*?]", source):
        pattern = re.sub(r"\\(.)", lambda m: "[" + m.group(1) + "]", source)
        return fnmatchcase(_unescape(target), pattern)
    return False


def _attribute_matches(source: str, target: str) -> bool:
    if source == ANY:
        return True
    if source == NA or target == NA:
        return source == target  # guard 3: NA matches only NA
    if target == ANY:
        return False  # the component does not claim the value
    return _literal_matches(source, target)


# --- criterion matching -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Verdict:
    matched: bool
    reason: str


def cpe_matches_criterion(component: Component, criterion: CpeCriterion) -> tuple[bool, str]:
    """Whether ``component`` (its CPE, purl and version) is an instance of ``criterion``.

    Returns:
        ``(matched, reason)``: the reason says which attribute or guard decided.

    Raises:
        ValueError: the component's or the criterion's CPE is malformed.
        UnparseableVersionError: a version needed to judge the range does not parse.
    """
    verdict = _judge(component, criterion)
    return verdict.matched, verdict.reason


def _judge(component: Component, criterion: CpeCriterion) -> _Verdict:
    target = parse_cpe(component.cpe)
    source = parse_cpe(criterion.criteria)
    purl = _purl(component)
    if source.vendor == ANY and purl is not None:
        return _Verdict(False, "criterion vendor is ANY and the component has a purl (guard 1)")
    for attribute in _ATTRIBUTES:
        if attribute == "version":
            continue
        if not _attribute_matches(source.value(attribute), target.value(attribute)):
            return _Verdict(False, f"{attribute} {target.value(attribute)!r} does not match "
                                   f"{source.value(attribute)!r}")
    if purl is not None:
        blocked = _purl_guard(purl, source)
        if blocked:
            return _Verdict(False, blocked)
    return _version_verdict(component, target, source, criterion)


def _purl(component: Component) -> PackageURL | None:
    if not component.purl:
        return None
    try:
        return PackageURL.from_string(component.purl)
    except ValueError:
        return None


def _ecosystem_types(target_sw: str) -> frozenset[str]:
    if target_sw in (ANY, NA):
        return frozenset()
    return TARGET_SW_PURL_TYPES.get(_unescape(target_sw), frozenset())


def _purl_guard(purl: PackageURL, source: Cpe) -> str:
    kinds = _ecosystem_types(source.target_sw)
    if kinds and purl.type.lower() not in kinds:
        return (f"criterion target_sw {_unescape(source.target_sw)!r} is another ecosystem than "
                f"purl type {purl.type!r} (guard 5)")
    namespace = (purl.namespace or "").lower()
    if namespace and source.vendor not in (ANY, NA):
        vendor_tokens = {t for t in re.split(r"[_\-.\s]+", source.plain_vendor) if t}
        space_tokens = {t for t in re.split(r"[./@_\-]+", namespace) if t}
        joined = namespace.replace(".", "").replace("-", "").replace("_", "")
        if not vendor_tokens & space_tokens and source.plain_vendor.replace("_", "") not in joined:
            return (f"purl namespace {purl.namespace!r} contradicts CPE vendor "
                    f"{source.plain_vendor!r} (guard 4)")
    return ""


def _version_verdict(component: Component, target: Cpe, source: Cpe,
                     criterion: CpeCriterion) -> _Verdict:
    version = _unescape(target.version) if target.version not in (ANY, NA) else target.version
    if target.version == ANY and component.version.strip():
        version = component.version.strip()
    bounded = any((criterion.version_start_including, criterion.version_start_excluding,
                   criterion.version_end_including, criterion.version_end_excluding))
    if source.version == NA:
        ok = version == NA
        return _Verdict(ok, "criterion version is NA (-)" + ("" if ok else
                                                              f"; component has {version!r}"))
    if version == NA:
        return _Verdict(False, "component version is NA (-), which no version range holds "
                               "(guard 3)")
    if version == ANY:
        raise UnparseableVersionError("generic", "", "the component has no version")
    if source.version != ANY:
        literal = _unescape(source.version)
        if re.search(r"(?<!\\)[*?]", source.version):
            ok = _literal_matches(source.version, version)
        else:
            ok = compare_versions(version, literal) == 0
        if ok and bounded:
            ok = _in_bounds(version, criterion)
        return _Verdict(ok, f"version {version} {'=' if ok else '≠'} {literal}")
    if not bounded:
        return _Verdict(True, f"every version of {source.vendor}:{source.product}")
    inside = _in_bounds(version, criterion)
    return _Verdict(inside, f"version {version} {'in' if inside else 'outside'} "
                            f"{_bounds_text(criterion)}")


def _in_bounds(version: str, criterion: CpeCriterion) -> bool:
    if criterion.version_start_including and compare_versions(
            version, criterion.version_start_including) < 0:
        return False
    if criterion.version_start_excluding and compare_versions(
            version, criterion.version_start_excluding) <= 0:
        return False
    if criterion.version_end_including and compare_versions(
            version, criterion.version_end_including) > 0:
        return False
    return not (criterion.version_end_excluding and compare_versions(
        version, criterion.version_end_excluding) >= 0)


def _bounds_text(criterion: CpeCriterion) -> str:
    low = (f"[{criterion.version_start_including}" if criterion.version_start_including else
           f"({criterion.version_start_excluding}" if criterion.version_start_excluding else "(")
    high = (f"{criterion.version_end_including}]" if criterion.version_end_including else
            f"{criterion.version_end_excluding})" if criterion.version_end_excluding else ")")
    return f"{low}, {high}"


# --- public entry -------------------------------------------------------------------------------


def match_cpe(
    components: Sequence[Component],
    records: Sequence[CveRecord],
    kev: Mapping[str, KevEntry],
    epss: Mapping[str, EpssScore],
    *,
    already: Iterable[VulnerabilityMatch] = (),
) -> tuple[list[VulnerabilityMatch], list[NotAssessed]]:
    """Match every component that has a CPE against the CVE records' CPE applicability.

    Args:
        components: SBOM components (those without a CPE are ignored: the OSV matcher judges
            them).
        records: CVE records (:func:`caresec.collect.nvd.collect_cve_records`).
        kev: CISA KEV entries by CVE; a record's own ADP KEV date is used when the catalog
            lacks the CVE.
        epss: FIRST EPSS scores by CVE.
        already: matches found another way (OSV); the same component × vulnerability is not
            reported twice.

    Returns:
        ``(matches, not_assessed)``: one :class:`VulnerabilityMatch` per component × CVE
        (``advisory_ids`` name the record's format and file, ``basis`` the criterion and the
        version test), most severe first per component; one :class:`NotAssessed` per CPE
        component that could not be judged (malformed CPE, no version, a version that does
        not order). A component with a CPE that is not in ``not_assessed`` was judged against
        every record.
    """
    seen = {(m.component.key, i) for m in already for i in (m.vulnerability_id, *m.aliases)}
    matches: list[VulnerabilityMatch] = []
    not_assessed: list[NotAssessed] = []
    for component in components:
        if not component.cpe:
            continue
        try:
            parse_cpe(component.cpe)
        except ValueError as exc:
            not_assessed.append(NotAssessed(component, f"CPE not usable: {exc}"))
            continue
        found: list[VulnerabilityMatch] = []
        problems: list[str] = []
        for record in records:
            if (component.key, record.cve_id) in seen:
                continue
            try:
                hit = _record_hit(component, record)
            except (ValueError, UnparseableVersionError) as exc:
                problems.append(f"{record.cve_id}: {exc}")
                continue
            if hit is not None:
                found.append(_vulnerability(component, record, hit, kev, epss))
        if problems:
            not_assessed.append(NotAssessed(
                component, "CPE matching could not judge " + "; ".join(sorted(set(problems)))))
        matches.extend(sorted(found, key=lambda m: (m.severity.rank, -(m.cvss_score or 0.0),
                                                    m.vulnerability_id)))
    return matches, not_assessed


def components_matching(query: str, components: Iterable[Component]) -> list[Component]:
    """Components a purl or CPE query names (``caresec inventory where``).

    A purl query (``pkg:conan/openssl``, ``pkg:conan/openssl@1.1.1k``) matches components whose
    purl has the same type, namespace and name (case-insensitively), and the same version when
    the query gives one; qualifiers are ignored. A CPE query is matched like a CVE criterion
    (:func:`cpe_matches_criterion`: ``*`` is any value, a version range is not expressible) against
    components that have a CPE; a component whose version cannot be judged is left out.

    Raises:
        ValueError: the query is neither a valid purl nor a valid CPE name.
    """
    text = query.strip()
    if text.lower().startswith("pkg:"):
        wanted = PackageURL.from_string(text)
        found: list[Component] = []
        for component in components:
            theirs = _purl(component)
            if theirs is None:
                continue
            same = (theirs.type.lower() == wanted.type.lower()
                    and (theirs.namespace or "").lower() == (wanted.namespace or "").lower()
                    and theirs.name.lower() == wanted.name.lower())
            if same and wanted.version:
                same = theirs.version is not None and _equal_versions(theirs.version,
                                                                      wanted.version)
            if same:
                found.append(component)
        return found
    criterion = CpeCriterion(criteria=to_cpe23(text))
    hits: list[Component] = []
    for component in components:
        if not component.cpe:
            continue
        try:
            matched, _reason = cpe_matches_criterion(component, criterion)
        except (ValueError, UnparseableVersionError):
            continue
        if matched:
            hits.append(component)
    return hits


def _equal_versions(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return compare_versions(a, b) == 0
    except UnparseableVersionError:
        return False


def replace_cpe_pending(
    not_assessed: Sequence[NotAssessed], cpe_not_assessed: Sequence[NotAssessed]
) -> list[NotAssessed]:
    """The OSV matcher's not-assessed list after CPE matching ran: its "no purl; CPE matching
    not available" entries are dropped (CPE matching judged them) and the CPE matcher's own
    not-assessed entries added."""
    kept = [n for n in not_assessed if n.reason != CPE_PENDING_REASON]
    return kept + list(cpe_not_assessed)


@dataclass(frozen=True, slots=True)
class _Hit:
    criterion: CpeCriterion
    reason: str
    platforms: tuple[str, ...]


def _record_hit(component: Component, record: CveRecord) -> _Hit | None:
    undecided: Exception | None = None
    for configuration in record.configurations:
        platforms = tuple(c.criteria for node in configuration.nodes for c in node.matches
                          if not c.vulnerable)
        for node in configuration.nodes:
            if node.negate:
                continue
            for criterion in node.matches:
                if not criterion.vulnerable:
                    continue  # guard 2: running on/with platforms are not targets
                try:
                    verdict = _judge(component, criterion)
                except (ValueError, UnparseableVersionError) as exc:
                    undecided = exc
                    continue
                if verdict.matched:
                    needs = platforms if configuration.operator.upper() == "AND" else ()
                    return _Hit(criterion, verdict.reason, needs)
    if undecided is not None:
        raise undecided
    return None


def _vulnerability(
    component: Component,
    record: CveRecord,
    hit: _Hit,
    kev: Mapping[str, KevEntry],
    epss: Mapping[str, EpssScore],
) -> VulnerabilityMatch:
    best: tuple[float, str] | None = None
    for vector in record.severity:
        score = cvss_base_score(vector.type, vector.vector)
        if score is not None and (best is None or score > best[0]):
            best = (score, vector.vector)
    kev_entry = kev.get(record.cve_id)
    if kev_entry is None and record.kev_date_added is not None:
        kev_entry = KevEntry(cve_id=record.cve_id, date_added=record.kev_date_added,
                             name=f"stated by a CISA ADP container of {record.source}")
    basis = f"CPE {component.cpe} matches {hit.criterion.describe()}: {hit.reason}"
    if hit.platforms:
        basis += "; applies when running on/with " + " or ".join(hit.platforms)
    fixed = (hit.criterion.version_end_excluding,) if hit.criterion.version_end_excluding else ()
    return VulnerabilityMatch(
        component=component,
        vulnerability_id=record.cve_id,
        aliases=(),
        advisory_ids=(f"{record.record_format}: {record.source}".strip(": "),),
        summary=record.summary,
        severity=rating(best[0]) if best else Severity.UNKNOWN,
        cvss_score=best[0] if best else None,
        cvss_vector=best[1] if best else "",
        fixed_versions=fixed,
        kev=kev_entry,
        epss=epss.get(record.cve_id),
        basis=basis,
    )
