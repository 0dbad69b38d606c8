"""Scan files, folders, archives and databases into an ePHI inventory.

:func:`scan_sources` is the collector: it reads what it is given (files by content and name,
folders recursively, ZIP members, database tables), detects identifiers with
:class:`~caresec.phi.PhiDetector` in worker processes (one per core), and returns a
:class:`~caresec.model.phi.PhiInventory` that holds counts, keyed pseudonyms and redacted
examples only. Unreadable input (corrupt PDF/DOCX/XLSX/DICOM, binary files, files over the size
limit, zip bombs) is skipped with a problem naming the file; the scan goes on.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from caresec import privacy
from caresec.collect.phi.accumulate import Tally
from caresec.collect.phi.archive import scan_zip
from caresec.collect.phi.context import FileContext, Limits
from caresec.collect.phi.database import redact_url, scan_database
from caresec.collect.phi.documents import decode_text, scan_docx, scan_eml, scan_pdf, scan_plain
from caresec.collect.phi.structured import (
    csv_parts,
    scan_csv,
    scan_dicom,
    scan_hl7,
    scan_json,
    scan_ndjson,
    scan_xlsx,
)
from caresec.collect.phi.tables import drop_unkeyed_dates
from caresec.model.phi import Change, DataSource, PhiInventory, PhiLocation
from caresec.model.problems import InputProblem
from caresec.phi.engine import DetectorConfig, PhiDetector

#: ``progress(done, total, name)``: called after each file, table part or database.
Progress = Callable[[int, int, str], None]

_TEXT_SUFFIXES = frozenset({".txt", ".text", ".note", ".notes", ".md", ".log", ".rtf", ".xml",
                            ".html", ".htm", ".cda", ".ccd", ".csv", ".tsv", ".tab", ".json",
                            ".ndjson", ".jsonl", ".hl7", ".er7", ".hl7v2", ".dat", ""})
_SKIP_NAMES = frozenset({".DS_Store", "Thumbs.db"})
_PROCESS_DETECTOR: PhiDetector | None = None
#: Small files go to a worker process in batches of up to this many bytes or files.
BATCH_BYTES = 1 << 20
BATCH_FILES = 32


@dataclass(frozen=True, slots=True)
class _Job:
    path: str
    display: str
    key: bytes
    limits: Limits
    config: DetectorConfig
    size: int = 0
    #: one part of a large table: (start, end, delimiter, encoding)
    part: tuple[int, int, str | None, str] | None = None


@dataclass(frozen=True, slots=True)
class _Result:
    display: str
    locations: tuple[PhiLocation, ...]
    problems: tuple[InputProblem, ...]
    files: int
    size: int
    clean: int
    #: a part of a table: its column tallies, unfinished, to merge with the other parts
    tallies: tuple[Tally, ...] = ()


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
    elif fmt in ("csv", "tsv"):
        scan_csv(ctx, location, io.BytesIO(data), delimiter="\t" if fmt == "tsv" else None)
    else:
        text = decode_text(data)
        if fmt == "hl7":
            scan_hl7(ctx, location, text)
        elif fmt in ("json", "ndjson"):
            ndjson = fmt == "ndjson" or (text.lstrip().startswith("{") and "\n{" in text.strip()
                                         and not text.rstrip().endswith("]"))
            if ndjson and _is_ndjson(text):
                scan_ndjson(ctx, location, io.BytesIO(data))
            else:
                scan_json(ctx, location, text)
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
            if fmt in ("csv", "tsv", "ndjson", "hl7"):  # streamed: memory stays flat
                ctx.files += 1
                handle.seek(0)
                before = len(ctx.tallies)
                if fmt == "ndjson":
                    scan_ndjson(ctx, display, handle)
                elif fmt == "hl7":
                    scan_hl7(ctx, display, handle)
                else:
                    scan_csv(ctx, display, handle, delimiter="\t" if fmt == "tsv" else None)
                _stamp(ctx, path, before, size)
                return size
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
    _stamp(ctx, path, before, size)
    return size


def _stamp(ctx: FileContext, path: Path, before: int, size: int) -> None:
    """Set the modification time (and a file's size) on the tallies made since ``before``."""
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    for tally in ctx.tallies[before:]:
        tally.modified = modified
        if tally.kind == "file" and "!" not in tally.location:
            tally.size = size


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
    if job.part is None:
        size = scan_path(ctx, Path(job.path), job.display)
        return _finish(ctx, job.display, size)
    start, end, delimiter, encoding = job.part
    try:
        with open(job.path, "rb") as handle:
            tallies = scan_csv(ctx, job.display, handle, delimiter=delimiter,
                               encoding=encoding, part=(start, end))
    except OSError as exc:
        ctx.problem(job.display, "", f"cannot read ({exc.strerror})")
        tallies = []
    return _Result(job.display, (), tuple(ctx.problems), 0, end - start, 0, tuple(tallies))


def _run_batch(jobs: list[_Job]) -> list[_Result]:
    return [_run(job) for job in jobs]


def _batches(units: Sequence[tuple[int, _Job]]) -> list[list[int]]:
    """Group the units (files and parts) for the process pool: large ones alone, small files
    together (up to :data:`BATCH_BYTES` or :data:`BATCH_FILES`, so that sending jobs and
    results costs little beside reading them), largest batches first so that no process is
    left with a big file at the end."""
    batches: list[list[int]] = []
    current: list[int] = []
    size = 0
    for unit, (_, job) in enumerate(units):
        if job.size >= BATCH_BYTES:
            batches.append([unit])
            continue
        current.append(unit)
        size += job.size
        if size >= BATCH_BYTES or len(current) >= BATCH_FILES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    batches.sort(key=lambda b: -sum(units[u][1].size for u in b))
    return batches


def _split(job: _Job, part_bytes: int) -> list[_Job]:
    """A CSV/TSV file larger than ``part_bytes`` as one job per part (:func:`csv_parts`);
    any other file as the job itself."""
    if not part_bytes or job.size <= part_bytes:
        return [job]
    try:
        with open(job.path, "rb") as handle:
            fmt = sniff(os.path.basename(job.path), handle.read(8192))
            if fmt not in ("csv", "tsv") or job.size > job.limits.max_file_bytes:
                return [job]
            encoding, parts = csv_parts(handle, part_bytes)
    except OSError:
        return [job]  # the worker reports it
    if len(parts) < 2:
        return [job]
    delimiter = "\t" if fmt == "tsv" else None
    return [replace(job, size=end - start, part=(start, end, delimiter, encoding))
            for start, end in parts]


def _merge_parts(parts: Sequence[_Result], path: str) -> _Result:
    """One result for a table read in parts: each column's tallies merged in file order."""
    first = parts[0]
    merged = list(first.tallies)
    offset = merged[0].records if merged else 0
    for part in parts[1:]:
        for mine, other in zip(merged, part.tallies, strict=False):
            mine.merge(other, row_offset=offset)
        offset += part.tallies[0].records if part.tallies else 0
    for tally in merged:
        tally.records = offset
    drop_unkeyed_dates(merged)
    try:
        modified: datetime | None = datetime.fromtimestamp(Path(path).stat().st_mtime, UTC)
    except OSError:
        modified = None
    locations = []
    clean = 0
    for tally in merged:
        tally.modified = modified
        location = tally.finish()
        if location is None:
            clean += 1
        else:
            locations.append(location)
    problems = tuple(p for part in parts for p in part.problems)
    return _Result(first.display, tuple(locations), problems, 1,
                   sum(part.size for part in parts), clean)


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
        progress: called with ``(done, total, name)`` after each file, part of a large table
            and database (``total`` counts them all; parts are named by their file).
        root: locations inside this folder are shown relative to it.
        previous: the previous inventory (same key), for each location's change.
        limits: size limits (:class:`Limits`).
        config: detector settings.
        workers: processes to use (default: the number of CPUs; 1 = in this process). With
            more than one, files go to the processes largest first (small files in batches),
            and CSV/TSV files over ``limits.table_part_bytes`` are read in parts side by side
            and merged (:meth:`~caresec.collect.phi.accumulate.Tally.merge`): the inventory
            is the same as with one process.

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
            try:
                size = file.stat().st_size
            except OSError:
                size = 0
            jobs.append((_Job(str(file), _display(file, root), key, limits, config, size), source))
    count = workers if workers is not None else (os.cpu_count() or 1)
    # a large table is cut into parts when there are processes to read them side by side
    units: list[tuple[int, _Job]] = []
    for index, (job, _) in enumerate(jobs):
        units.extend((index, unit) for unit in (
            _split(job, limits.table_part_bytes) if count > 1 else [job]))
    total = len(units) + len(db_sources)
    outcomes: list[list[_Result]] = [[] for _ in jobs]
    done = 0
    if count > 1 and len(units) > 1:
        batches = _batches(units)
        with ProcessPoolExecutor(max_workers=min(count, len(batches)),
                                 initializer=_init_worker) as pool:
            futures = {pool.submit(_run_batch, [units[u][1] for u in batch]): batch
                       for batch in batches}
            finished: dict[int, _Result] = {}
            for future in as_completed(futures):
                batch = futures[future]
                for unit, result in zip(batch, future.result(), strict=True):
                    finished[unit] = result
                    done += 1
                    if progress:
                        progress(done, total, units[unit][1].display)
            for unit, (index, _) in enumerate(units):
                outcomes[index].append(finished[unit])
    else:
        for index, job in units:
            outcomes[index].append(_run(job))
            done += 1
            if progress:
                progress(done, total, job.display)
    results: list[tuple[_Result, DataSource]] = []
    for (job, source), parts in zip(jobs, outcomes, strict=True):
        result = parts[0] if len(parts) == 1 and not parts[0].tallies else \
            _merge_parts(parts, job.path)
        results.append((result, source))
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
