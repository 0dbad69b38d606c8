"""SQL engines for the access review: DuckDB (embedded default) and Apache Spark."""

from __future__ import annotations

from caresec.access.engines.base import Engine, open_engine

ENGINES = ("duckdb", "spark")

__all__ = ["ENGINES", "Engine", "open_engine"]
