"""Scan files, folders, archives and databases into an ePHI inventory.

:func:`scan_sources` is the collector: it reads what it is given (files by content and name,
folders recursively, ZIP members, database tables), detects identifiers with
:class:`~caresec.phi.PhiDetector` in worker processes (one per core), and returns a
:class:`~caresec.model.phi.PhiInventory` that holds counts, keyed pseudonyms and redacted
examples only. Unreadable input (corrupt PDF/DOCX/XLSX/DICOM, binary files, files over the size
limit, zip bombs) is skipped with a problem naming the file; the scan goes on.
"""

from __future__ import annotations

import codecs
import io
import itertools
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

from caresec import privacy
from caresec.collect.phi.accumulate import Tally
from caresec.collect.phi.archive import scan_zip
from caresec.collect.phi.context import FileContext, Limits
from caresec.collect.phi.database import redact_url, scan_database
from caresec.collect.phi.documents import (
    as_utf8,
    decode_text,
    scan_docx,
    scan_eml,
    scan_pdf,
    scan_plain,
    utf16_bom,
)
from caresec.collect.phi.names import location_name
from caresec.collect.phi.structured import (
    csv_parts,
    scan_csv,
    scan_dicom,
    scan_hl7,
    scan_json,
    scan_ndjson,
    scan_xlsx,
    text_encoding,
)
from caresec.collect.phi.tables import drop_unkeyed_dates
from caresec.model.phi import Change, DataSource, PhiInventory, PhiLocation
from caresec.model.problems import InputProblem, ProblemSeverity
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
_BLOCK = 16 << 20  # bytes read at a time when cutting or re-encoding a large file
#: ``on_error(folder, reason)`` of :func:`iter_files`: a folder that could not be listed.
FolderError = Callable[[Path, str], None]


