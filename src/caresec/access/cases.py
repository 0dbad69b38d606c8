"""Cases from detector hits: grouping, score, and the evidence chain in words.

Grouping: patient patterns (self, family-or-neighbour, coworker, vip, deceased, break-glass) give
one case per user and patient; after-termination one per user; volume and after-hours one per
user and local day; new-workstation one per user and workstation.

Score (0–100, one decimal): the detector's weight (``access-explanations.yaml``), plus
``min(8, 3·log2 events)``, plus ``min(4, 2·(days − 1))``; plus 6 for a patient pattern when the
patient was not in care at any of the accesses (no encounter or order within 7 days, no
appointment from 7 days before to 60 days after); plus 6 for a coworker of the same department;
plus, for volume, ``min(20, 2·(z − z_threshold))``; for after-hours and
new-workstation ``min(10, 2·(patients − 1))`` and 4 when the role, too, rarely works at that hour,
or when nobody else ever used the workstation; plus 5 for each other pattern that fired on the
same events (at most 15). Capped at 100.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from caresec.access.catalog import ExplanationCatalog
from caresec.access.pseudonym import Pseudonymizer
from caresec.model.access import AccessCase, AccessPattern

PATIENT_PATTERNS = frozenset({
    AccessPattern.SELF, AccessPattern.FAMILY_OR_NEIGHBOUR, AccessPattern.COWORKER,
    AccessPattern.VIP, AccessPattern.DECEASED, AccessPattern.BREAK_GLASS,
})
DAY_PATTERNS = frozenset({AccessPattern.VOLUME, AccessPattern.AFTER_HOURS})
EPOCH = date(1970, 1, 1)
_FAMILY_WORDS = {
    "family": "shares the user's surname and home address",
    "household": "lives at the user's home address",
    "building": "lives in the user's building (another unit)",
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One detector hit (a row of the ``hits`` table)."""

    pattern: AccessPattern
    user_id: str
    patient_id: str
    event_id: str
    t: int
    lt: int
    workstation: str
    detail: str
    m1: float
    m2: float


@dataclass(frozen=True, slots=True)
class UserInfo:
    """What the roster (or the log) says about a user."""

    role: str = ""
    department: str = ""
    manager: str = ""
    known: bool = True


@dataclass(frozen=True, slots=True)
class VolumeDay:
    """A flagged volume day: counts and the role's statistics."""

    n_pat: int
    n_unx: int
    n_bulk: int
    mu: float
    sd: float
    mb: float
    sb: float


def _local(lt: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(seconds=lt)).strftime("%Y-%m-%d %H:%M")


def _day(lday: int) -> str:
    return (EPOCH + timedelta(days=lday)).isoformat()


