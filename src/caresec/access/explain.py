"""Explanations first: the SQL that decides which accesses the clinical record explains.

An *access* here is a touch: one user's events on one patient's record on one local day
(``touch``: user_id, patient_id, lday, t_first, t_last, n, n_btg). The context relations are
turned into three relationship tables keyed by what of the user must match:

* ``rel_user`` (patient_id, k = user id): treating provider, care team, orders (ordering and
  resulting user), appointments (provider and scheduler);
* ``rel_dept`` (patient_id, k = department): encounter and appointment departments;
* ``rel_role`` (patient_id, k = role): registration for appointments, billing and HIM for
  discharged encounters.

Each row carries the template's priority, its window ``[w0, w1]`` (the relation's own span
``[s0, s1]`` widened by the template's hours) and whether it is care evidence. A touch is
explained by the highest-priority template whose window overlaps ``[t_first, t_last]``; then a
still-unexplained touch is explained by *repeat access* when the same user had an explained
touch of the same patient within the repeat window before it. All times are UTC epoch seconds.
"""

from __future__ import annotations

from caresec.access.catalog import ExplanationCatalog, Template
from caresec.access.context import FAR_FUTURE_S

HOUR = 3600


def _window(t: Template, start: str, stop: str) -> str:
    care = "TRUE" if t.care_evidence else "FALSE"
    return (f"{start} - {t.before_hours * HOUR} AS w0, {stop} + {t.after_hours * HOUR} AS w1, "
            f"{t.priority} AS prio, {care} AS care, {start} AS s0, {stop} AS s1")


def _user_parts(t: Template) -> list[str]:
    w = _window
    if t.relation == "encounter-provider":
        return [f"SELECT patient_id, provider_id AS k, {w(t, 'start_s', 'stop_s')} "
                "FROM encounters WHERE provider_id IS NOT NULL"]
    if t.relation == "care-team":
        return [f"SELECT e.patient_id, c.user_id AS k, {w(t, 'e.start_s', 'e.stop_s')} "
                "FROM care_team c JOIN encounters e ON e.encounter_id = c.encounter_id"]
    if t.relation == "order":
        return [f"SELECT patient_id, {col} AS k, {w(t, 'ordered_s', 'resulted_s')} "
                f"FROM orders WHERE {col} IS NOT NULL"
                for col in ("ordering_user_id", "resulting_user_id")]
    if t.relation == "appointment":
        return [f"SELECT patient_id, {col} AS k, {w(t, 'start_s', 'start_s')} "
                f"FROM appointments WHERE {col} IS NOT NULL"
                for col in ("provider_id", "scheduled_by")]
    return []


def _dept_parts(t: Template) -> list[str]:
    if t.relation == "encounter-department":
        return [f"SELECT patient_id, department AS k, {_window(t, 'start_s', 'stop_s')} "
                "FROM encounters WHERE department IS NOT NULL"]
    if t.relation == "appointment-department":
        return [f"SELECT patient_id, department AS k, {_window(t, 'start_s', 'start_s')} "
                "FROM appointments WHERE department IS NOT NULL"]
    return []


def _role_parts(t: Template) -> list[str]:
    parts = []
    for role in t.roles:
        literal = "'" + role.lower().replace("'", "''") + "'"
        if t.relation == "appointment-role":
            parts.append(f"SELECT patient_id, {literal} AS k, "
                         f"{_window(t, 'start_s', 'start_s')} FROM appointments")
        elif t.relation == "discharged-encounter":
            parts.append(f"SELECT patient_id, {literal} AS k, {_window(t, 'stop_s', 'stop_s')} "
                         f"FROM encounters WHERE stop_s < {FAR_FUTURE_S}")
    return parts


_EMPTY = ("SELECT CAST(NULL AS STRING) AS patient_id, CAST(NULL AS STRING) AS k, "
          "CAST(0 AS BIGINT) AS w0, CAST(0 AS BIGINT) AS w1, 0 AS prio, FALSE AS care, "
          "CAST(0 AS BIGINT) AS s0, CAST(0 AS BIGINT) AS s1 FROM users WHERE 1 = 0")


def relationship_sql(catalog: ExplanationCatalog) -> dict[str, str]:
    """SQL for ``rel_user``, ``rel_dept`` and ``rel_role`` from the templates (union of one
    SELECT per template and relation column)."""
    out: dict[str, str] = {}
    builders = {"rel_user": _user_parts, "rel_dept": _dept_parts, "rel_role": _role_parts}
    for name, build in builders.items():
        parts = [p for t in catalog.ordered() for p in build(t)]
        out[name] = " UNION ALL ".join(parts) if parts else _EMPTY
    return out


