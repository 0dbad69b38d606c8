"""Log exports (firewall, DNS, proxy, EDR) read column by column through a mapping file.

The mapping file is TOML: one table per log source naming its files (glob patterns relative to
the mapping file's folder), its format (``csv`` — RFC 4180, header row — or ``jsonl`` — one JSON
object per line) and which column plays which role::

    [firewall]
    files = ["firewall-*.csv"]
    format = "csv"
    [firewall.columns]
    time = "timestamp"
    src = "src_ip"
    dst = "dst_ip"

Roles (:data:`ROLES`): ``timestamp``; addresses ``src_ip``, ``dst_ip``, ``ip``; ``src_port``,
``dst_port``, ``protocol``; ``domain``, ``url``, ``email``; hashes ``md5``, ``sha1``,
``sha256`` or ``hash`` (algorithm from the length); ``file_name``; and the internal identifiers
``host`` and ``user`` (shown in the organization's report, never exported). In JSON lines a
column is a key or a dotted path (``dns.question.name``); a list value counts as each of its
elements.

Records are numbered as a person finds them: CSV ``row N`` (the header is row 1), JSON lines
``line N``. Files are read in chunks of rows, each chunk as one tuple of values per column.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from caresec.errors import ConfigError
from caresec.intel.stix_import import COLLECTOR
from caresec.model.problems import InputProblem, ProblemSeverity

ROLES = ("timestamp", "src_ip", "dst_ip", "ip", "src_port", "dst_port", "protocol", "domain",
         "url", "email", "md5", "sha1", "sha256", "hash", "file_name", "host", "user")
IP_ROLES = frozenset({"src_ip", "dst_ip", "ip"})
HASH_ROLES = frozenset({"md5", "sha1", "sha256", "hash"})
MATCH_ROLES = IP_ROLES | HASH_ROLES | {"domain", "url", "email"}
INTERNAL_ROLES = frozenset({"host", "user"})
FORMATS = ("csv", "jsonl")
LIST_SEPARATOR = "\x1f"
CHUNK_ROWS = 65_536
MAX_PROBLEMS_PER_FILE = 50


@dataclass(frozen=True, slots=True)
class LogSource:
    """One table of the mapping file.

    Attributes:
        name: the table name (``firewall``, ``dns`` …).
        files: glob patterns of its files, relative to :attr:`base`.
        format: ``csv`` or ``jsonl``.
        columns: ``(column, role)`` pairs in file order.
        base: the mapping file's folder.
        delimiter: CSV delimiter.
        timestamp_format: :func:`datetime.strptime` format for the timestamp column; ``""``
            = ISO 8601 or UNIX seconds.
        mapping_file: the mapping file (for messages).
    """

    name: str
    files: tuple[str, ...]
    format: str
    columns: tuple[tuple[str, str], ...]
    base: Path
    delimiter: str = ","
    timestamp_format: str = ""
    mapping_file: str = ""

    def role_columns(self, roles: frozenset[str] | set[str]) -> list[tuple[str, str]]:
        """``(column, role)`` pairs whose role is in ``roles``."""
        return [(c, r) for c, r in self.columns if r in roles]

    def owns(self, path: Path) -> bool:
        """True when ``path`` matches one of :attr:`files` (by relative path or name)."""
        try:
            relative = path.resolve().relative_to(self.base.resolve()).as_posix()
        except ValueError:
            relative = path.name
        return any(fnmatch.fnmatch(relative, g) or fnmatch.fnmatch(path.name, g)
                   for g in self.files)


@dataclass(slots=True)
class Chunk:
    """Consecutive records of one file.

    Attributes:
        numbers: the record number (row or line) of each record.
        columns: column → one value per record (``""`` when absent).
    """

    numbers: Sequence[int]
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_mapping(path: Path) -> tuple[LogSource, ...]:
    """Read a mapping file.

    Raises:
        ConfigError: not TOML, a table without ``files`` or ``columns``, an unknown format or
            role (the message names the file, table and key).
    """
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError as exc:
        raise ConfigError(f"log mapping {path} not found.") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"log mapping {path} cannot be read: {exc}.") from exc
    sources: list[LogSource] = []
    for name, table in data.items():
        where = f"{path}: [{name}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table.")
        unknown = sorted(set(table) - {"files", "format", "columns", "delimiter",
                                       "timestamp_format"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {', '.join(unknown)}; the known keys are "
                              f"files, format, columns, delimiter, timestamp_format.")
        files = table.get("files")
        if isinstance(files, str):
            files = [files]
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            raise ConfigError(f"{where} needs files = [\"glob\", …].")
        fmt = str(table.get("format", "csv")).lower()
        if fmt not in FORMATS:
            raise ConfigError(f"{where} format is {fmt!r}; use csv or jsonl.")
        columns = table.get("columns")
        if not isinstance(columns, dict) or not columns:
            raise ConfigError(f"{where} needs a [{name}.columns] table (column = \"role\").")
        pairs: list[tuple[str, str]] = []
        for column, role in columns.items():
            if role not in ROLES:
                raise ConfigError(f"{where}.columns: {column} has role {role!r}; roles are "
                                  f"{', '.join(ROLES)}.")
            pairs.append((str(column), str(role)))
        if not any(r in MATCH_ROLES for _, r in pairs):
            raise ConfigError(f"{where}.columns maps no column that indicators can match "
                              f"(an address, domain, url, email or hash role).")
        delimiter = str(table.get("delimiter", ","))
        if len(delimiter) != 1:
            raise ConfigError(f"{where} delimiter must be one character.")
        sources.append(LogSource(name=str(name), files=tuple(files), format=fmt,
                                 columns=tuple(pairs), base=path.parent, delimiter=delimiter,
                                 timestamp_format=str(table.get("timestamp_format", "")),
                                 mapping_file=str(path)))
    if not sources:
        raise ConfigError(f"log mapping {path} has no log source table.")
    return tuple(sources)


def assign_files(sources: Sequence[LogSource], paths: Sequence[Path],
                 ) -> tuple[list[tuple[Path, LogSource]], list[InputProblem]]:
    """Pair each log file with its mapping table.

    Args:
        sources: the mapping.
        paths: files or folders (folders: every file inside, recursively, by name); an empty
            sequence means every file the mapping's globs find.

    Returns:
        ``(pairs, problems)``: a file no table claims, or a missing path, is a problem.
    """
    problems: list[InputProblem] = []
    files: list[Path] = []
    if not paths:
        for source in sources:
            for pattern in source.files:
                files.extend(sorted(p for p in source.base.glob(pattern) if p.is_file()))
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(InputProblem(str(path), "", "no such log file or folder",
                                         collector=COLLECTOR))
    pairs: list[tuple[Path, LogSource]] = []
    for file in dict.fromkeys(files):
        owner = next((s for s in sources if s.owns(file)), None)
        if owner is None:
            if not any(file.name == Path(s.mapping_file).name for s in sources):
                problems.append(InputProblem(str(file), "", "no table of the log mapping "
                                             "claims this file (check its files globs); "
                                             "skipped", ProblemSeverity.WARNING, COLLECTOR))
            continue
        pairs.append((file, owner))
    return pairs, problems


def read_chunks(path: Path, source: LogSource, problems: list[InputProblem],
                chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Yield the records of one log file in chunks; problems are appended to ``problems``.

    A file that cannot be opened or decoded, or whose header lacks every mapped column, is
    one problem; a bad record is a problem (at most :data:`MAX_PROBLEMS_PER_FILE` per file,
    then one summary) and is skipped.
    """
    try:
        handle = path.open(encoding="utf-8-sig", newline="", errors="strict")
    except OSError as exc:
        problems.append(InputProblem(str(path), "", f"cannot be read: {exc.strerror}",
                                     collector=COLLECTOR))
        return
    with handle:
        try:
            if source.format == "csv":
                yield from _csv_chunks(handle, path, source, problems, chunk_rows)
            else:
                yield from _jsonl_chunks(handle, path, source, problems, chunk_rows)
        except UnicodeDecodeError as exc:
            problems.append(InputProblem(str(path), f"byte {exc.start}", "not UTF-8; the rest "
                                         "of the file was not read", collector=COLLECTOR))
        except csv.Error as exc:
            problems.append(InputProblem(str(path), "", f"CSV error: {exc}; the rest of the "
                                         "file was not read", collector=COLLECTOR))


