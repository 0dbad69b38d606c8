"""Fast path of log matching: vectorized reading and record selection (pyarrow, numpy).

:func:`caresec.intel.matcher.match_logs` reads a log file here when it can, else with the
reference reader (:func:`caresec.intel.logs.read_chunks`). This module only *selects* records:
each selected record is read again, alone, by the reference code (:func:`csv.reader` and
:func:`~caresec.intel.logs.csv_padded`, or :func:`~caresec.intel.logs.json_record`) and
matched by the reference matcher, so a hit, its ``why``, its context and every problem are
those of the reference reader by construction. Equal results rest on one property — every
record the reference would report is selected — which holds because:

* a file is read here only when its records are its lines: it decodes as UTF-8 (as the
  reference reads it), has no NUL byte, no carriage return outside CRLF, no line longer than
  the csv module's field limit, and, for CSV, each line holding a quote character is a
  sequence of RFC 4180 §2 fields (``"…"`` with ``""`` inside, or unquoted without quotes), for
  which pyarrow's CSV parser and Python's csv module give the same fields. Anything else sends
  the whole file to the reference reader before anything is reported (:class:`Unsupported`);
* a CSV line with another number of fields than the header, and a JSON line that is not
  ``{…}`` or that pyarrow refuses (invalid JSON, a value of another type than the column's,
  a repeated key), is read by the reference code;
* a log value is dropped only when :class:`Prefilter` proves that the reference lookup
  (:class:`~caresec.intel.matcher.IndicatorIndex`) finds nothing for it; every other distinct
  value is looked up by the reference.

pyarrow is only handed buffers that start with a ``{…}`` line (pyarrow 26 crashes on a
buffer whose first JSON document is ``null``). Both cores work: a helper thread reads and
parses the next block (pyarrow and numpy release the GIL) while the calling thread selects the
records of the current one.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from caresec.intel.logs import (
    HASH_ROLES,
    IP_ROLES,
    MATCH_ROLES,
    BadRecords,
    Chunk,
    LogSource,
    csv_columns,
    csv_padded,
    json_record,
    json_value,
)
from caresec.model.problems import InputProblem

BLOCK_BYTES = 4 << 20
"""Bytes read and parsed at a time (cut after a line break)."""
JSON_SPLIT_LINES = 4096
"""A JSON piece pyarrow refuses is halved down to this many lines, then read line by line."""
CSV_THREADS, JSON_THREADS = False, True
"""Whether pyarrow parses a CSV / JSON block with its own thread pool besides the helper
thread that overlaps parsing with selection (chosen by measurement on 2 cores)."""
SAMPLE_LINES = 64
"""JSON lines read with :func:`json.loads` to choose each column's type (text or list)."""

Flags = npt.NDArray[np.bool_]
Positive = Callable[[str, list[str]], set[str]]
"""``(lookup key, distinct values) -> the values the reference lookup matches``."""

_BOM = b"\xef\xbb\xbf"
_PRINTABLE = r"^[!-~]+$"  # printable ASCII, no blank: the reference's strip() is a no-op
_IPV4 = r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$"
_URL_AUTHORITY = r"^[A-Za-z][A-Za-z0-9+.\-]*://(?P<authority>[^/?#]*)"  # urlsplit's netloc
_LAST_TWO = r"(?P<v>[^.]*\.[^.]*)$"  # after the second-to-last dot
_LAST_ONE = r"(?P<v>[^.]*)$"  # after the last dot


class Unsupported(Exception):
    """The file needs the reference reader (raised before anything is reported)."""


def lookup_key(role: str) -> str:
    """The lookup a column role uses: ``ip``, ``hash``, ``domain``, ``url`` or ``email``."""
    if role in IP_ROLES:
        return "ip"
    if role in HASH_ROLES:
        return "hash"
    return role


