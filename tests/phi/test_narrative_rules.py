"""Narrative rules of caresec.phi.narrative, one class of note wording each: the cue that makes
a word an identifier (positives) beside the look-alike that must stay unmarked (negatives).

The phrases are written for these tests (no patient's text). Which types count follows the
Safe Harbor list, 45 CFR 164.514(b)(2)(i): names (A); geographic subdivisions smaller than a
State (B), so a State alone is not an identifier; all elements of dates except the year (C).
"""

from __future__ import annotations

import pytest

from caresec.model.phi import PhiType
from caresec.phi import detect


def found(text: str) -> set[tuple[PhiType, str]]:
    return {(s.type, text[s.start:s.end]) for s in detect(text)}


@pytest.mark.parametrize(("text", "kind", "value"), [
    # dates: a short date glued to a word, a month alone, an ordinal day, history-list years
    ("LITHIUM TOXICITY-9/2/92. ALLERGIES: NKDA.", PhiType.DATE, "9/2/92"),
    ("PRESENT HX:8/30 decreased mental status, lethargic.", PhiType.DATE, "8/30"),
    ("Pt fell at home on 8/10. Brought in by EMS.", PhiType.DATE, "8/10"),
    ("came from home in sept. and went to rehab later", PhiType.DATE, "sept"),
    ("blood culture drawn on the 11th. One set positive.", PhiType.DATE, "11th"),
    ("PMH: NIDDM. 09 PTCA to LCX and ramus.", PhiType.DATE, "09"),
    ("PMH: CAD: NQWMI 13. HTN. EF 50%.", PhiType.DATE, "13"),
    ("prostate CA'88, GERD", PhiType.DATE, "88"),
    # names: cue words and shapes
    ("stridor noted, dr green aware. will follow.", PhiType.NAME, "green"),
    ("IV NURSE ANNA KOWALSKA CALLED BACK", PhiType.NAME, "ANNA KOWALSKA"),
    ("Spoke with family. Jane Quillby MD spoke with pt's daughter.", PhiType.NAME,
     "Jane Quillby"),
    ("all is well at this time. q. lander rrt", PhiType.NAME, "q. lander"),
    ("Hank Zyborski (son) cell# 410-555-0142", PhiType.NAME, "Hank Zyborski"),
    ("Sons Smokey, Morris and Roger in to visit.", PhiType.NAME, "Smokey"),
    ("Only able to reach Rob. Will call again.", PhiType.NAME, "Rob"),
    ("keep the Romero family aware of plan of care", PhiType.NAME, "Romero"),
    ("lorrie morales is a 70 yr old female admitted with SOB", PhiType.NAME, "lorrie morales"),
    # places: facility names, acronyms formed on "Medical Center", wards
    ("pt going to Sacred Heart Memorial at 4pm", PhiType.LOCATION, "Sacred Heart Memorial"),
    ("was transferred from Memorial Hospital 9/13", PhiType.LOCATION, "Memorial"),
    ("MAY BE W/U BY GBMC FOR TRANSPLANT", PhiType.LOCATION, "GBMC"),
    ("code called to quartermain 6 at 0455", PhiType.LOCATION, "quartermain"),
])
def test_finds(text: str, kind: PhiType, value: str) -> None:
    assert (kind, value) in found(text)


@pytest.mark.parametrize(("text", "value"), [
    ("GI: abd soft, nondistended, pt received colace as ordered.", "nondistended"),
    ("Pt has CRF, pt dialyzed today.", "CRF"),
    ("SAT 97 4L NP. PT ALERT", "SAT"),
    ("skin care RN consulted for heels", "care"),
    ("son and husband visisted. daughter called.", "visisted"),
    ("SON PRESNT TILL 2100", "PRESNT"),
    ("placed on the Passy Muir valve at noon", "Passy"),
    ("cont on Zestril 40mg qd, Kefzol 1gm q8h", "Zestril"),
    ("has 3 children in new hampshire and maine", "maine"),
    ("SON WENT BACK TO CALIFORNIA", "CALIFORNIA"),
    ("cerebellar bleed extending into the 4th ventricle", "4th"),
    ("BC + staph aureus 4/4 bottles", "4/4"),
    ("pt had 8/10 CP, given NTG", "8/10"),
    ("HOB 30'. Drain placed at 15cm", "30"),
    ("plan to cont w/u of l arm swelling", "u of l"),
    ("N/V. Droperidol ordered", "V"),
    ("mech vent as per Carevue. Lung sounds coarse", "Carevue"),
])
def test_does_not_find(text: str, value: str) -> None:
    assert all(value not in text[s.start:s.end] and text[s.start:s.end] not in value
               for s in detect(text))