class BadRecords:
    """Warnings about bad records of one file: the first :data:`MAX_PROBLEMS_PER_FILE` in
    detail, then one line counting the rest (:meth:`close`)."""

    def __init__(self, path: Path, sink: list[InputProblem]) -> None:
        self.path, self.sink, self.count = path, sink, 0

    def add(self, place: str, message: str) -> None:
        """Record one bad record at ``place`` (``row N`` / ``line N``)."""
        self.count += 1
        if self.count <= MAX_PROBLEMS_PER_FILE:
            self.sink.append(InputProblem(str(self.path), place, message,
                                          ProblemSeverity.WARNING, COLLECTOR))

    def close(self) -> None:
        """Append the count of records beyond the detailed ones, if any."""
        if self.count > MAX_PROBLEMS_PER_FILE:
            self.sink.append(InputProblem(
                str(self.path), "", f"{self.count - MAX_PROBLEMS_PER_FILE} more bad records "
                f"skipped", ProblemSeverity.WARNING, COLLECTOR))


def csv_columns(header: Sequence[str], path: Path, source: LogSource,
                sink: list[InputProblem]) -> list[tuple[str, int]] | None:
    """The mapped columns found in a CSV header row, as ``(column, index)`` in mapping order.

    Header names compare after stripping blanks and lower-casing; a mapped column missing from
    the header is a warning (``row 1``). Returns None, after appending the problem, when no
    column that indicators can match is present (the file is skipped).
    """
    position = {name.strip().lower(): i for i, name in enumerate(header)}
    wanted: list[tuple[str, int]] = []
    missing: list[str] = []
    for column, _role in source.columns:
        index = position.get(column.strip().lower())
        if index is None:
            missing.append(column)
        else:
            wanted.append((column, index))
    if missing:
        sink.append(InputProblem(str(path), "row 1", f"mapped column(s) {', '.join(missing)} "
                                 f"of [{source.name}] not in the header", ProblemSeverity.WARNING,
                                 COLLECTOR))
    if not any(dict(source.columns)[c] in MATCH_ROLES for c, _ in wanted):
        sink.append(InputProblem(str(path), "row 1", "no column that indicators can match is "
                                 "present; file skipped", collector=COLLECTOR))
        return None
    return wanted


