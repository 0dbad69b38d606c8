"""Databases through SQLAlchemy URLs: a sample of rows per table, columns routed by schema.

Every table of the default schema is read: ``SELECT COUNT(*)`` for its size, then the first
:attr:`~caresec.collect.phi.context.Limits.db_sample_rows` rows (configurable). Counts in the
inventory are those of the sample; ``records`` is the table's row count; the individuals of a
column whose sampled values are all distinct are extrapolated to the row count (a key column),
otherwise the sample's distinct count is kept. The URL is shown with its password hidden.
"""

from __future__ import annotations

import datetime as dt

from caresec.collect.phi.context import FileContext
from caresec.collect.phi.tables import TableScanner


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
    ``display#table#column`` when ``display`` is given (an SQLite file found in a folder)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    shown = redact_url(url)
    prefix = display or f"db:{shown}"
    try:
        engine = sa.create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        ctx.problem(prefix, "", f"not a usable database URL ({exc})")
        return
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = inspector.get_table_names()
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