def _np(array: pa.Array | pa.ChunkedArray) -> Flags:
    """A boolean Arrow array as numpy (null = False)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _last_two(name: str) -> str | None:
    last = name.rfind(".")
    return None if last < 0 else name[name.rfind(".", 0, last) + 1:]


@dataclass(frozen=True, slots=True)
class _Set:
    """A set of strings, tested against an Arrow array the cheaper way: a Python set for few
    values, else Arrow's ``is_in`` (which hashes the whole set on every call)."""

    array: pa.Array
    members: frozenset[str]

    @classmethod
    def of(cls, values: Iterable[str]) -> _Set:
        members = frozenset(values)
        return cls(pa.array(sorted(members), pa.string()), members)

    def test(self, values: pa.Array) -> Flags:
        """Per value (null = False): is it in the set?"""
        if len(values) * 8 < len(self.members):
            members = self.members
            return np.fromiter((v in members for v in values.to_pylist()), dtype=bool,
                               count=len(values))
        return _np(pc.is_in(values, value_set=self.array))


def _quads(values: pa.Array) -> tuple[npt.NDArray[np.uint64], Flags]:
    """Dotted quads as numbers (octets unchecked) and whether every octet is at most 255."""
    parts = pc.split_pattern(values, ".")
    octets = np.asarray(pc.list_flatten(parts).cast(pa.uint16()).to_numpy(),
                        dtype=np.uint64).reshape(-1, 4)
    number = (octets[:, 0] << 24) | (octets[:, 1] << 16) | (octets[:, 2] << 8) | octets[:, 3]
    return np.asarray(number, dtype=np.uint64), np.asarray((octets <= 255).all(axis=1),
                                                             dtype=bool)


