"""Match inventory devices to CSAF advisory products (CISA ICSMA and vendor CSAF).

Pure: no files, no network (the vendor alias table is a shipped catalog,
``catalogs/vendor-aliases.yaml``). ICS medical advisories carry no purl or CPE, so a device is
matched by **vendor + product + version** as the inventory records them:

* **Vendor**: names are folded (Unicode NFKD, lower case, parenthesized text, punctuation and
  corporate suffixes removed) and mapped through the alias table (``Phillips`` → ``Philips``,
  ``General Electric (GE)`` → ``GE Healthcare``). A CSAF vendor naming several companies
  (``Silex Technology and GE Healthcare``) matches any of them.
* **Product**: the CSAF ``product_name`` branch against the inventory ``model``, both folded
  and with a leading vendor name dropped; generic words (*monitor*, *pump*, *ventilator*,
  *system* …) are left out, so ``HAMILTON-T1`` of Hamilton Medical is ``T1 Ventilator``. Equal
  names match; a name that begins the other (family ``LOGIQ`` ↔ model ``LOGIQ E10``) matches
  with lower confidence when the shorter one holds a distinctive token. Exclusions written as
  ``X, not including Y`` are honoured.
* **Version**: the ``product_version`` (exact; lists ``1.10 | 1.11``; ``2.X`` wildcards) or
  ``product_version_range`` — ``vers:`` ranges (purl-spec *vers*, with ``vers:all/*``) and the
  free-text forms CISA writes: ``< 3.6.7``, ``<= 2.2.3``, ``>= 4.01 | <= 4.34``, ``3.0 and prior``,
  ``2.3.6 and below``, ``versions 2.x``, ``All versions prior to 3.6.7``, ``<= 12.2.x.x``.
  Versions are ordered by :func:`caresec.analyze.cpe.compare_versions`.

Each match has a :class:`~caresec.model.device.MatchBasis` and a
:class:`~caresec.model.device.Confidence`; a version text that cannot be read (``< august 28``,
``Rev J-M``) is returned as :class:`~caresec.model.device.UnparsedVersion`, and devices whose
vendor and product match it are matched ``name only`` (low confidence), never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict

from caresec.analyze.cpe import compare_versions, version_key
from caresec.analyze.versions import UnparseableVersionError
from caresec.analyze.vulns import cvss_base_score, rating
from caresec.catalogs.loader import CatalogHeader, load_catalog
from caresec.model import (
    Asset,
    AssetKind,
    Component,
    EpssScore,
    KevEntry,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.device import (
    Confidence,
    CsafAdvisory,
    CsafProduct,
    DeviceMatch,
    MatchBasis,
    ProductStatus,
    UnparsedVersion,
)

__all__ = [
    "DEVICE_SBOM_ID",
    "VendorAliasCatalog",
    "VendorAliases",
    "VersionSpec",
    "device_component",
    "device_vulnerability_matches",
    "match_devices",
    "parse_version_spec",
    "same_device",
    "vendor_aliases",
]

DEVICE_SBOM_ID = "inventory"
"""``Component.sbom_id`` of the components that stand for inventory devices."""

# --- vendor aliases -------------------------------------------------------------------------


class _Vendor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    aliases: list[str]
    note: str = ""


class VendorAliasCatalog(CatalogHeader):
    """``catalogs/vendor-aliases.yaml``: canonical vendor names and their spellings."""

    suffixes: list[str]
    vendors: list[_Vendor]


class VendorAliases:
    """Folds vendor names and maps spellings to one canonical key.

    Args:
        catalog: the alias catalog.
    """

    def __init__(self, catalog: VendorAliasCatalog) -> None:
        self._suffixes = frozenset(s.lower() for s in catalog.suffixes)
        self._canonical: dict[str, str] = {}
        self.prefixes: list[tuple[str, ...]] = []
        for vendor in catalog.vendors:
            key = self.fold(vendor.name)
            for spelling in (vendor.name, *vendor.aliases):
                folded = self.fold(spelling)
                self._canonical[folded] = key
                if folded:
                    self.prefixes.append(tuple(folded.split()))
        self.prefixes.sort(key=len, reverse=True)

    def fold(self, name: str) -> str:
        """Unicode-folded, lower-case, punctuation-free name without corporate suffixes."""
        words = [w for w in _fold(name).split() if w not in self._suffixes]
        return " ".join(words)

    def canonical(self, name: str) -> str:
        """The canonical key of a vendor name (the folded name when not in the table)."""
        folded = self.fold(name)
        return self._canonical.get(folded, folded)

    def keys(self, name: str) -> frozenset[str]:
        """Canonical keys of every company a vendor string names (``A and B``, ``A, B``)."""
        parts = [name, *re.split(r",|;|\band\b|&", name)]
        return frozenset(k for k in (self.canonical(p) for p in parts) if k)


@cache
def vendor_aliases() -> VendorAliases:
    """The shipped vendor alias table (``catalogs/vendor-aliases.yaml``), cached.

    Raises:
        CatalogError: the catalog is missing or invalid (a packaging bug).
    """
    return VendorAliases(load_catalog("vendor-aliases", VendorAliasCatalog))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = re.sub(r"\([^)]*\)", " ", plain)
    plain = re.sub(r"[^a-z0-9]+", " ", plain)
    return " ".join(plain.split())


# --- product names --------------------------------------------------------------------------

_GENERIC = frozenset({
    "monitor", "monitors", "pump", "pumps", "ventilator", "ventilators", "system", "systems",
    "device", "devices", "software", "firmware", "product", "products", "series", "family",
    "model", "unit", "units", "the", "and", "with", "for", "of", "all", "version", "versions",
    "medical", "patient", "infusion", "wireless",
})
_EXCLUSION = re.compile(r",?\s*\(?\s*(?:not including|excluding|except(?: for)?)\s+", re.I)


@dataclass(frozen=True, slots=True)
class _Name:
    tokens: tuple[str, ...]
    excluded: tuple[tuple[str, ...], ...]


def _product_name(text: str, aliases: VendorAliases) -> _Name:
    parts = _EXCLUSION.split(text, maxsplit=1)
    main = _strip_vendor(_fold(parts[0]).split(), aliases)
    excluded: list[tuple[str, ...]] = []
    if len(parts) > 1:
        for item in re.split(r",| and | or ", parts[1]):
            tokens = _strip_vendor(_fold(item).split(), aliases)
            if tokens:
                excluded.append(tokens)
    return _Name(main, tuple(excluded))


def _strip_vendor(tokens: list[str], aliases: VendorAliases) -> tuple[str, ...]:
    for prefix in aliases.prefixes:
        if len(tokens) > len(prefix) and tuple(tokens[: len(prefix)]) == prefix:
            return tuple(tokens[len(prefix):])
    return tuple(tokens)


def _distinctive(tokens: Sequence[str]) -> bool:
    useful = _core(tokens)
    if not useful:
        return False
    if len(useful) >= 2:
        return True
    token = useful[0]
    return len(token) >= 4 or (any(c.isdigit() for c in token) and any(c.isalpha() for c in token))


def _core(tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(t for t in tokens if t not in _GENERIC)


def _name_match(model: tuple[str, ...], product: _Name) -> str:
    """``exact``, ``family`` or "" (no match); generic words (*monitor*, *ventilator* …) are
    left out of the comparison, so ``T1`` is ``T1 Ventilator``."""
    mine, theirs = _core(model), _core(product.tokens)
    if not mine or not theirs:
        return ""
    for excluded in product.excluded:
        core = _core(excluded)
        if core and mine[: len(core)] == core:
            return ""
    if mine == theirs and _distinctive(mine):
        return "exact"
    shorter, longer = sorted((mine, theirs), key=len)
    if longer[: len(shorter)] == shorter and _distinctive(shorter):
        return "family"
    return ""


def _model_tokens(asset: Asset, aliases: VendorAliases) -> tuple[str, ...]:
    """The asset's model, folded, without a leading vendor name (an alias, or words of the
    asset's own vendor: ``HAMILTON-T1`` of Hamilton Medical → ``t1``)."""
    return _without_own_vendor(_strip_vendor(_fold(asset.model).split(), aliases), asset.vendor)


