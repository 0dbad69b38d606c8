"""The detectors, as SQL over the review's intermediate tables (same text for every engine).

Inputs (built by :mod:`caresec.access.review`): ``ev`` (events with epoch seconds ``t``, local
epoch seconds ``lt``, local ``lday`` and ``lhour``), ``ftouch`` and ``touch``, ``unx``
(unexplained touches), ``flagged`` (the second pass: unexplained events and those the
all-events detectors need) and ``uev`` (the unexplained ones), ``cube`` (events per user, local
day, local hour and workstation, with ``n_bulk`` patient-less lookups, exports and prints),
``uattr`` (users with role and department), the relationship tables of
:mod:`caresec.access.explain`, ``patients``. The events are read in full twice (``ftouch``,
``flagged``); every other step reads small tables.

Every detector produces rows of one shape, ``hits``: pattern, user_id, patient_id, event_id, t,
lt, workstation, detail (text), m1 and m2 (numbers whose meaning depends on the pattern, used
for the evidence and the score). Case assembly happens in :mod:`caresec.access.cases`.

* self: the patient's ``employee_user_id`` is the user (all events);
* after-termination: the local day is after the user's termination date plus grace (all);
* break-the-glass: a break-glass event with no care-evidence relationship (user or department)
  whose span ``[s0, s1]`` meets ``[t, t + N hours]`` (all);
* vip, coworker, family-or-neighbour, deceased: properties of the patient (unexplained);
* after-hours: hours (with the neighbouring hours) in which the user worked on at most
  ``after_hours_own_share`` of their active days (users with at least ``after_hours_min_days``),
  or the role's users on less than ``after_hours_role_share`` of theirs (others), on days the
  user opened at least ``after_hours_min_patients`` unexplained patients then (unexplained);
* volume: user-days whose unexplained patients, or lookups, exports and prints, exceed the
  role's mean by ``volume_z`` standard deviations (at least 1) and a minimum (all);
* new-workstation: first used by the user after the baseline days, on a workstation that, not
  counting the user, serves the user's department for less than the configured share of its
  events (or that nobody else used), on days the user opened at least ``min_patients``
  unexplained patients from it (unexplained).
"""

from __future__ import annotations

from caresec.access.catalog import Parameters

BULK_ACTIONS = "('query', 'export', 'print')"
DAY = 86400


def _hit(pattern: str, source: str = "e", detail: str = "''", m1: str = "0.0",
         m2: str = "0.0") -> str:
    return (f"SELECT '{pattern}' AS pattern, {source}.user_id, {source}.patient_id, "
            f"{source}.event_id, {source}.t, {source}.lt, "
            f"COALESCE({source}.workstation, '') AS workstation, "
            f"CAST({detail} AS STRING) AS detail, CAST({m1} AS DOUBLE) AS m1, "
            f"CAST({m2} AS DOUBLE) AS m2")


def useen_sql() -> str:
    """Every user in the log with their event count (from ``ftouch``)."""
    return "SELECT user_id, sum(n) AS n FROM ftouch GROUP BY user_id"


def unknown_users_sql() -> str:
    """Users in the log but not in the roster."""
    return ("SELECT s.user_id FROM useen s LEFT JOIN users u ON u.user_id = s.user_id "
            "WHERE u.user_id IS NULL")


def logged_sql() -> str:
    """Role and department as logged, for users not in the roster (a scan limited to them)."""
    return ("SELECT e.user_id, max(e.user_role) AS user_role, max(e.user_dept) AS user_dept "
            "FROM ev e JOIN unkusers k ON k.user_id = e.user_id GROUP BY e.user_id")


