"""Fixtures for the medical-device tests: inventory assets, an MDS2 workbook builder, paths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from caresec.model import Asset, AssetKind, ClinicalCriticality

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"

# The HN 1-2019 form's table: question id, question, answer (Yes/No/N/A/See Note), note number,
# then the standards the question maps to. Section titles sit on their own rows. Question texts
# below are short paraphrases written for these tests, not the form's wording.
MDS2_HEADER = ("Question ID", "Question", "Yes, No, N/A, or See Note", "Note #",
               "IEC TR 80001-2-2:2012", "NIST SP 800-53 Rev. 4", "ISO 27002:2013")

Row = tuple[str, str, str] | tuple[str, str, str, str] | str


def build_mds2(path: Path, rows: Sequence[Row], *, header: bool = True,
               sheet: str = "MDS2") -> Path:
    """Write an MDS2 workbook in the form's layout: a title row, the header row (unless
    ``header`` is False), then ``rows``: a string is a section title row, a tuple is
    ``(question id, question, answer[, note])``."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet
    ws.append(["Manufacturer Disclosure Statement for Medical Device Security -- MDS2"])
    if header:
        ws.append(list(MDS2_HEADER))
    for row in rows:
        if isinstance(row, str):
            ws.append(["", row])
        else:
            ws.append(list(row))
    workbook.save(path)
    return path


@pytest.fixture
def mds2_builder() -> Callable[..., Path]:
    """The :func:`build_mds2` function."""
    return build_mds2


def device(asset_id: str, vendor: str, model: str, version: str,
           criticality: ClinicalCriticality = ClinicalCriticality.PATIENT_CONNECTED,
           **fields: object) -> Asset:
    """A medical-device asset."""
    return Asset(asset_id=asset_id, name=f"{vendor} {model}", kind=AssetKind.MEDICAL_DEVICE,
                 criticality=criticality, vendor=vendor, model=model, version=version,
                 source=f"assets.csv:{asset_id}", **fields)  # type: ignore[arg-type]


@pytest.fixture
def make_device() -> Callable[..., Asset]:
    """The :func:`device` function."""
    return device


@pytest.fixture
def example() -> Path:
    """The worked example organization folder."""
    return EXAMPLE
