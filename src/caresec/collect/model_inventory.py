"""The clinical AI model inventory (``models/inventory.csv``) and the model files it names.

This collector does the I/O (reading the inventory, hashing and mapping model files) and hands
bytes to the pure scanner (:func:`caresec.analyze.modelscan.scan_model_bytes`) and the pure
finding builder (:func:`caresec.analyze.modelscan.findings.model_findings`). Model files are
read as bytes (memory-mapped read-only when large); nothing in them is ever loaded, imported or
unpickled.

``models/inventory.csv`` columns (header case and spaces/hyphens ignored; documented in
docs/model-scanning.md): ``model_id`` and ``name`` and ``files`` (required); ``version``,
``owner``, ``vendor``, ``intended_use``, ``fda_status``, ``provenance`` (``vendor-portal``,
``hub``, ``email``, ``internal``, ``other``), ``provenance_ref``, ``expected_sha256``,
``signature``, ``framework``, ``training_data_phi`` (yes/no/unknown), ``asset_id``. ``files``
and ``expected_sha256`` hold ``;``-separated lists in the same order; paths are relative to
``models/``.
"""

from __future__ import annotations

import csv
import io
import mmap
import os
import re
from pathlib import Path
from typing import cast

from caresec.analyze.modelscan import ScanPolicy, scan_model_bytes
from caresec.analyze.modelscan.catalog import model_security
from caresec.analyze.modelscan.findings import model_findings
from caresec.collect._text import decode_utf8, display_path
from caresec.collect._values import parse_bool
from caresec.errors import InputError
from caresec.model import Finding, InputProblem, ProblemSeverity
from caresec.model.ai_model import (
    ModelFileCheck,
    ModelFileRef,
    ModelFormat,
    ModelInventoryEntry,
    ModelInventoryResult,
    ProvenanceKind,
    ScanVerdict,
)

COLLECTOR = "models"
INVENTORY_NAME = "inventory.csv"
REQUIRED_COLUMNS = ("model_id", "name", "files")
OPTIONAL_COLUMNS = ("version", "owner", "vendor", "intended_use", "fda_status", "provenance",
                    "provenance_ref", "expected_sha256", "signature", "framework",
                    "training_data_phi", "asset_id")
#: Suffixes of documentation files in ``models/``: such a file is not reported as an
#: uninventoried model when it is UTF-8 text in no model format.
DOC_SUFFIXES = frozenset({".md", ".txt", ".csv", ".sig", ".asc", ".pem", ".sigstore", ".json"})
#: Files up to this size are read into memory; larger ones are memory-mapped read-only.
READ_LIMIT = 64 * 2**20

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")
_PROVENANCE = {"vendor portal": ProvenanceKind.VENDOR_PORTAL,
               "portal": ProvenanceKind.VENDOR_PORTAL,
               "model hub": ProvenanceKind.HUB, "hugging face": ProvenanceKind.HUB,
               "e-mail": ProvenanceKind.EMAIL, "mail": ProvenanceKind.EMAIL,
               "in house": ProvenanceKind.INTERNAL, "in-house": ProvenanceKind.INTERNAL}


def scan_model_file(path: Path, *, display: str, policy: ScanPolicy | None = None) -> ScanVerdict:
    """Read one file and scan it.

    Args:
        path: the file.
        display: the name shown in the verdict and errors.
        policy: scan policy (default: fail closed).

    Raises:
        InputError: the file cannot be opened or read (``place`` is empty).
    """
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= READ_LIMIT:
                return scan_model_bytes(handle.read(), name=display, policy=policy)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                # A read-only mmap is bytes-like: the scanner only slices, indexes, finds, hashes.
                return scan_model_bytes(cast(bytes, mapped), name=display, policy=policy)
    except OSError as exc:
        raise InputError(display, "", f"cannot read the file: {exc.strerror or exc}") from exc


def is_document(path: Path, verdict: ScanVerdict) -> bool:
    """True for a documentation file found while walking a folder (README, notes, the
    inventory): a name ending in one of :data:`DOC_SUFFIXES` and UTF-8 text in no model format.

    Recognized content (a protocol-0 pickle is ASCII text too) is never a document.
    """
    if path.suffix.lower() not in DOC_SUFFIXES or verdict.format is not ModelFormat.UNKNOWN:
        return False
    try:
        path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return True


def _normalize(text: str) -> str:
    return _HEADER_SEPARATORS.sub("_", text.strip().lower())


