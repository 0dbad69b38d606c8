"""Tables (CSV, TSV, XLSX sheets, database tables): route each column by its schema.

Each column is judged once, from its header (:func:`caresec.collect.phi.hints.column_hint`) or,
when the header says nothing, from a sample of its first values:

* **typed**: the header names an identifier (``ssn``, ``dob``, ``patient_name``), or most
  sampled values are wholly one identifier type → every non-empty value counts as that type
  (names also become seeds for the narrative columns of the same table);
* **narrative**: the header says notes/comments, or most sampled values read as prose → the full
  detector (patterns, names, places, dates; seeded with the table's names);
* **scan**: anything else (codes, ids, free short text) → the pattern recognizers only,
  run once over the column's values joined by newlines, so that regexes work at C speed.

A column routed by content whose sample repeats a few short labels over many rows (race,
gender, state, specialty: **categorical**) never holds names or places; a column of money
amounts or decimal numbers never holds phone or fax numbers, and no such cell is one. A name
column's values are counted without digits glued to their words (:func:`name_value`).

Dates found by content in a table with no person-keying column (no name, MRN, SSN …) are not
counted: HIPAA's identifier is a date *related to an individual* (45 CFR 164.514(b)(2)(i)(C)).

Columns are read a batch of rows at a time (:class:`ColumnBatch`: Python lists, or Arrow arrays
for CSV files read with pyarrow). Within a batch each distinct value is looked at once
(:class:`Distinct`): a typed column's person-keying values are hashed once each, and the
detector runs once per distinct text of a narrative or scan column, its findings counted as
many times as the text occurs. Counts are the same as cell by cell; examples are the first
distinct values (with the row where each first occurs).
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from caresec.collect.phi.accumulate import EXAMPLES_PER_TYPE, Tally
from caresec.collect.phi.hints import NARRATIVE, Hint, column_hint
from caresec.model.phi import PhiType, Span
from caresec.phi.engine import PhiDetector, resolve
from caresec.phi.lexicon import lexicon
from caresec.phi.routing import is_narrative

SAMPLE_VALUES = 200
TYPED_SHARE = 0.6
MAX_SEEDS = 50_000
#: A column is categorical (race, gender, state, specialty …) when its sample holds at least
#: this many values, each distinct value recurring this many times on average.
CATEGORICAL_MIN_VALUES = 10
CATEGORICAL_REPEATS = 5
_GENERIC_CONTENT_DATE = "content-date"
#: Names and places a categorical column cannot hold unless its header says so.
_NOT_CATEGORICAL = frozenset({PhiType.NAME, PhiType.LOCATION})
_NOT_AMOUNTS = frozenset({PhiType.PHONE, PhiType.FAX})
#: The only types a cell that is a money amount or decimal number may hold.
_IN_AMOUNTS = frozenset({PhiType.DATE, PhiType.AGE})
#: A money amount or decimal number (``227761.06``, ``$1,200``, ``-71.151685``): never a phone.
_AMOUNT = re.compile(r"[-+]?[$€£]?\s?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+|[-+]?[$€£]\s?\d[\d,]*"
                     r"(?:\.\d+)?")
#: An RFC 9562 (formerly 4122) UUID in its hex-and-dash form: a record key, not a pattern
#: identifier (an account or licence number found inside it is a false match).
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: Digits glued to the end of a word of a name (synthetic data: ``Maynard46``).
_NAME_DIGITS = re.compile(r"(?<=[^\W\d_])\d+\b")


def name_value(value: str) -> str:
    """A name column's cell as a name: digits glued to the end of its words dropped
    (``Maynard46 Mosciski958`` → ``Maynard Mosciski``, as Synthea writes names); ``""`` when
    nothing but digits is left, or for a UUID (a record key, not a name)."""
    if _UUID.fullmatch(value.strip()):
        return ""  # a record key in a column headed "patient" or "provider"
    name = " ".join(_NAME_DIGITS.sub("", value).split())
    return "" if not any(ch.isalpha() for ch in name) else name


def is_amount(value: str) -> bool:
    """True for a money amount or a decimal number (:data:`_AMOUNT`), which is never a
    telephone, fax, account or other identifier number."""
    return _AMOUNT.fullmatch(value.strip()) is not None


@dataclass(slots=True)
class Distinct:
    """The non-empty values of one column in a batch of rows (surrounding white space
    stripped), each once in order of first appearance, with ``counts[i]`` occurrences of
    ``values[i]``, first in row ``rows[i]``."""

    values: list[str]
    counts: list[int]
    rows: list[int]


class ColumnBatch(Protocol):
    """One column's cells in a batch of rows."""

    def sample(self, n: int) -> list[str]:
        """The first ``n`` cells as they are (empty ones included)."""
        ...

    def nonempty(self) -> int:
        """How many cells hold more than white space."""
        ...

    def first(self, n: int) -> tuple[list[str], list[int]]:
        """The first ``n`` non-empty cells (stripped) and their row numbers."""
        ...

    def distinct(self) -> Distinct:
        """The column's :class:`Distinct` values."""
        ...

    def keyed(self, n: int) -> tuple[int, list[str], list[int], Any]:
        """For a typed column of a person-keying type: the number of non-empty cells, the
        first ``n`` distinct values with the rows where they first occur, and all distinct
        values in a form :func:`~caresec.collect.phi.accumulate.sketch_hashes` takes."""
        ...


