"""Text and JSON renderings of an :class:`~caresec.model.access.AccessReview` (strings only;
the CLI writes them). Patients appear as the review holds them: keyed pseudonyms unless the
user opted in."""

from __future__ import annotations

import json
from typing import Any

from caresec.model.access import AccessCase, AccessReview


def case_dict(case: AccessCase) -> dict[str, Any]:
    """A JSON-ready dict of one case."""
    return {
        "case_id": case.case_id, "pattern": case.pattern.value, "score": case.score,
        "user_id": case.user_id, "user_role": case.user_role,
        "user_department": case.user_department, "patient": case.patient,
        "patients": case.patients, "first_event": case.first_event.isoformat(),
        "last_event": case.last_event.isoformat(), "event_ids": list(case.event_ids),
        "also": [a.value for a in case.also], "evidence": list(case.evidence),
    }


def review_dict(review: AccessReview) -> dict[str, Any]:
    """A JSON-ready dict of the whole review."""
    return {
        "engine": review.engine,
        "timezone": review.timezone,
        "period": {"start": review.period_start.isoformat() if review.period_start else None,
                   "end": review.period_end.isoformat() if review.period_end else None},
        "events": review.events,
        "patient_events": review.patient_events,
        "explained_events": review.explained_events,
        "explained_share": round(review.explained_share, 6),
        "explained_by": dict(review.explained_by),
        "pseudonymized": review.pseudonymized,
        "counts": dict(review.counts),
        "cases": [case_dict(c) for c in review.cases],
        "problems": [{"file": p.file, "place": p.place, "message": p.message,
                      "severity": p.severity.value} for p in review.problems],
    }


def render_json(review: AccessReview) -> str:
    """The ``--json`` document."""
    return json.dumps(review_dict(review), indent=2, ensure_ascii=False) + "\n"


def render_text(review: AccessReview, *, limit: int = 20) -> str:
    """A summary, the explained share by template, problems, then the top ``limit`` cases with
    their evidence chains."""
    lines: list[str] = []
    period = (f"{review.period_start:%Y-%m-%d} to {review.period_end:%Y-%m-%d}"
              if review.period_start and review.period_end else "no events")
    lines.append(f"Access review ({review.engine}, local time {review.timezone}): "
                 f"{review.events:,} events, {period}")
    lines.append(f"Explained: {review.explained_events:,} of {review.patient_events:,} patient "
                 f"events ({review.explained_share:.1%})")
    for template, count in review.explained_by:
        share = count / review.patient_events if review.patient_events else 0.0
        lines.append(f"  {template:<24} {count:>12,}  {share:6.1%}")
    counts = dict(review.counts)
    shown = [f"{k} {v:,}" for k, v in sorted(counts.items()) if v]
    if shown:
        lines.append("Counts: " + "; ".join(shown))
    if review.problems:
        lines.append(f"Problems ({len(review.problems)}):")
        lines.extend(f"  {p.severity.value}: {p}" for p in review.problems[:25])
        if len(review.problems) > 25:
            lines.append(f"  … {len(review.problems) - 25} more (see --json)")
    lines.append("")
    lines.append(f"Cases: {len(review.cases)}" + ("" if review.pseudonymized else
                                                   " (patient ids shown: opted in)"))
    for rank, case in enumerate(review.cases[:limit], start=1):
        who = case.user_id + (f" → {case.patient}" if case.patient else "")
        lines.append(f"{rank:>3}. [{case.score:5.1f}] {case.pattern.value:<20} {who}  "
                     f"({len(case.event_ids)} events, {case.case_id})")
        lines.extend(f"       - {sentence}" for sentence in case.evidence)
        ids = ", ".join(case.event_ids[:8]) + (" …" if len(case.event_ids) > 8 else "")
        lines.append(f"       events: {ids}")
    if len(review.cases) > limit:
        lines.append(f"… {len(review.cases) - limit} more case(s) (see --json or --limit)")
    return "\n".join(lines) + "\n"
