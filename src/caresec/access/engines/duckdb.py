"""The embedded default engine: DuckDB, in process, out of core.

Intermediate tables are DuckDB temporary tables; when they and the hash tables outgrow the
memory limit (default 3 GB, so the review stays under 4 GB resident) DuckDB spills to
``work_dir/duckdb-spill``. Parquet inputs are scanned in place, never loaded whole.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from caresec.errors import CaresecError

DEFAULT_MEMORY = "3GB"


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckDBEngine:
    """DuckDB connection configured for the review.

    Args:
        work_dir: scratch folder (spill files).
        threads: worker threads (0 = all cores).
        memory_limit: DuckDB ``memory_limit`` ("" = 3GB).

    Raises:
        CaresecError: the ``duckdb`` package is not installed.
    """

    name = "duckdb"

    def __init__(self, work_dir: Path, *, threads: int = 0, memory_limit: str = "") -> None:
        try:
            import duckdb
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise CaresecError("the duckdb package is not installed",
                               hint="pip install duckdb") from exc
        spill = work_dir / "duckdb-spill"
        spill.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(config={
            "threads": threads or (os.cpu_count() or 1),
            "memory_limit": memory_limit or DEFAULT_MEMORY,
            "temp_directory": str(spill),
            "preserve_insertion_order": False,
        })
        self._con.execute("SET enable_progress_bar = false")  # a library prints nothing
        self._arrow: dict[str, pa.Table] = {}

    def epoch_us(self, column: str) -> str:
        """``epoch_us(column)``."""
        return f"epoch_us({column})"

    def hash64(self, column: str) -> str:
        """``hash(column)`` (DuckDB's 64-bit hash)."""
        return f"hash({column})"

    def register_parquet(self, name: str, paths: Sequence[Path]) -> None:
        """``CREATE VIEW name AS SELECT * FROM read_parquet([...])``."""
        files = ", ".join(_quote(p) for p in paths)
        self._con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet([{files}])")

    def register_table(self, name: str, table: pa.Table) -> None:
        """Copy the Arrow table into a DuckDB temporary table."""
        self._arrow[name] = table
        self._con.register(f"__arrow_{name}", table)
        self._con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM __arrow_{name}")
        self._con.unregister(f"__arrow_{name}")

    def define_view(self, name: str, sql: str) -> None:
        """``CREATE OR REPLACE VIEW name AS sql``."""
        self._con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")

    def materialize(self, name: str, sql: str, *, small: bool = False) -> None:
        """``CREATE OR REPLACE TEMP TABLE name AS sql`` (``small`` changes nothing here)."""
        self._con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Every row of ``sql``."""
        return [tuple(r) for r in self._con.execute(sql).fetchall()]

    def close(self) -> None:
        """Close the connection."""
        self._con.close()
