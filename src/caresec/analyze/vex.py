"""Apply VEX statements to findings: a not-affected statement suppresses a finding, visibly.

Pure: no files, no network. A statement applies to a ``vulnerability`` finding when

1. its vulnerability id (or an alias) is the finding's vulnerability id or one of its aliases;
2. every component behind the finding (from ``matches``; the finding's lead match otherwise) is
   covered by one of the statement's products: same purl (type, namespace, name; the version
   too when the statement's purl has one — qualifiers ignored), same CPE vendor:product (and
   version unless ``*``), same bom-ref, or same name; limited to the statement's ``versions``
   (exact versions or ``vers:`` ranges) when it lists any; a statement with no products covers
   the components of its ``supplier`` (vendor names folded and aliased as for devices);
3. its ``scope`` (the product the statement is about), when set, is the product of the SBOM the
   component came from (its ``subject``, version dropped) or, for a device, the device.

Because products are matched by identity and not by bom-ref serial or SBOM version, a statement
an organization makes about ``pkg:maven/…/jackson-databind`` in its *Mirth Connect* product
carries across new SBOM versions of Mirth Connect; a vendor statement that names versions
applies only to them.

Effects (CISA *Minimum Requirements for VEX*, 2023, statuses): ``not_affected`` and ``fixed``
set the finding's status to ``suppressed`` — it stays in the register with the statement in its
details and evidence; a statement past its ``expires`` date suppresses nothing and says so;
``affected`` and ``under_investigation`` keep the finding open and add the statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from packageurl import PackageURL

from caresec.analyze.cpe import compare_versions, parse_cpe
from caresec.analyze.devices import (
    DEVICE_SBOM_ID,
    UnparsedError,
    parse_version_spec,
    vendor_aliases,
)
from caresec.analyze.versions import UnparseableVersionError
from caresec.model import Component, Evidence, Finding, FindingStatus, Sbom, VulnerabilityMatch
from caresec.model.device import VexProduct, VexStatement, VexStatus

__all__ = [
    "applicable_statements",
    "apply_vex",
    "describe_statement",
    "statement_covers",
    "suppresses",
]

_SUPPRESSING = frozenset({VexStatus.NOT_AFFECTED, VexStatus.FIXED})


def apply_vex(
    findings: Sequence[Finding],
    statements: Sequence[VexStatement],
    *,
    today: date,
    matches: Sequence[VulnerabilityMatch] = (),
    sboms: Sequence[Sbom] = (),
) -> list[Finding]:
    """Apply VEX statements to findings.

    Args:
        findings: findings of any kind (only ``vulnerability`` findings are touched).
        statements: VEX statements (:func:`caresec.collect.vex.collect_vex`).
        today: the audit date; statements whose ``expires`` is before it no longer suppress.
        matches: every vulnerability match, so that a finding merging several components is
            suppressed only when each of them is covered.
        sboms: the SBOMs, for statement ``scope`` (the SBOM subject is the product).

    Returns:
        The findings in the same order: suppressed ones with status
        :attr:`FindingStatus.SUPPRESSED`, and every applying statement added to ``details``
        (key ``vex``) and ``evidence`` (collector ``vex``).
    """
    applying = applicable_statements(findings, statements, matches=matches, sboms=sboms)
    return [_apply(finding, found, today) if found else finding
            for finding, found in zip(findings, applying, strict=True)]


def applicable_statements(
    findings: Sequence[Finding],
    statements: Sequence[VexStatement],
    *,
    matches: Sequence[VulnerabilityMatch] = (),
    sboms: Sequence[Sbom] = (),
) -> list[list[VexStatement]]:
    """The statements that apply to each finding (rules 1–3 of the module docstring), expired
    ones included, organization statements (with an owner) first.

    Args:
        findings: findings of any kind (only ``vulnerability`` findings get statements).
        statements: VEX statements.
        matches: every vulnerability match (a finding merging several components gets a
            statement only when each of them is covered).
        sboms: the SBOMs, for statement ``scope``.

    Returns:
        One list per finding, in the order of ``findings`` (empty: no statement applies).
    """
    subjects = {s.sbom_id: _subject_name(s.subject) for s in sboms}
    by_finding = _components_by_finding(matches)
    result: list[list[VexStatement]] = []
    for finding in findings:
        lead = finding.vulnerability
        if lead is None or not statements:
            result.append([])
            continue
        ids = {lead.vulnerability_id, *lead.aliases}
        components = by_finding.get((finding.asset_ids, lead.vulnerability_id)) or [lead.component]
        relevant = [s for s in statements if ids & {s.vulnerability_id, *s.aliases}]
        result.append(sorted((s for s in relevant
                              if all(statement_covers(s, c, subjects) for c in components)),
                             key=_order))
    return result


def suppresses(statement: VexStatement, today: date) -> bool:
    """True when ``statement`` suppresses findings on ``today``: status ``not_affected`` or
    ``fixed`` and not past its ``expires`` date."""
    expired = statement.expires is not None and statement.expires < today
    return statement.status in _SUPPRESSING and not expired


def statement_covers(statement: VexStatement, component: Component,
                     subjects: Mapping[str, str] | None = None) -> bool:
    """Whether ``statement`` is about ``component`` (rules 2–3 of the module docstring).

    Args:
        statement: the statement.
        component: an SBOM component or a device component (``sbom_id`` ``inventory``).
        subjects: SBOM id → product name (the SBOM subject without its version).
    """
    if statement.scope and not _in_scope(statement.scope, component, subjects or {}):
        return False
    if not statement.products:
        if not statement.supplier or not component.supplier:
            return False
        table = vendor_aliases()
        return bool(table.keys(statement.supplier) & table.keys(component.supplier))
    return any(_product_covers(p, component, statement.supplier) for p in statement.products)


def _apply(finding: Finding, statements: list[VexStatement], today: date) -> Finding:
    details = list(finding.details)
    evidence = list(finding.evidence)
    suppressed = False
    for statement in sorted(statements, key=_order):
        expired = statement.expires is not None and statement.expires < today
        text = describe_statement(statement)
        if expired:
            text = f"EXPIRED on {statement.expires.isoformat()} (no longer suppresses): {text}" \
                if statement.expires else text
        elif statement.status in _SUPPRESSING:
            suppressed = True
        details.append(("vex", text))
        evidence.append(Evidence(collector="vex", source=statement.source, description=text))
    status = FindingStatus.SUPPRESSED if suppressed and finding.status is FindingStatus.OPEN \
        else finding.status
    return replace(finding, status=status, details=tuple(details),
                   evidence=tuple(dict.fromkeys(evidence)))


def _order(statement: VexStatement) -> tuple[int, str]:
    return (0 if statement.owner else 1, statement.source)


def describe_statement(statement: VexStatement, *, with_source: bool = True) -> str:
    """One line stating a VEX statement: status, justification, detail, responses, then owner,
    issue and expiry dates and (unless ``with_source`` is False) its format and source."""
    parts = [f"{statement.status}"]
    if statement.justification:
        parts.append(f"justification {statement.justification}")
    if statement.detail:
        parts.append(statement.detail.rstrip().removesuffix("."))
    if statement.response:
        parts.append("response " + ", ".join(statement.response))
    who = []
    if statement.owner:
        who.append(f"owner {statement.owner}")
    if statement.issued:
        who.append(f"issued {statement.issued.isoformat()}")
    if statement.expires:
        who.append(f"expires {statement.expires.isoformat()}")
    text = "; ".join(parts)
    where = [", ".join(who)] if who else []
    if with_source:
        where.append(f"{statement.vex_format} {statement.source}".strip())
    return f"{text} ({'; '.join(where)})" if where else text


def _components_by_finding(
    matches: Iterable[VulnerabilityMatch],
) -> dict[tuple[tuple[str, ...], str], list[Component]]:
    grouped: dict[tuple[tuple[str, ...], str], list[Component]] = {}
    for match in matches:
        keys: list[tuple[str, ...]] = [(asset,) for asset in match.component.asset_ids] or [()]
        for key in keys:
            grouped.setdefault((key, match.vulnerability_id), []).append(match.component)
    return grouped


# --- product identity ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _subject_name(subject: str) -> str:
    words = subject.split()
    while words and re.match(r"^v?\d[\w.\-+]*$", words[-1]):
        words.pop()
    return " ".join(words)


def _in_scope(scope: str, component: Component, subjects: Mapping[str, str]) -> bool:
    wanted = _fold(scope)
    names = []
    if component.sbom_id == DEVICE_SBOM_ID:
        names.append(component.name)
    if component.sbom_id in subjects:
        names.append(subjects[component.sbom_id])
    for name in names:
        folded = _fold(name)
        if folded == wanted or folded.startswith(wanted + " ") or folded.endswith(" " + wanted):
            return True
    return False


def _product_covers(product: VexProduct, component: Component, supplier: str) -> bool:
    if product.purl and component.purl:
        same = _same_purl(product.purl, component.purl)
    elif product.cpe and component.cpe:
        same = _same_cpe(product.cpe, component.cpe)
    elif component.sbom_id == DEVICE_SBOM_ID and product.name:
        same = _same_device_product(product.name, supplier, component)
    else:
        same = bool((product.ref and product.ref == component.bom_ref)
                    or (product.name and _fold(product.name) == _fold(component.name)))
    return same and _version_allowed(product.versions, _component_version(component))


def _same_device_product(name: str, supplier: str, component: Component) -> bool:
    """A device component (``vendor model`` from the inventory, supplier = the advisory's
    vendor) is the statement's product when the product name ends its name and, when the
    statement names a supplier, the vendors agree through the alias table."""
    folded, mine = _fold(name), _fold(component.name)
    if not folded or not (mine == folded or mine.endswith(" " + folded)):
        return False
    if not supplier or not component.supplier:
        return True
    table = vendor_aliases()
    return bool(table.keys(supplier) & table.keys(component.supplier))


def _component_version(component: Component) -> str:
    if component.purl:
        try:
            version = PackageURL.from_string(component.purl).version
        except ValueError:
            version = None
        if version:
            return str(version)
    return component.version


def _same_purl(statement_purl: str, component_purl: str) -> bool:
    try:
        mine = PackageURL.from_string(statement_purl)
        theirs = PackageURL.from_string(component_purl)
    except ValueError:
        return False
    same = (mine.type.lower() == theirs.type.lower()
            and (mine.namespace or "").lower() == (theirs.namespace or "").lower()
            and mine.name.lower() == theirs.name.lower())
    if not same:
        return False
    return not mine.version or (theirs.version is not None and _same_version(mine.version,
                                                                              theirs.version))


def _same_cpe(statement_cpe: str, component_cpe: str) -> bool:
    try:
        mine, theirs = parse_cpe(statement_cpe), parse_cpe(component_cpe)
    except ValueError:
        return False
    if (mine.vendor, mine.product) != (theirs.vendor, theirs.product):
        return False
    return mine.version in ("*", "-") or _same_version(mine.version, theirs.version)


def _same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return compare_versions(a, b) == 0
    except UnparseableVersionError:
        return False


def _version_allowed(versions: Sequence[str], version: str) -> bool:
    if not versions:
        return True
    if not version:
        return False
    for allowed in versions:
        if allowed.startswith("vers:"):
            try:
                if parse_version_spec(allowed, is_range=True).contains(version):
                    return True
            except (UnparsedError, UnparseableVersionError):
                continue
        elif _same_version(allowed, version):
            return True
    return False