class Prefilter:
    """Vectorized, conservative tests of distinct log values against an indicator index.

    :meth:`maybe` is False for a value only where the reference lookup of the same value
    (``IndicatorIndex.match_ip`` … ``match_email``) is certain to find nothing:

    * ``ip``: a dotted quad that is no exact indicator and lies in no CIDR interval (numpy
      bisection over the sorted exact addresses and elementary intervals, RFC 4632); any
      other text is looked up;
    * ``domain``: neither ends in a digit nor holds ``:`` (no address), and neither its last two
      labels nor its last label are those of an indicator domain — a domain ``d`` matching a
      name as itself or a parent domain (RFC 1034 §3.1) shares those with it;
    * ``url``: not ``scheme://…`` (urlsplit then finds no host), or a host that passes no
      domain test, counting the hosts of URL indicators as domains (RFC 3986 §3.2.2);
    * ``email``: no ``@``, or no exact indicator and a domain that passes no domain test;
    * ``hash``: not an indicator hash once lower-cased.

    Values with a blank, a control or a non-ASCII character are always looked up.

    Args:
        addresses: exact address indicator values.
        v4_starts, v4_ends: the IPv4 elementary intervals (sorted, disjoint, inclusive).
        domains: domain indicator values.
        urls: URL indicator values (normalized).
        emails: e-mail indicator values.
        hashes: file-hash indicator values.
    """

    def __init__(self, addresses: Iterable[str], v4_starts: Sequence[int],
                 v4_ends: Sequence[int], domains: Iterable[str], urls: Iterable[str],
                 emails: Iterable[str], hashes: Iterable[str]) -> None:
        quads = pa.array([a for a in addresses if re.fullmatch(_IPV4, a)], pa.string())
        self.exact_v4 = np.unique(_quads(quads)[0]) if len(quads) \
            else np.zeros(0, dtype=np.uint64)
        self.v4_starts = np.asarray(v4_starts, dtype=np.uint64)
        self.v4_ends = np.asarray(v4_ends, dtype=np.uint64)
        self.emails = _Set.of(emails)
        self.hashes = _Set.of(hashes)
        names = set(domains)
        hosts = {_url_host(url) for url in urls}
        self.domain_sets = self._suffix_sets(names)
        self.url_sets = self._suffix_sets(names | hosts)
        self._tests: dict[str, Callable[[pa.Array], Flags]] = {
            "ip": self._ip, "domain": lambda v: self._domain(v, self.domain_sets),
            "url": self._url, "email": self._email, "hash": self._hash}

    @staticmethod
    def _suffix_sets(names: set[str]) -> tuple[_Set, _Set]:
        return (_Set.of(t for t in map(_last_two, names) if t is not None),
                _Set.of(n for n in names if "." not in n))

    def maybe(self, key: str, values: pa.Array) -> Flags:
        """Per value (distinct, no nulls): may the ``key`` lookup match it?"""
        plain = _np(pc.match_substring_regex(values, _PRINTABLE))
        found = _np(pc.greater(pc.binary_length(values), 0)) & ~plain
        if plain.any():
            at = np.flatnonzero(plain)
            found[at] = self._tests[key](values.take(pa.array(at)))
        return found

    def _ip(self, values: pa.Array) -> Flags:
        quad = _np(pc.match_substring_regex(values, _IPV4))
        found = ~quad
        if quad.any():
            at = np.flatnonzero(quad)
            number, valid = _quads(values.take(pa.array(at)))
            place = np.searchsorted(self.exact_v4, number)
            exact = (place < len(self.exact_v4)) & \
                (self.exact_v4[np.minimum(place, len(self.exact_v4) - 1)] == number) \
                if len(self.exact_v4) else np.zeros(len(at), dtype=bool)
            slot = np.searchsorted(self.v4_starts, number, side="right") - 1
            inside = (slot >= 0) & (number <= self.v4_ends[np.maximum(slot, 0)]) \
                if len(self.v4_starts) else np.zeros(len(at), dtype=bool)
            found[at] = exact | (inside & valid)
        return found

    @staticmethod
    def _domain(values: pa.Array, sets: tuple[_Set, _Set]) -> Flags:
        names = pc.ascii_lower(pc.utf8_rtrim(values, characters="."))
        address = _np(pc.match_substring_regex(names, r"[0-9]$|:"))
        two = pc.struct_field(pc.extract_regex(names, _LAST_TWO), [0])
        one = pc.struct_field(pc.extract_regex(names, _LAST_ONE), [0])
        listed = sets[0].test(two) | sets[1].test(one)
        return _np(pc.greater(pc.binary_length(names), 0)) & (address | listed)

    def _url(self, values: pa.Array) -> Flags:
        authority = pc.struct_field(pc.extract_regex(values, _URL_AUTHORITY), [0])
        found = _np(pc.is_valid(authority))
        if not found.any():
            return found
        at = np.flatnonzero(found)
        authority = authority.take(pa.array(at))
        odd = _np(pc.match_substring_regex(authority, r"[\[\]%]"))  # IPv6 literal, zone, escape
        host = pc.struct_field(pc.extract_regex(authority, r"(?P<h>[^@]*)$"), [0])
        host = pc.ascii_lower(pc.struct_field(pc.extract_regex(host, r"^(?P<h>[^:]*)"), [0]))
        found[at] = odd | self._domain(host, self.url_sets)
        return found

    def _email(self, values: pa.Array) -> Flags:
        text = pc.ascii_lower(values)
        domain = pc.struct_field(pc.extract_regex(text, r"@(?P<d>[^@]*)$"), [0])
        found = _np(pc.is_valid(domain))
        if not found.any():
            return found
        at = np.flatnonzero(found)
        exact = self.emails.test(text.take(pa.array(at)))
        found[at] = exact | self._domain(domain.take(pa.array(at)), self.domain_sets)
        return found

    def _hash(self, values: pa.Array) -> Flags:
        return self.hashes.test(pc.ascii_lower(values))


def _url_host(url: str) -> str:
    """The host of a normalized URL as ``IndicatorIndex.match_url`` takes it."""
    host = url.split("//", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    return host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]


