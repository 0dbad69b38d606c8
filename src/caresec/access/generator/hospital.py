"""A synthetic hospital: departments, workforce with roles and shifts, workstations, patients
(with VIPs, the deceased, employees, their families and neighbours).

Everything is drawn from one seeded :class:`numpy.random.Generator`; the same configuration
gives the same hospital. Sizes scale with the requested numbers of users and patients.
"""

from __future__ import annotations

import contextlib
import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from caresec.access.generator.names import CITIES, FAMILY, GIVEN, STREETS, SUFFIXES

# (name, code, kind). Clinical departments are used in this order as the user count grows.
CLINICAL = (
    ("Emergency", "ED", "ed"),
    ("Internal Medicine", "MED", "inpatient"),
    ("Surgery", "SURG", "inpatient"),
    ("Family Medicine", "FM", "clinic"),
    ("Intensive Care", "ICU", "inpatient"),
    ("Cardiology", "CARD", "both"),
    ("Pediatrics", "PEDS", "both"),
    ("Obstetrics", "OB", "both"),
    ("Oncology", "ONC", "clinic"),
    ("Orthopedics", "ORTHO", "clinic"),
)
SUPPORT = (
    ("Laboratory", "LAB", "lab"),
    ("Radiology", "RAD", "radiology"),
    ("Pharmacy", "PHARM", "pharmacy"),
    ("Patient Access", "PA", "access"),
    ("Billing", "BILL", "billing"),
    ("Health Information Management", "HIM", "him"),
)
ROLES = ("physician", "resident", "nurse", "therapist", "lab-technologist",
         "radiology-technologist", "pharmacist", "registration", "scheduler", "billing", "him")
R = {name: i for i, name in enumerate(ROLES)}
# role mix per department kind: (role, share, minimum)
MIX: dict[str, tuple[tuple[str, float, int], ...]] = {
    "ed": (("physician", 0.2, 1), ("resident", 0.08, 0), ("nurse", 0.72, 2)),
    "inpatient": (("physician", 0.15, 1), ("resident", 0.1, 0), ("nurse", 0.65, 2),
                  ("therapist", 0.1, 0)),
    "clinic": (("physician", 0.35, 1), ("nurse", 0.65, 1)),
    "both": (("physician", 0.25, 1), ("resident", 0.05, 0), ("nurse", 0.7, 2)),
    "lab": (("lab-technologist", 1.0, 1),),
    "radiology": (("radiology-technologist", 0.8, 1), ("physician", 0.2, 0)),
    "pharmacy": (("pharmacist", 1.0, 1),),
    "access": (("registration", 0.6, 1), ("scheduler", 0.4, 1)),
    "billing": (("billing", 1.0, 1),),
    "him": (("him", 1.0, 1),),
}
# department weights within clinical and support staff
SUPPORT_SHARE = {"lab": 0.07, "radiology": 0.05, "pharmacy": 0.04, "access": 0.07,
                 "billing": 0.03, "him": 0.03}
OFFICE = frozenset({"clinic", "billing", "him"})


@dataclass(frozen=True, slots=True)
class Department:
    """One department: name, short code, kind, and its workstation names."""

    name: str
    code: str
    kind: str
    workstations: tuple[str, ...] = ()
    building: str = ""


@dataclass
class Staff:
    """The workforce as arrays (index = user number)."""

    ids: list[str]
    names: list[str]
    family: list[str]
    role: np.ndarray          # index into ROLES
    dept: np.ndarray          # index into departments
    shift_start: np.ndarray   # local hour the shift starts
    shift_len: np.ndarray     # hours
    office: np.ndarray        # weekday office hours only
    night: np.ndarray         # works the night shift
    works: np.ndarray         # [user, day + history] worked that local day
    primary_ws: list[str]
    street: list[str]
    city: list[str]
    postal: list[str]
    hire_day: np.ndarray      # day index (relative to the period start)
    term_day: np.ndarray      # day index or -10**6 when not terminated
    manager: list[str] = field(default_factory=list)


@dataclass
class Population:
    """Patients as arrays (index = patient number)."""

    ids: list[str]
    names: list[str]
    family: list[str]
    street: list[str]
    city: list[str]
    postal: list[str]
    birth: list[date]
    vip: np.ndarray
    deceased_day: np.ndarray  # day index, or a large sentinel when alive
    employee: np.ndarray      # user index or -1
    relative_of: np.ndarray   # user index whose family member this is, or -1
    neighbour_of: np.ndarray  # user index whose building neighbour this is, or -1


ALIVE = 10**6
NOT_TERMINATED = -(10**6)


