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
    # a census name that is an obscure dictionary word (wordfreq Zipf < 3) is a name
    ("MET WITH HERZOG ABOUT DISCHARGE", PhiType.NAME, "HERZOG"),
    # the subject of a verb only a person does
    ("Marguerite visited this evening and asked about the plan.", PhiType.NAME, "Marguerite"),
    ("Tavo verbalizes understanding of the plan.", PhiType.NAME, "Tavo"),
    ("social: gus called twice overnight.", PhiType.NAME, "gus"),
    # surname particles and a first name that is also a verb, after a title
    ("seen by Dr. van Buren this morning", PhiType.NAME, "van Buren"),
    ("discussed with dr o rourke at noon", PhiType.NAME, "o rourke"),
    ("seen by Dr Will Parker today, he will call back later", PhiType.NAME, "Will Parker"),
    # a first name and surname before a phone number; an initial, a surname and a verb
    ("CONTACT PERSON MARY SMITH (617) 555-0143. SON IN TO VISIT", PhiType.NAME, "MARY SMITH"),
    ("LOW GRADE TEMP. J PARKER ORDERED EPI INCREASED", PhiType.NAME, "J PARKER"),
    # a cued name whose second word looks like a misspelling
    ("IV NURSE ANNA BRENNIS CALLED BACK", PhiType.NAME, "ANNA BRENNIS"),
    ("KALLIS MORELL (DAUGHTER) AT BEDSIDE", PhiType.NAME, "KALLIS MORELL"),
    # a short all-capitals name next to the rest of the name, or after a relative
    ("DISCUSSED WITH BEA MADIGAN AT BEDSIDE", PhiType.NAME, "BEA MADIGAN"),
    ("spoke with daughter ANN this am", PhiType.NAME, "ANN"),
    # regions named by a geographic feature; a hospital's emergency ward; a move to a place;
    # an employer; a street address whose suffix is also a clinical abbreviation (ST)
    ("moved here from the Gulf Coast last year", PhiType.LOCATION, "Gulf Coast"),
    ("Sent to Mossgrove ER for eval. BP OK.", PhiType.LOCATION, "Mossgrove"),
    ("She wants to go to Lighthouse and wait for a bed there. BP OK.", PhiType.LOCATION,
     "Lighthouse"),
    ("son works for Summit Health as an accountant", PhiType.LOCATION, "Summit Health"),
    ("lives at 42 Birch St. with wife", PhiType.ADDRESS, "42 Birch St."),
    # an area code and seven digits run together, after a contact word
    ("can be reached at 617 5550143 after 6pm", PhiType.PHONE, "617 5550143"),
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
    # a rare dictionary word that is only a rare surname stays a word (bolus: rank > 5,000)
    ("given NS bolus with good effect", "bolus"),
    # a verb after a common word or a service is not a name
    ("Family visited in the evening. Cardiology called back.", "Family"),
    ("Family visited in the evening. Cardiology called back.", "Cardiology"),
    # a particle with no name after it; a verb after a title in all-capitals text
    ("discussed with dr o at noon", "o"),
    ("DR WILL CALL BACK IN AM", "WILL"),
    ("seen by Dr Will Parker today, he will call back later", "will call"),
    # a phone number after words that are not a name; an initial before a non-name
    ("CALL ROOM BED 617-555-0143", "BED"),
    ("LOW GRADE T BROWN STOOL NOTED", "BROWN"),
    # short all-capitals codes are not names without a cue
    ("HL7 ORM AND ORU MESSAGES SENT TO LAB", "ORM"),
    ("Interface: ORM, ORU and ADT feeds from Epic.", "ADT"),
    # a region in lower case in mixed-case text; a unit after a move; no organization word
    ("Son from the west coast. Pt BP stable, HR 80.", "west"),
    ("Ready to transfer to Medicine service tomorrow. BP OK.", "Medicine"),
    ("husband works at home most days", "home"),
    # a clinical word as a street name is still no address ("2 Foley. Dr")
    ("replaced 2 Foley. Dr aware", "Foley"),
    # seven digits after an area code with no contact word nearby
    ("lot 617 5550143 expires soon", "5550143"),
])
def test_does_not_find(text: str, value: str) -> None:
    assert all(value not in text[s.start:s.end] and text[s.start:s.end] not in value
               for s in detect(text))


@pytest.mark.parametrize("name", [
    "Oracle 001 Oracle ORM O01.hl7",
    "Epic 001 Epic ORM O01.hl7",
    "EPIC 001 EPIC ORM O01.HL7",
])
def test_file_names_with_message_codes_have_no_names(name: str) -> None:
    """HL7 v2 message types (ORM^O01, ORU, ADT; HL7 v2.5.1 Table 0076) in a file name are codes:
    an all-capitals token of three letters or fewer is never a dictionary name alone."""
    assert detect(name) == []


@pytest.mark.parametrize(("text", "names"), [
    ("Patient: Zebulon Quagmirewood", ["Zebulon Quagmirewood"]),          # in no dictionary
    ("Patient name: Zebulon Quagmirewood\nSSN: 123-45-6789", ["Zebulon Quagmirewood"]),
    ("Pt: Xanthippe Brumblebury", ["Xanthippe Brumblebury"]),
    ("Guarantor = Quagmirewood, Zebulon", ["Quagmirewood, Zebulon"]),
    ("name: Blood Pressure", []),                                         # common words
    ("Name: Chest X-Ray", []),
    ("Patient: Stable", []),                                              # one word
    ("PT: Alert And Oriented", []),
])
def test_labelled_names(text: str, names: list[str]) -> None:
    """A form label that names a person (``Patient:``, ``Pt:``, ``Guarantor =``) then two to
    four capitalised words, one of them a census name or no common English word."""
    found = [text[s.start:s.end] for s in detect(text) if s.type is PhiType.NAME]
    assert found == names
