"""Read the CISA Known Exploited Vulnerabilities (KEV) catalog.

Source format: CISA's ``known_exploited_vulnerabilities.json`` (schema
``known_exploited_vulnerabilities_schema.json`` in github.com/cisagov/kev-data): an object with
``vulnerabilities[]``, each with ``cveID``, ``dateAdded`` and ``dueDate`` (``YYYY-MM-DD``),
``knownRansomwareCampaignUse`` (``Known`` or ``Unknown``) and ``vulnerabilityName``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from caresec.collect._text import decode_utf8
from caresec.errors import InputError
from caresec.model import InputProblem, KevEntry, ProblemSeverity

__all__ = ["MAX_KEV_BYTES", "read_kev"]

MAX_KEV_BYTES = 256 * 1024 * 1024
"""Largest KEV file read (bytes); the 2025 catalog is about 1.3 MB."""

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def read_kev(
    path: Path, *, display: str | None = None
) -> tuple[dict[str, KevEntry], list[InputProblem]]:
    """Read a KEV catalog.

    Args:
        path: the JSON file.
        display: how to name the file in problems (defaults to ``str(path)``).

    Returns:
        Entries keyed by CVE id, and a problem (collector ``kev``, place
        ``/vulnerabilities/N/field``) for each entry skipped because its ``cveID`` or
        ``dateAdded`` is missing or malformed.

    Raises:
        InputError: the file cannot be read, is over :data:`MAX_KEV_BYTES`, is not UTF-8 JSON,
            or has no ``vulnerabilities`` list.
    """
    shown = display if display is not None else str(path)
    try:
        size = path.stat().st_size
        if size > MAX_KEV_BYTES:
            raise InputError(shown, "", f"{size} bytes is over the {MAX_KEV_BYTES}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(shown, "", f"cannot be read: {exc.strerror or exc}") from exc
    text = decode_utf8(data, display=shown)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(shown, f"line {exc.lineno}, column {exc.colno}",
                         f"not valid JSON: {exc.msg.removesuffix(' at')}") from exc
    rows = doc.get("vulnerabilities") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InputError(shown, "/vulnerabilities", "not a KEV catalog (no 'vulnerabilities' list)")
    entries: dict[str, KevEntry] = {}
    problems: list[InputProblem] = []
    for index, row in enumerate(rows):
        try:
            entry = _entry(row, f"/vulnerabilities/{index}")
        except _Skip as skip:
            problems.append(InputProblem(file=shown, place=skip.place, message=skip.message,
                                         severity=ProblemSeverity.ERROR, collector="kev"))
            continue
        entries[entry.cve_id] = entry
    return entries, problems


class _Skip(ValueError):
    def __init__(self, place: str, message: str) -> None:
        super().__init__(message)
        self.place = place
        self.message = message


def _entry(row: Any, pointer: str) -> KevEntry:
    if not isinstance(row, dict):
        raise _Skip(pointer, "a KEV entry must be an object")
    cve = row.get("cveID")
    if not isinstance(cve, str) or not _CVE.fullmatch(cve.strip()):
        raise _Skip(f"{pointer}/cveID", f"{cve!r} is not a CVE id (CVE-YYYY-NNNN)")
    added = _date(row.get("dateAdded"))
    if added is None:
        raise _Skip(f"{pointer}/dateAdded", f"{row.get('dateAdded')!r} is not a YYYY-MM-DD date")
    name = row.get("vulnerabilityName")
    return KevEntry(
        cve_id=cve.strip(),
        date_added=added,
        due_date=_date(row.get("dueDate")),
        ransomware=str(row.get("knownRansomwareCampaignUse", "")).strip().lower() == "known",
        name=name.strip() if isinstance(name, str) else "",
    )


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