@dataclass(slots=True)
class FastRead:
    """What the fast path read of one file.

    Attributes:
        records: records read (as the reference reader counts them).
        chunks: the selected records, in file order, with the reference reader's values.
        problems: the reference reader's problems for the file, in order.
    """

    records: int = 0
    chunks: list[Chunk] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def read_selected(path: Path, source: LogSource, prefilter: Prefilter, positive: Positive,
                  block_bytes: int | None = None) -> FastRead | None:
    """Read one log file the fast way; None when it needs the reference reader.

    A helper thread reads and parses the next block (pyarrow and numpy, which release the
    GIL) while this thread selects the records of the current one.

    Args:
        path: the log file.
        source: its mapping table.
        prefilter: the index's :class:`Prefilter`.
        positive: the reference lookup of distinct values, with the run's cache.
        block_bytes: bytes parsed at a time (default :data:`BLOCK_BYTES`).

    Returns:
        The :class:`FastRead`, or None (unreadable file, one whose records are not its lines,
        see the module docstring, or one pyarrow fails on); nothing of the file has been
        reported then.
    """
    try:
        handle = path.open("rb")
    except OSError:
        return None
    with handle, ThreadPoolExecutor(max_workers=1) as helper:
        try:
            reader: _Reader = _CsvReader(path, source) if source.format == "csv" \
                else _JsonReader(path, source)
            blocks = _blocks(handle, block_bytes or BLOCK_BYTES)
            pending = helper.submit(reader.prepare_next, blocks)
            while True:
                more, parsed = pending.result()
                if not more:
                    break
                pending = helper.submit(reader.prepare_next, blocks)
                if parsed is not None:
                    reader.select(parsed, prefilter, positive)
        except (Unsupported, pa.ArrowException):
            return None
        return reader.finish()


