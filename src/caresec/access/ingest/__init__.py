"""Ingest access logs into the normalized event schema, stored as Parquet.

Formats are recognized from content, not names: Parquet (``PAR1`` magic; must already be in
the normalized schema), FHIR AuditEvent JSON / Bundle / NDJSON, DICOM PS3.15 / IHE ATNA XML,
the same wrapped in RFC 5424 syslog, and CSV with a column mapping.

Each input file becomes one Parquet file named after it and a digest of its absolute path, so a
re-run overwrites rather than adds (idempotent); a file that fails part-way keeps the rows read
before the failure, and the other files are unaffected. Each Parquet file records whether its
event ids are unique (key ``caresec.unique_event_ids``). Duplicate event ids (within or across
files) are dropped at review, keeping the first by file and row, and counted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from caresec.access.ingest.atna import read_atna_events
from caresec.access.ingest.csv_events import read_csv_events
from caresec.access.ingest.fhir import read_fhir_events
from caresec.access.ingest.mapping import ColumnMapping
from caresec.access.ingest.problems import ProblemLog
from caresec.access.schema import (
    EVENT_SCHEMA,
    UNIQUE_IDS_KEY,
    events_to_table,
    with_unique_flag,
)
from caresec.model.problems import InputProblem

_SYSLOG = re.compile(rb"^<\d{1,3}>1 ")
_REQUIRED = ("event_id", "ts", "user_id", "action")


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What ingestion produced.

    Attributes:
        parquet_files: normalized Parquet files, one per readable input (inputs that were
            already normalized Parquet are listed as they are).
        events: events written (before duplicates are dropped).
        skipped: audit records that are not record accesses (logins, application start …).
        formats: ``(file, format)`` for every input (``csv:<preset>``, ``fhir``, ``atna``,
            ``syslog-atna``, ``parquet``, ``unreadable``).
        problems: every problem, file and place named.
    """

    parquet_files: tuple[Path, ...]
    events: int
    skipped: int
    formats: tuple[tuple[str, str], ...]
    problems: tuple[InputProblem, ...]


def sniff(path: Path) -> str:
    """The format of ``path`` from its first bytes: ``parquet``, ``json``, ``syslog``, ``xml``
    or ``csv``.

    Raises:
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"{", b"[")):
        return "json"
    if _SYSLOG.match(text):
        return "syslog"
    if text.startswith(b"<"):
        return "xml"
    return "csv"


def output_name(path: Path) -> str:
    """The Parquet name for input ``path``: its stem and 8 hex digits of its absolute path."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.name)
    return f"{stem}-{digest}.parquet"


def check_parquet(path: Path, shown: str, log: ProblemLog) -> bool:
    """Whether a Parquet input is in the normalized schema (a problem is logged if not)."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        log.add(shown, "", f"cannot be read as Parquet (truncated?): {exc}")
        return False
    missing = [c for c in _REQUIRED if c not in schema.names]
    if missing:
        log.add(shown, "", f"Parquet file lacks column(s) {', '.join(missing)} of the normalized "
                "event schema; ingest the source export instead")
        return False
    wrong = [c for c in EVENT_SCHEMA.names if c in schema.names
             and not schema.field(c).type.equals(EVENT_SCHEMA.field(c).type)
             and not (c == "ts" and pa.types.is_timestamp(schema.field(c).type))]
    if wrong:
        log.add(shown, "", f"Parquet column(s) {', '.join(wrong)} have the wrong type")
        return False
    absent = [c for c in EVENT_SCHEMA.names if c not in schema.names]
    if absent:
        log.add(shown, "", f"Parquet file lacks column(s) {', '.join(absent)} of the normalized "
                "event schema; ingest the source export instead")
        return False
    return True


def ingest_events(paths: Sequence[Path], out_dir: Path, *, mapping: ColumnMapping | None = None,
                  timezone: str = "UTC") -> IngestResult:
    """Read every access log in ``paths`` into normalized Parquet files under ``out_dir``.

    Args:
        paths: log files (folders are read recursively, hidden files skipped).
        out_dir: where the Parquet files go (created).
        mapping: CSV column mapping; None = detect a shipped preset from each header.
        timezone: IANA zone for timestamps without an offset.

    Returns:
        :class:`IngestResult`. Unreadable inputs become problems; nothing raises for bad input.

    Raises:
        CaresecError: ``timezone`` is unknown.
        OSError: ``out_dir`` cannot be written.
    """
    from caresec.access.ingest.timeparse import zone

    zone(timezone)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = ProblemLog()
    written: list[Path] = []
    formats: list[tuple[str, str]] = []
    events = 0
    skipped = 0
    for path in _expand(paths, log):
        shown = str(path)
        try:
            kind = sniff(path)
        except OSError as exc:
            log.add(shown, "", f"cannot be read: {exc.strerror}")
            formats.append((shown, "unreadable"))
            continue
        if kind == "parquet":
            formats.append((shown, "parquet"))
            if check_parquet(path, shown, log):
                written.append(path)
                events += pq.read_metadata(path).num_rows
            continue
        target = out_dir / output_name(path)
        if kind == "csv":
            label, count = _write_csv(path, shown, target, mapping, timezone, log)
            formats.append((shown, label))
        else:
            if kind == "json":
                records, skip = read_fhir_events(path, shown, timezone=timezone, log=log)
                formats.append((shown, "fhir"))
            else:
                records, skip = read_atna_events(path, shown, timezone=timezone, log=log)
                formats.append((shown, "syslog-atna" if kind == "syslog" else "atna"))
            skipped += skip
            count = len(records)
            _atomic_write(events_to_table(records), target)
        events += count
        if count:
            written.append(target)
        else:
            target.unlink(missing_ok=True)
    return IngestResult(parquet_files=tuple(written), events=events, skipped=skipped,
                        formats=tuple(formats), problems=tuple(log.problems()))


def _expand(paths: Sequence[Path], log: ProblemLog) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            log.add(str(path), "", "no such file or folder")
    return files


def _write_csv(path: Path, shown: str, target: Path, mapping: ColumnMapping | None,
               timezone: str, log: ProblemLog) -> tuple[str, int]:
    from caresec.access.ingest.csv_events import read_header
    from caresec.access.ingest.mapping import detect_preset

    label = "csv"
    try:
        chosen = mapping or detect_preset(read_header(path))
        label = f"csv:{chosen.name}" if chosen is not None else "csv"
    except (OSError, UnicodeDecodeError):
        pass
    count = 0
    partial = target.with_suffix(".partial")
    writer: pq.ParquetWriter | None = None
    ids: list[pa.Array] = []
    try:
        for table in read_csv_events(path, shown, mapping=mapping, timezone=timezone, log=log):
            if writer is None:
                writer = pq.ParquetWriter(partial, EVENT_SCHEMA, compression="zstd")
            writer.write_table(table)
            ids.extend(table.column("event_id").chunks)
            count += table.num_rows
    finally:
        if writer is not None:
            unique = pc.count_distinct(pa.chunked_array(ids, pa.string())).as_py() == count
            writer.add_key_value_metadata({UNIQUE_IDS_KEY: "true" if unique else "false"})
            writer.close()
    if writer is not None:
        partial.replace(target)
    return label, count


def _atomic_write(table: pa.Table, target: Path) -> None:
    partial = target.with_suffix(".partial")
    pq.write_table(with_unique_flag(table), partial, compression="zstd")
    partial.replace(target)


__all__ = ["IngestResult", "ingest_events", "output_name", "sniff"]
