"""Databases through SQLAlchemy URLs: a sample of rows per table, columns routed by schema.

Every table of the default schema is read: ``SELECT COUNT(*)`` for its size, then the first
:attr:`~caresec.collect.phi.context.Limits.db_sample_rows` rows (configurable). Counts in the
inventory are those of the sample; ``records`` is the table's row count; the individuals of a
column whose sampled values are all distinct are extrapolated to the row count (a key column),
otherwise the sample's distinct count is kept. The URL is shown with its password hidden.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any
from urllib.parse import quote

from caresec.collect.phi.context import FileContext
from caresec.collect.phi.tables import TableScanner

#: The pip package that provides a DBAPI module SQLAlchemy's dialects import.
DRIVER_PACKAGES = {
    "psycopg2": "psycopg2-binary", "psycopg": "psycopg[binary]", "asyncpg": "asyncpg",
    "pg8000": "pg8000", "pymysql": "PyMySQL", "MySQLdb": "mysqlclient",
    "mysql": "mysql-connector-python", "oracledb": "oracledb", "cx_Oracle": "cx_Oracle",
    "pyodbc": "pyodbc", "pymssql": "pymssql",
}
#: Suffixes of the shadow tables that back an SQLite full-text index (FTS3/4: content,
#: segments, segdir, docsize, stat; FTS5: data, idx, content, docsize, config); their rows are
#: those of the virtual table (sqlite.org/fts3.html §9.1, sqlite.org/fts5.html §9).
FTS_SHADOW_SUFFIXES = ("_content", "_segments", "_segdir", "_docsize", "_stat", "_data",
                       "_idx", "_config")


def sqlite_readonly_url(path: str) -> str:
    """The SQLAlchemy URL that opens the SQLite file ``path`` read-only (an SQLite URI filename
    with ``mode=ro``, sqlite.org/uri.html): a missing file is an error, never created."""
    absolute = os.path.abspath(path)
    return f"sqlite:///file:{quote(absolute)}?mode=ro&uri=true"


def _sqlite_target(url: str) -> tuple[str | None, str]:
    """For an SQLite URL: ``(URL to open, "")`` or ``(None, why it cannot be opened)``; any
    other URL as it is.

    Raises:
        sqlalchemy.exc.ArgumentError: not a URL.
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database.startswith("file:"):
        return url, ""
    if not database:
        return None, ("no SQLite database file in the URL (write sqlite:///PATH, or "
                      "sqlite:////absolute/path)")
    if not os.path.isfile(database):
        return None, f"no such database file ({database})"
    return sqlite_readonly_url(database), ""


def _driver_problem(exc: ImportError, url: str) -> str:
    module = (exc.name or "").split(".")[0] or str(exc)
    package = DRIVER_PACKAGES.get(module, module)
    return (f"the database driver {module} is not installed (pip install {package}); "
            f"needed for {url.split(':', 1)[0]}")


def fts_shadow_tables(conn: Any) -> set[str]:
    """The shadow tables of the SQLite full-text (FTS3/4/5) virtual tables of a connection:
    ``<name>`` + :data:`FTS_SHADOW_SUFFIXES` (their text is read once, through ``<name>``);
    empty for other databases."""
    import sqlalchemy as sa

    if conn.dialect.name != "sqlite":
        return set()
    rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                "AND sql LIKE 'CREATE VIRTUAL TABLE%'")).all()
    shadow: set[str] = set()
    for name, sql in rows:
        using = str(sql or "").lower().split(" using ", 1)
        if len(using) == 2 and using[1].lstrip().startswith("fts"):
            shadow.update(f"{name}{suffix}" for suffix in FTS_SHADOW_SUFFIXES)
    return shadow


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (SQLAlchemy ``render_as_string``)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def scan_database(ctx: FileContext, url: str, display: str = "") -> None:
    """Scan the tables of one database; an unreachable database or unreadable table becomes a
    problem (the others are still read). Locations are ``db:<url>#table#column``, or
    ``display#table#column`` when ``display`` is given (an SQLite file found in a folder).

    An SQLite file is opened read-only (:func:`sqlite_readonly_url`): a URL naming no file or
    a missing one is a problem, and no file is created. A URL whose driver (DBAPI module) is
    not installed is a problem naming the module and its pip package. The shadow tables of
    SQLite full-text indexes are not read (:func:`fts_shadow_tables`)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    shown = redact_url(url)
    prefix = display or f"db:{shown}"
    try:
        target, why = _sqlite_target(url)
    except (ArgumentError, ValueError) as exc:
        ctx.problem(prefix, "", f"not a usable database URL ({exc})")
        return
    if target is None:
        ctx.problem(prefix, "", why)
        return
    try:
        engine = sa.create_engine(target)
    except NoSuchModuleError as exc:
        ctx.problem(prefix, "", f"not a usable database URL: unknown database dialect ({exc})")
        return
    except ImportError as exc:
        ctx.problem(prefix, "", _driver_problem(exc, shown))
        return
    except (ArgumentError, ValueError) as exc:
        ctx.problem(prefix, "", f"not a usable database URL ({exc})")
        return
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            shadow = fts_shadow_tables(conn)
            tables = [t for t in inspector.get_table_names() if t not in shadow]
            metadata = sa.MetaData()
            for name in sorted(tables):
                location = f"{prefix}#{name}"
                try:
                    table = sa.Table(name, metadata, autoload_with=conn)
                    total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                    rows = conn.execute(sa.select(table).limit(ctx.limits.db_sample_rows)).all()
                except SQLAlchemyError as exc:
                    ctx.problem(location, "", f"table not readable ({type(exc).__name__})")
                    continue
                header = [c.name for c in table.columns]
                scanner = TableScanner(ctx.detector, ctx.key, location, "db", header, set())
                scanner.feed([[_text(v) for v in row] for row in rows], 1)
                tallies = scanner.finish()
                for tally in tallies:
                    tally.records = int(total or 0)
                    for kind, sketch in tally.sketches.items():
                        sampled = tally.counts.get(kind, 0)
                        if sampled and sketch.estimate() == sampled and (total or 0) > len(rows):
                            tally.extrapolated = int(total or 0)
                ctx.tallies.extend(tallies)
                ctx.files += 1
    except SQLAlchemyError as exc:
        ctx.problem(prefix, "", f"cannot connect or read ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0][:200]})")
    finally:
        engine.dispose()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ""
    return str(value)