def _without_own_vendor(tokens: Sequence[str], vendor: str) -> tuple[str, ...]:
    remaining = list(tokens)
    own = set(_fold(vendor).split())
    while len(remaining) > 1 and remaining[0] in own:
        remaining.pop(0)
    return tuple(remaining)


def _named_product(text: str, vendor: str, aliases: VendorAliases) -> _Name:
    name = _product_name(text, aliases)
    return _Name(_without_own_vendor(name.tokens, vendor), name.excluded)


def same_device(vendor: str, product: str, asset: Asset, *,
                aliases: VendorAliases | None = None) -> str:
    """How a vendor + product name (an advisory's, an MDS2 form's) names an inventory asset:
    ``exact``, ``family`` (one name begins the other, distinctively) or "" (not this device).
    Vendors compare through the alias table; products as described in the module docstring."""
    table = aliases or vendor_aliases()
    if not asset.vendor or not asset.model or not table.keys(vendor) & table.keys(asset.vendor):
        return ""
    return _name_match(_model_tokens(asset, table), _named_product(product, vendor, table))


# --- version specifications -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bound:
    version: str
    inclusive: bool
    wildcard: int  # number of leading tokens compared (0 = whole version)


@dataclass(frozen=True, slots=True)
class VersionSpec:
    """A parsed advisory version text.

    Attributes:
        text: the text as written.
        basis: :class:`MatchBasis` a match on it gets (``exact version``, ``range`` for
            ``vers:``, ``parsed free text``).
        all_versions: every version is affected.
        exact: versions listed exactly.
        prefixes: wildcard prefixes (``2.x`` → ``2``).
        intervals: ``(lower, upper)`` bound pairs, either may be None (unbounded).
        excluded: versions excluded (``vers`` ``!=``).
    """

    text: str
    basis: MatchBasis
    all_versions: bool = False
    exact: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    intervals: tuple[tuple[_Bound | None, _Bound | None], ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def fixed_versions(self) -> tuple[str, ...]:
        """Exclusive upper bounds (``< 3.6.7`` → ``3.6.7``): the first unaffected versions."""
        return tuple(upper.version for _lower, upper in self.intervals
                     if upper is not None and not upper.inclusive and not upper.wildcard)

    def contains(self, version: str) -> bool:
        """Whether ``version`` is affected.

        Raises:
            UnparseableVersionError: ``version`` is not a version string.
        """
        version_key(version)
        if any(compare_versions(version, v) == 0 for v in self.excluded):
            return False
        if self.all_versions:
            return True
        if any(compare_versions(version, v) == 0 for v in self.exact):
            return True
        if any(_prefix_compare(version, p, len(version_key(p))) == 0 for p in self.prefixes):
            return True
        return any(_inside(version, lower, upper) for lower, upper in self.intervals)


def _prefix_compare(version: str, bound: str, depth: int) -> int:
    mine = version_key(version)[:depth] if depth else version_key(version)
    theirs = version_key(bound)
    return (mine > theirs) - (mine < theirs)


def _side(version: str, bound: _Bound) -> int:
    if bound.wildcard:
        return _prefix_compare(version, bound.version, bound.wildcard)
    return compare_versions(version, bound.version)


def _inside(version: str, lower: _Bound | None, upper: _Bound | None) -> bool:
    if lower is not None:
        side = _side(version, lower)
        if side < 0 or (side == 0 and not lower.inclusive):
            return False
    if upper is not None:
        side = _side(version, upper)
        if side > 0 or (side == 0 and not upper.inclusive):
            return False
    return True


class UnparsedError(ValueError):
    """A version text that is neither a version, a list, a wildcard nor a range."""


_OPS = ("<=", ">=", "!=", "=<", "=>", "<", ">", "=")
_WILDCARD = re.compile(r"^([a-z]?\d+(?:[._]\d+)*)(?:[._]x)+$")
_PHRASES_UPPER_INCL = re.compile(
    r"^(?P<v>\S+)\s+(?:and|or)\s+(?:prior|earlier|below|older|before|lower)$")
_PHRASES_LOWER_INCL = re.compile(r"^(?P<v>\S+)\s+(?:and|or)\s+(?:later|above|newer|higher)$")
_PREFIX_UPPER_EXCL = re.compile(
    r"^(?:all\s+)?(?:versions?\s+)?(?:prior to|before|earlier than|older than|lower than|"
    r"below)\s+(?:version\s+|v(?=\d))?(?P<v>\S+)$")
_PREFIX_UPPER_INCL = re.compile(r"^(?:up to|through|to)\s+(?:and including\s+)?(?P<v>\S+)$")
_THROUGH = re.compile(r"^(?P<a>\S+)\s+(?:through|to|-|–)\s+(?P<b>\S+)$")
_ALL = {"*", "all", "all versions", "any", "any version", "vers:all/*"}


def parse_version_spec(text: str, *, is_range: bool) -> VersionSpec:
    """Parse a CSAF ``product_version`` (``is_range`` False) or ``product_version_range`` text.

    Raises:
        UnparsedError: the text is not one of the forms listed in the module docstring (the
            message says why).
    """
    raw = text.strip()
    if raw.lower().startswith("vers:"):
        return _parse_vers(raw)
    cleaned = re.sub(r"\s*\([^)]*\)\s*$", "", raw).strip()
    lowered = re.sub(r"\s+", " ", cleaned.lower())
    lowered = re.sub(r"^(?:software |firmware )?versions? (?=\S)", "", lowered)
    if lowered in _ALL:
        return VersionSpec(raw, MatchBasis.FREE_TEXT, all_versions=True)
    parts = [p.strip() for p in re.split(r"\s*\|\s*", lowered) if p.strip()]
    if not parts:
        raise UnparsedError("empty version text")
    bounds: list[tuple[str, _Bound]] = []
    exact: list[str] = []
    prefixes: list[str] = []
    for part in parts:
        _parse_part(part, bounds, exact, prefixes)
    only_exact = not bounds and not prefixes
    basis = MatchBasis.EXACT_VERSION if (only_exact and not is_range) else MatchBasis.FREE_TEXT
    return VersionSpec(raw, basis, exact=tuple(exact), prefixes=tuple(prefixes),
                       intervals=_intervals(bounds))


def _parse_part(part: str, bounds: list[tuple[str, _Bound]], exact: list[str],
                prefixes: list[str]) -> None:
    for op in _OPS:
        if part.startswith(op):
            value = part[len(op):].strip().removeprefix("version ").strip()
            kind = {"=<": "<=", "=>": ">="}.get(op, op)
            if kind == "=":
                exact.append(_checked(value))
            elif kind == "!=":
                raise UnparsedError(f"'!=' outside a vers: range ({part!r})")
            else:
                bounds.append((kind, _bound(value, inclusive=kind in ("<=", ">="))))
            return
    for pattern, kind in ((_PHRASES_UPPER_INCL, "<="), (_PHRASES_LOWER_INCL, ">="),
                          (_PREFIX_UPPER_EXCL, "<"), (_PREFIX_UPPER_INCL, "<=")):
        found = pattern.match(part)
        if found:
            bounds.append((kind, _bound(found.group("v"), inclusive=kind != "<")))
            return
    through = _THROUGH.match(part)
    if through:
        bounds.append((">=", _bound(through.group("a"), inclusive=True)))
        bounds.append(("<=", _bound(through.group("b"), inclusive=True)))
        return
    wildcard = _WILDCARD.match(part.removeprefix("v") if re.match(r"^v\d", part) else part)
    if wildcard:
        prefixes.append(_checked(wildcard.group(1)))
        return
    exact.append(_checked(part))


def _bound(value: str, *, inclusive: bool) -> _Bound:
    text = value.strip().removeprefix("v") if re.match(r"^v\d", value.strip()) else value.strip()
    wildcard = _WILDCARD.match(text)
    if wildcard:
        prefix = _checked(wildcard.group(1))
        return _Bound(prefix, inclusive, len(version_key(prefix)))
    return _Bound(_checked(text), inclusive, 0)


def _checked(value: str) -> str:
    try:
        version_key(value)
    except UnparseableVersionError as exc:
        raise UnparsedError(f"{value!r} is not a version") from exc
    return value


def _intervals(
    bounds: list[tuple[str, _Bound]],
) -> tuple[tuple[_Bound | None, _Bound | None], ...]:
    """Pair bounds as *vers* does: sorted by version, a lower bound closes with the next upper
    bound; an upper bound with no lower before it starts at the bottom, a lower bound with no
    upper after it runs to the top."""
    ordered = sorted(bounds, key=lambda b: version_key(b[1].version))
    intervals: list[tuple[_Bound | None, _Bound | None]] = []
    pending: _Bound | None = None
    for kind, bound in ordered:
        if kind in (">", ">="):
            if pending is not None:
                intervals.append((pending, None))
            pending = bound
        else:
            intervals.append((pending, bound))
            pending = None
    if pending is not None:
        intervals.append((pending, None))
    return tuple(intervals)


def _parse_vers(text: str) -> VersionSpec:
    body = text[len("vers:"):]
    if "/" not in body:
        raise UnparsedError(f"{text!r} has no '/' after the versioning scheme")
    _scheme, constraints = body.split("/", 1)
    constraints = constraints.strip()
    if constraints == "*":
        return VersionSpec(text, MatchBasis.RANGE, all_versions=True)
    bounds: list[tuple[str, _Bound]] = []
    exact: list[str] = []
    excluded: list[str] = []
    for item in (c.strip() for c in constraints.split("|")):
        if not item:
            raise UnparsedError(f"{text!r} has an empty constraint")
        op = next((o for o in ("<=", ">=", "!=", "<", ">", "=") if item.startswith(o)), "=")
        value = item[len(op):] if item.startswith(op) else item
        value = _checked(value.strip())
        if op == "=":
            exact.append(value)
        elif op == "!=":
            excluded.append(value)
        else:
            bounds.append((op, _Bound(value, op in ("<=", ">="), 0)))
    return VersionSpec(text, MatchBasis.RANGE, exact=tuple(exact), excluded=tuple(excluded),
                       intervals=_intervals(bounds))


# --- matching -----------------------------------------------------------------------------------

_CONFIDENCE = {
    MatchBasis.EXACT_VERSION: Confidence.HIGH,
    MatchBasis.RANGE: Confidence.HIGH,
    MatchBasis.FREE_TEXT: Confidence.MEDIUM,
    MatchBasis.NAME_ONLY: Confidence.LOW,
}
_LOWER = {Confidence.HIGH: Confidence.MEDIUM, Confidence.MEDIUM: Confidence.LOW,
          Confidence.LOW: Confidence.LOW}
_NOT_DEVICES = frozenset({AssetKind.VENDOR, AssetKind.CLOUD_SERVICE})


def match_devices(
    assets: Sequence[Asset],
    advisories: Sequence[CsafAdvisory],
    *,
    aliases: VendorAliases | None = None,
) -> tuple[list[DeviceMatch], list[UnparsedVersion]]:
    """Match inventory assets to the products CSAF advisories list as affected.

    Args:
        assets: inventory assets; those with a vendor and model are considered (business
            associates and cloud services are not).
        advisories: CSAF documents (:func:`caresec.collect.csaf.collect_csaf`).
        aliases: the vendor alias table (default: the shipped one).

    Returns:
        ``(matches, unparsed)``: one :class:`DeviceMatch` per asset × advisory product listed in
        ``known_affected``/``first_affected``/``last_affected`` of some vulnerability whose
        version covers the asset's (``name only`` when the version cannot be judged); and one
        :class:`UnparsedVersion` per advisory product whose version text was not read. Assets in
        inventory order, advisories in the order given.
    """
    table = aliases or vendor_aliases()
    devices = [a for a in assets if a.kind not in _NOT_DEVICES and a.vendor and a.model]
    vendor_keys = {a.asset_id: table.keys(a.vendor) for a in devices}
    models = {a.asset_id: _model_tokens(a, table) for a in devices}
    matches: list[DeviceMatch] = []
    unparsed: list[UnparsedVersion] = []
    for advisory in advisories:
        affected = _affected_products(advisory)
        for product in advisory.products:
            if product.product_id not in affected:
                continue
            product_vendors = table.keys(product.vendor) if product.vendor else frozenset()
            name = _named_product(product.product_name or product.name, product.vendor, table)
            spec, problem = _spec(product)
            named: list[str] = []
            for asset in devices:
                if not product_vendors & vendor_keys[asset.asset_id]:
                    continue
                level = _name_match(models[asset.asset_id], name)
                if not level:
                    continue
                named.append(asset.asset_id)
                found = _device_match(asset, advisory, product, affected[product.product_id],
                                      spec, problem, level)
                if found is not None:
                    matches.append(found)
            if problem:
                unparsed.append(UnparsedVersion(
                    advisory_id=advisory.advisory_id, product_id=product.product_id,
                    product=f"{product.vendor} / {product.product_name or product.name}",
                    text=product.version, reason=problem, asset_ids=tuple(named),
                    source=advisory.source))
    order = {a.asset_id: i for i, a in enumerate(assets)}
    matches.sort(key=lambda m: order.get(m.asset_id, len(order)))
    return matches, unparsed


def _affected_products(advisory: CsafAdvisory) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for vulnerability in advisory.vulnerabilities:
        ident = vulnerability.vulnerability_id or advisory.advisory_id
        for product_id in vulnerability.products_with(
                ProductStatus.KNOWN_AFFECTED, ProductStatus.FIRST_AFFECTED,
                ProductStatus.LAST_AFFECTED):
            ids = found.setdefault(product_id, [])
            if ident not in ids:
                ids.append(ident)
    return {k: tuple(v) for k, v in found.items()}


def _spec(product: CsafProduct) -> tuple[VersionSpec | None, str]:
    if not product.version:
        return None, "the advisory gives no version for this product"
    try:
        return parse_version_spec(product.version, is_range=product.version_is_range), ""
    except UnparsedError as exc:
        return None, f"version text {product.version!r} was not read: {exc}"


def _device_match(
    asset: Asset,
    advisory: CsafAdvisory,
    product: CsafProduct,
    cve_ids: tuple[str, ...],
    spec: VersionSpec | None,
    problem: str,
    level: str,
) -> DeviceMatch | None:
    device = f"{asset.vendor} {asset.model}"
    label = f"{product.vendor} {product.product_name or product.name}".strip()
    named = (f"{device} is {label}" if level == "exact"
             else f"{device} is taken for {label} (product family or model name)")
    version = asset.version.strip()
    if spec is None:
        basis, reason = MatchBasis.NAME_ONLY, f"{named}; {problem}"
    elif spec.all_versions:
        basis, reason = spec.basis, f"{named}; every version is affected ({spec.text})"
    elif not version:
        basis = MatchBasis.NAME_ONLY
        reason = f"{named}; the inventory gives no version to compare with {spec.text!r}"
    else:
        try:
            inside = spec.contains(version)
        except UnparseableVersionError:
            basis = MatchBasis.NAME_ONLY
            reason = f"{named}; inventory version {version!r} cannot be ordered"
        else:
            if not inside:
                return None
            basis = spec.basis
            reason = f"{named}; version {version} is in {spec.text!r} ({spec.basis})"
    confidence = _CONFIDENCE[basis]
    if level != "exact":
        confidence = _LOWER[confidence]
    remediations = tuple(r for v in advisory.vulnerabilities for r in v.remediations
                         if not r.product_ids or product.product_id in r.product_ids)
    return DeviceMatch(
        asset_id=asset.asset_id, advisory=advisory, product=product, cve_ids=cve_ids,
        basis=basis, confidence=confidence, reason=reason,
        fixed_versions=spec.fixed_versions if spec else (),
        remediations=tuple(dict.fromkeys(remediations)),
        device=device, device_version=version,
    )


# --- into the vulnerability pipeline ----------------------------------------------------------


def device_component(match: DeviceMatch) -> Component:
    """The :class:`Component` that stands for a matched device in vulnerability records
    (``bom_ref`` ``device:<asset>``, ``sbom_id`` :data:`DEVICE_SBOM_ID`)."""
    return Component(bom_ref=f"device:{match.asset_id}", name=match.device,
                     version=match.device_version, sbom_id=DEVICE_SBOM_ID,
                     supplier=match.product.vendor, asset_ids=(match.asset_id,))


def device_vulnerability_matches(
    matches: Iterable[DeviceMatch],
    kev: Mapping[str, KevEntry],
    epss: Mapping[str, EpssScore],
) -> list[VulnerabilityMatch]:
    """One :class:`VulnerabilityMatch` per device × vulnerability, for findings and risks.

    CVSS is the highest base score among the advisory's scores for that product (computed
    from the vector, CVSS v3.x; the document's ``baseScore`` when the vector does not compute);
    ``basis`` names the advisory, the match basis and the confidence; ``advisory_ids`` the CSAF
    tracking id. A device matched through several products of one advisory gets one record per
    vulnerability.
    """
    found: dict[tuple[str, str], VulnerabilityMatch] = {}
    for match in matches:
        component = device_component(match)
        advisory = match.advisory
        for vulnerability in advisory.vulnerabilities:
            ident = vulnerability.vulnerability_id or advisory.advisory_id
            if ident not in match.cve_ids or (match.asset_id, ident) in found:
                continue
            best: tuple[float, str] | None = None
            for score in vulnerability.scores:
                if score.product_ids and match.product.product_id not in score.product_ids:
                    continue
                value = cvss_base_score("CVSS_V3", score.vector) if score.vector_type == \
                    "CVSS_V3" else None
                value = value if value is not None else score.base_score
                if value is not None and (best is None or value > best[0]):
                    best = (value, score.vector)
            cve = vulnerability.cve
            summary = vulnerability.title or (
                f"{vulnerability.cwe_id} in {match.product.product_name}" if vulnerability.cwe_id
                else advisory.title)
            found[(match.asset_id, ident)] = VulnerabilityMatch(
                component=component,
                vulnerability_id=ident,
                aliases=(),
                advisory_ids=(advisory.advisory_id,),
                summary=summary,
                severity=rating(best[0]) if best else Severity.UNKNOWN,
                cvss_score=best[0] if best else None,
                cvss_vector=best[1] if best else "",
                fixed_versions=match.fixed_versions,
                kev=kev.get(cve) if cve else None,
                epss=epss.get(cve) if cve else None,
                basis=f"{advisory.advisory_id}: {match.reason}; basis {match.basis}, "
                      f"confidence {match.confidence}",
            )
    return list(found.values())
