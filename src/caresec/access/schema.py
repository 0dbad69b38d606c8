"""The normalized access-event schema as an Apache Arrow / Parquet schema.

One row per event; the columns are those of :class:`~caresec.model.access.AccessEvent`
(``time`` is stored as ``ts``, a UTC timestamp in microseconds; ``extra`` as a JSON object text).
Documented in ``docs/access-review.md`` §Event schema.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import UTC
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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
UNIQUE_IDS_KEY = "caresec.unique_event_ids"
"""Parquet key-value metadata set to ``true`` by caresec's writers when no event id repeats
within the file (checked when written)."""
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


def with_unique_flag(table: pa.Table) -> pa.Table:
    """``table`` with :data:`UNIQUE_IDS_KEY` in its schema metadata: ``true`` when no event id
    repeats in it, else ``false`` (computed here)."""
    unique = pc.count_distinct(table.column("event_id")).as_py() == table.num_rows
    metadata = dict(table.schema.metadata or {})
    metadata[UNIQUE_IDS_KEY.encode()] = b"true" if unique else b"false"
    return table.replace_schema_metadata(metadata)


def id_range(path: Path) -> tuple[str, str] | None:
    """(smallest, largest) event id of a Parquet file written by caresec with
    :data:`UNIQUE_IDS_KEY` ``true`` and exact statistics; None otherwise (unknown)."""
    metadata = pq.read_metadata(path)
    if (metadata.metadata or {}).get(UNIQUE_IDS_KEY.encode()) != b"true":
        return None
    if metadata.num_rows == 0:
        return None
    column = metadata.schema.names.index("event_id")
    low: str | None = None
    high: str | None = None
    for i in range(metadata.num_row_groups):
        stats = metadata.row_group(i).column(column).statistics
        if stats is None or not stats.has_min_max:
            return None
        if not getattr(stats, "is_min_value_exact", True) or \
                not getattr(stats, "is_max_value_exact", True):
            return None
        low = stats.min if low is None or stats.min < low else low
        high = stats.max if high is None or stats.max > high else high
    if low is None or high is None:
        return None
    return str(low), str(high)


def ids_known_unique(paths: Sequence[Path]) -> bool:
    """Whether no event id can repeat across ``paths``: every file is flagged unique by
    caresec's writer and their id ranges (Parquet column statistics) do not overlap."""
    ranges = []
    for path in paths:
        found = id_range(path)
        if found is None:
            return False
        ranges.append(found)
    ranges.sort()
    return all(prev[1] < nxt[0] for prev, nxt in itertools.pairwise(ranges))
