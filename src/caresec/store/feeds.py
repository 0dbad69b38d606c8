"""The feed cache: advisory feeds imported once into an embedded SQLite database.

An organization's feeds folder (``feeds/``) holds any of::

    osv/        OSV advisories: .json/.yaml/.yml files (any depth) and ecosystem archives
                (*.zip such as OSV's <Ecosystem>/all.zip, or *.tar.gz)
    kev.json    the CISA KEV catalog
    epss.csv    FIRST EPSS scores (or epss.csv.gz)

:meth:`FeedStore.import_feeds` splits the folder into *feed units* — each OSV archive, each
folder of loose OSV files (``osv/``, ``osv/pypa/`` …), ``kev.json`` and the EPSS file — and
hashes each (SHA-256 over its files' relative names, sizes and contents). A unit whose digest
is unchanged is not read again; a changed one is re-imported alone; a unit no longer in the
folder is dropped, so the store mirrors the last folder imported. Problems met while importing
are stored with their unit, so a cached import still reports them.

Advisories are stored once each as compact JSON, indexed by (OSV ecosystem without suffix,
package name normalized per ecosystem — :func:`caresec.analyze.versions.normalize_name`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from caresec.analyze.versions import normalize_name, osv_ecosystem
from caresec.collect.epss import read_epss
from caresec.collect.kev import read_kev
from caresec.collect.osv import is_advisory_file, is_archive, iter_osv
from caresec.errors import InputError, StoreError
from caresec.model import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EpssScore,
    FeedSummary,
    InputProblem,
    KevEntry,
    ProblemSeverity,
    RangeEvent,
    SeverityVector,
)
from caresec.store._sqlite import SqliteStore, open_database

__all__ = [
    "SCHEMA_VERSION",
    "STORE_FILE",
    "FeedStore",
    "Progress",
    "decode_advisory",
    "encode_advisory",
]

SCHEMA_VERSION = 1
"""Version of the store's tables; an older store is rebuilt, a newer one refused."""

Progress = Callable[[str], None]

STORE_FILE = Path(".caresec") / "feeds.sqlite"
"""Where an organization's feed store lives, relative to the organization folder."""

