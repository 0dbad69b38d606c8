"""Structured formats: CSV/TSV, XLSX, JSON/NDJSON (FHIR recognised), HL7 v2, DICOM headers.

Field meanings come from the formats' specifications:

* HL7 v2 (HL7 Version 2.5.1 Ch. 3 and 6): PID-3 patient identifiers (type code ``SS`` = SSN,
  else MRN), PID-5/6/9 names, PID-7 birth date, PID-11 address, PID-13/14 phones, PID-18
  account number, PID-19 SSN, PID-20 driver's licence, PID-29 death date; NK1-2/4/5/6 next of
  kin; PV1-7/8/9/17 providers (XCN: id, family, given), PV1-19 visit number, PV1-44/45
  admit/discharge; IN1-16/18/19/36/49 insured's name, birth date, address, policy and id;
  GT1-3/5/6/12 guarantor; ORC-12, OBR-16 ordering provider; OBX-5 text values and NTE-3
  comments are narrative.
* FHIR R4 (hl7.org/fhir/R4): ``HumanName``, ``ContactPoint`` (``system`` phone/fax/email),
  ``Address``, ``Identifier`` (type ``MR``/``SS``/``MB``/``NPI`` codes of v2-0203 or the
  ``us-ssn``/``us-npi`` systems), ``birthDate``, ``deceasedDateTime``, ``Coverage.subscriberId``,
  and ``Narrative.div`` text.
* DICOM PS3.6 data dictionary: every Person Name (PN) element, PatientID/OtherPatientIDs,
  PatientBirthDate and study/series/acquisition/content dates, AccessionNumber,
  PatientAddress, PatientTelephoneNumbers, DeviceSerialNumber, PatientAge over 89. Pixel data
  is never read (``stop_before_pixels``).

Values read from name fields seed the detection of names in the free text of the same file.

CSV/TSV (pyarrow's CSV reader, in blocks), NDJSON (in batches of lines) and HL7 v2 files (by
segment) are streamed, so memory does not grow with the file; JSON, XLSX and DICOM are parsed
whole (their size is capped by :attr:`~caresec.collect.phi.context.Limits.max_document_bytes`).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, BinaryIO

from caresec.collect.phi.accumulate import EXAMPLES_PER_TYPE, Tally
from caresec.collect.phi.context import TEXT_CHUNK, FileContext
from caresec.collect.phi.documents import scan_plain
from caresec.collect.phi.hints import NARRATIVE, hint_for
from caresec.collect.phi.tables import SAMPLE_VALUES, Distinct, TableScanner
from caresec.model.phi import PhiType
from caresec.phi import checks

BATCH_ROWS = 2_000
_PLACEHOLDER_NAMES = frozenset({"anonymous", "anon", "unknown", "test", "none", "n/a", "na", "-",
                                "----", "xxx", "redacted", "removed"})
_TAG = re.compile(r"<[^>]+>")


# -- CSV / TSV ---------------------------------------------------------------------------------
CSV_BLOCK_BYTES = 4 << 20  # bytes pyarrow parses at a time: memory stays flat on big tables
_ENCODING_BLOCK = 16 << 20
_CP1252_UNDEFINED = re.compile(b"[\x81\x8d\x8f\x90\x9d]")


def text_encoding(stream: BinaryIO) -> str:
    """The encoding :func:`~caresec.collect.phi.documents.decode_text` would pick for the whole
    stream (``utf-8``, else ``cp1252``, else ``latin-1``), read block by block; the stream is
    left at its start."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    cp1252 = True
    utf8 = True
    stream.seek(0)
    while block := stream.read(_ENCODING_BLOCK):
        if utf8:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
        if cp1252 and _CP1252_UNDEFINED.search(block):
            cp1252 = False
        if not utf8 and not cp1252:
            break
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    stream.seek(0)
    return "utf-8" if utf8 else ("cp1252" if cp1252 else "latin-1")


