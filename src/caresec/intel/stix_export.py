"""Build what the organization shares: a STIX 2.1 bundle with its identity and TLP 2.0 markings.

Contents (STIX 2.1 OASIS CS02):

* an ``identity`` for the organization (§4.5; ``identity_class`` organization, sector
  healthcare), ``created_by_ref`` of everything else;
* the organization's own indicators (§4.7), from its own bundle;
* sightings (§5.6): ``sighting_of_ref`` the indicator, ``where_sighted_refs`` the
  organization, ``count``, ``first_seen``, ``last_seen`` — no observed data, host or user;
* de-identified incident summaries (§4.6 ``incident``: name, description), related to
  indicators with ``related-to`` relationships (§5.2);
* the OASIS TLP 2.0 ``marking-definition`` objects used.

TLP: each object gets the stricter of the requested TLP and what it came with (its own
marking, the TLP of the feed indicator it sights, the TLP at which a feed sent the same
value) — never less (FIRST TLP 2.0). Objects stricter than ``max_share_tlp`` (and anything
TLP:RED) are left out and listed. The bundle is validated with stix2-validator and passed
through the PHI gate before it is returned.
"""

from __future__ import annotations

import hashlib
import tomllib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stix2validator import ValidationOptions, validate_instance
from stix2validator.errors import ValidationError as ValidatorError

from caresec.errors import CaresecError, ConfigError
from caresec.intel.patterns import decompose
from caresec.intel.phi_gate import PhiDetector, gate
from caresec.intel.stix_import import bundle_markings, latest_versions
from caresec.intel.tlp import (
    TLP2_MARKING_IDS,
    TlpPolicy,
    marking_definition,
    object_tlp,
    parse_tlp,
    reshare_tlp,
)
from caresec.model.intel import IndicatorSet, Sighting, Tlp

MAX_COUNT = 999_999_999


class ExportError(CaresecError):
    """The export could not be built or did not validate as STIX 2.1."""


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """One de-identified incident summary (``[[incident]]`` of the incidents file).

    Attributes:
        name: a short title.
        description: what happened, without patient, workforce or internal host details.
        tlp: the TLP it may be shared under (None = the export's).
        related: indicator ids the incident involved.
        place: ``file (incident N)`` for messages.
    """

    name: str
    description: str = ""
    tlp: Tlp | None = None
    related: tuple[str, ...] = ()
    place: str = ""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export holds.

    Attributes:
        indicators, sightings, incidents: objects of each kind written.
        raised: objects kept at a stricter TLP than requested, with the reason.
        withheld: objects left out because their TLP is above ``max_share_tlp``.
        warnings: stix2-validator warnings (the bundle is valid).
    """

    indicators: int
    sightings: int
    incidents: int
    raised: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def stix_time(when: datetime) -> str:
    """STIX 2.1 timestamp (§2.13) in UTC with millisecond precision."""
    text = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[:-3] + "Z"


def stable_uuid(key: str) -> uuid.UUID:
    """A UUID in version-4 form (STIX 2.1 §2.9 asks SDOs and SROs for UUIDv4) whose bits come
    from SHA-256 of ``key`` instead of a random source, so that a re-export names the same
    object with the same id."""
    return uuid.UUID(bytes=hashlib.sha256(key.encode("utf-8")).digest()[:16], version=4)


def identity_id(org_name: str) -> str:
    """The organization's stable identity id (:func:`stable_uuid` of its name)."""
    return f"identity--{stable_uuid('caresec-identity:' + org_name)}"


