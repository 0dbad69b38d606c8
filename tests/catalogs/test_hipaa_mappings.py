"""hipaa-mappings.yaml: NIST SP 800-66 Rev. 2 (CPRT OLIR mappings to CSF 1.1 and SP 800-53 Rev.
5.1.1), CSF 2.0 ids translated through NIST's CSF 2.0 OSCAL withdrawal links."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from caresec.catalogs.models import SP800_53_CONTROL, HipaaMappingsCatalog
from caresec.catalogs.registry import load_csf, load_hipaa_mappings, load_hipaa_security_rule

MAPPINGS = load_hipaa_mappings()
BY = MAPPINGS.by_citation()
TRANSLATION = {t.csf_1_1: t.csf_2_0 for t in MAPPINGS.csf_translation}


def test_every_hipaa_element_is_mapped() -> None:
    # SP 800-66r2 covers all 68 standards and implementation specifications.
    cites = {e.citation for e in load_hipaa_security_rule().elements}
    assert set(BY) == cites
    assert len(BY) == 68


def test_csf_2_0_ids_exist() -> None:
    csf = load_csf().subcategory_ids()
    used = {c for m in MAPPINGS.mappings for c in m.csf_2_0}
    assert used <= csf


@pytest.mark.parametrize(
    ("citation", "sp800_53"),
    [
        # Values from the CPRT "SP 800-66 Rev. 2 to SP 800-53 Rev. 5.1.1" mapping.
        ("164.312(a)(2)(iv)", ("SC-13",)),
        ("164.308(a)(1)(ii)(A)", ("RA-2", "RA-3")),
        ("164.312(a)(2)(iii)", ("AC-12",)),
        ("164.312(b)", ("AU-1", "AU-2", "AU-3", "AU-4", "AU-6", "AU-7", "AU-8")),
        ("164.310(a)(2)(iii)", ("PE-1", "PE-2", "PE-3", "PE-3(1)", "PE-6", "PE-8")),
        ("164.308(a)(7)(ii)(A)", ("CP-6", "CP-9", "CP-9(1)")),
        ("164.308(b)(3)", ("CA-3", "SA-4", "SA-9")),
    ],
)
def test_sample_sp800_53_mappings(citation: str, sp800_53: tuple[str, ...]) -> None:
    assert BY[citation].sp800_53 == sp800_53


def test_sp800_53_ids_are_well_formed() -> None:
    bad = [c for m in MAPPINGS.mappings for c in m.sp800_53 if not re.match(SP800_53_CONTROL, c)]
    assert bad == []


@pytest.mark.parametrize(
    ("control", "ok"),
    [
        ("AC-2", True),
        ("SI-2(2)", True),
        ("PE-3(1)", True),
        ("AC-02", False),
        ("ac-2", False),
        ("AC-2 (1)", False),
        ("AC2", False),
    ],
)
def test_sp800_53_pattern(control: str, ok: bool) -> None:
    assert bool(re.match(SP800_53_CONTROL, control)) is ok


@pytest.mark.parametrize(
    ("csf_1_1", "csf_2_0"),
    [
        # NIST CSF 2.0 OSCAL catalog: withdrawn CSF 1.1 ids and where they went.
        ("PR.AC-1", ("PR.AA-01", "PR.AA-05")),
        ("ID.GV-3", ("GV.OC-03",)),
        ("PR.IP-4", ("PR.DS-11",)),
        ("PR.PT-1", ("PR.PS-04",)),
        ("DE.CM-8", ("ID.RA-01",)),
        # Kept in CSF 2.0 with a two-digit number.
        ("ID.RA-1", ("ID.RA-01",)),
        ("PR.DS-1", ("PR.DS-01",)),
        ("RC.RP-1", ("RC.RP-01",)),
    ],
)
def test_translation_samples(csf_1_1: str, csf_2_0: tuple[str, ...]) -> None:
    assert TRANSLATION[csf_1_1] == csf_2_0


def test_sample_csf_mapping() -> None:
    # CPRT: 164.312(a)(2)(iv) -> ID.GV-3 PR.DS-1 PR.DS-5 PR.MA-2 PR.PT-2 PR.PT-3.
    m = BY["164.312(a)(2)(iv)"]
    assert m.csf_1_1 == ("ID.GV-3", "PR.DS-1", "PR.DS-5", "PR.MA-2", "PR.PT-2", "PR.PT-3")
    assert set(m.csf_2_0) == {
        "GV.OC-03",
        "PR.DS-01",
        "PR.DS-02",
        "PR.DS-10",
        "ID.AM-08",
        "PR.PS-02",
        "PR.PS-01",
    }


def _catalog(csf_2_0: list[str]) -> dict[str, object]:
    return {
        "catalog": "hipaa-mappings",
        "version": "0",
        "title": "t",
        "source": "s",
        "notes": "n",
        "csf_translation": [
            {"csf_1_1": "PR.AC-1", "csf_2_0": ["PR.AA-01", "PR.AA-05"], "relation": "withdrawn"}
        ],
        "mappings": [
            {
                "citation": "164.312(d)",
                "csf_1_1": ["PR.AC-1"],
                "csf_2_0": csf_2_0,
                "sp800_53": ["IA-2"],
            }
        ],
    }


@pytest.mark.parametrize(
    ("csf_2_0", "ok"),
    [
        (["PR.AA-05", "PR.AA-01"], True),
        (["PR.AA-01"], False),
        (["PR.AA-01", "PR.AA-05", "PR.AA-03"], False),
    ],
)
def test_csf_2_0_must_equal_translation(csf_2_0: list[str], ok: bool) -> None:
    if ok:
        HipaaMappingsCatalog.model_validate(_catalog(csf_2_0))
    else:
        with pytest.raises(ValidationError):
            HipaaMappingsCatalog.model_validate(_catalog(csf_2_0))
