"""Bad input is skipped with a reason naming the file, and the scan goes on."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from caresec.collect.phi import Limits, scan_sources
from caresec.model.phi import PhiType

KEY = b"b" * 32


@pytest.mark.parametrize(("name", "reason"), [
    ("corrupt.pdf", "not a readable PDF"),
    ("corrupt.docx", "not a readable DOCX"),
    ("corrupt.xlsx", "not a readable XLSX"),
    ("corrupt.dcm", "not a readable DICOM"),
    ("binary.bin", "binary file"),
])
def test_corrupt_files_are_skipped_and_named(fixtures: Path, tmp_path: Path, name: str,
                                             reason: str) -> None:
    shutil.copy(fixtures / "phi" / name, tmp_path / name)
    shutil.copy(fixtures / "phi" / "note.planted.txt", tmp_path / "note.txt")
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    assert [(p.file, reason in p.message) for p in inv.problems] == [(name, True)]
    assert [loc.location for loc in inv.locations] == ["note.txt"]  # the scan went on


def test_huge_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 5000)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1,
                       limits=Limits(max_file_bytes=4096))
    assert [p.file for p in inv.problems] == ["big.txt"]
    assert "exceeds the 4096-byte limit" in inv.problems[0].message


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"0" * (20 << 20))  # 20 MiB → ~20 KiB: ratio > 1000
        archive.writestr("note.txt", b"Dr. Hollowell called daughter Agatha at 410-555-0121.")
    return buffer.getvalue()


def test_zip_bomb_member_is_skipped_and_others_read(tmp_path: Path) -> None:
    (tmp_path / "export.zip").write_bytes(_bomb())
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    assert [p.file for p in inv.problems] == ["export.zip!zeros.txt"]
    assert "zip bomb" in inv.problems[0].message
    (loc,) = inv.locations
    assert loc.location == "export.zip!note.txt"
    assert PhiType.PHONE in dict(loc.counts)


def test_nested_archives_stop_at_the_depth_limit(
        tmp_path: Path, documents: dict[str, Callable[..., bytes]]) -> None:
    inner = documents["zip"]({"note.txt": b"SSN 123-45-6789"})
    outer = documents["zip"]({"level1.zip": documents["zip"]({"level2.zip": inner})})
    (tmp_path / "deep.zip").write_bytes(outer)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1,
                       limits=Limits(max_depth=1))
    assert [p.file for p in inv.problems] == ["deep.zip!level1.zip!level2.zip"]
    assert "nested deeper" in inv.problems[0].message


def test_missing_path_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    inv = scan_sources([tmp_path / "absent"], key=KEY, root=tmp_path, workers=1)
    assert [(p.file, p.message) for p in inv.problems] == [("absent", "no such file or folder")]