def load_incidents(path: Path) -> list[IncidentSummary]:
    """Read the incidents file (TOML, ``[[incident]]`` tables).

    Raises:
        ConfigError: not TOML, an entry without ``name``, an unknown key or a bad TLP.
    """
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError as exc:
        raise ConfigError(f"incidents file {path} not found.") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"incidents file {path} cannot be read: {exc}.") from exc
    entries = data.get("incident", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: incident must be an array of tables ([[incident]]).")
    found: list[IncidentSummary] = []
    for number, entry in enumerate(entries, 1):
        where = f"{path} (incident {number})"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: not a table.")
        unknown = sorted(set(entry) - {"name", "description", "tlp", "related_indicators"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {', '.join(unknown)}; the known keys are "
                              f"name, description, tlp, related_indicators.")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: name is missing.")
        related = entry.get("related_indicators", [])
        if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
            raise ConfigError(f"{where}: related_indicators must be a list of indicator ids.")
        try:
            tlp = parse_tlp(str(entry["tlp"])) if "tlp" in entry else None
        except ValueError as exc:
            raise ConfigError(f"{where}: tlp: {exc}.") from exc
        found.append(IncidentSummary(name=name.strip(),
                                     description=str(entry.get("description", "")).strip(),
                                     tlp=tlp, related=tuple(related), place=where))
    return found


def value_tlps(indicators: IndicatorSet) -> dict[str, Tlp]:
    """``kind:value`` → the strictest TLP at which any feed sent that value."""
    found: dict[str, Tlp] = {}
    for indicator in indicators.indicators:
        key = f"{indicator.kind.value}:{indicator.value}"
        current = found.get(key)
        if current is None or indicator.tlp.rank > current.rank:
            found[key] = indicator.tlp
    return found


class _Builder:
    def __init__(self, org_name: str, policy: TlpPolicy, requested: Tlp, now: datetime) -> None:
        self.policy = policy
        self.requested = requested
        self.stamp = stix_time(now)
        self.identity = identity_id(org_name)
        self.objects: list[dict[str, Any]] = []
        self.used: set[Tlp] = set()
        self.raised: list[str] = []
        self.withheld: list[str] = []
        self.tlp_of: dict[str, Tlp] = {}
        self.org_name = org_name

    def allowed(self, object_id: str, tlp: Tlp, why: str) -> bool:
        if tlp is Tlp.RED or tlp.rank > self.policy.max_share.rank:
            self.withheld.append(f"{object_id}: {tlp.label} ({why}) is above max_share_tlp "
                                 f"{self.policy.max_share.label}; not exported")
            return False
        if tlp.rank > self.requested.rank:
            self.raised.append(f"{object_id}: kept at {tlp.label} ({why}), not lowered to "
                               f"{self.requested.label}")
        return True

    def add(self, obj: dict[str, Any], tlp: Tlp) -> None:
        obj["object_marking_refs"] = [TLP2_MARKING_IDS[tlp]]
        self.used.add(tlp)
        self.tlp_of[str(obj["id"])] = tlp
        self.objects.append(obj)

    def identity_object(self) -> dict[str, Any]:
        return {"type": "identity", "spec_version": "2.1", "id": self.identity,
                "created": self.stamp, "modified": self.stamp, "name": self.org_name,
                "identity_class": "organization", "sectors": ["healthcare"],
                "object_marking_refs": [TLP2_MARKING_IDS[self.requested]]}


def build_export(*, org_name: str, policy: TlpPolicy, requested: Tlp | None = None,
                 own_objects: Sequence[dict[str, Any]] = (),
                 sightings: Sequence[Sighting] = (),
                 incidents: Sequence[IncidentSummary] = (),
                 inherited: Mapping[str, Tlp] | None = None,
                 now: datetime | None = None) -> tuple[dict[str, Any], ExportSummary]:
    """Assemble the export bundle (not yet validated nor gated: see :func:`export_bundle`).

    Args:
        org_name: the organization's name (its identity).
        policy: the TLP policy.
        requested: TLP to mark with when nothing stricter applies (default:
            ``policy.export_tlp``).
        own_objects: the organization's own bundle objects (indicators are taken).
        sightings: aggregated sightings to share.
        incidents: de-identified incident summaries.
        inherited: ``kind:value`` → TLP at which feeds sent the value (:func:`value_tlps`).
        now: the timestamp for created/modified (default: now, UTC).

    Returns:
        ``(bundle, summary)``.
    """
    wanted = requested or policy.export_tlp
    moment = now or datetime.now(UTC)
    b = _Builder(org_name, policy, wanted, moment)
    known = inherited or {}
    own_markings = bundle_markings(own_objects)
    indicators = 0
    for obj in latest_versions(own_objects):
        if obj.get("type") != "indicator" or obj.get("revoked") is True:
            continue
        tlp, why = _own_tlp(obj, own_markings, known, wanted)
        if not b.allowed(str(obj["id"]), tlp, why):
            continue
        copy = {k: v for k, v in obj.items() if k not in ("object_marking_refs",
                                                           "granular_markings")}
        copy.setdefault("created_by_ref", b.identity)
        b.add(copy, tlp)
        indicators += 1
    shared = 0
    for sighting in sightings:
        tlp = reshare_tlp(sighting.tlp, wanted)
        name = f"sighting of {sighting.indicator_id}"
        why = f"the indicator came from {sighting.source} at {sighting.tlp.label}"
        if not b.allowed(name, tlp, why):
            continue
        key = "|".join([b.identity, sighting.indicator_id, str(sighting.count),
                        str(sighting.first_seen), str(sighting.last_seen)])
        sight: dict[str, Any] = {
            "type": "sighting", "spec_version": "2.1",
            "id": f"sighting--{stable_uuid(key)}",
            "created": b.stamp, "modified": b.stamp, "created_by_ref": b.identity,
            "sighting_of_ref": sighting.indicator_id, "where_sighted_refs": [b.identity],
            "count": min(sighting.count, MAX_COUNT),
        }
        if sighting.first_seen is not None:
            sight["first_seen"] = stix_time(sighting.first_seen)
        if sighting.last_seen is not None:
            sight["last_seen"] = stix_time(sighting.last_seen)
        b.add(sight, tlp)
        shared += 1
    written = 0
    for incident in incidents:
        tlp = reshare_tlp(incident.tlp or wanted, wanted)
        incident_id = f"incident--{stable_uuid(b.identity + '|' + incident.name)}"
        if not b.allowed(incident_id, tlp, f"set in {incident.place}"):
            continue
        item: dict[str, Any] = {"type": "incident", "spec_version": "2.1", "id": incident_id,
                                "created": b.stamp, "modified": b.stamp,
                                "created_by_ref": b.identity, "name": incident.name}
        if incident.description:
            item["description"] = incident.description
        b.add(item, tlp)
        written += 1
        for target in incident.related:
            link_tlp = Tlp.strictest([tlp, b.tlp_of.get(target, tlp)])
            link_id = stable_uuid(f"{incident_id}|related-to|{target}")
            b.add({"type": "relationship", "spec_version": "2.1",
                   "id": f"relationship--{link_id}", "created": b.stamp, "modified": b.stamp,
                   "created_by_ref": b.identity, "relationship_type": "related-to",
                   "source_ref": incident_id, "target_ref": target}, link_tlp)
    b.used.add(wanted)
    markings = [marking_definition(t) for t in Tlp if t in b.used]
    bundle_id = stable_uuid(f"{b.identity}|{b.stamp}")
    bundle = {"type": "bundle", "id": f"bundle--{bundle_id}",
              "objects": [b.identity_object(), *markings, *b.objects]}
    summary = ExportSummary(indicators=indicators, sightings=shared, incidents=written,
                            raised=tuple(b.raised), withheld=tuple(b.withheld))
    return bundle, summary


def _own_tlp(obj: Mapping[str, Any], own_markings: Mapping[str, Tlp],
             known: Mapping[str, Tlp], wanted: Tlp) -> tuple[Tlp, str]:
    tlp = reshare_tlp(object_tlp(obj, own_markings) or wanted, wanted)
    why = "its own marking" if tlp is not wanted else "requested"
    try:
        parts = decompose(str(obj.get("pattern", "")))
    except ValueError:
        return tlp, why
    for kind, value in (*parts.atoms, *parts.candidates):
        feed = known.get(f"{kind.value}:{value}")
        if feed is not None and feed.rank > tlp.rank:
            tlp, why = feed, f"a feed shared {value} at {feed.label}"
    return tlp, why


def validate_export(bundle: Mapping[str, Any]) -> tuple[str, ...]:
    """Validate with stix2-validator (STIX 2.1).

    Returns:
        The validator's warnings.

    Raises:
        ExportError: the bundle is not valid STIX 2.1 (the errors are listed).
    """
    try:
        result = validate_instance(dict(bundle), ValidationOptions(version="2.1"))
    except ValidatorError as exc:
        raise ExportError(f"the export is not valid STIX 2.1: {exc}") from exc
    errors = _messages(result, "errors")
    if not result.is_valid or errors:
        shown = "; ".join(errors[:10]) or "stix2-validator rejected it"
        raise ExportError(f"the export is not valid STIX 2.1: {shown}.")
    return tuple(_messages(result, "warnings"))


def _messages(result: Any, attribute: str) -> list[str]:
    return [" ".join(str(item).split()) for item in getattr(result, attribute, None) or []]


def export_bundle(*, org_name: str, policy: TlpPolicy, requested: Tlp | None = None,
                  own_objects: Sequence[dict[str, Any]] = (),
                  sightings: Sequence[Sighting] = (),
                  incidents: Sequence[IncidentSummary] = (),
                  inherited: Mapping[str, Tlp] | None = None,
                  detector: PhiDetector | None = None, internal: Iterable[str] = (),
                  now: datetime | None = None) -> tuple[dict[str, Any], ExportSummary]:
    """Build, validate and gate the export (arguments as :func:`build_export`).

    Args:
        detector: the PHI detector for the gate (default: ``caresec.phi`` or the fallback).
        internal: the organization's internal host and user names (never exported).

    Raises:
        ExportError: not valid STIX 2.1.
        PhiGateError: a string looks like PHI, names an internal host/user/address, or a
            property is not on the export allow-list (object and property named).
    """
    bundle, summary = build_export(org_name=org_name, policy=policy, requested=requested,
                                   own_objects=own_objects, sightings=sightings,
                                   incidents=incidents, inherited=inherited, now=now)
    gate(bundle, detector, internal, org_name)
    warnings = validate_export(bundle)
    return bundle, ExportSummary(summary.indicators, summary.sightings, summary.incidents,
                                 summary.raised, summary.withheld, warnings)
