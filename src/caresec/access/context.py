"""The clinical and workforce context that explains accesses: roster, patient index, encounters,
care teams, appointments, orders (and, optionally, workstations).

One folder of CSV files (UTF-8, header row; formats in ``docs/access-review.md`` §Context):

=================== ===========================================================================
``users.csv``       user_id, role, department; name, address, city, postal_code, manager,
                    hire_date, termination_date
``patients.csv``    patient_id; name, family_name, address, city, postal_code, birth_date, vip,
                    deceased_date, employee_user_id
``encounters.csv``  encounter_id, patient_id, start; end, department, provider_id,
                    encounter_class
``care_team.csv``   encounter_id, user_id; role
``appointments.csv`` appointment_id, patient_id, start; department, provider_id, scheduled_by
``orders.csv``      order_id, patient_id, ordered_at; encounter_id, resulted_at,
                    ordering_user_id, resulting_user_id, department
``workstations.csv`` workstation; department, location
=================== ===========================================================================

Synthea (v3 CSV export) files are accepted directly, recognized by their header:
``patients.csv`` (Id, BIRTHDATE, DEATHDATE, FIRST, LAST, ADDRESS, CITY, ZIP),
``encounters.csv`` (Id, START, STOP, PATIENT, PROVIDER, ENCOUNTERCLASS) and ``providers.csv``
(Id, NAME, SPECIALITY, ADDRESS, CITY, ZIP) as the roster (role ``physician``, department = the
speciality; an encounter's department is its provider's speciality).

Dates are local calendar dates (``YYYY-MM-DD``, a date-time's date part is used); date-times
follow :mod:`caresec.access.ingest.timeparse`. Bad values become warnings naming file, row and
column (the value is dropped, the row kept); a row without its id is skipped; a repeated id keeps
the first row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from caresec.access.ingest.problems import ProblemLog
from caresec.access.ingest.timeparse import parse_instants
from caresec.access.normalize import address_keys_array, surname_keys
from caresec.errors import InputError
from caresec.model.problems import InputProblem, ProblemSeverity

EPOCH = date(1970, 1, 1)
FAR_FUTURE_S = 4_102_444_800  # 2100-01-01T00:00:00Z, the end of an encounter still open

_TRUE = {"1", "true", "t", "yes", "y", "x", "vip"}


@dataclass(frozen=True, slots=True)
class Context:
    """The context tables, normalized (Arrow tables; times as UTC epoch seconds, dates as local
    epoch days, roles lower case).

    Attributes:
        users: user_id, role, department, manager, surname_key, household_key, building_key,
            hire_day, term_day.
        patients: patient_id, surname_key, household_key, building_key, birth_day, vip,
            deceased_day, employee_user_id.
        encounters: encounter_id, patient_id, start_s, stop_s (open encounters end in 2100),
            department, provider_id, encounter_class.
        care_team: encounter_id, user_id.
        appointments: appointment_id, patient_id, start_s, department, provider_id,
            scheduled_by.
        orders: order_id, patient_id, encounter_id, ordered_s, resulted_s, ordering_user_id,
            resulting_user_id, department.
        workstations: workstation, department, location.
        problems: what could not be read, file and row named.
        sources: ``(table, file and format)`` of every table read.
    """

    users: pa.Table
    patients: pa.Table
    encounters: pa.Table
    care_team: pa.Table
    appointments: pa.Table
    orders: pa.Table
    workstations: pa.Table
    problems: tuple[InputProblem, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()

    def tables(self) -> dict[str, pa.Table]:
        """Table name → table, for the engines."""
        return {"users": self.users, "patients": self.patients, "encounters": self.encounters,
                "care_team": self.care_team, "appointments": self.appointments,
                "orders": self.orders, "workstations": self.workstations}


SCHEMAS: dict[str, pa.Schema] = {
    "users": pa.schema([("user_id", pa.string()), ("role", pa.string()),
                        ("department", pa.string()), ("manager", pa.string()),
                        ("surname_key", pa.string()), ("household_key", pa.string()),
                        ("building_key", pa.string()), ("hire_day", pa.int64()),
                        ("term_day", pa.int64())]),
    "patients": pa.schema([("patient_id", pa.string()), ("surname_key", pa.string()),
                           ("household_key", pa.string()), ("building_key", pa.string()),
                           ("birth_day", pa.int64()), ("vip", pa.bool_()),
                           ("deceased_day", pa.int64()), ("employee_user_id", pa.string())]),
    "encounters": pa.schema([("encounter_id", pa.string()), ("patient_id", pa.string()),
                             ("start_s", pa.int64()), ("stop_s", pa.int64()),
                             ("department", pa.string()), ("provider_id", pa.string()),
                             ("encounter_class", pa.string())]),
    "care_team": pa.schema([("encounter_id", pa.string()), ("user_id", pa.string())]),
    "appointments": pa.schema([("appointment_id", pa.string()), ("patient_id", pa.string()),
                               ("start_s", pa.int64()), ("department", pa.string()),
                               ("provider_id", pa.string()), ("scheduled_by", pa.string())]),
    "orders": pa.schema([("order_id", pa.string()), ("patient_id", pa.string()),
                         ("encounter_id", pa.string()), ("ordered_s", pa.int64()),
                         ("resulted_s", pa.int64()), ("ordering_user_id", pa.string()),
                         ("resulting_user_id", pa.string()), ("department", pa.string())]),
    "workstations": pa.schema([("workstation", pa.string()), ("department", pa.string()),
                               ("location", pa.string())]),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "users": ("user_id", "role", "department"),
    "patients": ("patient_id",),
    "encounters": ("encounter_id", "patient_id", "start"),
    "care_team": ("encounter_id", "user_id"),
    "appointments": ("appointment_id", "patient_id", "start"),
    "orders": ("order_id", "patient_id", "ordered_at"),
    "workstations": ("workstation",),
}
SYNTHEA_PATIENTS = ("Id", "BIRTHDATE", "DEATHDATE", "FIRST", "LAST", "ADDRESS")
SYNTHEA_ENCOUNTERS = ("Id", "START", "STOP", "PATIENT", "PROVIDER", "ENCOUNTERCLASS")
SYNTHEA_PROVIDERS = ("Id", "NAME", "SPECIALITY")


class _Raw:
    """One CSV file read as strings, with helpers that log bad values by row."""

    def __init__(self, table: pa.Table, shown: str, log: ProblemLog) -> None:
        self.table = table
        self.shown = shown
        self.log = log
        self.rows = np.arange(table.num_rows, dtype=np.int64) + 2

    def has(self, name: str) -> bool:
        return name in self.table.column_names

    def text(self, name: str) -> pa.Array:
        if not self.has(name):
            return pa.nulls(self.table.num_rows, pa.string())
        values = pc.utf8_trim_whitespace(self.table.column(name).combine_chunks())
        return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)

    def lower(self, name: str) -> pa.Array:
        return pc.utf8_lower(self.text(name))

    def days(self, name: str) -> pa.Array:
        values = self.text(name)
        head = pc.utf8_slice_codeunits(values, 0, 10)
        parsed = pc.strptime(head, format="%Y-%m-%d", unit="s", error_is_null=True)
        bad = pc.and_(pc.is_valid(values), pc.is_null(parsed))
        for i in np.flatnonzero(bad.to_numpy(zero_copy_only=False)):
            self.log.add(self.shown, f"row {self.rows[i]}, column {name}",
                         f"date {values[i].as_py()!r} is not YYYY-MM-DD; ignored",
                         severity=ProblemSeverity.WARNING, kind=f"bad date in {name}")
        seconds = pc.cast(parsed, pa.int64())
        return pc.cast(pc.floor(pc.divide(pc.cast(seconds, pa.float64()), 86400.0)), pa.int64())

    def seconds(self, name: str, tz: str) -> pa.Array:
        values = self.text(name)
        filled = pc.fill_null(values, "")
        ts, bad = parse_instants(filled, tz)
        for i in bad:
            if values[i].is_valid:
                self.log.add(self.shown, f"row {self.rows[i]}, column {name}",
                             f"date-time {values[i].as_py()!r} cannot be read; ignored",
                             severity=ProblemSeverity.WARNING, kind=f"bad date-time in {name}")
        micros = pc.cast(ts.cast(pa.timestamp("us", tz="UTC")), pa.int64())
        return pc.cast(pc.floor(pc.divide(pc.cast(micros, pa.float64()), 1e6)), pa.int64())

    def flag(self, name: str) -> pa.Array:
        return pc.fill_null(pc.is_in(self.lower(name), value_set=pa.array(sorted(_TRUE))), False)


def _read(path: Path, log: ProblemLog) -> _Raw | None:
    shown = str(path)
    bad_lines: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_lines.append(row.number or 0)
        log.add(shown, f"line {row.number}" if row.number else "",
                f"row has {row.actual_columns} field(s), expected {row.expected_columns}; "
                "skipped", kind="malformed row")
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid,
                                             newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False,
                                                 column_types=_all_strings(path)),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        log.add(shown, "", f"cannot be read as CSV: {exc}")
        return None
    table = table.rename_columns([c.strip() for c in table.column_names])
    raw = _Raw(table, shown, log)
    for line in sorted(bad_lines):
        raw.rows += raw.rows >= line
    return raw


def _all_strings(path: Path) -> dict[str, pa.DataType]:
    from caresec.access.ingest.csv_events import read_header

    try:
        return {c: pa.string() for c in read_header(path)}
    except (OSError, UnicodeDecodeError):
        return {}


def _require(raw: _Raw, names: tuple[str, ...]) -> bool:
    missing = [n for n in names if not raw.has(n)]
    if missing:
        raw.log.add(raw.shown, "row 1", f"required column(s) {', '.join(missing)} missing; the "
                    "file was not used")
        return False
    return True


def _dedupe(table: pa.Table, key: str, raw: _Raw, id_label: str) -> pa.Table:
    """Drop rows without ``key`` (logged) and repeated keys (first kept, logged)."""
    column = table.column(key).combine_chunks()
    missing = np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    codes = pc.dictionary_encode(pc.fill_null(column, "")).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    keep = np.zeros(len(codes), dtype=bool)
    keep[first] = True
    repeated = ~keep & ~missing
    keep &= ~missing
    for i in np.flatnonzero(missing).tolist():
        raw.log.add(raw.shown, f"row {raw.rows[i]}, column {id_label}",
                    f"no {id_label}; row skipped", kind=f"no {id_label}")
    for i in np.flatnonzero(repeated).tolist():
        raw.log.add(raw.shown, f"row {raw.rows[i]}, column {id_label}",
                    f"{id_label} repeats an earlier row; the first is kept",
                    severity=ProblemSeverity.WARNING, kind=f"repeated {id_label}")
    return table.filter(pa.array(keep))


def _keys(names: pa.Array, families: pa.Array, streets: pa.Array, cities: pa.Array,
          zips: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(surname, household, building) keys, null where empty (vectorized)."""
    null = pa.scalar(None, pa.string())

    def nullify(values: pa.Array) -> pa.Array:
        return pc.if_else(pc.equal(values, ""), null, values)

    household, building = address_keys_array(streets, cities, zips)
    return (nullify(surname_keys(names, families)), nullify(household), nullify(building))


