"""The access review: ingest → context → explain → detect → cases, on DuckDB or Spark.

Every step is one SQL statement over named tables (:mod:`caresec.access.explain`,
:mod:`caresec.access.detectors`); the engine only runs them. Local time (for days and hours) is
``t + offset(t)``, with the UTC offset of the review's time zone as a CASE over the zone's
transitions in the log's period, computed here with :mod:`zoneinfo`, so that both engines do the
same integer arithmetic and agree to the event.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from caresec.access import detectors as d
from caresec.access.cases import Hit, UserInfo, VolumeDay, build_cases
from caresec.access.catalog import ExplanationCatalog, explanations
from caresec.access.context import Context, load_context
from caresec.access.engines import Engine, open_engine
from caresec.access.explain import (
    explained_sql,
    ftouch_sql,
    relationship_sql,
    touch_sql,
    unexplained_sql,
)
from caresec.access.ingest import IngestResult, ingest_events
from caresec.access.ingest.mapping import ColumnMapping
from caresec.access.ingest.timeparse import zone
from caresec.access.pseudonym import Identity, KeyedPseudonymizer, Pseudonymizer
from caresec.access.schema import ids_known_unique
from caresec.model.access import AccessPattern, AccessReview
from caresec.model.problems import InputProblem, ProblemSeverity

COLLECTOR = "access"
NAMED_DUPLICATES = 20


def local_offset_sql(tz: str, t_min: int, t_max: int, column: str = "t") -> str:
    """SQL for the UTC offset (seconds) of zone ``tz`` at epoch second ``column``, exact over
    ``[t_min, t_max]`` (a CASE over the zone's transitions in that period, from the IANA tz
    database through :mod:`zoneinfo`).

    Raises:
        CaresecError: unknown zone.
    """
    info = zone(tz)

    def offset(t: int) -> int:
        delta = datetime.fromtimestamp(t, tz=UTC).astimezone(info).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    start = t_min - 86400
    stop = t_max + 86400
    pieces: list[tuple[int, int]] = []  # (first second with this offset, offset)
    current = offset(start)
    t = start
    while t < stop:
        nxt = min(t + 86400, stop)
        if offset(nxt) != current:
            lo, hi = t, nxt  # offset(lo) == current != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            pieces.append((hi, current))
            current = offset(hi)
        t = nxt
    if not pieces:
        return str(current)
    whens = " ".join(f"WHEN {column} < {edge} THEN {value}" for edge, value in pieces)
    return f"(CASE {whens} ELSE {current} END)"


def review_access(
    events_paths: Sequence[Path],
    context_dir: Path,
    *,
    engine: str = "duckdb",
    pseudonymizer: Pseudonymizer | None = None,
    today: date | None = None,
    timezone: str = "UTC",
    mapping: ColumnMapping | None = None,
    work_dir: Path | None = None,
    threads: int = 0,
    memory_limit: str = "",
) -> AccessReview:
    """Review EHR access logs against their clinical and workforce context.

    Args:
        events_paths: log files or folders (CSV, FHIR AuditEvent JSON/NDJSON/Bundle, DICOM /
            ATNA XML or syslog, normalized Parquet).
        context_dir: the context folder (:mod:`caresec.access.context`).
        engine: ``duckdb`` (default) or ``spark``.
        pseudonymizer: how patients appear in cases; None = keyed pseudonyms
            (:mod:`caresec.privacy`) with a random per-run key;
            :class:`~caresec.access.pseudonym.Identity` shows ids (opt-in only).
        today: events dated after this day are counted as a warning (clock or time-zone
            errors); defaults to today (UTC).
        timezone: IANA zone for local days and hours (and for timestamps without an offset).
        mapping: CSV column mapping (None = detect a shipped preset per file).
        work_dir: where normalized Parquet and scratch files go; None = a temporary folder,
            removed afterwards. Normalized events are kept under ``work_dir/events``.
        threads, memory_limit: engine resources (0 / "" = engine defaults: all cores, 3 GB for
            DuckDB).

    Returns:
        :class:`AccessReview`: explained share, ranked cases, problems and counts.

    Raises:
        InputError: ``context_dir`` is not a folder.
        CaresecError: unknown engine or time zone; the engine cannot start.
    """
    zone(timezone)
    scratch = Path(tempfile.mkdtemp(prefix="caresec-access-")) if work_dir is None else work_dir
    try:
        # The context loads (mostly one core: CSV with quoted newlines, Arrow compute) while
        # the engine runs the steps that need only the events; see :func:`review_ingested`.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="caresec-context") as pool:
            pending = pool.submit(load_context, context_dir, timezone=timezone)
            ingested = ingest_events(events_paths, scratch / "events", mapping=mapping,
                                     timezone=timezone)
            return review_ingested(ingested, pending.result, engine=engine,
                                   pseudonymizer=pseudonymizer, today=today, timezone=timezone,
                                   work_dir=scratch, threads=threads, memory_limit=memory_limit)
    finally:
        if work_dir is None:
            shutil.rmtree(scratch, ignore_errors=True)


def review_ingested(
    ingested: IngestResult,
    context: Context | Callable[[], Context],
    *,
    engine: str = "duckdb",
    pseudonymizer: Pseudonymizer | None = None,
    today: date | None = None,
    timezone: str = "UTC",
    work_dir: Path,
    threads: int = 0,
    memory_limit: str = "",
    catalog: ExplanationCatalog | None = None,
) -> AccessReview:
    """The review proper, on events already normalized (see :func:`review_access`).

    ``context`` is the loaded context, or a function returning it (such as the ``result`` of a
    future): it is called only once the steps that need the events alone (time range, repeated
    event ids, ``ftouch``, ``touch``, ``useen``) have run, so that loading can overlap them.
    Its problems come right after the ingest problems, as if it had been loaded first."""
    catalog = catalog or explanations()
    pseudonymizer = pseudonymizer or KeyedPseudonymizer.ephemeral()
    load: Callable[[], Context] = context if callable(context) else (lambda: context)
    problems: list[InputProblem] = [*ingested.problems]
    counts: dict[str, int] = {"non-access records skipped": ingested.skipped}
    if not ingested.parquet_files:
        problems.extend(load().problems)
        return AccessReview(engine=engine, events=0, patient_events=0, explained_events=0,
                            explained_share=0.0, problems=tuple(problems),
                            counts=tuple(sorted(counts.items())), timezone=timezone,
                            pseudonymized=not isinstance(pseudonymizer, Identity))
    eng = open_engine(engine, work_dir / "engine", threads=threads, memory_limit=memory_limit)
    try:
        return _run(eng, ingested, load, catalog=catalog, pseudonymizer=pseudonymizer,
                    today=today or datetime.now(UTC).date(), timezone=timezone,
                    problems=problems, counts=counts)
    finally:
        eng.close()


def _run(eng: Engine, ingested: IngestResult, load: Callable[[], Context], *,
         catalog: ExplanationCatalog,
         pseudonymizer: Pseudonymizer, today: date, timezone: str,
         problems: list[InputProblem], counts: dict[str, int]) -> AccessReview:
    params = catalog.parameters
    eng.register_parquet("raw_events", ingested.parquet_files)
    t_expr = f"CAST(FLOOR({eng.epoch_us('r.ts')} / 1000000) AS BIGINT)"
    end_of_today = int(datetime(today.year, today.month, today.day, tzinfo=zone(timezone))
                       .timestamp()) + 86400
    known = time_range(ingested.parquet_files)
    if known is not None and known[1] < end_of_today:
        t_min, t_max, total = known
        future = 0
    else:
        [(t_min, t_max, total, future)] = eng.rows(
            f"SELECT min({t_expr}), max({t_expr}), count(*), "
            f"sum(CASE WHEN {t_expr} >= {end_of_today} THEN 1 ELSE 0 END) FROM raw_events r")
    base = ("raw_events r" if ids_known_unique(ingested.parquet_files)
            else _dedupe(eng, problems, counts))
    offset = local_offset_sql(timezone, int(t_min), int(t_max), "t")
    eng.define_view("ev0", f"SELECT r.event_id, {t_expr} AS t, r.user_id, r.user_role, "
                    "r.user_dept, r.patient_id, r.action, r.workstation, "
                    "COALESCE(r.btg, FALSE) AS btg, r.btg_reason, r.source_file, r.source_row "
                    f"FROM {base}")
    eng.define_view("ev1", f"SELECT ev0.*, t + {offset} AS lt FROM ev0")
    eng.define_view("ev", "SELECT ev1.*, CAST(FLOOR(lt / 86400) AS BIGINT) AS lday, "
                    "CAST(FLOOR((lt % 86400) / 3600) AS BIGINT) AS lhour FROM ev1")

    eng.materialize("ftouch", ftouch_sql())
    eng.materialize("touch", touch_sql())
    eng.materialize("useen", d.useen_sql())
    context = load()  # needed from here on
    problems[len(ingested.problems):len(ingested.problems)] = context.problems
    for name, table in context.tables().items():
        eng.register_table(name, table)
    eng.materialize("unkusers", d.unknown_users_sql(), small=True)
    [(unknown_users,)] = eng.rows("SELECT count(*) FROM unkusers")
    eng.materialize("logged", d.logged_sql() if unknown_users else
                    "SELECT user_id, user_role, user_dept FROM raw_events WHERE 1 = 0")
    eng.materialize("uattr", d.uattr_sql())
    eng.materialize("cube", d.cube_sql())
    for name, sql in relationship_sql(catalog).items():
        eng.materialize(name, sql, small=True)
    eng.materialize("texp", explained_sql())
    utouch, unx = unexplained_sql(catalog)
    eng.materialize("utouch", utouch)
    eng.materialize("unx", unx)
    eng.materialize("flagged", d.flagged_sql(params))
    eng.materialize("uev", d.uev_sql(), small=True)
    for name, sql in d.volume_sql(params).items():
        eng.materialize(name, sql, small=name != "vflag")
    [(bulk_days,)] = eng.rows("SELECT count(*) FROM vflag f JOIN (SELECT user_id, lday, "
                              "sum(n_bulk) AS n FROM cube GROUP BY user_id, lday) c "
                              "ON c.user_id = f.user_id AND c.lday = f.lday WHERE c.n > 0")
    eng.materialize("bulkev", d.bulk_events_sql() if bulk_days else
                    "SELECT event_id, CAST(0 AS BIGINT) AS t, CAST(0 AS BIGINT) AS lt, "
                    "CAST(0 AS BIGINT) AS lday, user_id, patient_id, workstation "
                    "FROM raw_events WHERE 1 = 0")
    for name, sql in d.after_hours_sql(params).items():
        eng.materialize(name, sql, small=True)
    for name, sql in d.new_workstation_sql(params).items():
        eng.materialize(name, sql, small=True)
    for name, sql in d.break_glass_sql(params).items():
        eng.materialize(name, sql, small=True)
    eng.materialize("hits", d.hits_sql(params))
    eng.materialize("pact", d.active_care_sql(), small=True)

    [(patient_events, touches)] = eng.rows("SELECT COALESCE(sum(n), 0), count(*) FROM touch")
    by_prio = dict(eng.rows("SELECT prio, sum(n) FROM texp GROUP BY prio"))
    [(unexplained_first,)] = eng.rows("SELECT COALESCE(sum(n), 0) FROM utouch")
    [(unexplained,)] = eng.rows("SELECT COALESCE(sum(n), 0) FROM unx")
    repeat = next((t for t in catalog.templates if t.relation == "repeat"), None)
    if repeat is not None:
        by_prio[repeat.priority] = int(unexplained_first) - int(unexplained)
    explained_by = tuple((t.id, int(by_prio.get(t.priority, 0) or 0)) for t in catalog.ordered())
    explained = int(patient_events) - int(unexplained)

    hits = [Hit(pattern=AccessPattern(r[0]), user_id=str(r[1]), patient_id=str(r[2] or ""),
                event_id=str(r[3]), t=int(r[4]), lt=int(r[5]), workstation=str(r[6] or ""),
                detail=str(r[7] or ""), m1=float(r[8] or 0.0), m2=float(r[9] or 0.0))
            for r in eng.rows("SELECT * FROM hits")]
    active = frozenset(str(r[0]) for r in eng.rows("SELECT event_id FROM pact"))
    users = {str(r[0]): UserInfo(role=str(r[1] or ""), department=str(r[2] or ""),
                                 manager=str(r[3] or ""), known=bool(r[4]))
             for r in eng.rows("SELECT user_id, role, department, manager, known FROM uattr")}
    volume_days = {(str(r[0]), int(r[1])): VolumeDay(int(r[2]), int(r[3]), int(r[4]),
                                                     float(r[5] or 0), float(r[6] or 0),
                                                     float(r[7] or 0), float(r[8] or 0))
                   for r in eng.rows("SELECT user_id, lday, n_pat, n_unx, n_bulk, mu, sd, mb, sb "
                                     "FROM vflag")}
    locations = {w: ", ".join(x for x in (dept, loc) if x)
                 for w, dept, loc in zip(context.workstations.column("workstation").to_pylist(),
                                         context.workstations.column("department").to_pylist(),
                                         context.workstations.column("location").to_pylist(),
                                         strict=True) if w}
    cases = build_cases(hits, catalog=catalog, users=users, active_care=active,
                        volume_days=volume_days, locations=locations, pseudonymizer=pseudonymizer)

    _unknowns(eng, context, problems, counts)
    if future:
        _future_problem(eng, end_of_today, today, problems)
        counts["events after today"] = int(future)
    [(n_users,)] = eng.rows("SELECT count(*) FROM useen")
    [(n_patients,)] = eng.rows("SELECT count(DISTINCT patient_id) FROM touch")
    counts.update({
        "users": int(n_users), "patients": int(n_patients), "touches": int(touches),
        "unexplained events": int(unexplained), "cases": len(cases),
    })
    events = int(total) - counts.get("duplicate events dropped", 0)
    return AccessReview(
        engine=eng.name,
        events=events,
        patient_events=int(patient_events),
        explained_events=explained,
        explained_share=explained / int(patient_events) if patient_events else 0.0,
        explained_by=explained_by,
        cases=tuple(cases),
        problems=tuple(problems),
        counts=tuple(sorted(counts.items())),
        period_start=datetime.fromtimestamp(int(t_min), tz=UTC) if t_min is not None else None,
        period_end=datetime.fromtimestamp(int(t_max), tz=UTC) if t_max is not None else None,
        pseudonymized=not isinstance(pseudonymizer, Identity),
        timezone=timezone,
    )


def time_range(paths: Sequence[Path]) -> tuple[int, int, int] | None:
    """(first, last, rows): the earliest and latest event time in whole epoch seconds (floored)
    and the number of events of normalized Parquet files ``paths``, from the files' footers
    (row counts and the ``ts`` column statistics, Apache Parquet format, ColumnMetaData
    ``statistics``) without reading the data; None when a row group lacks time statistics."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    second = timedelta(seconds=1)
    first: int | None = None
    last: int | None = None
    rows = 0
    for path in paths:
        meta = pq.ParquetFile(path).metadata
        rows += meta.num_rows
        index = meta.schema.to_arrow_schema().get_field_index("ts")
        if index < 0:
            return None
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            if group.num_rows == 0:
                continue
            stats = group.column(index).statistics
            if stats is None or not stats.has_min_max:
                return None
            lo, hi = stats.min, stats.max
            if not (isinstance(lo, datetime) and isinstance(hi, datetime)
                    and lo.tzinfo is not None and hi.tzinfo is not None):
                return None
            lo_s, hi_s = (lo - epoch) // second, (hi - epoch) // second
            first = lo_s if first is None else min(first, lo_s)
            last = hi_s if last is None else max(last, hi_s)
    if first is None or last is None:
        return None
    return first, last, rows


