"""Inputs that used to be misread: headerless CSV, FIFOs, text that starts like JSON, UTF-16
exports, folders that cannot be listed, large texts read in parts, overlapping sources.

Sources: RFC 4180 §2 rule 3 (a CSV header line is optional); POSIX ``open()`` on a FIFO blocks
until a writer opens it (IEEE Std 1003.1-2017, open(), O_NONBLOCK clear); RFC 8259 §2 (a JSON
text is a value: ``[Note] Mr. …`` is not one); Unicode 15.0 §23.8 (U+FEFF byte-order mark,
``FF FE`` = UTF-16LE, ``FE FF`` = UTF-16BE); Python ``os.walk`` (``onerror`` gets the
``OSError`` of a folder ``scandir`` cannot list). All identifiers are invented.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from caresec.collect.phi import Limits, scan_sources
from caresec.collect.phi.scan import source_overlaps, text_parts
from caresec.collect.phi.structured import first_row_is_data
from caresec.model.phi import DataSource, PhiInventory, PhiType
from caresec.phi.engine import DetectorConfig

KEY = b"i" * 32
MRN = DetectorConfig(mrn_patterns=(r"RCH\d{7}",))
NOTE = "Patient Wilhelmina Quickfoot, SSN 123-45-6789, phone 410-555-0142, seen 03/14/2024.\n"


def _by(inv: PhiInventory) -> dict[str, dict[PhiType, int]]:
    return {loc.location: dict(loc.counts) for loc in inv.locations}


# -- 1. headerless CSV ----------------------------------------------------------------------
@pytest.mark.parametrize(("first", "following", "data"), [
    # values: an SSN, an MRN, a date, an e-mail address, whose columns hold values below
    (["123-45-6789", "Wilhelmina Quickfoot", "RCH0004712"],
     [["234-56-7890", "Barnaby Ashgrove", "RCH0004713"]], True),
    (["Agatha", "1961-07-04"], [["Barnaby", "1958-02-11"]], True),
    (["agatha@example.org", "x"], [["barnaby@example.org", "y"]], True),
    (["123-45-6789"], [], True),  # one row: the value alone decides
    # labels, digits in them included
    (["ssn", "patient_name", "mrn"], [["123-45-6789", "Wilhelmina Quickfoot", "RCH0004712"]],
     False),
    (["address_line_2", "icd10", "dob_1"], [["Apt 4", "E11.9", "1961-07-04"]], False),
    # a year label over names: the column below does not hold values like it
    (["2024", "name"], [["Agatha", "Agatha Ashgrove"], ["Barnaby", "Barnaby Quill"]], False),
])
def test_first_row_is_data(first: list[str], following: list[list[str]], data: bool) -> None:
    assert first_row_is_data(first, following) is data


def test_headerless_csv_reads_every_row_as_data(tmp_path: Path) -> None:
    rows = [f"{123 + i}-45-{6789 + i:04d},RCH{4712 + i:07d},{name},1961-07-{4 + i:02d}"
            for i, name in enumerate(["Wilhelmina Quickfoot", "Barnaby Ashgrove",
                                      "Agatha Fernsby", "Cornelius Oakhart"])]
    (tmp_path / "headerless.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "headed.csv").write_text("ssn,mrn,patient_name,dob\n" + "\n".join(rows) + "\n")
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1, config=MRN)
    by = _by(inv)
    # no column is named after a value of the first row, and that row is counted
    assert not any("123-45-6789" in loc for loc in by)
    assert by["headerless.csv#column 1"] == {PhiType.SSN: 4}
    assert by["headerless.csv#column 2"] == {PhiType.MRN: 4}
    assert by["headerless.csv#column 3"] == {PhiType.NAME: 4}
    assert by["headerless.csv#column 4"] == {PhiType.DATE: 4}
    assert {e.place for loc in inv.locations if loc.location == "headerless.csv#column 1"
            for e in loc.examples} >= {"row 1"}
    # negative: a header row stays a header (3 data rows after it)
    assert by["headed.csv#ssn"] == {PhiType.SSN: 4}
    assert by["headed.csv#patient_name"] == {PhiType.NAME: 4}
    assert inv.problems == ()


def test_headerless_csv_read_in_parts_equals_whole(tmp_path: Path) -> None:
    rows = [f"9{i % 90:02d}-{i % 97 + 1:02d}-{i + 1:04d},RCH{i:07d},{i % 13} units"
            for i in range(600)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    whole = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1, config=MRN)
    parts = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=2, config=MRN,
                         limits=Limits(table_part_bytes=4_000))

    def summary(inv: PhiInventory) -> dict[str, tuple[object, ...]]:
        return {loc.location: (loc.counts, loc.individuals, loc.records, loc.digest,
                               tuple((e.place, e.pseudonym) for e in loc.examples))
                for loc in inv.locations}

    assert summary(parts) == summary(whole)
    mrn = next(loc for loc in whole.locations if loc.location == "t.csv#column 2")
    assert dict(mrn.counts) == {PhiType.MRN: 600}
    assert mrn.records == 600
    assert mrn.examples[0].place == "row 1"


# -- 2. FIFOs and other non-regular files ---------------------------------------------------
def _within(seconds: float, work: Callable[[], PhiInventory]) -> PhiInventory:
    result: list[PhiInventory] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the scan did not finish within {seconds} s"
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_fifo_is_skipped_without_opening_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "note.txt").write_text(NOTE)
    inv = _within(60, lambda: scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1))
    assert [(p.file, p.message) for p in inv.problems] == [
        ("pipe.txt", "not a regular file: a named pipe (FIFO); skipped without opening it")]
    assert [loc.location for loc in inv.locations] == ["note.txt"]  # the scan went on
    # given directly, too
    direct = _within(60, lambda: scan_sources([tmp_path / "pipe.txt"], key=KEY, root=tmp_path,
                                              workers=1))
    assert [p.file for p in direct.problems] == ["pipe.txt"]
    assert direct.files == 0


# -- 3. text that starts like JSON ----------------------------------------------------------
@pytest.mark.parametrize(("name", "text", "problem"), [
    ("visit.note", "[Note] " + NOTE, ""),
    ("settings.ini", "[contact]\nowner = " + NOTE, ""),
    ("export.json", "{\"note\": " + NOTE, "not valid JSON (Expecting value); read as plain text"),
])
def test_text_starting_like_json_is_read_as_text(tmp_path: Path, name: str, text: str,
                                                 problem: str) -> None:
    (tmp_path / name).write_text(text)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    counts = _by(inv)[name]
    assert counts[PhiType.SSN] == 1 and counts[PhiType.PHONE] == 1
    assert [p.message for p in inv.problems] == ([problem] if problem else [])


def test_valid_json_starting_with_bracket_is_still_json(tmp_path: Path) -> None:
    (tmp_path / "list.dat").write_text('[{"ssn": "123-45-6789", "phone": "410-555-0142"}]')
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    (loc,) = inv.locations
    assert loc.format == "json"
    assert inv.problems == ()


# -- 4. UTF-16 with a byte-order mark -------------------------------------------------------
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-8"])
@pytest.mark.parametrize(("name", "text", "expected"), [
    ("note.txt", NOTE, {"note.txt": PhiType.SSN}),
    ("export.csv", "ssn,patient_name\n123-45-6789,Wilhelmina Quickfoot\n",
     {"export.csv#ssn": PhiType.SSN, "export.csv#patient_name": PhiType.NAME}),
])
def test_text_with_a_byte_order_mark_is_decoded(tmp_path: Path, codec: str, name: str,
                                               text: str, expected: dict[str, PhiType]) -> None:
    (tmp_path / name).write_bytes("\ufeff".encode(codec) + text.encode(codec))
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    assert inv.problems == ()
    by = _by(inv)
    for location, kind in expected.items():
        assert by[location][kind] == 1


def test_utf16_without_a_byte_order_mark_is_still_binary(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_bytes(NOTE.encode("utf-16-le"))  # no mark: NUL bytes
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    assert "binary" in inv.problems[0].message


# -- 5. folders that cannot be listed -------------------------------------------------------
def test_unlistable_folder_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "note.txt").write_text(NOTE)
    (tmp_path / "note.txt").write_text(NOTE)
    real = os.scandir
    locked = str(tmp_path / "locked")

    def scandir(path: str) -> object:  # os.walk lists each folder with os.scandir
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    assert [(p.file, p.message) for p in inv.problems] == [
        ("locked", "folder not readable: Permission denied; its files were not scanned")]
    assert [loc.location for loc in inv.locations] == ["note.txt"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: mode 000 does not stop root from listing a folder "
                           "(test_unlistable_folder_is_a_problem covers the error path)")
def test_mode_000_folder_is_a_problem(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "note.txt").write_text(NOTE)
    locked.chmod(0)
    try:
        inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    finally:
        locked.chmod(0o700)
    assert [p.file for p in inv.problems] == ["locked"]
    assert "folder not readable" in inv.problems[0].message


# -- 8. large texts read in parts -----------------------------------------------------------
def test_text_parts_cut_at_line_ends() -> None:
    data = b"".join(b"line %d\n" % i for i in range(1, 101))
    parts = text_parts(io.BytesIO(data), 100)
    assert parts[0][0] == 0 and parts[-1][1] == len(data)
    for (start, end, line), (after, _, _) in zip(parts, [*parts[1:], (len(data), 0, 0)],
                                                 strict=True):
        assert end == after and data[end - 1:end] == b"\n"
        assert data[start:].startswith(b"line %d\n" % line)
    assert text_parts(io.BytesIO(data), 10_000) == [(0, len(data), 1)]


@pytest.mark.parametrize("workers", [1, 2])
def test_large_text_read_in_parts_equals_whole(tmp_path: Path, workers: int) -> None:
    lines = []
    for i in range(400):
        lines.append(f"Visit {i}: patient seen, stable." if i % 5 else
                     f"Visit {i}: SSN {100 + i}-45-{1000 + i:04d}, phone 410-555-{i:04d}.")
    (tmp_path / "log.txt").write_text("\n".join(lines) + "\n")
    whole = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1,
                         limits=Limits(text_part_bytes=0))
    seen: list[str] = []
    parts = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=workers,
                         limits=Limits(text_part_bytes=2_000),
                         progress=lambda done, total, name: seen.append(f"{done}/{total}"))
    assert len(seen) > 3 and seen[-1].split("/")[0] == seen[-1].split("/")[1]
    (a,), (b,) = whole.locations, parts.locations
    assert (a.counts, a.individuals, a.records, a.bytes, a.digest) == \
        (b.counts, b.individuals, b.records, b.bytes, b.digest)
    assert dict(a.counts)[PhiType.SSN] == 80
    assert [e.place for e in a.examples] == [e.place for e in b.examples]
    assert (whole.files, whole.bytes) == (parts.files, parts.bytes)


# -- 9. overlapping sources -----------------------------------------------------------------
@pytest.mark.parametrize(("locations", "pairs"), [
    (["a", "a/b"], [(1, 0)]),
    (["a/b", "a"], [(0, 1)]),
    (["a", "a"], [(0, 1)]),
    (["a", "b", "ab"], []),  # a name prefix is not a folder prefix
])
def test_source_overlaps(tmp_path: Path, locations: list[str],
                         pairs: list[tuple[int, int]]) -> None:
    assert source_overlaps([str(tmp_path / p) for p in locations]) == pairs


def test_overlapping_sources_scan_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "share" / "billing").mkdir(parents=True)
    (tmp_path / "share" / "note.txt").write_text(NOTE)
    (tmp_path / "share" / "billing" / "note.txt").write_text(NOTE)
    sources = [DataSource(str(tmp_path / "share"), "FS-01"),
               DataSource(str(tmp_path / "share" / "billing"), "BILL-01"),
               DataSource(str(tmp_path / "share"), "FS-02")]
    inv = scan_sources(sources, key=KEY, root=tmp_path, workers=1)
    assert sorted((loc.location, loc.asset_id) for loc in inv.locations) == [
        ("share/billing/note.txt", "BILL-01"), ("share/note.txt", "FS-01")]
    assert inv.files == 2
    assert sorted((p.file, p.severity.value) for p in inv.problems) == [
        ("share", "warning"), ("share/billing", "warning"), ("share/billing", "warning")]
    assert any("FS-01" in p.message and "BILL-01" in p.message for p in inv.problems)
    quiet = scan_sources(sources, key=KEY, root=tmp_path, workers=1, warn_overlaps=False)
    assert quiet.problems == ()
    assert len(quiet.locations) == 2
    # negative: sources that do not overlap are all scanned, no warning
    apart = scan_sources([DataSource(str(tmp_path / "share" / "billing"), "BILL-01"),
                          DataSource(str(tmp_path / "share" / "note.txt"), "FS-01")],
                         key=KEY, root=tmp_path, workers=1)
    assert apart.problems == () and len(apart.locations) == 2