def csv_padded(row: list[str], number: int, width: int, bad: BadRecords) -> list[str]:
    """A CSV row of at least ``width`` fields: a shorter row is padded with empty fields, and
    is a warning unless all its fields are blank (RFC 4180 §2 asks for equal field counts)."""
    if len(row) >= width:
        return row
    if row and any(cell.strip() for cell in row):
        bad.add(f"row {number}", f"{len(row)} fields, fewer than the {width} the mapped "
                "columns need; the missing ones are read as empty")
    return [*row, *([""] * (width - len(row)))]


def _csv_chunks(handle: Any, path: Path, source: LogSource, sink: list[InputProblem],
                chunk_rows: int) -> Iterator[Chunk]:
    reader = csv.reader(handle, delimiter=source.delimiter)
    header = next(reader, None)
    if header is None:
        return
    wanted = csv_columns(header, path, source, sink)
    if wanted is None:
        return
    width = max(i for _, i in wanted) + 1
    bad = BadRecords(path, sink)
    number = 2
    while True:
        rows = list(islice(reader, chunk_rows))
        if not rows:
            break
        numbers: Sequence[int] = range(number, number + len(rows))
        number += len(rows)
        try:
            columns = {name: tuple([row[i] for row in rows]) for name, i in wanted}
        except IndexError:
            padded = [csv_padded(row, n, width, bad) for row, n in zip(rows, numbers, strict=True)]
            columns = {name: tuple([row[i] for row in padded]) for name, i in wanted}
        yield Chunk(numbers, columns)
    bad.close()


def json_value(obj: dict[str, Any], path: str) -> Any:
    """The value of a mapped JSON column: ``obj[path]`` when present and not null, else, for a
    dotted path, the value reached key by key (None when absent)."""
    value: Any = obj.get(path)
    if value is None and "." in path:
        value = obj
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                break
    return value


def _lookup(obj: dict[str, Any], path: str) -> str:
    value = json_value(obj, path)
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_scalar(v) for v in value if v is not None)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def json_record(line: str, number: int, names: Sequence[str], bad: BadRecords,
                ) -> tuple[str, ...] | None:
    """The mapped values of one JSON line (:func:`json.loads`), or None for a blank line or a
    line that is not a JSON object (then a warning ``line N``)."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except ValueError as exc:
        bad.add(f"line {number}", f"not a JSON object ({exc.__class__.__name__}: "
                f"{str(exc).split(':')[0]}); skipped")
        return None
    if not isinstance(obj, dict):
        bad.add(f"line {number}", "not a JSON object; skipped")
        return None
    return tuple(_lookup(obj, name) for name in names)


def _jsonl_chunks(handle: Any, path: Path, source: LogSource, sink: list[InputProblem],
                  chunk_rows: int) -> Iterator[Chunk]:
    names = [c for c, _ in source.columns]
    bad = BadRecords(path, sink)
    number = 0
    while True:
        lines = list(islice(handle, chunk_rows))
        if not lines:
            break
        numbers: list[int] = []
        rows: list[tuple[str, ...]] = []
        for line in lines:
            number += 1
            row = json_record(line, number, names, bad)
            if row is not None:
                rows.append(row)
                numbers.append(number)
        if rows:
            yield Chunk(numbers, dict(zip(names, zip(*rows, strict=True), strict=True)))
    bad.close()


def parse_timestamp(text: str, fmt: str = "") -> datetime | None:
    """A log timestamp as an aware UTC datetime, or None when it does not parse.

    ``fmt`` ``""``: ISO 8601 (``Z`` or offset; naive = UTC) or UNIX seconds (digits, optional
    fraction); else a :func:`datetime.strptime` format.
    """
    value = text.strip()
    if not value:
        return None
    try:
        if fmt:
            parsed = datetime.strptime(value, fmt)
        elif value.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(value), tz=UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
