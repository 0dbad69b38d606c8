"""Measure caresec's model scanner against picklescan, fickling and modelscan on the same files.

Corpus: ``../shared/data/models`` (public scanner test fixtures; labels in ``LABELS.csv``, see
its PROVENANCE.md). Every file is checked against the SHA-256 recorded in LABELS.csv first.
Nothing is ever loaded: every scanner here is static.

Each public scanner is run the way a user runs it on a whole file:

* picklescan: ``picklescan.scanner.scan_file_path`` — "flagged" when it reports a dangerous
  import (``issues_count > 0``); ``scan_err`` is counted as an error (not a block).
* fickling: ``fickling.scan_zip_archive`` for ZIPs, else ``fickling.scan_file`` (graceful) —
  "flagged" when its own ``is_safe`` is False (severity above LIKELY_SAFE); errors are listed.
* modelscan (optional extra): ``modelscan.modelscan.ModelScan().scan`` — "flagged" when it
  reports an issue; "nothing scanned" or errors are not a block.

caresec is run twice: alone (``external=False``) and as shipped (the public scanners can only
add blocks). Rates: detection = blocked malicious / malicious; false-block = blocked benign /
benign. Files labelled ``not-a-pickle/broken`` are neither; the table shows how many each tool
blocked.

Usage: python benchmarks/model_scan_eval.py [--data PATH] [--per-file]
(run it with an interpreter that also has ``caresec[modelscan]`` to fill the modelscan column).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import logging
import os
import sys
import zipfile
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from importlib import metadata
from pathlib import Path

from caresec.analyze.modelscan import ScanPolicy, scan_model_bytes

DEFAULT_DATA = Path(os.environ.get(
    "CARESEC_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
)) / "models"

Verdict = str  # "block", "pass", "error", "n/a"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


def run_picklescan(path: Path) -> Verdict:
    from picklescan.scanner import scan_file_path

    result = scan_file_path(str(path))
    if result.issues_count:
        return "block"
    return "error" if result.scan_err else "pass"


def run_fickling(path: Path) -> Verdict:
    import fickling

    if zipfile.is_zipfile(path):
        results = fickling.scan_zip_archive(str(path), graceful=True)
        if not results:
            return "pass"
        if any(not r.is_safe for r in results.values()):
            return "block"
        return "error" if any(r.errors for r in results.values()) else "pass"
    result = fickling.scan_file(str(path), graceful=True)
    if not result.is_safe:
        return "block"
    return "error" if result.errors else "pass"


def run_modelscan(path: Path) -> Verdict:
    from modelscan.modelscan import ModelScan

    report = ModelScan().scan(str(path))
    if report.get("issues"):
        return "block"
    if report.get("errors"):
        return "error"
    if not report["summary"]["scanned"]["total_scanned"]:
        return "n/a"
    return "pass"


def run_caresec(external: bool) -> Callable[[Path], Verdict]:
    policy = ScanPolicy(external=external)

    def scan(path: Path) -> Verdict:
        verdict = scan_model_bytes(path.read_bytes(), name=str(path), policy=policy)
        return "block" if verdict.blocked else "pass"

    return scan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--per-file", action="store_true", help="print every file's verdicts")
    args = parser.parse_args()
    labels = args.data / "LABELS.csv"
    if not labels.is_file():
        print(f"corpus not found: {labels}", file=sys.stderr)
        return 2
    rows = list(csv.DictReader(labels.open(encoding="utf-8")))
    for row in rows:
        digest = hashlib.sha256((args.data / row["path"]).read_bytes()).hexdigest()
        if digest != row["sha256"]:
            print(f"{row['path']}: SHA-256 differs from LABELS.csv", file=sys.stderr)
            return 2

    from caresec import __version__

    tools: list[tuple[str, Callable[[Path], Verdict] | None]] = [
        (f"caresec {__version__} (as shipped)", run_caresec(True)),
        (f"caresec {__version__} (own analysis only)", run_caresec(False)),
        (f"picklescan {_version('picklescan')}", run_picklescan if _version("picklescan")
         else None),
        (f"fickling {_version('fickling')}", run_fickling if _version("fickling") else None),
        (f"modelscan {_version('modelscan') or '(not installed)'}",
         run_modelscan if _version("modelscan") else None),
    ]
    logging.disable(logging.CRITICAL)
    verdicts: dict[str, list[Verdict]] = {}
    for name, tool in tools:
        column: list[Verdict] = []
        for row in rows:
            if tool is None:
                column.append("-")
                continue
            sink = io.StringIO()
            try:
                with redirect_stdout(sink), redirect_stderr(sink):
                    column.append(tool(args.data / row["path"]))
            except Exception:
                column.append("error")
        verdicts[name] = column

    label = [row["label_from_upstream_tests"] for row in rows]
    n_mal = label.count("malicious")
    n_ben = label.count("benign")
    n_brk = len(label) - n_mal - n_ben
    print(f"Corpus: {args.data} — {len(rows)} files: {n_mal} malicious, {n_ben} benign, "
          f"{n_brk} not-a-pickle/broken\n")
    print("| Scanner | Malicious blocked (detection) | Benign blocked (false-block) "
          "| Broken blocked | Errors (not blocked) |")
    print("|---|---|---|---|---|")
    for name, column in verdicts.items():
        if all(v == "-" for v in column):
            print(f"| {name} | – | – | – | – |")
            continue

        def count(kind: str, verdict: Verdict, column: list[Verdict] = column) -> int:
            return sum(1 for lab, v in zip(label, column, strict=True)
                       if (lab == kind or (kind == "broken" and lab not in ("malicious",
                                                                             "benign")))
                       and v == verdict)

        mal, ben, brk = count("malicious", "block"), count("benign", "block"), count(
            "broken", "block")
        errors = sum(1 for v in column if v == "error")
        print(f"| {name} | {mal}/{n_mal} ({100 * mal / n_mal:.1f}%) | {ben}/{n_ben} "
              f"({100 * ben / n_ben:.1f}%) | {brk}/{n_brk} | {errors} |")
    missed = [row["path"] for row, v, lab in zip(rows, verdicts[tools[0][0]], label, strict=True)
              if lab == "malicious" and v != "block"]
    false_blocks = [row["path"] for row, v, lab in zip(rows, verdicts[tools[0][0]], label,
                                                       strict=True)
                    if lab == "benign" and v == "block"]
    print(f"\ncaresec (as shipped) missed: {', '.join(missed) or 'none'}")
    print(f"caresec (as shipped) false blocks: {', '.join(false_blocks) or 'none'}")
    if args.per_file:
        print("\n| File | Label | " + " | ".join(name for name, _ in tools) + " |")
        print("|---|---|" + "---|" * len(tools))
        for index, row in enumerate(rows):
            cells = " | ".join(verdicts[name][index] for name, _ in tools)
            print(f"| {row['path']} | {label[index]} | {cells} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
