"""Tables (CSV, TSV, XLSX sheets, database tables): route each column by its schema.

Each column is judged once, from its header (:func:`caresec.collect.phi.hints.hint_for`) or,
when the header says nothing, from a sample of its first values:

* **typed**: the header names an identifier (``ssn``, ``dob``, ``patient_name``), or most
  sampled values are wholly one identifier type → every non-empty value counts as that type
  (names also become seeds for the narrative columns of the same table);
* **narrative**: the header says notes/comments, or most sampled values read as prose → the full
  detector (patterns, names, places, dates; seeded with the table's names);
* **scan**: anything else (codes, ids, free short text) → the pattern recognizers only,
  run once over the column's values joined by newlines, so that regexes work at C speed.

Dates found by content in a table with no person-keying column (no name, MRN, SSN …) are not
counted: HIPAA's identifier is a date *related to an individual* (45 CFR 164.514(b)(2)(i)(C)).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from caresec.collect.phi.accumulate import Tally
from caresec.collect.phi.hints import NARRATIVE, Hint, hint_for
from caresec.model.phi import PhiType, Span
from caresec.phi.engine import PhiDetector, resolve
from caresec.phi.lexicon import lexicon
from caresec.phi.routing import is_narrative

SAMPLE_VALUES = 200
TYPED_SHARE = 0.6
MAX_SEEDS = 50_000
_GENERIC_CONTENT_DATE = "content-date"


@dataclass(slots=True)
class _Column:
    name: str
    tally: Tally
    mode: str = ""  # typed | narrative | scan
    phi_type: PhiType | None = None
    from_header: bool = False
    sample: list[tuple[int, str]] = field(default_factory=list)


class TableScanner:
    """Scans one table fed in batches of rows.

    Args:
        detector: the detector.
        key: the pseudonym key.
        location: the table's location (``path``, ``path!sheet``, ``db:…#table``); a column's
            location is ``location#column``.
        fmt: format name for the inventory (``csv``, ``xlsx``, ``db``).
        header: column names.
        seeds: a shared set that collects names for structure-seeded detection.
    """

    def __init__(self, detector: PhiDetector, key: bytes, location: str, fmt: str,
                 header: Sequence[str], seeds: set[str]) -> None:
        self.detector = detector
        self.seeds = seeds
        self.columns = [
            _Column(name or f"column {i + 1}",
                    Tally(f"{location}#{name or f'column {i + 1}'}", "column", fmt, key))
            for i, name in enumerate(header)
        ]
        for column in self.columns:
            hint = hint_for(column.name)
            if hint is not None:
                self._set_mode(column, hint, from_header=True)
        self.rows = 0
        self._pending: list[tuple[int, Sequence[str]]] = []

    @staticmethod
    def _set_mode(column: _Column, hint: Hint, *, from_header: bool) -> None:
        column.from_header = from_header
        if hint == NARRATIVE:
            column.mode = "narrative"
        elif isinstance(hint, PhiType):
            column.mode = "typed"
            column.phi_type = hint

    def feed(self, rows: Sequence[Sequence[str]], first_row: int) -> None:
        """Scan a batch of rows; ``first_row`` is the number of the first (for places)."""
        self.rows += len(rows)
        undecided = [c for c in self.columns if not c.mode]
        if undecided and len(self._pending) < SAMPLE_VALUES:
            self._pending.extend((first_row + i, row) for i, row in enumerate(rows))
            if len(self._pending) < SAMPLE_VALUES:
                return
            rows_now = self._pending
            self._pending = []
            self._decide([r for _, r in rows_now])
            self._scan(rows_now)
            return
        self._scan([(first_row + i, row) for i, row in enumerate(rows)])

    def finish(self) -> list[Tally]:
        """Scan what is left and return the columns' tallies (empty ones included)."""
        if self._pending:
            rows_now = self._pending
            self._pending = []
            self._decide([r for _, r in rows_now])
            self._scan(rows_now)
        keyed = any(c.tally.counts.get(t) for c in self.columns for t in PhiType if t.keys_person)
        for column in self.columns:
            column.tally.records = self.rows
            if column.mode == _GENERIC_CONTENT_DATE and not keyed:
                column.tally.counts.clear()
        return [c.tally for c in self.columns]

    # -- deciding -------------------------------------------------------------------------
    def _decide(self, rows: Sequence[Sequence[str]]) -> None:
        for index, column in enumerate(self.columns):
            if column.mode:
                continue
            values = [row[index].strip() for row in rows
                      if index < len(row) and row[index] and row[index].strip()]
            column.mode = "scan"
            if not values:
                continue
            if self._names_by_content(values):
                self._set_mode(column, PhiType.NAME, from_header=False)
                continue
            narrative = sum(1 for v in values if len(v) > 24 and is_narrative(v))
            if narrative * 2 >= len(values):
                column.mode = "narrative"
                continue
            kinds: dict[PhiType, int] = {}
            joined = "\n".join(values)
            starts = list(itertools.accumulate((len(v) + 1 for v in values[:-1]), initial=0))
            covered: dict[int, list[Span]] = {}
            for span in resolve(self.detector.patterns(joined, context=column.name), joined):
                covered.setdefault(bisect.bisect_right(starts, span.start) - 1, []).append(span)
            for i, spans in covered.items():
                if len(spans) == 1 and (spans[0].end - spans[0].start) >= 0.8 * len(values[i]):
                    kinds[spans[0].type] = kinds.get(spans[0].type, 0) + 1
            if kinds:
                best, count = max(kinds.items(), key=lambda kv: kv[1])
                if count >= TYPED_SHARE * len(values):
                    column.mode = "typed"
                    column.phi_type = best
                    if best is PhiType.DATE:
                        column.mode = _GENERIC_CONTENT_DATE

    @staticmethod
    def _names_by_content(values: Sequence[str]) -> bool:
        lex = lexicon()
        hits = 0
        for value in values:
            words = value.replace(",", " ").split()
            if 1 <= len(words) <= 4 and all(w.replace("-", "").replace("'", "").replace(".", "")
                                            .isalpha() for w in words) \
                    and any(lex.is_name(w.lower()) for w in words if len(w) > 1):
                hits += 1
        return hits >= TYPED_SHARE * len(values) and len(values) >= 3

    # -- scanning -------------------------------------------------------------------------
    def _scan(self, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        width = len(self.columns)
        numbers = [n for n, _ in rows]
        grid = list(itertools.zip_longest(*[r[:width] for _, r in rows], fillvalue=""))
        # name columns first, so that their values seed the narrative columns
        order = sorted(range(min(width, len(grid))),
                       key=lambda i: self.columns[i].phi_type is not PhiType.NAME)
        for index in order:
            column = self.columns[index]
            values = grid[index]
            keep = [i for i, v in enumerate(values) if v and not v.isspace()]
            if not keep:
                continue
            cells = [values[i].strip() for i in keep]
            rows_of = [numbers[i] for i in keep]
            if column.mode in ("typed", _GENERIC_CONTENT_DATE):
                self._typed(column, cells, rows_of)
            else:
                self._text(column, cells, rows_of, narrative=column.mode == "narrative")

    def _typed(self, column: _Column, cells: list[str], rows_of: list[int]) -> None:
        kind = column.phi_type
        assert kind is not None
        if kind is PhiType.AGE:
            old = [(v, n) for v, n in zip(cells, rows_of, strict=True)
                   if v.split()[0].isdigit() and int(v.split()[0]) > 89]
            cells, rows_of = [v for v, _ in old], [n for _, n in old]
        if kind is PhiType.NAME and len(self.seeds) < MAX_SEEDS:
            self.seeds.update(v for v in cells if len(v) > 1)
        detector = "column" if column.from_header else "column-content"
        column.tally.add_values(kind, cells, [f"row {n}" for n in rows_of[:3]], detector)

    def _text(self, column: _Column, cells: list[str], rows_of: list[int], *,
              narrative: bool) -> None:
        starts: list[int] = []
        pos = 0
        for value in cells:
            starts.append(pos)
            pos += len(value) + 2
        text = "\n\n".join(cells)
        if narrative:
            spans = self.detector.detect(text, context=column.name, seeds=self.seeds)
        else:
            spans = resolve(self.detector.patterns(text, context=column.name), text)
        for span in spans:
            row = rows_of[bisect.bisect_right(starts, span.start) - 1]
            column.tally.add(span.type, text[span.start:span.end], f"row {row}", span.detector)
