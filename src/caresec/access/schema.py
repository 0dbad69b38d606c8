"""The normalized access-event schema as an Apache Arrow / Parquet schema.

One row per event; the columns are those of :class:`~caresec.model.access.AccessEvent`
(``time`` is stored as ``ts``, a UTC timestamp in microseconds; ``extra`` as a JSON object text).
Documented in ``docs/access-review.md`` §Event schema.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC

import pyarrow as pa

from caresec.model.access import AccessAction, AccessEvent

TIMESTAMP = pa.timestamp("us", tz="UTC")

EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("ts", TIMESTAMP, nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("user_role", pa.string()),
        pa.field("user_dept", pa.string()),
        pa.field("patient_id", pa.string()),
        pa.field("action", pa.string(), nullable=False),
        pa.field("object", pa.string()),
        pa.field("workstation", pa.string()),
        pa.field("outcome", pa.string()),
        pa.field("btg", pa.bool_()),
        pa.field("btg_reason", pa.string()),
        pa.field("purpose", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_row", pa.int64()),
        pa.field("extra", pa.string()),
    ]
)
"""Parquet schema of normalized events (``patient_id`` is null when no patient is touched)."""

COLUMNS: tuple[str, ...] = tuple(EVENT_SCHEMA.names)
ACTIONS: frozenset[str] = frozenset(a.value for a in AccessAction)
OUTCOMES: frozenset[str] = frozenset({"success", "failure"})


def events_to_table(events: Sequence[AccessEvent]) -> pa.Table:
    """Records → an Arrow table in :data:`EVENT_SCHEMA` (times converted to UTC)."""
    return pa.Table.from_pydict(
        {
            "event_id": [e.event_id for e in events],
            "ts": [e.time.astimezone(UTC) for e in events],
            "user_id": [e.user_id for e in events],
            "user_role": [e.user_role or None for e in events],
            "user_dept": [e.user_department or None for e in events],
            "patient_id": [e.patient_id or None for e in events],
            "action": [e.action.value for e in events],
            "object": [e.object or None for e in events],
            "workstation": [e.workstation or None for e in events],
            "outcome": [e.outcome for e in events],
            "btg": [e.break_glass for e in events],
            "btg_reason": [e.break_glass_reason or None for e in events],
            "purpose": [e.purpose or None for e in events],
            "source_file": [e.source_file for e in events],
            "source_row": [e.source_row for e in events],
            "extra": [json.dumps(dict(e.extra), sort_keys=True) if e.extra else None
                      for e in events],
        },
        schema=EVENT_SCHEMA,
    )


def empty_events() -> pa.Table:
    """An empty table in :data:`EVENT_SCHEMA`."""
    return EVENT_SCHEMA.empty_table()
