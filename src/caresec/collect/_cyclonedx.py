"""CycloneDX 1.2–1.6 documents (JSON and XML) → :class:`ParsedSbom`.

The document is deserialized with cyclonedx-python-lib (``Bom.from_json`` / ``Bom.from_xml``,
which read every spec version 1.2–1.6 without being told which). When the library rejects a
document that is still readable — real-world BOMs are often slightly off the schema, e.g. an
invalid purl or an unknown enum value — the components are read from the JSON/XML structure
directly (name, version, purl, cpe, bom-ref, supplier), JSON pointers or XML paths name each
bad value, and a warning "parsed leniently: …" records why. Nested components
(``component.components``) are flattened, parents first; ``metadata.component`` is what the
BOM describes (:attr:`Sbom.subject`), not a listed component (CycloneDX 1.6
§metadata.component).

XML has already been parsed by defusedxml (DTDs and entities refused) when it reaches here.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree.ElementTree import Element

from cyclonedx.model.bom import Bom
from cyclonedx.schema.deprecation import BaseSchemaDeprecationWarning

from caresec.collect._components import Draft, ParsedSbom, generated_ref, text_of, warning
from caresec.model import InputProblem

FORMAT = "CycloneDX"
SUPPORTED_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")
NAMESPACE_PREFIX = "http://cyclonedx.org/schema/bom/"
_NS_VERSION = re.compile(r"^http://cyclonedx\.org/schema/bom/(\d+\.\d+)$")


def cyclonedx_namespace_version(namespace: str) -> str | None:
    """``1.4`` for ``http://cyclonedx.org/schema/bom/1.4``; None for another namespace."""
    match = _NS_VERSION.match(namespace)
    return match[1] if match else None


def parse_cyclonedx_json(data: dict[str, Any], *, display: str) -> ParsedSbom:
    """Read a CycloneDX JSON document (already loaded with :func:`json.loads`; it is modified:
    components without a ``bom-ref`` get their generated one)."""
    spec_version = text_of(data.get("specVersion"))
    parsed = ParsedSbom(FORMAT, spec_version, "json", "")
    _check_version(parsed, display, "/specVersion")
    walk = list(_json_walk(data.get("components"), "/components", parsed, display))
    order = _assign_refs([(item.get("bom-ref"), item) for item, _ in walk], _set_json_ref)
    try:
        with _quiet_library():
            bom = Bom.from_json(data)  # type: ignore[attr-defined]  # added by py-serializable
    except Exception as exc:  # the library raises TypeError, ValueError, KeyError … on bad input
        parsed.problems.append(_lenient_warning(display, exc))
        parsed.subject = _subject(_json_metadata_component(data))
        parsed.drafts.extend(_json_draft(item, pointer) for item, pointer in walk)
        return parsed
    _from_library(bom, parsed, order)
    return parsed


def parse_cyclonedx_xml(root: Element, *, display: str) -> ParsedSbom:
    """Read a CycloneDX XML document, given the root ``<bom>`` element parsed by defusedxml
    (it is modified: components without a ``bom-ref`` get their generated one)."""
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    spec_version = cyclonedx_namespace_version(namespace) or ""
    parsed = ParsedSbom(FORMAT, spec_version, "xml", "")
    _check_version(parsed, display, "/bom/@xmlns")
    xml = _XmlReader(namespace)
    walk = list(xml.walk(root.find(xml.q("components")), "/bom/components"))
    order = _assign_refs([(element.get("bom-ref"), element) for element, _ in walk],
                         _set_xml_ref)
    try:
        with _quiet_library():
            bom = Bom.from_xml(  # type: ignore[attr-defined]  # added by py-serializable
                root, default_namespace=namespace
            )
    except Exception as exc:  # as above: any library failure means "read it ourselves"
        parsed.problems.append(_lenient_warning(display, exc))
        subject = root.find(f"{xml.q('metadata')}/{xml.q('component')}")
        if subject is not None:
            parsed.subject = _join(xml.text(subject, "name"), xml.text(subject, "version"))
        parsed.drafts.extend(xml.draft(element, path) for element, path in walk)
        return parsed
    _from_library(bom, parsed, order)
    return parsed


