"""Read the organization's asset inventory (CSV or XLSX files) into :class:`~caresec.model.Asset`.

Each ``*.csv`` and ``*.xlsx`` file in the inventory folder is one table whose first row names
the columns (documented in ``docs/org-folder.md``). The inventory is what HIPAA's risk analysis
starts from: "an accurate and thorough assessment of the potential risks and vulnerabilities to
the confidentiality, integrity, and availability of electronic protected health information"
(45 CFR 164.308(a)(1)(ii)(A)) needs to know where ePHI is. Nothing in a bad file or row stops
collection: each problem becomes an :class:`~caresec.model.InputProblem` naming the file and
``row N, column X`` (N is the spreadsheet row number; the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from caresec.collect import _values
from caresec.collect._text import decode_utf8, display_path, problem_from_error
from caresec.errors import InputError
from caresec.model import Asset, InputProblem, OrgConfig, ProblemSeverity

COLLECTOR = "inventory"
INVENTORY_SUFFIXES = (".csv", ".xlsx")
REQUIRED_COLUMNS = ("asset_id", "name", "kind", "holds_ephi", "criticality")
OPTIONAL_COLUMNS = (
    "vendor",
    "model",
    "version",
    "department",
    "location",
    "owner",
    "ip",
    "network_zone",
    "internet_facing",
    "ephi_records",
    "end_of_support",
    "sbom",
)
_KNOWN = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")

# Required columns whose value must parse, else the row is skipped.
_REQUIRED_PARSERS: dict[str, Callable[[str], Any]] = {
    "kind": _values.parse_kind,
    "criticality": _values.parse_criticality,
    "holds_ephi": _values.parse_bool,
}
# Optional columns whose bad value is dropped with a warning; the field they fill.
_OPTIONAL_PARSERS: dict[str, Callable[[str], Any]] = {
    "network_zone": _values.parse_zone,
    "internet_facing": _values.parse_bool,
    "ephi_records": _values.parse_count,
    "end_of_support": _values.parse_date,
    "ip": _values.parse_ip,
    "sbom": _values.parse_sbom_list,
}
_FIELD_OF = {"sbom": "sbom_files"}
_TEXT_COLUMNS = ("vendor", "model", "version", "department", "location", "owner")


def normalize_header(text: str) -> str:
    """Column name as matched: stripped, lower-cased, runs of spaces/hyphens → ``_``."""
    return _HEADER_SEPARATORS.sub("_", text.strip().lower())


def collect_inventory(org: OrgConfig) -> tuple[tuple[Asset, ...], tuple[InputProblem, ...]]:
    """Read every ``*.csv`` and ``*.xlsx`` file in ``org.inventory_dir`` (sorted by name).

    Hidden files and Excel lock files (``~$…``) are ignored. An ``asset_id`` already used by an
    earlier row (in this or an earlier file) is an error for the later row, which is skipped.

    Returns:
        ``(assets, problems)``: assets in file then row order; problems in the same order.
        A missing inventory folder is one error problem; an empty one is one warning.
    """
    folder_display = display_path(org.inventory_dir, org.root)
    if not org.inventory_dir.is_dir():
        problem = _problem(
            folder_display, "", "the inventory folder does not exist; no assets were read "
            "(create it, or set [paths] inventory in caresec.toml)"
        )
        return (), (problem,)
    files = sorted(
        p for p in org.inventory_dir.iterdir()
        if p.is_file() and p.suffix.lower() in INVENTORY_SUFFIXES
        and not p.name.startswith((".", "~$"))
    )
    if not files:
        warning = _problem(
            folder_display, "", "no inventory files (*.csv, *.xlsx) found; no assets were read",
            ProblemSeverity.WARNING,
        )
        return (), (warning,)
    assets: list[Asset] = []
    problems: list[InputProblem] = []
    for path in files:
        file_assets, file_problems = read_inventory_file(path, display=display_path(path, org.root))
        assets.extend(file_assets)
        problems.extend(file_problems)
    kept, duplicate_problems = _drop_duplicate_ids(assets)
    return tuple(kept), tuple(problems + duplicate_problems)


def read_inventory_file(path: Path, *, display: str) -> tuple[list[Asset], list[InputProblem]]:
    """Read one inventory file (``.csv`` UTF-8 with or without BOM, or ``.xlsx`` first sheet).

    Args:
        path: the file.
        display: the path as shown to the user (relative to the org folder); problems and
            :attr:`Asset.source` (``display:row N``) use it.

    Returns:
        ``(assets, problems)``. A file that cannot be read (not UTF-8: the byte offset is named;
        corrupt XLSX; CSV syntax error) or lacks a required column yields no assets and an error
        problem per cause. A row with a missing/bad required value is skipped (error problem
        per bad cell); a bad optional value is dropped (warning) and the row kept. Duplicate
        ``asset_id`` values within the file are errors for the later rows.
    """
    try:
        rows = _read_xlsx(path, display) if path.suffix.lower() == ".xlsx" else _read_csv(
            path, display
        )
    except InputError as exc:
        return [], [problem_from_error(exc, COLLECTOR)]
    table = _Table.from_rows(rows, display)
    if table.fatal:
        return [], table.problems
    assets: list[Asset] = []
    problems = list(table.problems)
    for row_number, cells in table.data_rows:
        asset, row_problems = _row_to_asset(table, row_number, cells, display)
        problems.extend(row_problems)
        if asset is not None:
            assets.append(asset)
    kept, duplicate_problems = _drop_duplicate_ids(assets)
    return kept, problems + duplicate_problems


@dataclass
class _Table:
    """A header row mapped to columns, and the data rows after it (row number, cells)."""

    display: str
    columns: list[str] = field(default_factory=list)  # normalized name per column ("" = none)
    headers: list[str] = field(default_factory=list)  # header text as written
    data_rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    fatal: bool = False

    @classmethod
    def from_rows(cls, rows: Sequence[list[str]], display: str) -> _Table:
        table = cls(display)
        numbered = [(i, r) for i, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
        if not numbered:
            table.problems.append(_problem(display, "", "the file is empty: no header row"))
            table.fatal = True
            return table
        header_row, header = numbered[0]
        table.headers = [h.strip() for h in header]
        table.columns = [normalize_header(h) for h in header]
        seen: dict[str, int] = {}
        for index, name in enumerate(table.columns):
            if name and name in seen and name in _KNOWN:
                table.problems.append(_problem(
                    display, f"row {header_row}, column {name}",
                    f"column {name} appears twice (columns {_letter(seen[name])} and "
                    f"{_letter(index)}); the file was skipped",
                ))
                table.fatal = True
            seen.setdefault(name, index)
        for name in REQUIRED_COLUMNS:
            if name not in seen:
                found = ", ".join(h for h in table.headers if h) or "none"
                table.problems.append(_problem(
                    display, f"row {header_row}, column {name}",
                    f"required column {name} is missing (columns found: {found}); "
                    "the file was skipped",
                ))
                table.fatal = True
        table.data_rows = [(n, r) for n, r in numbered[1:]]
        unnamed = [i for i, name in enumerate(table.columns) if not name]
        if any(i < len(r) and r[i].strip() for i in unnamed for _, r in table.data_rows):
            letters = ", ".join(_letter(i) for i in unnamed)
            table.problems.append(_problem(
                display, f"row {header_row}", f"column(s) {letters} have values but no header; "
                "those values were ignored", ProblemSeverity.WARNING,
            ))
        return table


def _row_to_asset(
    table: _Table, row_number: int, cells: list[str], display: str
) -> tuple[Asset | None, list[InputProblem]]:
    problems: list[InputProblem] = []
    values: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    width = len(table.columns)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        problems.append(_problem(
            display, f"row {row_number}",
            f"the row has {len(cells)} values but the header has {width} columns; "
            "the values past the last column were ignored", ProblemSeverity.WARNING,
        ))
    for index, name in enumerate(table.columns):
        value = cells[index].strip() if index < len(cells) else ""
        if not name:
            continue
        if name in _KNOWN:
            values[name] = value
        elif value:
            extra.append((table.headers[index], value))

    def place(column: str) -> str:
        return f"row {row_number}, column {column}"

    fields: dict[str, Any] = {}
    bad_required = False
    for name in REQUIRED_COLUMNS:
        value = values.get(name, "")
        if not value:
            problems.append(_problem(display, place(name),
                                     f"{name} is empty; it is required, so the row was skipped"))
            bad_required = True
            continue
        parser = _REQUIRED_PARSERS.get(name)
        if parser is None:
            fields[name] = value
            continue
        try:
            fields[name] = parser(value)
        except ValueError as exc:
            problems.append(_problem(display, place(name), f"{exc}; the row was skipped"))
            bad_required = True
    if bad_required:
        return None, problems

    for name in _TEXT_COLUMNS:
        if values.get(name):
            fields[name] = values[name]
    for name, parser in _OPTIONAL_PARSERS.items():
        value = values.get(name, "")
        if not value:
            continue
        try:
            fields[_FIELD_OF.get(name, name)] = parser(value)
        except ValueError as exc:
            problems.append(_problem(display, place(name), f"{exc}; the value was ignored",
                                     ProblemSeverity.WARNING))
    asset = Asset(**fields, extra=tuple(extra), source=f"{display}:row {row_number}")
    return asset, problems


def _drop_duplicate_ids(assets: Iterable[Asset]) -> tuple[list[Asset], list[InputProblem]]:
    """Keep the first asset for each ``asset_id``; each later one is an error problem."""
    first: dict[str, Asset] = {}
    kept: list[Asset] = []
    problems: list[InputProblem] = []
    for asset in assets:
        earlier = first.get(asset.asset_id)
        if earlier is None:
            first[asset.asset_id] = asset
            kept.append(asset)
            continue
        file, row = split_source(asset.source)
        earlier_file, earlier_row = split_source(earlier.source)
        where = f"row {earlier_row}"
        if earlier_file != file:
            where = f"{earlier_file} {where}"
        problems.append(_problem(
            file, f"row {row}, column asset_id",
            f"asset_id {asset.asset_id!r} is already used by {where}; this row was skipped",
        ))
    return kept, problems


def split_source(source: str) -> tuple[str, int]:
    """``("inventory/assets.csv", 5)`` from an :attr:`Asset.source` ``inventory/assets.csv:row 5``.

    Raises:
        ValueError: ``source`` is not in that form.
    """
    file, _, row = source.rpartition(":row ")
    if not file or not row.isdigit():
        raise ValueError(f"not an inventory source: {source!r}")
    return file, int(row)


_CSV_FIELD_LIMIT = 16 * 1024 * 1024


def _read_csv(path: Path, display: str) -> list[list[str]]:
    """Rows of a CSV file (RFC 4180; ``;`` or tab delimiter when the header has no comma)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(display, "", f"cannot be read: {exc.strerror}") from exc
    text = decode_utf8(data, display=display)
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        if ";" in first_line:
            delimiter = ";"
        elif "\t" in first_line:
            delimiter = "\t"
    # Python's default field limit (128 KiB) rejects a whole file for one long cell; an
    # inventory cell past this limit is an error on that file.
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        rows.extend(reader)
    except csv.Error as exc:
        raise InputError(display, f"line {reader.line_num}", f"CSV syntax error: {exc}") from exc
    return rows


def _read_xlsx(path: Path, display: str) -> list[list[str]]:
    """Rows of the first sheet of an XLSX workbook, cell values as text (formulas' cached values).

    openpyxl parses the workbook's XML with defusedxml when it is installed (it is a caresec
    dependency), so entity-expansion tricks inside a workbook are refused.
    """
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise InputError(
            display, "", f"not a readable XLSX workbook ({type(exc).__name__}: {exc})",
            hint="Open it in a spreadsheet program and save it again as .xlsx.",
        ) from exc
    try:
        if not workbook.worksheets:
            raise InputError(display, "", "the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except InputError:
        raise
    except Exception as exc:  # damaged sheet XML surfaces while iterating
        raise InputError(
            display, "", f"the first worksheet cannot be read ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A spreadsheet cell as inventory text: dates ISO, whole floats without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _problem(
    file: str, place: str, message: str, severity: ProblemSeverity = ProblemSeverity.ERROR
) -> InputProblem:
    return InputProblem(file=file, place=place, message=message, severity=severity,
                        collector=COLLECTOR)
