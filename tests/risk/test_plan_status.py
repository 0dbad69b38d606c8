"""``plan-status.yaml``: the organization's recorded plan progress, problems naming the line."""

from __future__ import annotations

from pathlib import Path

from caresec.model import PlanStatus, PlanStatusEntry
from caresec.risk import parse_plan_status


def test_valid_file(fixtures: Path) -> None:
    text = (fixtures / "risk" / "plan-status.valid.yaml").read_text(encoding="utf-8")
    entries, problems = parse_plan_status(text)
    assert problems == ()
    assert entries["PLAN-mirth-connect-4.4.0"] == PlanStatusEntry(
        item_id="PLAN-mirth-connect-4.4.0",
        status=PlanStatus.REMEDIATING,
        owner="Integration Services",
        note="change CHG-77 approved",
        milestones_done=("Test the fixed version outside production",),
        source="plan-status.yaml:2",
    )
    assert entries["PLAN-EOS-A-PACS"].status is PlanStatus.CLOSED
    assert list(entries) == ["PLAN-mirth-connect-4.4.0", "PLAN-EOS-A-PACS", "PLAN-retired-item"]


def test_invalid_items_are_problems_with_lines(fixtures: Path) -> None:
    text = (fixtures / "risk" / "plan-status.invalid.yaml").read_text(encoding="utf-8")
    entries, problems = parse_plan_status(text)
    assert list(entries) == ["PLAN-SpaceCom-2-L81"]
    assert [(p.place, p.message) for p in problems] == [
        ("line 3", "PLAN-mirth-connect-4.4.0, status: Input should be 'open', 'investigating', "
                   "'remediating', 'deviation-requested', 'deviation-approved' or 'closed'"),
        ("line 6", "PLAN-EOS-A-PACS, priority: Extra inputs are not permitted"),
        ("line 7", "PLAN-GAP-164.312(d): expected a mapping with status"),
    ]
    assert {(p.file, p.collector) for p in problems} == {("plan-status.yaml", "plan-status")}


def test_not_yaml_and_wrong_shape() -> None:
    _, problems = parse_plan_status("items:\n  PLAN-x: {status: open\n", "ORG/plan-status.yaml")
    assert problems[0].file == "ORG/plan-status.yaml"
    assert problems[0].message.startswith("not valid YAML")
    _, problems = parse_plan_status("items:\n  - PLAN-x\n")
    assert problems[0].message == "items must map plan item ids to their status"
    assert parse_plan_status("") == ({}, ())
