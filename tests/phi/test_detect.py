"""caresec.phi.detect on short texts: what must be found (positives) and what must not."""

from __future__ import annotations

import itertools

import pytest

from caresec.model.phi import PhiType
from caresec.phi import DetectorConfig, PhiDetector, detect
from caresec.phi.mrn import learn_mrn_pattern


def found(text: str) -> set[tuple[PhiType, str]]:
    return {(s.type, text[s.start:s.end]) for s in detect(text)}


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("Dr. Rakusin aware of low BP.", PhiType.NAME, "Rakusin"),
    ("daughter Helen called for update.", PhiType.NAME, "Helen"),
    ("Joyce Jacobson, RN", PhiType.NAME, "Joyce Jacobson"),
    ("call family at 410-555-9876 tonight", PhiType.PHONE, "410-555-9876"),
    ("Fax: (410) 555-0190 for records", PhiType.FAX, "(410) 555-0190"),
    ("SSN 123-45-6789 on file", PhiType.SSN, "123-45-6789"),
    ("MRN: 4455667 verified", PhiType.MRN, "4455667"),
    ("prescriber NPI 1234567893 signed", PhiType.NPI, "1234567893"),
    ("DEA AB1234563 on the script", PhiType.DEA, "AB1234563"),
    ("Medicare MBI 1EG4-TE5-MK73", PhiType.MBI, "1EG4-TE5-MK73"),
    ("admitted 06/11/2024 with CHF", PhiType.DATE, "06/11/2024"),
    ("93 yo female admitted with CHF", PhiType.AGE, "93"),
    ("mail joyce.jacobson@example.org today", PhiType.EMAIL, "joyce.jacobson@example.org"),
    ("portal https://portal.example.org/u/abc now", PhiType.URL,
     "https://portal.example.org/u/abc"),
    ("workstation 10.20.10.21 logged it", PhiType.IP_ADDRESS, "10.20.10.21"),
    ("lives at 2207 Orchard Road in Riverside", PhiType.ADDRESS, "2207 Orchard Road"),
    ("Baltimore, MD 21201 is the address", PhiType.ZIP, "21201"),
    ("member ID RVH-88410231 with the plan", PhiType.HEALTH_PLAN_ID, "RVH-88410231"),
    ("account # 77010023 is past due", PhiType.ACCOUNT, "77010023"),
    ("pacemaker serial number PJN123456 checked", PhiType.DEVICE, "PJN123456"),
    ("VIN 1M8GDM9AXKP042788 towed", PhiType.VEHICLE, "1M8GDM9AXKP042788"),
    ("transferred to Sacred Heart Hospital today", PhiType.LOCATION, "Sacred Heart"),
])
def test_finds(text: str, kind: PhiType, value: str) -> None:
    assert (kind, value) in found(text)


@pytest.mark.parametrize("text", [
    "SSN 900-12-0001 on the test card",          # 9xx area: never issued
    "SSN 078-05-1120 from the wallet insert",     # voided by SSA
    "NPI 1234567890 (bad check digit)",
    "BP 120/80, PEEP 5/5, strength 4/5, pain 7/10",
    "give 1/2 tab of metoprolol",
    "2024-06-12T07:00:01Z INFO user svc_mirth connected to db01",
    "request 9f1c2a7e-5b0d-4e3a-9c1f-0d2e3f4a5b6c retried after timeout",
    "OID urn:oid:1.2.36.146.595.217.0.1 assigned",
    "foley draining clear yellow urine, colace given",
    "Pt alert and oriented, lungs clear, will continue plan.",
])
def test_finds_nothing(text: str) -> None:
    assert found(text) == set()


def test_spans_are_sorted_and_disjoint() -> None:
    text = "Mr. Nicholson, 410-555-9876, seen 7/22 by Dr. Toolis; wife Carol Buckley aware."
    spans = detect(text)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert {text[s.start:s.end] for s in spans} >= {"Nicholson", "410-555-9876", "7/22", "Toolis",
                                                    "Carol Buckley"}


def test_seeds_find_structured_names_in_text() -> None:
    detector = PhiDetector()
    text = "zephyrine walked the hallway twice"
    assert detector.detect(text) == []
    spans = detector.detect(text, seeds=["Zephyrine Quillfeather"])
    assert [(text[s.start:s.end], s.detector) for s in spans] == [("zephyrine", "seed")]


def test_learned_mrn_format_needs_no_context() -> None:
    text = "results for RCH0004711 are back"
    assert PhiDetector().detect(text) == []
    detector = PhiDetector(DetectorConfig(mrn_patterns=(learn_mrn_pattern(["RCH0004712"]),)))
    assert [(text[s.start:s.end], s.type) for s in detector.detect(text)] == [
        ("RCH0004711", PhiType.MRN)]


def test_names_not_read_in_ids_and_log_lines() -> None:
    # census surnames inside codes, GUIDs and log lines are not names (routing by schema)
    text = "2024-06-12 10:00:01 INFO Smith-Gateway-7 job Johnson42 finished for Miller_host"
    assert [s for s in detect(text) if s.type is PhiType.NAME] == []
