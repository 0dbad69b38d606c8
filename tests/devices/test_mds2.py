"""collect/mds2.py and analyze/mds2.py: MDS2 (HN 1-2019) workbooks and contradictions.

The workbooks are built here in the form's layout (question id, question, answer, note columns;
section title rows); question texts are paraphrases. The CWE facts come from ICSMA-21-047-01
(CVE-2020-27278, CWE-798 Use of Hard-coded Credentials, HAMILTON-T1 "<= 2.2.3").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caresec.analyze.devices import match_devices
from caresec.analyze.mds2 import device_observations, forms_for_assets, mds2_contradictions
from caresec.collect.csaf import read_csaf
from caresec.collect.mds2 import collect_mds2, normalize_answer, read_mds2
from caresec.errors import InputError
from caresec.model import Asset, ClinicalCriticality

DOC = [
    "DOCUMENTATION",
    ("DOC-1", "Manufacturer name", "Hamilton Medical AG"),
    ("DOC-3", "Device model", "HAMILTON-T1"),
    ("DOC-4", "Document ID", "TEST-T1-01"),
]


def test_reads_the_form_layout(tmp_path: Path, mds2_builder: Callable[..., Path]) -> None:
    path = mds2_builder(tmp_path / "t1.xlsx", [
        *DOC,
        "HEALTH DATA STORAGE CONFIDENTIALITY",
        ("STCF-1", "Can data at rest be encrypted?", "Yes", "4"),
        ("STCF-1.1", "Is all data encrypted?", "N/A"),
        ("MPII-2.3", "Is the data kept until erased?", "See Note", "2"),
        ("AUDT-2.8.1", "Remote or on-site support logged?", "No, not logged"),
    ])
    form, problems = read_mds2(path)
    assert problems == []
    assert (form.manufacturer, form.model, form.document_id) == ("Hamilton Medical AG",
                                                                 "HAMILTON-T1", "TEST-T1-01")
    answers = {a.question_id: (a.answer, a.note) for a in form.answers}
    assert answers["STCF-1"] == ("yes", "4")
    assert answers["STCF-1.1"] == ("n/a", "")
    assert answers["MPII-2.3"] == ("see note", "2")
    assert answers["AUDT-2.8.1"] == ("no", "")
    answer = form.answer("stcf-1")
    assert answer is not None and answer.place == "MDS2!row 8"  # title, header, 5 rows


def test_reads_a_layout_without_header(tmp_path: Path,
                                       mds2_builder: Callable[..., Path]) -> None:
    path = mds2_builder(tmp_path / "t1.xlsx", [*DOC, ("PAUT-5", "All passwords changeable?",
                                                      "Yes")], header=False)
    form, _ = read_mds2(path)
    assert form.answer("PAUT-5") is not None


def test_duplicate_answer_is_reported(tmp_path: Path, mds2_builder: Callable[..., Path]) -> None:
    path = mds2_builder(tmp_path / "t1.xlsx", [*DOC, ("PAUT-5", "q", "Yes"), ("PAUT-5", "q",
                                                                                "No")])
    form, problems = read_mds2(path)
    answer = form.answer("PAUT-5")
    assert answer is not None and answer.answer == "yes"
    assert "answered again" in problems[0].message


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("STCF-1", "q", "Yes")], "DOC-1"),
        ([], "no MDS2 question ids"),
    ],
)
def test_unusable_workbooks(tmp_path: Path, mds2_builder: Callable[..., Path],
                            rows: list[tuple[str, str, str]], message: str) -> None:
    path = mds2_builder(tmp_path / "bad.xlsx", rows)
    with pytest.raises(InputError) as error:
        read_mds2(path)
    assert message in str(error.value)


def test_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_text("not a zip", "utf-8")
    forms, problems = collect_mds2(tmp_path, tmp_path)
    assert forms == () and problems[0].file == "x.xlsx"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("Yes", "yes"), ("YES, optional", "yes"), ("No", "no"), ("N/A", "n/a"), ("NA", "n/a"),
     ("See Note", "see note"), ("None of these", "None of these"), ("Nothing", "Nothing")],
)
def test_normalize_answer(raw: str, normalized: str) -> None:
    assert normalize_answer(raw) == normalized


@pytest.mark.realdata
def test_hard_coded_credentials_contradict_paut_5(
    tmp_path: Path, shared_data: Path, mds2_builder: Callable[..., Path],
    make_device: Callable[..., Asset],
) -> None:
    vent = make_device("VENT-1", "Hamilton Medical", "HAMILTON-T1", "2.2.2",
                       ClinicalCriticality.LIFE_SUSTAINING)
    path = mds2_builder(tmp_path / "t1.xlsx", [*DOC, ("PAUT-5", "All passwords changeable?",
                                                      "Yes"), ("SBOM-1", "SBOM?", "N/A")])
    form, _ = read_mds2(path)
    advisory = read_csaf(shared_data / "vuln/csaf-icsma/icsma-21-047-01.json")
    matches, _ = match_devices([vent], [advisory])
    contradictions = mds2_contradictions([form], [vent], device_observations([vent], matches))
    assert [(c.asset_id, c.question_id, c.answer) for c in contradictions] == [
        ("VENT-1", "PAUT-5", "yes")]
    message = contradictions[0].message
    assert "CVE-2020-27278" in message and "CWE-798" in message
    assert [e.collector for e in contradictions[0].evidence] == ["csaf", "mds2"]


@pytest.mark.parametrize(
    ("extra", "answer", "contradicted"),
    [
        ((("encryption_at_rest", "no"),), "Yes", True),
        ((("encryption_at_rest", "yes"),), "Yes", False),
        ((("encryption_at_rest", "yes"),), "No", True),
        ((), "Yes", False),  # nothing observed, nothing contradicted
        ((("encryption_at_rest", "no"),), "N/A", False),
    ],
)
def test_inventory_observation_against_stcf_1(
    tmp_path: Path, mds2_builder: Callable[..., Path], make_device: Callable[..., Asset],
    extra: tuple[tuple[str, str], ...], answer: str, contradicted: bool,
) -> None:
    asset = make_device("US-1", "GE Healthcare", "LOGIQ E10", "R3", extra=extra)
    path = mds2_builder(tmp_path / "logiq.xlsx", [
        ("DOC-1", "Manufacturer", "General Electric"), ("DOC-3", "Model", "LOGIQ E10"),
        ("STCF-1", "Encrypts data at rest?", answer)])
    form, _ = read_mds2(path)
    found = mds2_contradictions([form], [asset], device_observations([asset]))
    assert bool(found) is contradicted


def test_form_links_by_vendor_alias_and_model(tmp_path: Path,
                                              mds2_builder: Callable[..., Path],
                                              make_device: Callable[..., Asset]) -> None:
    path = mds2_builder(tmp_path / "f.xlsx", [("DOC-1", "m", "Philips Healthcare"),
                                              ("DOC-3", "m", "IntelliVue MX40")])
    form, _ = read_mds2(path)
    mx40 = make_device("MX", "Philips", "IntelliVue MX40", "B.06.18")
    other = make_device("MP", "Philips", "IntelliVue MP70", "J.10")
    assert list(forms_for_assets([form], [mx40, other])) == ["MX"]


def test_example_workbook_contradicts_the_inventory(example: Path) -> None:
    from caresec.collect.inventory import collect_inventory
    from caresec.collect.org import load_org

    assets, _ = collect_inventory(load_org(example))
    forms, problems = collect_mds2(example / "mds2", example)
    assert problems == ()
    found = mds2_contradictions(forms, assets, device_observations(assets))
    # The fictional MIS-7 form says the pump handles no personal information (MPII-1 No) and
    # has no SBOM (SBOM-1 No); the inventory says IP-FLEET holds ePHI and links an SBOM.
    assert [(c.asset_id, c.question_id) for c in found] == [("IP-FLEET", "MPII-1"),
                                                            ("IP-FLEET", "SBOM-1")]
