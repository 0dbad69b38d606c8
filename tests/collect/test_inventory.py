"""Inventory reading (collect/inventory.py, collect/_values.py).

Expected values are read off the fixture files in tests/fixtures/collect/inventory/ (named in
each test); column rules are those of docs/org-folder.md.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from caresec.collect import _values
from caresec.collect.inventory import collect_inventory, normalize_header, read_inventory_file
from caresec.model import (
    AssetKind,
    ClinicalCriticality,
    NetworkZone,
    OrgConfig,
    ProblemSeverity,
)

MakeOrg = Callable[..., OrgConfig]  # the make_org fixture of tests/collect/conftest.py

INVENTORY = Path(__file__).resolve().parents[1] / "fixtures" / "collect" / "inventory"


def read(name: str) -> tuple[list, list]:
    return read_inventory_file(INVENTORY / name, display=f"inventory/{name}")


# --- cell values ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server", AssetKind.SERVER),
        ("Medical Device", AssetKind.MEDICAL_DEVICE),
        ("medical_device", AssetKind.MEDICAL_DEVICE),
        ("medical-device", AssetKind.MEDICAL_DEVICE),
        ("iot", AssetKind.IOT),
        ("IoT", AssetKind.IOT),
        ("SaaS", AssetKind.CLOUD_SERVICE),
        ("cloud", AssetKind.CLOUD_SERVICE),
        ("database", AssetKind.DATA_STORE),
        ("laptop", AssetKind.WORKSTATION),
        ("firewall", AssetKind.NETWORK_DEVICE),
        ("business associate", AssetKind.VENDOR),
        ("toaster", None),
        ("medical devices", None),
    ],
)
def test_kind_values_and_synonyms(text: str, expected: AssetKind | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not an asset kind; use one of: server"):
            _values.parse_kind(text)
    else:
        assert _values.parse_kind(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("life-sustaining", ClinicalCriticality.LIFE_SUSTAINING),
        ("Life Sustaining", ClinicalCriticality.LIFE_SUSTAINING),
        ("clinical_support", ClinicalCriticality.CLINICAL_SUPPORT),
        ("BUSINESS", ClinicalCriticality.BUSINESS),
        ("critical", None),
        ("high", None),
    ],
)
def test_criticality_values(text: str, expected: ClinicalCriticality | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not a clinical criticality"):
            _values.parse_criticality(text)
    else:
        assert _values.parse_criticality(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("medical-device", NetworkZone.MEDICAL_DEVICE),
        ("Medical Device", NetworkZone.MEDICAL_DEVICE),
        ("DMZ", NetworkZone.DMZ),
        ("dmz2", None),
    ],
)
def test_zone_values(text: str, expected: NetworkZone | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not a network zone"):
            _values.parse_zone(text)
    else:
        assert _values.parse_zone(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", True), ("Y", True), ("TRUE", True), ("1", True),
     ("no", False), ("n", False), ("False", False), ("0", False),
     ("maybe", None), ("2", None), ("", None)],
)
def test_booleans(text: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not a yes/no value"):
            _values.parse_bool(text)
    else:
        assert _values.parse_bool(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("250,000", 250000), ("12000", 12000), ("1 200", 1200), ("40.0", 40),
     ("-3", None), ("2.5", None), ("lots", None)],
)
def test_counts(text: str, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="whole number"):
            _values.parse_count(text)
    else:
        assert _values.parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2028-06-30", date(2028, 6, 30)), ("2028-06-30T00:00:00", date(2028, 6, 30)),
     ("2025-02-30", None), ("30/06/2028", None)],
)
def test_dates(text: str, expected: date | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="not a valid ISO date"):
            _values.parse_date(text)
    else:
        assert _values.parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10.0.0.5", "10.0.0.5"), ("10.20.30.7/24", "10.20.30.0/24"),
     ("10.1.1.1; 2001:db8::1", "10.1.1.1; 2001:db8::1"), ("10.30.0.300", None),
     ("pump-gw.local", None)],
)
def test_ip_values(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not an IP address or network"):
            _values.parse_ip(text)
    else:
        assert _values.parse_ip(text) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Asset ID", "asset_id"), ("Holds-ePHI", "holds_ephi"), (" END OF  SUPPORT ",
     "end_of_support"), ("network_zone", "network_zone")],
)
def test_header_normalization(header: str, expected: str) -> None:
    assert normalize_header(header) == expected


# --- files ---------------------------------------------------------------------------------

def test_valid_csv_reads_every_column() -> None:
    assets, problems = read("assets.valid.csv")
    assert problems == []
    assert [a.asset_id for a in assets] == ["EHR-PROD", "PUMP-ICU", "PORTAL", "BADGE-PRN"]
    ehr, pump, portal, badge = assets
    # Row 2 of assets.valid.csv.
    assert ehr.name == "EHR production"
    assert ehr.kind is AssetKind.APPLICATION
    assert ehr.holds_ephi is True
    assert ehr.criticality is ClinicalCriticality.CLINICAL_SUPPORT
    assert (ehr.vendor, ehr.model, ehr.version) == ("Example EHR Co", "EHR Suite", "2023.1")
    assert (ehr.department, ehr.location, ehr.owner) == ("Health IT", "Data center 1", "CIO")
    assert ehr.ip == "10.10.1.20; 10.10.1.21"
    assert ehr.network_zone is NetworkZone.CLINICAL
    assert ehr.internet_facing is False
    assert ehr.ephi_records == 250000
    assert ehr.end_of_support == date(2028, 6, 30)
    assert ehr.sbom_files == ("ehr/ehr-2023.1.cdx.json",)
    assert ehr.extra == ()
    assert ehr.source == "inventory/assets.valid.csv:row 2"
    # Row 3: synonyms/underscores, two SBOMs, and the unknown column "Serial Number" kept.
    assert pump.kind is AssetKind.MEDICAL_DEVICE
    assert pump.criticality is ClinicalCriticality.LIFE_SUSTAINING
    assert pump.network_zone is NetworkZone.MEDICAL_DEVICE
    assert pump.sbom_files == ("pumps/ip-200.cdx.json", "pumps/ip-200-gateway.spdx.json")
    assert pump.extra == (("Serial Number", "SN-0042"),)
    # Row 4: "SaaS" is a cloud service; internet facing "TRUE".
    assert portal.kind is AssetKind.CLOUD_SERVICE and portal.internet_facing is True
    assert portal.end_of_support is None and portal.ephi_records == 12000
    # Row 5: "iot", holds_ephi "no".
    assert badge.kind is AssetKind.IOT and badge.holds_ephi is False


def test_missing_required_column_names_file_and_column() -> None:
    assets, problems = read("assets.missing-column.csv")
    assert assets == []
    assert [(p.file, p.place, p.severity) for p in problems] == [
        ("inventory/assets.missing-column.csv", "row 1, column criticality",
         ProblemSeverity.ERROR)]
    assert "required column criticality is missing" in problems[0].message


def test_bad_rows_name_row_and_column() -> None:
    assets, problems = read("assets.bad-rows.csv")
    # Rows 2 (CT-01) and 6 (PACS-01) are kept; 3, 4, 5 and 7 are skipped.
    assert [a.asset_id for a in assets] == ["CT-01", "PACS-01"]
    found = [(p.place, p.severity) for p in problems]
    assert found == [
        ("row 2, column end_of_support", ProblemSeverity.WARNING),  # 2025-02-30
        ("row 3, column asset_id", ProblemSeverity.ERROR),  # empty
        ("row 4, column criticality", ProblemSeverity.ERROR),  # "critical"
        ("row 5, column kind", ProblemSeverity.ERROR),  # "toaster"
        ("row 5, column holds_ephi", ProblemSeverity.ERROR),  # "maybe"
        ("row 6, column network_zone", ProblemSeverity.WARNING),  # "dmz2"
        ("row 6, column ephi_records", ProblemSeverity.WARNING),  # "lots"
        ("row 6, column ip", ProblemSeverity.WARNING),  # 10.30.0.300
        ("row 7, column asset_id", ProblemSeverity.ERROR),  # CT-01 again
    ]
    assert all(p.file == "inventory/assets.bad-rows.csv" for p in problems)
    assert "'critical' is not a clinical criticality" in problems[2].message
    assert "already used by row 2" in problems[-1].message
    ct, pacs = assets
    assert ct.end_of_support is None and ct.ephi_records == 1200  # bad date dropped, rest kept
    assert pacs.network_zone is None and pacs.ip == "" and pacs.end_of_support == date(2030, 1, 1)


def test_non_utf8_csv_names_byte_offset() -> None:
    data = (INVENTORY / "assets.latin1.csv").read_bytes()
    assets, problems = read("assets.latin1.csv")
    assert assets == []
    assert len(problems) == 1
    # 'í' of "Clínica" is the Latin-1 byte 0xED at offset 51 of the file.
    assert data[51] == 0xED
    assert problems[0].place == "byte 51"
    assert "not valid UTF-8" in problems[0].message


def test_utf8_bom_and_semicolon_delimiter() -> None:
    assert (INVENTORY / "assets.bom-semicolon.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assets, problems = read("assets.bom-semicolon.csv")
    assert problems == []
    assert [(a.asset_id, a.kind, a.criticality) for a in assets] == [
        ("WS-01", AssetKind.WORKSTATION, ClinicalCriticality.CLINICAL_SUPPORT)]


def _xlsx_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Asset ID", "Name", "Kind", "Holds ePHI", "Criticality", "End of support",
                  "ePHI records", "Internet facing", "Rack"])
    sheet.append([1001, "Anesthesia workstation", "medical device", True, "patient-connected",
                  datetime(2027, 3, 31), 0, False, "R12"])
    sheet.append([])  # an empty row is skipped but still counts
    sheet.append(["LIS-01", "Lab information system", "application", "yes", "diagnostic",
                  None, 48000.0, None, None])
    sheet.append(["LIS-02", "Lab interface engine", "application", "yes", "urgent"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_inventory(tmp_path: Path) -> None:
    path = tmp_path / "devices.xlsx"
    path.write_bytes(_xlsx_bytes())
    assets, problems = read_inventory_file(path, display="inventory/devices.xlsx")
    assert [a.asset_id for a in assets] == ["1001", "LIS-01"]
    anesthesia, lis = assets
    assert anesthesia.holds_ephi is True and anesthesia.internet_facing is False
    assert anesthesia.end_of_support == date(2027, 3, 31)
    assert anesthesia.extra == (("Rack", "R12"),)
    assert anesthesia.source == "inventory/devices.xlsx:row 2"
    assert lis.ephi_records == 48000 and lis.source == "inventory/devices.xlsx:row 4"
    assert [(p.place, p.severity) for p in problems] == [
        ("row 5, column criticality", ProblemSeverity.ERROR)]


def test_corrupt_xlsx_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(_xlsx_bytes()[:700])  # a truncated ZIP container
    assets, problems = read_inventory_file(path, display="inventory/broken.xlsx")
    assert assets == []
    assert [(p.file, p.severity) for p in problems] == [
        ("inventory/broken.xlsx", ProblemSeverity.ERROR)]
    assert "not a readable XLSX workbook" in problems[0].message


def test_folder_keeps_good_files_beside_bad_ones(make_org: MakeOrg, tmp_path: Path) -> None:
    org = make_org(inventory={
        "a-valid.csv": "inventory/assets.valid.csv",
        "b-missing-column.csv": "inventory/assets.missing-column.csv",
        "c-latin1.csv": "inventory/assets.latin1.csv",
        "d-duplicate.csv": "inventory/assets.duplicate.csv",
        "README.md": "inventory/assets.valid.csv",  # not an inventory file: ignored
    })
    (org.inventory_dir / "e-broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (org.inventory_dir / "f-devices.xlsx").write_bytes(_xlsx_bytes())
    assets, problems = collect_inventory(org)
    assert [a.asset_id for a in assets] == [
        "EHR-PROD", "PUMP-ICU", "PORTAL", "BADGE-PRN",  # a-valid.csv
        "RIS-01",  # d-duplicate.csv without its EHR-PROD row
        "1001", "LIS-01",  # f-devices.xlsx
    ]
    by_file = {(p.file, p.place) for p in problems}
    assert ("inventory/b-missing-column.csv", "row 1, column criticality") in by_file
    assert ("inventory/c-latin1.csv", "byte 51") in by_file
    assert ("inventory/e-broken.xlsx", "") in by_file
    assert ("inventory/f-devices.xlsx", "row 5, column criticality") in by_file
    duplicate = next(p for p in problems if p.file == "inventory/d-duplicate.csv")
    assert duplicate.place == "row 2, column asset_id"
    assert "already used by inventory/a-valid.csv row 2" in duplicate.message
    assert len(problems) == 5


def test_missing_and_empty_inventory_folder(make_org: MakeOrg) -> None:
    org = make_org()
    assets, problems = collect_inventory(org)
    assert assets == ()
    assert [(p.file, p.severity) for p in problems] == [("inventory", ProblemSeverity.WARNING)]
    org.inventory_dir.rmdir()
    assets, problems = collect_inventory(org)
    assert [(p.file, p.severity) for p in problems] == [("inventory", ProblemSeverity.ERROR)]
    assert "does not exist" in problems[0].message
