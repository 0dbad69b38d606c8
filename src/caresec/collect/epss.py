"""Read FIRST EPSS scores (Exploit Prediction Scoring System) from the daily CSV.

Source format: the daily file ``epss_scores-YYYY-MM-DD.csv.gz`` (also published as
``epss_scores-current.csv.gz``): an optional first line
``#model_version:v2025.03.14,score_date:2025-03-14T00:00:00+0000``, a header
``cve,epss,percentile``, then one row per CVE with the probability of exploitation activity in
the next 30 days and its percentile, both in [0, 1]. Plain ``.csv`` and gzip (``.csv.gz``,
detected by its magic bytes) are read.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from pathlib import Path

from caresec.errors import InputError
from caresec.model import EpssScore, InputProblem, ProblemSeverity

__all__ = ["MAX_EPSS_BYTES", "read_epss"]

MAX_EPSS_BYTES = 1024 * 1024 * 1024
"""Largest uncompressed EPSS CSV read (bytes); the 2025 file is about 10 MB."""

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")
_GZIP_MAGIC = b"\x1f\x8b"


def read_epss(
    path: Path, *, display: str | None = None
) -> tuple[dict[str, EpssScore], list[InputProblem]]:
    """Read an EPSS CSV (plain or gzip).

    Args:
        path: the ``.csv`` or ``.csv.gz`` file.
        display: how to name the file in problems (defaults to ``str(path)``).

    Returns:
        Scores keyed by CVE id, and a problem (collector ``epss``, place ``line N``) for each
        row skipped because its CVE id or numbers are malformed (probabilities outside [0, 1]
        included).

    Raises:
        InputError: the file cannot be read or decompressed, is over :data:`MAX_EPSS_BYTES`
            uncompressed, is not UTF-8, or lacks the ``cve,epss,percentile`` header.
    """
    shown = display if display is not None else str(path)
    text = _read_text(path, shown)
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        start += 1
    if start >= len(lines):
        raise InputError(shown, "", "no 'cve,epss,percentile' header")
    reader = csv.reader(lines[start:])
    header = [cell.strip().lower() for cell in next(reader)]
    try:
        cve_at = header.index("cve")
        epss_at = header.index("epss")
        pct_at = header.index("percentile")
    except ValueError as exc:
        raise InputError(shown, f"line {start + 1}",
                         f"header {','.join(header)!r} lacks cve, epss and percentile") from exc
    scores: dict[str, EpssScore] = {}
    problems: list[InputProblem] = []
    width = max(cve_at, epss_at, pct_at)
    for offset, row in enumerate(reader, start + 2):
        if not row:
            continue
        try:
            if len(row) <= width:
                raise ValueError(f"{len(row)} columns, expected {len(header)}")
            cve = row[cve_at].strip()
            if not _CVE.fullmatch(cve):
                raise ValueError(f"{cve!r} is not a CVE id")
            epss, percentile = float(row[epss_at]), float(row[pct_at])
            if not (0.0 <= epss <= 1.0 and 0.0 <= percentile <= 1.0):
                raise ValueError("epss and percentile must lie in [0, 1]")
        except ValueError as exc:
            problems.append(InputProblem(file=shown, place=f"line {offset}", message=str(exc),
                                         severity=ProblemSeverity.ERROR, collector="epss"))
            continue
        scores[cve] = EpssScore(cve_id=cve, epss=epss, percentile=percentile)
    return scores, problems


def _read_text(path: Path, shown: str) -> str:
    try:
        with path.open("rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream: io.BufferedIOBase | gzip.GzipFile = (
                gzip.GzipFile(fileobj=raw) if magic == _GZIP_MAGIC else raw
            )
            data = stream.read(MAX_EPSS_BYTES + 1)
    except OSError as exc:
        if isinstance(exc, gzip.BadGzipFile):
            raise InputError(shown, "", f"not a readable gzip file: {exc}") from exc
        raise InputError(shown, "", f"cannot be read: {exc.strerror or exc}") from exc
    except (EOFError, zlib.error) as exc:
        raise InputError(shown, "", f"not a readable gzip file: {exc}") from exc
    if len(data) > MAX_EPSS_BYTES:
        raise InputError(shown, "", f"over {MAX_EPSS_BYTES} bytes uncompressed")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(shown, f"byte {exc.start}", "not valid UTF-8") from exc