class ListColumn:
    """A :class:`ColumnBatch` over Python strings: ``cells[i]`` is in row ``rows[i]``."""

    __slots__ = ("cells", "rows")

    def __init__(self, cells: Sequence[str], rows: Sequence[int]) -> None:
        self.cells = cells
        self.rows = rows

    def sample(self, n: int) -> list[str]:
        """See :class:`ColumnBatch`."""
        return list(self.cells[:n])

    def nonempty(self) -> int:
        """See :class:`ColumnBatch`."""
        return sum(1 for v in self.cells if v and not v.isspace())

    def first(self, n: int) -> tuple[list[str], list[int]]:
        """See :class:`ColumnBatch`."""
        values: list[str] = []
        rows: list[int] = []
        for value, row in zip(self.cells, self.rows, strict=False):
            if value and not value.isspace():
                values.append(value.strip())
                rows.append(row)
                if len(values) >= n:
                    break
        return values, rows

    def keyed(self, n: int) -> tuple[int, list[str], list[int], Any]:
        """See :class:`ColumnBatch`."""
        found = self.distinct()
        return sum(found.counts), found.values[:n], found.rows[:n], found.values

    def distinct(self) -> Distinct:
        """See :class:`ColumnBatch`."""
        index: dict[str, int] = {}
        out = Distinct([], [], [])
        for value, row in zip(self.cells, self.rows, strict=False):
            if not value or value.isspace():
                continue
            value = value.strip()
            i = index.get(value)
            if i is None:
                index[value] = len(out.values)
                out.values.append(value)
                out.counts.append(1)
                out.rows.append(row)
            else:
                out.counts[i] += 1
        return out


def drop_unkeyed_dates(tallies: Sequence[Tally]) -> None:
    """Clear the counts of the columns found to hold dates by content alone
    (``needs_person``) when no column of the table holds a person-keying identifier: such dates
    are not related to an individual (45 CFR 164.514(b)(2)(i)(C))."""
    keyed = any(t.counts.get(k) for t in tallies for k in PhiType if k.keys_person)
    if not keyed:
        for tally in tallies:
            if tally.needs_person:
                tally.counts.clear()


@dataclass(slots=True)
class _Column:
    name: str
    tally: Tally
    mode: str = ""  # typed | narrative | scan
    phi_type: PhiType | None = None
    from_header: bool = False
    sample: list[tuple[int, str]] = field(default_factory=list)
    #: identifier types the column's content rules out (its header said nothing)
    excluded: frozenset[PhiType] = frozenset()