def uattr_sql() -> str:
    """Users: the roster, then users seen only in the log (role and department as logged)."""
    return (
        "SELECT user_id, COALESCE(role, '') AS role, COALESCE(department, '') AS department, "
        "manager, surname_key, household_key, building_key, hire_day, term_day, TRUE AS known "
        "FROM users UNION ALL "
        "SELECT s.user_id, COALESCE(lower(s.user_role), '') AS role, "
        "COALESCE(s.user_dept, '') AS department, CAST(NULL AS STRING) AS manager, "
        "CAST(NULL AS STRING) AS surname_key, CAST(NULL AS STRING) AS household_key, "
        "CAST(NULL AS STRING) AS building_key, CAST(NULL AS BIGINT) AS hire_day, "
        "CAST(NULL AS BIGINT) AS term_day, FALSE AS known FROM logged s"
    )


def cube_sql() -> str:
    """Events per user, local day, local hour and workstation (``n_bulk``: lookups, exports and
    prints that name no patient, such as searches and patient lists), from ``ftouch``."""
    return (
        "SELECT user_id, lday, lhour, workstation, sum(n) AS n, min(t_first) AS t_first, "
        "sum(n_bulk) AS n_bulk FROM ftouch GROUP BY user_id, lday, lhour, workstation"
    )


def flagged_sql(p: Parameters) -> str:
    """The second and last full pass: every event that is unexplained, or that an all-events
    detector needs (own record, after termination, break-the-glass)."""
    grace = p.termination_grace_days
    return (
        "SELECT e.event_id, e.t, e.lt, e.lday, e.lhour, e.user_id, e.patient_id, e.action, "
        "e.workstation, e.btg, e.btg_reason, "
        "CASE WHEN u.user_id IS NOT NULL THEN 1 ELSE 0 END AS is_unx, "
        "CASE WHEN sp.user_id IS NOT NULL THEN 1 ELSE 0 END AS is_self, "
        f"CASE WHEN tu.user_id IS NOT NULL AND e.lday > tu.term_day + {grace} "
        "THEN 1 ELSE 0 END AS is_term, tu.term_day "
        "FROM ev e "
        "LEFT JOIN unx u ON u.user_id = e.user_id AND u.patient_id = e.patient_id "
        "AND u.lday = e.lday "
        "LEFT JOIN (SELECT DISTINCT patient_id, employee_user_id AS user_id FROM patients "
        "WHERE employee_user_id IS NOT NULL) sp "
        "ON sp.patient_id = e.patient_id AND sp.user_id = e.user_id "
        "LEFT JOIN (SELECT user_id, term_day FROM users WHERE term_day IS NOT NULL) tu "
        "ON tu.user_id = e.user_id "
        "WHERE u.user_id IS NOT NULL OR sp.user_id IS NOT NULL "
        f"OR (tu.user_id IS NOT NULL AND e.lday > tu.term_day + {grace}) "
        "OR (e.btg AND e.patient_id IS NOT NULL)"
    )


def uev_sql() -> str:
    """The events of unexplained touches (from ``flagged``)."""
    return ("SELECT event_id, t, lt, lday, lhour, user_id, patient_id, action, workstation "
            "FROM flagged WHERE is_unx = 1")


def bulk_events_sql() -> str:
    """Patient-less lookups, exports and prints on flagged volume days (a scan limited to
    those user-days; run only when a flagged day has any)."""
    return ("SELECT e.event_id, e.t, e.lt, e.lday, e.user_id, e.patient_id, e.workstation "
            "FROM ev e JOIN vflag f ON f.user_id = e.user_id AND f.lday = e.lday "
            f"WHERE e.patient_id IS NULL AND e.action IN {BULK_ACTIONS}")