def departments(users: int) -> list[Department]:
    """The departments for a workforce of ``users`` (3 to 10 clinical ones), with workstations
    (about one per three staff, at least two) and a building and floor each."""
    n_clinical = min(len(CLINICAL), max(3, users // 30))
    chosen = list(CLINICAL[:n_clinical]) + list(SUPPORT)
    out = []
    for i, (name, code, kind) in enumerate(chosen):
        building = f"Building {'ABC'[i % 3]}, floor {1 + i // 3}"
        out.append(Department(name=name, code=code, kind=kind, building=building))
    return out


def _street_address(rng: np.random.Generator, unit_share: float) -> tuple[str, str, str]:
    number = int(rng.integers(1, 2400))
    street = f"{number} {STREETS[int(rng.integers(len(STREETS)))]} " \
             f"{SUFFIXES[int(rng.integers(len(SUFFIXES)))]}"
    if rng.random() < unit_share:
        street += f" Apt {int(rng.integers(1, 40))}"
    city, postal = CITIES[int(rng.integers(len(CITIES)))]
    return street, city, postal


def build_staff(rng: np.random.Generator, depts: list[Department], n_users: int, days: int,
                history: int, start_weekday: int) -> tuple[Staff, list[Department]]:
    """Draw the workforce: roles per department (minimums first), shifts, schedules,
    workstations, addresses, hire and termination days."""
    n_clinical = sum(d.kind in ("ed", "inpatient", "clinic", "both") for d in depts)
    support_total = sum(SUPPORT_SHARE.values())
    plan: list[tuple[int, str]] = []  # (department index, role)
    for di, department in enumerate(depts):
        for role_name, _, minimum in MIX[department.kind]:
            plan.extend([(di, role_name)] * minimum)
    remaining = max(0, n_users - len(plan))
    weights = np.array([SUPPORT_SHARE.get(d.kind, (1 - support_total) / max(1, n_clinical))
                        for d in depts])
    weights = weights / weights.sum()
    for drawn in rng.choice(len(depts), size=remaining, p=weights):
        mix = MIX[depts[int(drawn)].kind]
        shares = np.array([share for _, share, _ in mix])
        picked = mix[int(rng.choice(len(mix), p=shares / shares.sum()))][0]
        plan.append((int(drawn), picked))
    n = len(plan)
    order = rng.permutation(n)
    plan = [plan[i] for i in order]
    dept = np.array([p[0] for p in plan], dtype=np.int32)
    role = np.array([R[p[1]] for p in plan], dtype=np.int32)
    kinds = [depts[d].kind for d in dept]

    shift_start = np.zeros(n)
    shift_len = np.zeros(n)
    office = np.zeros(n, dtype=bool)
    night = np.zeros(n, dtype=bool)
    work_prob = np.zeros(n)
    for i in range(n):
        r, k = ROLES[role[i]], kinds[i]
        if k in OFFICE or r in ("scheduler",):
            shift_start[i], shift_len[i], office[i], work_prob[i] = 8, 9, True, 0.95
        elif r == "physician" and k in ("inpatient", "both", "radiology"):
            shift_start[i], shift_len[i], work_prob[i] = 7, 10, 0.7
        elif r == "physician":  # emergency
            is_night = rng.random() < 0.3
            shift_start[i], shift_len[i], work_prob[i] = (20 if is_night else 8), 10, 0.55
            night[i] = is_night
        elif r in ("lab-technologist", "radiology-technologist"):
            u = rng.random()
            shift_start[i], shift_len[i] = (7, 8) if u < 0.5 else (15, 8) if u < 0.8 else (23, 8)
            night[i] = u >= 0.8
            work_prob[i] = 0.7
        else:  # nurses, residents, therapists, pharmacists, registration: 12-hour shifts
            is_night = rng.random() < (0.35 if k in ("ed", "inpatient", "both") or r in (
                "pharmacist", "registration") else 0.0)
            shift_start[i], shift_len[i] = (19, 12) if is_night else (7, 12)
            night[i] = is_night
            work_prob[i] = 0.5 if r in ("nurse", "pharmacist") else 0.65
    span = history + days + 45
    day_index = np.arange(span) - history
    weekday = (start_weekday + day_index) % 7  # 0 = Monday
    works = rng.random((n, span)) < work_prob[:, None]
    works[office[:, None] & (weekday[None, :] >= 5)] = False

    ws_lists: list[list[str]] = []
    new_depts = []
    for di, d in enumerate(depts):
        staff = int((dept == di).sum())
        count = max(2, (staff + 2) // 3)
        names = tuple(f"WS-{d.code}-{k + 1:02d}" for k in range(count))
        new_depts.append(Department(d.name, d.code, d.kind, names, d.building))
        ws_lists.append(list(names))
    primary = [ws_lists[int(dept[i])][int(rng.integers(len(ws_lists[int(dept[i])])))]
               for i in range(n)]

    given = [GIVEN[int(rng.integers(len(GIVEN)))] for _ in range(n)]
    fam = [FAMILY[int(rng.integers(len(FAMILY)))] for _ in range(n)]
    addresses = [_street_address(rng, 0.35) for _ in range(n)]
    hire = np.where(rng.random(n) < 0.03, rng.integers(1, max(2, days // 2), n),
                    -rng.integers(60, 4000, n))
    ids = [f"U{10000 + i}" for i in range(n)]
    managers = []
    for i in range(n):
        peers = np.flatnonzero(dept == dept[i])
        boss = ids[int(peers[0])] if peers[0] != i else (ids[int(peers[1])] if len(peers) > 1
                                                         else "")
        managers.append(boss)
    return Staff(
        ids=ids, names=[f"{g} {f}" for g, f in zip(given, fam, strict=True)], family=fam,
        role=role, dept=dept, shift_start=shift_start, shift_len=shift_len, office=office,
        night=night, works=works, primary_ws=primary,
        street=[a[0] for a in addresses], city=[a[1] for a in addresses],
        postal=[a[2] for a in addresses], hire_day=hire.astype(np.int64),
        term_day=np.full(n, NOT_TERMINATED, dtype=np.int64), manager=managers,
    ), new_depts


def build_population(rng: np.random.Generator, staff: Staff, n_patients: int, days: int,
                     start: date, synthea: Path | None = None) -> Population:
    """Draw the patients; employees get their own record (about one in four), some users'
    family members and building neighbours are patients too; VIPs and the deceased are flagged.
    With ``synthea``, demographics (name, address, birth and death dates) come from Synthea's
    ``patients.csv`` for as many patients as it has."""
    n_users = len(staff.ids)
    given = [GIVEN[int(rng.integers(len(GIVEN)))] for _ in range(n_patients)]
    fam = [FAMILY[int(rng.integers(len(FAMILY)))] for _ in range(n_patients)]
    addresses = [_street_address(rng, 0.3) for _ in range(n_patients)]
    birth_years = rng.integers(1935, 2024, n_patients)
    birth = [date(int(y), int(rng.integers(1, 13)), int(rng.integers(1, 29))) for y in birth_years]
    employee = np.full(n_patients, -1, dtype=np.int64)
    relative_of = np.full(n_patients, -1, dtype=np.int64)
    neighbour_of = np.full(n_patients, -1, dtype=np.int64)
    deceased = np.full(n_patients, ALIVE, dtype=np.int64)
    if synthea is not None:
        _synthea_demographics(synthea, given, fam, addresses, birth, deceased, start)

    slots = rng.permutation(n_patients)
    cursor = 0

    def take() -> int:
        nonlocal cursor
        if cursor >= n_patients:
            return -1
        cursor += 1
        return int(slots[cursor - 1])

    for u in rng.permutation(n_users):
        u = int(u)
        roll = rng.random()
        if roll < 0.25:  # the employee's own record
            p = take()
            if p < 0:
                break
            given[p], fam[p] = staff.names[u].split(" ", 1)[0], staff.family[u]
            addresses[p] = (staff.street[u], staff.city[u], staff.postal[u])
            employee[p] = u
        if rng.random() < 0.3:  # a family member at the same address
            p = take()
            if p < 0:
                break
            fam[p] = staff.family[u]
            addresses[p] = (staff.street[u], staff.city[u], staff.postal[u])
            relative_of[p] = u
        if " Apt " in staff.street[u] and rng.random() < 0.4:  # a neighbour in the building
            p = take()
            if p < 0:
                break
            building = staff.street[u].split(" Apt ")[0]
            unit = int(staff.street[u].split(" Apt ")[1])
            addresses[p] = (f"{building} Apt {unit % 39 + 1 + (unit == 39)}", staff.city[u],
                            staff.postal[u])
            if fam[p] == staff.family[u]:
                fam[p] = FAMILY[(FAMILY.index(fam[p]) + 1) % len(FAMILY)]
            neighbour_of[p] = u
    vip = np.zeros(n_patients, dtype=bool)
    free = slots[cursor:]
    n_vip = max(3, n_patients // 300)
    vip[free[:n_vip]] = True
    n_dead = max(3, n_patients // 80)
    dead = free[n_vip:n_vip + n_dead]
    deceased[dead] = -rng.integers(20, 700, len(dead))
    ids = [f"P{1000000 + i}" for i in range(n_patients)]
    return Population(
        ids=ids, names=[f"{g} {f}" for g, f in zip(given, fam, strict=True)], family=fam,
        street=[a[0] for a in addresses], city=[a[1] for a in addresses],
        postal=[a[2] for a in addresses], birth=birth, vip=vip, deceased_day=deceased,
        employee=employee, relative_of=relative_of, neighbour_of=neighbour_of,
    )


def _synthea_demographics(folder: Path, given: list[str], fam: list[str],
                          addresses: list[tuple[str, str, str]], birth: list[date],
                          deceased: np.ndarray, start: date) -> None:
    path = folder / "patients.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i >= len(given):
                break
            given[i] = "".join(c for c in row.get("FIRST", "") if not c.isdigit()) or given[i]
            fam[i] = "".join(c for c in row.get("LAST", "") if not c.isdigit()) or fam[i]
            if row.get("ADDRESS"):
                addresses[i] = (row["ADDRESS"], row.get("CITY", ""), row.get("ZIP", ""))
            with contextlib.suppress(ValueError):
                birth[i] = date.fromisoformat(row.get("BIRTHDATE", "")[:10])
            death = row.get("DEATHDATE", "")
            if death:
                with contextlib.suppress(ValueError):
                    deceased[i] = (date.fromisoformat(death[:10]) - start).days
