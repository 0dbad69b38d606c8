"""Measure a detector against a gold standard: the PhysioNet deid corpus format and scoring.

Corpus format (PhysioNet *deid* 1.1, Neamatullah et al. 2008): ``id.text`` holds records
``START_OF_RECORD=<patient>||||<note>||||`` + newline + body + ``||||END_OF_RECORD``;
``id-phi.phrase`` holds one gold span per line, ``<patient> <note> <start> <end> <type>
<phrase>``, with offsets into the body (end exclusive).

Scoring follows the deid README: a gold span is *found* when a detected span overlaps it
(recall = found / gold); a detected span is *correct* when it overlaps a gold span
(precision = correct / detected). Exact figures count identical boundaries only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

_RECORD = re.compile(
    r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n?(.*?)\|\|\|\|END_OF_RECORD", re.DOTALL)

NoteKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class GoldSpan:
    """One gold PHI span: offsets into the note body and the corpus's type name."""

    start: int
    end: int
    type: str


def read_notes(text: str) -> dict[NoteKey, str]:
    """``(patient, note)`` → note body, from the content of ``id.text``."""
    return {(int(m[1]), int(m[2])): m[3] for m in _RECORD.finditer(text)}


def read_gold(text: str) -> dict[NoteKey, list[GoldSpan]]:
    """``(patient, note)`` → gold spans, from the content of ``id-phi.phrase``.

    Raises:
        ValueError: a line does not have the six fields (its number is named).
    """
    gold: dict[NoteKey, list[GoldSpan]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(" ", 5)
        if len(parts) < 5:
            raise ValueError(f"id-phi.phrase line {number}: expected 6 fields, got {len(parts)}")
        key = (int(parts[0]), int(parts[1]))
        gold.setdefault(key, []).append(GoldSpan(int(parts[2]), int(parts[3]), parts[4]))
    return gold


@dataclass(slots=True)
class Score:
    """Counts for one detector over a corpus.

    Attributes:
        gold, found, exact_found: gold spans; those overlapped; those matched exactly.
        detected, correct, exact_correct: detected spans; those overlapping gold; exact ones.
        gold_by_type, found_by_type: per gold type.
        seconds, chars: time spent detecting and characters read.
    """

    gold: int = 0
    found: int = 0
    exact_found: int = 0
    detected: int = 0
    correct: int = 0
    exact_correct: int = 0
    gold_by_type: Counter[str] = field(default_factory=Counter)
    found_by_type: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    chars: int = 0

    @property
    def recall(self) -> float:
        """found / gold."""
        return self.found / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        """correct / detected."""
        return self.correct / self.detected if self.detected else 0.0

    @property
    def exact_recall(self) -> float:
        """exactly matched gold / gold."""
        return self.exact_found / self.gold if self.gold else 0.0

    @property
    def exact_precision(self) -> float:
        """exactly matching detections / detected."""
        return self.exact_correct / self.detected if self.detected else 0.0


def score_corpus(
    notes: Mapping[NoteKey, str],
    gold: Mapping[NoteKey, list[GoldSpan]],
    spans_of: Callable[[str], Iterable[tuple[int, int]]],
) -> Score:
    """Run ``spans_of`` on every note and score its ``(start, end)`` spans against ``gold``."""
    import time

    score = Score()
    for key, body in notes.items():
        began = time.perf_counter()
        detected = sorted(set(spans_of(body)))
        score.seconds += time.perf_counter() - began
        score.chars += len(body)
        truth = gold.get(key, [])
        exact = {(g.start, g.end) for g in truth}
        for g in truth:
            score.gold += 1
            score.gold_by_type[g.type] += 1
            if any(s < g.end and g.start < e for s, e in detected):
                score.found += 1
                score.found_by_type[g.type] += 1
            if (g.start, g.end) in set(detected):
                score.exact_found += 1
        for s, e in detected:
            score.detected += 1
            if any(s < g.end and g.start < e for g in truth):
                score.correct += 1
            if (s, e) in exact:
                score.exact_correct += 1
    return score