def volume_sql(p: Parameters) -> dict[str, str]:
    """``vday`` (per user-day: patients, unexplained patients, and unexplained or patient-less
    lookups, exports and prints), ``vstat`` (per role) and ``vflag`` (flagged days)."""
    vday = (
        "SELECT c.user_id, c.lday, COALESCE(u.role, '') AS role, "
        "c.n_bulk + COALESCE(b.n_bulk, 0) AS n_bulk, "
        "COALESCE(d.n_pat, 0) AS n_pat, COALESCE(x.n_unx, 0) AS n_unx FROM ("
        "SELECT user_id, lday, sum(n_bulk) AS n_bulk FROM cube GROUP BY user_id, lday) c "
        "LEFT JOIN (SELECT user_id, lday, count(*) AS n_bulk FROM uev "
        f"WHERE action IN {BULK_ACTIONS} GROUP BY user_id, lday) b "
        "ON b.user_id = c.user_id AND b.lday = c.lday "
        "LEFT JOIN (SELECT user_id, lday, count(*) AS n_pat FROM touch GROUP BY user_id, lday) d "
        "ON d.user_id = c.user_id AND d.lday = c.lday "
        "LEFT JOIN (SELECT user_id, lday, count(*) AS n_unx FROM unx GROUP BY user_id, lday) x "
        "ON x.user_id = c.user_id AND x.lday = c.lday "
        "LEFT JOIN uattr u ON u.user_id = c.user_id"
    )
    vstat = (
        "SELECT role, avg(CAST(n_unx AS DOUBLE)) AS mu, stddev_pop(CAST(n_unx AS DOUBLE)) AS sd, "
        "avg(CAST(n_bulk AS DOUBLE)) AS mb, stddev_pop(CAST(n_bulk AS DOUBLE)) AS sb, "
        "count(*) AS days FROM vday GROUP BY role"
    )
    z = float(p.volume_z)
    vflag = (
        "SELECT d.user_id, d.lday, d.n_pat, d.n_unx, d.n_bulk, s.mu, s.sd, s.mb, s.sb "
        "FROM vday d JOIN vstat s ON s.role = d.role WHERE "
        f"(d.n_unx >= {p.volume_min_unexplained} AND d.n_unx > s.mu + {z} * "
        "(CASE WHEN s.sd > 1.0 THEN s.sd ELSE 1.0 END)) OR "
        f"(d.n_bulk >= {p.volume_min_lookups} AND d.n_bulk > s.mb + {z} * "
        "(CASE WHEN s.sb > 1.0 THEN s.sb ELSE 1.0 END))"
    )
    return {"vday": vday, "vstat": vstat, "vflag": vflag}


def after_hours_sql(p: Parameters) -> dict[str, str]:
    """Hour norms per user and role (in active days), and the flagged (user, local hour)
    pairs ``ahflag``.

    ``uh``: days on which the user worked in each local hour; ``uhw``: the most such days over
    the hour and its two neighbours; ``ud``: the user's active days. A pair is flagged when the
    user has at least ``after_hours_min_days`` active days and, leaving one day out (the day
    judged), worked in the hour window on at most ``after_hours_own_share`` of the others; or,
    with fewer days, when the role's users worked in it on less than ``after_hours_role_share``
    of theirs.
    """
    near = ("(x.lhour = h.lhour OR x.lhour = (h.lhour + 1) % 24 "
            "OR x.lhour = (h.lhour + 23) % 24)")
    return {
        "uh": ("SELECT user_id, lhour, count(DISTINCT lday) AS ndays FROM cube "
               "GROUP BY user_id, lhour"),
        "ud": "SELECT user_id, count(DISTINCT lday) AS ndays FROM cube GROUP BY user_id",
        "uhw": ("SELECT h.user_id, h.lhour, max(x.ndays) AS nwin FROM uh h JOIN uh x "
                f"ON x.user_id = h.user_id AND {near} GROUP BY h.user_id, h.lhour"),
        "rhw": ("SELECT u.role, h.lhour, sum(h.nwin) AS nwin FROM uhw h JOIN uattr u "
                "ON u.user_id = h.user_id GROUP BY u.role, h.lhour"),
        "rd": ("SELECT u.role, sum(d.ndays) AS ndays FROM ud d JOIN uattr u "
               "ON u.user_id = d.user_id GROUP BY u.role"),
        "ahflag": (
            "SELECT w.user_id, w.lhour, CASE WHEN ud.ndays > 1 THEN "
            "CAST(w.nwin - 1 AS DOUBLE) / (ud.ndays - 1) ELSE 0.0 END AS own_share, "
            "CAST(rw.nwin AS DOUBLE) / rd.ndays AS role_share, ud.ndays "
            "FROM uhw w JOIN ud ON ud.user_id = w.user_id "
            "JOIN uattr u ON u.user_id = w.user_id "
            "JOIN rhw rw ON rw.role = u.role AND rw.lhour = w.lhour "
            "JOIN rd ON rd.role = u.role "
            f"WHERE (ud.ndays >= {p.after_hours_min_days} AND "
            f"w.nwin - 1 <= {p.after_hours_own_share} * (ud.ndays - 1)) OR "
            f"(ud.ndays < {p.after_hours_min_days} AND "
            f"rw.nwin < {p.after_hours_role_share} * rd.ndays)"
        ),
        "ahdays": (
            "SELECT e.user_id, e.lday FROM uev e JOIN ahflag f ON f.user_id = e.user_id "
            "AND f.lhour = e.lhour GROUP BY e.user_id, e.lday "
            f"HAVING count(DISTINCT e.patient_id) >= {p.after_hours_min_patients}"
        ),
    }


