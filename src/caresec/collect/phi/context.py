"""What every format reader gets: the detector, the key, the limits and where results go."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from caresec.collect.phi.accumulate import Tally
from caresec.model.problems import InputProblem, ProblemSeverity
from caresec.phi.engine import PhiDetector

COLLECTOR = "phi"
TEXT_CHUNK = 1 << 20  # characters given to the detector at a time


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits that keep a scan bounded (bad input is skipped with a reason, never fatal).

    Attributes:
        max_file_bytes: files larger than this are skipped (default 2 GiB).
        max_document_bytes: PDF, DOCX, XLSX, DICOM, JSON and e-mail files are parsed in memory:
            larger ones are skipped (default 256 MiB).
        max_member_bytes: an archive member larger than this (uncompressed) is skipped.
        max_archive_bytes: total uncompressed bytes read from one archive.
        max_ratio: an archive member whose uncompressed/compressed ratio exceeds this is a zip
            bomb and is skipped.
        max_depth: archives inside archives are opened to this depth.
        max_members: archive members read at most.
        db_sample_rows: rows sampled per database table.
        pdf_pages: pages read per PDF.
        table_part_bytes: CSV/TSV files larger than this are read in parts of about this
            size, in parallel when there are several processes (0 = never split).
        text_part_bytes: plain-text files larger than this are read in parts of about this
            size cut at line ends, in parallel when there are several processes (0 = never
            split).
    """

    max_file_bytes: int = 2 << 30
    max_document_bytes: int = 256 << 20
    max_member_bytes: int = 256 << 20
    max_archive_bytes: int = 1 << 30
    max_ratio: float = 200.0
    max_depth: int = 2
    max_members: int = 10_000
    db_sample_rows: int = 1_000
    pdf_pages: int = 2_000
    table_part_bytes: int = 48 << 20
    text_part_bytes: int = 32 << 20


@dataclass(slots=True)
class FileContext:
    """Collects the tallies and problems of one input (a file with its members).

    Attributes:
        detector: the detector.
        key: the pseudonym key.
        limits: :class:`Limits`.
        tallies: one per location read.
        problems: inputs skipped or read in part.
        depth: archive nesting depth of the current member.
        files: files and members read.
    """

    detector: PhiDetector
    key: bytes
    limits: Limits
    tallies: list[Tally] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)
    depth: int = 0
    files: int = 0

    def tally(self, location: str, kind: str, fmt: str) -> Tally:
        """A new tally for a location, registered for the inventory."""
        tally = Tally(location, kind, fmt, self.key)
        self.tallies.append(tally)
        return tally

    def problem(self, location: str, place: str, message: str,
                severity: ProblemSeverity = ProblemSeverity.ERROR) -> None:
        """Record an input that was skipped (``error``) or read in part (``warning``)."""
        self.problems.append(InputProblem(file=location, place=place, message=message,
                                          severity=severity, collector=COLLECTOR))

    def scan_pieces(self, tally: Tally, pieces: Iterable[tuple[str, str]], *,
                    seeds: Iterable[str] = ()) -> None:
        """Detect identifiers in many short texts at once (joined by blank lines, one detector
        call per :data:`TEXT_CHUNK`); each span's place is its piece's place."""
        seeds = tuple(seeds)
        batch: list[tuple[str, str]] = []
        size = 0
        for place, text in (*pieces, ("", "")):
            if (not place and not text) or size + len(text) > TEXT_CHUNK:
                if batch:
                    starts: list[int] = []
                    pos = 0
                    for _, piece in batch:
                        starts.append(pos)
                        pos += len(piece) + 2
                    joined = "\n\n".join(piece for _, piece in batch)
                    for span in self.detector.detect(joined, seeds=seeds):
                        where = batch[bisect.bisect_right(starts, span.start) - 1][0]
                        tally.add(span.type, joined[span.start:span.end], where, span.detector)
                batch, size = [], 0
            if text:
                batch.append((place, text))
                size += len(text) + 2

    def scan_text(self, tally: Tally, text: str, *, seeds: Iterable[str] = (), context: str = "",
                  place: str = "line", narrative: bool | None = None,
                  first_line: int = 1) -> None:
        """Detect identifiers in a text (in chunks of :data:`TEXT_CHUNK` characters cut at line
        ends) and count them in ``tally``; places are ``line N`` counted from ``first_line``
        (the number of the text's first line in its file), or ``place`` as given when it is
        not ``line``."""
        seeds = tuple(seeds)
        offset = 0
        line_base = first_line
        while offset < len(text):
            end = min(len(text), offset + TEXT_CHUNK)
            if end < len(text):
                cut = text.rfind("\n", offset, end)
                end = cut + 1 if cut > offset else end
            chunk = text[offset:end]
            newlines = [i for i, ch in enumerate(chunk) if ch == "\n"] if place == "line" else []
            for span in self.detector.detect(chunk, seeds=seeds, context=context,
                                             narrative=narrative):
                where = (f"line {line_base + bisect.bisect_left(newlines, span.start)}"
                         if place == "line" else place)
                tally.add(span.type, chunk[span.start:span.end], where, span.detector)
            line_base += chunk.count("\n")
            offset = end