_BATCH = 5_000
_CACHE_KEYS = 65_536
_SQL_VARIABLES = 500

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE units (
    unit_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL,
    records INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE advisories (
    adv_id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL,
    advisory_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE affects (
    eco TEXT NOT NULL,
    name TEXT NOT NULL,
    adv_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL
);
CREATE INDEX affects_package ON affects (eco, name);
CREATE TABLE problems (
    unit_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    file TEXT NOT NULL,
    place TEXT NOT NULL,
    message TEXT NOT NULL,
    severity TEXT NOT NULL,
    collector TEXT NOT NULL
);
CREATE TABLE kev (
    cve TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL,
    date_added TEXT NOT NULL,
    due_date TEXT,
    ransomware INTEGER NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE epss (
    cve TEXT PRIMARY KEY,
    unit_id INTEGER NOT NULL,
    epss REAL NOT NULL,
    percentile REAL NOT NULL
) WITHOUT ROWID;
"""

# Migrations from an older schema version to the next one; none exist yet. A store whose
# version has no migration path is rebuilt (it is a cache of the feeds folder).
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}


@dataclass(frozen=True, slots=True)
class _Unit:
    name: str
    kind: str
    files: tuple[Path, ...]


class FeedStore(SqliteStore):
    """The SQLite feed cache of one organization (``ORG/.caresec/feeds.sqlite``).

    Use :meth:`open` (also a context manager). Implements the matcher's ``AdvisorySource``
    protocol through :meth:`advisories_for`.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        super().__init__(connection, path)
        self._cache: dict[tuple[str, str], list[Advisory]] = {}

    # --- lifecycle ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> FeedStore:
        """Open (creating when absent) the store at ``path``; parent folders are created.

        Raises:
            StoreError: the file is not a usable SQLite database, or was written by a newer
                caresec (schema version above :data:`SCHEMA_VERSION`).
        """
        connection = open_database(
            path, _prepare, what="feed store",
            hint="It is a cache: delete it and import the feeds again.",
        )
        return cls(connection, path)

    # --- import -----------------------------------------------------------------------------

    def import_feeds(
        self, feeds_dir: Path, progress: Progress | None = None
    ) -> tuple[list[FeedSummary], list[InputProblem]]:
        """Bring the store in line with ``feeds_dir``, re-reading only changed feed units.

        Args:
            feeds_dir: the feeds folder (layout in the module docstring); every part optional.
            progress: called with one line per unit (``osv/PyPI.zip: imported 15234 records``).

        Returns:
            One :class:`FeedSummary` per unit now in the store, and every problem of those
            units (stored ones included), plus a warning when the folder or its ``osv/`` part
            is missing (components then cannot be matched).

        Raises:
            StoreError: the database cannot be written.
        """
        say = progress or (lambda _line: None)
        display_root = feeds_dir.parent
        notes: list[InputProblem] = []
        if not feeds_dir.is_dir():
            units: list[_Unit] = []
            notes.append(_warning(str(feeds_dir), "no feeds folder: no advisories to match"))
        else:
            units, notes = _discover(feeds_dir, display_root)
            if not any(unit.kind == "osv" for unit in units):
                notes.append(_warning(_show(feeds_dir / "osv", display_root),
                                      "no OSV advisories: components cannot be matched"))
        try:
            self._sync(units, display_root, say)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write the feed store: {exc}") from exc
        self._cache.clear()
        return self.summaries(), [*notes, *self.problems()]

    def _sync(self, units: list[_Unit], display_root: Path, say: Progress) -> None:
        stored = {name: (unit_id, digest) for unit_id, name, digest in
                  self._db.execute("SELECT unit_id, name, digest FROM units")}
        wanted = {unit.name for unit in units}
        for name, (unit_id, _old_digest) in stored.items():
            if name not in wanted:
                with self._db:
                    self._delete_unit(unit_id)
                say(f"{name}: no longer in the feeds folder; dropped")
        for unit in units:
            digest = _digest(unit, display_root)
            old = stored.get(unit.name)
            if old is not None and old[1] == digest:
                say(f"{unit.name}: unchanged (cached)")
                continue
            self._db.execute("PRAGMA synchronous = OFF")
            with self._db:
                if old is not None:
                    self._delete_unit(old[0])
                unit_id = self._db.execute(
                    "INSERT INTO units (name, kind, digest, records, imported_at) "
                    "VALUES (?, ?, '', 0, '')", (unit.name, unit.kind),
                ).lastrowid
                assert unit_id is not None
                records = self._import_unit(unit, unit_id, display_root)
                self._db.execute(
                    "UPDATE units SET digest = ?, records = ?, imported_at = ? WHERE unit_id = ?",
                    (digest, records, datetime.now(UTC).isoformat(timespec="seconds"), unit_id),
                )
            self._db.execute("PRAGMA synchronous = FULL")
            say(f"{unit.name}: imported {records} records")

    def _delete_unit(self, unit_id: int) -> None:
        for table in ("affects", "advisories", "problems", "kev", "epss", "units"):
            self._db.execute(f"DELETE FROM {table} WHERE unit_id = ?", (unit_id,))  # noqa: S608

    def _import_unit(self, unit: _Unit, unit_id: int, display_root: Path) -> int:
        problems: list[InputProblem] = []
        if unit.kind == "osv":
            records = self._import_osv(unit, unit_id, display_root, problems)
        elif unit.kind == "kev":
            records = self._import_kev(unit.files[0], unit_id, display_root, problems)
        else:
            records = self._import_epss(unit.files[0], unit_id, display_root, problems)
        self._db.executemany(
            "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(unit_id, seq, p.file, p.place, p.message, str(p.severity), p.collector)
             for seq, p in enumerate(problems)],
        )
        return records

    def _import_osv(
        self, unit: _Unit, unit_id: int, display_root: Path, problems: list[InputProblem]
    ) -> int:
        next_id = self._db.execute("SELECT COALESCE(MAX(adv_id), 0) + 1 FROM advisories")
        adv_id = int(next_id.fetchone()[0])
        rows: list[tuple[int, int, str, str]] = []
        keys: list[tuple[str, str, int, int]] = []
        count = 0
        for item in _iter_unit(unit, display_root):
            if isinstance(item, InputProblem):
                problems.append(item)
                continue
            rows.append((adv_id, unit_id, item.advisory_id, encode_advisory(item)))
            for key in {(osv_ecosystem(p.ecosystem), normalize_name(p.ecosystem, p.name))
                        for p in item.affected}:
                keys.append((key[0], key[1], adv_id, unit_id))
            adv_id += 1
            count += 1
            if len(rows) >= _BATCH:
                self._flush(rows, keys)
        self._flush(rows, keys)
        return count

    def _flush(self, rows: list[tuple[int, int, str, str]],
               keys: list[tuple[str, str, int, int]]) -> None:
        self._db.executemany("INSERT INTO advisories VALUES (?, ?, ?, ?)", rows)
        self._db.executemany("INSERT INTO affects VALUES (?, ?, ?, ?)", keys)
        rows.clear()
        keys.clear()

    def _import_kev(
        self, path: Path, unit_id: int, display_root: Path, problems: list[InputProblem]
    ) -> int:
        try:
            entries, found = read_kev(path, display=_show(path, display_root))
        except InputError as exc:
            problems.append(_error(exc, "kev"))
            return 0
        problems.extend(found)
        self._db.executemany(
            "INSERT OR REPLACE INTO kev VALUES (?, ?, ?, ?, ?, ?)",
            [(e.cve_id, unit_id, e.date_added.isoformat(),
              e.due_date.isoformat() if e.due_date else None, int(e.ransomware), e.name)
             for e in entries.values()],
        )
        return len(entries)

    def _import_epss(
        self, path: Path, unit_id: int, display_root: Path, problems: list[InputProblem]
    ) -> int:
        try:
            scores, found = read_epss(path, display=_show(path, display_root))
        except InputError as exc:
            problems.append(_error(exc, "epss"))
            return 0
        problems.extend(found)
        self._db.executemany(
            "INSERT OR REPLACE INTO epss VALUES (?, ?, ?, ?)",
            [(s.cve_id, unit_id, s.epss, s.percentile) for s in scores.values()],
        )
        return len(scores)

    # --- queries ----------------------------------------------------------------------------

    def advisories_for(self, ecosystem: str, name: str) -> list[Advisory]:
        """Advisories with an ``affected`` package of ``name`` in ``ecosystem``.

        Args:
            ecosystem: OSV ecosystem (a ``:`` suffix is ignored: ``Debian:12`` finds every
                Debian release) or purl type (``pypi``).
            name: package name as the ecosystem spells it (normalized before lookup).

        Returns:
            The advisories (withdrawn ones included), one per advisory id (the first stored
            when two feed units carry the same id), in import order. Results are cached until
            the next import.
        """
        key = (osv_ecosystem(ecosystem), normalize_name(ecosystem, name))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found: list[Advisory] = []
        seen: set[str] = set()
        for advisory_id, body in self._db.execute(
            "SELECT a.advisory_id, a.body FROM affects f JOIN advisories a ON a.adv_id = f.adv_id"
            " WHERE f.eco = ? AND f.name = ? ORDER BY a.adv_id", key,
        ):
            if advisory_id not in seen:
                seen.add(advisory_id)
                found.append(decode_advisory(body))
        if len(self._cache) >= _CACHE_KEYS:
            self._cache.clear()
        self._cache[key] = found
        return found

    def ecosystems(self) -> frozenset[str]:
        """The OSV ecosystems (``:`` suffix removed) that at least one stored advisory covers.

        The matcher treats a component of any other ecosystem as *not assessed*: an empty
        answer from a feed that never covered the ecosystem is no evidence of safety.
        """
        rows = self._db.execute("SELECT DISTINCT eco FROM affects").fetchall()
        return frozenset(str(row[0]) for row in rows)

    def advisory_count(self) -> int:
        """Number of advisories stored (all units)."""
        return int(self._db.execute("SELECT COUNT(*) FROM advisories").fetchone()[0])

    def kev(self) -> dict[str, KevEntry]:
        """Every KEV entry, keyed by CVE id."""
        return {
            cve: KevEntry(
                cve_id=cve,
                date_added=date.fromisoformat(added),
                due_date=date.fromisoformat(due) if due else None,
                ransomware=bool(ransomware),
                name=name,
            )
            for cve, added, due, ransomware, name in self._db.execute(
                "SELECT cve, date_added, due_date, ransomware, name FROM kev"
            )
        }

    def epss(self) -> dict[str, EpssScore]:
        """Every EPSS score, keyed by CVE id (about 300,000 in 2025; prefer :meth:`epss_for`)."""
        return {
            cve: EpssScore(cve_id=cve, epss=score, percentile=pct)
            for cve, score, pct in self._db.execute("SELECT cve, epss, percentile FROM epss")
        }

    def epss_lookup(self) -> Mapping[str, EpssScore]:
        """A read-only mapping CVE id → EPSS score that queries the store per key (cached):
        what the matcher needs without loading every score."""
        return _EpssLookup(self._db)

    def epss_for(self, cve_ids: Iterable[str]) -> dict[str, EpssScore]:
        """EPSS scores of the given CVE ids that have one, keyed by CVE id."""
        wanted = sorted(set(cve_ids))
        found: dict[str, EpssScore] = {}
        for start in range(0, len(wanted), _SQL_VARIABLES):
            chunk = wanted[start : start + _SQL_VARIABLES]
            marks = ",".join("?" * len(chunk))
            for cve, score, pct in self._db.execute(
                f"SELECT cve, epss, percentile FROM epss WHERE cve IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[cve] = EpssScore(cve_id=cve, epss=score, percentile=pct)
        return found

    def summaries(self) -> list[FeedSummary]:
        """One :class:`FeedSummary` per stored feed unit, by name."""
        return [
            FeedSummary(name=name, digest=digest, records=records, imported_at=imported_at)
            for name, digest, records, imported_at in self._db.execute(
                "SELECT name, digest, records, imported_at FROM units ORDER BY name"
            )
        ]

    def problems(self) -> list[InputProblem]:
        """Problems stored with the feed units, by unit name then order found."""
        return [
            InputProblem(file=file, place=place, message=message,
                         severity=ProblemSeverity(severity), collector=collector)
            for file, place, message, severity, collector in self._db.execute(
                "SELECT p.file, p.place, p.message, p.severity, p.collector FROM problems p "
                "JOIN units u ON u.unit_id = p.unit_id ORDER BY u.name, p.seq"
            )
        ]


class _EpssLookup(Mapping[str, EpssScore]):
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._seen: dict[str, EpssScore | None] = {}

    def __getitem__(self, cve: str) -> EpssScore:
        if cve not in self._seen:
            row = self._db.execute(
                "SELECT epss, percentile FROM epss WHERE cve = ?", (cve,)).fetchone()
            self._seen[cve] = (EpssScore(cve_id=cve, epss=row[0], percentile=row[1])
                               if row else None)
        found = self._seen[cve]
        if found is None:
            raise KeyError(cve)
        return found

    def __iter__(self) -> Iterator[str]:
        return (row[0] for row in self._db.execute("SELECT cve FROM epss ORDER BY cve"))

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM epss").fetchone()[0])


# --- schema -------------------------------------------------------------------------------------


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    tables = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" in tables:
        row = connection.execute("SELECT version FROM schema_version").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path}: feed store schema {version} was written by a newer caresec "
                f"(this one reads {SCHEMA_VERSION})",
                hint="Upgrade caresec, or delete the file to rebuild it from the feeds.",
            )
        while version < SCHEMA_VERSION and version in _MIGRATIONS:
            with connection:
                _MIGRATIONS[version](connection)
                version += 1
                connection.execute("UPDATE schema_version SET version = ?", (version,))
        if version == SCHEMA_VERSION:
            return
    with connection:
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            connection.execute(f'DROP TABLE IF EXISTS "{name}"')
        connection.executescript(_SCHEMA)
        connection.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))


