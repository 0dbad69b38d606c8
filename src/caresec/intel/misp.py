"""MISP feeds: ``manifest.json`` plus one ``<event uuid>.json`` per event, read with PyMISP.

Sources: MISP feed format (MISP core format, ``Event`` with ``Attribute``, ``Object``, ``Tag``;
the feed's ``manifest.json`` maps event uuid → ``info``, ``timestamp``, ``Tag`` …, as PyMISP's
``MISPEvent.manifest`` writes it). Attribute types follow MISP's ``describeTypes``.

Each attribute flagged ``to_ids`` whose type is a network, e-mail or file-hash indicator becomes a
STIX 2.1 indicator (``indicator--<attribute uuid>``, as MISP's STIX export names it), so that
feeds of both kinds are stored, matched and re-shared the same way. TLP comes from ``tlp:``
tags (the attribute's, else the event's).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymisp import MISPAttribute, MISPEvent
from pymisp.exceptions import PyMISPError

from caresec.intel.stix_import import COLLECTOR, StixObject, check_objects
from caresec.intel.tlp import TLP2_MARKING_IDS, marking_definition, misp_tags_tlp
from caresec.model.problems import InputProblem, ProblemSeverity

MANIFEST = "manifest.json"

# MISP attribute type → (STIX object path, part of a composite value to take).
_PATHS: Mapping[str, tuple[str, int]] = {
    "ip-src": ("ip", 0), "ip-dst": ("ip", 0), "ip-src|port": ("ip", 0),
    "ip-dst|port": ("ip", 0), "domain": ("domain-name:value", 0),
    "hostname": ("domain-name:value", 0), "hostname|port": ("domain-name:value", 0),
    "url": ("url:value", 0),
    "md5": ("file:hashes.MD5", 0), "sha1": ("file:hashes.'SHA-1'", 0),
    "sha256": ("file:hashes.'SHA-256'", 0), "filename|md5": ("file:hashes.MD5", 1),
    "filename|sha1": ("file:hashes.'SHA-1'", 1), "filename|sha256": ("file:hashes.'SHA-256'", 1),
    "email": ("email-addr:value", 0), "email-src": ("email-addr:value", 0),
    "email-dst": ("email-addr:value", 0),
}


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One event file of a feed: uuid, path and the manifest's ``timestamp`` (or None)."""

    uuid: str
    path: Path
    timestamp: int | None


