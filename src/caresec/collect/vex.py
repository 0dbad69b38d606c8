"""Read VEX statements: CycloneDX VEX, OpenVEX and CSAF VEX, into :class:`VexStatement` records.

Source formats:

* **CycloneDX** 1.4–1.6 JSON (``bomFormat: CycloneDX`` with ``vulnerabilities[]``): ``id``,
  ``analysis`` (``state``, ``justification``, ``response``, ``detail``, ``firstIssued``),
  ``affects[]`` (``ref`` — a bom-ref, a BOM-Link ``urn:cdx:<serial>/<version>#<bom-ref>`` or a
  purl — and ``versions[]`` with ``version``/``range`` and ``status``). States map to VEX
  statuses as CycloneDX's VEX guidance does: ``not_affected`` and ``false_positive`` →
  not_affected; ``resolved`` and ``resolved_with_pedigree`` → fixed; ``exploitable`` → affected;
  ``in_triage`` → under_investigation. The product is the VEX BOM's ``metadata.component``;
  refs to it make statements about the product itself, refs to other components make
  statements about those components *within* that product. A statement with no ``affects``
  covers every product of the ``metadata.supplier``/``manufacture`` (CycloneDX VEX use case 7).
  The organization's own fields: vulnerability ``properties`` ``caresec:vex:owner``,
  ``caresec:vex:expires`` (ISO date) and ``caresec:vex:scope`` (the product the statement is
  about, when the document has no ``metadata.component``), as :mod:`caresec.report.vex` writes
  them.
* **OpenVEX** 0.2.0 (``@context`` ``https://openvex.dev/ns/…``): ``statements[]`` with
  ``vulnerability`` (``name``, ``aliases``; a plain string in 0.0.x), ``products[]`` (``@id`` or
  ``identifiers.purl``/``cpe23``, with ``subcomponents[]``; plain strings in 0.0.x),
  ``status``, ``justification``, ``impact_statement``, ``action_statement``, ``timestamp``.
* **CSAF 2.0 VEX** (``document.category: csaf_vex``, or any CSAF document): each product in
  ``product_status`` ``known_not_affected``, ``fixed``, ``known_affected`` or
  ``under_investigation`` of a vulnerability, with the ``flags`` label (justification) and the
  ``threats[category=impact]`` details of that product.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from caresec.collect._json import as_dict as _dict
from caresec.collect._json import as_list as _list
from caresec.collect._json import as_text as _text
from caresec.collect._text import display_path, problem_from_error
from caresec.collect.csaf import is_csaf_document, load_json_file, parse_csaf
from caresec.errors import InputError
from caresec.model import InputProblem, ProblemSeverity
from caresec.model.device import (
    CsafAdvisory,
    ProductStatus,
    VexProduct,
    VexStatement,
    VexStatus,
)

__all__ = [
    "COLLECTOR",
    "EXPIRES_PROPERTY",
    "OWNER_PROPERTY",
    "SCOPE_PROPERTY",
    "collect_vex",
    "csaf_vex_statements",
    "parse_vex",
    "read_vex",
]

COLLECTOR = "vex"
OWNER_PROPERTY = "caresec:vex:owner"
EXPIRES_PROPERTY = "caresec:vex:expires"
SCOPE_PROPERTY = "caresec:vex:scope"

_CDX_STATES = {
    "not_affected": VexStatus.NOT_AFFECTED,
    "false_positive": VexStatus.NOT_AFFECTED,
    "resolved": VexStatus.FIXED,
    "resolved_with_pedigree": VexStatus.FIXED,
    "exploitable": VexStatus.AFFECTED,
    "in_triage": VexStatus.UNDER_INVESTIGATION,
}
_CSAF_STATUS = {
    ProductStatus.KNOWN_NOT_AFFECTED: VexStatus.NOT_AFFECTED,
    ProductStatus.FIXED: VexStatus.FIXED,
    ProductStatus.FIRST_FIXED: VexStatus.FIXED,
    ProductStatus.KNOWN_AFFECTED: VexStatus.AFFECTED,
    ProductStatus.FIRST_AFFECTED: VexStatus.AFFECTED,
    ProductStatus.LAST_AFFECTED: VexStatus.AFFECTED,
    ProductStatus.UNDER_INVESTIGATION: VexStatus.UNDER_INVESTIGATION,
}


def read_vex(path: Path, *, display: str | None = None) -> tuple[list[VexStatement],
                                                                   list[InputProblem]]:
    """Read one VEX document of any of the three formats.

    Raises:
        InputError: not readable JSON, or none of the formats.
    """
    shown = display or str(path)
    return parse_vex(load_json_file(path, shown), source=shown)


def parse_vex(data: object, *, source: str) -> tuple[list[VexStatement], list[InputProblem]]:
    """Statements of a parsed VEX JSON object (format recognized from the content).

    Raises:
        InputError: the object is not CycloneDX, OpenVEX or CSAF.
    """
    if not isinstance(data, dict):
        raise InputError(source, "", "a VEX document is a JSON object")
    if _text(data.get("bomFormat")).lower() == "cyclonedx":
        return _cyclonedx(data, source)
    if "openvex" in _text(data.get("@context")).lower():
        return _openvex(data, source)
    if is_csaf_document(data):
        return csaf_vex_statements(parse_csaf(data, source=source)), []
    raise InputError(source, "", "not a VEX document: expected CycloneDX (bomFormat), OpenVEX "
                     "(@context openvex.dev) or CSAF (document.csaf_version)")


def collect_vex(
    folder: Path, display_root: Path
) -> tuple[tuple[VexStatement, ...], tuple[InputProblem, ...]]:
    """Read every ``*.json`` VEX document under ``folder`` (recursively, sorted, hidden entries
    skipped); unreadable ones become problems (collector ``vex``)."""
    if not folder.is_dir():
        return (), ()
    statements: list[VexStatement] = []
    problems: list[InputProblem] = []
    for path in sorted(folder.rglob("*.json")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(p.startswith(".") for p in relative.parts):
            continue
        shown = display_path(path, display_root)
        try:
            found, file_problems = read_vex(path, display=shown)
        except InputError as exc:
            problems.append(problem_from_error(exc, COLLECTOR))
            continue
        statements.extend(found)
        problems.extend(file_problems)
    return tuple(statements), tuple(problems)


# --- CycloneDX ----------------------------------------------------------------------------------


def _cyclonedx(data: dict[str, Any], source: str) -> tuple[list[VexStatement], list[InputProblem]]:
    metadata = _dict(data.get("metadata"))
    product = _dict(metadata.get("component"))
    product_ref = _text(product.get("bom-ref"))
    components: dict[str, dict[str, Any]] = {}
    for component in _walk_components(_list(data.get("components"))):
        ref = _text(component.get("bom-ref"))
        if ref:
            components[ref] = component
    if product_ref:
        components.setdefault(product_ref, product)
    supplier = (_text(_dict(metadata.get("supplier")).get("name"))
                or _text(_dict(metadata.get("manufacture")).get("name"))
                or _text(_dict(metadata.get("manufacturer")).get("name")))
    statements: list[VexStatement] = []
    problems: list[InputProblem] = []
    for index, raw in enumerate(_list(data.get("vulnerabilities"))):
        place = f"/vulnerabilities/{index}"
        vulnerability = _dict(raw)
        ident = _text(vulnerability.get("id"))
        analysis = _dict(vulnerability.get("analysis"))
        state = _text(analysis.get("state"))
        if not ident or not state:
            if ident and not state:
                continue  # a vulnerability listed without analysis is not a VEX statement
            problems.append(InputProblem(source, place, "vulnerability without id; skipped",
                                         severity=ProblemSeverity.WARNING, collector=COLLECTOR))
            continue
        status = _CDX_STATES.get(state)
        if status is None:
            problems.append(InputProblem(source, f"{place}/analysis/state",
                                         f"unknown analysis state {state!r}; skipped",
                                         collector=COLLECTOR))
            continue
        properties = {_text(_dict(p).get("name")): _text(_dict(p).get("value"))
                      for p in _list(vulnerability.get("properties"))}
        expires = _date(properties.get(EXPIRES_PROPERTY, ""))
        if properties.get(EXPIRES_PROPERTY) and expires is None:
            problems.append(InputProblem(source, f"{place}/properties",
                                         f"{EXPIRES_PROPERTY} is not an ISO date; ignored",
                                         severity=ProblemSeverity.WARNING, collector=COLLECTOR))
        targets, scopes = _affects(_list(vulnerability.get("affects")), components, product_ref,
                                   status)
        scope = properties.get(SCOPE_PROPERTY) or (_text(product.get("name")) if scopes else "")
        statements.append(VexStatement(
            vulnerability_id=ident,
            status=status,
            products=tuple(targets),
            scope=scope,
            justification=_text(analysis.get("justification"))
            or ("false_positive" if state == "false_positive" else ""),
            detail=_text(analysis.get("detail")),
            response=tuple(_text(r) for r in _list(analysis.get("response")) if _text(r)),
            owner=properties.get(OWNER_PROPERTY, ""),
            expires=expires,
            issued=_date(analysis.get("firstIssued")) or _date(metadata.get("timestamp")),
            supplier=supplier if not targets else "",
            state=state,
            aliases=tuple(_text(_dict(r).get("id")) for r in _list(vulnerability.get("references"))
                          if _text(_dict(r).get("id"))),
            vex_format="CycloneDX",
            source=f"{source} ({place})",
        ))
    return statements, problems


def _walk_components(items: list[Any]) -> Iterator[dict[str, Any]]:
    for item in items:
        component = _dict(item)
        yield component
        yield from _walk_components(_list(component.get("components")))


def _affects(
    affects: list[Any], components: dict[str, dict[str, Any]], product_ref: str, status: VexStatus
) -> tuple[list[VexProduct], bool]:
    wanted = {"unaffected"} if status in (VexStatus.NOT_AFFECTED, VexStatus.FIXED) else \
        {"affected", "unknown"}
    targets: list[VexProduct] = []
    inside_product = False
    for raw in affects:
        entry = _dict(raw)
        ref = _text(entry.get("ref"))
        if not ref:
            continue
        local = unquote(ref.split("#", 1)[1]) if ref.startswith("urn:cdx:") and "#" in ref \
            else ref
        versions = tuple(
            _text(v.get("range")) or _text(v.get("version"))
            for v in map(_dict, _list(entry.get("versions")))
            if _text(v.get("status") or "affected") in wanted
            and (_text(v.get("range")) or _text(v.get("version"))))
        component = components.get(local)
        if component is None and local.startswith("pkg:"):
            targets.append(VexProduct(ref=local, purl=local, versions=versions))
            inside_product = inside_product or bool(product_ref)
            continue
        if component is None:
            targets.append(VexProduct(ref=local, versions=versions))
            continue
        if local != product_ref:
            inside_product = True
        version = _text(component.get("version"))
        targets.append(VexProduct(
            ref=local, purl=_text(component.get("purl")), cpe=_text(component.get("cpe")),
            name=_text(component.get("name")),
            versions=versions or ((version,) if version else ())))
    return targets, inside_product


# --- OpenVEX ------------------------------------------------------------------------------------


def _openvex(data: dict[str, Any], source: str) -> tuple[list[VexStatement], list[InputProblem]]:
    statements: list[VexStatement] = []
    problems: list[InputProblem] = []
    author = _text(data.get("author"))
    issued = _date(data.get("timestamp"))
    for index, raw in enumerate(_list(data.get("statements"))):
        place = f"/statements/{index}"
        item = _dict(raw)
        vulnerability = item.get("vulnerability")
        if isinstance(vulnerability, dict):
            ident = _text(vulnerability.get("name")) or _text(vulnerability.get("@id"))
            aliases = tuple(_text(a) for a in _list(vulnerability.get("aliases")) if _text(a))
        else:
            ident, aliases = _text(vulnerability), ()
        try:
            status = VexStatus(_text(item.get("status")))
        except ValueError:
            problems.append(InputProblem(source, f"{place}/status",
                                         f"unknown status {_text(item.get('status'))!r}; skipped",
                                         collector=COLLECTOR))
            continue
        if not ident:
            problems.append(InputProblem(source, f"{place}/vulnerability",
                                         "statement without a vulnerability; skipped",
                                         collector=COLLECTOR))
            continue
        for product in _list(item.get("products")):
            target, scope, subcomponents = _openvex_product(product)
            covered = subcomponents or [target]
            statements.append(VexStatement(
                vulnerability_id=ident, status=status, products=tuple(covered),
                scope=scope if subcomponents else "",
                justification=_text(item.get("justification")),
                detail=_text(item.get("impact_statement")) or _text(item.get("status_notes")),
                response=tuple(x for x in (_text(item.get("action_statement")),) if x),
                owner=author, issued=_date(item.get("timestamp")) or issued,
                state=status.value, aliases=aliases, vex_format="OpenVEX",
                source=f"{source} ({place})"))
    return statements, problems


def _openvex_product(product: object) -> tuple[VexProduct, str, list[VexProduct]]:
    if isinstance(product, str):
        return _identifier_product(product, {}), product, []
    entry = _dict(product)
    ident = _text(entry.get("@id"))
    target = _identifier_product(ident, _dict(entry.get("identifiers")))
    subs = [_identifier_product(_text(_dict(s).get("@id")), _dict(_dict(s).get("identifiers")))
            for s in _list(entry.get("subcomponents"))]
    return target, ident or target.purl or target.cpe, subs


def _identifier_product(ident: str, identifiers: dict[str, Any]) -> VexProduct:
    purl = _text(identifiers.get("purl")) or (ident if ident.startswith("pkg:") else "")
    cpe = _text(identifiers.get("cpe23")) or _text(identifiers.get("cpe22")) or (
        ident if ident.startswith("cpe:") else "")
    name = "" if (purl or cpe) else ident
    return VexProduct(ref=ident, purl=purl, cpe=cpe, name=name)


# --- CSAF ----------------------------------------------------------------------------------------


def csaf_vex_statements(advisory: CsafAdvisory) -> list[VexStatement]:
    """VEX statements of a CSAF document: one per vulnerability × product status group."""
    statements: list[VexStatement] = []
    for v_index, vulnerability in enumerate(advisory.vulnerabilities):
        ident = vulnerability.vulnerability_id
        if not ident:
            continue
        for group, product_ids in vulnerability.product_status:
            status = _CSAF_STATUS.get(group)
            if status is None:
                continue
            for product_id in product_ids:
                product = advisory.product(product_id)
                if product is None:
                    continue
                justification = next((label for label, ids in vulnerability.flags
                                      if product_id in ids), "")
                detail = next((text for text, ids in vulnerability.impacts
                               if product_id in ids), "")
                version = product.version if not product.version_is_range or \
                    product.version.startswith("vers:") else ""
                name = product.product_name or product.name
                statements.append(VexStatement(
                    vulnerability_id=ident, status=status,
                    products=(VexProduct(ref=product_id,
                                         purl=product.purls[0] if product.purls else "",
                                         cpe=product.cpe, name=name,
                                         versions=(version,) if version else ()),),
                    justification=justification, detail=detail,
                    supplier=product.vendor, state=group.value,
                    issued=advisory.current_release or advisory.initial_release,
                    owner=advisory.publisher, vex_format="CSAF",
                    source=f"{advisory.source} (/vulnerabilities/{v_index})"))
    return statements


# --- JSON helpers -------------------------------------------------------------------------------





def _date(value: object) -> date | None:
    found = re.match(r"^(\d{4})-(\d{2})-(\d{2})", _text(value))
    if not found:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None