def _users(raw: _Raw) -> pa.Table:
    surnames, households, buildings = _keys(
        raw.text("name"), pa.nulls(raw.table.num_rows, pa.string()), raw.text("address"),
        raw.text("city"), raw.text("postal_code"))
    table = pa.table({
        "user_id": raw.text("user_id"), "role": raw.lower("role"),
        "department": raw.text("department"), "manager": raw.text("manager"),
        "surname_key": surnames, "household_key": households, "building_key": buildings,
        "hire_day": raw.days("hire_date"), "term_day": raw.days("termination_date"),
    }, schema=SCHEMAS["users"])
    return _dedupe(table, "user_id", raw, "user_id")


def _synthea_providers(raw: _Raw) -> pa.Table:
    n = raw.table.num_rows
    surnames, households, buildings = _keys(
        raw.text("NAME"), pa.nulls(n, pa.string()), raw.text("ADDRESS"), raw.text("CITY"),
        raw.text("ZIP"))
    table = pa.table({
        "user_id": raw.text("Id"), "role": pa.array(["physician"] * n, pa.string()),
        "department": pc.utf8_title(raw.lower("SPECIALITY")),
        "manager": pa.nulls(n, pa.string()), "surname_key": surnames,
        "household_key": households, "building_key": buildings,
        "hire_day": pa.nulls(n, pa.int64()), "term_day": pa.nulls(n, pa.int64()),
    }, schema=SCHEMAS["users"])
    return _dedupe(table, "user_id", raw, "Id")