def _key(hit: Hit) -> tuple[str, str, str]:
    if hit.pattern in PATIENT_PATTERNS:
        return hit.pattern.value, hit.user_id, hit.patient_id
    if hit.pattern is AccessPattern.AFTER_TERMINATION:
        return hit.pattern.value, hit.user_id, ""
    if hit.pattern in DAY_PATTERNS:
        return hit.pattern.value, hit.user_id, str(hit.lt // 86400)
    return hit.pattern.value, hit.user_id, hit.detail


def build_cases(
    hits: Iterable[Hit],
    *,
    catalog: ExplanationCatalog,
    users: Mapping[str, UserInfo],
    active_care: frozenset[str],
    volume_days: Mapping[tuple[str, int], VolumeDay],
    locations: Mapping[str, str],
    pseudonymizer: Pseudonymizer,
) -> list[AccessCase]:
    """Group hits into ranked cases with their evidence chains.

    Args:
        hits: detector hits.
        catalog: weights, evidence sentences, parameters.
        users: user id → role, department, manager.
        active_care: event ids whose patient was in care (encounter, appointment or order
            within 7 days).
        volume_days: (user, local day) → counts and peer statistics of flagged volume days.
        locations: workstation → "department, location" text (from ``workstations.csv``).
        pseudonymizer: turns patient ids into what the output shows.

    Returns:
        Cases, highest score first (ties: earlier first event, then case id).
    """
    groups: dict[tuple[str, str, str], list[Hit]] = defaultdict(list)
    for hit in hits:
        groups[_key(hit)].append(hit)
    by_event: dict[str, set[AccessPattern]] = defaultdict(set)
    for (pattern, _, _), members in groups.items():
        for hit in members:
            by_event[hit.event_id].add(AccessPattern(pattern))
    cases = [_case(AccessPattern(key[0]), sorted(members, key=lambda h: (h.t, h.event_id)),
                   catalog=catalog, users=users, active_care=active_care,
                   volume_days=volume_days, locations=locations, pseudonymizer=pseudonymizer,
                   by_event=by_event)
             for key, members in groups.items()]
    cases.sort(key=lambda c: (-c.score, c.first_event, c.case_id))
    return cases


def _case(pattern: AccessPattern, hits: list[Hit], *, catalog: ExplanationCatalog,
          users: Mapping[str, UserInfo], active_care: frozenset[str],
          volume_days: Mapping[tuple[str, int], VolumeDay], locations: Mapping[str, str],
          pseudonymizer: Pseudonymizer, by_event: Mapping[str, set[AccessPattern]]) -> AccessCase:
    params = catalog.parameters
    detector = catalog.detector(pattern)
    first, last = hits[0], hits[-1]
    user = first.user_id
    info = users.get(user, UserInfo(known=False))
    event_ids = tuple(dict.fromkeys(h.event_id for h in hits))
    patient_ids = sorted({h.patient_id for h in hits if h.patient_id})
    days = sorted({h.lt // 86400 for h in hits})
    workstations = sorted({h.workstation for h in hits if h.workstation})
    patient = pseudonymizer.pseudonym(first.patient_id) if (
        pattern in PATIENT_PATTERNS and first.patient_id) else ""
    also = sorted(set().union(*(by_event[e] for e in event_ids)) - {pattern})

    score = detector.weight + min(8.0, 3.0 * math.log2(len(event_ids)))
    score += min(4.0, 2.0 * (len(days) - 1))
    detail = first.detail
    extra: list[str] = []
    in_care = any(e in active_care for e in event_ids)
    if pattern in PATIENT_PATTERNS and not in_care:
        score += 6.0
    if pattern is AccessPattern.FAMILY_OR_NEIGHBOUR:
        detail = _FAMILY_WORDS.get(first.detail, first.detail)
    elif pattern is AccessPattern.COWORKER:
        detail = ("works in the same department" if first.m1 >= 1 else
                  f"works in {first.detail}" if first.detail else "an employee")
        score += 6.0 if first.m1 >= 1 else 0.0
    elif pattern in (AccessPattern.DECEASED, AccessPattern.AFTER_TERMINATION):
        detail = _day(int(first.m1))
    elif pattern is AccessPattern.BREAK_GLASS:
        detail = f"reason given: {first.detail}" if first.detail else "no reason given"
    elif pattern is AccessPattern.VOLUME:
        vday = volume_days.get((user, days[0]))
        if vday is not None:
            z_unx = (vday.n_unx - vday.mu) / max(vday.sd, 1.0)
            z_bulk = (vday.n_bulk - vday.mb) / max(vday.sb, 1.0)
            score += min(20.0, 2.0 * max(0.0, max(z_unx, z_bulk) - params.volume_z))
            detail = (f"{vday.n_unx} of them unexplained, and made {vday.n_bulk} lookups, exports "
                      f"or prints; the {info.role or 'role'} peer group averages "
                      f"{vday.mu:.1f} unexplained patients (sd {vday.sd:.1f}) and {vday.mb:.1f} "
                      f"lookups (sd {vday.sb:.1f}) a day")
    elif pattern is AccessPattern.AFTER_HOURS:
        score += min(10.0, 2.0 * (len(patient_ids) - 1))
        role_rare = first.m2 < params.after_hours_role_share
        score += 4.0 if role_rare else 0.0
        detail = (f"the user worked on {first.m1:.0%} of their other active days (the "
                  f"{info.role or 'unknown'} role on {first.m2:.1%} of its user-days)")
    elif pattern is AccessPattern.NEW_WORKSTATION:
        score += min(10.0, 2.0 * (len(patient_ids) - 1))
        nobody = first.m2 <= 0
        score += 4.0 if nobody else 0.0
        where = locations.get(first.detail, "")
        detail = first.detail + (f" ({where})" if where else "")
        extra.append("Nobody else used this workstation in the period." if nobody else
                     f"Not counting this user, {int(first.m1)} of its {int(first.m2)} events "
                     "came from the user's department.")
    score += min(15.0, 5.0 * len(also))
    score = round(min(100.0, score), 1)

    fields = {
        "user": user, "role": info.role or "role unknown",
        "department": info.department or "department unknown", "patient": patient,
        "events": len(event_ids), "days": len(days), "first": _local(first.lt),
        "last": _local(last.lt), "detail": detail, "patients": len(patient_ids),
        "day": _day(days[0]), "hours": params.break_glass_hours,
    }
    if pattern is AccessPattern.VOLUME and (user, days[0]) in volume_days:
        fields["patients"] = volume_days[(user, days[0])].n_pat
    evidence = [" ".join(detector.evidence.format(**fields).split())]
    if detector.scope == "unexplained":
        evidence.append(_unexplained_sentence(catalog))
    if pattern in PATIENT_PATTERNS:
        evidence.append("The patient was in care then (an encounter, order or upcoming "
                        "appointment), but nothing links this user or the user's department to "
                        "it." if in_care else
                        "The patient was not in care then (no encounter or order within 7 days, "
                        "no appointment in the next 60 days): nobody had a reason to open the "
                        "record.")
    evidence.extend(extra)
    evidence.append(f"{len(event_ids)} event(s) on {len(days)} day(s)"
                    + (f" from workstation(s) {', '.join(workstations[:5])}" if workstations
                       else "") + (f" ({len(workstations) - 5} more)" if len(workstations) > 5
                                   else "") + ".")
    if not info.known:
        evidence.append("The user is not in the workforce roster; role and department are as "
                        "logged.")
    if also:
        evidence.append("Also flagged as: " + ", ".join(a.value for a in also) + ".")
    if info.manager:
        evidence.append(f"Manager on the roster: {info.manager}.")
    evidence.append("Next step: " + detector.next_step)
    digest = hashlib.sha256(
        f"{pattern.value}|{user}|{patient}|{days[0]}|{event_ids[0]}".encode()).hexdigest()
    return AccessCase(
        case_id="ACC-" + digest[:10],
        pattern=pattern,
        user_id=user,
        score=score,
        event_ids=event_ids,
        first_event=datetime.fromtimestamp(first.t, tz=UTC),
        last_event=datetime.fromtimestamp(last.t, tz=UTC),
        evidence=tuple(evidence),
        user_role=info.role,
        user_department=info.department,
        patient=patient,
        patients=len(patient_ids),
        also=tuple(also),
    )


def _unexplained_sentence(catalog: ExplanationCatalog) -> str:
    names = [t.label for t in catalog.ordered()]
    return ("No explanation in the clinical record applies (templates tried: "
            + ", ".join(names) + ").")