def _blocks(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """Whole lines, about ``size`` bytes at a time (a leading UTF-8 BOM removed, as the
    reference's ``utf-8-sig`` decoding does)."""
    first = True
    while True:
        data = handle.read(size)
        if first and data.startswith(_BOM):
            data = data[len(_BOM):]
        first = False
        if not data:
            return
        if not data.endswith(b"\n"):
            data += handle.readline()
        yield data


@dataclass(slots=True)
class _Lines:
    """Line offsets of a block: ``starts``, ``ends`` (after the line break) and ``content``
    (end without the line break); ``crlf`` counts CRLF line breaks."""

    data: npt.NDArray[np.uint8]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    content: npt.NDArray[np.int64]
    crlf: int

    @classmethod
    def of(cls, block: bytes) -> _Lines:
        data = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(data == 10).astype(np.int64) + 1
        if len(block) and block[-1] != 10:
            ends = np.append(ends, len(block))
        starts = np.zeros(len(ends), dtype=np.int64)
        starts[1:] = ends[:-1]
        content = ends - (data[np.maximum(ends - 1, 0)] == 10)
        crlf = (content > starts) & (data[np.maximum(content - 1, 0)] == 13)
        return cls(data, starts, ends, content - crlf, int(np.count_nonzero(crlf)))

    def __len__(self) -> int:
        return len(self.starts)

    def array(self, block: bytes) -> pa.Array:
        """The lines (with their line breaks) as an Arrow string array over ``block``."""
        offsets = np.append(self.starts, len(block)).astype(np.int64)
        return pa.LargeStringArray.from_buffers(len(self), pa.py_buffer(offsets),
                                                pa.py_buffer(block))

    def text(self, block: bytes, at: int) -> str:
        """Line ``at`` with its line break, as the reference reads it."""
        return block[self.starts[at]:self.ends[at]].decode("utf-8")


def _check_text(block: bytes, lines: _Lines) -> None:
    """Raise :class:`Unsupported` unless the block reads as the reference reads it: UTF-8, and
    line breaks LF or CRLF (Python's newline="" also breaks lines at a lone CR)."""
    if b"\r" in block and block.count(b"\r") != lines.crlf:
        raise Unsupported("a carriage return outside CRLF")
    if not block.isascii():
        try:
            block.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unsupported("not UTF-8") from exc


def _select(prefilter: Prefilter, positive: Positive, key: str, values: pa.Array) -> Flags:
    """Per value: does the reference ``key`` lookup match it? (Values may repeat.)"""
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary
    flags = np.zeros(len(distinct), dtype=bool)
    maybe = prefilter.maybe(key, distinct)
    if maybe.any():
        at = np.flatnonzero(maybe)
        texts: list[str] = distinct.take(pa.array(at)).to_pylist()
        found = positive(key, texts)
        if found:
            flags[at] = [text in found for text in texts]
    return flags[np.asarray(encoded.indices.to_numpy(), dtype=np.int64)]


@dataclass(slots=True)
class _Parsed:
    """One block ready for selection.

    Attributes:
        block, lines: its bytes and lines.
        first: the number of its first line (CSV: also its row number).
        tables: Arrow tables of the match columns, each with the block line of every row.
        reference: lines the reference code reads whatever their values.
        records: records the tables hold.
    """

    block: bytes
    lines: _Lines
    first: int
    tables: list[tuple[pa.Table, npt.NDArray[np.intp]]]
    reference: Flags
    records: int



class _Reader:
    """One file: :meth:`prepare` parses a block (helper thread, in file order), :meth:`select`
    picks and re-reads its records (calling thread, in file order)."""

    def __init__(self, path: Path, source: LogSource) -> None:
        self.path, self.source = path, source
        self.result = FastRead()
        self.bad = BadRecords(path, self.result.problems)
        self.keys = {c: lookup_key(r) for c, r in source.columns if r in MATCH_ROLES}
        self.line = 1  # number of the next line of the file (prepare only)

    def prepare_next(self, blocks: Iterator[bytes]) -> tuple[bool, _Parsed | None]:
        """``(False, None)`` at the end of the file, else ``(True, the next block parsed or
        None when it holds no record)``."""
        block = next(blocks, None)
        return (False, None) if block is None else (True, self.prepare(block))

    def prepare(self, block: bytes) -> _Parsed | None:
        """Check and parse one block of whole lines."""
        raise NotImplementedError

    def select(self, parsed: _Parsed, prefilter: Prefilter, positive: Positive) -> None:
        """Select the records of a parsed block and read them with the reference code."""
        chosen = parsed.reference.copy()
        for table, at in parsed.tables:
            chosen[at[self.selected(table, prefilter, positive)]] = True
        self.result.records += parsed.records
        self.emit(parsed, np.flatnonzero(chosen))

    def selected(self, table: pa.Table, prefilter: Prefilter, positive: Positive) -> Flags:
        """Per row of ``table``: does a match column hold a value the reference matches?"""
        raise NotImplementedError

    def emit(self, parsed: _Parsed, chosen: npt.NDArray[np.intp]) -> None:
        """Read the chosen lines with the reference code into a chunk."""
        raise NotImplementedError

    def finish(self) -> FastRead:
        self.bad.close()
        return self.result


class _CsvReader(_Reader):
    """CSV (RFC 4180, header row): records are lines once the checks of the module pass."""

    def __init__(self, path: Path, source: LogSource) -> None:
        super().__init__(path, source)
        delimiter = source.delimiter
        if len(delimiter.encode()) != 1 or delimiter in '"\r\n':
            raise Unsupported("a delimiter pyarrow cannot take")
        self.delimiter = delimiter
        quoted = r'"(?:[^"\r\n]|"")*"'
        plain = f"[^\"{re.escape(delimiter)}\\r\\n]*"
        self.quoted = quoted
        self.well_formed = f"^(?:{quoted}|{plain})(?:{re.escape(delimiter)}" \
            f"(?:{quoted}|{plain}))*\\r?\\n?$"
        self.header: list[str] | None = None
        self.wanted: list[tuple[str, int]] = []
        self.width = 0
        self.skipped = False

    def _start(self, block: bytes) -> bytes:
        """Read the header row from the first block; return the rest of the block."""
        cut = block.find(b"\n") + 1 or len(block)
        if cut > csv.field_size_limit():
            raise Unsupported("a header longer than the csv module's field limit")
        line = block[:cut].decode("utf-8")
        if '"' in line and not re.fullmatch(self.well_formed, line):
            raise Unsupported("a header row the fast path does not read")
        self.header = next(csv.reader([line], delimiter=self.delimiter), [])
        wanted = csv_columns(self.header, self.path, self.source, self.result.problems)
        if wanted is None:
            self.skipped = True
        else:
            self.wanted = wanted
            self.width = max(i for _, i in wanted) + 1
        self.line += 1
        return block[cut:]

    def prepare(self, block: bytes) -> _Parsed | None:
        if b"\0" in block:
            raise Unsupported("a NUL byte")
        if self.header is None:
            header = block[:block.find(b"\n") + 1 or len(block)]
            _check_text(header, _Lines.of(header))
            block = self._start(block)
        if self.skipped or not block:
            return None
        lines = _Lines.of(block)
        _check_text(block, lines)
        if int((lines.ends - lines.starts).max()) > csv.field_size_limit():
            raise Unsupported("a line longer than the csv module's field limit")
        first, self.line = self.line, self.line + len(lines)
        array = lines.array(block) if b'"' in block else None
        if array is not None:
            quoted = _np(pc.match_substring(array, '"'))
            shapes = _np(pc.match_substring_regex(array.filter(pa.array(quoted)),
                                                  self.well_formed))
            if not shapes.all():
                raise Unsupported("a line whose quoting the fast path does not read")
        table, irregular = self._parse(block, lines, array)
        regular = np.flatnonzero((lines.content > lines.starts) & ~irregular)
        if table.num_rows != len(regular):
            raise Unsupported("pyarrow and the line count disagree")
        return _Parsed(block, lines, first, [(table, regular)], irregular, len(lines))

    def _parse(self, block: bytes, lines: _Lines, array: pa.Array | None,
               ) -> tuple[pa.Table, Flags]:
        """The match columns of the block's lines of as many fields as the header, and which
        other lines are not blank."""
        assert self.header is not None
        width = len(self.header)
        names = [f"c{i}" for i in range(width)]
        wanted = sorted({f"c{i}" for c, i in self.wanted if c in self.keys})
        invalid: list[int] = []

        def skip(_row: Any) -> str:
            invalid.append(1)
            return "skip"

        longest = int((lines.ends - lines.starts).max())
        table = pa_csv.read_csv(
            pa.py_buffer(block),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=CSV_THREADS,
                                            block_size=max(1 << 20, 2 * longest + 2)),
            parse_options=pa_csv.ParseOptions(
                delimiter=self.delimiter, quote_char='"' if array is not None else False,
                double_quote=True, escape_char=False, newlines_in_values=False,
                ignore_empty_lines=True, invalid_row_handler=skip),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), include_columns=wanted,
                strings_can_be_null=False))
        irregular = np.zeros(len(lines), dtype=bool)
        if invalid:
            text = array if array is not None else lines.array(block)
            if array is not None:
                text = pc.replace_substring_regex(text, self.quoted, "")
            fields = np.asarray(pc.count_substring(text, self.delimiter).to_numpy()) + 1
            irregular = (lines.content > lines.starts) & (fields != width)
        return table, irregular

    def selected(self, table: pa.Table, prefilter: Prefilter, positive: Positive) -> Flags:
        chosen = np.zeros(table.num_rows, dtype=bool)
        for name, index in self.wanted:
            key = self.keys.get(name)
            if key is not None:
                values = table.column(f"c{index}").combine_chunks()
                chosen |= _select(prefilter, positive, key, values)
        return chosen

    def emit(self, parsed: _Parsed, chosen: npt.NDArray[np.intp]) -> None:
        numbers: list[int] = []
        rows: list[list[str]] = []
        for at in chosen.tolist():
            number = parsed.first + at
            row = next(csv.reader([parsed.lines.text(parsed.block, at)],
                                  delimiter=self.delimiter), [])
            rows.append(csv_padded(row, number, self.width, self.bad))
            numbers.append(number)
        if rows:
            self.result.chunks.append(Chunk(numbers, {
                name: tuple([row[i] for row in rows]) for name, i in self.wanted}))


