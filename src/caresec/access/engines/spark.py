"""Apache Spark engine (PySpark), for logs too large for one machine.

The same SQL as DuckDB runs through Spark SQL (ANSI mode, session time zone UTC). Here it runs
in local mode (``local[N]``); pointed at a cluster (``CARESEC_SPARK_MASTER``) the same code
scales out. The larger intermediate tables are written as Parquet under ``work_dir/spark`` and
read back, so that nothing has to fit in memory and each step starts from a short lineage; small
ones derived from them are kept as views.

Needs the ``spark`` extra (``pip install 'caresec[spark]'``) and a Java runtime (17 or later).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from caresec.errors import CaresecError


class SparkEngine:
    """A Spark session configured for the review.

    Args:
        work_dir: scratch folder (intermediate Parquet, Spark local dirs).
        threads: cores for local mode (0 = all).
        memory_limit: ``spark.driver.memory`` ("" = Spark's default).

    Raises:
        CaresecError: pyspark is not installed or no Java runtime is found.
    """

    name = "spark"

    def __init__(self, work_dir: Path, *, threads: int = 0, memory_limit: str = "") -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise CaresecError("the Spark engine needs pyspark",
                               hint="pip install 'caresec[spark]'") from exc
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise CaresecError("the Spark engine needs a Java runtime (17 or later)",
                               hint="Install one, e.g. apt-get install default-jre-headless.")
        self._dir = work_dir / "spark"
        self._dir.mkdir(parents=True, exist_ok=True)
        cores = threads or (os.cpu_count() or 1)
        master = os.environ.get("CARESEC_SPARK_MASTER", f"local[{cores}]")
        builder = (
            SparkSession.builder.master(master)
            .appName("caresec-access-review")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.log.level", "ERROR")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.ansi.enabled", "true")
            .config("spark.sql.shuffle.partitions", str(max(2, cores)))
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.local.dir", str(self._dir / "local"))
            .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            .config("spark.driver.extraJavaOptions", "-Dderby.system.home=" + str(self._dir))
        )
        if memory_limit:
            builder = builder.config("spark.driver.memory", memory_limit)
        try:
            self._spark = builder.getOrCreate()
        except Exception as exc:  # Py4J / JVM start-up failures have no common base class
            raise CaresecError(f"Spark could not start: {exc}",
                               hint="Check that Java 17 or later is installed.") from exc
        self._spark.sparkContext.setLogLevel("ERROR")

    def epoch_us(self, column: str) -> str:
        """``unix_micros(column)``."""
        return f"unix_micros({column})"

    def hash64(self, column: str) -> str:
        """``xxhash64(column)``."""
        return f"xxhash64({column})"

    def register_parquet(self, name: str, paths: Sequence[Path]) -> None:
        """``spark.read.parquet(*paths)`` as a temporary view."""
        frame = self._spark.read.parquet(*[str(p) for p in paths])
        frame.createOrReplaceTempView(name)

    def register_table(self, name: str, table: pa.Table) -> None:
        """Write the Arrow table as Parquet under the work folder and read it as a view."""
        target = self._dir / f"ctx-{name}.parquet"
        pq.write_table(table, target)
        self._spark.read.parquet(str(target)).createOrReplaceTempView(name)

    def define_view(self, name: str, sql: str) -> None:
        """``spark.sql(sql)`` as a temporary view."""
        self._spark.sql(sql).createOrReplaceTempView(name)

    def materialize(self, name: str, sql: str, *, small: bool = False) -> None:
        """Write the result of ``sql`` as Parquet and read it back as view ``name``; a
        ``small`` result derived from materialized tables is only named as a view (Spark's
        per-job overhead outweighs recomputing it)."""
        if small:
            self._spark.sql(sql).createOrReplaceTempView(name)
            return
        target = self._dir / f"step-{name}"
        self._spark.sql(sql).write.mode("overwrite").parquet(str(target))
        self._spark.read.parquet(str(target)).createOrReplaceTempView(name)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Every row of ``sql`` (collected to the driver)."""
        return [tuple(r) for r in self._spark.sql(sql).collect()]

    def close(self) -> None:
        """Stop the session (the JVM stays up for the process) and remove the scratch files."""
        self._spark.catalog.clearCache()
        self._spark.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
