"""IHE ATNA / DICOM PS3.15 Annex A.5 audit messages (XML, RFC 3881 lineage) → access events,
from ``.xml`` files or wrapped in RFC 5424 syslog messages (one per line, as IHE ITI-20 sends
them over RFC 5425 / 5426 transports), parsed with defusedxml only.

Field by field (attribute names of the DICOM audit message schema):

* event id: none in the format: ``atna-`` + 20 hex digits of the message's SHA-256 (an identical
  message sent twice is a duplicate);
* time: ``EventIdentification/@EventDateTime``;
* action: ``EventID`` code (``csd-code`` of the 2016+ schema, or ``code``) looked up in
  ``access-presets.yaml`` ``dicom_events`` (``by-action``: ``@EventActionCode`` C R U D E);
  other event ids (login, application activity …) are counted as skipped;
* user: the ``ActiveParticipant`` with ``UserIsRequestor="true"`` (else the first), ``@UserID``;
  role from its ``RoleIDCode``; workstation: its ``@NetworkAccessPointID``;
* patient: ``ParticipantObjectIdentification`` with ``ParticipantObjectTypeCode="1"`` (person)
  and ``ParticipantObjectTypeCodeRole="1"`` (patient), ``@ParticipantObjectID`` cut to the id
  of its HL7 v2 CX form;
* outcome: ``@EventOutcomeIndicator`` 0 is success, 4 / 8 / 12 failure;
* break-the-glass: an ``EventTypeCode`` or ``PurposeOfUse`` code 110127, ETREAT or BTG.

A message that is not well-formed only because of bare ``&`` characters (senders that do not
escape the ``&`` of HL7 v2 CX identifiers) is read with them escaped, and a warning names it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from caresec.access.catalog import presets
from caresec.access.ingest.fhir import cx_id
from caresec.access.ingest.problems import ProblemLog
from caresec.access.ingest.timeparse import parse_instant
from caresec.model.access import AccessAction, AccessEvent
from caresec.model.problems import ProblemSeverity

_SYSLOG_START = re.compile(r"^<\d{1,3}>1 ", re.MULTILINE)
_XML_START = re.compile(r"<\?xml|<AuditMessage")
_BARE_AMPERSAND = re.compile(rb"&(?!#?[A-Za-z0-9]+;)")
_ACTION_LETTERS = {"C": "create", "R": "view", "U": "update", "D": "delete", "E": "query"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if _local(c.tag) == name]


def _code(element: Element) -> tuple[str, str]:
    code = element.get("csd-code") or element.get("code") or element.get("EventCode") or ""
    display = element.get("originalText") or element.get("displayName") or ""
    return code, display


def message_to_event(xml: bytes, *, shown: str, row: int, place: str, tz: str,
                     log: ProblemLog) -> AccessEvent | bool | None:
    """One audit message → an event; ``False`` when it is not a record access (skipped);
    None when it is unusable (a problem is logged).

    Args:
        xml: the message bytes.
        shown: file name for problems; row: line of the message; place: where, for problems.
        tz: zone for times without an offset.
        log: problems.
    """
    root: Element | None
    try:
        root = ElementTree.fromstring(xml)
    except DefusedXmlException as exc:
        log.add(shown, place, f"forbidden XML construct ({exc}); skipped", kind="bad XML")
        return None
    except ParseError as exc:
        repaired = _BARE_AMPERSAND.sub(b"&amp;", xml)
        try:
            root = ElementTree.fromstring(repaired) if repaired != xml else None
        except (ParseError, DefusedXmlException):
            root = None
        if root is None:
            log.add(shown, place, f"not a well-formed XML audit message ({exc}); skipped",
                    kind="bad XML")
            return None
        log.add(shown, place, f"not well-formed XML ({exc}): a bare '&' (as in an unescaped "
                "HL7 v2 CX identifier) was read as '&amp;'",
                severity=ProblemSeverity.WARNING, kind="bare ampersand")
    if root is None:  # pragma: no cover - fromstring returns an element or raises
        return None
    if _local(root.tag) != "AuditMessage":
        log.add(shown, place, f"root element is {_local(root.tag)!r}, not AuditMessage; skipped",
                kind="not AuditMessage")
        return None
    ident = next(iter(_children(root, "EventIdentification")), None)
    if ident is None:
        log.add(shown, place, "no EventIdentification; skipped", kind="no EventIdentification")
        return None
    catalog = presets()
    event_id_el = next(iter(_children(ident, "EventID")), None)
    code, display = _code(event_id_el) if event_id_el is not None else ("", "")
    action_value = catalog.dicom_events.get(code, "")
    if not action_value:
        return False
    if action_value == "by-action":
        letter = (ident.get("EventActionCode") or "").upper()
        action_value = _ACTION_LETTERS.get(letter, "")
        if not action_value:
            log.add(shown, place, f"EventActionCode {letter!r} is not C, R, U, D or E; skipped",
                    kind="bad action")
            return None
    raw_time = ident.get("EventDateTime") or ""
    when = parse_instant(raw_time, tz)
    if when is None:
        log.add(shown, place, f"EventDateTime {raw_time!r} missing or unreadable; skipped",
                kind="bad timestamp")
        return None
    participants = _children(root, "ActiveParticipant")
    requestor = next((p for p in participants
                      if (p.get("UserIsRequestor") or "").lower() == "true"), None)
    if requestor is None and participants:
        requestor = participants[0]
    user = (requestor.get("UserID") or "").strip() if requestor is not None else ""
    if not user:
        log.add(shown, place, "no ActiveParticipant with a UserID; skipped", kind="no user id")
        return None
    role = ""
    if requestor is not None:
        roles = [c for c in _children(requestor, "RoleIDCode")]
        if roles:
            role_code, role_display = _code(roles[0])
            role = role_display or role_code
    patient = ""
    obj = ""
    for item in _children(root, "ParticipantObjectIdentification"):
        if item.get("ParticipantObjectTypeCode") == "1" and \
                item.get("ParticipantObjectTypeCodeRole") == "1" and not patient:
            patient = cx_id(item.get("ParticipantObjectID") or "")
        elif not obj:
            obj = item.get("ParticipantObjectID") or ""
    codes = [_code(c) for c in _children(ident, "EventTypeCode")]
    codes += [_code(c) for c in _children(ident, "PurposeOfUse")]
    btg_codes = {c.upper() for c in catalog.break_glass_codes}
    btg = [(c, d) for c, d in [*codes, (code, display)] if c.upper() in btg_codes]
    purposes = [c for c, _ in (_code(p) for p in _children(ident, "PurposeOfUse")) if c]
    outcome = "success" if (ident.get("EventOutcomeIndicator") or "0") == "0" else "failure"
    return AccessEvent(
        event_id="atna-" + hashlib.sha256(xml).hexdigest()[:20],
        time=when,
        user_id=user,
        action=AccessAction(action_value),
        patient_id=patient,
        user_role=role,
        object=obj or display or code,
        workstation=(requestor.get("NetworkAccessPointID") or "") if requestor is not None
        else "",
        outcome=outcome,
        break_glass=bool(btg),
        break_glass_reason=next((d or c for c, d in btg), ""),
        purpose=",".join(sorted(set(purposes))),
        source_file=shown,
        source_row=row,
    )


def _messages(data: bytes) -> list[tuple[bytes, int]]:
    """(XML bytes, line) for every message: the whole file, or each RFC 5424 syslog message."""
    text = data.decode("utf-8", errors="replace")
    starts = [m.start() for m in _SYSLOG_START.finditer(text)]
    if not starts:
        return [(data.lstrip(b"\xef\xbb\xbf"), 1)]
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        line = text.count("\n", 0, start) + 1
        match = _XML_START.search(chunk)
        payload = chunk[match.start():] if match else ""
        out.append((payload.strip().lstrip("\ufeff").encode("utf-8"), line))
    return out


def read_atna_events(path: Path, shown: str, *, timezone: str,
                     log: ProblemLog) -> tuple[list[AccessEvent], int]:
    """Every audit message of an XML or syslog file → (events, skipped non-access count).

    A bad message is skipped with a problem naming its line; the others are kept.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.add(shown, "", f"cannot be read: {exc.strerror}")
        return [], 0
    events: list[AccessEvent] = []
    skipped = 0
    for xml, line in _messages(data):
        place = f"line {line}"
        if not xml:
            log.add(shown, place, "syslog message carries no XML audit message; skipped",
                    severity=ProblemSeverity.WARNING, kind="no XML payload")
            continue
        result = message_to_event(xml, shown=shown, row=line, place=place, tz=timezone, log=log)
        if result is False:
            skipped += 1
        elif isinstance(result, AccessEvent):
            events.append(result)
    return events, skipped