@dataclass(frozen=True, slots=True)
class _Path:
    """A mapped JSON column: its dotted path, whether it holds lists, its lookup key."""

    path: str
    listed: bool
    key: str


class _JsonReader(_Reader):
    """JSON lines: each ``{…}`` line parsed by pyarrow, the others by the reference."""

    def __init__(self, path: Path, source: LogSource) -> None:
        super().__init__(path, source)
        self.names = [c for c, _ in source.columns]
        self.paths: list[_Path] = []
        self.schema: pa.Schema | None = None

    def _types(self, block: bytes, lines: _Lines, regular: Flags) -> None:
        """Choose each match column's Arrow type, text or list of text, by the majority of
        the first lines; a line that does not fit the choice is read by the reference."""
        lists: dict[str, int] = dict.fromkeys(self.keys, 0)
        for at in np.flatnonzero(regular)[:SAMPLE_LINES].tolist():
            try:
                obj = json.loads(block[lines.starts[at]:lines.ends[at]])
            except ValueError:
                continue
            if isinstance(obj, dict):
                for column in lists:
                    value = json_value(obj, column)
                    lists[column] += 1 if isinstance(value, list) else \
                        -1 if isinstance(value, str) else 0
        tree: dict[str, Any] = {}
        for column, votes in lists.items():
            if "" in column.split("."):
                raise Unsupported(f"JSON column {column!r} has an empty name part")
            kind = pa.list_(pa.string()) if votes > 0 else pa.string()
            _place(tree, [column], kind)
            if "." in column:
                _place(tree, column.split("."), kind)
            self.paths.append(_Path(column, votes > 0, self.keys[column]))
        self.schema = pa.schema([pa.field(k, _arrow_type(v)) for k, v in tree.items()])

    def prepare(self, block: bytes) -> _Parsed | None:
        lines = _Lines.of(block)
        _check_text(block, lines)
        if not len(lines):
            return None
        first, self.line = self.line, self.line + len(lines)
        blank = lines.content == lines.starts
        opens = lines.data[np.minimum(lines.starts, len(block) - 1)] == ord("{")
        closes = lines.data[np.maximum(lines.content - 1, 0)] == ord("}")
        regular = ~blank & opens & closes
        if self.schema is None:
            self._types(block, lines, regular)
        reference = ~blank & ~regular
        rows = np.flatnonzero(regular)
        tables: list[tuple[pa.Table, npt.NDArray[np.intp]]] = []
        if len(rows):
            buffer, offsets = _compact(block, lines, rows, bool(reference.any()))
            failed: list[int] = []
            for table, low, high in self._parse(buffer, offsets, 0, len(rows), failed):
                tables.append((table, rows[low:high]))
            reference[rows[failed]] = True
        return _Parsed(block, lines, first, tables, reference,
                       sum(table.num_rows for table, _ in tables))

    def _parse(self, buffer: pa.Buffer, offsets: npt.NDArray[np.int64], low: int,
               high: int, failed: list[int]) -> list[tuple[pa.Table, int, int]]:
        """Parse lines ``low:high`` of ``buffer``, halving pieces pyarrow refuses; the lines
        of refused pieces of at most :data:`JSON_SPLIT_LINES` lines go to ``failed``.

        Every piece starts at a ``{…}`` line: pyarrow is never handed a buffer whose first
        JSON document is not an object."""
        piece = buffer.slice(int(offsets[low]), int(offsets[high] - offsets[low]))
        longest = int(np.diff(offsets[low:high + 1]).max())
        try:
            table = pa_json.read_json(
                pa.BufferReader(piece),
                read_options=pa_json.ReadOptions(use_threads=JSON_THREADS,
                                                 block_size=max(1 << 20, 2 * longest + 2)),
                parse_options=pa_json.ParseOptions(explicit_schema=self.schema,
                                                   unexpected_field_behavior="ignore"))
            if table.num_rows == high - low:
                return [(table, low, high)]
        except pa.ArrowInvalid:
            pass
        if high - low <= JSON_SPLIT_LINES:
            failed.extend(range(low, high))
            return []
        middle = (low + high) // 2
        return [*self._parse(buffer, offsets, low, middle, failed),
                *self._parse(buffer, offsets, middle, high, failed)]

    def selected(self, table: pa.Table, prefilter: Prefilter, positive: Positive) -> Flags:
        chosen = np.zeros(table.num_rows, dtype=bool)
        for column in self.paths:
            values = _column(table, column.path)
            if column.listed:
                parents = np.asarray(pc.list_parent_indices(values).to_numpy(), dtype=np.int64)
                items = pc.list_flatten(values)
                present = _np(pc.is_valid(items))
                if not present.any():
                    continue
                hit = _select(prefilter, positive, column.key, items.filter(pa.array(present)))
                chosen[parents[present][hit]] = True
            else:
                chosen |= _select(prefilter, positive, column.key, pc.fill_null(values, ""))
        return chosen

    def emit(self, parsed: _Parsed, chosen: npt.NDArray[np.intp]) -> None:
        numbers: list[int] = []
        rows: list[tuple[str, ...]] = []
        for at in chosen.tolist():
            number = parsed.first + at
            row = json_record(parsed.lines.text(parsed.block, at), number, self.names, self.bad)
            if parsed.reference[at]:
                self.result.records += row is not None
            elif row is None:
                raise Unsupported(f"line {number}: pyarrow read what json.loads refuses")
            if row is not None:
                rows.append(row)
                numbers.append(number)
        if rows:
            self.result.chunks.append(Chunk(numbers, dict(zip(
                self.names, zip(*rows, strict=True), strict=True))))