class ArrowColumn:
    """A :class:`~caresec.collect.phi.tables.ColumnBatch` over a pyarrow string array whose
    first cell is in row ``first_row``."""

    __slots__ = ("_mask", "_trimmed", "array", "first_row")

    def __init__(self, array: Any, first_row: int) -> None:
        self.array = array
        self.first_row = first_row
        self._trimmed: Any = None
        self._mask: Any = None

    def _prepare(self) -> tuple[Any, Any]:
        if self._trimmed is None:
            import pyarrow.compute as pc

            self._trimmed = pc.utf8_trim_whitespace(self.array)
            self._mask = pc.greater(pc.utf8_length(self._trimmed), 0)
        return self._trimmed, self._mask

    def sample(self, n: int) -> list[str]:
        """See :class:`~caresec.collect.phi.tables.ColumnBatch`."""
        return [str(v) for v in self.array.slice(0, n).to_pylist()]

    def nonempty(self) -> int:
        """See :class:`~caresec.collect.phi.tables.ColumnBatch`."""
        import pyarrow.compute as pc

        _, mask = self._prepare()
        return int(pc.sum(mask).as_py() or 0)

    def first(self, n: int) -> tuple[list[str], list[int]]:
        """See :class:`~caresec.collect.phi.tables.ColumnBatch`."""
        trimmed, _ = self._prepare()
        values: list[str] = []
        rows: list[int] = []
        step = 64
        start = 0
        while len(values) < n and start < len(trimmed):
            window = trimmed.slice(start, step).to_pylist()
            for offset, value in enumerate(window):
                if value:
                    values.append(str(value))
                    rows.append(self.first_row + start + offset)
                    if len(values) >= n:
                        break
            start += step
            step *= 4
        return values, rows

    def keyed(self, n: int) -> tuple[int, list[str], list[int], Any]:
        """See :class:`~caresec.collect.phi.tables.ColumnBatch`."""
        import pyarrow.compute as pc

        trimmed, mask = self._prepare()
        filled = trimmed.filter(mask)
        if not len(filled):
            return 0, [], [], []
        unique = pc.unique(filled)  # in order of first appearance
        values = [str(v) for v in unique.slice(0, n).to_pylist()]
        positions = pc.indices_nonzero(mask)
        rows = [self.first_row + int(positions[pc.index(filled, v).as_py()].as_py())
                for v in values]
        return len(filled), values, rows, unique

    def distinct(self) -> Distinct:
        """See :class:`~caresec.collect.phi.tables.ColumnBatch`."""
        import numpy as np
        import pyarrow.compute as pc

        trimmed, mask = self._prepare()
        positions = pc.indices_nonzero(mask).to_numpy()
        if not len(positions):
            return Distinct([], [], [])
        encoded = pc.dictionary_encode(trimmed.filter(mask))
        codes = encoded.indices.to_numpy()
        _, first, counts = np.unique(codes, return_index=True, return_counts=True)
        return Distinct([str(v) for v in encoded.dictionary.to_pylist()], counts.tolist(),
                        (positions[first] + self.first_row).tolist())


