"""The organization's intelligence store: ``ORG/.caresec/intel.sqlite``.

It keeps every validated STIX object pulled from each source (all versions, keyed by source,
id and ``modified``), the per-source pull state (TAXII ``added_after``, MISP event
timestamps) and the aggregated sightings of the last match. Each import step (one file, one
TAXII page, one MISP event) is one transaction: an error later in a pull never loses what
earlier steps stored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from caresec.errors import StoreError
from caresec.model.intel import Sighting, Tlp

STORE_NAME = "intel.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    source TEXT NOT NULL, id TEXT NOT NULL, modified TEXT NOT NULL, type TEXT NOT NULL,
    json TEXT NOT NULL, imported_at TEXT NOT NULL, PRIMARY KEY (source, id, modified));
CREATE INDEX IF NOT EXISTS objects_type ON objects (type);
CREATE TABLE IF NOT EXISTS state (
    source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (source, key));
CREATE TABLE IF NOT EXISTS sightings (
    indicator_id TEXT PRIMARY KEY, source TEXT NOT NULL, tlp TEXT NOT NULL,
    count INTEGER NOT NULL, first_seen TEXT, last_seen TEXT, recorded_at TEXT NOT NULL);
"""


def store_file(org_root: Path) -> Path:
    """``ORG/.caresec/intel.sqlite``."""
    return org_root / ".caresec" / STORE_NAME


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class IntelStore:
    """SQLite store of intelligence objects, pull state and sightings.

    Use :meth:`open` as a context manager. Raises :class:`~caresec.errors.StoreError` when the
    file cannot be opened or was written by a newer caresec.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> IntelStore:
        """Open (creating) the store at ``path``."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path)
            db.executescript(_SCHEMA)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                db.close()
                raise StoreError(f"{path} was written by a newer caresec (schema {version}).",
                                 hint="Upgrade caresec or delete the file and pull again.")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path} cannot be opened as the intel store: {exc}.") from exc
        return cls(db, path)

    def __enter__(self) -> IntelStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def add(self, source: str, objects: Iterable[dict[str, Any]],
            state: dict[str, str] | None = None) -> int:
        """Store objects (and pull state) for ``source`` in one transaction.

        Returns:
            How many object versions were new.
        """
        stamp = _now()
        rows = [(source, str(o["id"]), str(o.get("modified") or o.get("created") or ""),
                 str(o["type"]), json.dumps(o, sort_keys=True), stamp) for o in objects]
        try:
            with self._db:
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT OR IGNORE INTO objects VALUES (?, ?, ?, ?, ?, ?)", rows)
                added = self._db.total_changes - before
                for key, value in (state or {}).items():
                    self._db.execute("INSERT OR REPLACE INTO state VALUES (?, ?, ?)",
                                     (source, key, value))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot store objects of {source}: {exc}.") from exc
        return added

    def objects(self, source: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(source, object)`` for every stored object version, by source then id."""
        query = "SELECT source, json FROM objects"
        args: tuple[str, ...] = ()
        if source is not None:
            query += " WHERE source = ?"
            args = (source,)
        for row_source, text in self._db.execute(query + " ORDER BY source, id, modified",
                                                 args):
            yield row_source, json.loads(text)

    def by_source(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """Stored objects grouped by source (every version; see ``latest_versions``)."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for source, obj in self.objects():
            groups.setdefault(source, []).append(obj)
        return list(groups.items())

    def counts(self) -> list[tuple[str, int, str]]:
        """``(source, object versions, last import time)`` per source."""
        return [(str(s), int(n), str(t)) for s, n, t in self._db.execute(
            "SELECT source, COUNT(*), MAX(imported_at) FROM objects GROUP BY source "
            "ORDER BY source")]

    def state(self, source: str, key: str) -> str | None:
        """A pull-state value of ``source`` (None when unset)."""
        row = self._db.execute("SELECT value FROM state WHERE source = ? AND key = ?",
                               (source, key)).fetchone()
        return None if row is None else str(row[0])

    def states(self, source: str, prefix: str = "") -> dict[str, str]:
        """Every pull-state value of ``source`` whose key starts with ``prefix``."""
        return {str(k): str(v) for k, v in self._db.execute(
            "SELECT key, value FROM state WHERE source = ? AND key LIKE ?",
            (source, prefix.replace("%", "") + "%"))}

    def record_sightings(self, sightings: Sequence[Sighting]) -> None:
        """Replace the stored sightings by those of the latest match."""
        stamp = _now()
        rows = [(s.indicator_id, s.source, s.tlp.value, s.count,
                 s.first_seen.isoformat() if s.first_seen else None,
                 s.last_seen.isoformat() if s.last_seen else None, stamp) for s in sightings]
        try:
            with self._db:
                self._db.execute("DELETE FROM sightings")
                self._db.executemany("INSERT INTO sightings VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot record sightings: {exc}.") from exc

    def sightings(self) -> list[Sighting]:
        """The sightings of the latest match, by indicator id."""
        found: list[Sighting] = []
        for ind, source, tlp, count, first, last, _ in self._db.execute(
                "SELECT * FROM sightings ORDER BY indicator_id"):
            found.append(Sighting(str(ind), str(source), Tlp(tlp), int(count),
                                  datetime.fromisoformat(first) if first else None,
                                  datetime.fromisoformat(last) if last else None))
        return found
