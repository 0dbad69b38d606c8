"""Scan files, folders, archives and databases into an ePHI inventory.

:func:`scan_sources` is the collector: it reads what it is given (files by content and name,
folders recursively, ZIP members, database tables), detects identifiers with
:class:`~caresec.phi.PhiDetector` in worker processes (one per core), and returns a
:class:`~caresec.model.phi.PhiInventory` that holds counts, keyed pseudonyms and redacted
examples only. Unreadable input (corrupt PDF/DOCX/XLSX/DICOM, binary files, files over the size
limit, zip bombs) is skipped with a problem naming the file; the scan goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from caresec import privacy
from caresec.collect.phi.accumulate import Tally
from caresec.collect.phi.archive import scan_zip
from caresec.collect.phi.context import FileContext, Limits
from caresec.collect.phi.database import redact_url, scan_database
from caresec.collect.phi.documents import decode_text, scan_docx, scan_eml, scan_pdf, scan_plain
from caresec.collect.phi.structured import scan_csv, scan_dicom, scan_hl7, scan_json, scan_xlsx
from caresec.model.phi import Change, DataSource, PhiInventory, PhiLocation
from caresec.model.problems import InputProblem
from caresec.phi.engine import DetectorConfig, PhiDetector

#: ``progress(done, total, name)``: called after each file or database.
Progress = Callable[[int, int, str], None]

_TEXT_SUFFIXES = frozenset({".txt", ".text", ".note", ".notes", ".md", ".log", ".rtf", ".xml",
                            ".html", ".htm", ".cda", ".ccd", ".csv", ".tsv", ".tab", ".json",
                            ".ndjson", ".jsonl", ".hl7", ".er7", ".hl7v2", ".dat", ""})
_SKIP_NAMES = frozenset({".DS_Store", "Thumbs.db"})
_PROCESS_DETECTOR: PhiDetector | None = None


@dataclass(frozen=True, slots=True)
class _Job:
    path: str
    display: str
    key: bytes
    limits: Limits
    config: DetectorConfig


@dataclass(frozen=True, slots=True)
class _Result:
    display: str
    locations: tuple[PhiLocation, ...]
    problems: tuple[InputProblem, ...]
    files: int
    size: int
    clean: int


def sniff(name: str, head: bytes) -> str:
    """The format of a file from its first bytes, then its name: ``pdf``, ``zip``, ``docx``,
    ``xlsx``, ``dicom``, ``hl7``, ``json``, ``ndjson``, ``csv``, ``tsv``, ``eml``, ``text`` or
    ``binary``."""
    lower = name.lower()
    suffix = os.path.splitext(lower)[1]
    if head.startswith(b"%PDF") or suffix == ".pdf":
        return "pdf"
    if head[128:132] == b"DICM" or suffix in (".dcm", ".dicom"):
        return "dicom"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06") or suffix in (
            ".zip", ".docx", ".xlsx", ".xlsm"):
        return {".docx": "docx", ".xlsx": "xlsx", ".xlsm": "xlsx"}.get(suffix, "zip")
    if suffix == ".eml":
        return "eml"
    text_like = b"\x00" not in head[:8192]
    if not text_like:
        return "binary"
    stripped = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if stripped.startswith(b"MSH|") or suffix in (".hl7", ".er7", ".hl7v2"):
        return "hl7"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix == ".json" or stripped.startswith((b"{", b"[")):
        return "json"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix == ".csv":
        return "csv"
    if suffix in _TEXT_SUFFIXES or suffix in (".txt",):
        return "text"
    if stripped[:200].lower().startswith((b"from:", b"received:", b"return-path:", b"to:",
                                          b"message-id:", b"subject:", b"date:")):
        return "eml"
    return "text"


def scan_bytes(ctx: FileContext, location: str, data: bytes) -> None:
    """Scan one input given as bytes (a file read whole, an archive member, an attachment)."""
    ctx.files += 1
    fmt = sniff(location.rsplit("!", 1)[-1], data[:8192])
    if fmt == "binary":
        ctx.problem(location, "", "binary file of no supported format (PDF, DOCX, XLSX, DICOM, "
                    "ZIP); not scanned")
        return

    def member(name: str, content: bytes) -> None:
        scan_bytes(ctx, f"{location}!{name}" if "!" not in name else name, content)

    if fmt == "pdf":
        scan_pdf(ctx, location, data)
    elif fmt == "dicom":
        scan_dicom(ctx, location, data)
    elif fmt == "docx":
        scan_docx(ctx, location, data)
    elif fmt == "xlsx":
        try:
            scan_xlsx(ctx, location, data)
        except Exception as exc:  # openpyxl raises zipfile, KeyError, lxml and its own errors
            ctx.problem(location, "", f"not a readable XLSX workbook ({type(exc).__name__}: "
                        f"{exc})")
    elif fmt == "zip":
        scan_zip(ctx, location, data, lambda name, content: scan_bytes(ctx, name, content))
    elif fmt == "eml":
        scan_eml(ctx, location, data, member)
    else:
        text = decode_text(data)
        if fmt == "hl7":
            scan_hl7(ctx, location, text)
        elif fmt in ("json", "ndjson"):
            ndjson = fmt == "ndjson" or (text.lstrip().startswith("{") and "\n{" in text.strip()
                                         and not text.rstrip().endswith("]"))
            scan_json(ctx, location, text, ndjson=ndjson and _is_ndjson(text))
        elif fmt in ("csv", "tsv"):
            scan_csv(ctx, location, text, delimiter="\t" if fmt == "tsv" else None)
        else:
            scan_plain(ctx, location, text)


def _is_ndjson(text: str) -> bool:
    import json

    lines = [ln for ln in text.splitlines()[:3] if ln.strip()]
    try:
        for line in lines:
            json.loads(line)
    except ValueError:
        return False
    return len(lines) > 1


def scan_path(ctx: FileContext, path: Path, display: str) -> int:
    """Scan one file (size-limited); returns the bytes read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        ctx.problem(display, "", f"cannot read ({exc.strerror})")
        return 0
    if size > ctx.limits.max_file_bytes:
        ctx.problem(display, "", f"file of {size} bytes exceeds the {ctx.limits.max_file_bytes}"
                    "-byte limit; skipped")
        return 0
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
            if head.startswith(b"SQLite format 3\x00"):
                ctx.files += 1
                scan_database(ctx, f"sqlite:///file:{path.resolve()}?mode=ro&uri=true", display)
                return size
            fmt = sniff(path.name, head)
            if fmt not in ("text", "csv", "tsv", "hl7", "ndjson") and \
                    size > ctx.limits.max_document_bytes:
                ctx.problem(display, "", f"{fmt} file of {size} bytes exceeds the "
                            f"{ctx.limits.max_document_bytes}-byte limit for parsed documents; "
                            "skipped")
                return 0
            data = head + handle.read()
    except OSError as exc:
        ctx.problem(display, "", f"cannot read ({exc.strerror})")
        return 0
    before = len(ctx.tallies)
    scan_bytes(ctx, display, data)
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    for tally in ctx.tallies[before:]:
        tally.modified = modified
        if tally.kind == "file" and "!" not in tally.location:
            tally.size = size
    return size


