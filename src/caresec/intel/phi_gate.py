"""The PHI gate: nothing leaves caresec in an export unless every string in it passes.

Every string of every object is checked, by where it sits:

* the property must be on the allow-list of its object type (:data:`ALLOWED`); any other
  property blocks (an export carries only what caresec means to share);
* identifiers, references, timestamps and vocabulary values must have their STIX 2.1 form
  (§2.7 identifier, §2.13 timestamp, open-vocabulary tokens), so nothing can hide in them;
* free text (``name``, ``description``, ``labels``, external references …) goes through the
  PHI detector, and any span it reports blocks;
* each literal of an indicator ``pattern`` goes through the detector too; only spans of the
  kind the pattern declares are accepted (an e-mail indicator's address; a URL, domain or
  IP indicator's URL, domain or address): anything else in a literal blocks;
* the ``identity`` naming the organization is the one string not run through the detector
  (a facility name is what the organization shares on purpose);
* a string naming an internal host or user seen in the organization's logs, or a private,
  loopback or link-local address (RFC 1918, RFC 4193, RFC 3927), blocks.

The detector is ``caresec.phi.detect`` when that package is installed, else
:class:`~caresec.intel.phi_fallback.BuiltinPhiDetector`. The gate's messages name the object
and the property and the kind of identifier found, never the text itself.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from stix2patterns.pattern import Pattern as StixPattern

from caresec.errors import CaresecError
from caresec.intel.phi_fallback import BuiltinPhiDetector
from caresec.intel.tlp import TLP2_EXTENSION_ID


class PhiSpan(Protocol):
    """A detected piece of PHI: its type and character offsets ``[start, end)``."""

    @property
    def entity_type(self) -> str: ...  # pragma: no cover - protocol

    @property
    def start(self) -> int: ...  # pragma: no cover - protocol

    @property
    def end(self) -> int: ...  # pragma: no cover - protocol


class PhiDetector(Protocol):
    """Anything with ``detect(text) -> spans`` (``caresec.phi`` or the built-in fallback)."""

    def detect(self, text: str) -> Sequence[PhiSpan]: ...  # pragma: no cover - protocol


@dataclass(frozen=True, slots=True)
class _Span:
    entity_type: str
    start: int
    end: int


class _FunctionDetector:
    """Adapts ``caresec.phi.detect``: its spans name the type ``type`` (a ``PhiType``)."""

    def __init__(self, function: Callable[[str], Sequence[Any]]) -> None:
        self._function = function

    def detect(self, text: str) -> Sequence[PhiSpan]:
        found: list[PhiSpan] = []
        for span in self._function(text):
            kind = getattr(span, "entity_type", None) or getattr(span, "type", "PHI")
            found.append(_Span(str(kind), int(span.start), int(span.end)))
        return found


def default_detector() -> PhiDetector:
    """``caresec.phi.detect`` when the package exists, else the built-in fallback."""
    try:
        module = importlib.import_module("caresec.phi")
    except ImportError:
        return BuiltinPhiDetector()
    function = getattr(module, "detect", None)
    if not callable(function):
        return BuiltinPhiDetector()
    return _FunctionDetector(cast(Callable[[str], Sequence[Any]], function))


_COMMON = frozenset({"type", "spec_version", "id", "created", "modified", "created_by_ref",
                     "object_marking_refs", "lang", "revoked", "confidence", "labels",
                     "external_references"})
ALLOWED: Mapping[str, frozenset[str]] = {
    "bundle": frozenset({"type", "id", "objects"}),
    "identity": _COMMON | {"name", "identity_class", "sectors"},
    "marking-definition": frozenset({"type", "spec_version", "id", "created", "name",
                                     "extensions"}),
    "indicator": _COMMON | {"name", "description", "indicator_types", "pattern",
                            "pattern_type", "pattern_version", "valid_from", "valid_until",
                            "kill_chain_phases"},
    "sighting": _COMMON | {"sighting_of_ref", "where_sighted_refs", "count", "first_seen",
                           "last_seen", "summary"},
    "incident": _COMMON | {"name", "description", "kill_chain_phases"},
    "relationship": _COMMON | {"relationship_type", "source_ref", "target_ref", "description",
                               "start_time", "stop_time"},
}
FREE_TEXT = frozenset({"name", "description", "labels", "external_references",
                       "kill_chain_phases"})
_STIX_ID = re.compile(r"^[a-z][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                      r"[0-9a-f]{12}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$")
_TOKEN = re.compile(r"^[a-z0-9][a-z0-9+._-]*$")
_TIME_FIELDS = frozenset({"created", "modified", "valid_from", "valid_until", "first_seen",
                          "last_seen", "start_time", "stop_time"})
_LITERAL = re.compile(r"'((?:[^'\\]|\\['\\])*)'")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f:]{0,4}(?:/\d{1,3})?")
_WORD = re.compile(r"[A-Za-z0-9._@-]+")

# Entity types (upper case, spaces as "_") a pattern literal may hold, per object type: the
# indicator's own network identifiers. Any other type found in a literal blocks.
_NETWORK = frozenset({"URL", "DOMAIN", "DOMAIN_NAME", "IP", "IP_ADDRESS"})
_OWN_TYPES: Mapping[str, frozenset[str]] = {
    "email-addr": frozenset({"EMAIL_ADDRESS", "EMAIL"}),
    "email-message": frozenset({"EMAIL_ADDRESS", "EMAIL"}),
    "url": _NETWORK,
    "domain-name": _NETWORK,
    "ipv4-addr": frozenset({"IP", "IP_ADDRESS"}),
    "ipv6-addr": frozenset({"IP", "IP_ADDRESS"}),
    "network-traffic": _NETWORK,
}


def _entity(span: PhiSpan) -> str:
    return span.entity_type.upper().replace(" ", "_")


@dataclass(frozen=True, slots=True)
class GateViolation:
    """Why one string may not be exported.

    Attributes:
        object_id: the object (``indicator--…``; the bundle id for bundle-level fields).
        field: JSON pointer of the string inside the object (``/description``,
            ``/external_references/0/url``).
        reason: what was found, without quoting it.
    """

    object_id: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.object_id} {self.field}: {self.reason}"


class PhiGateError(CaresecError):
    """An export or push was blocked; ``violations`` lists every reason."""

    def __init__(self, violations: Sequence[GateViolation]) -> None:
        shown = "; ".join(str(v) for v in violations[:10])
        more = f" (and {len(violations) - 10} more)" if len(violations) > 10 else ""
        super().__init__(
            f"export blocked by the PHI gate: {shown}{more}.",
            hint="Remove or de-identify the text named (caresec never shares what looks like "
                 "a patient identifier, an internal host or user, or a field outside the "
                 "export allow-list).")
        self.violations = tuple(violations)


def _internal_address(text: str) -> bool:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return bool(network.is_private or network.is_loopback or network.is_link_local) and \
        not network.is_global and not _is_documentation(network)


_DOCUMENTATION = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))


def _is_documentation(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """RFC 5737 / RFC 3849 documentation ranges: not internal, used in examples."""
    return any(network.version == d.version and network.subnet_of(d)  # type: ignore[arg-type]
               for d in _DOCUMENTATION)


class _Checker:
    def __init__(self, detector: PhiDetector, internal: Iterable[str],
                 organization: str = "") -> None:
        self.detector = detector
        self.organization = organization.strip()
        self.internal = {v.strip().lower() for v in internal if v and v.strip()}
        self.violations: list[GateViolation] = []

    def fail(self, object_id: str, pointer: str, reason: str) -> None:
        self.violations.append(GateViolation(object_id, pointer, reason))

    def obj(self, obj: Mapping[str, Any]) -> None:
        object_id = str(obj.get("id", "?"))
        object_type = str(obj.get("type", ""))
        allowed = ALLOWED.get(object_type)
        if allowed is None:
            self.fail(object_id, "/type", f"object type {object_type!r} is not on the export "
                      f"allow-list ({', '.join(sorted(ALLOWED))})")
            return
        for key, value in obj.items():
            pointer = f"/{key}"
            if key not in allowed:
                self.fail(object_id, pointer, "property not on the export allow-list of "
                          f"{object_type}")
            elif object_type == "marking-definition" and key == "extensions":
                self.marking_extension(object_id, value)
            elif key == "pattern":
                self.pattern(object_id, str(value))
            elif object_type == "identity" and key == "name" and self.organization \
                    and value == self.organization:
                continue  # the organization's own name: the one string that may name a place
            elif key in FREE_TEXT:
                self.free(object_id, pointer, value)
            else:
                self.structural(object_id, pointer, key, value)

    def marking_extension(self, object_id: str, value: Any) -> None:
        ok = isinstance(value, dict) and set(value) == {TLP2_EXTENSION_ID} and \
            isinstance(value[TLP2_EXTENSION_ID], dict) and \
            set(value[TLP2_EXTENSION_ID]) == {"extension_type", "tlp_2_0"}
        if not ok:
            self.fail(object_id, "/extensions", "only the TLP 2.0 marking extension may be "
                      "exported")

    def structural(self, object_id: str, pointer: str, key: str, value: Any) -> None:
        for path, text in _strings(value, pointer):
            if key == "id" or key.endswith("_ref") or key.endswith("_refs"):
                ok = bool(_STIX_ID.match(text))
            elif key in _TIME_FIELDS:
                ok = bool(_TIMESTAMP.match(text))
            elif key == "objects":
                ok = False
            else:
                ok = bool(_TOKEN.match(text))
            if not ok:
                self.fail(object_id, path, "value is not in the form STIX requires for this "
                          "property")

    def free(self, object_id: str, pointer: str, value: Any) -> None:
        for path, text in _strings(value, pointer):
            for span in self.detector.detect(text):
                self.fail(object_id, path, f"looks like PHI ({span.entity_type} at characters "
                          f"{span.start}–{span.end})")
            self.internal_check(object_id, path, text)

    def pattern(self, object_id: str, pattern: str) -> None:
        try:
            comparisons = StixPattern(pattern).inspect().comparisons
        except Exception:  # the pattern grammar raises several unrelated types
            self.fail(object_id, "/pattern", "the pattern does not parse as STIX 2.1")
            return
        index = 0
        for object_type, tests in comparisons.items():
            own = _OWN_TYPES.get(str(object_type), frozenset())
            for _path, _op, raw in tests:
                for match in _LITERAL.finditer(str(raw)):
                    index += 1
                    literal = match[1]
                    where = f"/pattern (literal {index})"
                    for span in self.detector.detect(literal):
                        if _entity(span) in own:
                            continue
                        self.fail(object_id, where, f"looks like PHI ({span.entity_type} at "
                                  f"characters {span.start}–{span.end})")
                    self.internal_check(object_id, where, literal)

    def internal_check(self, object_id: str, pointer: str, text: str) -> None:
        for address in (*_IPV4.findall(text), *_IPV6.findall(text)):
            if _internal_address(address):
                self.fail(object_id, pointer, "holds a private, loopback or link-local "
                          "address (internal network)")
                break
        if self.internal:
            lowered = text.strip().lower()
            words = {w.strip(".-").lower() for w in _WORD.findall(text)}
            if lowered in self.internal or words & self.internal:
                self.fail(object_id, pointer, "names an internal host or user seen in the "
                          "organization's logs")


def _strings(value: Any, pointer: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{number}")


def check_export(bundle: Mapping[str, Any], detector: PhiDetector | None = None,
                 internal: Iterable[str] = (), organization: str = "",
                 ) -> list[GateViolation]:
    """Every reason the bundle may not be exported (empty = it may).

    Args:
        bundle: a STIX 2.1 bundle as a JSON dict.
        detector: the PHI detector (default: :func:`default_detector`).
        internal: host names, user names and addresses the organization's logs name as its
            own (values of ``host`` and ``user`` columns).
        organization: the organization's name; an ``identity`` whose ``name`` is exactly this
            is not run through the detector (a facility name is what it shares on purpose).
    """
    checker = _Checker(detector or default_detector(), internal, organization)
    bundle_id = str(bundle.get("id", "bundle"))
    for key, value in bundle.items():
        if key not in ALLOWED["bundle"]:
            checker.fail(bundle_id, f"/{key}", "property not on the export allow-list of "
                         "bundle")
        elif key != "objects":
            checker.structural(bundle_id, f"/{key}", key, value)
    objects = bundle.get("objects", [])
    if not isinstance(objects, list):
        checker.fail(bundle_id, "/objects", "not a list")
        return checker.violations
    for obj in objects:
        if isinstance(obj, dict):
            checker.obj(obj)
        else:
            checker.fail(bundle_id, "/objects", "holds something other than an object")
    return checker.violations


def gate(bundle: Mapping[str, Any], detector: PhiDetector | None = None,
         internal: Iterable[str] = (), organization: str = "") -> None:
    """Raise :class:`PhiGateError` unless :func:`check_export` finds nothing."""
    violations = check_export(bundle, detector, internal, organization)
    if violations:
        raise PhiGateError(violations)
