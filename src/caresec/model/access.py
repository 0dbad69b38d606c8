"""EHR access-log review records: normalized access events, cases and the review result.

The normalized event schema is documented in ``docs/access-review.md``; at scale events live in
Parquet (one row per event, columns as :class:`AccessEvent`), and this record is the row form the
format readers (FHIR AuditEvent, DICOM PS3.15 / IHE ATNA) produce before writing. Patients appear
in :class:`AccessCase` only as keyed pseudonyms unless the user opted in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from caresec.model.problems import InputProblem


class AccessAction(StrEnum):
    """What a workforce member did to a record.

    ``view`` (read, FHIR/DICOM action ``R``), ``create`` (``C``), ``update`` (``U``), ``delete``
    (``D``), ``print``, ``export`` (DICOM 110106 Export, disclosure), ``query`` (search or
    lookup, DICOM 110112 Query, FHIR ``search``).
    """

    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    PRINT = "print"
    EXPORT = "export"
    QUERY = "query"


class AccessPattern(StrEnum):
    """The misuse patterns caresec looks for (one detector each).

    ``vip`` (a VIP-flagged patient), ``coworker`` (the patient is an employee),
    ``family-or-neighbour`` (same surname and address, or same address or building),
    ``self`` (the user's own record), ``deceased`` (a patient dead before the access),
    ``after-termination`` (the account was used after the user's termination date),
    ``after-hours`` (outside the hours the user, or the role, normally works),
    ``volume`` (bulk lookups or unusual volume against the peer group),
    ``break-glass`` (emergency override without care evidence within N hours),
    ``new-workstation`` (a workstation or location the user never used, outside the department).
    """

    VIP = "vip"
    COWORKER = "coworker"
    FAMILY_OR_NEIGHBOUR = "family-or-neighbour"
    SELF = "self"
    DECEASED = "deceased"
    AFTER_TERMINATION = "after-termination"
    AFTER_HOURS = "after-hours"
    VOLUME = "volume"
    BREAK_GLASS = "break-glass"
    NEW_WORKSTATION = "new-workstation"


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One audit-log event in the normalized schema.

    Attributes:
        event_id: the source's id (FHIR ``AuditEvent.id``, a CSV column) or, where the format
            has none (DICOM audit messages), ``atna-`` and the first 20 hex digits of the
            message's SHA-256.
        time: when it happened, time-zone aware (UTC after normalization).
        user_id: the workforce member (FHIR requestor agent ``who``; DICOM requestor
            ``UserID``).
        user_role, user_department: as logged ("" when the log does not say; the roster fills
            them in at review).
        patient_id: the patient whose record was touched; ``""`` when none (a search, a login).
        action: :class:`AccessAction`.
        object: the record part or workflow (``Patient/123``, ``Chart Review``, ``110110``).
        workstation: workstation name or source IP address.
        outcome: ``success`` or ``failure``.
        break_glass: emergency override (break-the-glass) was declared.
        break_glass_reason: the reason given, if any.
        purpose: purpose of use (HL7 v3 ActReason code such as ``TREAT``), if logged.
        source_file: the file it was read from.
        source_row: row (CSV, 1-based, header is row 1), line (NDJSON, syslog) or entry index
            (Bundle, 1-based) in that file.
        extra: columns of the source not in this schema, as ``(name, value)`` pairs.
    """

    event_id: str
    time: datetime
    user_id: str
    action: AccessAction
    patient_id: str = ""
    user_role: str = ""
    user_department: str = ""
    object: str = ""
    workstation: str = ""
    outcome: str = "success"
    break_glass: bool = False
    break_glass_reason: str = ""
    purpose: str = ""
    source_file: str = ""
    source_row: int = 0
    extra: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class AccessCase:
    """One ranked case for a privacy officer: a user, a pattern, and the events behind it.

    Attributes:
        case_id: stable id within a run (``ACC-`` and 10 hex digits of a digest of the pattern,
            user, patient pseudonym and first event id).
        pattern: :class:`AccessPattern`.
        user_id: the workforce member whose account made the accesses.
        user_role, user_department: from the roster (or as logged).
        score: 0–100, higher first; see ``docs/access-review.md`` for how it is built.
        patient: the patient's keyed pseudonym (:mod:`caresec.privacy`), or the id when the
            user opted in; ``""`` when the case spans several patients (volume, after-hours,
            new workstation, after-termination).
        patients: number of distinct patients touched by the case's events.
        event_ids: the events behind the case, in time order.
        first_event, last_event: UTC times of the first and last of them.
        evidence: the evidence chain, one sentence each, in words a privacy officer can act on.
        also: other patterns that fired on the same user and events.
    """

    case_id: str
    pattern: AccessPattern
    user_id: str
    score: float
    event_ids: tuple[str, ...]
    first_event: datetime
    last_event: datetime
    evidence: tuple[str, ...]
    user_role: str = ""
    user_department: str = ""
    patient: str = ""
    patients: int = 1
    also: tuple[AccessPattern, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessReview:
    """The outcome of one access-log review.

    Attributes:
        engine: ``duckdb`` or ``spark``.
        events: events analysed (after duplicates were dropped).
        patient_events: events that touch a patient record.
        explained_events: patient events explained by a template.
        explained_share: ``explained_events / patient_events`` (0.0 when there are none).
        explained_by: events explained per template id, in template priority order.
        cases: ranked cases, highest score first.
        problems: input problems (file and row named) from ingestion and context.
        counts: other counts (``duplicate event ids``, ``unknown users``, ``unknown patients``,
            ``users``, ``patients`` …) as ``(name, value)`` pairs.
        period_start, period_end: UTC times of the first and last event (None when empty).
        pseudonymized: patients appear as keyed pseudonyms (False only when the user opted in).
        timezone: the IANA time zone local hours and days were judged in.
    """

    engine: str
    events: int
    patient_events: int
    explained_events: int
    explained_share: float
    explained_by: tuple[tuple[str, int], ...] = ()
    cases: tuple[AccessCase, ...] = ()
    problems: tuple[InputProblem, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    period_start: datetime | None = None
    period_end: datetime | None = None
    pseudonymized: bool = True
    timezone: str = "UTC"

    def count(self, name: str) -> int:
        """The value of ``counts`` entry ``name`` (0 when absent)."""
        return dict(self.counts).get(name, 0)
