"""Comparing two runs of the same organization: new, resolved and changed (up, down) risks,
matched by register id."""

from __future__ import annotations

from caresec.model import ChangeKind, RiskSnapshot, RunSummary
from caresec.model.risk import Level
from caresec.risk import compare_runs


def _run(run_id: int, *risks: tuple[str, Level, int], findings: tuple[str, ...] = ()) -> RunSummary:
    return RunSummary(
        run_id=run_id,
        started_at=f"2026-0{run_id}-01T00:00:00+00:00",
        judged_on=f"2026-0{run_id}-01",
        risks=tuple(RiskSnapshot(rid, lv, score, f"title {rid}") for rid, lv, score in risks),
        finding_ids=findings,
    )


def test_new_resolved_up_down_unchanged() -> None:
    before = _run(
        1,
        ("RISK-A", Level.HIGH, 85),
        ("RISK-B", Level.MODERATE, 40),
        ("RISK-C", Level.VERY_HIGH, 98),
        ("RISK-D", Level.LOW, 10),
        findings=("VULN-1", "VULN-2"),
    )
    after = _run(
        2,
        ("RISK-C", Level.HIGH, 88),  # down
        ("RISK-E", Level.HIGH, 90),  # new
        ("RISK-B", Level.HIGH, 81),  # up
        ("RISK-A", Level.HIGH, 82),  # same level, score moved: unchanged
        findings=("VULN-2", "VULN-3"),
    )
    result = compare_runs(before, after)
    assert [(c.risk_id, c.change) for c in result.changes] == [
        ("RISK-E", ChangeKind.NEW),
        ("RISK-D", ChangeKind.RESOLVED),
        ("RISK-C", ChangeKind.DOWN),
        ("RISK-B", ChangeKind.UP),
    ]
    assert result.unchanged == 1
    assert result.previous_run_id == 1
    assert result.previous_started_at == "2026-01-01T00:00:00+00:00"
    assert result.new_findings == ("VULN-3",) and result.resolved_findings == ("VULN-1",)
    up = result.of(ChangeKind.UP)[0]
    assert up.before is not None and up.after is not None
    assert (up.before.level, up.after.level) == (Level.MODERATE, Level.HIGH)
    assert result.of(ChangeKind.NEW)[0].before is None
    assert result.of(ChangeKind.RESOLVED)[0].after is None


def test_same_run_has_no_changes() -> None:
    run = _run(3, ("RISK-A", Level.HIGH, 85))
    result = compare_runs(run, run)
    assert result.changes == () and result.unchanged == 1
