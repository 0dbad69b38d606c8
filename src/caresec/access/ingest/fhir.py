"""HL7 FHIR AuditEvent (R4 4.0.1 and R5 5.0.0) → normalized access events.

Accepted: one AuditEvent resource, a Bundle of them (``entry[].resource``), a JSON array, or
NDJSON (one resource per line, FHIR Bulk Data). Field by field (R4 / R5):

* event id: ``id`` (derived from a digest of the resource when absent, with a warning);
* time: ``period.start`` or ``recorded`` / ``occurredDateTime``, ``occurredPeriod.start`` or
  ``recorded``;
* user: the agent with ``requestor`` true (else the first agent with ``who``), its
  ``who.identifier.value`` or the id part of ``who.reference``; role from ``agent.role``;
* patient: R5 ``patient``; else the entity with ``role`` 1 (object-role *Patient*), else one
  whose ``type`` is the resource type ``Patient``, else one whose ``what.reference`` is
  ``Patient/…``; an HL7 v2 CX identifier (``id^^^&oid&ISO``) is cut to its id;
* action: the ``subtype`` / ``code`` or ``type`` / ``category`` codes looked up in
  ``access-presets.yaml`` ``fhir_events`` (``by-action``: from ``action`` C R U D E); events
  whose codes are not record accesses (login, application start …) are counted as skipped;
* workstation: the requestor's ``network.address`` (R4) or ``networkString`` / ``networkUri``
  (R5), else the first agent that has one;
* outcome: ``0`` (R4) or ``outcome.code`` ``0`` / ``success`` (R5) is success, else failure;
* break-the-glass: a code ``110127`` (Emergency Override Started) or a purpose of use /
  authorization code ETREAT or BTG; purpose: ``purposeOfEvent`` (R4) or ``authorization`` (R5).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from caresec.access.catalog import presets
from caresec.access.ingest.problems import ProblemLog
from caresec.access.ingest.timeparse import parse_instant
from caresec.model.access import AccessAction, AccessEvent
from caresec.model.problems import ProblemSeverity

PATIENT_ROLE = "1"
_ACTION_LETTERS = {"C": "create", "R": "view", "U": "update", "D": "delete", "E": "query"}


def cx_id(value: str) -> str:
    """The id part of an HL7 v2 CX identifier (``PID1^^^Site&1.2.3&ISO`` → ``PID1``)."""
    return value.split("^", 1)[0].strip() if "^" in value else value.strip()


def reference_id(reference: str) -> str:
    """The id in a FHIR reference (``Patient/example/_history/1`` → ``example``)."""
    parts = [p for p in reference.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return parts[-1] if parts else ""


def _codes(value: Any) -> list[tuple[str, str]]:
    """(code, display) pairs of a Coding, CodeableConcept or a list of either."""
    out: list[tuple[str, str]] = []
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            continue
        if "coding" in item:
            out.extend(_codes(item["coding"]))
            if item.get("text") and not item["coding"]:
                out.append(("", str(item["text"])))
        elif "code" in item or "display" in item:
            out.append((str(item.get("code", "")), str(item.get("display", ""))))
    return out


def _who(agent: dict[str, Any]) -> str:
    who = agent.get("who")
    if isinstance(who, dict):
        ident = who.get("identifier")
        if isinstance(ident, dict) and ident.get("value"):
            return str(ident["value"])
        if who.get("reference"):
            return reference_id(str(who["reference"]))
    if agent.get("altId"):
        return str(agent["altId"])
    return ""


def _network(agent: dict[str, Any]) -> str:
    network = agent.get("network")
    if isinstance(network, dict) and network.get("address"):
        return str(network["address"])
    for key in ("networkString", "networkUri"):
        if agent.get(key):
            return str(agent[key])
    return ""


def _patient(resource: dict[str, Any]) -> tuple[str, str]:
    """(patient id, object) of an AuditEvent."""
    patient = resource.get("patient")
    if isinstance(patient, dict):
        ident = patient.get("identifier")
        if isinstance(ident, dict) and ident.get("value"):
            return cx_id(str(ident["value"])), ""
        if patient.get("reference"):
            return reference_id(str(patient["reference"])), ""
    entities = [e for e in resource.get("entity", []) if isinstance(e, dict)]

    def what_id(entity: dict[str, Any]) -> str:
        what = entity.get("what") or {}
        ident = what.get("identifier") if isinstance(what, dict) else None
        if isinstance(ident, dict) and ident.get("value"):
            return cx_id(str(ident["value"]))
        if isinstance(what, dict) and what.get("reference"):
            return reference_id(str(what["reference"]))
        return ""

    chosen: dict[str, Any] | None = None
    for entity in entities:
        if any(code == PATIENT_ROLE for code, _ in _codes(entity.get("role"))):
            chosen = entity
            break
    if chosen is None:
        chosen = next((e for e in entities
                       if any(code == "Patient" for code, _ in _codes(e.get("type")))), None)
    if chosen is None:
        chosen = next((e for e in entities
                       if str((e.get("what") or {}).get("reference", "")).startswith("Patient/")),
                      None)
    others = [e for e in entities if e is not chosen]
    obj = ""
    for entity in others:
        what = entity.get("what") or {}
        if isinstance(what, dict) and what.get("reference"):
            obj = str(what["reference"])
            break
    return (what_id(chosen) if chosen is not None else ""), obj


def _event_time(resource: dict[str, Any], tz: str) -> tuple[datetime | None, str]:
    period = resource.get("occurredPeriod") or resource.get("period")
    candidates = [
        resource.get("occurredDateTime"),
        period.get("start") if isinstance(period, dict) else None,
        resource.get("recorded"),
    ]
    for value in candidates:
        if isinstance(value, str) and value:
            return parse_instant(value, tz), value
    return None, ""


def _event_codes(resource: dict[str, Any]) -> tuple[list[tuple[str, str]],
                                                   list[tuple[str, str]]]:
    first = _codes(resource.get("subtype")) + _codes(resource.get("code"))
    second = _codes(resource.get("type")) + _codes(resource.get("category"))
    return first, second


def _event_action(resource: dict[str, Any]) -> tuple[str, str]:
    """(action or ``by-action``, the code's display) from the event codes; ("", "") when the
    codes are not a record access."""
    first, second = _event_codes(resource)
    for code, display in first + second:
        if code in presets().fhir_events:
            return presets().fhir_events[code], display or code
    return "", ""


def is_record_access(resource: dict[str, Any]) -> bool:
    """Whether an AuditEvent's codes say it records access to a record (not a login etc.)."""
    return bool(_event_action(resource)[0])


def resource_to_event(resource: dict[str, Any], *, shown: str, row: int, place: str, tz: str,
                      log: ProblemLog) -> AccessEvent | None:
    """One AuditEvent resource → an event; None (and a problem, unless it is simply not a
    record access) when it cannot be used.

    Args:
        resource: the parsed JSON object.
        shown: file name for problems; row: line or entry number; place: JSON pointer or line.
        tz: zone for times without an offset.
        log: problems.
    """
    if resource.get("resourceType") != "AuditEvent":
        log.add(shown, place, f"resourceType is {resource.get('resourceType')!r}, not "
                "AuditEvent; skipped", severity=ProblemSeverity.WARNING, kind="not AuditEvent")
        return None
    catalog = presets()
    first, second = _event_codes(resource)
    action_value, event_code = _event_action(resource)
    if not action_value:
        return None  # not a record access (login, application activity …)
    if action_value == "by-action":
        action_value = _ACTION_LETTERS.get(str(resource.get("action", "")).upper(), "")
        if not action_value:
            log.add(shown, place, f"action {resource.get('action')!r} is not C, R, U, D or E; "
                    "skipped", kind="bad action")
            return None
    when, raw_time = _event_time(resource, tz)
    if when is None:
        log.add(shown, place, f"time {raw_time!r} missing or unreadable (recorded / "
                "occurred[x]); skipped", kind="bad timestamp")
        return None
    agents = [a for a in resource.get("agent", []) if isinstance(a, dict)]
    requestor = next((a for a in agents if a.get("requestor") is True), None)
    if requestor is None:
        requestor = next((a for a in agents if _who(a)), None)
    user = _who(requestor) if requestor is not None else ""
    if not user:
        log.add(shown, place, "no requesting agent with an identifier; skipped",
                kind="no user id")
        return None
    role = ""
    if requestor is not None:
        roles = _codes(requestor.get("role"))
        role = (roles[0][1] or roles[0][0]) if roles else ""
    workstation = _network(requestor) if requestor is not None else ""
    if not workstation:
        workstation = next((_network(a) for a in agents if _network(a)), "")
    outcome_value = resource.get("outcome", "0")
    if isinstance(outcome_value, dict):
        codes = _codes(outcome_value.get("code"))
        outcome_value = codes[0][0] if codes else "0"
    outcome = "success" if str(outcome_value) in ("0", "success") else "failure"
    purposes = _codes(resource.get("purposeOfEvent")) + _codes(resource.get("authorization"))
    for agent in agents:
        purposes += _codes(agent.get("purposeOfUse")) + _codes(agent.get("authorization"))
    btg_codes = {c.upper() for c in catalog.break_glass_codes}
    btg_hits = [(c, d) for c, d in purposes + first + second if c.upper() in btg_codes]
    patient, obj = _patient(resource)
    event_id = str(resource.get("id") or "")
    if not event_id:
        digest = hashlib.sha256(json.dumps(resource, sort_keys=True).encode()).hexdigest()
        event_id = "fhir-" + digest[:20]
        log.add(shown, place, "AuditEvent has no id; one was derived from its content",
                severity=ProblemSeverity.WARNING, kind="no event id")
    return AccessEvent(
        event_id=event_id,
        time=when,
        user_id=user,
        action=AccessAction(action_value),
        patient_id=patient,
        user_role=role,
        object=obj or event_code,
        workstation=workstation,
        outcome=outcome,
        break_glass=bool(btg_hits),
        break_glass_reason=next((d or c for c, d in btg_hits), ""),
        purpose=",".join(sorted({c for c, _ in purposes if c})),
        source_file=shown,
        source_row=row,
    )


def _resources(path: Path, shown: str,
               log: ProblemLog) -> Iterator[tuple[dict[str, Any], int, str]]:
    """(resource, row, place) for every resource in a JSON, Bundle or NDJSON file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        log.add(shown, "", f"cannot be read: {exc}")
        return
    stripped = text.lstrip()
    try:
        document = json.loads(text) if stripped else None
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and stripped.startswith("{"):
            yield from _ndjson(text, shown, log)
            return
        log.add(shown, f"line {exc.lineno}, column {exc.colno}",
                f"not valid JSON ({exc.msg}; truncated?); nothing read from this file")
        return
    if isinstance(document, list):
        for i, item in enumerate(document):
            if isinstance(item, dict):
                yield item, i + 1, f"/{i}"
        return
    if not isinstance(document, dict):
        log.add(shown, "", "JSON is not a resource, Bundle or array")
        return
    if document.get("resourceType") == "Bundle":
        for i, entry in enumerate(document.get("entry", [])):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict):
                yield resource, i + 1, f"/entry/{i}/resource"
            else:
                log.add(shown, f"/entry/{i}", "Bundle entry has no resource; skipped",
                        severity=ProblemSeverity.WARNING)
        return
    yield document, 1, ""


def _ndjson(text: str, shown: str, log: ProblemLog) -> Iterator[tuple[dict[str, Any], int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            log.add(shown, f"line {number}, column {exc.colno}",
                    f"not valid JSON ({exc.msg}; truncated?); line skipped", kind="bad JSON line")
            continue
        if isinstance(item, dict):
            yield item, number, f"line {number}"


def read_fhir_events(path: Path, shown: str, *, timezone: str,
                     log: ProblemLog) -> tuple[list[AccessEvent], int]:
    """Every AuditEvent of a JSON / Bundle / NDJSON file → (events, skipped non-access count).

    Problems (file and JSON pointer or line named) go to ``log``; a bad resource or line is
    skipped, the rest of the file kept.
    """
    events: list[AccessEvent] = []
    skipped = 0
    for resource, row, place in _resources(path, shown, log):
        if resource.get("resourceType") == "AuditEvent" and not is_record_access(resource):
            skipped += 1
            continue
        event = resource_to_event(resource, shown=shown, row=row, place=place, tz=timezone,
                                  log=log)
        if event is not None:
            events.append(event)
    return events, skipped