def _patients(raw: _Raw) -> pa.Table:
    synthea = all(raw.has(c) for c in SYNTHEA_PATIENTS)
    col = {"id": "Id" if synthea else "patient_id"}
    n = raw.table.num_rows
    if synthea:
        surnames, households, buildings = _keys(
            pa.nulls(n, pa.string()), raw.text("LAST"), raw.text("ADDRESS"), raw.text("CITY"),
            raw.text("ZIP"))
        vip = pa.array(np.zeros(n, dtype=bool))
        birth, death = raw.days("BIRTHDATE"), raw.days("DEATHDATE")
        employee = pa.nulls(n, pa.string())
    else:
        surnames, households, buildings = _keys(
            raw.text("name"), raw.text("family_name"), raw.text("address"), raw.text("city"),
            raw.text("postal_code"))
        vip = raw.flag("vip")
        birth, death = raw.days("birth_date"), raw.days("deceased_date")
        employee = raw.text("employee_user_id")
    table = pa.table({
        "patient_id": raw.text(col["id"]), "surname_key": surnames,
        "household_key": households, "building_key": buildings, "birth_day": birth,
        "vip": vip, "deceased_day": death, "employee_user_id": employee,
    }, schema=SCHEMAS["patients"])
    return _dedupe(table, "patient_id", raw, col["id"])