@dataclass(frozen=True, slots=True)
class _Job:
    path: str
    display: str
    key: bytes
    limits: Limits
    config: DetectorConfig
    size: int = 0
    #: one part of a large table or text: (start, end, delimiter, encoding)
    part: tuple[int, int, str | None, str] | None = None
    #: a part of a plain-text file (not a table), and the number of its first line
    text_part: bool = False
    first_line: int = 1


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
    ``binary``. UTF-16 text with a byte-order mark is read as its characters
    (:func:`~caresec.collect.phi.documents.as_utf8`); ``json`` by a first ``{`` or ``[``
    alone may still be plain text (:func:`~caresec.collect.phi.structured.scan_json`)."""
    lower = name.lower()
    suffix = os.path.splitext(lower)[1]
    head = as_utf8(head)  # UTF-16 text with a byte-order mark is text
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
    """Scan one input given as bytes (a file read whole, an archive member, an attachment);
    UTF-16 text with a byte-order mark is read as UTF-8 (:func:`as_utf8`)."""
    ctx.files += 1
    data = as_utf8(data)
    name = location.rsplit("!", 1)[-1]
    fmt = sniff(name, data[:8192])
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
                scan_json(ctx, location, text, named=name.lower().endswith(".json"))
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
    """Scan one file (size-limited); returns the bytes read. A FIFO, socket or device is a
    problem and is never opened (reading a FIFO would wait forever); UTF-16 text with a
    byte-order mark is re-encoded as UTF-8 first (:func:`_utf8_copy`)."""
    try:
        info = path.stat()
    except OSError as exc:
        ctx.problem(display, "", f"cannot read ({exc.strerror})")
        return 0
    if not stat.S_ISREG(info.st_mode):
        ctx.problem(display, "", not_regular(info.st_mode))
        return 0
    size = info.st_size
    if size > ctx.limits.max_file_bytes:
        ctx.problem(display, "", f"file of {size} bytes exceeds the {ctx.limits.max_file_bytes}"
                    "-byte limit; skipped")
        return 0
    try:
        with ExitStack() as stack:
            handle: BinaryIO = stack.enter_context(path.open("rb"))
            head = handle.read(8192)
            codec = utf16_bom(head)
            if codec is not None:
                handle = stack.enter_context(_utf8_copy(handle, codec))
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


def not_regular(mode: int) -> str:
    """The problem message for a path that is not a regular file (``os.stat`` ``st_mode``)."""
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a character device" if stat.S_ISCHR(mode) else "a block device"
            if stat.S_ISBLK(mode) else "a special file")
    return f"not a regular file: {kind}; skipped without opening it"


def _utf8_copy(stream: BinaryIO, codec: str) -> BinaryIO:
    """A temporary file holding ``stream`` (UTF-16 ``codec`` after its 2-byte byte-order mark)
    re-encoded as UTF-8, read block by block; positioned at its start."""
    copy = cast(BinaryIO, tempfile.TemporaryFile())  # noqa: SIM115 - the caller closes it
    decoder = codecs.getincrementaldecoder(codec)("replace")
    stream.seek(2)
    while block := stream.read(_BLOCK):
        copy.write(decoder.decode(block).encode("utf-8"))
    copy.write(decoder.decode(b"", final=True).encode("utf-8"))
    copy.seek(0)
    return copy


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
            if job.text_part:
                handle.seek(start)
                text = handle.read(end - start).decode(encoding, "replace")
                tally = Tally(job.display, "file", "text", job.key)
                ctx.scan_text(tally, text.removeprefix("\ufeff") if start == 0 else text,
                              first_line=job.first_line)
                tallies = [tally]
            else:
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


def _split(job: _Job, part_bytes: int, text_part_bytes: int = 0) -> list[_Job]:
    """A CSV/TSV file larger than ``part_bytes`` as one job per part (:func:`csv_parts`), a
    plain-text file larger than ``text_part_bytes`` as one job per part cut at line ends
    (:func:`text_parts`); any other file as the job itself."""
    least = min(n for n in (part_bytes, text_part_bytes, job.size + 1) if n)
    if job.size <= least or job.size > job.limits.max_file_bytes:
        return [job]
    try:
        with open(job.path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return [job]  # pragma: no cover - not regular files never become jobs
            head = handle.read(8192)
            if utf16_bom(head):
                return [job]  # re-encoded whole by the worker
            fmt = sniff(os.path.basename(job.path), head)
            if fmt in ("csv", "tsv") and part_bytes and job.size > part_bytes:
                encoding, parts = csv_parts(handle, part_bytes)
                delimiter = "\t" if fmt == "tsv" else None
                return [replace(job, size=end - start, part=(start, end, delimiter, encoding))
                        for start, end in parts] if len(parts) > 1 else [job]
            if fmt != "text" or not text_part_bytes or job.size <= text_part_bytes:
                return [job]
            encoding = text_encoding(handle)
            cuts = text_parts(handle, text_part_bytes)
    except OSError:
        return [job]  # the worker reports it
    if len(cuts) < 2:
        return [job]
    return [replace(job, size=end - start, part=(start, end, None, encoding), text_part=True,
                    first_line=line) for start, end, line in cuts]


def text_parts(stream: BinaryIO, part_bytes: int) -> list[tuple[int, int, int]]:
    """Cut a large text file into parts of about ``part_bytes`` at line ends (``\\n``, one
    byte in UTF-8, Windows-1252 and Latin-1). Returns ``(start, end, first line number)`` of
    each part (one part for a small file); the stream is left at its start."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    cuts = [(0, 1)]
    lines = 1  # the number of the line holding byte ``offset``
    offset = 0
    target = part_bytes
    while block := stream.read(_BLOCK):
        pos = 0
        while target < offset + len(block):
            newline = block.find(b"\n", max(pos, target - offset))
            if newline < 0:
                break
            cuts.append((offset + newline + 1, lines + block.count(b"\n", 0, newline + 1)))
            target = offset + newline + 1 + part_bytes
            pos = newline + 1
        lines += block.count(b"\n")
        offset += len(block)
    stream.seek(0)
    cuts = [c for c in cuts if c[0] < size] or [(0, 1)]
    return [(start, end, line) for (start, line), (end, _) in
            itertools.pairwise([*cuts, (size, 0)])]


def _merge_parts(parts: Sequence[_Result], path: str) -> _Result:
    """One result for a table or a text read in parts: each column's tallies (a text's one
    tally) merged in file order."""
    first = parts[0]
    merged = list(first.tallies)
    text = bool(merged) and merged[0].kind == "file"
    offset = merged[0].records if merged else 0
    for part in parts[1:]:
        for mine, other in zip(merged, part.tallies, strict=False):
            mine.merge(other, row_offset=0 if text else offset)
        offset += part.tallies[0].records if part.tallies else 0
    for tally in merged:
        tally.records = 1 if text else offset
        if text:
            tally.size = sum(part.size for part in parts)
    if not text:
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


def iter_files(paths: Sequence[Path], on_error: FolderError | None = None) -> Iterator[Path]:
    """Files under ``paths`` (folders recursively, hidden files and folders skipped), sorted.

    Args:
        paths: files or folders.
        on_error: called with ``(folder, reason)`` for a folder that cannot be listed
            (``os.walk``'s ``onerror``: permission denied, vanished); the walk goes on.
    """

    def failed(exc: OSError) -> None:
        if on_error is not None:
            where = Path(exc.filename) if exc.filename else Path("")
            on_error(where, exc.strerror or str(exc))

    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path, onerror=failed):
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
    limits: Limits | None = None,
    config: DetectorConfig | None = None,
    workers: int | None = None,
    warn_overlaps: bool = True,
) -> PhiInventory:
    """Scan files, folders and databases into an ePHI inventory.

    Args:
        paths: files or folders (or :class:`DataSource` records linking them to an asset).
        dbs: SQLAlchemy database URLs (or :class:`DataSource` records).
        key: the organization's pseudonym key (:func:`caresec.privacy.load_or_create_key`).
        progress: called with ``(done, total, name)`` after each file, part of a large table
            and database (``total`` counts them all; parts are named by their file).
        root: locations inside this folder are shown relative to it.
        limits: size limits (:class:`Limits`).
        config: detector settings.
        workers: processes to use (default: the number of CPUs; 1 = in this process). With
            more than one, files go to the processes largest first (small files in batches),
            and CSV/TSV files over ``limits.table_part_bytes`` are read in parts side by side
            and merged (:meth:`~caresec.collect.phi.accumulate.Tally.merge`): the inventory
            is the same as with one process. Plain-text files over
            ``limits.text_part_bytes`` are read in parts cut at line ends, with any number of
            processes.
        warn_overlaps: report path sources that overlap (:func:`source_overlaps`) as
            warnings (a caller that reports them itself, naming its own rows, passes False).
            Either way each file is scanned once, for the most specific (deepest) source
            holding it; of two sources with the same path, the first.

    Returns:
        The :class:`PhiInventory`. A path that does not exist, a folder that cannot be listed
        and a file that is not a regular file (FIFO, socket, device: never opened) are
        problems in it, not exceptions.
    """
    limits = limits or Limits()
    config = config or DetectorConfig()
    started = datetime.now(UTC)
    sources = [p if isinstance(p, DataSource) else DataSource(str(p)) for p in paths]
    db_sources = [d if isinstance(d, DataSource) else DataSource(d) for d in dbs]
    problems: list[InputProblem] = []
    jobs: list[tuple[_Job, DataSource]] = []

    def unlisted(folder: Path, reason: str) -> None:
        problems.append(InputProblem(location_name(folder, root), "", f"folder not readable: "
                                     f"{reason}; its files were not scanned", collector="phi"))

    bases = [Path(s.location).resolve() for s in sources]
    overlaps = source_overlaps([s.location for s in sources])
    for inner, outer in overlaps if warn_overlaps else ():
        same = bases[inner] == bases[outer]
        problems.append(InputProblem(
            location_name(Path(sources[inner].location), root), "",
            f"overlaps the data source {location_name(Path(sources[outer].location), root)} "
            f"({_asset_text(sources[outer])}); its files are scanned once, for "
            f"{_asset_text(sources[inner])} "
            + ("(listed first)" if same else "(the more specific source)"),
            ProblemSeverity.WARNING, collector="phi"))
    losers = {outer for inner, outer in overlaps if bases[inner] == bases[outer]}
    for index, source in enumerate(sources):
        base = Path(source.location)
        if not base.exists():
            problems.append(InputProblem(location_name(base, root), "", "no such file or folder",
                                         collector="phi"))
            continue
        if index in losers:
            continue  # the same path as an earlier source: scanned for that one
        inside = [i for i, b in enumerate(bases) if i not in losers and i != index
                  and bases[index] in b.parents]
        for file in iter_files([base], unlisted):
            if inside and _owner(bases, inside, bases[index] / file.relative_to(base)) \
                    is not None:
                continue  # a more specific source scans it
            try:
                info = file.stat()
            except OSError:
                info = None  # the worker reports it
            if info is not None and not stat.S_ISREG(info.st_mode):
                problems.append(InputProblem(location_name(file, root), "",
                                             not_regular(info.st_mode), collector="phi"))
                continue
            size = info.st_size if info is not None else 0
            jobs.append((_Job(str(file), location_name(file, root), key, limits, config, size),
                         source))
    count = workers if workers is not None else (os.cpu_count() or 1)
    # a large table is cut into parts when there are processes to read them side by side; a
    # large text always (its parts are independent, and progress moves part by part)
    units: list[tuple[int, _Job]] = []
    for index, (job, _) in enumerate(jobs):
        units.extend((index, unit) for unit in _split(
            job, limits.table_part_bytes if count > 1 else 0, limits.text_part_bytes))
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