def new_workstation_sql(p: Parameters) -> dict[str, str]:
    """Workstation use per user and department, and the flagged (user, workstation) pairs."""
    return {
        "uws": ("SELECT user_id, workstation, min(t_first) AS first_t, sum(n) AS n FROM cube "
                "WHERE workstation <> '' GROUP BY user_id, workstation"),
        "nwflag": (
            "SELECT w.user_id, w.workstation, w.first_t, "
            "COALESCE(d.n, w.n) - w.n AS dept_other, a.n - w.n AS all_other FROM uws w "
            "JOIN uattr u ON u.user_id = w.user_id "
            "JOIN (SELECT workstation, sum(n) AS n FROM uws GROUP BY workstation) a "
            "ON a.workstation = w.workstation "
            "LEFT JOIN (SELECT u2.department, w2.workstation, sum(w2.n) AS n FROM uws w2 "
            "JOIN uattr u2 ON u2.user_id = w2.user_id GROUP BY u2.department, w2.workstation) d "
            "ON d.department = u.department AND d.workstation = w.workstation "
            "CROSS JOIN (SELECT min(t_first) AS t0 FROM cube) b "
            f"WHERE w.first_t >= b.t0 + {p.new_workstation_baseline_days * DAY} AND "
            f"(a.n - w.n = 0 OR COALESCE(d.n, w.n) - w.n < "
            f"{p.new_workstation_department_share} * (a.n - w.n))"
        ),
        "nwdays": (
            "SELECT e.user_id, e.workstation, e.lday FROM uev e JOIN nwflag f "
            "ON f.user_id = e.user_id AND f.workstation = e.workstation WHERE e.t >= f.first_t "
            "GROUP BY e.user_id, e.workstation, e.lday "
            f"HAVING count(DISTINCT e.patient_id) >= {p.new_workstation_min_patients}"
        ),
    }


def break_glass_sql(p: Parameters) -> dict[str, str]:
    """Break-glass events and those with care evidence within N hours (``btcare``)."""
    horizon = p.break_glass_hours * 3600
    cond = f"r.care AND r.s0 <= b.t + {horizon} AND r.s1 >= b.t"
    return {
        "bt": ("SELECT a.event_id, a.t, a.user_id, a.patient_id, "
               "COALESCE(u.department, '') AS department FROM flagged a "
               "LEFT JOIN uattr u ON u.user_id = a.user_id "
               "WHERE a.btg AND a.patient_id IS NOT NULL"),
        "btcare": (
            "SELECT b.event_id FROM bt b JOIN rel_user r ON r.patient_id = b.patient_id "
            f"AND r.k = b.user_id WHERE {cond} UNION "
            "SELECT b.event_id FROM bt b JOIN rel_dept r ON r.patient_id = b.patient_id "
            f"AND r.k = b.department WHERE {cond}"
        ),
    }


