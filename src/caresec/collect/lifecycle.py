"""Read component end-of-support dates from CycloneDX SBOMs (lifecycle properties).

Source: the CycloneDX property taxonomy, namespace ``cdx:lifecycle:milestone``
(github.com/CycloneDX/cyclonedx-property-taxonomy, ``cdx/lifecycle.md``):
``cdx:lifecycle:milestone:endOfSupport`` (the manufacturer ceases all support),
``…:endOfLife``, ``…:endOfGuaranteedSupport`` and ``…:endOfDevelopment``, each an ISO 8601
date or timestamp, on ``components[].properties`` (JSON) or ``<properties><property name=…>``
(XML, parsed by defusedxml with DTDs forbidden). The SBOMs were already read by
:mod:`caresec.collect.sbom`, which keeps no properties; this reader looks at the same files
for these four properties only and keys each date to the component's ``bom-ref`` (or its name
and version when the SBOM gives no bom-ref).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from caresec.model import InputProblem, OrgConfig, ProblemSeverity, Sbom

__all__ = ["COLLECTOR", "MILESTONES", "ComponentLifecycle", "collect_component_lifecycles"]

COLLECTOR = "lifecycle"
MILESTONES = ("endOfSupport", "endOfLife", "endOfGuaranteedSupport", "endOfDevelopment")
_PREFIX = "cdx:lifecycle:milestone:"


@dataclass(frozen=True, slots=True)
class ComponentLifecycle:
    """Lifecycle dates of one SBOM component.

    Attributes:
        sbom_id: the SBOM (:attr:`Sbom.sbom_id`).
        bom_ref: the component's bom-ref ("" when the SBOM gives none).
        name, version: the component, to key it when there is no bom-ref.
        milestones: ``(milestone, date)`` pairs (``endOfSupport`` …), in :data:`MILESTONES`
            order.
        place: where in the SBOM (JSON pointer or XML path).
    """

    sbom_id: str
    bom_ref: str
    name: str
    version: str
    milestones: tuple[tuple[str, date], ...]
    place: str = ""

    @property
    def end_of_support(self) -> date | None:
        """``endOfSupport``, else ``endOfLife`` (the earliest date that ends fixes), or None."""
        found = dict(self.milestones)
        return found.get("endOfSupport") or found.get("endOfLife")


def collect_component_lifecycles(
    org: OrgConfig, sboms: Sequence[Sbom]
) -> tuple[list[ComponentLifecycle], list[InputProblem]]:
    """Lifecycle dates of the components of every CycloneDX SBOM already collected.

    Returns:
        Records for components that carry any ``cdx:lifecycle:milestone`` property, and a
        warning per property whose value is not an ISO date (place = the component).
    """
    found: list[ComponentLifecycle] = []
    problems: list[InputProblem] = []
    for sbom in sboms:
        if sbom.format != "CycloneDX":
            continue
        path = org.root / sbom.path
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # the SBOM collector already reported an unreadable file
        items = _json_items(text) if sbom.serialization == "json" else _xml_items(text)
        for bom_ref, name, version, properties, place in items:
            milestones: list[tuple[str, date]] = []
            for key in MILESTONES:
                value = properties.get(_PREFIX + key)
                if value is None:
                    continue
                parsed = _date(value)
                if parsed is None:
                    problems.append(InputProblem(
                        sbom.path, place, f"{_PREFIX}{key} value {value!r} is not an ISO 8601 "
                        "date; ignored", severity=ProblemSeverity.WARNING, collector=COLLECTOR))
                    continue
                milestones.append((key, parsed))
            if milestones:
                found.append(ComponentLifecycle(sbom.sbom_id, bom_ref, name, version,
                                                tuple(milestones), place))
    return found, problems


_Item = tuple[str, str, str, dict[str, str], str]


def _json_items(text: str) -> Iterator[_Item]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return
    if not isinstance(data, dict):
        return
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("component"), dict):
        yield _json_item(metadata["component"], "/metadata/component")
    yield from _json_walk(data.get("components"), "/components")


def _json_walk(items: object, pointer: str) -> Iterator[_Item]:
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        if isinstance(item, dict):
            here = f"{pointer}/{index}"
            yield _json_item(item, here)
            yield from _json_walk(item.get("components"), f"{here}/components")


def _json_item(item: dict[str, Any], place: str) -> _Item:
    properties = {str(p.get("name", "")): str(p.get("value", ""))
                  for p in item.get("properties") or [] if isinstance(p, dict)}
    return (str(item.get("bom-ref") or ""), str(item.get("name") or ""),
            str(item.get("version") or ""), properties, place)


def _xml_items(text: str) -> Iterator[_Item]:
    try:
        root = safe_fromstring(text, forbid_dtd=True)
    except (DefusedXmlException, ParseError):
        return
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""

    def q(tag: str) -> str:
        return f"{{{namespace}}}{tag}" if namespace else tag

    def item(element: Element, place: str) -> _Item:
        properties = {p.get("name", ""): (p.text or "").strip()
                      for p in element.findall(f"{q('properties')}/{q('property')}")}
        return (element.get("bom-ref", ""), (element.findtext(q("name")) or "").strip(),
                (element.findtext(q("version")) or "").strip(), properties, place)

    def walk(container: Element | None, path: str) -> Iterator[_Item]:
        if container is None:
            return
        for index, element in enumerate(container.findall(q("component"))):
            here = f"{path}/component[{index + 1}]"
            yield item(element, here)
            yield from walk(element.find(q("components")), f"{here}/components")

    metadata_component = root.find(f"{q('metadata')}/{q('component')}")
    if metadata_component is not None:
        yield item(metadata_component, "/bom/metadata/component")
    yield from walk(root.find(q("components")), "/bom/components")


def _date(value: str) -> date | None:
    found = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not found:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None