class TableScanner:
    """Scans one table fed in batches of rows (:meth:`feed`) or of columns
    (:meth:`feed_columns`).

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
            hint = column_hint(column.name)
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

    def feed_columns(self, columns: Sequence[ColumnBatch], rows: int) -> None:
        """Scan a batch of ``rows`` rows given column by column (``columns[i]`` is the i-th
        column of the header; missing ones are empty)."""
        self.rows += rows
        if any(not c.mode for c in self.columns):
            samples = [c.sample(SAMPLE_VALUES) for c in columns]
            sample_rows = [r for _, r in self._pending]
            sample_rows += [list(r) for r in itertools.zip_longest(*samples, fillvalue="")]
            self._decide(sample_rows)
        if self._pending:
            rows_now = self._pending
            self._pending = []
            self._scan(rows_now)
        self._scan_columns(columns)

    def decide(self, rows: Sequence[Sequence[str]]) -> None:
        """Route the columns the header says nothing about by these sample rows (instead of
        the first rows fed): every part of a table read in parts is routed alike."""
        self._decide(rows)

    def finish(self, *, drop_dates: bool = True) -> list[Tally]:
        """Scan what is left and return the columns' tallies (empty ones included), their
        keyed hashes flushed into the sketches; with ``drop_dates``, :func:`drop_unkeyed_dates`
        is applied (a table read in parts applies it once its parts are merged)."""
        if self._pending:
            rows_now = self._pending
            self._pending = []
            self._decide([r for _, r in rows_now])
            self._scan(rows_now)
        for column in self.columns:
            column.tally.records = self.rows
            column.tally.flush()
            column.tally.needs_person = column.mode == _GENERIC_CONTENT_DATE
        tallies = [c.tally for c in self.columns]
        if drop_dates:
            drop_unkeyed_dates(tallies)
        return tallies

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
            excluded: set[PhiType] = set()
            if self._categorical(values):
                excluded |= _NOT_CATEGORICAL
            if sum(1 for v in values if is_amount(v)) >= TYPED_SHARE * len(values):
                excluded |= _NOT_AMOUNTS
            column.excluded = frozenset(excluded)
            if PhiType.NAME not in excluded and self._names_by_content(values):
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
                if len(spans) == 1 and (spans[0].end - spans[0].start) >= 0.8 * len(values[i]) \
                        and self._allowed(column, spans[0].type, values[i]):
                    kinds[spans[0].type] = kinds.get(spans[0].type, 0) + 1
            if kinds:
                best, count = max(kinds.items(), key=lambda kv: kv[1])
                if count >= TYPED_SHARE * len(values):
                    column.mode = "typed"
                    column.phi_type = best
                    if best is PhiType.DATE:
                        column.mode = _GENERIC_CONTENT_DATE

    @staticmethod
    def _categorical(values: Sequence[str]) -> bool:
        """A sample of few short labels, each repeated across many rows (race, gender, state,
        marital status, specialty): categories, not names or places of persons."""
        distinct = set(values)
        return (len(values) >= CATEGORICAL_MIN_VALUES
                and len(distinct) * CATEGORICAL_REPEATS <= len(values)
                and all(len(v.split()) <= 4 for v in distinct))

    @staticmethod
    def _allowed(column: _Column, kind: PhiType, cell: str) -> bool:
        """Whether a span of ``kind`` found in ``cell`` of a column routed by content counts:
        not a type the column's content rules out, not inside a UUID, not an identifier
        number (phone, account …) that is a money amount or a decimal number."""
        if kind in column.excluded or _UUID.fullmatch(cell.strip()):
            return False
        return kind in _IN_AMOUNTS or not is_amount(cell)

    @staticmethod
    def _names_by_content(values: Sequence[str]) -> bool:
        lex = lexicon()
        hits = 0
        for value in values:
            words = name_value(value).replace(",", " ").split()
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
        self._scan_columns([ListColumn(values, numbers) for values in grid])

    def _scan_columns(self, columns: Sequence[ColumnBatch]) -> None:
        # name columns first, so that their values seed the narrative columns
        order = sorted(range(min(len(self.columns), len(columns))),
                       key=lambda i: self.columns[i].phi_type is not PhiType.NAME)
        for index in order:
            column = self.columns[index]
            if column.mode in ("typed", _GENERIC_CONTENT_DATE):
                self._typed(column, columns[index])
            else:
                self._text(column, columns[index].distinct(),
                           narrative=column.mode == "narrative")

    def _typed(self, column: _Column, cells: ColumnBatch) -> None:
        kind = column.phi_type
        assert kind is not None
        detector = "column" if column.from_header else "column-content"
        if not kind.keys_person and kind is not PhiType.AGE:
            count = cells.nonempty()
            if count:
                column.tally.add_count(kind, count)
                values, rows = cells.first(EXAMPLES_PER_TYPE)
                column.tally.add_examples(kind, values, [f"row {n}" for n in rows], detector)
            return
        if kind is not PhiType.NAME and kind is not PhiType.AGE:
            total, values, rows, every = cells.keyed(EXAMPLES_PER_TYPE)
            if total:
                column.tally.add_values(kind, values, [f"row {n}" for n in rows], detector,
                                        counts=[total], distinct=every)
            return
        found = cells.distinct()
        if kind is PhiType.NAME:
            found = _names(found)
        if kind is PhiType.AGE:
            old = [i for i, v in enumerate(found.values)
                   if v.split()[0].isdigit() and int(v.split()[0]) > 89]
            found = Distinct([found.values[i] for i in old], [found.counts[i] for i in old],
                             [found.rows[i] for i in old])
        if not found.values:
            return
        if kind is PhiType.NAME and len(self.seeds) < MAX_SEEDS:
            self.seeds.update(v for v in found.values if len(v) > 1)
        column.tally.add_values(kind, found.values,
                                [f"row {n}" for n in found.rows[:EXAMPLES_PER_TYPE]], detector,
                                counts=found.counts)

    def _text(self, column: _Column, found: Distinct, *, narrative: bool) -> None:
        if not found.values:
            return
        cells = found.values
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
            i = bisect.bisect_right(starts, span.start) - 1
            if not narrative and not self._allowed(column, span.type, cells[i]):
                continue
            column.tally.add(span.type, text[span.start:span.end], f"row {found.rows[i]}",
                             span.detector, found.counts[i])


def _names(found: Distinct) -> Distinct:
    """A name column's distinct values as names (:func:`name_value`): values that become
    equal are merged (first row kept), values with no letters dropped."""
    index: dict[str, int] = {}
    out = Distinct([], [], [])
    for value, count, row in zip(found.values, found.counts, found.rows, strict=True):
        name = name_value(value)
        if not name:
            continue
        i = index.get(name)
        if i is None:
            index[name] = len(out.values)
            out.values.append(name)
            out.counts.append(count)
            out.rows.append(row)
        else:
            out.counts[i] += count
            out.rows[i] = min(out.rows[i], row)
    return out