def scan_csv(ctx: FileContext, location: str, stream: BinaryIO, *,
             delimiter: str | None = None, encoding: str | None = None,
             part: tuple[int, int] | None = None) -> list[Tally]:
    """A CSV or TSV table (RFC 4180 quoting) read from a binary stream: the first row is the
    header (unless it is data, :func:`first_row_is_data`: then every row is data and the
    columns are named ``column 1``, ``column 2`` …), columns routed by
    :class:`~caresec.collect.phi.tables.TableScanner`.

    The rows are parsed by pyarrow's CSV reader (``pyarrow.csv.open_csv``) in blocks of
    :data:`CSV_BLOCK_BYTES`, so memory does not grow with the file; rows with more or fewer
    cells than the header are read by Python's :mod:`csv` (extra cells ignored, missing ones
    empty). Row numbers count records (the header, when there is one, is row 1). A table that
    stops being parsable
    is a problem naming the row; the rows before it are counted.

    Args:
        ctx: where tallies and problems go.
        location: the table's location.
        stream: the file (seekable).
        delimiter: the cell separator (default: the most frequent of ``,`` tab ``;`` ``|`` in
            the first line).
        encoding: the file's encoding (default: :func:`text_encoding`).
        part: ``(start, end)`` byte offsets of one part of a large file (:func:`csv_parts`):
            only the records starting in it are read, columns are routed by the same sample
            (the file's first rows) as every other part, row numbers restart at 2 (at 1
            in a file without a header; the caller adds the rows of the parts before), and
            the tallies are returned
            unfinished (dates of :meth:`~caresec.collect.phi.tables.TableScanner.finish`
            not yet dropped) for :meth:`~caresec.collect.phi.accumulate.Tally.merge`.

    Returns:
        The column tallies (also added to ``ctx.tallies`` unless ``part`` is given).
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    encoding = encoding or text_encoding(stream)
    stream.seek(0)
    head = stream.read(1 << 16).decode(encoding, "replace").removeprefix("\ufeff")
    stream.seek(0)
    first_line = head[:4096].split("\n", 1)[0]
    if delimiter is None:
        delimiter = max((",", "\t", ";", "|"), key=first_line.count)
    try:
        rows_read = csv.reader(io.StringIO(head), delimiter=delimiter)
        header = next(rows_read)
    except StopIteration:
        return []
    except csv.Error as exc:
        ctx.problem(location, "line 1", f"not a readable table ({exc})")
        return []
    if not header:
        return []
    try:
        following = list(itertools.islice(rows_read, HEADER_SAMPLE_ROWS))
    except csv.Error:  # the sample ends inside a quoted cell: judge by the rows before
        following = []
    has_header = not first_row_is_data(header, following)
    if not has_header:
        header = [f"column {i + 1}" for i in range(len(header))]
    seeds: set[str] = set()
    table = TableScanner(ctx.detector, ctx.key, location, "csv", header, seeds)
    names = [f"c{i}" for i in range(len(header))]
    odd: list[tuple[int, str]] = []
    skip_header = has_header and (part is None or part[0] == 0)

    def invalid(row: Any) -> str:
        nonlocal skip_header
        if row.number == 1 and skip_header:  # a header pyarrow reads otherwise than csv
            skip_header = False
        else:
            odd.append((int(row.number or 0), str(row.text)))
        return "skip"

    def reader(source: BinaryIO, handler: Any) -> Any:
        return pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False,
                                          block_size=CSV_BLOCK_BYTES,
                                          encoding="utf8" if encoding == "utf-8" else encoding),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                            invalid_row_handler=handler),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False))

    row_number = 1  # the header is record 1 and the first record of the first batch
    source = stream
    try:
        if part is not None and part[0] > 0:
            first_batch = next(iter(reader(stream, lambda _row: "skip")), None)
            if first_batch is not None:
                sample = [ArrowColumn(c, 2) for c in
                          first_batch.slice(1 if has_header else 0).columns]
                table.decide([list(r) for r in itertools.zip_longest(
                    *[c.sample(SAMPLE_VALUES) for c in sample], fillvalue="")])
            source = io.BufferedReader(_Range(stream, part[0], part[1]), 1 << 20)
        elif part is not None:
            source = io.BufferedReader(_Range(stream, 0, part[1]), 1 << 20)
        if not skip_header and has_header:
            row_number = 2
        for batch in reader(source, invalid):
            first = row_number
            if skip_header:
                batch = batch.slice(1)
                first += 1
                skip_header = False
            row_number = first + batch.num_rows
            if batch.num_rows:
                table.feed_columns([ArrowColumn(batch.column(i), first)
                                    for i in range(batch.num_columns)], batch.num_rows)
            if odd:
                _feed_odd(table, odd, delimiter)
                row_number += len(odd)
                odd.clear()
    except (pa.ArrowInvalid, UnicodeDecodeError, csv.Error) as exc:
        ctx.problem(location, f"row {row_number}",
                    f"the table stops being readable here ({str(exc).splitlines()[0][:200]}); "
                    "rows before it were scanned")
    if odd:
        _feed_odd(table, odd, delimiter)
    tallies = table.finish(drop_dates=part is None)
    if part is None:
        ctx.tallies.extend(tallies)
    return tallies


HEADER_SAMPLE_ROWS = 20


def _data_like(cell: str) -> bool:
    """A cell that reads as a value, not a label: mostly digits (an SSN, MRN, date, phone,
    amount: at least 3 digits making at least half of it), or an e-mail address."""
    cell = cell.strip()
    if "@" in cell and "." in cell.split("@", 1)[-1] and " " not in cell:
        return True
    digits = sum(ch.isdigit() for ch in cell)
    compact = len(cell.replace(" ", ""))
    return digits >= 3 and digits * 2 >= compact


def first_row_is_data(first: Sequence[str], following: Sequence[Sequence[str]]) -> bool:
    """True when a table's first row is a record, not a header of column names.

    A header holds short labels (``ssn``, ``dob``, ``address_2``); a record holds values. The
    first row is data when one of its cells reads as a value (:func:`_data_like`: an
    identifier, date, number or e-mail address) in a column whose next rows (up to
    :data:`HEADER_SAMPLE_ROWS`) read as values too, mostly; with no next rows, one such cell
    is enough. The signal is the one ``csv.Sniffer.has_header`` uses (a header cell whose
    type differs from its column's), made to recognise identifiers rather than only
    numbers."""
    for index, cell in enumerate(first):
        if not _data_like(cell):
            continue
        below = [row[index] for row in following if index < len(row) and row[index].strip()]
        if not below or sum(1 for v in below if _data_like(v)) * 2 > len(below):
            return True
    return False


class _Range(io.RawIOBase):
    """The bytes ``[start, end)`` of a seekable stream, as a stream."""

    def __init__(self, stream: BinaryIO, start: int, end: int) -> None:
        super().__init__()
        self._stream = stream
        self._pos = start
        self._end = end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._end - self._pos)
        if size <= 0:
            return 0
        self._stream.seek(self._pos)
        data = self._stream.read(size)
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)


def csv_parts(stream: BinaryIO, part_bytes: int) -> tuple[str, list[tuple[int, int]]]:
    """Cut a large CSV/TSV file into parts of about ``part_bytes`` at record ends: a line end
    outside quotes (an even number of ``"`` before it, RFC 4180 §2 rules 5–7). Returns the
    file's encoding (:func:`text_encoding`) and the ``(start, end)`` byte offsets of the parts
    (one part for a small file); the stream is left at its start."""
    encoding = text_encoding(stream)
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    cuts = [0]
    quotes = 0  # quotes before the current block
    offset = 0
    target = part_bytes
    while target < size:
        block = stream.read(_ENCODING_BLOCK)
        if not block:
            break
        pos = max(0, target - offset)
        while pos < len(block):
            newline = block.find(b"\n", pos)
            if newline < 0:
                break
            if (quotes + block.count(b'"', 0, newline)) % 2 == 0:
                cuts.append(offset + newline + 1)
                target = offset + newline + 1 + part_bytes
                pos = max(newline + 1, target - offset)
            else:
                pos = newline + 1
        quotes += block.count(b'"')
        offset += len(block)
    stream.seek(0)
    cuts = [c for c in cuts if c < size] + [size]
    return encoding, list(itertools.pairwise(cuts)) or [(0, size)]


def _feed_odd(table: TableScanner, odd: list[tuple[int, str]], delimiter: str) -> None:
    """Rows whose cell count differs from the header's, read with :mod:`csv`."""
    for number, text in odd:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
        if rows:
            table.feed(rows, number)


# -- XLSX -------------------------------------------------------------------------------------
def scan_xlsx(ctx: FileContext, location: str, data: bytes) -> None:
    """Every worksheet of a workbook (values as last computed, formulas not evaluated): the
    first non-empty row of a sheet is its header."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header: list[str] | None = None
            seeds: set[str] = set()
            table: TableScanner | None = None
            batch: list[list[str]] = []
            number = 0
            for raw in rows:
                number += 1
                values = ["" if v is None else str(v) for v in raw]
                if header is None:
                    if any(values):
                        header = values
                        table = TableScanner(ctx.detector, ctx.key, f"{location}!{sheet.title}",
                                             "xlsx", header, seeds)
                        start = number + 1
                    continue
                batch.append(values)
                if len(batch) >= BATCH_ROWS and table is not None:
                    table.feed(batch, start)
                    start += len(batch)
                    batch = []
            if table is not None:
                if batch:
                    table.feed(batch, start)
                ctx.tallies.extend(table.finish())
    finally:
        workbook.close()


# -- JSON, NDJSON, FHIR ----------------------------------------------------------------------
NDJSON_BATCH = 2_000  # lines parsed at a time: memory does not grow with the file


def scan_json(ctx: FileContext, location: str, text: str, *, named: bool = True) -> None:
    """A JSON document (RFC 8259). FHIR resources and bundles (a ``resourceType`` key) are read
    by FHIR field rules; other JSON by key names, then content.

    Text that does not parse is read as plain text
    (:func:`~caresec.collect.phi.documents.scan_plain`): a note or an ``.ini`` file may start
    with ``[`` or ``{``. With ``named`` (the file's name says JSON) that is also a problem
    naming the line and column where parsing stopped."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if named:
            ctx.problem(location, f"line {exc.lineno}, column {exc.colno}",
                        f"not valid JSON ({exc.msg.removesuffix(' at')}); read as plain text")
        scan_plain(ctx, location, text)
        return
    except RecursionError:
        ctx.problem(location, "", "JSON nested too deeply to read; read as plain text")
        scan_plain(ctx, location, text)
        return
    fhir = isinstance(document, dict) and "resourceType" in document
    tally = ctx.tally(location, "file", "fhir" if fhir else "json")
    tally.records = 1
    walk, finish = _json_reader(ctx, tally, fhir=fhir)
    walk("", document)
    finish()


def scan_ndjson(ctx: FileContext, location: str, stream: BinaryIO, *,
                encoding: str | None = None) -> None:
    """NDJSON (one JSON value a line; FHIR Bulk Data export files) read from a binary stream,
    :data:`NDJSON_BATCH` lines at a time, so memory does not grow with the file. The file is
    FHIR (read by FHIR field rules) when one of its first :data:`NDJSON_BATCH` values has a
    ``resourceType``. A line that is not JSON is a problem naming it; the others are read."""
    encoding = encoding or text_encoding(stream)
    stream.seek(0)
    lines = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline=None)
    try:
        numbered = enumerate(lines, 1)
        first = _ndjson_batch(ctx, location, numbered)
        fhir = any(isinstance(d, dict) and "resourceType" in d for _, d in first)
        tally = ctx.tally(location, "file", "fhir" if fhir else "ndjson")
        walk, finish = _json_reader(ctx, tally, fhir=fhir)
        batch = first
        while batch:
            tally.records += len(batch)
            for place, document in batch:
                walk(place, document)
            finish(partial=True)
            batch = _ndjson_batch(ctx, location, numbered)
        finish()
    finally:
        lines.detach()  # the caller's stream stays open


def _ndjson_batch(ctx: FileContext, location: str,
                  numbered: Iterator[tuple[int, str]]) -> list[tuple[str, Any]]:
    """The next :data:`NDJSON_BATCH` non-blank lines, parsed (one parser call for them all;
    line by line when one of them is bad)."""
    batch = [(n, ln.lstrip("\ufeff")) for n, ln in itertools.islice(
        ((n, ln) for n, ln in numbered if ln.strip()), NDJSON_BATCH)]
    if not batch:
        return []
    try:
        parsed = json.loads("[" + ",".join(ln for _, ln in batch) + "]")
        if len(parsed) != len(batch):
            raise ValueError("a line holds more than one value")
        return [(f"line {n}", d) for (n, _), d in zip(batch, parsed, strict=True)]
    except ValueError:
        documents = []
        for number, line in batch:
            try:
                documents.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                ctx.problem(location, f"line {number}",
                            f"not valid JSON ({exc.msg.removesuffix(' at')})")
        return documents


def _json_reader(ctx: FileContext, tally: Tally, *, fhir: bool
                 ) -> tuple[Callable[[str, Any], None], Callable[..., None]]:
    """``(walk, finish)``: ``walk(place, document)`` counts the typed leaves of a document and
    queues its free text; ``finish(partial=False)`` runs the detector over the queued text
    (with ``partial``, only once a :data:`~caresec.collect.phi.context.TEXT_CHUNK` is queued),
    seeded with the names read so far."""
    seeds: set[str] = set()
    narratives: list[tuple[str, str]] = []
    detector = "fhir" if fhir else "json-key"
    parents: list[Any] = []  # the objects above the current leaf, innermost last
    resources: list[str] = []  # the resource types above it
    path: list[str] = []  # its JSON pointer's tokens
    where = [""]  # the document's place (``line N`` in NDJSON)
    queued = [0]

    def leaf(key: str, value: str) -> None:
        if fhir and key in _FHIR_STRUCTURAL:
            return
        kind = _fhir_kind(key, parents, resources[-1] if resources else "") if fhir else None
        if kind is None:
            hint = None if fhir and key == "name" else hint_for(key)
            kind = hint if isinstance(hint, PhiType) else None
            if hint == NARRATIVE or (kind is None and fhir and key == "div"):
                text = _TAG.sub(" ", value)
                narratives.append((where[0] + "".join("/" + t for t in path), text))
                queued[0] += len(text)
                return
        if kind is None:
            narratives.append((where[0] + "".join("/" + t for t in path), value))
            queued[0] += len(value)
            return
        # the place is only kept for the first examples of a type
        place = where[0] + "".join("/" + t for t in path) \
            if len(tally.examples.get(kind, ())) < EXAMPLES_PER_TYPE else ""
        _add_field(tally, kind, value, place, detector, seeds)

    structural = _FHIR_STRUCTURAL if fhir else frozenset()

    def walk(node: Any, key: str) -> None:
        # every string (non-blank) and number leaf under ``node``
        if isinstance(node, dict):
            typed = isinstance(node.get("resourceType"), str)
            if typed:
                resources.append(node["resourceType"])
            parents.append(node)
            for k, v in node.items():
                if type(v) is str:
                    if k in structural or not v or v.isspace():
                        continue
                    path.append(k)
                    leaf(k, v)
                    path.pop()
                else:
                    path.append(str(k))
                    walk(v, str(k))
                    path.pop()
            parents.pop()
            if typed:
                resources.pop()
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if type(v) is str and (key in structural or not v or v.isspace()):
                    continue
                path.append(str(i))
                if isinstance(v, str):
                    leaf(key, v)
                else:
                    walk(v, key)
                path.pop()
        elif isinstance(node, str):
            if node and not node.isspace():
                leaf(key, node)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            leaf(key, str(node))

    def document(place: str, node: Any) -> None:
        where[0] = place
        walk(node, "")

    def finish(partial: bool = False) -> None:
        if narratives and (not partial or queued[0] >= TEXT_CHUNK):
            ctx.scan_pieces(tally, narratives, seeds=seeds)
            narratives.clear()
            queued[0] = 0

    return document, finish


#: FHIR elements that hold schema, codes and references, never free text about a person.
_FHIR_STRUCTURAL = frozenset({
    "resourceType", "id", "system", "url", "fullUrl", "reference", "profile", "code", "version",
    "versionId", "lastUpdated", "status", "use", "type", "mode", "contentType", "language",
    "format", "hash", "size", "creation", "relationship", "gender", "kind", "unit", "source",
    "method", "security", "tag", "valueUri", "canonical", "uri",
})
_FHIR_NAME_KEYS = frozenset({"family", "given", "text", "prefix", "suffix"})
_IDENTIFIER_CODES = {"MR": PhiType.MRN, "SS": PhiType.SSN, "MB": PhiType.HEALTH_PLAN_ID,
                     "SN": PhiType.HEALTH_PLAN_ID, "MC": PhiType.MBI, "DL": PhiType.LICENSE,
                     "PPN": PhiType.LICENSE, "NPI": PhiType.NPI, "AN": PhiType.ACCOUNT,
                     "PRN": PhiType.NPI}


def _fhir_kind(key: str, parents: Sequence[Any], rtype: str) -> PhiType | None:
    """The identifier type of a FHIR leaf, from its key, the elements around it (innermost
    last) and the type of the resource that holds it."""
    parent = parents[-1] if parents else {}
    person = rtype in {"Patient", "Practitioner", "RelatedPerson", "Person"}
    grand = parents[-2] if len(parents) > 1 else {}
    if key in _FHIR_NAME_KEYS and isinstance(parent, dict) and ("family" in parent
                                                                or "given" in parent):
        return PhiType.NAME
    if key == "text" and isinstance(grand, dict) and any(
            isinstance(v, list) and parent in v for k, v in grand.items() if k == "name"):
        return PhiType.NAME
    # a ContactPoint or Identifier value; an Identifier may carry only its type, a v2-0203
    # identifier type code (R4 Identifier.type)
    if key == "value" and isinstance(parent, dict) and ("system" in parent or (
            "type" in parent and any(c in _IDENTIFIER_CODES for c in _codes(parent["type"])))):
        system = str(parent.get("system", ""))
        if system in ("phone", "sms", "pager"):
            return PhiType.PHONE
        if system == "fax":
            return PhiType.FAX
        if system == "email":
            return PhiType.EMAIL
        if system == "url":
            return PhiType.URL
        if "us-ssn" in system:
            return PhiType.SSN
        if "us-npi" in system:
            return PhiType.NPI
        if "us-mbi" in system or "medicare" in system.lower():
            return PhiType.MBI
        codes = _codes(parent.get("type"))
        for code in codes:
            if code in _IDENTIFIER_CODES:
                return _IDENTIFIER_CODES[code]
        if person or rtype in ("Coverage", "Account"):
            return {"Coverage": PhiType.HEALTH_PLAN_ID, "Account": PhiType.ACCOUNT,
                    "Practitioner": PhiType.LICENSE}.get(rtype, PhiType.MRN)
        return None
    if key in ("line",) and isinstance(parent, dict) and ("city" in parent or "postalCode"
                                                          in parent or "line" in parent):
        return PhiType.ADDRESS
    if key == "city" and isinstance(parent, dict) and "line" in parent:
        return PhiType.LOCATION
    if key == "postalCode":
        return PhiType.ZIP
    if key in ("birthDate", "deceasedDateTime") or (key == "start" and rtype == "Encounter"):
        return PhiType.DATE
    if key == "subscriberId":
        return PhiType.HEALTH_PLAN_ID
    return None


def _codes(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [str(c.get("code", "")) for c in node.get("coding", []) if isinstance(c, dict)]
    return []


def _add_field(tally: Tally, kind: PhiType, value: str, place: str, detector: str,
               seeds: set[str]) -> None:
    value = value.strip()
    if not value or value.lower() in _PLACEHOLDER_NAMES:
        return
    if kind is PhiType.AGE:
        digits = re.match(r"\d+", value)
        if not digits or int(digits.group()) <= 89:
            return
    if kind is PhiType.NAME and len(value) > 1:
        seeds.add(value)
    tally.add(kind, value, place, detector)


# -- HL7 v2 -----------------------------------------------------------------------------------
# (segment, field) → type; XCN/XPN/XAD fields handled by component.
_HL7_FIELDS: dict[tuple[str, int], PhiType | str] = {
    ("PID", 3): "CX", ("PID", 2): PhiType.MRN, ("PID", 4): PhiType.MRN,
    ("PID", 5): "XPN", ("PID", 6): "XPN", ("PID", 9): "XPN", ("PID", 7): PhiType.DATE,
    ("PID", 11): "XAD", ("PID", 13): PhiType.PHONE, ("PID", 14): PhiType.PHONE,
    ("PID", 18): PhiType.ACCOUNT, ("PID", 19): PhiType.SSN, ("PID", 20): PhiType.LICENSE,
    ("PID", 29): PhiType.DATE,
    ("NK1", 2): "XPN", ("NK1", 4): "XAD", ("NK1", 5): PhiType.PHONE, ("NK1", 6): PhiType.PHONE,
    ("NK1", 30): "XPN", ("NK1", 31): PhiType.PHONE, ("NK1", 32): "XAD", ("NK1", 37): PhiType.SSN,
    ("PV1", 7): "XCN", ("PV1", 8): "XCN", ("PV1", 9): "XCN", ("PV1", 17): "XCN",
    ("PV1", 19): PhiType.ACCOUNT, ("PV1", 44): PhiType.DATE, ("PV1", 45): PhiType.DATE,
    ("IN1", 16): "XPN", ("IN1", 18): PhiType.DATE, ("IN1", 19): "XAD",
    ("IN1", 36): PhiType.HEALTH_PLAN_ID, ("IN1", 49): PhiType.HEALTH_PLAN_ID,
    ("GT1", 3): "XPN", ("GT1", 5): "XAD", ("GT1", 6): PhiType.PHONE, ("GT1", 7): PhiType.PHONE,
    ("GT1", 8): PhiType.DATE, ("GT1", 12): PhiType.SSN,
    ("ORC", 12): "XCN", ("OBR", 16): "XCN", ("OBR", 28): "XCN", ("OBR", 32): "XCN",
    ("PD1", 4): "XCN", ("MRG", 1): PhiType.MRN, ("MRG", 3): PhiType.ACCOUNT,
}
_NARRATIVE_FIELDS = {("OBX", 5), ("NTE", 3)}
_SEGMENT_SPLIT = re.compile(r"\r\n|\n|\r")


def scan_hl7(ctx: FileContext, location: str, source: str | BinaryIO) -> None:
    """HL7 v2 messages (one or many, segments separated by CR, LF or CRLF), from a text or a
    binary stream (read segment by segment, so memory does not grow with the file).

    Each message is split by the separators its MSH segment declares (MSH-1 field separator,
    MSH-2 component, repetition and sub-component characters; HL7 v2.5.1 §2.5.4), as the
    ``hl7`` package's parser does, with plain string splits (the fields read are those of
    :data:`_HL7_FIELDS` only). A message whose first segment is not MSH (or FHS/BHS) is a
    problem; the others are read."""
    tally = ctx.tally(location, "file", "hl7v2")
    seeds: set[str] = set()
    narratives: list[tuple[str, str]] = []
    queued = 0
    wanted = {sid for sid, _ in _HL7_FIELDS} | {sid for sid, _ in _NARRATIVE_FIELDS}
    stream: io.TextIOWrapper | None = None
    if isinstance(source, str):
        lines: Iterator[str] = iter(_SEGMENT_SPLIT.split(source))
    else:
        encoding = text_encoding(source)
        stream = io.TextIOWrapper(source, encoding=encoding, errors="replace", newline=None)
        lines = (ln.rstrip("\n") for ln in stream)
    try:
        number = 0
        for segments in _hl7_messages(lines):
            number += 1
            tally.records += 1
            first = segments[0].lstrip().lstrip("\ufeff")
            if first[:3] not in ("MSH", "FHS", "BHS") or len(first) < 4:
                ctx.problem(location, f"message {number}", "not a readable HL7 v2 message "
                            f"(first segment is {first[:3]!r}, must be one of MSH, FHS or BHS)")
                continue
            field_sep = first[3]
            encoding = first[4:first.find(field_sep, 4)] if first.find(field_sep, 4) > 4 else ""
            component = encoding[0] if len(encoding) > 0 else "^"
            repetition = encoding[1] if len(encoding) > 1 else "~"
            sub = encoding[3] if len(encoding) > 3 else "&"
            for segment in segments:
                sid = segment[:3]
                if sid not in wanted:
                    continue
                fields = segment.split(field_sep)
                sid = fields[0].strip()
                for index in range(1, len(fields)):
                    key = (sid, index)
                    if key in _NARRATIVE_FIELDS:
                        value = " ".join(fields[index].replace(component, " ").split())
                        if value:
                            narratives.append((f"message {number} {sid}-{index}", value))
                            queued += len(value)
                        continue
                    rule = _HL7_FIELDS.get(key)
                    if rule is None or not fields[index]:
                        continue
                    place = f"message {number} {sid}-{index}"
                    for rep in fields[index].split(repetition):
                        if rep:
                            _hl7_value(tally, rule, rep.split(component), place, seeds, sub)
            if queued >= TEXT_CHUNK:  # free text so far, seeded with the names so far
                ctx.scan_pieces(tally, narratives, seeds=seeds)
                narratives.clear()
                queued = 0
    finally:
        if stream is not None:
            stream.detach()  # the caller's stream stays open
    ctx.scan_pieces(tally, narratives, seeds=seeds)


def _hl7_messages(lines: Iterator[str]) -> Iterator[list[str]]:
    """The non-blank segments grouped into messages (a message starts at each MSH)."""
    message: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        if line.startswith("MSH") and message:
            yield message
            message = []
        message.append(line)
    if message:
        yield message


@lru_cache(maxsize=1 << 16)
def _npi_valid(value: str) -> bool:
    """:func:`caresec.phi.checks.npi_valid`, memoized (providers recur on every message)."""
    return checks.npi_valid(value)


def _hl7_value(tally: Tally, rule: PhiType | str, comps: Sequence[str], place: str,
               seeds: set[str], sub: str = "&") -> None:
    # each component's first sub-component, stripped
    parts = [c.split(sub, 1)[0].strip() for c in comps] if sub in "".join(comps) else \
        [c.strip() for c in comps]
    parts += [""] * (5 - len(parts))
    if isinstance(rule, PhiType):
        value = parts[0] if rule is not PhiType.PHONE else " ".join(c for c in comps if c)
        if rule is PhiType.DATE:
            value = value[:8]
        _add_field(tally, rule, value, place, "hl7", seeds)
    elif rule == "CX":
        code = parts[4].upper()
        kind = PhiType.SSN if code == "SS" else (
            PhiType.HEALTH_PLAN_ID if code in ("MB", "SN") else PhiType.MRN)
        _add_field(tally, kind, parts[0], f"{place} ({parts[4] or 'id'})", "hl7", seeds)
    elif rule == "XPN":
        name = " ".join(p for p in (parts[1], parts[2], parts[0]) if p)
        _add_field(tally, PhiType.NAME, name, place, "hl7", seeds)
    elif rule == "XCN":
        ident = parts[0]
        if ident and _npi_valid(ident):
            _add_field(tally, PhiType.NPI, ident, f"{place}.1", "hl7", seeds)
        name = " ".join(p for p in (parts[2], parts[1]) if p)
        _add_field(tally, PhiType.NAME, name, place, "hl7", seeds)
    elif rule == "XAD":
        street = " ".join(p for p in (parts[0], parts[1]) if p)
        _add_field(tally, PhiType.ADDRESS, street, f"{place}.1", "hl7", seeds)
        _add_field(tally, PhiType.LOCATION, parts[2], f"{place}.3", "hl7", seeds)
        _add_field(tally, PhiType.ZIP, parts[4], f"{place}.5", "hl7", seeds)


# -- DICOM ------------------------------------------------------------------------------------
_DICOM_KEYWORDS: dict[str, PhiType] = {
    "PatientID": PhiType.MRN, "OtherPatientIDs": PhiType.MRN, "MedicalRecordLocator": PhiType.MRN,
    "PatientBirthDate": PhiType.DATE, "PatientDeathDateInAlternativeCalendar": PhiType.DATE,
    "StudyDate": PhiType.DATE, "SeriesDate": PhiType.DATE, "AcquisitionDate": PhiType.DATE,
    "ContentDate": PhiType.DATE, "AdmittingDate": PhiType.DATE,
    "AccessionNumber": PhiType.ACCOUNT, "AdmissionID": PhiType.ACCOUNT,
    "PatientAddress": PhiType.ADDRESS, "PatientTelephoneNumbers": PhiType.PHONE,
    "DeviceSerialNumber": PhiType.DEVICE, "PatientAge": PhiType.AGE,
    "MilitaryRank": PhiType.LICENSE, "PatientInsurancePlanCodeSequence": PhiType.HEALTH_PLAN_ID,
}
_DICOM_TEXT = frozenset({"PatientComments", "AdditionalPatientHistory", "ImageComments",
                         "StudyComments", "TextValue"})


def scan_dicom(ctx: FileContext, location: str, data: bytes) -> None:
    """A DICOM file's header (PS3.10 file, or a bare data set); pixel data is never read."""
    import warnings

    import pydicom
    from pydicom.errors import InvalidDicomError

    logging.getLogger("pydicom").setLevel(logging.CRITICAL)  # its warnings may quote values
    try:
        with warnings.catch_warnings():  # pydicom warnings may quote element values
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
            elements = list(dataset.iterall())
            syntax = str(getattr(dataset, "file_meta", {}).get("TransferSyntaxUID", "") or "")
    except (InvalidDicomError, ValueError, EOFError, OSError, KeyError, TypeError,
            NotImplementedError, AttributeError) as exc:
        ctx.problem(location, "", f"not a readable DICOM file ({type(exc).__name__}: {exc})")
        return
    if data[128:132] == b"DICM" and (not elements or not re.fullmatch(r"[0-9.]+", syntax)):
        ctx.problem(location, "", "not a readable DICOM file (no valid transfer syntax or no "
                    "data elements after the file meta information)")
        return
    tally = ctx.tally(location, "file", "dicom")
    tally.records = 1
    seeds: set[str] = set()
    texts: list[tuple[str, str]] = []
    for element in elements:
        keyword = element.keyword or str(element.tag)
        place = f"{keyword} {element.tag}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = element.value if element.VM > 1 else [element.value]
        except Exception:  # noqa: S112 - a malformed value: skip the element, keep the rest
            continue
        for value in values:
            if value is None or isinstance(value, (bytes, bytearray)) or hasattr(value, "iterall"):
                continue
            text = str(value).strip()
            if element.VR == "PN":
                name = " ".join(p for p in text.replace("=", "^").split("^") if p.strip())
                _add_field(tally, PhiType.NAME, name, place, "dicom", seeds)
            elif keyword in _DICOM_KEYWORDS:
                _add_field(tally, _DICOM_KEYWORDS[keyword], text, place, "dicom", seeds)
            elif keyword in _DICOM_TEXT and text:
                texts.append((place, text))
    ctx.scan_pieces(tally, texts, seeds=seeds)