def ftouch_sql() -> str:
    """SQL for ``ftouch`` from view ``ev``: the one full pass over the events. Events grouped by
    user, patient (null for none), local day, local hour and workstation, with count, first and
    last time, break-glass events and patient-less lookups, exports and prints."""
    return (
        "SELECT user_id, patient_id, lday, lhour, workstation, count(*) AS n, "
        "min(t) AS t_first, max(t) AS t_last, sum(CASE WHEN btg THEN 1 ELSE 0 END) AS n_btg, "
        "sum(CASE WHEN patient_id IS NULL AND action IN ('query', 'export', 'print') "
        "THEN 1 ELSE 0 END) AS n_bulk FROM (SELECT user_id, patient_id, lday, lhour, "
        "COALESCE(workstation, '') AS workstation, t, btg, action FROM ev) x "
        "GROUP BY user_id, patient_id, lday, lhour, workstation"
    )


def touch_sql() -> str:
    """SQL for ``touch`` (user, patient, local day) from ``ftouch``."""
    return (
        "SELECT user_id, patient_id, lday, min(t_first) AS t_first, max(t_last) AS t_last, "
        "sum(n) AS n, sum(n_btg) AS n_btg FROM ftouch WHERE patient_id IS NOT NULL "
        "GROUP BY user_id, patient_id, lday"
    )


def explained_sql() -> str:
    """SQL for ``texp``: every touch a template explains, with the winning priority."""
    overlap = "r.w0 <= x.t_last AND r.w1 >= x.t_first"
    return (
        "SELECT user_id, patient_id, lday, t_first, n, min(prio) AS prio FROM ("
        "SELECT x.user_id, x.patient_id, x.lday, x.t_first, x.n, r.prio FROM touch x "
        f"JOIN rel_user r ON r.patient_id = x.patient_id AND r.k = x.user_id WHERE {overlap} "
        "UNION ALL "
        "SELECT x.user_id, x.patient_id, x.lday, x.t_first, x.n, r.prio FROM touch x "
        "JOIN uattr u ON u.user_id = x.user_id "
        f"JOIN rel_dept r ON r.patient_id = x.patient_id AND r.k = u.department WHERE {overlap} "
        "UNION ALL "
        "SELECT x.user_id, x.patient_id, x.lday, x.t_first, x.n, r.prio FROM touch x "
        "JOIN uattr u ON u.user_id = x.user_id "
        f"JOIN rel_role r ON r.patient_id = x.patient_id AND r.k = u.role WHERE {overlap}"
        ") m GROUP BY user_id, patient_id, lday, t_first, n"
    )


def unexplained_sql(catalog: ExplanationCatalog) -> tuple[str, str]:
    """SQL for ``utouch`` (touches no template explains) and ``unx`` (those the repeat-access
    template does not explain either), as (utouch, unx)."""
    utouch = (
        "SELECT x.user_id, x.patient_id, x.lday, x.t_first, x.t_last, x.n, x.n_btg "
        "FROM touch x LEFT JOIN texp e ON e.user_id = x.user_id "
        "AND e.patient_id = x.patient_id AND e.lday = x.lday WHERE e.prio IS NULL"
    )
    repeat = next((t for t in catalog.templates if t.relation == "repeat"), None)
    if repeat is None:
        return utouch, "SELECT * FROM utouch"
    window = repeat.before_hours * HOUR
    unx = (
        "SELECT u.* FROM utouch u LEFT JOIN ("
        "SELECT DISTINCT u2.user_id, u2.patient_id, u2.lday FROM utouch u2 "
        "JOIN texp e ON e.user_id = u2.user_id AND e.patient_id = u2.patient_id "
        f"WHERE e.t_first < u2.t_first AND e.t_first >= u2.t_first - {window}"
        ") r ON r.user_id = u.user_id AND r.patient_id = u.patient_id AND r.lday = u.lday "
        "WHERE r.user_id IS NULL"
    )
    return utouch, unx


def repeat_priority(catalog: ExplanationCatalog) -> int | None:
    """The repeat-access template's priority (None when the catalog has none)."""
    return next((t.priority for t in catalog.templates if t.relation == "repeat"), None)
