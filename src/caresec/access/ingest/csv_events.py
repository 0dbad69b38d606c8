"""CSV access-log exports → normalized event tables (streamed, vectorized with Apache Arrow).

The header row names the columns; a :class:`~caresec.access.ingest.mapping.ColumnMapping`
(a shipped preset, detected from the header, or a mapping file) says which column holds which
field. Columns the mapping does not name are kept, per row, as a JSON object in ``extra``.

Rows are numbered as in a spreadsheet: the header is row 1. A row that does not parse (wrong
number of fields, e.g. a truncated last line) is skipped and named by its line; a row with a bad
timestamp, no user or an unknown action is skipped and named by its row; everything else in the
file is kept.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from caresec.access.catalog import presets
from caresec.access.ingest.mapping import ColumnMapping, detect_preset
from caresec.access.ingest.problems import ProblemLog
from caresec.access.ingest.timeparse import parse_instants
from caresec.access.schema import EVENT_SCHEMA
from caresec.model.problems import ProblemSeverity

BLOCK_BYTES = 8 << 20


def read_header(path: Path) -> list[str]:
    """The header row of a CSV file (BOM stripped); ``[]`` for an empty file.

    Raises:
        OSError: the file cannot be read.
        UnicodeDecodeError: the header is not UTF-8.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            return [c.strip() for c in row]
    return []