def source_overlaps(locations: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs ``(inner, outer)`` (indexes into ``locations``) of path sources that overlap:
    ``inner`` lies inside ``outer``, or both are the same path and ``inner`` is listed first.
    Paths are compared resolved (absolute, symbolic links followed). Each file of an overlap
    is scanned once, for ``inner``: the more specific source, or the first of two equal
    ones."""
    bases = [Path(location).resolve() for location in locations]
    pairs: list[tuple[int, int]] = []
    for a, b in itertools.combinations(range(len(bases)), 2):
        if bases[a] == bases[b] or bases[a] in bases[b].parents:
            pairs.append((b, a) if bases[a] != bases[b] else (a, b))
        elif bases[b] in bases[a].parents:
            pairs.append((a, b))
    return pairs


def _owner(bases: Sequence[Path], candidates: Sequence[int], file: Path) -> int | None:
    """Of the ``candidates`` (indexes of ``bases``), the deepest source holding ``file``."""
    holding = [i for i in candidates if bases[i] == file or bases[i] in file.parents]
    return max(holding, key=lambda i: (len(bases[i].parts), -i)) if holding else None


def _asset_text(source: DataSource) -> str:
    return f"asset {source.asset_id}" if source.asset_id else "no asset"


__all__ = ["Limits", "Progress", "Tally", "iter_files", "not_regular",
           "scan_bytes", "scan_path", "scan_sources", "sniff", "source_overlaps", "text_parts"]
