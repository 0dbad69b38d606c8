"""What the review needs from a SQL engine.

The analysis is written once, as SQL in the subset that DuckDB and Spark SQL (ANSI mode) share:
joins on equality plus range filters, GROUP BY, UNION ALL, CASE, COALESCE, FLOOR, CAST, avg,
stddev_pop, count(DISTINCT). Times are handled as integer epoch seconds; the only engine-specific
piece is how a Parquet timestamp becomes microseconds since the epoch (:meth:`Engine.epoch_us`).
Local time is computed from a UTC-offset table built in Python (see
:func:`caresec.access.review.local_offset_sql`), so both engines do the same integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa


class Engine(Protocol):
    """A SQL engine the review runs on.

    Attributes:
        name: ``duckdb`` or ``spark``.
    """

    name: str

    def epoch_us(self, column: str) -> str:
        """SQL for the microseconds since 1970-01-01T00:00:00Z of timestamp ``column``."""
        ...

    def hash64(self, column: str) -> str:
        """SQL for a 64-bit hash of string ``column`` (any well-mixed hash; used only to find
        candidate duplicates, which are then checked exactly)."""
        ...

    def register_parquet(self, name: str, paths: Sequence[Path]) -> None:
        """Make the Parquet files ``paths`` (one schema) queryable as view ``name``."""
        ...

    def register_table(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name`` (context tables, small)."""
        ...

    def define_view(self, name: str, sql: str) -> None:
        """Name ``sql`` as view ``name`` (computed each time it is read)."""
        ...

    def materialize(self, name: str, sql: str, *, small: bool = False) -> None:
        """Compute ``sql`` once and keep the result as table ``name`` (spilling to disk when
        larger than memory). ``small``: the result is small and cheap to recompute from
        materialized tables, so an engine may keep it as a view instead."""
        ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql`` and return every row as a tuple of Python values."""
        ...

    def close(self) -> None:
        """Release the engine (connections, sessions, temporary files)."""
        ...


def open_engine(name: str, work_dir: Path, *, threads: int = 0,
                memory_limit: str = "") -> Engine:
    """Open engine ``name`` (``duckdb`` or ``spark``) with scratch space under ``work_dir``.

    Args:
        name: the engine.
        work_dir: a folder for spill files (DuckDB) or intermediate Parquet (Spark).
        threads: worker threads (0 = all cores).
        memory_limit: DuckDB memory limit (``3GB``) or Spark driver memory; "" = default.

    Raises:
        CaresecError: unknown engine, or the engine's package (or Java, for Spark) is missing.
    """
    from caresec.errors import CaresecError

    if name == "duckdb":
        from caresec.access.engines.duckdb import DuckDBEngine

        return DuckDBEngine(work_dir, threads=threads, memory_limit=memory_limit)
    if name == "spark":
        from caresec.access.engines.spark import SparkEngine

        return SparkEngine(work_dir, threads=threads, memory_limit=memory_limit)
    raise CaresecError(f"unknown engine {name!r}", hint="Use --engine duckdb or --engine spark.")
