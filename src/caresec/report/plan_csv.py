"""The remediation plan as CSV (RFC 4180, UTF-8, one row per plan item, by rank).

Lists (risk ids, assets, milestones …) are joined with ``; ``. A cell that a spreadsheet would
read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is prefixed
with ``'`` (OWASP, CSV injection).
"""

from __future__ import annotations

import csv
import io

from caresec.model.org import AuditResult
from caresec.model.plan import PlanItem

COLUMNS: tuple[str, ...] = (
    "rank",
    "item_id",
    "title",
    "action",
    "level",
    "status",
    "owner",
    "due",
    "sla_days",
    "nprm_requirement",
    "nprm_days",
    "nprm_exceeded_by_sla",
    "risk_reduction",
    "effort",
    "priority",
    "risk_ids",
    "finding_ids",
    "asset_ids",
    "control_ids",
    "milestones",
    "description",
    "note",
    "status_source",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def plan_row(item: PlanItem) -> list[str]:
    """One CSV row for ``item`` in :data:`COLUMNS` order."""
    milestones = "; ".join(
        f"{m.title} ({m.due.isoformat()}{', done' if m.done else ''})" for m in item.milestones
    )
    values: list[object] = [
        item.rank,
        item.item_id,
        item.title,
        item.action,
        item.level or "",
        item.status,
        item.owner,
        item.due.isoformat(),
        item.sla_days,
        item.nprm.requirement_id if item.nprm else "",
        item.nprm.days if item.nprm else "",
        ("yes" if item.nprm.exceeded_by_sla else "no") if item.nprm else "",
        item.risk_reduction,
        item.effort,
        f"{item.priority:.2f}",
        "; ".join(item.risk_ids),
        "; ".join(item.finding_ids),
        "; ".join(item.asset_ids),
        "; ".join(item.control_ids),
        milestones,
        item.description,
        item.note,
        item.status_source,
    ]
    return [_cell(v) for v in values]


def render_plan_csv(result: AuditResult) -> str:
    """The plan of ``result`` as CSV text with a header row (``\\r\\n`` line ends, as RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in result.plan:
        writer.writerow(plan_row(item))
    return out.getvalue()
