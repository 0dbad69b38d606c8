"""Right values on the public HL7 v2, FHIR R4 and DICOM files in ../shared/data/phi
(PROVENANCE.md there names each file's source and the header values quoted here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from caresec.collect.phi import scan_sources
from caresec.model.phi import PhiInventory, PhiLocation, PhiType

KEY = b"t" * 32


def _scan(shared_data: Path, *names: str) -> PhiInventory:
    base = shared_data / "phi"
    return scan_sources([base / n for n in names], key=KEY, root=base, workers=1)


def _places(location: PhiLocation, kind: PhiType) -> set[str]:
    return {e.place for e in location.examples if e.type is kind}


def test_hl7_adt_a01_fields(shared_data: Path) -> None:
    # The classic "GOOD HEALTH HOSPITAL" ADT^A01: PID-3 MRN and SSN repetition (type SS),
    # PID-5 DOGCOW^CLARUS, PID-7 birth date, PID-11 address, PID-13/14 phones, PID-18 account,
    # PID-19 SSN 444333333, PID-20 driver's licence, NK1-2 spouse, PV1-7 attending doctor.
    inv = _scan(shared_data, "hl7v2-cdc-ti/Other__001_ADT_A01.hl7")
    (loc,) = inv.locations
    counts = dict(loc.counts)
    assert counts[PhiType.SSN] == 2
    assert _places(loc, PhiType.SSN) == {"message 1 PID-3 (SS)", "message 1 PID-19"}
    assert _places(loc, PhiType.MRN) == {"message 1 PID-3 (MR)"}
    assert _places(loc, PhiType.NAME) == {"message 1 PID-5", "message 1 NK1-2", "message 1 PV1-7"}
    assert _places(loc, PhiType.DATE) == {"message 1 PID-7"}
    assert _places(loc, PhiType.ACCOUNT) == {"message 1 PID-18"}
    assert _places(loc, PhiType.LICENSE) == {"message 1 PID-20"}
    assert _places(loc, PhiType.ZIP) == {"message 1 PID-11.5"}
    assert counts[PhiType.PHONE] == 3  # PID-13, PID-14, NK1-5
    assert loc.individuals == 3


def test_fhir_patient_example_fields(shared_data: Path) -> None:
    # FHIR R4 Patient/example: official name Chalmers Peter James, birthDate 1974-12-25,
    # telecom phones, address line "534 Erewhon St", city PleasantVille, postalCode 3999.
    inv = _scan(shared_data, "fhir-r4-examples/Patient-example.json")
    (loc,) = inv.locations
    assert loc.format == "fhir"
    assert "/birthDate" in _places(loc, PhiType.DATE)
    assert "/name/0/family" in _places(loc, PhiType.NAME)
    assert "/identifier/0/value" in _places(loc, PhiType.MRN)
    assert "/address/0/postalCode" in _places(loc, PhiType.ZIP)
    assert "/address/0/line/0" in _places(loc, PhiType.ADDRESS)
    assert dict(loc.counts)[PhiType.PHONE] >= 3


def test_fhir_coverage_subscriber(shared_data: Path) -> None:
    inv = _scan(shared_data, "fhir-r4-examples/Coverage-9876B1.json")
    (loc,) = inv.locations
    assert _places(loc, PhiType.HEALTH_PLAN_ID) == {"/identifier/0/value"}
    assert PhiType.NAME not in dict(loc.counts)  # class names are plan names, not people


@pytest.mark.parametrize(("name", "kinds"), [
    # CT_small: PatientName CompressedSamples^CT1, PatientID 1CT1 (+2 other ids), StudyDate
    ("CT_small.dcm", {PhiType.NAME: "PatientName (0010,0010)", PhiType.MRN: "PatientID (0010,0020)",
                      PhiType.DATE: "StudyDate (0008,0020)"}),
    # rtstruct: Test^Phantom30sep, birth date 19691231
    ("rtstruct.dcm", {PhiType.NAME: "PatientName (0010,0010)",
                      PhiType.DATE: "PatientBirthDate (0010,0030)"}),
    # waveform_ecg: PatientID 642341, accession 03028041970546; PatientName "Anonymous" is a
    # placeholder and is not counted
    ("waveform_ecg.dcm", {PhiType.MRN: "PatientID (0010,0020)",
                          PhiType.ACCOUNT: "AccessionNumber (0008,0050)"}),
])
def test_dicom_headers(shared_data: Path, name: str, kinds: dict[PhiType, str]) -> None:
    inv = _scan(shared_data, f"dicom-pydicom/{name}")
    (loc,) = inv.locations
    for kind, place in kinds.items():
        assert place in _places(loc, kind)
    if name == "waveform_ecg.dcm":
        assert "PatientName (0010,0010)" not in _places(loc, PhiType.NAME)


@pytest.mark.parametrize("name", ["image_dfl.dcm", "no_meta.dcm"])
def test_dicom_negatives(shared_data: Path, name: str) -> None:
    # image_dfl: empty ^^^^ names; no_meta: no patient tags (PROVENANCE.md "negatives")
    inv = _scan(shared_data, f"dicom-pydicom/{name}")
    assert inv.locations == ()
    assert inv.problems == ()


def test_whole_folder_scan(shared_data: Path) -> None:
    inv = scan_sources([shared_data / "phi" / d for d in
                        ("hl7v2-cdc-ti", "fhir-r4-examples", "dicom-pydicom")],
                       key=KEY, root=shared_data / "phi", workers=2)
    located = {loc.location for loc in inv.locations}
    assert "hl7v2-cdc-ti/Other__001_ADT_A01.hl7" in located
    assert "fhir-r4-examples/Patient-example.json" in located
    assert "dicom-pydicom/CT_small.dcm" in located
    assert inv.files == 29


# Synthea v3.0.0 CSV export of 27 patients (../shared/data/access/synthea-27pt, PROVENANCE.md
# §3). The expected types and counts are read from the files: 27 patients, each with an SSN
# (999-xx-xxxx: never issued, so only the header makes it one), FIRST and LAST names with
# Synthea's digits glued on (Maynard46 Mosciski958), 6 MAIDEN names, 19 DRIVERS and PASSPORT
# numbers, 15 ZIP codes, 2 DEATHDATEs; RACE (4 labels), ETHNICITY (2), GENDER (2), STATE (1:
# Massachusetts), MARITAL (2) and PREFIX (Mr./Mrs./Ms.) are categories; HEALTHCARE_EXPENSES,
# HEALTHCARE_COVERAGE, LAT and LON are decimal numbers. providers.csv: 166 providers, NAME
# "Ludivina884 Steuber698", SPECIALITY (13 labels), GENDER, STATE (MA) categories. Id and
# ORGANIZATION are UUIDs (record keys); BIRTHPLACE is "city  state  country".
SYNTHEA_PATIENTS = {
    "SSN": {PhiType.SSN: 27}, "BIRTHDATE": {PhiType.DATE: 27}, "DEATHDATE": {PhiType.DATE: 2},
    "DRIVERS": {PhiType.LICENSE: 19}, "PASSPORT": {PhiType.LICENSE: 19},
    "FIRST": {PhiType.NAME: 27}, "LAST": {PhiType.NAME: 27}, "MAIDEN": {PhiType.NAME: 6},
    "ADDRESS": {PhiType.ADDRESS: 27}, "CITY": {PhiType.LOCATION: 27},
    "BIRTHPLACE": {PhiType.LOCATION: 27},  # "Boston  Massachusetts  US": a city
    "COUNTY": {PhiType.LOCATION: 27}, "ZIP": {PhiType.ZIP: 15},
}
SYNTHEA_PROVIDERS = {"NAME": {PhiType.NAME: 166}, "ADDRESS": {PhiType.ADDRESS: 166},
                     "CITY": {PhiType.LOCATION: 166}, "ZIP": {PhiType.ZIP: 166}}
SYNTHEA_NOT_PEOPLE = {  # no name or place, and money or coordinates are no phone numbers
    "patients.csv": ("RACE", "ETHNICITY", "GENDER", "STATE", "MARITAL", "PREFIX",
                     "HEALTHCARE_EXPENSES", "HEALTHCARE_COVERAGE", "LAT", "LON"),
    "providers.csv": ("GENDER", "SPECIALITY", "STATE", "UTILIZATION", "LAT", "LON"),
}
# UUID record keys (in columns headed PATIENT or PROVIDER too) and quantities whose headers
# hold an identifier word (claim, member) count as nothing
SYNTHEA_KEYS = ("patients.csv#Id", "providers.csv#Id", "providers.csv#ORGANIZATION",
                "encounters.csv#PATIENT", "encounters.csv#PROVIDER",
                "encounters.csv#TOTAL_CLAIM_COST", "payers.csv#MEMBER_MONTHS")


def test_synthea_columns_get_the_right_types(shared_data: Path) -> None:
    base = shared_data / "access" / "synthea-27pt"
    inv = scan_sources([base / n for n in ("patients.csv", "providers.csv", "encounters.csv",
                                           "payers.csv")], key=KEY, root=base, workers=1)
    by = {loc.location: dict(loc.counts) for loc in inv.locations}
    for file, expected in (("patients.csv", SYNTHEA_PATIENTS),
                           ("providers.csv", SYNTHEA_PROVIDERS)):
        for column, counts in expected.items():
            assert by.get(f"{file}#{column}") == counts, f"{file}#{column}"
    for file, columns in SYNTHEA_NOT_PEOPLE.items():
        for column in columns:
            found = set(by.get(f"{file}#{column}", {}))
            assert not found & {PhiType.NAME, PhiType.LOCATION, PhiType.PHONE, PhiType.FAX}, \
                f"{file}#{column}: {found}"
    for column in SYNTHEA_KEYS:  # a UUID such as 0a10b2a8-…-acc8-… holds no account number
        assert column not in by, column
    # names are counted without Synthea's digits: "Maynard46" is the name Maynard
    first = next(loc for loc in inv.locations if loc.location == "patients.csv#FIRST")
    assert all("N" not in e.shape for e in first.examples)
    assert inv.problems == ()