def read_csv_events(path: Path, shown: str, *, mapping: ColumnMapping | None, timezone: str,
                    log: ProblemLog) -> Iterator[pa.Table]:
    """Stream one CSV export as tables in :data:`~caresec.access.schema.EVENT_SCHEMA`.

    Args:
        path: the file.
        shown: the name used in problems (the path as the user gave it).
        mapping: the column mapping; None = the first shipped preset that fits the header.
        timezone: IANA zone for timestamps without an offset (the mapping's own wins).
        log: where problems go (file and row named).

    Yields:
        One table per block of rows (about 8 MB of CSV each).
    """
    try:
        header = read_header(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.add(shown, "row 1", f"the header cannot be read: {exc}")
        return
    if not header:
        log.add(shown, "", "the file is empty", severity=ProblemSeverity.WARNING)
        return
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        log.add(shown, "row 1", f"column name(s) {', '.join(duplicates)} appear more than once")
        return
    chosen = mapping or detect_preset(header)
    if chosen is None:
        known = ", ".join(p.id for p in presets().presets)
        log.add(shown, "row 1", f"no column-mapping preset fits the header ({', '.join(header)});"
                f" give a mapping file (presets: {known})")
        return
    missing = chosen.missing(header)
    if missing:
        cols = ", ".join(f"{f} (column {chosen.columns.get(f, '?')!r})" for f in missing)
        log.add(shown, "row 1", f"required column(s) missing for mapping {chosen.name}: {cols}")
        return

    bad_lines: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        line = row.number if row.number is not None else 0
        bad_lines.append(line)
        log.add(shown, f"line {line}" if line else "",
                f"row has {row.actual_columns} field(s), expected {row.expected_columns} "
                f"(truncated or misquoted); skipped", kind="malformed row")
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        log.add(shown, "", f"cannot be read as CSV: {exc}")
        return
    delivered = 0
    tz = chosen.timezone or timezone
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            log.add(shown, f"after row {delivered + 1 + len(bad_lines)}",
                    f"stopped reading: {exc}; the rows before were kept")
            break
        rows = _row_numbers(delivered, batch.num_rows, bad_lines)
        delivered += batch.num_rows
        table = _normalize(pa.Table.from_batches([batch]), rows, chosen, header, tz, shown, log)
        if table.num_rows:
            yield table


def _row_numbers(start: int, count: int, bad_lines: list[int]) -> np.ndarray:
    rows = np.arange(start, start + count, dtype=np.int64) + 2
    for line in sorted(bad_lines):
        rows += rows >= line
    return rows


def _column(table: pa.Table, mapping: ColumnMapping, field: str) -> pa.Array | None:
    name = mapping.columns.get(field)
    if name is None or name not in table.column_names:
        return None
    return pc.utf8_trim_whitespace(table.column(name).combine_chunks())


def _lookup(values: pa.Array, words: dict[str, str]) -> pa.Array:
    keys = pa.array(list(words), type=pa.string())
    targets = pa.array(list(words.values()), type=pa.string())
    index = pc.index_in(pc.utf8_lower(values), value_set=keys)
    return pc.take(targets, index)


def _normalize(table: pa.Table, rows: np.ndarray, mapping: ColumnMapping, header: list[str],
               tz: str, shown: str, log: ProblemLog) -> pa.Table:
    n = table.num_rows
    catalog = presets()
    valid = np.ones(n, dtype=bool)
    row_array = pa.array(rows)

    ts, bad = parse_instants(_column(table, mapping, "time") or pa.nulls(n, pa.string()), tz,
                             mapping.time_format)
    if bad:
        raw = _column(table, mapping, "time")
        for i in bad:
            shown_value = raw[i].as_py() if raw is not None else ""
            log.add(shown, f"row {rows[i]}, column {mapping.columns['time']}",
                    f"timestamp {shown_value!r} cannot be read; row skipped",
                    kind="bad timestamp")
        valid[bad] = False

    user = _column(table, mapping, "user_id")
    assert user is not None  # required column, checked before
    no_user = np.asarray(pc.equal(user, "").to_numpy(zero_copy_only=False), dtype=bool)
    for i in np.flatnonzero(no_user & valid).tolist():
        log.add(shown, f"row {rows[i]}, column {mapping.columns['user_id']}",
                "no user id; row skipped", kind="no user id")
    valid &= ~no_user

    raw_action = _column(table, mapping, "action")
    assert raw_action is not None
    action = _lookup(raw_action, {**catalog.action_words(), **mapping.actions})
    unknown_action = np.asarray(action.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    for i in np.flatnonzero(unknown_action & valid).tolist():
        log.add(shown, f"row {rows[i]}, column {mapping.columns['action']}",
                f"action {raw_action[i].as_py()!r} is not known; row skipped (add it to the "
                f"mapping's actions)", kind="unknown action")
    valid &= ~unknown_action

    outcome_raw = _column(table, mapping, "outcome")
    if outcome_raw is None:
        outcome = pa.array(["success"] * n, type=pa.string())
    else:
        outcome = _lookup(outcome_raw, catalog.outcome_words())
        empty = pc.equal(outcome_raw, "")
        outcome = pc.if_else(empty, pa.scalar("success"), outcome)
        odd = np.asarray(outcome.is_null().to_numpy(zero_copy_only=False), dtype=bool) & valid
        for i in np.flatnonzero(odd).tolist():
            log.add(shown, f"row {rows[i]}, column {mapping.columns['outcome']}",
                    f"outcome {outcome_raw[i].as_py()!r} is not known; kept as unknown",
                    severity=ProblemSeverity.WARNING, kind="unknown outcome")

    btg_raw = _column(table, mapping, "break_glass")
    if btg_raw is None:
        btg = pa.array(np.zeros(n, dtype=bool))
    else:
        btg = pc.is_in(pc.utf8_lower(btg_raw), value_set=pa.array(list(catalog.truthy)))
    purpose = _column(table, mapping, "purpose")
    if purpose is not None:
        codes = pa.array([c.lower() for c in catalog.break_glass_codes])
        btg = pc.or_(btg, pc.is_in(pc.utf8_lower(purpose), value_set=codes))

    event_id = _column(table, mapping, "event_id")
    if event_id is None or pc.any(pc.equal(event_id, "")).as_py():
        event_id = _derived_ids(table, event_id, header)
        if mapping.columns.get("event_id") in header:
            empty_rows = [int(rows[i]) for i, v in enumerate(
                _column(table, mapping, "event_id") or []) if v.as_py() == ""]
            log.rows(shown, empty_rows, "no event id; an id was derived from the row's content",
                     severity=ProblemSeverity.WARNING)

    def text(field: str) -> pa.Array:
        values = _column(table, mapping, field)
        if values is None:
            return pa.nulls(n, pa.string())
        return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)

    mapped = set(mapping.columns.values())
    extra_names = [c for c in header if c not in mapped]
    extra = _extra(table, extra_names) if extra_names else pa.nulls(n, pa.string())

    arrays = [event_id, ts, user, text("user_role"), text("user_department"),
              text("patient_id"), action, text("object"), text("workstation"), outcome, btg,
              text("break_glass_reason"), text("purpose"), pa.array([shown] * n, pa.string()),
              row_array, extra]
    out = pa.Table.from_arrays(arrays, names=EVENT_SCHEMA.names)
    return out.filter(pa.array(valid)).cast(EVENT_SCHEMA)


def _derived_ids(table: pa.Table, given: pa.Array | None, header: list[str]) -> pa.Array:
    columns = [table.column(c).to_pylist() for c in header]
    given_list = given.to_pylist() if given is not None else [""] * table.num_rows
    out = []
    for i, value in enumerate(given_list):
        if value:
            out.append(value)
            continue
        digest = hashlib.sha256("\x1f".join(str(col[i]) for col in columns).encode()).hexdigest()
        out.append("row-" + digest[:20])
    return pa.array(out, type=pa.string())


def _extra(table: pa.Table, names: list[str]) -> pa.Array:
    columns = [table.column(c).to_pylist() for c in names]
    out = []
    for i in range(table.num_rows):
        values = {name: col[i] for name, col in zip(names, columns, strict=True) if col[i]}
        out.append(json.dumps(values, sort_keys=True, ensure_ascii=False) if values else None)
    return pa.array(out, type=pa.string())
