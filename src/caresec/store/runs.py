"""The run history: a summary of each audit of an organization in ``ORG/.caresec/runs.sqlite``.

Each run keeps its start time, audit date, every register entry's id, residual level, score and
title, and every finding id; :func:`caresec.risk.compare.compare_runs` compares the latest
recorded run with the current one. Unlike the feed cache the history is not rebuilt: a store
written by a newer caresec is refused rather than overwritten.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from caresec.errors import StoreError
from caresec.model.plan import RiskSnapshot, RunSummary
from caresec.model.risk import Level
from caresec.store._sqlite import SqliteStore, open_database

__all__ = ["RUNS_FILE", "SCHEMA_VERSION", "RunStore"]

RUNS_FILE = Path(".caresec") / "runs.sqlite"
"""Where an organization's run history lives, relative to the organization folder."""

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE runs (
    run_id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    judged_on TEXT NOT NULL
);
CREATE TABLE run_risks (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    risk_id TEXT NOT NULL,
    level TEXT NOT NULL,
    score INTEGER NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE run_findings (
    run_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    finding_id TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"""


class RunStore(SqliteStore):
    """The SQLite run history of one organization. Use :meth:`open` (a context manager)."""

    @classmethod
    def open(cls, path: Path) -> RunStore:
        """Open (creating when absent) the history at ``path``; parent folders are created.

        Raises:
            StoreError: not a usable SQLite database, or written by a newer caresec.
        """
        connection = open_database(
            path, _prepare, what="run history", hint="Move it aside to start a new history."
        )
        return cls(connection, path)

    def record(self, summary: RunSummary) -> int:
        """Store ``summary`` as a new run and return its run id (``summary.run_id`` ignored).

        Raises:
            StoreError: the database cannot be written.
        """
        try:
            with self._db:
                cursor = self._db.execute(
                    "INSERT INTO runs (started_at, judged_on) VALUES (?, ?)",
                    (summary.started_at, summary.judged_on),
                )
                run_id = cursor.lastrowid
                assert run_id is not None
                self._db.executemany(
                    "INSERT INTO run_risks VALUES (?, ?, ?, ?, ?, ?)",
                    [(run_id, seq, r.risk_id, str(r.level), r.score, r.title)
                     for seq, r in enumerate(summary.risks)],
                )
                self._db.executemany(
                    "INSERT INTO run_findings VALUES (?, ?, ?)",
                    [(run_id, seq, f) for seq, f in enumerate(summary.finding_ids)],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot record the run: {exc}") from exc
        return int(run_id)

    def run_ids(self) -> list[int]:
        """Every recorded run id, oldest first."""
        return [int(r[0]) for r in self._db.execute("SELECT run_id FROM runs ORDER BY run_id")]

    def latest(self) -> RunSummary | None:
        """The most recently recorded run, or None when the history is empty."""
        row = self._db.execute(
            "SELECT run_id FROM runs ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else self.load(int(row[0]))

    def load(self, run_id: int) -> RunSummary:
        """One recorded run.

        Raises:
            StoreError: no run has that id, or a stored level is not a NIST level.
        """
        row = self._db.execute(
            "SELECT started_at, judged_on FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no run {run_id}")
        try:
            risks = tuple(
                RiskSnapshot(risk_id=r[0], level=Level(r[1]), score=int(r[2]), title=r[3])
                for r in self._db.execute(
                    "SELECT risk_id, level, score, title FROM run_risks WHERE run_id = ? "
                    "ORDER BY seq", (run_id,))
            )
        except ValueError as exc:
            raise StoreError(f"{self.path}: run {run_id} holds an unknown level: {exc}") from exc
        findings = tuple(
            str(r[0]) for r in self._db.execute(
                "SELECT finding_id FROM run_findings WHERE run_id = ? ORDER BY seq", (run_id,))
        )
        return RunSummary(run_id=run_id, started_at=str(row[0]), judged_on=str(row[1]),
                          risks=risks, finding_ids=findings)


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_version" not in tables:
        with connection:
            connection.executescript(_SCHEMA)
            connection.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        return
    row = connection.execute("SELECT version FROM schema_version").fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: run history written by a newer caresec (schema {version}, this caresec "
            f"reads {SCHEMA_VERSION})",
            hint="Upgrade caresec.",
        )
    if version < SCHEMA_VERSION:
        raise StoreError(f"{path}: run history schema {version} is not known")