def _encounters(raw: _Raw, tz: str, specialities: dict[str, str]) -> pa.Table:
    synthea = all(raw.has(c) for c in SYNTHEA_ENCOUNTERS)
    names = (("Id", "PATIENT", "START", "STOP", "PROVIDER", "ENCOUNTERCLASS") if synthea else
             ("encounter_id", "patient_id", "start", "end", "provider_id", "encounter_class"))
    start = raw.seconds(names[2], tz)
    stop = raw.seconds(names[3], tz)
    stop = pc.if_else(pc.is_null(stop), pa.scalar(FAR_FUTURE_S, pa.int64()), stop)
    provider = raw.text(names[4])
    if synthea:
        department = pa.array([specialities.get(p or "") for p in provider.to_pylist()],
                              pa.string())
    else:
        department = raw.text("department")
    table = pa.table({
        "encounter_id": raw.text(names[0]), "patient_id": raw.text(names[1]),
        "start_s": start, "stop_s": stop, "department": department, "provider_id": provider,
        "encounter_class": raw.lower(names[5]),
    }, schema=SCHEMAS["encounters"])
    table = _dedupe(table, "encounter_id", raw, names[0])
    return _drop_null(table, raw, ("patient_id", "start_s"), "encounter without patient or start")


def _drop_null(table: pa.Table, raw: _Raw, columns: tuple[str, ...], what: str) -> pa.Table:
    mask = np.ones(table.num_rows, dtype=bool)
    for column in columns:
        mask &= table.column(column).is_valid().to_numpy(zero_copy_only=False)
    dropped = int((~mask).sum())
    if dropped:
        raw.log.add(raw.shown, "", f"{dropped} row(s) skipped: {what}",
                    severity=ProblemSeverity.WARNING)
    return table.filter(pa.array(mask))


def _care_team(raw: _Raw, tz: str) -> pa.Table:
    table = pa.table({"encounter_id": raw.text("encounter_id"), "user_id": raw.text("user_id")},
                     schema=SCHEMAS["care_team"])
    return _drop_null(table, raw, ("encounter_id", "user_id"), "no encounter_id or user_id")


def _appointments(raw: _Raw, tz: str) -> pa.Table:
    table = pa.table({
        "appointment_id": raw.text("appointment_id"), "patient_id": raw.text("patient_id"),
        "start_s": raw.seconds("start", tz), "department": raw.text("department"),
        "provider_id": raw.text("provider_id"), "scheduled_by": raw.text("scheduled_by"),
    }, schema=SCHEMAS["appointments"])
    table = _dedupe(table, "appointment_id", raw, "appointment_id")
    return _drop_null(table, raw, ("patient_id", "start_s"), "appointment without patient or start")