def _problem(display: str, place: str, message: str,
             severity: ProblemSeverity = ProblemSeverity.ERROR) -> InputProblem:
    return InputProblem(display, place, message, severity, COLLECTOR)


def read_model_inventory(path: Path, *, display: str) -> tuple[list[ModelInventoryEntry],
                                                                 list[InputProblem]]:
    """Parse ``models/inventory.csv``.

    Returns:
        ``(entries, problems)``. A missing required column or an unreadable file gives no
        entries and one error. A row without a required value, or with a ``model_id`` already
        used, is skipped (error naming row and column); a bad optional value is dropped
        (warning) and the row kept.
    """
    try:
        text = decode_utf8(path.read_bytes(), display=display)
    except InputError as exc:
        return [], [_problem(display, exc.place, exc.detail)]
    except OSError as exc:
        return [], [_problem(display, "", f"cannot read the file: {exc.strerror or exc}")]
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return [], [_problem(display, "", f"not valid CSV: {exc}")]
    if not rows:
        return [], [_problem(display, "", "the file is empty", ProblemSeverity.WARNING)]
    header = [_normalize(h) for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [_problem(display, "row 1",
                             f"required column(s) missing: {', '.join(missing)}")]
    problems = [_problem(display, f"row 1, column {h}", "unknown column ignored",
                         ProblemSeverity.WARNING)
                for h in header if h and h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    entries: list[ModelInventoryEntry] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
        entry = _row(cells, display, number, problems)
        if entry is None:
            continue
        if entry.model_id in seen:
            problems.append(_problem(display, f"row {number}, column model_id",
                                     f"model_id {entry.model_id!r} already used; row skipped"))
            continue
        seen.add(entry.model_id)
        entries.append(entry)
    return entries, problems


def _row(cells: dict[str, str], display: str, number: int,
         problems: list[InputProblem]) -> ModelInventoryEntry | None:
    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            problems.append(_problem(display, f"row {number}, column {column}",
                                     f"{column} is empty; row skipped"))
            return None

    def warn(column: str, message: str) -> None:
        problems.append(_problem(display, f"row {number}, column {column}", message,
                                 ProblemSeverity.WARNING))

    paths = [p.strip() for p in cells["files"].split(";") if p.strip()]
    hashes = [h.strip().lower() for h in cells.get("expected_sha256", "").split(";")]
    if cells.get("expected_sha256") and len(hashes) != len(paths):
        warn("expected_sha256", f"{len(hashes)} hash(es) for {len(paths)} file(s); hashes "
             "ignored")
        hashes = []
    refs: list[ModelFileRef] = []
    for index, rel in enumerate(paths):
        expected = hashes[index] if index < len(hashes) else ""
        if expected and not _SHA256.match(expected):
            warn("expected_sha256", f"{expected!r} is not a SHA-256 hex digest; ignored")
            expected = ""
        refs.append(ModelFileRef(rel, expected, cells.get("signature", "")))
    provenance = ProvenanceKind.OTHER
    if cells.get("provenance"):
        key = cells["provenance"].lower().replace("_", " ")
        try:
            provenance = ProvenanceKind(key.replace(" ", "-"))
        except ValueError:
            if key in _PROVENANCE:
                provenance = _PROVENANCE[key]
            else:
                warn("provenance", f"{cells['provenance']!r} is not one of "
                     f"{', '.join(p.value for p in ProvenanceKind)}; recorded as other")
    phi: bool | None = None
    if cells.get("training_data_phi") and cells["training_data_phi"].lower() != "unknown":
        try:
            phi = parse_bool(cells["training_data_phi"])
        except ValueError as exc:
            warn("training_data_phi", str(exc))
    framework = cells.get("framework", "").lower()
    if framework and framework not in model_security().allow_lists:
        warn("framework", f"unknown framework {framework!r}; the file's own format decides "
             f"(known: {', '.join(sorted(model_security().allow_lists))})")
        framework = ""
    return ModelInventoryEntry(
        model_id=cells["model_id"], name=cells["name"], files=tuple(refs),
        version=cells.get("version", ""), owner=cells.get("owner", ""),
        vendor=cells.get("vendor", ""), intended_use=cells.get("intended_use", ""),
        fda_status=cells.get("fda_status", ""), provenance=provenance,
        provenance_ref=cells.get("provenance_ref", ""), framework=framework,
        training_data_phi=phi, asset_id=cells.get("asset_id", ""),
        source=f"{display}:row {number}",
    )


def check_models(
    org_root: Path, *, policy: ScanPolicy | None = None
) -> tuple[list[ModelInventoryResult], list[ScanVerdict], list[InputProblem]]:
    """Read ``ORG/models/inventory.csv``, hash and scan every file it lists, and scan every
    other file in ``ORG/models/`` (fail closed; nothing is loaded).

    Args:
        org_root: the organization folder.
        policy: scan policy; an entry's ``framework`` replaces the policy's framework for its
            files.

    Returns:
        ``(results, uninventoried, problems)``: one :class:`ModelInventoryResult` per entry (its
        files' verdicts are the "last scan result"), the verdicts of model files no entry lists
        (documentation such as ``README.md`` is left out, see :func:`is_document`), and input
        problems naming file, row and column. No ``models/`` folder gives nothing at all; a
        folder without ``inventory.csv`` gives a warning and every file in it is uninventoried.
    """
    policy = policy or ScanPolicy()
    models_dir = org_root / "models"
    if not models_dir.is_dir():
        return [], [], []
    problems: list[InputProblem] = []
    inventory = models_dir / INVENTORY_NAME
    entries: list[ModelInventoryEntry] = []
    if inventory.is_file():
        entries, problems = read_model_inventory(inventory,
                                                 display=display_path(inventory, org_root))
    else:
        problems.append(_problem(display_path(models_dir, org_root), "",
                                 f"no {INVENTORY_NAME}: model files cannot be matched to "
                                 "owners, vendors or expected hashes", ProblemSeverity.WARNING))
    root = models_dir.resolve()
    listed: set[Path] = set()
    results: list[ModelInventoryResult] = []
    for entry in entries:
        entry_policy = ScanPolicy(entry.framework or policy.framework, policy.extra_globals,
                                  policy.required_scanners, policy.external, policy.limits)
        checks: list[ModelFileCheck] = []
        for ref in entry.files:
            if ref.signature:
                listed.add((models_dir / ref.signature).resolve())
            target = (models_dir / ref.path).resolve()
            if not target.is_relative_to(root):
                problems.append(_problem(entry.source.rsplit(":", 1)[0],
                                         entry.source.rsplit(":", 1)[1] + ", column files",
                                         f"{ref.path!r} points outside the models folder; "
                                         "not scanned"))
                checks.append(ModelFileCheck(ref, present=False))
                continue
            listed.add(target)
            if not target.is_file():
                checks.append(ModelFileCheck(ref, present=False))
                continue
            try:
                verdict = scan_model_file(target, display=display_path(target, org_root),
                                          policy=entry_policy)
            except InputError as exc:
                problems.append(_problem(exc.path, exc.place, exc.detail))
                checks.append(ModelFileCheck(ref, present=False))
                continue
            matches = verdict.sha256 == ref.expected_sha256 if ref.expected_sha256 else None
            checks.append(ModelFileCheck(ref, True, verdict.sha256, matches, verdict))
        results.append(ModelInventoryResult(entry, tuple(checks)))
    uninventoried: list[ScanVerdict] = []
    for path in sorted(p for p in models_dir.rglob("*") if p.is_file()):
        if path.resolve() in listed or path == inventory or path.name.startswith("."):
            continue
        try:
            verdict = scan_model_file(path, display=display_path(path, org_root), policy=policy)
        except InputError as exc:
            problems.append(_problem(exc.path, exc.place, exc.detail))
            continue
        if is_document(path, verdict):
            continue
        uninventoried.append(verdict)
    return results, uninventoried, problems


def scan_model_inventory(
    org_root: Path, *, policy: ScanPolicy | None = None
) -> tuple[list[ModelInventoryResult], list[Finding], list[InputProblem]]:
    """Check the organization's AI models: inventory, hashes, and a fail-closed scan of every
    file in ``ORG/models/`` (:func:`check_models`), then their findings.

    Args:
        org_root: the organization folder.
        policy: scan policy (see :func:`check_models`).

    Returns:
        ``(results, findings, problems)``: the :func:`check_models` results, findings of kind
        ``model-risk`` (see :func:`~caresec.analyze.modelscan.findings.model_findings`; each with
        threat events and a likelihood), and input problems.
    """
    results, uninventoried, problems = check_models(org_root, policy=policy)
    return results, model_findings(results, uninventoried), problems
