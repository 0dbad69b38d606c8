"""SPDX 2.2/2.3 documents (JSON and tag-value) → :class:`ParsedSbom`, read with spdx-tools.

Each SPDX *package* becomes a component (SPDX 2.3 §7); files and snippets are not components.
``bom_ref`` is the package's SPDXID; the purl comes from an ``externalRefs`` entry of category
``PACKAGE-MANAGER`` (spelled ``PACKAGE_MANAGER`` in 2.2 JSON) and type ``purl``; the CPE from a
``SECURITY`` entry of type ``cpe23Type`` (preferred) or ``cpe22Type`` (SPDX 2.3 Annex F). The
subject is the package(s) the document ``DESCRIBES``, else the document name.
"""

from __future__ import annotations

from typing import Any

from spdx_tools.spdx.model.document import Document
from spdx_tools.spdx.model.package import ExternalPackageRefCategory
from spdx_tools.spdx.model.relationship import RelationshipType
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.parser.tagvalue.parser import Parser as TagValueParser

from caresec.collect._components import Draft, ParsedSbom, warning
from caresec.errors import InputError

FORMAT = "SPDX"
SUPPORTED_VERSIONS = ("2.2", "2.3")
_MAX_MESSAGES = 5


def parse_spdx_json(data: dict[str, Any], *, display: str) -> ParsedSbom:
    """Read an SPDX JSON document (already loaded with :func:`json.loads`).

    Raises:
        InputError: spdx-tools rejects the document (its first messages are quoted).
    """
    try:
        document = JsonLikeDictParser().parse(data)  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        raise _rejected(display, exc) from exc
    return _from_document(document, "json", display)


def parse_spdx_tagvalue(text: str, *, display: str) -> ParsedSbom:
    """Read an SPDX tag-value document.

    Raises:
        InputError: spdx-tools rejects the document (its messages name the lines).
    """
    # write_tables/debug off: the grammar tables are built in memory, nothing is written.
    parser = TagValueParser(  # type: ignore[no-untyped-call]
        write_tables=False, debug=False, errorlog=_SilentLog()
    )
    try:
        document = parser.parse(text)  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        raise _rejected(display, exc) from exc
    return _from_document(document, "tag-value", display)


def _rejected(display: str, exc: SPDXParsingError) -> InputError:
    messages = [str(m) for m in exc.get_messages()]  # type: ignore[no-untyped-call]
    shown = "; ".join(messages[:_MAX_MESSAGES])
    more = f" (and {len(messages) - _MAX_MESSAGES} more)" if len(messages) > _MAX_MESSAGES else ""
    return InputError(display, "", f"not a valid SPDX document: {shown}{more}")


def _from_document(document: Document, serialization: str, display: str) -> ParsedSbom:
    info = document.creation_info
    version = info.spdx_version.removeprefix("SPDX-")
    parsed = ParsedSbom(FORMAT, version, serialization, "")
    if version not in SUPPORTED_VERSIONS:
        parsed.problems.append(warning(
            display, "SPDXVersion",
            f"SPDX version is {info.spdx_version!r}; caresec reads 2.2 and 2.3 and read it as such",
        ))
    packages = {p.spdx_id: p for p in document.packages}
    described = [
        packages[r.related_spdx_element_id] for r in document.relationships
        if r.relationship_type == RelationshipType.DESCRIBES
        and r.spdx_element_id == info.spdx_id
        and isinstance(r.related_spdx_element_id, str)
        and r.related_spdx_element_id in packages
    ]
    parsed.subject = ", ".join(
        " ".join(x for x in (p.name, p.version or "") if x) for p in described
    ) or info.name
    for package in document.packages:
        purl = ""
        cpe23 = ""
        cpe22 = ""
        for ref in package.external_references:
            kind = ref.reference_type.strip()
            if ref.category == ExternalPackageRefCategory.PACKAGE_MANAGER and kind == "purl":
                purl = purl or ref.locator.strip()
            elif ref.category == ExternalPackageRefCategory.SECURITY and kind == "cpe23Type":
                cpe23 = cpe23 or ref.locator.strip()
            elif ref.category == ExternalPackageRefCategory.SECURITY and kind == "cpe22Type":
                cpe22 = cpe22 or ref.locator.strip()
        supplier = package.supplier
        parsed.drafts.append(Draft(
            name=package.name,
            version=package.version or "",
            purl=purl,
            cpe=cpe23 or cpe22,
            supplier=str(getattr(supplier, "name", "") or ""),
            bom_ref=package.spdx_id,
            place=package.spdx_id,
            purl_place=f"{package.spdx_id} externalRef purl",
            cpe_place=f"{package.spdx_id} externalRef {'cpe23Type' if cpe23 else 'cpe22Type'}",
        ))
    return parsed


class _SilentLog:
    """A PLY error log that drops grammar-construction chatter (written to stderr by default)."""

    def _drop(self, *_args: object, **_kwargs: object) -> None:
        """Drop the message."""

    debug = info = warning = error = critical = _drop