def hits_sql(p: Parameters) -> str:
    """Every detector's hits, one UNION ALL."""
    grace = p.deceased_grace_days
    parts = [
        _hit("self", "a") + " FROM flagged a WHERE a.is_self = 1",
        _hit("after-termination", "a", m1="a.term_day") + " FROM flagged a WHERE a.is_term = 1",
        _hit("break-glass", "a", detail="COALESCE(a.btg_reason, '')")
        + " FROM flagged a LEFT JOIN btcare c ON c.event_id = a.event_id "
        "WHERE a.btg AND a.patient_id IS NOT NULL AND c.event_id IS NULL",
        _hit("volume", "a", m1="f.n_unx", m2="f.n_bulk")
        + " FROM bulkev a JOIN vflag f ON f.user_id = a.user_id AND f.lday = a.lday",
        _hit("volume", "e", m1="f.n_unx", m2="f.n_bulk")
        + " FROM uev e JOIN vflag f ON f.user_id = e.user_id AND f.lday = e.lday",
        _hit("vip") + " FROM uev e JOIN patients p ON p.patient_id = e.patient_id WHERE p.vip",
        _hit("coworker", detail="COALESCE(cw.department, '')",
             m1="CASE WHEN cw.department = u.department THEN 1 ELSE 0 END")
        + " FROM uev e JOIN patients p ON p.patient_id = e.patient_id "
        "LEFT JOIN uattr cw ON cw.user_id = p.employee_user_id "
        "LEFT JOIN uattr u ON u.user_id = e.user_id "
        "WHERE p.employee_user_id IS NOT NULL AND p.employee_user_id <> e.user_id",
        _hit("family-or-neighbour",
             detail="CASE WHEN p.household_key = u.household_key AND "
                    "p.surname_key = u.surname_key THEN 'family' "
                    "WHEN p.household_key = u.household_key THEN 'household' "
                    "ELSE 'building' END")
        + " FROM uev e JOIN patients p ON p.patient_id = e.patient_id "
        "JOIN uattr u ON u.user_id = e.user_id "
        "WHERE (p.household_key = u.household_key OR p.building_key = u.building_key) "
        "AND COALESCE(p.employee_user_id, '') <> e.user_id",
        _hit("deceased", m1="p.deceased_day")
        + " FROM uev e JOIN patients p ON p.patient_id = e.patient_id "
        f"WHERE p.deceased_day IS NOT NULL AND e.lday > p.deceased_day + {grace}",
        _hit("after-hours", m1="f.own_share", m2="f.role_share")
        + " FROM uev e JOIN ahflag f ON f.user_id = e.user_id AND f.lhour = e.lhour "
        "JOIN ahdays a ON a.user_id = e.user_id AND a.lday = e.lday",
        _hit("new-workstation", detail="f.workstation", m1="f.dept_other", m2="f.all_other")
        + " FROM uev e JOIN nwflag f ON f.user_id = e.user_id "
        "AND f.workstation = e.workstation JOIN nwdays n ON n.user_id = e.user_id "
        "AND n.workstation = e.workstation AND n.lday = e.lday WHERE e.t >= f.first_t",
    ]
    return " UNION ALL ".join(parts)


def active_care_sql(window_days: int = 7, appointment_days: int = 60) -> str:
    """Hit events whose patient was in care at the time, by anyone: an encounter or an order
    within ``window_days`` of the access, or an appointment from ``window_days`` before to
    ``appointment_days`` after it (an upcoming visit)."""
    w = window_days * DAY
    ahead = appointment_days * DAY
    return (
        "SELECT DISTINCT h.event_id FROM hits h JOIN encounters e ON e.patient_id = h.patient_id "
        f"WHERE e.start_s - {w} <= h.t AND e.stop_s + {w} >= h.t UNION "
        "SELECT DISTINCT h.event_id FROM hits h JOIN appointments a "
        f"ON a.patient_id = h.patient_id WHERE a.start_s - {ahead} <= h.t "
        f"AND a.start_s + {w} >= h.t "
        "UNION SELECT DISTINCT h.event_id FROM hits h JOIN orders o "
        f"ON o.patient_id = h.patient_id WHERE o.ordered_s - {w} <= h.t "
        f"AND o.resulted_s + {w} >= h.t"
    )
