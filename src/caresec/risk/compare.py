"""This audit against the previous audit of the same organization: new, resolved and changed risks.

Risks are matched by register id (``RISK-<asset>-<threat event>-<vulnerability>``), which is
stable across runs for the same asset, threat event and vulnerability. A risk present in both
runs whose residual level differs is ``up`` or ``down``; one at the same level is unchanged
(its score may have moved inside the level).
"""

from __future__ import annotations

from collections.abc import Sequence

from caresec.model.finding import Finding
from caresec.model.plan import (
    ChangeKind,
    RegisterEntry,
    RiskChange,
    RiskSnapshot,
    RunComparison,
    RunSummary,
)


def snapshot(entry: RegisterEntry) -> RiskSnapshot:
    """What the run history keeps of one register entry."""
    risk = entry.risk
    title = f"{risk.threat_event} on {risk.asset_id}: {entry.vulnerability}"
    return RiskSnapshot(risk_id=risk.risk_id, level=risk.level, score=risk.score, title=title)


def summarize(
    register: Sequence[RegisterEntry], findings: Sequence[Finding], *, started_at: str,
    judged_on: str,
) -> RunSummary:
    """The summary of one run to store (``run_id`` 0 until recorded)."""
    return RunSummary(
        run_id=0,
        started_at=started_at,
        judged_on=judged_on,
        risks=tuple(snapshot(e) for e in register),
        finding_ids=tuple(f.finding_id for f in findings),
    )


def compare_runs(previous: RunSummary, current: RunSummary) -> RunComparison:
    """Compare ``current`` with ``previous``.

    Returns:
        :class:`RunComparison` with changes ordered new (current register order), resolved
        (previous order), then up and down (current order).
    """
    before = {r.risk_id: r for r in previous.risks}
    after = {r.risk_id: r for r in current.risks}
    new = [RiskChange(r.risk_id, ChangeKind.NEW, None, r)
           for r in current.risks if r.risk_id not in before]
    resolved = [RiskChange(r.risk_id, ChangeKind.RESOLVED, r, None)
                for r in previous.risks if r.risk_id not in after]
    moved: list[RiskChange] = []
    unchanged = 0
    for r in current.risks:
        old = before.get(r.risk_id)
        if old is None:
            continue
        if r.level.ordinal > old.level.ordinal:
            moved.append(RiskChange(r.risk_id, ChangeKind.UP, old, r))
        elif r.level.ordinal < old.level.ordinal:
            moved.append(RiskChange(r.risk_id, ChangeKind.DOWN, old, r))
        else:
            unchanged += 1
    old_findings = set(previous.finding_ids)
    now_findings = set(current.finding_ids)
    return RunComparison(
        previous_run_id=previous.run_id,
        previous_started_at=previous.started_at,
        changes=(*new, *resolved, *moved),
        unchanged=unchanged,
        new_findings=tuple(f for f in current.finding_ids if f not in old_findings),
        resolved_findings=tuple(f for f in previous.finding_ids if f not in now_findings),
    )