def _compact(block: bytes, lines: _Lines, rows: npt.NDArray[np.intp], gaps: bool,
             ) -> tuple[pa.Buffer, npt.NDArray[np.int64]]:
    """The given lines as one buffer and their offsets in it (the block itself when no other
    line but blank ones lies between them)."""
    if not gaps:
        return pa.py_buffer(block), np.append(lines.starts[rows], len(block)).astype(np.int64)
    lengths = lines.ends[rows] - lines.starts[rows]
    keep = np.zeros(len(block) + 1, dtype=np.int64)
    np.add.at(keep, lines.starts[rows], 1)
    np.add.at(keep, lines.ends[rows], -1)
    mask = np.cumsum(keep[:-1]) > 0
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(lengths)
    return pa.py_buffer(lines.data[mask].tobytes()), offsets


def _place(tree: dict[str, Any], parts: list[str], kind: pa.DataType) -> None:
    """Put a leaf of type ``kind`` at ``parts`` in a tree of nested fields."""
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise Unsupported("a JSON path that is both a value and an object")
        node = child
    if node.get(parts[-1], kind) != kind:
        raise Unsupported("a JSON path that is both a value and an object")
    node[parts[-1]] = kind


def _arrow_type(node: dict[str, Any] | pa.DataType) -> pa.DataType:
    if isinstance(node, dict):
        return pa.struct([pa.field(k, _arrow_type(v)) for k, v in node.items()])
    return node


def _column(table: pa.Table, path: str) -> pa.Array:
    """``obj[path]`` when present and not null, else the nested value at the dotted path."""
    literal = table.column(path).combine_chunks()
    if "." not in path:
        return literal
    parts = path.split(".")
    nested = table.column(parts[0]).combine_chunks()
    for part in parts[1:]:
        nested = pc.struct_field(nested, [nested.type.get_field_index(part)])
    return pc.coalesce(literal, nested)