def feed_events(folder: Path) -> tuple[list[FeedEvent], list[InputProblem]]:
    """The events of a MISP feed folder.

    With ``manifest.json``: its events, in manifest order (a listed event whose file is
    missing is a problem). Without: every ``*.json`` file of the folder, by name.
    """
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        files = sorted(p for p in folder.glob("*.json") if p.name != MANIFEST)
        return [FeedEvent(p.stem, p, None) for p in files], []
    shown = str(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except (OSError, ValueError) as exc:
        return [], [InputProblem(shown, "", f"manifest cannot be read: {exc}",
                                 collector=COLLECTOR)]
    if not isinstance(manifest, dict):
        return [], [InputProblem(shown, "", "manifest is not a JSON object of events",
                                 collector=COLLECTOR)]
    events: list[FeedEvent] = []
    problems: list[InputProblem] = []
    for uuid, entry in manifest.items():
        path = folder / f"{uuid}.json"
        if not path.is_file() or "/" in uuid or "\\" in uuid:
            problems.append(InputProblem(shown, f"/{uuid}", "event listed in the manifest has "
                                         "no file in the feed; skipped", collector=COLLECTOR))
            continue
        stamp = entry.get("timestamp") if isinstance(entry, dict) else None
        events.append(FeedEvent(uuid, path, int(str(stamp)) if str(stamp).isdigit() else None))
    return events, problems


def read_event(path: Path, shown: str | None = None,
               ) -> tuple[list[StixObject], list[InputProblem]]:
    """One MISP event file as validated STIX 2.1 objects (identity, markings, indicators).

    Returns:
        ``(objects, problems)``; an unreadable event gives no objects and one problem.
    """
    name = shown or str(path)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return [], [InputProblem(name, "", f"event cannot be read: {exc}", collector=COLLECTOR)]
    return event_objects(data, name)


def event_objects(data: object, file: str) -> tuple[list[StixObject], list[InputProblem]]:
    """Convert a MISP event (``{"Event": {...}}``) to STIX 2.1 objects, validated."""
    event = MISPEvent()
    if not isinstance(data, dict):
        return [], [InputProblem(file, "", "not a MISP event (not a JSON object)",
                                 collector=COLLECTOR)]
    try:
        event.load(data)
    except (PyMISPError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return [], [InputProblem(file, "/Event", f"not a MISP event: {exc}",
                                 collector=COLLECTOR)]
    event_tlp = misp_tags_tlp(t.name for t in event.tags)
    identity = _identity(event)
    objects: list[StixObject] = [identity] if identity else []
    used_markings: set[str] = set()
    skipped: Counter[str] = Counter()
    attributes = list(event.attributes)
    for misp_object in event.objects:
        attributes.extend(misp_object.attributes)
    for attribute in attributes:
        if not attribute.to_ids:
            continue
        indicator = _attribute_indicator(event, attribute, event_tlp, identity)
        if indicator is None:
            skipped[attribute.type] += 1
            continue
        used_markings.update(indicator.get("object_marking_refs", []))
        objects.append(indicator)
    for tlp, marking_id in TLP2_MARKING_IDS.items():
        if marking_id in used_markings:
            objects.append(marking_definition(tlp))
    valid, problems = check_objects(objects, file, prefix="/Event")
    if skipped:
        kinds = ", ".join(f"{n} {t}" for t, n in sorted(skipped.items()))
        problems.append(InputProblem(
            file, "/Event/Attribute", f"to_ids attributes of types caresec does not match "
            f"against logs were not imported: {kinds}", ProblemSeverity.WARNING, COLLECTOR))
    return valid, problems


def _stamp(value: object) -> str:
    when = value if isinstance(value, datetime) else datetime.now(UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _identity(event: MISPEvent) -> StixObject | None:
    orgc = getattr(event, "Orgc", None)
    uuid = getattr(orgc, "uuid", None)
    name = getattr(orgc, "name", None)
    if not uuid or not name:
        return None
    stamp = _stamp(getattr(event, "timestamp", None))
    return {"type": "identity", "spec_version": "2.1", "id": f"identity--{uuid}",
            "created": stamp, "modified": stamp, "name": str(name),
            "identity_class": "organization"}


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _attribute_indicator(event: MISPEvent, attribute: MISPAttribute, event_tlp: Any,
                         identity: StixObject | None) -> StixObject | None:
    spec = _PATHS.get(str(attribute.type))
    if spec is None or not spec[0]:
        return None
    path, part = spec
    value = str(attribute.value)
    if "|" in str(attribute.type):
        pieces = value.split("|")
        if len(pieces) <= part:
            return None
        value = pieces[part]
    if path == "ip":
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
    stamp = _stamp(getattr(attribute, "timestamp", None))
    tlp = misp_tags_tlp(t.name for t in attribute.tags) or event_tlp
    indicator: StixObject = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{attribute.uuid}",
        "created": stamp, "modified": stamp, "valid_from": stamp,
        "name": str(getattr(event, "info", "") or ""),
        "pattern": f"[{path} = {_literal(value)}]", "pattern_type": "stix",
        "external_references": [{"source_name": "MISP",
                                 "external_id": f"{event.uuid}/{attribute.uuid}"}],
    }
    if identity is not None:
        indicator["created_by_ref"] = identity["id"]
    if tlp is not None:
        indicator["object_marking_refs"] = [TLP2_MARKING_IDS[tlp]]
    return indicator


def iter_feed(folder: Path, seen: Mapping[str, int],
              ) -> Iterator[tuple[FeedEvent, list[StixObject], list[InputProblem]]]:
    """The events of a feed folder not yet imported at their manifest timestamp.

    Args:
        folder: the feed folder.
        seen: event uuid → manifest timestamp already imported.

    Yields:
        ``(event, objects, problems)`` per event to import; the manifest's own problems come
        first as an event with uuid ``""`` and no objects.
    """
    events, problems = feed_events(folder)
    if problems:
        yield FeedEvent("", folder / MANIFEST, None), [], problems
    for event in events:
        if event.timestamp is not None and seen.get(event.uuid) == event.timestamp:
            continue
        objects, event_problems = read_event(event.path)
        yield event, objects, event_problems
