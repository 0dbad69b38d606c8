"""The run history ``ORG/.caresec/runs.sqlite``: record, reload, refuse what it cannot read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from caresec.errors import StoreError
from caresec.model import RiskSnapshot, RunSummary
from caresec.model.risk import Level
from caresec.store.runs import RUNS_FILE, SCHEMA_VERSION, RunStore


def _summary(started: str, *risks: tuple[str, Level, int]) -> RunSummary:
    return RunSummary(
        run_id=0,
        started_at=started,
        judged_on=started[:10],
        risks=tuple(
            RiskSnapshot(r, lv, s, f"Ransomware attack on HL7-01: {r}") for r, lv, s in risks
        ),
        finding_ids=("VULN-HL7-01-CVE-2021-44228", "EOS-CT-01"),
    )


def test_record_and_latest(tmp_path: Path) -> None:
    path = tmp_path / RUNS_FILE
    assert Path(".caresec") / "runs.sqlite" == RUNS_FILE
    with RunStore.open(path) as store:
        assert store.latest() is None and store.run_ids() == []
        first = _summary("2026-08-31T09:00:00+00:00", ("RISK-A", Level.VERY_HIGH, 100))
        second = _summary("2026-11-30T14:05:00+00:00", ("RISK-A", Level.HIGH, 88),
                          ("RISK-B", Level.LOW, 7))
        assert store.record(first) == 1
        assert store.record(second) == 2
    with RunStore.open(path) as store:  # reopened: the history persists
        latest = store.latest()
        assert latest is not None
        assert latest.run_id == 2 and latest.started_at == "2026-11-30T14:05:00+00:00"
        assert latest.risks == second.risks and latest.finding_ids == second.finding_ids
        assert store.load(1).risks == first.risks
        assert store.run_ids() == [1, 2]
        with pytest.raises(StoreError, match="no run 9"):
            store.load(9)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    RunStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="written by a newer caresec"):
        RunStore.open(path)


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError, match="not a usable run history"):
        RunStore.open(path)


def test_unknown_level_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with RunStore.open(path) as store:
        store.record(_summary("2026-11-30T14:05:00+00:00", ("RISK-A", Level.HIGH, 88)))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE run_risks SET level = 'severe'")
    with RunStore.open(path) as store, pytest.raises(StoreError, match="unknown level"):
        store.latest()