def _dedupe(eng: Engine, problems: list[InputProblem], counts: dict[str, int]) -> str:
    """Find repeated event ids (candidates by a 64-bit hash, then checked exactly); return the
    FROM clause of the deduplicated events. Skipped when the files prove there can be none
    (:func:`caresec.access.schema.ids_known_unique`)."""
    h = eng.hash64("event_id")
    eng.materialize("duphash", f"SELECT {h} AS h FROM raw_events GROUP BY {h} "
                    "HAVING count(*) > 1")
    eng.materialize("dupids", f"SELECT r.event_id, count(*) AS n FROM raw_events r "
                    f"JOIN duphash d ON d.h = {eng.hash64('r.event_id')} "
                    "GROUP BY r.event_id HAVING count(*) > 1")
    [(ids, extra)] = eng.rows("SELECT count(*), COALESCE(sum(n - 1), 0) FROM dupids")
    if not ids:
        return "raw_events r"
    eng.materialize("duprows", (
        "SELECT event_id, source_file, source_row, rn, "
        "first_value(source_file) OVER (PARTITION BY event_id ORDER BY source_file, source_row) "
        "AS kept_file, first_value(source_row) OVER (PARTITION BY event_id ORDER BY "
        "source_file, source_row) AS kept_row FROM (SELECT r.event_id, r.source_file, "
        "r.source_row, row_number() OVER (PARTITION BY r.event_id ORDER BY r.source_file, "
        "r.source_row) AS rn FROM raw_events r JOIN dupids x ON x.event_id = r.event_id) y"))
    named = eng.rows("SELECT event_id, source_file, source_row, kept_file, kept_row FROM duprows "
                     f"WHERE rn > 1 ORDER BY source_file, source_row LIMIT {NAMED_DUPLICATES}")
    for event_id, file, row, kept_file, kept_row in named:
        problems.append(InputProblem(
            file=str(file), place=f"row {row}",
            message=f"event id {event_id!r} repeats the event at {kept_file} row {kept_row}; "
                    "the repeat was dropped",
            severity=ProblemSeverity.WARNING, collector=COLLECTOR))
    if int(extra) > NAMED_DUPLICATES:
        problems.append(InputProblem(
            file="", place="", message=f"{int(extra) - NAMED_DUPLICATES} more repeated event "
            f"id(s) dropped ({int(extra)} in all, {int(ids)} distinct ids)",
            severity=ProblemSeverity.WARNING, collector=COLLECTOR))
    counts["duplicate events dropped"] = int(extra)
    return ("raw_events r LEFT JOIN (SELECT event_id, source_file, source_row FROM duprows "
            "WHERE rn > 1) dd ON dd.event_id = r.event_id AND dd.source_file = r.source_file "
            "AND dd.source_row = r.source_row WHERE dd.event_id IS NULL")


