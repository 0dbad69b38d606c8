"""Counted input problems: every bad row is counted; the first few of each kind are named one by
one (file and row), the rest summarized in one problem with their count, so that a log with a
million bad rows still gives a readable report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from caresec.model.problems import InputProblem, ProblemSeverity

COLLECTOR = "access"
NAMED_PER_KIND = 20


class ProblemLog:
    """Collects :class:`InputProblem` records for one ingestion run.

    Args:
        limit: how many problems of one kind in one file are named one by one.
    """

    def __init__(self, limit: int = NAMED_PER_KIND) -> None:
        self._limit = limit
        self._named: list[InputProblem] = []
        self._counts: Counter[tuple[str, str, ProblemSeverity]] = Counter()

    def add(self, file: str, place: str, message: str, *,
            severity: ProblemSeverity = ProblemSeverity.ERROR, kind: str = "") -> None:
        """Record one problem; ``kind`` groups problems for the per-file cap."""
        key = (file, kind or message, severity)
        self._counts[key] += 1
        if self._counts[key] <= self._limit:
            self._named.append(InputProblem(file=file, place=place, message=message,
                                            severity=severity, collector=COLLECTOR))

    def rows(self, file: str, rows: Iterable[int], message: str, *,
             severity: ProblemSeverity = ProblemSeverity.ERROR, kind: str = "") -> None:
        """Record the same problem for several rows (``row N`` each)."""
        for row in rows:
            self.add(file, f"row {row}", message, severity=severity, kind=kind or message)

    def extend(self, problems: Iterable[InputProblem]) -> None:
        """Add problems found elsewhere (kept as they are)."""
        self._named.extend(problems)

    def problems(self) -> list[InputProblem]:
        """Every named problem, then one summary per kind whose count passed the cap."""
        out = list(self._named)
        for (file, kind, severity), count in self._counts.items():
            if count > self._limit:
                out.append(InputProblem(
                    file=file, place="",
                    message=f"{count - self._limit} more row(s) like the above: {kind} "
                            f"({count} in all)",
                    severity=severity, collector=COLLECTOR))
        return out

    def count(self) -> int:
        """Problems counted so far (named or not)."""
        return sum(self._counts.values()) + len(self._named) - sum(
            min(c, self._limit) for c in self._counts.values())
