"""``caresec access generate``: a realistic synthetic hospital and its EHR access log, with
labelled planted misuse of every pattern in a separate ground-truth file.

The hospital has departments (emergency, inpatient units, clinics, laboratory, radiology,
pharmacy, patient access, billing, health information management), a workforce with roles,
12-hour and office shifts and schedules, workstations, and patients (VIPs, the deceased,
employees, their family members and building neighbours). Encounters (emergency, inpatient,
ambulatory) with care teams, appointments and orders cause the accesses; a share of legitimate
accesses (consults, float nurses, phone look-ups, records requests) is deliberately left
unexplained by the record. With a Synthea CSV folder, patient demographics come from it.

Everything is drawn from one seeded generator: the same configuration gives the same files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from caresec.access.generator.clinical import (
    BUSINESS,
    CLASSES,
    CLINICAL,
    DAY,
    FRONT_DESK,
    RESULT,
    Clinical,
    ClinicalBuilder,
)
from caresec.access.generator.hospital import (
    ALIVE,
    NOT_TERMINATED,
    ROLES,
    Department,
    Population,
    Staff,
    build_population,
    build_staff,
    departments,
)
from caresec.access.generator.misuse import Incident, Planter
from caresec.access.ingest.timeparse import zone
from caresec.access.schema import EVENT_SCHEMA, TIMESTAMP, UNIQUE_IDS_KEY

HISTORY_DAYS = 14
BASELINE_DAYS = 7
ACTIONS = ("view", "update", "create", "print", "export", "query")
# action probabilities per touch kind (view, update, create, print, export, query)
ACTION_P = {
    CLINICAL: (0.74, 0.13, 0.05, 0.03, 0.0, 0.05),
    RESULT: (0.55, 0.25, 0.15, 0.03, 0.0, 0.02),
    FRONT_DESK: (0.6, 0.25, 0.02, 0.05, 0.0, 0.08),
    BUSINESS: (0.62, 0.12, 0.02, 0.1, 0.1, 0.04),
}
OBJECTS = {
    "view": ("Chart Review", "Results", "Notes", "Medications", "Vitals", "Imaging",
             "Demographics"),
    "update": ("Notes", "Orders", "Flowsheet", "Demographics"),
    "create": ("Notes", "Orders"),
    "print": ("After Visit Summary", "Results", "Face Sheet"),
    "export": ("Release of Information", "CCD Export"),
    "query": ("Patient Lookup",),
}
PURPOSE = {CLINICAL: "TREAT", RESULT: "TREAT", FRONT_DESK: "HOPERAT", BUSINESS: "HPAYMT"}


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """What to generate.

    Attributes:
        patients, users, days: sizes (days of log).
        seed: the random seed.
        start: first local day of the log (a Monday by default).
        timezone: the hospital's IANA time zone (local shifts and days).
        incidents_per_pattern: planted incidents per pattern (0 = ``max(3, users // 40)``).
        noise: share of legitimate accesses ("touches") nothing in the record explains.
        events_per_touch: mean number of events per touch of a record.
        synthea: a Synthea CSV folder to take patient demographics from.
    """

    patients: int = 2000
    users: int = 200
    days: int = 30
    seed: int = 1
    start: date = date(2025, 3, 3)
    timezone: str = "America/Chicago"
    incidents_per_pattern: int = 0
    noise: float = 0.035
    events_per_touch: float = 3.0
    synthea: Path | None = None

    def per_pattern(self) -> int:
        """Planted incidents per pattern."""
        return self.incidents_per_pattern or max(3, self.users // 40)


@dataclass
class Generated:
    """A generated hospital, before writing.

    Attributes:
        config: what was asked.
        context: context table name → Arrow table (the CSV formats of
            :mod:`caresec.access.context`).
        touches: legitimate touches (arrays) and incidents: the planted misuse.
        event_count: events the log will hold (legitimate and planted).
    """

    config: GeneratorConfig
    staff: Staff
    population: Population
    depts: list[Department]
    clinical: Clinical
    incidents: list[Incident]
    context: dict[str, pa.Table]
    touches: dict[str, np.ndarray]
    n_events: np.ndarray


def generate(config: GeneratorConfig) -> Generated:
    """Build the hospital, its clinical activity and the planted incidents (events are
    expanded when written, see :func:`event_tables`).

    Raises:
        CaresecError: unknown time zone.
        ValueError: sizes too small (fewer than 40 users, 200 patients or 14 days).
    """
    if config.users < 40 or config.patients < 200 or config.days < 14:
        raise ValueError("generate at least 40 users, 200 patients and 14 days")
    zone(config.timezone)
    rng = np.random.default_rng(config.seed)
    depts = departments(config.users)
    staff, depts = build_staff(rng, depts, config.users, config.days, HISTORY_DAYS,
                               config.start.weekday())
    k = config.per_pattern()
    terminated = _terminate(rng, staff, config.days, k)
    population = build_population(rng, staff, config.patients, config.days, config.start,
                                  config.synthea)
    builder = ClinicalBuilder(rng, staff, population, depts, config.days, HISTORY_DAYS,
                              config.noise)
    builder.start_weekday = config.start.weekday()
    clinical = builder.build(config.users)
    planter = Planter(rng, staff, population, depts, clinical, config.days, HISTORY_DAYS,
                      BASELINE_DAYS, terminated[:k])
    incidents = planter.plant(k)
    touches = _keep(clinical.touches.arrays(), staff, population, config.days)
    n_events = 1 + rng.poisson(np.where(touches["noise"], 0.8, config.events_per_touch - 1))
    context = _context_tables(config, staff, population, depts, clinical)
    return Generated(config, staff, population, depts, clinical, incidents, context, touches,
                     n_events.astype(np.int64))


def _terminate(rng: np.random.Generator, staff: Staff, days: int, k: int) -> list[int]:
    """Terminate about 2 % of the workforce (at least ``k`` + 1) during the period; return the
    terminated, ``k`` of which are set aside for after-termination incidents."""
    n = len(staff.ids)
    count = max(k + 1, n // 50)
    eligible = np.flatnonzero(staff.hire_day < 0)
    chosen = rng.choice(eligible, size=min(count, len(eligible)), replace=False)
    for u in chosen:
        term = int(rng.integers(3, max(4, days - 5)))
        staff.term_day[u] = term
        staff.works[u, term + 1 + HISTORY_DAYS:] = False
    for u in np.flatnonzero(staff.hire_day >= 0):
        staff.works[u, : int(staff.hire_day[u]) + HISTORY_DAYS] = False
    return [int(u) for u in chosen]


def _keep(t: dict[str, np.ndarray], staff: Staff, population: Population,
          days: int) -> dict[str, np.ndarray]:
    """Touches inside the period and the user's employment; none of a user's own record (the
    hospital does not let staff treat or register themselves: such accesses are misuse)."""
    day = np.floor_divide(t["loc"], DAY)
    ok = (t["loc"] >= 0) & (day < days)
    ok &= population.employee[t["patient"]] != t["user"]
    ok &= day >= staff.hire_day[t["user"]]
    term = staff.term_day[t["user"]]
    ok &= (term == NOT_TERMINATED) | (day <= term)
    return {k: v[ok] for k, v in t.items()}


# --------------------------------------------------------------------------- writing
def _local_to_utc(config: GeneratorConfig, loc: np.ndarray) -> np.ndarray:
    """Local seconds from the period start → UTC epoch microseconds (offset per local day)."""
    tz = zone(config.timezone)
    base = int(datetime(config.start.year, config.start.month, config.start.day,
                        tzinfo=UTC).timestamp())
    lo = int(np.floor_divide(loc.min(), DAY)) if len(loc) else 0
    hi = int(np.floor_divide(loc.max(), DAY)) + 1 if len(loc) else 1

    def noon_offset(d: int) -> int:
        noon = datetime.combine(config.start + timedelta(days=d), datetime.min.time())
        delta = (noon + timedelta(hours=12)).replace(tzinfo=tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    offsets = np.array([noon_offset(d) for d in range(lo, hi + 1)], dtype=np.int64)
    day = np.floor_divide(loc, DAY) - lo
    micros: np.ndarray = (base + loc - offsets[day]) * 1_000_000
    return micros


def _iso(config: GeneratorConfig, loc: np.ndarray) -> pa.Array:
    micros = pa.array(_local_to_utc(config, loc) // 1_000_000, type=pa.int64())
    return pc.strftime(micros.cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")


def _days(config: GeneratorConfig, day: np.ndarray) -> list[str | None]:
    return [None if d in (ALIVE, NOT_TERMINATED) else (config.start + timedelta(days=int(d)))
            .isoformat() for d in day.tolist()]


def _context_tables(config: GeneratorConfig, staff: Staff, pop: Population,
                    depts: list[Department], clinical: Clinical) -> dict[str, pa.Table]:
    ids = staff.ids
    dept_names = [d.name for d in depts]
    users = pa.table({
        "user_id": ids, "name": staff.names, "role": [ROLES[r] for r in staff.role],
        "department": [dept_names[d] for d in staff.dept], "address": staff.street,
        "city": staff.city, "postal_code": staff.postal, "manager": staff.manager,
        "hire_date": _days(config, staff.hire_day),
        "termination_date": _days(config, staff.term_day),
    })
    patients = pa.table({
        "patient_id": pop.ids, "name": pop.names, "address": pop.street, "city": pop.city,
        "postal_code": pop.postal, "birth_date": [b.isoformat() for b in pop.birth],
        "vip": ["Y" if v else "" for v in pop.vip],
        "deceased_date": _days(config, pop.deceased_day),
        "employee_user_id": [ids[e] if e >= 0 else None for e in pop.employee],
    })
    c = clinical
    enc_ids = [f"ENC{1000000 + i}" for i in range(len(c.enc_patient))]
    encounters = pa.table({
        "encounter_id": enc_ids, "patient_id": [pop.ids[p] for p in c.enc_patient],
        "start": _iso(config, c.enc_start), "end": _iso(config, c.enc_stop),
        "department": [dept_names[d] for d in c.enc_dept],
        "provider_id": [ids[u] if u >= 0 else None for u in c.enc_provider],
        "encounter_class": [CLASSES[k] for k in c.enc_class],
    })
    keep = c.team_enc >= 0
    team = sorted({(int(e), int(u)) for e, u in zip(c.team_enc[keep], c.team_user[keep],
                                                    strict=True)})
    care_team = pa.table({
        "encounter_id": [enc_ids[e] for e, _ in team], "user_id": [ids[u] for _, u in team],
        "role": [ROLES[staff.role[u]] for _, u in team],
    })
    appointments = pa.table({
        "appointment_id": [f"APT{1000000 + i}" for i in range(len(c.appt_patient))],
        "patient_id": [pop.ids[p] for p in c.appt_patient], "start": _iso(config, c.appt_start),
        "department": [dept_names[d] for d in c.appt_dept],
        "provider_id": [ids[u] if u >= 0 else None for u in c.appt_provider],
        "scheduled_by": [ids[u] if u >= 0 else None for u in c.appt_scheduler],
    })
    orders = pa.table({
        "order_id": [f"ORD{1000000 + i}" for i in range(len(c.order_patient))],
        "patient_id": [pop.ids[p] for p in c.order_patient],
        "encounter_id": [enc_ids[e] if e >= 0 else None for e in c.order_enc],
        "ordered_at": _iso(config, c.order_at), "resulted_at": _iso(config, c.result_at),
        "ordering_user_id": [ids[u] if u >= 0 else None for u in c.order_user],
        "resulting_user_id": [ids[u] if u >= 0 else None for u in c.result_user],
        "department": [dept_names[d] if d >= 0 else None for d in c.order_dept],
    })
    workstations = pa.table({
        "workstation": [w for d in depts for w in d.workstations],
        "department": [d.name for d in depts for _ in d.workstations],
        "location": [d.building for d in depts for _ in d.workstations],
    })
    return {"users": users, "patients": patients, "encounters": encounters,
            "care_team": care_team, "appointments": appointments, "orders": orders,
            "workstations": workstations}


def event_tables(gen: Generated, *, chunk_touches: int = 2_000_000,
                 source: str = "") -> Iterator[pa.Table]:
    """The access log as tables in the normalized event schema, legitimate events first (in
    chunks of touches), then the planted ones. Event ids are ``E`` + 10 digits, numbered in
    this order; the planted incidents' ``event_ids`` are filled in as they are numbered."""
    t = gen.touches
    rng = np.random.default_rng(gen.config.seed + 7)
    staff = gen.staff
    ws_names = [w for d in gen.depts for w in d.workstations]
    ws_offset = np.cumsum([0] + [len(d.workstations) for d in gen.depts])
    primary = np.array([ws_names.index(w) for w in staff.primary_ws], dtype=np.int64)
    next_id = 0
    for lo in range(0, len(t["user"]), chunk_touches):
        sl = slice(lo, lo + chunk_touches)
        n = gen.n_events[sl]
        idx = np.repeat(np.arange(len(n)), n)
        first = np.r_[0, np.cumsum(n)[:-1]]
        gaps = rng.integers(20, 240, size=len(idx))
        within = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], n) if len(idx) else gaps
        user = t["user"][sl][idx]
        kind = t["kind"][sl][idx]
        loc = t["loc"][sl][idx] + within
        action = np.zeros(len(idx), dtype=np.int64)
        for k, probs in ACTION_P.items():
            m = kind == k
            action[m] = rng.choice(len(ACTIONS), size=int(m.sum()), p=probs)
        # one workstation per touch: the user's own most of the time, else one of the department
        touch_user = t["user"][sl]
        dept = staff.dept[touch_user]
        span = ws_offset[dept + 1] - ws_offset[dept]
        random_ws = ws_offset[dept] + rng.integers(0, 10**6, size=len(n)) % np.maximum(span, 1)
        pick = np.where(rng.random(len(n)) < 0.6, primary[touch_user], random_ws)
        ws = np.where(t["ws"][sl] < 0, pick, t["ws"][sl])[idx]
        table = _table(gen, np.arange(next_id, next_id + len(idx)), loc, user,
                       t["patient"][sl][idx], action, kind, ws, t["btg"][sl][idx],
                       rng, ws_names, source)
        next_id += len(idx)
        yield table
    planted = [(inc, e) for inc in gen.incidents for e in inc.events]
    if planted:
        ids = np.arange(next_id, next_id + len(planted))
        for inc in gen.incidents:
            inc.event_ids.clear()
        for (inc, _), eid in zip(planted, ids.tolist(), strict=True):
            inc.event_ids.append(_event_id(eid))
        loc = np.array([e.loc for _, e in planted], dtype=np.int64)
        user = np.array([e.user for _, e in planted], dtype=np.int64)
        patient = np.array([e.patient for _, e in planted], dtype=np.int64)
        action = np.array([ACTIONS.index(e.action) for _, e in planted], dtype=np.int64)
        ws = np.array([ws_names.index(e.workstation) for _, e in planted], dtype=np.int64)
        btg = np.array([e.btg for _, e in planted], dtype=bool)
        kind = np.where(np.isin(staff.role[user], [ROLES.index(r) for r in ("billing", "him")]),
                        BUSINESS, CLINICAL).astype(np.int8)
        reasons = [e.reason for _, e in planted]
        yield _table(gen, ids, loc, user, patient, action, kind, ws, btg, rng, ws_names,
                     source, reasons=reasons)


