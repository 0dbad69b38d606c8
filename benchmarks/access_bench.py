"""Speed of the access review on a large generated log (issue 6 §8).

Generates a hospital whose log has at least ``--events`` events (Parquet, seed 42; generation is
not timed), then reviews it end to end (ingest check, context, explanations, detectors, cases)
in a fresh process per run, measuring wall time and the peak resident set size of the whole
process tree (the review process and, for Spark, its JVM; sampled every 0.2 s with psutil):

1. DuckDB, default settings (3 GB memory limit, all cores);
2. DuckDB with a 1 GB memory limit: the working set is larger than memory, so it runs out of
   core (spilling to disk) — shown to complete, and how much it costs;
3. Spark in local mode on the same files (skip with ``--no-spark``).

Targets: >= 1,000,000 events/s with DuckDB on a 2-core machine, peak RSS < 4 GB.
Run: ``python benchmarks/access_bench.py [--events 50000000] [--work DIR] [--no-spark]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq

from caresec.access.generator import GeneratorConfig, generate, write_generated

EVENTS_PER_USER_DAY = 48.0  # with events_per_touch 6 (measured on smaller runs of the generator)
DAYS = 120
TARGET_RATE = 1_000_000
TARGET_RSS = 4 << 30

CHILD = """
import json, sys, time
from pathlib import Path
from caresec.access.pseudonym import KeyedPseudonymizer
from caresec.access.review import review_access
args = json.loads(sys.argv[1])
started = time.perf_counter()
review = review_access([Path(args["events"])], Path(args["context"]), engine=args["engine"],
                       pseudonymizer=KeyedPseudonymizer(b"bench-key-0123456789abcdef"),
                       timezone=args["timezone"], work_dir=Path(args["work"]),
                       memory_limit=args["memory"])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "events": review.events, "cases": len(review.cases),
                  "explained_share": review.explained_share}))
"""


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run(engine: str, data: Path, timezone: str, work: Path, memory: str = "") -> dict[str, float]:
    """Review ``data`` in a child process; return seconds, events, cases, peak RSS bytes."""
    arguments = json.dumps({"events": str(data / "logs"), "context": str(data / "context"),
                            "engine": engine, "timezone": timezone, "work": str(work),
                            "memory": memory})
    with tempfile.TemporaryFile(mode="w+") as out:
        child = subprocess.Popen([sys.executable, "-c", CHILD, arguments], stdout=out,
                                 stderr=subprocess.DEVNULL, text=True)
        watched = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            peak = max(peak, _tree_rss(watched))
            time.sleep(0.2)
        out.seek(0)
        output = out.read()
    if child.returncode != 0:
        raise SystemExit(f"{engine} review failed (exit {child.returncode})")
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    result["peak_rss"] = peak
    return result


def ensure_data(target: int, folder: Path) -> tuple[Path, int, str]:
    """Generate (or reuse) a log of at least ``target`` events under ``folder``."""
    marker = folder / "bench.json"
    if marker.is_file():
        info = json.loads(marker.read_text())
        if info["events"] >= target:
            return folder, int(info["events"]), str(info["timezone"])
    users = max(40, math.ceil(target / (DAYS * EVENTS_PER_USER_DAY)))
    config = GeneratorConfig(patients=users * 40, users=users, days=DAYS, seed=42,
                             events_per_touch=6.0, incidents_per_pattern=max(3, users // 40))
    started = time.perf_counter()
    generated = generate(config)
    write_generated(generated, folder, events_format="parquet")
    events = sum(pq.read_metadata(p).num_rows for p in (folder / "logs").glob("*.parquet"))
    print(f"generated {events:,} events ({users} users, {users * 40} patients, {DAYS} days) in "
          f"{time.perf_counter() - started:.0f} s (not part of the figures)", flush=True)
    if events < target:
        raise SystemExit(f"the generator made {events:,} events, fewer than {target:,}")
    marker.write_text(json.dumps({"events": events, "timezone": config.timezone}))
    return folder, events, config.timezone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the generated data here (reused when big enough)")
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="caresec-access-bench-") as tmp:
        folder = args.work or Path(tmp) / "data"
        folder.mkdir(parents=True, exist_ok=True)
        data, events, timezone = ensure_data(args.events, folder)
        size = sum(p.stat().st_size for p in (data / "logs").glob("*.parquet"))
        print(f"access_bench: {events:,} events, {size / 2**20:,.0f} MiB of Parquet, "
              f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM")
        runs = [("duckdb", "", "DuckDB (3 GB memory limit)"),
                ("duckdb", "1GB", "DuckDB, out of core (1 GB memory limit)")]
        if not args.no_spark:
            runs.append(("spark", "", "Spark local mode"))
        rows = []
        for engine, memory, label in runs:
            result = run(engine, data, timezone, Path(tmp) / f"work-{engine}-{memory or 'd'}",
                         memory)
            rate = result["events"] / result["seconds"]
            rows.append((label, result, rate))
            print(f"  {label:<42} {result['seconds']:8.1f} s  {rate:>12,.0f} events/s  "
                  f"peak RSS {result['peak_rss'] / 2**30:5.2f} GiB  "
                  f"({int(result['cases'])} cases, explained {result['explained_share']:.4f})",
                  flush=True)
        duck = rows[0]
        print(f"DuckDB target >= {TARGET_RATE:,} events/s: "
              f"{'met' if duck[2] >= TARGET_RATE else 'MISSED'}; peak RSS < 4 GiB: "
              f"{'met' if duck[1]['peak_rss'] < TARGET_RSS else 'MISSED'}")


if __name__ == "__main__":
    main()
