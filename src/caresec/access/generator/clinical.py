"""Clinical activity of the synthetic hospital: encounters (emergency, inpatient, ambulatory),
care teams, appointments, orders, and the record accesses ("touches") they cause, including
the legitimate accesses that no record explains (consults, float nurses, phone look-ups,
records requests) at the configured noise rate.

Times are local seconds from the period start's local midnight (``loc``); day ``d`` is local
day ``floor(loc / 86400)`` (negative days are history before the period).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from caresec.access.generator.hospital import Department, Population, R, Staff

DAY = 86400
HOUR = 3600
MINUTE = 60

# touch kinds: how actions and purposes are drawn
CLINICAL, RESULT, FRONT_DESK, BUSINESS = 0, 1, 2, 3


@dataclass
class Touches:
    """Accesses as parallel lists of arrays (concatenated at the end)."""

    user: list[np.ndarray] = field(default_factory=list)
    patient: list[np.ndarray] = field(default_factory=list)
    loc: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    btg: list[np.ndarray] = field(default_factory=list)
    ws: list[np.ndarray] = field(default_factory=list)  # workstation index or -1 = user's own
    noise: list[np.ndarray] = field(default_factory=list)

    def add(self, user: np.ndarray, patient: np.ndarray, loc: np.ndarray, kind: int, *,
            btg: np.ndarray | None = None, ws: np.ndarray | None = None,
            noise: bool = False) -> None:
        n = len(user)
        if n == 0:
            return
        self.user.append(np.asarray(user, dtype=np.int64))
        self.patient.append(np.asarray(patient, dtype=np.int64))
        self.loc.append(np.asarray(loc, dtype=np.int64))
        self.kind.append(np.full(n, kind, dtype=np.int8))
        self.btg.append(np.zeros(n, dtype=bool) if btg is None else btg)
        self.ws.append(np.full(n, -1, dtype=np.int64) if ws is None else ws.astype(np.int64))
        self.noise.append(np.full(n, noise, dtype=bool))

    def arrays(self) -> dict[str, np.ndarray]:
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        return {"user": cat(self.user, np.int64), "patient": cat(self.patient, np.int64),
                "loc": cat(self.loc, np.int64), "kind": cat(self.kind, np.int8),
                "btg": cat(self.btg, np.bool_), "ws": cat(self.ws, np.int64),
                "noise": cat(self.noise, np.bool_)}


@dataclass
class Clinical:
    """Encounters, care teams, appointments, orders (context), and the touches."""

    enc_patient: np.ndarray
    enc_dept: np.ndarray
    enc_class: np.ndarray      # 0 emergency, 1 inpatient, 2 ambulatory
    enc_start: np.ndarray      # loc seconds
    enc_stop: np.ndarray
    enc_provider: np.ndarray
    team_enc: np.ndarray
    team_user: np.ndarray
    appt_patient: np.ndarray
    appt_start: np.ndarray
    appt_dept: np.ndarray
    appt_provider: np.ndarray
    appt_scheduler: np.ndarray
    order_patient: np.ndarray
    order_enc: np.ndarray
    order_at: np.ndarray
    result_at: np.ndarray
    order_user: np.ndarray
    result_user: np.ndarray
    order_dept: np.ndarray
    touches: Touches


CLASSES = ("emergency", "inpatient", "ambulatory")


class ClinicalBuilder:
    """Draws the clinical activity for a staff and population over ``days`` (plus history).

    Args:
        rng: the seeded generator.
        staff, population, depts: the hospital.
        days: the period length; history: days of activity before it (so the period starts
            with patients already admitted).
        noise: share of legitimate touches that nothing in the record explains.
    """

    def __init__(self, rng: np.random.Generator, staff: Staff, population: Population,
                 depts: list[Department], days: int, history: int, noise: float) -> None:
        self.rng = rng
        self.staff = staff
        self.pop = population
        self.depts = depts
        self.days = days
        self.history = history
        self.noise = noise
        self.touches = Touches()
        self.kind_of = {d.kind: i for i, d in enumerate(depts)}
        self.by_role_dept: dict[tuple[int, int], np.ndarray] = {}
        for di in range(len(depts)):
            for ri in range(len(R)):
                members = np.flatnonzero((staff.dept == di) & (staff.role == ri))
                if len(members):
                    self.by_role_dept[(ri, di)] = members
        self.dept_of_kind = {k: [i for i, d in enumerate(depts) if d.kind == k]
                             for k in {d.kind for d in depts}}
        self.ws_offset = np.cumsum([0] + [len(d.workstations) for d in depts])

    # ----------------------------------------------------------------- staff selection
    def members(self, roles: tuple[str, ...], dept: int | None) -> np.ndarray:
        out = [self.by_role_dept.get((R[r], d), np.zeros(0, dtype=np.int64))
               for r in roles for d in ([dept] if dept is not None else range(len(self.depts)))]
        joined: np.ndarray = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
        result: np.ndarray = joined.astype(np.int64)
        return result

    def on_shift(self, candidates: np.ndarray, loc: np.ndarray) -> np.ndarray:
        """One candidate per time in ``loc``, preferring those on shift then (random)."""
        n = len(loc)
        if len(candidates) == 0:
            return np.full(n, -1, dtype=np.int64)
        st = self.staff
        chosen = candidates[self.rng.integers(len(candidates), size=n)]
        start = st.shift_start[candidates][None, :]
        length = st.shift_len[candidates][None, :]
        step = max(1, 4_000_000 // len(candidates))
        for lo in range(0, n, step):
            part = loc[lo:lo + step]
            hour = ((part % DAY) / HOUR)[:, None]
            day = np.floor_divide(part, DAY)[:, None]
            covers = (hour - start) % 24 < length
            shift_day = np.where(hour >= start, day, day - 1)
            idx = np.clip(shift_day + self.history, 0, st.works.shape[1] - 1)
            ok = covers & st.works[candidates[None, :], idx]
            score = self.rng.random(ok.shape) * ok
            best = np.argmax(score, axis=1)
            has = ok.any(axis=1)
            chosen[lo:lo + step][has] = candidates[best[has]]
        return chosen

    def snap(self, user: np.ndarray, loc: np.ndarray) -> np.ndarray:
        """Move each time into the user's next worked shift (same day or up to 4 days later)."""
        st = self.staff
        day = np.floor_divide(loc - (st.shift_start[user] * HOUR).astype(np.int64), DAY)
        out = np.empty_like(loc)
        done = np.zeros(len(loc), dtype=bool)
        for k in range(5):
            d = day + k
            idx = np.clip(d + self.history, 0, st.works.shape[1] - 1)
            ok = st.works[user, idx] & ~done
            start = d * DAY + (st.shift_start[user] * HOUR).astype(np.int64)
            length = (st.shift_len[user] * HOUR).astype(np.int64)
            inside = (loc >= start) & (loc < start + length)
            within = np.where(inside & (k == 0), loc,
                              start + (self.rng.random(len(loc)) * length).astype(np.int64))
            out[ok] = within[ok]
            done |= ok
        if not done.all():
            rest = ~done
            start = day[rest] * DAY + (st.shift_start[user[rest]] * HOUR).astype(np.int64)
            out[rest] = start + (self.rng.random(int(rest.sum()))
                                 * st.shift_len[user[rest]] * HOUR).astype(np.int64)
        return out

    def uniform(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        span = np.maximum(hi - lo, 1)
        drawn: np.ndarray = lo + (self.rng.random(len(lo)) * span).astype(np.int64)
        return drawn

    def add(self, user: np.ndarray, patient: np.ndarray, loc: np.ndarray, kind: int, *,
            snap: bool = True, **extra: np.ndarray | bool | None) -> None:
        keep = user >= 0
        user, patient, loc = user[keep], patient[keep], loc[keep]
        cut = {k: (v[keep] if isinstance(v, np.ndarray) else v) for k, v in extra.items()}
        if snap:
            loc = self.snap(user, loc)
        self.touches.add(user, patient, loc, kind, **cut)  # type: ignore[arg-type]

    def repeat(self, counts: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
        return [np.repeat(a, counts) for a in arrays]

    # ------------------------------------------------------------------- encounters
    def build(self, n_users: int) -> Clinical:
        rng = self.rng
        days_all = np.arange(-self.history, self.days)
        n_pat = len(self.pop.ids)
        alive_until = self.pop.deceased_day

        def patients_for(day: np.ndarray) -> np.ndarray:
            chosen = rng.integers(n_pat, size=len(day))
            dead = alive_until[chosen] <= day
            for _ in range(4):
                if not dead.any():
                    break
                chosen[dead] = rng.integers(n_pat, size=int(dead.sum()))
                dead = alive_until[chosen] <= day
            return chosen

        ed = self.dept_of_kind.get("ed", [])
        inpatient = self.dept_of_kind.get("inpatient", []) + self.dept_of_kind.get("both", [])
        clinics = self.dept_of_kind.get("clinic", []) + self.dept_of_kind.get("both", [])
        if not clinics:
            clinics = inpatient[:1]

        # emergency visits
        n_ed = rng.poisson(0.12 * n_users, size=len(days_all)) if ed else np.zeros(
            len(days_all), dtype=np.int64)
        ed_day = np.repeat(days_all, n_ed)
        ed_hour = np.clip(rng.normal(14, 5, size=len(ed_day)), 0, 23.99)
        ed_start = ed_day * DAY + (ed_hour * HOUR).astype(np.int64)
        ed_stop = ed_start + rng.integers(2 * HOUR, 8 * HOUR, size=len(ed_day))
        ed_dept = np.full(len(ed_day), ed[0] if ed else 0)
        ed_patient = patients_for(ed_day)

        # inpatient admissions: direct, and a quarter of emergency visits
        n_direct = rng.poisson(0.03 * n_users, size=len(days_all))
        direct_day = np.repeat(days_all, n_direct)
        direct_start = direct_day * DAY + rng.integers(8 * HOUR, 18 * HOUR, size=len(direct_day))
        admitted = rng.random(len(ed_day)) < 0.25
        in_start = np.concatenate([direct_start, ed_stop[admitted]])
        in_patient = np.concatenate([patients_for(direct_day), ed_patient[admitted]])
        los = 1 + rng.geometric(0.35, size=len(in_start))
        in_stop = (np.floor_divide(in_start, DAY) + los) * DAY + rng.integers(
            9 * HOUR, 15 * HOUR, size=len(in_start))
        died = alive_until[in_patient]
        in_stop = np.where((died < 10**5) & (died * DAY < in_stop),
                           np.maximum(in_start + HOUR, died * DAY + 12 * HOUR), in_stop)
        in_dept = np.asarray(inpatient, dtype=np.int64)[
            rng.integers(len(inpatient), size=len(in_start))] if inpatient else np.zeros(
            len(in_start), dtype=np.int64)

        # ambulatory visits on weekdays (appointments run 30 days past the period)
        amb_days = np.arange(-self.history, self.days + 30)
        weekday = (self.start_weekday + amb_days) % 7
        n_amb = np.where(weekday < 5, rng.poisson(0.35 * n_users, size=len(amb_days)), 0)
        amb_day = np.repeat(amb_days, n_amb)
        amb_start = amb_day * DAY + rng.integers(8 * HOUR + 30 * MINUTE, 16 * HOUR + 30 * MINUTE,
                                                 size=len(amb_day))
        amb_stop = amb_start + rng.integers(20 * MINUTE, 40 * MINUTE, size=len(amb_day))
        amb_dept = np.asarray(clinics, dtype=np.int64)[rng.integers(len(clinics),
                                                                    size=len(amb_day))]
        amb_patient = patients_for(amb_day)

        enc_patient = np.concatenate([ed_patient, in_patient, amb_patient])
        enc_dept = np.concatenate([ed_dept, in_dept, amb_dept]).astype(np.int64)
        enc_class = np.concatenate([np.zeros(len(ed_day), np.int8), np.ones(len(in_start),
                                    np.int8), np.full(len(amb_day), 2, np.int8)])
        enc_start = np.concatenate([ed_start, in_start, amb_start])
        enc_stop = np.concatenate([ed_stop, in_stop, amb_stop])
        provider = np.full(len(enc_patient), -1, dtype=np.int64)
        for di in range(len(self.depts)):
            mask = enc_dept == di
            if mask.any():
                provider[mask] = self.on_shift(self.members(("physician",), di), enc_start[mask])

        team_enc: list[np.ndarray] = []
        team_user: list[np.ndarray] = []
        order_parts: dict[str, list[np.ndarray]] = {k: [] for k in (
            "patient", "enc", "at", "result", "user", "ruser", "dept")}

        def team(enc: np.ndarray, users: np.ndarray) -> None:
            keep = users >= 0
            team_enc.append(enc[keep])
            team_user.append(users[keep])

        # future ambulatory visits only exist as appointments
        future = enc_start >= self.days * DAY
        enc_ids = np.arange(len(enc_patient))

        # ---- emergency
        em = np.flatnonzero(enc_class == 0)
        if len(em):
            self._visit_team(em, enc_patient, enc_dept, enc_start, enc_stop, provider, team,
                             nurses=(1, 3), btg_share=0.08)
            reg = self.on_shift(self.members(("registration",), None), enc_start[em])
            team(em, reg)
            self.add(reg, enc_patient[em], enc_start[em] - rng.integers(0, 15 * MINUTE, len(em)),
                     FRONT_DESK, snap=False)
            self._orders(em, enc_patient, enc_dept, enc_start, enc_stop, provider, 1.5,
                         order_parts)
            self._business(em, enc_patient, enc_stop, billing=1.0, him=0.5)
        # ---- inpatient
        ip = np.flatnonzero(enc_class == 1)
        if len(ip):
            self._inpatient(ip, enc_patient, enc_dept, enc_start, enc_stop, provider, team,
                            order_parts)
            self._business(ip, enc_patient, enc_stop, billing=1.0, him=1.0)
        # ---- ambulatory (present and past only; future ones are appointments)
        am = np.flatnonzero((enc_class == 2) & ~future)
        appt = np.flatnonzero(enc_class == 2)
        sched = self.members(("scheduler",), None)
        scheduler = sched[rng.integers(len(sched), size=len(appt))] if len(sched) else np.full(
            len(appt), -1)
        booked = enc_start[appt] - rng.integers(1, 30, size=len(appt)) * DAY
        self.add(scheduler, enc_patient[appt], booked, FRONT_DESK)
        if len(am):
            self._visit_team(am, enc_patient, enc_dept, enc_start, enc_stop, provider, team,
                             nurses=(1, 2), btg_share=0.0, followup=0.5)
            reg = self.on_shift(self.members(("registration",), None), enc_start[am])
            self.add(reg, enc_patient[am], enc_start[am] - rng.integers(0, 20 * MINUTE, len(am)),
                     FRONT_DESK)
            self._orders(am, enc_patient, enc_dept, enc_start, enc_stop, provider, 0.6,
                         order_parts)
            self._business(am, enc_patient, enc_stop, billing=0.4, him=0.0)

        self._noise(enc_patient, enc_dept, enc_class, enc_start, enc_stop, appt, future)

        keep = ~future
        mapping = np.full(len(enc_patient), -1, dtype=np.int64)
        mapping[keep] = np.arange(int(keep.sum()))
        t_enc = np.concatenate(team_enc) if team_enc else np.zeros(0, np.int64)
        t_user = np.concatenate(team_user) if team_user else np.zeros(0, np.int64)
        o = {k: (np.concatenate(v) if v else np.zeros(0, np.int64)) for k, v in
             order_parts.items()}
        return Clinical(
            enc_patient=enc_patient[keep], enc_dept=enc_dept[keep], enc_class=enc_class[keep],
            enc_start=enc_start[keep], enc_stop=enc_stop[keep], enc_provider=provider[keep],
            team_enc=mapping[t_enc], team_user=t_user,
            appt_patient=enc_patient[appt], appt_start=enc_start[appt], appt_dept=enc_dept[appt],
            appt_provider=provider[appt], appt_scheduler=scheduler,
            order_patient=o["patient"], order_enc=mapping[o["enc"]] if len(o["enc"]) else o["enc"],
            order_at=o["at"], result_at=o["result"], order_user=o["user"],
            result_user=o["ruser"], order_dept=o["dept"], touches=self.touches,
        ) if len(enc_ids) else self._empty()

    start_weekday = 0

    def _empty(self) -> Clinical:
        z = np.zeros(0, dtype=np.int64)
        return Clinical(z, z, z.astype(np.int8), z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z,
                        z, self.touches)

    # ------------------------------------------------------------------ pieces
    def _visit_team(self, idx: np.ndarray, patient: np.ndarray, dept: np.ndarray,
                    start: np.ndarray, stop: np.ndarray, provider: np.ndarray,
                    team: object, *, nurses: tuple[int, int], btg_share: float,
                    followup: float = 0.3) -> None:
        rng = self.rng
        add_team = team  # callable(enc, users)
        prov = provider[idx]
        n = 2 + rng.poisson(1.0, size=len(idx))
        e, u, p, lo, hi = self.repeat(n, idx, prov, patient[idx], start[idx], stop[idx])
        self.add(u, p, self.uniform(lo, hi), CLINICAL, snap=False)
        fu = rng.random(len(idx)) < followup
        self.add(prov[fu], patient[idx][fu],
                 stop[idx][fu] + rng.integers(DAY, 5 * DAY, size=int(fu.sum())), CLINICAL)
        k = rng.integers(nurses[0], nurses[1], size=len(idx))
        e, s, t, pt, dp = self.repeat(k, idx, start[idx], stop[idx], patient[idx], dept[idx])
        nurse = np.full(len(e), -1, dtype=np.int64)
        for di in np.unique(dp):
            m = dp == di
            nurse[m] = self.on_shift(self.members(("nurse",), int(di)), s[m])
        add_team(e, nurse)  # type: ignore[operator]
        per = 2 + rng.poisson(1.5, size=len(e))
        ne, nu, npt, nlo, nhi = self.repeat(per, e, nurse, pt, s, t)
        when = self.uniform(nlo, nhi)
        btg = np.zeros(len(ne), dtype=bool)
        if btg_share:
            first = np.r_[True, ne[1:] != ne[:-1]]
            chosen = first & (rng.random(len(ne)) < btg_share)
            btg[chosen] = True
            when[chosen] = nlo[chosen] - rng.integers(5 * MINUTE, 40 * MINUTE,
                                                      size=int(chosen.sum()))
        self.add(nu, npt, when, CLINICAL, snap=False, btg=btg)

    def _inpatient(self, idx: np.ndarray, patient: np.ndarray, dept: np.ndarray,
                   start: np.ndarray, stop: np.ndarray, provider: np.ndarray, team: object,
                   orders: dict[str, list[np.ndarray]]) -> None:
        rng = self.rng
        add_team = team
        first_day = np.floor_divide(start[idx], DAY)
        n_days = np.floor_divide(stop[idx], DAY) - first_day + 1
        e, d0, pt, dp, prov = self.repeat(n_days, idx, first_day, patient[idx], dept[idx],
                                          provider[idx])
        offset = np.concatenate([np.arange(k) for k in n_days]) if len(n_days) else np.zeros(0,
                                                                                        np.int64)
        day = d0 + offset
        # attending: most days of the stay
        rounds = rng.random(len(e)) < 0.9
        count = np.where(rounds, 1 + rng.poisson(1.0, size=len(e)), 0)
        ue, up, ud = self.repeat(count, prov, pt, day)
        self.add(ue, up, ud * DAY + 12 * HOUR, CLINICAL)
        # residents and therapists
        for role, share, per in (("resident", 0.6, 1.5), ("therapist", 0.2, 1.0)):
            chosen = np.full(len(idx), -1, dtype=np.int64)
            for di in np.unique(dept[idx]):
                m = dept[idx] == di
                chosen[m] = self.on_shift(self.members((role,), int(di)), start[idx][m])
            if (chosen >= 0).any():
                add_team(idx, chosen)  # type: ignore[operator]
            mine = chosen[np.searchsorted(idx, e)]
            on = (rng.random(len(e)) < share) & (mine >= 0)
            c = np.where(on, 1 + rng.poisson(per, size=len(e)), 0)
            ru, rp, rd = self.repeat(c, mine, pt, day)
            self.add(ru, rp, rd * DAY + 12 * HOUR, CLINICAL)
        # nurses: one per shift per day
        for shift_hour in (7, 19):
            at = day * DAY + shift_hour * HOUR + HOUR
            nurse = np.full(len(e), -1, dtype=np.int64)
            for di in np.unique(dp):
                m = dp == di
                nurse[m] = self.on_shift(self.members(("nurse",), int(di)), at[m])
            add_team(e, nurse)  # type: ignore[operator]
            c = 2 + rng.poisson(2.0, size=len(e))
            nu, npt, na = self.repeat(c, nurse, pt, at)
            lo = np.maximum(na - HOUR, start[idx][np.searchsorted(idx, np.repeat(e, c))])
            hi = np.minimum(na + 11 * HOUR, stop[idx][np.searchsorted(idx, np.repeat(e, c))])
            self.add(nu, npt, self.uniform(lo, np.maximum(hi, lo + 1)), CLINICAL, snap=False)
        # the charge nurse of the unit, not on the care team (department explains it)
        charge = np.full(len(idx), -1, dtype=np.int64)
        for di in np.unique(dept[idx]):
            m = dept[idx] == di
            charge[m] = self.on_shift(self.members(("nurse",), int(di)), start[idx][m] + HOUR)
        self.add(charge, patient[idx], self.uniform(start[idx], np.maximum(
            stop[idx], start[idx] + 1)), CLINICAL, snap=False)
        # orders every day
        self._orders(e, patient, dept, day * DAY + 8 * HOUR, day * DAY + 20 * HOUR, provider,
                     1.5, orders, encounters=e)
        # follow-ups after discharge, and a late pair that only repeat access explains
        fu = rng.random(len(idx)) < 0.4
        self.add(provider[idx][fu], patient[idx][fu],
                 stop[idx][fu] + rng.integers(DAY, 14 * DAY, size=int(fu.sum())), CLINICAL)
        late = rng.random(len(idx)) < 0.12
        prov_late, pat_late, stop_late = provider[idx][late], patient[idx][late], stop[idx][late]
        self.add(prov_late, pat_late, stop_late + rng.integers(20 * DAY, 27 * DAY,
                                                               size=len(prov_late)), CLINICAL)
        self.add(prov_late, pat_late, stop_late + rng.integers(33 * DAY, 45 * DAY,
                                                               size=len(prov_late)), CLINICAL)

    def _orders(self, idx: np.ndarray, patient: np.ndarray, dept: np.ndarray, lo: np.ndarray,
                hi: np.ndarray, provider: np.ndarray, rate: float,
                orders: dict[str, list[np.ndarray]], encounters: np.ndarray | None = None) -> None:
        rng = self.rng
        enc = idx if encounters is None else encounters
        lo_ = lo if encounters is not None else lo[idx]
        hi_ = hi if encounters is not None else hi[idx]
        n = rng.poisson(rate, size=len(enc))
        oe, olo, ohi = self.repeat(n, enc, lo_, hi_)
        at = self.uniform(olo, np.maximum(ohi, olo + 1))
        kinds = rng.choice(3, size=len(oe), p=[0.6, 0.15, 0.25])  # lab, radiology, medication
        result = at + rng.integers(30 * MINUTE, 4 * HOUR, size=len(oe))
        orderer = provider[oe]
        resulter = np.full(len(oe), -1, dtype=np.int64)
        order_dept = np.full(len(oe), -1, dtype=np.int64)
        for k, (role, kind) in enumerate((("lab-technologist", "lab"),
                                          ("radiology-technologist", "radiology"),
                                          ("pharmacist", "pharmacy"))):
            m = kinds == k
            depts = self.dept_of_kind.get(kind, [])
            if m.any() and depts:
                resulter[m] = self.on_shift(self.members((role,), depts[0]), result[m])
                order_dept[m] = depts[0]
        orders["patient"].append(patient[oe])
        orders["enc"].append(oe)
        orders["at"].append(at)
        orders["result"].append(result)
        orders["user"].append(orderer)
        orders["ruser"].append(resulter)
        orders["dept"].append(order_dept)
        self.add(resulter, patient[oe], result, RESULT, snap=False)
        viewed = rng.random(len(oe)) < 0.5
        self.add(orderer[viewed], patient[oe][viewed], result[viewed] + rng.integers(
            10 * MINUTE, 6 * HOUR, size=int(viewed.sum())), CLINICAL)

    def _business(self, idx: np.ndarray, patient: np.ndarray, stop: np.ndarray, *,
                  billing: float, him: float) -> None:
        rng = self.rng
        for role, share, lo, hi in (("billing", billing, 1, 10), ("him", him, 1, 14),
                                    ("billing", billing * 0.3, 10, 40)):
            pool = self.members((role,), None)
            if not len(pool) or share <= 0:
                continue
            m = rng.random(len(idx)) < share
            users = pool[rng.integers(len(pool), size=int(m.sum()))]
            when = stop[idx][m] + rng.integers(lo * DAY, hi * DAY, size=int(m.sum()))
            self.add(users, patient[idx][m], when, BUSINESS)

    def _noise(self, patient: np.ndarray, dept: np.ndarray, klass: np.ndarray, start: np.ndarray,
               stop: np.ndarray, appt: np.ndarray, future: np.ndarray) -> None:
        """Legitimate accesses that no record explains, ``noise`` × the touches so far."""
        rng = self.rng
        legit = sum(len(u) for u in self.touches.user)
        total = round(self.noise * legit)
        if total == 0:
            return
        counts = rng.multinomial(total, [0.35, 0.25, 0.2, 0.2])
        inpatient = np.flatnonzero(klass == 1)
        st = self.staff
        # consults and float nurses on current inpatients, often at the unit's workstations
        for n, roles, ws_share in ((counts[0], ("physician", "resident"), 0.5),
                                   (counts[1], ("nurse",), 0.7)):
            if not len(inpatient) or n == 0:
                continue
            enc = inpatient[rng.integers(len(inpatient), size=n)]
            when = self.uniform(start[enc], np.maximum(stop[enc], start[enc] + 1))
            pool = self.members(roles, None)
            user = self.on_shift(pool, when)
            same = st.dept[user] == dept[enc]
            user[same] = self.on_shift(pool, when[same])
            user[st.dept[user] == dept[enc]] = -1
            ws = np.where(rng.random(n) < ws_share,
                          self.ws_offset[dept[enc]] + rng.integers(0, 10**6, n) % np.maximum(
                              1, self.ws_offset[dept[enc] + 1] - self.ws_offset[dept[enc]]), -1)
            self.add(user, patient[enc], when, CLINICAL, snap=False, ws=ws, noise=True)
        # insurance and registration checks for an appointment 31-60 days ahead, by a clerk who
        # did not book it (outside every appointment window)
        desk = self.members(("registration", "scheduler"), None)
        if len(appt) and len(desk) and counts[2]:
            a = appt[rng.integers(len(appt), size=counts[2])]
            when = start[a] - rng.integers(31 * DAY, 60 * DAY, size=len(a))
            user = desk[rng.integers(len(desk), size=len(a))]
            self.add(user, patient[a], when, FRONT_DESK, noise=True)
        # records requests: a clinician of another department, 20-60 days after an encounter
        past = np.flatnonzero(~future)
        clinicians = self.members(("physician", "nurse"), None)
        if len(past) and len(clinicians) and counts[3]:
            enc = past[rng.integers(len(past), size=counts[3])]
            user = clinicians[rng.integers(len(clinicians), size=len(enc))]
            user[st.dept[user] == dept[enc]] = -1
            when = stop[enc] + rng.integers(35 * DAY, 60 * DAY, size=len(enc))
            self.add(user, patient[enc], when, CLINICAL, noise=True)
