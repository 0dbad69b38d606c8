"""Read MDS2 forms (Manufacturer Disclosure Statement for Medical Device Security, HN 1-2019)
from XLSX workbooks, one form (one device model) per workbook.

The form is a table of questions keyed by identifiers such as ``DOC-3``, ``MPII-2.3`` or
``STCF-1``, each with an answer (*Yes*, *No*, *N/A*, *See Note*, or text for the ``DOC``
questions) and optional note references. Manufacturers lay the table out slightly differently,
so the reader looks, on every sheet, for a header row naming a ``Question ID`` column (and
``Question``, an answer column — ``Answer``, ``Response``, ``Yes/No/N/A`` or ``See Note`` — and a
``Note`` column); without one it takes any row whose first non-empty cell is a question id, the
next cell as the question and the one after as the answer. Only values are read (``data_only``);
formulas and macros are never run. The form's manufacturer (DOC-1) and model (DOC-3) key it to
inventory devices (:mod:`caresec.analyze.mds2`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from caresec.collect._text import display_path
from caresec.errors import InputError
from caresec.model import InputProblem, ProblemSeverity
from caresec.model.device import Mds2Answer, Mds2Form

__all__ = ["COLLECTOR", "QUESTION_ID", "collect_mds2", "normalize_answer", "read_mds2"]

COLLECTOR = "mds2"
QUESTION_ID = re.compile(r"^[A-Z]{3,4}-\d+(?:\.\d+)*$")
"""An MDS2 question identifier (``DOC-1``, ``MPII-2.3``, ``AUDT-2.8.1``)."""

_ID_HEADERS = {"question id", "question #", "id", "question number"}
_QUESTION_HEADERS = {"question", "questions", "question text"}
_ANSWER_HEADERS = {"answer", "response", "yes/no/n/a", "yes, no, n/a, or see note",
                   "yes, no, n/a or see note", "manufacturer response", "see note", "value"}
_NOTE_HEADERS = {"note", "notes", "note #", "note number", "comments", "comment"}


def normalize_answer(value: str) -> str:
    """``yes``, ``no``, ``n/a`` or ``see note`` for those answers (any case, with trailing
    words such as ``Yes, optional``); any other text as written, stripped."""
    text = value.strip()
    lowered = text.lower()
    if re.match(r"^yes\b", lowered):
        return "yes"
    if re.match(r"^no\b", lowered):
        return "no"
    if re.match(r"^(n/?a|not applicable)\b", lowered):
        return "n/a"
    if re.match(r"^see note", lowered):
        return "see note"
    return text


def read_mds2(path: Path, *, display: str | None = None) -> tuple[Mds2Form, list[InputProblem]]:
    """Read one MDS2 workbook.

    Returns:
        The form and warnings (an id answered twice: the first kept, with ``sheet!row N``).

    Raises:
        InputError: the file is not a readable XLSX workbook, holds no question ids, or lacks
            DOC-1 (manufacturer) or DOC-3 (model), without which no device can be linked.
    """
    shown = display or str(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(shown, "", f"not a readable XLSX workbook: {exc}") from exc
    answers: list[Mds2Answer] = []
    problems: list[InputProblem] = []
    seen: dict[str, str] = {}
    try:
        for sheet in workbook.worksheets:
            rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for answer in _sheet_answers(sheet.title, rows):
                key = answer.question_id.upper()
                if key in seen:
                    problems.append(InputProblem(
                        shown, answer.place, f"{answer.question_id} is answered again (first at "
                        f"{seen[key]}); this answer is ignored",
                        severity=ProblemSeverity.WARNING, collector=COLLECTOR))
                    continue
                seen[key] = answer.place
                answers.append(answer)
    finally:
        workbook.close()
    if not answers:
        raise InputError(shown, "", "no MDS2 question ids (such as DOC-1 or STCF-1) found")
    by_id = {a.question_id.upper(): a for a in answers}
    manufacturer = by_id.get("DOC-1")
    model = by_id.get("DOC-3")
    if manufacturer is None or not manufacturer.answer or model is None or not model.answer:
        raise InputError(shown, "", "the form lacks DOC-1 (manufacturer) or DOC-3 (device "
                         "model): it cannot be linked to a device")
    return Mds2Form(
        manufacturer=manufacturer.answer, model=model.answer, answers=tuple(answers),
        document_id=by_id["DOC-4"].answer if "DOC-4" in by_id else "",
        release_date=by_id["DOC-7"].answer if "DOC-7" in by_id else "",
        source=shown,
    ), problems


def collect_mds2(
    folder: Path, display_root: Path
) -> tuple[tuple[Mds2Form, ...], tuple[InputProblem, ...]]:
    """Read every ``*.xlsx`` under ``folder`` (recursively, sorted; hidden and ``~$`` lock files
    skipped); unreadable ones become problems (collector ``mds2``)."""
    if not folder.is_dir():
        return (), ()
    forms: list[Mds2Form] = []
    problems: list[InputProblem] = []
    for path in sorted(folder.rglob("*.xlsx")):
        relative = path.relative_to(folder)
        if any(p.startswith((".", "~$")) for p in relative.parts) or not path.is_file():
            continue
        shown = display_path(path, display_root)
        try:
            form, found = read_mds2(path, display=shown)
        except InputError as exc:
            problems.append(InputProblem(exc.path, exc.place, exc.detail, collector=COLLECTOR))
            continue
        forms.append(form)
        problems.extend(found)
    return tuple(forms), tuple(problems)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_answers(title: str, rows: Sequence[Sequence[str]]) -> Iterable[Mds2Answer]:
    columns = _header(rows)
    for index, row in enumerate(rows, start=1):
        if columns is not None:
            id_col, question_col, answer_col, note_col = columns
            ident = _at(row, id_col)
            if not QUESTION_ID.match(ident.upper()):
                continue
            question, raw, note = _at(row, question_col), _at(row, answer_col), _at(row, note_col)
        else:
            cells = [(i, v) for i, v in enumerate(row) if v]
            if not cells or not QUESTION_ID.match(cells[0][1].upper()):
                continue
            ident = cells[0][1]
            rest = [v for _i, v in cells[1:]]
            question = rest[0] if rest else ""
            raw = rest[1] if len(rest) > 1 else ""
            note = rest[2] if len(rest) > 2 else ""
        yield Mds2Answer(question_id=ident.upper(), answer=normalize_answer(raw),
                         question=question, note=note, place=f"{title}!row {index}")


def _header(rows: Sequence[Sequence[str]]) -> tuple[int, int, int, int] | None:
    for row in rows[:40]:
        lowered = [v.lower().strip() for v in row]
        id_col = next((i for i, v in enumerate(lowered) if v in _ID_HEADERS), None)
        if id_col is None:
            continue
        question_col = next((i for i, v in enumerate(lowered) if v in _QUESTION_HEADERS),
                            id_col + 1)
        answer_col = next((i for i, v in enumerate(lowered)
                           if v in _ANSWER_HEADERS and i != question_col), question_col + 1)
        note_col = next((i for i, v in enumerate(lowered)
                         if v in _NOTE_HEADERS and i not in (answer_col, question_col)), -1)
        return id_col, question_col, answer_col, note_col
    return None


def _at(row: Sequence[str], index: int) -> str:
    return row[index] if 0 <= index < len(row) else ""