# --- feed units ---------------------------------------------------------------------------------


def _discover(feeds_dir: Path, display_root: Path) -> tuple[list[_Unit], list[InputProblem]]:
    units: list[_Unit] = []
    notes: list[InputProblem] = []
    osv_dir = feeds_dir / "osv"
    if osv_dir.is_dir():
        loose: dict[Path, list[Path]] = {}
        for path in sorted(osv_dir.rglob("*")):
            relative = path.relative_to(osv_dir)
            if any(part.startswith(".") for part in relative.parts) or not path.is_file():
                continue
            if is_archive(path.name):
                units.append(_Unit(_show(path, feeds_dir), "osv", (path,)))
            elif is_advisory_file(path.name):
                loose.setdefault(path.parent, []).append(path)
        for folder, files in loose.items():
            units.append(_Unit(_show(folder, feeds_dir) + "/", "osv", tuple(files)))
    kev = feeds_dir / "kev.json"
    if kev.is_file():
        units.append(_Unit("kev.json", "kev", (kev,)))
    epss = [feeds_dir / name for name in ("epss.csv.gz", "epss.csv")
            if (feeds_dir / name).is_file()]
    if epss:
        units.append(_Unit(epss[0].name, "epss", (epss[0],)))
        if len(epss) > 1:
            notes.append(_warning(_show(epss[1], display_root),
                                  "both epss.csv and epss.csv.gz are present; epss.csv.gz used"))
    return sorted(units, key=lambda unit: unit.name), notes