def _orders(raw: _Raw, tz: str) -> pa.Table:
    ordered = raw.seconds("ordered_at", tz)
    resulted = raw.seconds("resulted_at", tz)
    table = pa.table({
        "order_id": raw.text("order_id"), "patient_id": raw.text("patient_id"),
        "encounter_id": raw.text("encounter_id"), "ordered_s": ordered,
        "resulted_s": pc.if_else(pc.is_null(resulted), ordered, resulted),
        "ordering_user_id": raw.text("ordering_user_id"),
        "resulting_user_id": raw.text("resulting_user_id"),
        "department": raw.text("department"),
    }, schema=SCHEMAS["orders"])
    table = _dedupe(table, "order_id", raw, "order_id")
    return _drop_null(table, raw, ("patient_id", "ordered_s"), "order without patient or time")


def _workstations(raw: _Raw, tz: str) -> pa.Table:
    table = pa.table({"workstation": raw.text("workstation"),
                      "department": raw.text("department"), "location": raw.text("location")},
                     schema=SCHEMAS["workstations"])
    return _dedupe(table, "workstation", raw, "workstation")


_SIMPLE: dict[str, Callable[[_Raw, str], pa.Table]] = {
    "care_team": _care_team, "appointments": _appointments, "orders": _orders,
    "workstations": _workstations,
}


def load_context(folder: Path, *, timezone: str = "UTC") -> Context:
    """Read the context folder.

    Args:
        folder: the folder holding the CSV files (any may be absent; a missing roster or
            patient index is reported, since most detectors need them).
        timezone: IANA zone for date-times without an offset.

    Returns:
        :class:`Context` with every problem (file, row, column named).

    Raises:
        InputError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise InputError(str(folder), "", "the context folder does not exist",
                         hint="Give the folder holding users.csv, patients.csv, encounters.csv …")
    log = ProblemLog()
    sources: list[tuple[str, str]] = []
    tables = {name: schema.empty_table() for name, schema in SCHEMAS.items()}
    specialities: dict[str, str] = {}

    users_path, providers_path = folder / "users.csv", folder / "providers.csv"
    if users_path.is_file():
        raw = _read(users_path, log)
        if raw is not None and _require(raw, REQUIRED["users"]):
            tables["users"] = _users(raw)
            sources.append(("users", f"{users_path} (caresec)"))
    elif providers_path.is_file():
        raw = _read(providers_path, log)
        if raw is not None and _require(raw, SYNTHEA_PROVIDERS):
            tables["users"] = _synthea_providers(raw)
            specialities = dict(zip(tables["users"].column("user_id").to_pylist(),
                                    tables["users"].column("department").to_pylist(),
                                    strict=True))
            sources.append(("users", f"{providers_path} (Synthea providers)"))
    else:
        log.add(str(users_path), "", "no workforce roster (users.csv or Synthea providers.csv); "
                "roles, departments, terminations and addresses are unknown",
                severity=ProblemSeverity.WARNING)

    patients_path = folder / "patients.csv"
    if patients_path.is_file():
        raw = _read(patients_path, log)
        synthea = raw is not None and all(raw.has(c) for c in SYNTHEA_PATIENTS)
        if raw is not None and (synthea or _require(raw, REQUIRED["patients"])):
            tables["patients"] = _patients(raw)
            sources.append(("patients", f"{patients_path} ({'Synthea' if synthea else 'caresec'})"))
    else:
        log.add(str(patients_path), "", "no patient index; VIP, coworker, family, deceased and "
                "self detectors have nothing to match", severity=ProblemSeverity.WARNING)

    encounters_path = folder / "encounters.csv"
    if encounters_path.is_file():
        raw = _read(encounters_path, log)
        synthea = raw is not None and all(raw.has(c) for c in SYNTHEA_ENCOUNTERS)
        if raw is not None and (synthea or _require(raw, REQUIRED["encounters"])):
            tables["encounters"] = _encounters(raw, timezone, specialities)
            sources.append(("encounters",
                            f"{encounters_path} ({'Synthea' if synthea else 'caresec'})"))

    for name, builder in _SIMPLE.items():
        path = folder / f"{name}.csv"
        if not path.is_file():
            continue
        raw = _read(path, log)
        if raw is not None and _require(raw, REQUIRED[name]):
            tables[name] = builder(raw, timezone)
            sources.append((name, f"{path} (caresec)"))

    return Context(**tables, problems=tuple(log.problems()), sources=tuple(sources))