@contextmanager
def _quiet_library() -> Iterator[None]:
    """Silence the library's schema-deprecation warnings: they address BOM authors (a field
    deprecated in a later spec), not a reader of an older document."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BaseSchemaDeprecationWarning)
        yield


def _assign_refs(items: list[tuple[Any, Any]], set_ref: Any) -> dict[str, int]:
    """Give every component without a usable ``bom-ref`` the generated one
    (:func:`generated_ref`, from its position in the flattened list) and return each bom-ref's
    first position, so both reading paths name and order components alike."""
    declared = {ref.strip() for ref, _ in items if isinstance(ref, str) and ref.strip()}
    order: dict[str, int] = {}
    for index, (ref, node) in enumerate(items):
        if isinstance(ref, str) and ref.strip():
            ref = ref.strip()
        else:
            ref = generated_ref(index, declared)
            declared.add(ref)
            set_ref(node, ref)
        order.setdefault(ref, index)
    return order


def _set_json_ref(item: dict[str, Any], ref: str) -> None:
    item["bom-ref"] = ref


def _set_xml_ref(element: Element, ref: str) -> None:
    element.set("bom-ref", ref)


def _check_version(parsed: ParsedSbom, display: str, place: str) -> None:
    if parsed.spec_version not in SUPPORTED_VERSIONS:
        shown = repr(parsed.spec_version) if parsed.spec_version else "missing"
        parsed.problems.append(warning(
            display, place,
            f"CycloneDX spec version is {shown}; caresec reads 1.2–1.6 and read it as such",
        ))


def _lenient_warning(display: str, exc: Exception) -> InputProblem:
    reason = str(exc).strip() or type(exc).__name__
    return warning(
        display, "",
        f"parsed leniently: cyclonedx-python-lib rejected the document ({type(exc).__name__}: "
        f"{reason[:300]}); name, version, purl, CPE, bom-ref and supplier were read directly",
    )


# --- library path --------------------------------------------------------------------------

def _from_library(bom: Bom, parsed: ParsedSbom, order: dict[str, int]) -> None:
    subject = bom.metadata.component
    if subject is not None:
        parsed.subject = _join(subject.name, subject.version)
    drafts: list[tuple[int, Draft]] = []
    for component in _flatten(bom.components):
        bom_ref = component.bom_ref.value if component.bom_ref is not None else None
        name = component.name or ""
        drafts.append((order.get(bom_ref or "", len(order)), Draft(
            name=name,
            version=component.version or "",
            purl=component.purl.to_string() if component.purl is not None else "",
            cpe=component.cpe or "",
            supplier=_library_supplier(component),
            bom_ref=bom_ref or "",
            place=f"bom-ref {bom_ref}" if bom_ref else f"component {name!r}",
        )))
    # The library keeps components in a sorted set; put them back in document order.
    parsed.drafts.extend(draft for _, draft in sorted(drafts, key=lambda pair: pair[0]))


def _flatten(components: Any) -> Iterator[Any]:
    for component in components:
        yield component
        yield from _flatten(component.components)


def _library_supplier(component: Any) -> str:
    for entity in (component.supplier, getattr(component, "manufacturer", None)):
        if entity is not None and entity.name:
            return str(entity.name)
    return str(component.publisher or "")


# --- lenient JSON path ---------------------------------------------------------------------

def _json_metadata_component(data: dict[str, Any]) -> dict[str, Any]:
    metadata = data.get("metadata")
    component = metadata.get("component") if isinstance(metadata, dict) else None
    return component if isinstance(component, dict) else {}


def _subject(component: dict[str, Any]) -> str:
    return _join(text_of(component.get("name")), text_of(component.get("version")))


def _json_walk(
    items: Any, pointer: str, parsed: ParsedSbom, display: str
) -> Iterator[tuple[dict[str, Any], str]]:
    """Components and their JSON pointers, parents before their nested ``components``."""
    if items is None:
        return
    if not isinstance(items, list):
        parsed.problems.append(warning(display, pointer, "components is not a list; ignored"))
        return
    for index, item in enumerate(items):
        here = f"{pointer}/{index}"
        if not isinstance(item, dict):
            parsed.problems.append(warning(display, here, "component is not an object; ignored"))
            continue
        yield item, here
        yield from _json_walk(item.get("components"), f"{here}/components", parsed, display)


def _json_draft(item: dict[str, Any], here: str) -> Draft:
    return Draft(
        name=text_of(item.get("name")),
        version=text_of(item.get("version")),
        purl=text_of(item.get("purl")),
        cpe=text_of(item.get("cpe")),
        supplier=_json_supplier(item),
        bom_ref=text_of(item.get("bom-ref")),
        place=here,
        purl_place=f"{here}/purl",
        cpe_place=f"{here}/cpe",
    )


def _json_supplier(item: dict[str, Any]) -> str:
    for key in ("supplier", "manufacturer"):
        entity = item.get(key)
        if isinstance(entity, dict) and text_of(entity.get("name")):
            return text_of(entity.get("name"))
    return text_of(item.get("publisher"))


# --- lenient XML path ----------------------------------------------------------------------

class _XmlReader:
    """Reads components from CycloneDX XML elements in one namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def q(self, tag: str) -> str:
        """``tag`` in the document's namespace."""
        return f"{{{self.namespace}}}{tag}" if self.namespace else tag

    def text(self, element: Element, *path: str) -> str:
        """Stripped text of the child at ``path`` ("" when absent)."""
        found = element.find("/".join(self.q(p) for p in path))
        return (found.text or "").strip() if found is not None else ""

    def walk(self, container: Element | None, path: str) -> Iterator[tuple[Element, str]]:
        """``<component>`` elements and their paths, parents before nested ``<components>``."""
        if container is None:
            return
        for index, element in enumerate(container.findall(self.q("component")), start=1):
            here = f"{path}/component[{index}]"
            yield element, here
            yield from self.walk(element.find(self.q("components")), f"{here}/components")

    def draft(self, element: Element, here: str) -> Draft:
        """The :class:`Draft` for one ``<component>``."""
        supplier = (self.text(element, "supplier", "name")
                    or self.text(element, "manufacturer", "name")
                    or self.text(element, "publisher"))
        return Draft(
            name=self.text(element, "name"),
            version=self.text(element, "version"),
            purl=self.text(element, "purl"),
            cpe=self.text(element, "cpe"),
            supplier=supplier,
            bom_ref=(element.get("bom-ref") or "").strip(),
            place=here,
            purl_place=f"{here}/purl",
            cpe_place=f"{here}/cpe",
        )


def _join(name: str | None, version: str | None) -> str:
    return " ".join(part for part in (name or "", version or "") if part)
