"""The organization's record of plan progress: ``ORG/plan-status.yaml``.

File format (YAML, documented in docs/reports.md)::

    items:
      PLAN-log4j-core-2.14.1:
        status: remediating        # open | investigating | remediating |
                                   # deviation-requested | deviation-approved | closed
        owner: Integration Services        # optional: replaces the computed owner
        note: change CHG-1042 approved for 2026-12-05
        milestones_done:
          - Test the fixed version outside production

Problems (not YAML, unknown key, unknown status) name the file and line; valid items are kept.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

from caresec.model.plan import PlanStatus, PlanStatusEntry
from caresec.model.problems import InputProblem
from caresec.redact import redact_free_text, redaction_problem
from caresec.risk import _yaml

STATUS_FILE = "plan-status.yaml"
COLLECTOR = "plan-status"


class StatusRecord(BaseModel):
    """One item of ``items:`` as written (validated with pydantic)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: PlanStatus
    owner: str = ""
    note: str = ""
    milestones_done: tuple[str, ...] = ()


def parse_plan_status(
    text: str, file: str = STATUS_FILE, *, reveal_phi: bool = False
) -> tuple[dict[str, PlanStatusEntry], tuple[InputProblem, ...]]:
    """Read ``plan-status.yaml`` text.

    Args:
        text: the file's content (UTF-8 decoded).
        file: the name shown in problems.
        reveal_phi: keep patient identifiers in ``note`` and ``owner`` (by default they are
            redacted, :func:`caresec.redact.redact_free_text`, with a warning).

    Returns:
        ``(entries by item id, problems)``; an invalid item is a problem (error) at its line
        and is left out; a redacted value is a warning naming its line and identifier types.
    """
    located, bad = _yaml.load(text, file, COLLECTOR)
    if bad is not None:
        return {}, (bad,)
    if located is None:
        return {}, ()
    value, node = located.value, located.node
    if not isinstance(value, dict) or set(value) - {"items"}:
        return {}, (_yaml.problem(file, _yaml.line(node), "expected a mapping with one key, items",
                                  COLLECTOR),)
    items = value.get("items") or {}
    items_node = _yaml.key_node(node, "items")
    if not isinstance(items, dict) or items_node is None:
        return {}, (_yaml.problem(file, _yaml.key_line(node, "items"),
                                  "items must map plan item ids to their status", COLLECTOR),)
    entries: dict[str, PlanStatusEntry] = {}
    problems: list[InputProblem] = []
    for key_node, item_node in items_node.value:
        item_id = str(key_node.value).strip()
        at = _yaml.line(key_node)
        item = items.get(key_node.value)
        if not isinstance(item, dict):
            problems.append(_yaml.problem(file, at, f"{item_id}: expected a mapping with status",
                                          COLLECTOR))
            continue
        try:
            record = StatusRecord.model_validate(item)
        except ValidationError as exc:
            problems += _yaml.validation_problems(exc, item_node, file, COLLECTOR, item_id)
            continue
        free = {"note": record.note.strip(), "owner": record.owner.strip()}
        if not reveal_phi:
            for name, value in free.items():
                free[name], types = redact_free_text(value, field=name)
                if types:
                    problems.append(redaction_problem(
                        file, _yaml.key_line(item_node, name), f"the {name} of {item_id}",
                        types, COLLECTOR))
        entries[item_id] = PlanStatusEntry(
            item_id=item_id,
            status=record.status,
            owner=free["owner"],
            note=free["note"],
            milestones_done=tuple(m.strip() for m in record.milestones_done),
            source=f"{file}:{at}",
        )
    return entries, tuple(problems)