def _event_id(number: int) -> str:
    return f"E{number:010d}"


def _table(gen: Generated, ids: np.ndarray, loc: np.ndarray, user: np.ndarray,
           patient: np.ndarray, action: np.ndarray, kind: np.ndarray, ws: np.ndarray,
           btg: np.ndarray, rng: np.random.Generator, ws_names: list[str], source: str,
           reasons: list[str] | None = None) -> pa.Table:
    staff, pop = gen.staff, gen.population
    n = len(ids)
    id_text = pc.utf8_lpad(pa.array(ids, type=pa.int64()).cast(pa.string()), 10, "0")
    event_id = pc.binary_join_element_wise(pa.scalar("E"), id_text, "")
    users = pa.DictionaryArray.from_arrays(pa.array(user.astype(np.int32)),
                                           pa.array(staff.ids)).cast(pa.string())
    roles = pa.DictionaryArray.from_arrays(pa.array(staff.role[user].astype(np.int32)),
                                           pa.array(ROLES)).cast(pa.string())
    dept_names = [d.name for d in gen.depts]
    depts = pa.DictionaryArray.from_arrays(pa.array(staff.dept[user].astype(np.int32)),
                                           pa.array(dept_names)).cast(pa.string())
    patients = pa.DictionaryArray.from_arrays(pa.array(patient.astype(np.int32)),
                                              pa.array(pop.ids)).cast(pa.string())
    actions = pa.DictionaryArray.from_arrays(pa.array(action.astype(np.int32)),
                                             pa.array(ACTIONS)).cast(pa.string())
    all_objects = [o for a in ACTIONS for o in OBJECTS[a]]
    obj_offset = np.cumsum([0] + [len(OBJECTS[a]) for a in ACTIONS])
    obj_index = obj_offset[action] + rng.integers(0, 10**6, size=n) % (
        obj_offset[action + 1] - obj_offset[action])
    objects = pa.DictionaryArray.from_arrays(pa.array(obj_index.astype(np.int32)),
                                             pa.array(all_objects)).cast(pa.string())
    workstations = pa.DictionaryArray.from_arrays(pa.array(ws.astype(np.int32)),
                                                  pa.array(ws_names)).cast(pa.string())
    outcome = np.where(rng.random(n) < 0.003, "failure", "success")
    purposes = [PURPOSE[int(k)] for k in range(4)]
    purpose = pa.DictionaryArray.from_arrays(pa.array(kind.astype(np.int32)),
                                             pa.array(purposes)).cast(pa.string())
    if reasons is None:
        reason = pa.array(["Emergency treatment" if b else None for b in btg.tolist()],
                          type=pa.string())
    else:
        reason = pa.array([r or None for r in reasons], type=pa.string())
    ts = pa.array(_local_to_utc(gen.config, loc), type=pa.int64()).cast(TIMESTAMP)
    return pa.Table.from_arrays([
        event_id, ts, users, roles, depts, patients, actions, objects, workstations,
        pa.array(outcome.tolist(), type=pa.string()), pa.array(btg), reason, purpose,
        pa.array([source] * n, type=pa.string()) if source else pa.nulls(n, pa.string()),
        pa.array(ids + 2, type=pa.int64()), pa.nulls(n, pa.string()),
    ], schema=EVENT_SCHEMA)


