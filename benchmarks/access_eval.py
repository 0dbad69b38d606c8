"""Accuracy of the access review on generated hospitals with planted misuse.

For each seed: generate a hospital and its log (``caresec access generate``), review it, and
compare the cases with the ground truth.

* recall of a pattern: planted incidents of that pattern that a case of the same pattern covers
  (shares at least one event with);
* precision of a pattern: cases of that pattern that cover any planted incident;
* precision at 50: the same, over the 50 highest-ranked cases of all patterns;
* explained share of legitimate events: a second review of the log without the planted events.

Targets (issue 6): explained share >= 0.94, recall >= 0.9 for every pattern, precision at 50 >=
0.8. Run: ``python benchmarks/access_eval.py [--seeds 1 2 3 4 5] [--users 400 --patients 4000
--days 30]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from caresec.access.generator import GeneratorConfig, generate, write_generated
from caresec.access.pseudonym import KeyedPseudonymizer
from caresec.access.review import review_access
from caresec.model.access import AccessPattern, AccessReview

TARGET_SHARE = 0.94
TARGET_RECALL = 0.9
TARGET_P_AT_50 = 0.8


@dataclass
class Score:
    """Counts for one run (or the sum of several)."""

    incidents: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    cases: Counter[str] = field(default_factory=Counter)
    true_cases: Counter[str] = field(default_factory=Counter)
    top_true: int = 0
    top: int = 0
    legit_events: int = 0
    legit_explained: int = 0

    def add(self, other: Score) -> None:
        for mine, theirs in ((self.incidents, other.incidents), (self.detected, other.detected),
                             (self.cases, other.cases), (self.true_cases, other.true_cases)):
            mine.update(theirs)
        self.top_true += other.top_true
        self.top += other.top
        self.legit_events += other.legit_events
        self.legit_explained += other.legit_explained


def score(review: AccessReview, legit: AccessReview, truth: dict[str, object],
          top: int = 50) -> Score:
    """Compare a review with the ground truth (see the module docstring)."""
    incidents = truth["incidents"]
    assert isinstance(incidents, list)
    owner: dict[str, dict[str, object]] = {}
    for incident in incidents:
        for event_id in incident["event_ids"]:
            owner[event_id] = incident
    result = Score()
    result.incidents.update(i["pattern"] for i in incidents)
    detected: set[str] = set()
    for case in review.cases:
        pattern = case.pattern.value
        result.cases[pattern] += 1
        hits = [owner[e] for e in case.event_ids if e in owner]
        if hits:
            result.true_cases[pattern] += 1
        detected.update(str(i["incident_id"]) for i in hits if i["pattern"] == pattern)
    for incident in incidents:
        if incident["incident_id"] in detected:
            result.detected[str(incident["pattern"])] += 1
    ranked = review.cases[:top]
    result.top = len(ranked)
    result.top_true = sum(any(e in owner for e in c.event_ids) for c in ranked)
    result.legit_events = legit.patient_events
    result.legit_explained = legit.explained_events
    return result


def run_seed(seed: int, args: argparse.Namespace, work: Path) -> tuple[Score, float, int]:
    """Generate, review twice (all events; legitimate only), score. Returns (score, review
    seconds, events)."""
    config = GeneratorConfig(patients=args.patients, users=args.users, days=args.days, seed=seed,
                             incidents_per_pattern=args.incidents)
    out = work / f"seed-{seed}"
    paths = write_generated(generate(config), out, events_format="parquet")
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    planted = {e for i in truth["incidents"] for e in i["event_ids"]}
    parts = sorted(paths["events"].glob("part-*.parquet"))
    legit_parts = [p for p in parts
                   if not planted & set(pq.read_table(p, columns=["event_id"])
                                        .column("event_id").to_pylist())]
    key = KeyedPseudonymizer(b"access-eval-key-" + bytes([seed % 256]) * 16)
    started = time.perf_counter()
    review = review_access([paths["events"]], paths["context"], engine=args.engine,
                           pseudonymizer=key, timezone=config.timezone, work_dir=out / "work")
    seconds = time.perf_counter() - started
    legit = review_access(legit_parts, paths["context"], engine=args.engine, pseudonymizer=key,
                          timezone=config.timezone, work_dir=out / "work-legit")
    return score(review, legit, truth), seconds, review.events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--patients", type=int, default=4000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--incidents", type=int, default=0,
                        help="planted incidents per pattern (0 = users / 40)")
    parser.add_argument("--engine", default="duckdb")
    args = parser.parse_args()

    total = Score()
    p_at_50: list[float] = []
    print(f"access_eval: {len(args.seeds)} seed(s), {args.users} users, {args.patients} "
          f"patients, {args.days} days, engine {args.engine}")
    with tempfile.TemporaryDirectory(prefix="caresec-access-eval-") as tmp:
        for seed in args.seeds:
            result, seconds, events = run_seed(seed, args, Path(tmp))
            total.add(result)
            share = result.legit_explained / result.legit_events
            p50 = result.top_true / result.top if result.top else 0.0
            p_at_50.append(p50)
            recall = min(result.detected[p] / result.incidents[p] for p in result.incidents)
            print(f"  seed {seed}: {events:,} events reviewed in {seconds:.1f} s; explained "
                  f"share of legitimate events {share:.4f}; lowest recall {recall:.2f}; "
                  f"precision at 50 {p50:.2f} ({result.top_true}/{result.top})")
    print()
    print(f"{'pattern':<22}{'incidents':>10}{'detected':>10}{'recall':>8}{'cases':>8}"
          f"{'true':>7}{'precision':>11}")
    worst_recall = 1.0
    for pattern in AccessPattern:
        name = pattern.value
        incidents, detected = total.incidents[name], total.detected[name]
        cases, true = total.cases[name], total.true_cases[name]
        recall = detected / incidents if incidents else 0.0
        precision = true / cases if cases else 0.0
        worst_recall = min(worst_recall, recall)
        print(f"{name:<22}{incidents:>10}{detected:>10}{recall:>8.2f}{cases:>8}{true:>7}"
              f"{precision:>11.2f}")
    share = total.legit_explained / total.legit_events
    all_cases = sum(total.cases.values())
    all_true = sum(total.true_cases.values())
    print(f"{'all':<22}{sum(total.incidents.values()):>10}{sum(total.detected.values()):>10}"
          f"{sum(total.detected.values()) / sum(total.incidents.values()):>8.2f}{all_cases:>8}"
          f"{all_true:>7}{all_true / all_cases:>11.2f}")
    print()
    mean_p50 = sum(p_at_50) / len(p_at_50)
    print(f"explained share of legitimate events: {share:.4f} "
          f"(target >= {TARGET_SHARE}) {'met' if share >= TARGET_SHARE else 'MISSED'}")
    print(f"lowest recall of any pattern: {worst_recall:.2f} "
          f"(target >= {TARGET_RECALL}) {'met' if worst_recall >= TARGET_RECALL else 'MISSED'}")
    print(f"precision at 50: mean {mean_p50:.2f}, lowest {min(p_at_50):.2f} "
          f"(target >= {TARGET_P_AT_50}) {'met' if min(p_at_50) >= TARGET_P_AT_50 else 'MISSED'}")


if __name__ == "__main__":
    main()