def _iter_unit(unit: _Unit, display_root: Path) -> Iterator[Advisory | InputProblem]:
    for path in unit.files:
        try:
            yield from iter_osv(path, display=_show(path, display_root))
        except InputError as exc:
            yield _error(exc, "osv")


def _digest(unit: _Unit, display_root: Path) -> str:
    digest = hashlib.sha256()
    for path in unit.files:
        digest.update(_show(path, display_root).encode("utf-8") + b"\0")
        try:
            digest.update(str(path.stat().st_size).encode("ascii") + b"\0")
            with path.open("rb") as stream:
                while block := stream.read(1 << 20):
                    digest.update(block)
        except OSError as exc:
            digest.update(f"unreadable: {exc}".encode())
    return digest.hexdigest()


def _show(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _warning(file: str, message: str) -> InputProblem:
    return InputProblem(file=file, place="", message=message,
                        severity=ProblemSeverity.WARNING, collector="feeds")


def _error(exc: InputError, collector: str) -> InputProblem:
    return InputProblem(file=exc.path, place=exc.place, message=exc.detail,
                        severity=ProblemSeverity.ERROR, collector=collector)


# --- compact advisory encoding ------------------------------------------------------------------


def encode_advisory(advisory: Advisory) -> str:
    """Compact JSON of an :class:`Advisory` (positional arrays), read by :func:`decode_advisory`."""
    return json.dumps(
        [
            advisory.advisory_id,
            list(advisory.aliases),
            advisory.summary,
            advisory.published.isoformat() if advisory.published else None,
            advisory.withdrawn,
            advisory.source,
            list(advisory.references),
            [[s.type, s.vector] for s in advisory.severity],
            [
                [
                    p.ecosystem,
                    p.name,
                    p.purl,
                    [[r.type, [[e.kind, e.version] for e in r.events]] for r in p.ranges],
                    list(p.versions),
                ]
                for p in advisory.affected
            ],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_advisory(body: str) -> Advisory:
    """The :class:`Advisory` encoded by :func:`encode_advisory`."""
    data: list[Any] = json.loads(body)
    ident, aliases, summary, published, withdrawn, source, refs, severity, affected = data
    return Advisory(
        advisory_id=ident,
        aliases=tuple(aliases),
        summary=summary,
        affected=tuple(_decode_package(p) for p in affected),
        severity=tuple(SeverityVector(type=t, vector=v) for t, v in severity),
        published=date.fromisoformat(published) if published else None,
        withdrawn=withdrawn,
        source=source,
        references=tuple(refs),
    )


def _decode_package(data: Sequence[Any]) -> AffectedPackage:
    ecosystem, name, purl, ranges, versions = data
    return AffectedPackage(
        ecosystem=ecosystem,
        name=name,
        purl=purl,
        ranges=tuple(
            AffectedRange(type=kind, events=tuple(RangeEvent(kind=k, version=v) for k, v in events))
            for kind, events in ranges
        ),
        versions=tuple(versions),
    )