def truth_document(gen: Generated) -> dict[str, object]:
    """The ground truth as a JSON-ready document: every planted incident (pattern, user,
    patients, event ids, what happened), the configuration, and the legitimate event count."""
    legit = int(gen.n_events.sum())
    return {
        "generator": "caresec access generate",
        "config": {"patients": gen.config.patients, "users": gen.config.users,
                   "days": gen.config.days, "seed": gen.config.seed,
                   "start": gen.config.start.isoformat(), "timezone": gen.config.timezone,
                   "incidents_per_pattern": gen.config.per_pattern(),
                   "noise": gen.config.noise},
        "legitimate_events": legit,
        "unexplained_by_design_touches": int(gen.touches["noise"].sum()),
        "incidents": [
            {"incident_id": f"INC-{i + 1:03d}", "pattern": inc.pattern.value,
             "user_id": gen.staff.ids[inc.user],
             "patient_ids": sorted({gen.population.ids[p] for p in inc.patients}),
             "event_ids": list(inc.event_ids), "what": inc.note}
            for i, inc in enumerate(gen.incidents)
        ],
    }


def write_generated(gen: Generated, out_dir: Path, *, events_format: str = "csv",
                    chunk_touches: int = 2_000_000) -> dict[str, Path]:
    """Write ``context/*.csv``, the log (``logs/events.csv`` or ``logs/part-NNNN.parquet``) and
    ``ground-truth.json`` under ``out_dir``.

    Args:
        gen: from :func:`generate`.
        out_dir: the folder (created).
        events_format: ``csv`` (one file, sorted by time; for small logs) or ``parquet``
            (one file per chunk; for large ones).
        chunk_touches: touches per Parquet chunk.

    Returns:
        What was written: ``context``, ``events`` (the logs folder), ``truth`` → path.
    """
    context_dir = out_dir / "context"
    context_dir.mkdir(parents=True, exist_ok=True)
    for name, table in gen.context.items():
        pacsv.write_csv(table, context_dir / f"{name}.csv")
    if events_format == "csv":
        events = pa.concat_tables(list(event_tables(gen, chunk_touches=chunk_touches)))
        order = pc.sort_indices(events, sort_keys=[("ts", "ascending"), ("event_id", "ascending")])
        events = events.take(order)
        path = out_dir / "logs"
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("part-*.parquet"):
            old.unlink()
        _write_events_csv(events, path / "events.csv")
    else:
        path = out_dir / "logs"
        path.mkdir(parents=True, exist_ok=True)
        (path / "events.csv").unlink(missing_ok=True)
        for old in path.glob("part-*.parquet"):
            old.unlink()
        for i, table in enumerate(event_tables(gen, chunk_touches=chunk_touches,
                                               source=f"generated-{gen.config.seed}")):
            # ids are numbered sequentially: unique within the file, ranges disjoint
            flagged = table.replace_schema_metadata({UNIQUE_IDS_KEY: "true"})
            pq.write_table(flagged, path / f"part-{i:04d}.parquet", compression="zstd",
                           row_group_size=1 << 20)
    truth = out_dir / "ground-truth.json"
    truth.write_text(json.dumps(truth_document(gen), indent=1) + "\n", encoding="utf-8")
    return {"context": context_dir, "events": path, "truth": truth}


def _write_events_csv(events: pa.Table, path: Path) -> None:
    """The log in the ``caresec`` CSV preset (times as ISO 8601 UTC)."""
    out = pa.table({
        "event_id": events.column("event_id"),
        "time": pc.strftime(events.column("ts").cast(pa.timestamp("s", tz="UTC")),
                            format="%Y-%m-%dT%H:%M:%SZ"),
        "user_id": events.column("user_id"), "user_role": events.column("user_role"),
        "user_department": events.column("user_dept"), "patient_id": events.column("patient_id"),
        "action": events.column("action"), "object": events.column("object"),
        "workstation": events.column("workstation"), "outcome": events.column("outcome"),
        "break_glass": pc.if_else(events.column("btg"), "Y", ""),
        "break_glass_reason": events.column("btg_reason"), "purpose": events.column("purpose"),
    })
    pacsv.write_csv(out, path)


__all__ = ["Generated", "GeneratorConfig", "event_tables", "generate", "truth_document",
           "write_generated"]