def _unknowns(eng: Engine, context: Context, problems: list[InputProblem],
              counts: dict[str, int]) -> None:
    if context.users.num_rows:
        unknown = eng.rows("SELECT s.user_id, s.n FROM useen s JOIN unkusers k "
                           "ON k.user_id = s.user_id ORDER BY s.user_id")
        if unknown:
            counts["unknown users"] = len(unknown)
            counts["events by unknown users"] = sum(int(n) for _, n in unknown)
            shown = ", ".join(str(u) for u, _ in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            for file, row, n in eng.rows(
                    "SELECT e.source_file, min(e.source_row), count(*) FROM ev e JOIN unkusers u "
                    "ON u.user_id = e.user_id GROUP BY e.source_file ORDER BY e.source_file"):
                problems.append(InputProblem(
                    file=str(file), place=f"row {row}",
                    message=f"{n} event(s) by user(s) not in the workforce roster ({shown}"
                            f"{more}); role and department taken from the log",
                    severity=ProblemSeverity.WARNING, collector=COLLECTOR))
    if context.patients.num_rows:
        eng.materialize("unkpat", "SELECT DISTINCT x.patient_id FROM touch x LEFT JOIN patients p "
                        "ON p.patient_id = x.patient_id WHERE p.patient_id IS NULL")
        [(n_unknown,)] = eng.rows("SELECT count(*) FROM unkpat")
        if n_unknown:
            counts["unknown patients"] = int(n_unknown)
            for file, row, n in eng.rows(
                    "SELECT e.source_file, min(e.source_row), count(*) FROM ev e JOIN unkpat u "
                    "ON u.patient_id = e.patient_id GROUP BY e.source_file ORDER BY e.source_file"):
                problems.append(InputProblem(
                    file=str(file), place=f"row {row}",
                    message=f"{n} event(s) touch patient(s) not in the patient index (first at "
                            "this row); they are reviewed without patient properties",
                    severity=ProblemSeverity.WARNING, collector=COLLECTOR))
                counts["events on unknown patients"] = (
                    counts.get("events on unknown patients", 0) + int(n))


def _future_problem(eng: Engine, end_of_today: int, today: date,
                    problems: list[InputProblem]) -> None:
    for file, row, n in eng.rows(
            "SELECT source_file, min(source_row), count(*) FROM ev "
            f"WHERE t >= {end_of_today} GROUP BY source_file ORDER BY source_file"):
        problems.append(InputProblem(
            file=str(file), place=f"row {row}",
            message=f"{n} event(s) dated after {today.isoformat()} (first at this row): check "
                    "the clock or the time zone of the export",
            severity=ProblemSeverity.WARNING, collector=COLLECTOR))
