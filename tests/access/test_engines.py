"""Both engines on the same data give identical cases (issue 6 §6). The Spark test runs in
local mode (needs pyspark and Java 17+); deselect with ``-m "not spark"``."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from caresec.access.generator import GeneratorConfig, generate, write_generated
from caresec.access.pseudonym import KeyedPseudonymizer
from caresec.access.review import review_access
from caresec.model.access import AccessReview

KEY = KeyedPseudonymizer(b"engine-equality-key-0123456789")
TINY = GeneratorConfig(patients=400, users=60, days=21, seed=11, incidents_per_pattern=3)


def _align(target: Path, source: Path, line: str) -> str:
    """A row of ``source`` rewritten in the column order of ``target`` (same column names)."""
    import csv
    import io

    target_header = next(csv.reader(target.open()))
    source_header = next(csv.reader(source.open()))
    values = dict(zip(source_header, next(csv.reader(io.StringIO(line))), strict=True))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([values.get(c, "") for c in target_header])
    return out.getvalue()


def _signature(review: AccessReview) -> tuple[object, ...]:
    return (review.events, review.patient_events, review.explained_events, review.explained_by,
            review.counts, [(c.case_id, c.pattern, c.user_id, c.patient, c.event_ids, c.score,
                             c.evidence) for c in review.cases])


@pytest.mark.spark
def test_duckdb_and_spark_agree(tmp_path: Path, fixtures: Path) -> None:
    if shutil.which("java") is None:
        reason = "Java 17+ is needed for the Spark engine (.ci/java.sh installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pyspark is needed under CI (pip install -e '.[dev]')")
        pytest.skip("pip install 'caresec[spark]' to run the Spark engine")
    paths = write_generated(generate(TINY), tmp_path / "hospital", events_format="parquet")
    # the mini hospital's log joins the generated one: its hand-written events exercise every
    # template and the break-the-glass care evidence exactly
    mini = fixtures / "access" / "mini"
    events = [paths["events"], mini / "events.csv"]
    context = tmp_path / "context"
    shutil.copytree(paths["context"], context)
    for name in ("users", "patients", "encounters", "care_team", "appointments", "orders"):
        lines = (mini / "context" / f"{name}.csv").read_text().splitlines()[1:]
        with (context / f"{name}.csv").open("a") as handle:
            handle.write("".join(_align(context / f"{name}.csv", mini / "context" /
                                        f"{name}.csv", line) for line in lines))
    duck, spark = (review_access(events, context, engine=engine, pseudonymizer=KEY,
                                 timezone=TINY.timezone, today=date(2025, 12, 31),
                                 work_dir=tmp_path / engine) for engine in ("duckdb", "spark"))
    assert (duck.engine, spark.engine) == ("duckdb", "spark")
    assert _signature(duck) == _signature(spark)
    mini_cases = [c for c in spark.cases if c.event_ids[0].startswith("ev")]
    assert len(mini_cases) == 8 and len(spark.cases) > 30


def test_unknown_engine(fixtures: Path) -> None:
    from caresec.errors import CaresecError

    mini = fixtures / "access" / "mini"
    with pytest.raises(CaresecError, match="unknown engine"):
        review_access([mini / "events.csv"], mini / "context", engine="oracle")
