"""The terminal summary table."""

from __future__ import annotations

from dataclasses import replace

from rich.console import Console
from rich.table import Table

from caresec.model import AuditResult, InputProblem
from caresec.report import summary_table


def _text(table: Table) -> list[str]:
    console = Console(width=100, record=True, color_system=None)
    console.print(table)
    return [" ".join(line.replace("│", " ").split()) for line in console.export_text().splitlines()]


def test_summary_rows(audit: AuditResult) -> None:
    table = summary_table(audit)
    assert isinstance(table, Table)
    lines = _text(table)
    for row in (
        "Assets 5",
        "SBOMs 4",
        "Components 5",
        "Components not assessed 1",
        "Vulnerabilities (distinct) 3",
        "critical 3",
        "high 0",
        "in CISA KEV 2",
        "with known ransomware use 2",
        "Risks 16",
        "very high 7",
        "moderate 2",
        "very low 0",
        "technical / control gap 7 / 9",
        "accepted 1",
        "acceptance expired 1",
        "Safeguards not met / partly met 2 / 1",
        "Answers contradicted by evidence 1",
        "Plan items 7",
        "Inputs that could not be read 1",
        "sboms/lab.cdx.json",
        "Input problems (errors / warnings) 1 / 1",
    ):
        assert row in lines, (row, lines)


def test_long_list_of_unreadable_inputs_is_cut(audit: AuditResult) -> None:
    problems = tuple(InputProblem(f"sboms/bad-{i:02}.json", "", "not JSON") for i in range(13))
    lines = _text(summary_table(replace(audit, problems=problems)))
    assert "Inputs that could not be read 13" in lines
    assert "sboms/bad-09.json" in lines and "sboms/bad-10.json" not in lines
    assert "… and 3 more" in lines


def test_empty_audit(empty_audit: AuditResult) -> None:
    lines = _text(summary_table(empty_audit))
    assert "Assets 0" in lines and "Risks 0" in lines
    assert "Inputs that could not be read 0" in lines