def _init_worker() -> None:
    global _PROCESS_DETECTOR
    _PROCESS_DETECTOR = None


def _detector(config: DetectorConfig) -> PhiDetector:
    global _PROCESS_DETECTOR
    if _PROCESS_DETECTOR is None or _PROCESS_DETECTOR.config != config:
        _PROCESS_DETECTOR = PhiDetector(config)
    return _PROCESS_DETECTOR


def _run(job: _Job) -> _Result:
    ctx = FileContext(_detector(job.config), job.key, job.limits)
    size = scan_path(ctx, Path(job.path), job.display)
    return _finish(ctx, job.display, size)


def _finish(ctx: FileContext, display: str, size: int) -> _Result:
    locations = []
    clean = 0
    for tally in ctx.tallies:
        location = tally.finish()
        if location is None:
            clean += 1
        else:
            locations.append(location)
    return _Result(display, tuple(locations), tuple(ctx.problems), ctx.files, size, clean)


def iter_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Files under ``paths`` (folders recursively, hidden files and folders skipped), sorted."""
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name not in _SKIP_NAMES:
                        yield Path(root) / name
        else:
            yield path


def scan_sources(
    paths: Sequence[Path | DataSource],
    *,
    dbs: Sequence[str | DataSource] = (),
    key: bytes,
    progress: Progress | None = None,
    root: Path | None = None,
    previous: PhiInventory | None = None,
    limits: Limits | None = None,
    config: DetectorConfig | None = None,
    workers: int | None = None,
) -> PhiInventory:
    """Scan files, folders and databases into an ePHI inventory.

    Args:
        paths: files or folders (or :class:`DataSource` records linking them to an asset).
        dbs: SQLAlchemy database URLs (or :class:`DataSource` records).
        key: the organization's pseudonym key (:func:`caresec.privacy.load_or_create_key`).
        progress: called with ``(done, total, name)`` after each file and database.
        root: locations inside this folder are shown relative to it.
        previous: the previous inventory (same key), for each location's change.
        limits: size limits (:class:`Limits`).
        config: detector settings.
        workers: processes to use (default: the number of CPUs; 1 = in this process).

    Returns:
        The :class:`PhiInventory`. A path that does not exist is a problem in it, not an
        exception.
    """
    limits = limits or Limits()
    config = config or DetectorConfig()
    started = datetime.now(UTC)
    sources = [p if isinstance(p, DataSource) else DataSource(str(p)) for p in paths]
    db_sources = [d if isinstance(d, DataSource) else DataSource(d) for d in dbs]
    problems: list[InputProblem] = []
    jobs: list[tuple[_Job, DataSource]] = []
    for source in sources:
        base = Path(source.location)
        if not base.exists():
            problems.append(InputProblem(_display(base, root), "", "no such file or folder",
                                         collector="phi"))
            continue
        for file in iter_files([base]):
            jobs.append((_Job(str(file), _display(file, root), key, limits, config), source))
    total = len(jobs) + len(db_sources)
    results: list[tuple[_Result, DataSource]] = []
    done = 0
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=min(count, len(jobs)),
                                 initializer=_init_worker) as pool:
            for result, (_, source) in zip(
                    pool.map(_run, [j for j, _ in jobs], chunksize=1), jobs, strict=True):
                results.append((result, source))
                done += 1
                if progress:
                    progress(done, total, result.display)
    else:
        for job, source in jobs:
            results.append((_run(job), source))
            done += 1
            if progress:
                progress(done, total, job.display)
    for source in db_sources:
        ctx = FileContext(_detector(config), key, limits)
        scan_database(ctx, source.location)
        result = _finish(ctx, f"db:{redact_url(source.location)}", 0)
        results.append((result, source))
        done += 1
        if progress:
            progress(done, total, result.display)
    locations: list[PhiLocation] = []
    files = size = clean = 0
    for result, source in results:
        files += result.files
        size += result.size
        clean += result.clean
        problems.extend(result.problems)
        locations.extend(replace(loc, asset_id=source.asset_id, owner=source.owner)
                         for loc in result.locations)
    roots = [_display(Path(s.location), root) for s in sources]
    roots += [f"db:{redact_url(d.location)}" for d in db_sources]
    locations = changes_since(locations, previous, roots)
    locations.sort(key=lambda loc: (loc.change is Change.REMOVED, loc.sensitivity.rank,
                                    -loc.total, loc.location))
    return PhiInventory(
        scanned_at=started,
        key_id=privacy.key_id(key),
        locations=tuple(locations),
        problems=tuple(problems),
        files=files,
        bytes=size,
        clean=clean,
        sources=tuple((*sources, *(replace(d, location=f"db:{redact_url(d.location)}")
                                   for d in db_sources))),
    )


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def changes_since(current: list[PhiLocation], previous: PhiInventory | None,
                  roots: Sequence[str]) -> list[PhiLocation]:
    """Set each location's change against ``previous`` (matched by ``location``; equal
    digests are ``unchanged``); add ``removed`` entries for previous locations under one of
    ``roots`` (the scanned inputs, as displayed) that no longer hold identifiers. With no
    ``previous``, ``current`` is returned as it is (change ``first scan``)."""
    if previous is None:
        return current
    before = {loc.location: loc for loc in previous.locations if loc.change is not Change.REMOVED}
    out: list[PhiLocation] = []
    seen: set[str] = set()
    for loc in current:
        old = before.get(loc.location)
        seen.add(loc.location)
        if old is None:
            out.append(replace(loc, change=Change.NEW))
        elif old.digest == loc.digest:
            out.append(replace(loc, change=Change.UNCHANGED))
        else:
            out.append(replace(loc, change=Change.CHANGED, change_detail=_delta(old, loc)))
    for name, old in before.items():
        under = any(name == r or name.startswith((r.rstrip("/") + "/", r + "!", r + "#"))
                    for r in roots)
        if name not in seen and under:
            out.append(replace(old, change=Change.REMOVED, change_detail="no identifiers now"))
    return out


def _delta(old: PhiLocation, new: PhiLocation) -> str:
    a, b = dict(old.counts), dict(new.counts)
    parts = []
    for kind in sorted(set(a) | set(b), key=lambda k: k.value):
        diff = b.get(kind, 0) - a.get(kind, 0)
        if diff:
            parts.append(f"{kind.value} {diff:+d}")
    if new.individuals != old.individuals:
        parts.append(f"individuals {new.individuals - old.individuals:+d}")
    return ", ".join(parts) or "same counts, different values"


__all__ = ["Limits", "Progress", "Tally", "changes_since", "iter_files", "scan_bytes", "scan_path",
           "scan_sources", "sniff"]
