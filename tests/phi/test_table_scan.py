"""The fast paths of the structured-file scan give the counts of a cell-by-cell reading.

Sources: CSV quoting by RFC 4180 §2 (rules 5–7: a quoted field may
hold the delimiter, line breaks and doubled quotes); HL7 v2.5.1 §2.5.4 (MSH-1 and MSH-2 declare
the field, component, repetition, escape and sub-component characters of the message).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from caresec.collect.phi import Limits, scan_sources
from caresec.collect.phi.accumulate import KMV_K, Kmv, sketch_hashes
from caresec.model.phi import PhiInventory, PhiType

KEY = b"c" * 32


def test_sketch_hash_is_keyed_per_type_and_reads_the_normalized_value() -> None:
    """Keyed BLAKE2b-64 (RFC 7693) of the normalized value: an SSN written with or without
    dashes is one individual; the same digits under another type or another org key are not."""
    dashed, bare = sketch_hashes(KEY, "ssn", ["123-45-6789", "123456789"])
    assert dashed == bare
    assert sketch_hashes(KEY, "account number", ["123456789"])[0] != bare
    assert sketch_hashes(b"d" * 32, "ssn", ["123456789"])[0] != bare
    import hashlib
    import hmac
    sub = hmac.digest(KEY, b"caresec kmv sketch\x1fssn", "sha256")
    assert int(bare) == int.from_bytes(
        hashlib.blake2b(b"123456789", key=sub, digest_size=8).digest(), "little")


def test_sketch_hashes_agree_in_small_and_large_batches() -> None:
    values = [f"Pt {i} O'Brien-{i * 7919 % 1000}" for i in range(200)] + ["", "  ", "José"]
    for kind in ("name", "ssn"):
        whole = sketch_hashes(KEY, kind, values)
        pieces = np.concatenate([sketch_hashes(KEY, kind, values[i:i + 3])
                                 for i in range(0, len(values), 3)])
        assert (whole == pieces).all()
    # spellings of one identifier agree (caresec.privacy.normalize); types hash apart
    a, b = sketch_hashes(KEY, "ssn", ["078-05-1120", "078051120"])
    assert a == b
    assert sketch_hashes(KEY, "phone", ["078051120"])[0] != a


def test_kmv_exact_below_k_and_merge_is_the_union() -> None:
    small = Kmv()
    small.add_many(sketch_hashes(KEY, "mrn", [f"M{i}" for i in range(700)] * 2))
    assert small.estimate() == 700
    left, right, both = Kmv(), Kmv(), Kmv()
    a = sketch_hashes(KEY, "mrn", [f"M{i}" for i in range(0, 3000)])
    b = sketch_hashes(KEY, "mrn", [f"M{i}" for i in range(2000, 5000)])
    left.add_many(a)
    right.add_many(b)
    both.add_many(np.concatenate([a, b]))
    left.merge(right)
    assert left.values() == both.values()
    assert len(left.values()) == KMV_K


def _table(rows: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["mrn", "first_name", "ssn", "dob", "notes", "code"])
    for i in range(rows):
        note = ('Seen by Dr. Quickfoot, "stable",\nplan unchanged.' if i % 4 == 0 else "Stable.")
        writer.writerow([f"RCH{i % 250:07d}", ["Wilhelmina", "Barnaby", "Agatha"][i % 3],
                         f"9{i % 90:02d}-{i % 97 + 1:02d}-{i + 1:04d}", "1961-07-04", note,
                         ["I10", "E11.9"][i % 2]])
    return out.getvalue()


def _summary(inv: PhiInventory) -> dict[str, tuple[object, ...]]:
    return {loc.location: (loc.counts, loc.individuals, loc.records, loc.digest,
                           tuple((e.place, e.pseudonym) for e in loc.examples))
            for loc in inv.locations}


def test_csv_counts_every_cell_once(tmp_path: Path) -> None:
    # 400 rows; quoted notes hold commas, doubled quotes and line breaks (RFC 4180 rules 6, 7)
    (tmp_path / "visits.csv").write_text(_table(400), newline="")
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    by = {loc.location: loc for loc in inv.locations}
    assert dict(by["visits.csv#mrn"].counts) == {PhiType.MRN: 400}
    assert by["visits.csv#mrn"].individuals == 250  # distinct MRNs, exact below 1,024
    assert by["visits.csv#first_name"].individuals == 3
    assert dict(by["visits.csv#ssn"].counts) == {PhiType.SSN: 400}
    assert dict(by["visits.csv#dob"].counts) == {PhiType.DATE: 400}
    # one repeated note text is detected once and counted on each of its 100 rows
    assert dict(by["visits.csv#notes"].counts) == {PhiType.NAME: 100}
    assert [e.place for e in by["visits.csv#notes"].examples] == ["row 2"]
    assert by["visits.csv#mrn"].records == 400
    assert inv.problems == ()


def test_csv_read_in_parts_equals_whole(tmp_path: Path) -> None:
    (tmp_path / "visits.csv").write_text(_table(1500), newline="")
    whole = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    parts = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=2,
                         limits=Limits(table_part_bytes=9_000))
    assert _summary(parts) == _summary(whole)
    assert (parts.files, parts.bytes, parts.clean) == (whole.files, whole.bytes, whole.clean)


def test_csv_rows_of_other_widths_are_read(tmp_path: Path) -> None:
    # a short row (missing cells are empty) and a long one (extra cells ignored)
    text = "mrn,ssn,notes\nRCH0000001,900-11-0001,ok\nRCH0000002\nRCH0000003,900-11-0003,x,y\n"
    (tmp_path / "t.csv").write_text(text)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    by = {loc.location: dict(loc.counts) for loc in inv.locations}
    assert by["t.csv#mrn"] == {PhiType.MRN: 3}
    assert by["t.csv#ssn"] == {PhiType.SSN: 2}


def test_windows_1252_csv(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_bytes("last_name,ssn\nMuñoz,900-12-3456\n".encode("cp1252"))
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    by = {loc.location: loc for loc in inv.locations}
    assert dict(by["t.csv#last_name"].counts) == {PhiType.NAME: 1}
    assert by["t.csv#last_name"].examples[0].shape == "Xxxxx"
    assert inv.problems == ()


def test_hl7_declared_separators(tmp_path: Path) -> None:
    # MSH-2 "$~\&" makes "$" the component separator: PID-5 DOE$JANE is family^given
    message = ("MSH|$~\\&|REG|RCH|||20240612||ADT$A01|M1|P|2.5.1\r"
               "PID|1||RCH0000042$$$RCH$MR||DOE$JANE||19610704\r")
    (tmp_path / "a.hl7").write_text(message)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    (loc,) = inv.locations
    assert dict(loc.counts) == {PhiType.MRN: 1, PhiType.NAME: 1, PhiType.DATE: 1}
    assert {e.place for e in loc.examples} == {"message 1 PID-3 (MR)", "message 1 PID-5",
                                                "message 1 PID-7"}
    assert next(e.shape for e in loc.examples if e.type is PhiType.NAME) == "XXXX XXX"


def test_fhir_ndjson_read_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # FHIR R4 Identifier.type "MR" (v2-0203) marks a medical record number even without a
    # system; Coverage.class (type + value) is a plan class, not an identifier. A bad line is a
    # problem naming it; the lines around it are read.
    from caresec.collect.phi import structured

    monkeypatch.setattr(structured, "NDJSON_BATCH", 2)
    lines = [json.dumps({"resourceType": "Patient", "id": f"p{i}",
                         "identifier": [{"type": {"coding": [{"code": "MR"}]},
                                         "value": f"RCH{i:07d}"}],
                         "name": [{"family": "Quickfoot", "given": ["Agatha"]}]})
             for i in range(5)]
    lines.insert(2, "{not json")
    lines.append(json.dumps({"resourceType": "Coverage", "class": [
        {"type": {"coding": [{"code": "group"}]}, "value": "CB135"}]}))
    (tmp_path / "p.ndjson").write_text("\n".join(lines) + "\n")
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    (loc,) = inv.locations
    assert loc.format == "fhir"
    assert dict(loc.counts) == {PhiType.MRN: 5, PhiType.NAME: 10}
    assert loc.records == 6
    assert loc.individuals == 5
    assert [(p.file, p.place) for p in inv.problems] == [("p.ndjson", "line 3")]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), newline="")


def test_categorical_columns_are_not_names_or_places(tmp_path: Path) -> None:
    # 30 people; race, gender, state and specialty repeat a few labels (categories), while
    # the name column's values are all different. A header that says "county" still counts.
    races, states = ["white", "black", "asian"], ["Massachusetts", "Maryland"]
    firsts = ["Wilhelmina", "Barnaby", "Agatha", "Cornelius", "Mabel", "Ambrose", "Harriet",
              "Percival", "Eugenia", "Thaddeus"]
    rows = [[f"{firsts[i % 10]} {['Quickfoot', 'Ashgrove', 'Fernsby'][i // 10]}",
             races[i % 3], "MF"[i % 2], states[i % 2], "GENERAL PRACTICE" if i % 3 else
             "CARDIOLOGY", ["Middlesex County", "Suffolk County"][i % 2],
             f"{123 + i}-45-{6789 + i:04d}"] for i in range(30)]
    _write(tmp_path / "people.csv", ["person", "RACE", "GENDER", "STATE", "SPECIALITY",
                                     "COUNTY", "ssn"], rows)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    by = {loc.location: dict(loc.counts) for loc in inv.locations}
    for column in ("RACE", "GENDER", "STATE", "SPECIALITY"):
        assert f"people.csv#{column}" not in by, column
    assert by["people.csv#person"] == {PhiType.NAME: 30}  # all different: names by content
    assert by["people.csv#COUNTY"] == {PhiType.LOCATION: 30}  # the header says so


def test_amounts_are_never_phones(tmp_path: Path) -> None:
    rows = [[f"{227761.06 + i * 1000.137:.4f}", f"{2546 + i}.04", f"${1200 + i:,}.00",
             f"410-555-{142 + i:04d}", f"{123 + i}-45-{6789 + i:04d}"] for i in range(30)]
    _write(tmp_path / "costs.csv", ["HEALTHCARE_EXPENSES", "HEALTHCARE_COVERAGE", "INCOME",
                                    "callback", "ssn"], rows)
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    by = {loc.location: dict(loc.counts) for loc in inv.locations}
    for column in ("HEALTHCARE_EXPENSES", "HEALTHCARE_COVERAGE", "INCOME"):
        assert PhiType.PHONE not in by.get(f"costs.csv#{column}", {}), column
    assert by["costs.csv#callback"] == {PhiType.PHONE: 30}  # negative: real phone numbers


@pytest.mark.parametrize(("header", "cell", "expected"), [
    ("FIRST", "Maynard46", "Maynard"),
    ("LAST", "Mosciski958", "Mosciski"),
    ("MAIDEN", "Conroy74", "Conroy"),
    ("given_name", "Curt84", "Curt"),
    ("NAME", "Ludivina884 Steuber698", "Ludivina Steuber"),
    ("last_name", "O'Brien", "O'Brien"),
])
def test_name_columns_drop_digits_glued_to_names(tmp_path: Path, header: str, cell: str,
                                                  expected: str) -> None:
    from caresec import privacy

    _write(tmp_path / "p.csv", [header, "ssn"], [[cell, "123-45-6789"]])
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    loc = next(loc for loc in inv.locations if loc.location == f"p.csv#{header}")
    assert dict(loc.counts) == {PhiType.NAME: 1}
    assert loc.examples[0].pseudonym == privacy.pseudonym(KEY, "name", expected)


@pytest.mark.parametrize("header", ["first_seen", "last_login", "lastupdate"])
def test_first_and_last_alone_only(tmp_path: Path, header: str) -> None:
    # negative: "first"/"last" name a name part only as the whole label
    _write(tmp_path / "p.csv", [header, "ssn"],
           [[f"2024-0{1 + i % 9}-1{i % 10}", f"{123 + i}-45-6789"] for i in range(12)])
    inv = scan_sources([tmp_path], key=KEY, root=tmp_path, workers=1)
    counts = {loc.location: dict(loc.counts) for loc in inv.locations}
    assert PhiType.NAME not in counts.get(f"p.csv#{header}", {})


@pytest.mark.parametrize(("label", "hint"), [
    ("BIRTHPLACE", PhiType.LOCATION), ("place_of_birth", PhiType.LOCATION),
    ("birth_date", PhiType.DATE),
    ("TOTAL_CLAIM_COST", None), ("MEMBER_MONTHS", None), ("claim_number", PhiType.ACCOUNT),
    ("member_id", PhiType.HEALTH_PLAN_ID),
])
def test_header_hints(label: str, hint: PhiType | None) -> None:
    from caresec.collect.phi.hints import hint_for

    assert hint_for(label) == hint
