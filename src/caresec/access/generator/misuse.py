"""Planted misuse: labelled incidents of every pattern, each placed so that only its own
pattern describes it (a VIP snoop is not also a coworker's record, a volume day is not at
night …) and so that nothing in the clinical record explains it.

Each incident is a list of events (user, patient, local time, action, workstation, break-glass)
and a ground-truth record (pattern, user, patients, event ids once numbered).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from caresec.access.generator.clinical import DAY, HOUR, Clinical
from caresec.access.generator.hospital import (
    ALIVE,
    NOT_TERMINATED,
    Department,
    Population,
    R,
    Staff,
)
from caresec.model.access import AccessPattern

CLINICAL_ROLES = ("physician", "resident", "nurse", "therapist")
DAY_SHIFT_ROLES = (*CLINICAL_ROLES, "registration", "scheduler", "billing", "him",
                   "lab-technologist", "pharmacist")


@dataclass
class PlantedEvent:
    """One planted event (times in local seconds from the period start)."""

    user: int
    patient: int
    loc: int
    action: str
    workstation: str
    btg: bool = False
    reason: str = ""


@dataclass
class Incident:
    """One planted incident and its events."""

    pattern: AccessPattern
    user: int
    patients: list[int]
    note: str
    events: list[PlantedEvent] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)


class Relations:
    """Who and what relates to each patient in the generated record (to plant unexplained
    accesses): related users, departments, appointments, encounters."""

    def __init__(self, clinical: Clinical, staff: Staff, n_patients: int) -> None:
        self.users: dict[int, set[int]] = defaultdict(set)
        self.depts: dict[int, set[int]] = defaultdict(set)
        pairs = [
            (clinical.enc_patient, clinical.enc_provider),
            (clinical.enc_patient[clinical.team_enc[clinical.team_enc >= 0]],
             clinical.team_user[clinical.team_enc >= 0]),
            (clinical.appt_patient, clinical.appt_provider),
            (clinical.appt_patient, clinical.appt_scheduler),
            (clinical.order_patient, clinical.order_user),
            (clinical.order_patient, clinical.result_user),
        ]
        for patients, users in pairs:
            for p, u in zip(patients.tolist(), users.tolist(), strict=True):
                if u >= 0:
                    self.users[p].add(u)
        for p, d in zip(np.concatenate([clinical.enc_patient, clinical.appt_patient]).tolist(),
                        np.concatenate([clinical.enc_dept, clinical.appt_dept]).tolist(),
                        strict=True):
            self.depts[p].add(d)
        self.with_appt = set(clinical.appt_patient.tolist())
        self.with_enc = set(clinical.enc_patient.tolist())
        touched = set(clinical.enc_patient.tolist()) | self.with_appt | set(
            clinical.order_patient.tolist())
        self.quiet = np.array(sorted(set(range(n_patients)) - touched), dtype=np.int64)
        self.staff = staff

    def unrelated(self, user: int, patient: int) -> bool:
        """Nothing in the record links the user (or the user's department or role) to the
        patient, at any time."""
        role = self.staff.role[user]
        if user in self.users.get(patient, ()):
            return False
        if int(self.staff.dept[user]) in self.depts.get(patient, ()):
            return False
        if role in (R["registration"], R["scheduler"]) and patient in self.with_appt:
            return False
        return not (role in (R["billing"], R["him"]) and patient in self.with_enc)


class Planter:
    """Plants ``per_pattern`` incidents of each pattern.

    Args:
        rng, staff, population, depts, clinical: the hospital and its activity.
        days: period length; history: days of schedule before it; baseline: days before which
            no new-workstation incident is planted.
        terminated: users whose termination date falls in the period, set aside for
            after-termination incidents.
    """

    def __init__(self, rng: np.random.Generator, staff: Staff, population: Population,
                 depts: list[Department], clinical: Clinical, days: int, history: int,
                 baseline: int, terminated: list[int]) -> None:
        self.rng = rng
        self.staff = staff
        self.pop = population
        self.depts = depts
        self.days = days
        self.history = history
        self.baseline = baseline
        self.terminated = terminated
        self.rel = Relations(clinical, staff, len(population.ids))
        self.used_users: set[int] = set(terminated)
        self.used_workstations: set[str] = set()
        special = (population.vip | (population.employee >= 0) | (population.relative_of >= 0)
                   | (population.neighbour_of >= 0) | (population.deceased_day < ALIVE))
        self.plain = ~special
        self.quiet = self.rel.quiet[self.plain[self.rel.quiet]]

    # --------------------------------------------------------------------- helpers
    def _users(self, roles: tuple[str, ...], *, day_shift: bool = False) -> list[int]:
        st = self.staff
        ok = np.isin(st.role, [R[r] for r in roles]) & (st.term_day == NOT_TERMINATED)
        ok &= st.hire_day < 0
        if day_shift:
            ok &= (st.shift_start >= 7) & (st.shift_start <= 8) & ~st.night
        pool = [int(u) for u in self.rng.permutation(np.flatnonzero(ok))
                if int(u) not in self.used_users]
        return pool

    def _work_day(self, user: int, lo: int, hi: int) -> int:
        days = np.arange(max(lo, 0), max(hi, lo + 1))
        works = self.staff.works[user, np.clip(days + self.history, 0,
                                               self.staff.works.shape[1] - 1)]
        options = days[works] if works.any() else days
        return int(options[self.rng.integers(len(options))])

    def _shift_time(self, user: int, day: int) -> int:
        st = self.staff
        span = max(1.0, float(st.shift_len[user]) - 1.5)
        hour = float(st.shift_start[user]) + 0.5 + self.rng.random() * span
        return int(day * DAY + hour * HOUR)

    def _browse(self, incident: Incident, patient: int, start: int, *, workstation: str,
                events: tuple[int, int] = (2, 7), btg: bool = False, reason: str = "") -> int:
        n = int(self.rng.integers(events[0], events[1]))
        t = start
        for _ in range(n):
            action = "print" if self.rng.random() < 0.08 else "view"
            incident.events.append(PlantedEvent(incident.user, patient, t, action, workstation,
                                                btg, reason))
            t += int(self.rng.integers(30, 200))
        return t

    def _victims(self, user: int, count: int, *, quiet_first: bool = True) -> list[int]:
        out: list[int] = []
        pools = [self.quiet] if quiet_first else []
        pools.append(np.flatnonzero(self.plain))
        for pool in pools:
            for p in self.rng.permutation(pool)[: count * 20]:
                p = int(p)
                if len(out) >= count:
                    return out
                if p not in out and self.rel.unrelated(user, p):
                    out.append(p)
        return out

    def _ws(self, user: int) -> str:
        return self.staff.primary_ws[user]

    # ------------------------------------------------------------------- patterns
    def plant(self, per_pattern: int) -> list[Incident]:
        """Every pattern, ``per_pattern`` incidents each (fewer when the hospital lacks
        candidates, e.g. too few VIPs or employees with family records)."""
        incidents: list[Incident] = []
        for pattern in AccessPattern:
            method = getattr(self, "_" + pattern.value.replace("-", "_"))
            for _ in range(per_pattern):
                incident = method()
                if incident is None:
                    break
                self.used_users.add(incident.user)
                incidents.append(incident)
        return incidents

    def _single(self, pattern: AccessPattern, user: int, patient: int, note: str,
                days: int = 1) -> Incident:
        incident = Incident(pattern, user, [patient], note)
        first = self._work_day(user, 1, self.days - 1)
        for k in range(days):
            day = min(self.days - 1, first + k * int(self.rng.integers(1, 4)))
            self._browse(incident, patient, self._shift_time(user, day), workstation=self._ws(user))
        return incident

    def _patient_for(self, user: int, candidates: np.ndarray) -> int | None:
        for p in self.rng.permutation(candidates):
            if self.rel.unrelated(user, int(p)):
                return int(p)
        return None

    def _vip(self) -> Incident | None:
        vips = np.flatnonzero(self.pop.vip)
        for user in self._users((*CLINICAL_ROLES, "registration", "billing")):
            patient = self._patient_for(user, vips)
            if patient is not None:
                return self._single(AccessPattern.VIP, user, patient,
                                    "opened a VIP patient's record with no care relationship",
                                    days=int(self.rng.integers(1, 3)))
        return None

    def _coworker(self) -> Incident | None:
        employees = np.flatnonzero(self.pop.employee >= 0)
        for user in self._users((*CLINICAL_ROLES, "registration", "billing", "him")):
            same = employees[(self.staff.dept[self.pop.employee[employees]] ==
                              self.staff.dept[user]) & (self.pop.employee[employees] != user)]
            other = employees[self.pop.employee[employees] != user]
            pool = same if len(same) and self.rng.random() < 0.6 else other
            pool = pool[(self.pop.relative_of[pool] != user) & (self.pop.neighbour_of[pool] != user)
                        & ~self.pop.vip[pool]]
            patient = self._patient_for(user, pool)
            if patient is not None:
                return self._single(AccessPattern.COWORKER, user, patient,
                                    "opened a coworker's record with no care relationship")
        return None

    def _family_or_neighbour(self) -> Incident | None:
        for user in self._users((*CLINICAL_ROLES, "registration", "billing", "him",
                                                  "lab-technologist")):
            pool = np.flatnonzero((self.pop.relative_of == user) | (self.pop.neighbour_of == user))
            patient = self._patient_for(user, pool)
            if patient is not None:
                kind = "family member" if self.pop.relative_of[patient] == user else "neighbour"
                return self._single(AccessPattern.FAMILY_OR_NEIGHBOUR, user, patient,
                                    f"opened a {kind}'s record", days=int(self.rng.integers(1, 3)))
        return None

    def _self(self) -> Incident | None:
        for user in self._users(tuple(r for r in R)):
            own = np.flatnonzero(self.pop.employee == user)
            if len(own):
                return self._single(AccessPattern.SELF, user, int(own[0]),
                                    "opened their own record")
        return None

    def _deceased(self) -> Incident | None:
        dead = np.flatnonzero(self.pop.deceased_day < -5)
        for user in self._users((*CLINICAL_ROLES, "registration",)):
            patient = self._patient_for(user, dead)
            if patient is not None:
                return self._single(AccessPattern.DECEASED, user, patient,
                                    "opened the record of a patient who died before the period")
        return None

    def _after_termination(self) -> Incident | None:
        if not self.terminated:
            return None
        user = self.terminated.pop()
        term = int(self.staff.term_day[user])
        incident = Incident(AccessPattern.AFTER_TERMINATION, user, [],
                            "account used after the termination date")
        for k in range(int(self.rng.integers(1, 3))):
            day = min(self.days - 1, term + 1 + k + int(self.rng.integers(0, 2)))
            victims = self._victims(user, int(self.rng.integers(2, 5)))
            t = self._shift_time(user, day)
            for p in victims:
                incident.patients.append(p)
                t = self._browse(incident, p, t, workstation=self._ws(user)) + 240
        return incident if incident.events else None

    def _after_hours(self) -> Incident | None:
        for user in self._users(DAY_SHIFT_ROLES, day_shift=True):
            day = int(self.rng.integers(2, self.days - 1))
            victims = self._victims(user, int(self.rng.integers(3, 8)))
            if not victims:
                continue
            incident = Incident(AccessPattern.AFTER_HOURS, user, victims,
                                "opened unrelated records in the middle of the night")
            t = day * DAY + int((1.0 + self.rng.random() * 2.5) * HOUR)
            for p in victims:
                t = self._browse(incident, p, t, workstation=self._ws(user)) + 120
            return incident
        return None

    def _volume(self) -> Incident | None:
        for user in self._users((*CLINICAL_ROLES, "registration", "billing", "him")):
            victims = self._victims(user, int(self.rng.integers(40, 110)), quiet_first=True)
            if len(victims) < 30:
                continue
            day = self._work_day(user, 1, self.days - 1)
            incident = Incident(AccessPattern.VOLUME, user, victims,
                                "opened many unrelated records in one day")
            start = self._shift_time(user, day)
            span = max(HOUR, int(self.staff.shift_len[user] * HOUR) - 2 * HOUR)
            times = sorted(start - (start % DAY) + int(self.staff.shift_start[user] * HOUR)
                           + int(self.rng.integers(0, span)) for _ in victims)
            for p, t in zip(victims, times, strict=True):
                self._browse(incident, p, t, workstation=self._ws(user), events=(1, 3))
            return incident
        return None

    def _break_glass(self) -> Incident | None:
        for user in self._users(CLINICAL_ROLES):
            victims = self._victims(user, 1)
            if not victims:
                continue
            incident = Incident(AccessPattern.BREAK_GLASS, user, victims,
                                "break-the-glass with no care relationship")
            day = self._work_day(user, 1, self.days - 1)
            reason = ("Emergency treatment" if self.rng.random() < 0.6 else
                      "Patient unresponsive")
            self._browse(incident, victims[0], self._shift_time(user, day),
                         workstation=self._ws(user), events=(1, 4), btg=True, reason=reason)
            return incident
        return None

    def _new_workstation(self) -> Incident | None:
        for user in self._users((*CLINICAL_ROLES, "registration", "billing")):
            clinical = self.depts[int(self.staff.dept[user])].kind in ("ed", "inpatient",
                                                                       "clinic", "both")
            others = [d for i, d in enumerate(self.depts) if i != int(self.staff.dept[user])
                      and (d.kind in ("ed", "inpatient", "clinic", "both")) != clinical]
            dept = others[int(self.rng.integers(len(others)))]
            free = [w for w in dept.workstations if w not in self.used_workstations]
            if not free:
                continue
            workstation = free[int(self.rng.integers(len(free)))]
            self.used_workstations.add(workstation)
            victims = self._victims(user, int(self.rng.integers(3, 7)))
            if not victims:
                continue
            day = self._work_day(user, self.baseline + 1, self.days - 1)
            incident = Incident(AccessPattern.NEW_WORKSTATION, user, victims,
                                f"used workstation {workstation} of {dept.name} for unrelated "
                                "records")
            t = self._shift_time(user, day)
            for p in victims:
                t = self._browse(incident, p, t, workstation=workstation) + 90
            return incident
        return None
