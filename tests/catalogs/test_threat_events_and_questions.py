"""threat-events.yaml (NIST SP 800-30 Rev. 1 Appendix D/E terms) and question-bank.yaml, checked
for coverage and resolution against hipaa-security-rule.yaml (45 CFR 164.308-316) and
hph-cpg.yaml (HHS HPH CPGs)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from caresec.catalogs.loader import load_threat_events
from caresec.catalogs.models import Question, question_stem
from caresec.catalogs.registry import (
    cross_reference_problems,
    load_cpgs,
    load_hipaa_security_rule,
    load_question_bank,
    resolve_citation,
)

EVENTS = load_threat_events()
QUESTIONS = load_question_bank().questions
RULE = load_hipaa_security_rule()


def test_all_cross_references_resolve() -> None:
    assert cross_reference_problems() == []


def test_threat_events_extend_the_original_three() -> None:
    assert len(EVENTS) >= 12
    assert {"TE-VULN-EXPLOIT", "TE-RANSOMWARE", "TE-MEDDEV-COMPROMISE"} <= set(EVENTS)


def test_threat_events_cover_every_sp800_30_source_type() -> None:
    # SP 800-30 Rev. 1 Table D-2: adversarial, accidental, structural, environmental.
    types = {e.source_type for e in EVENTS.values()}
    assert types == {"adversarial", "accidental", "structural", "environmental"}


@pytest.mark.parametrize("event_id", sorted(EVENTS))
def test_threat_event_controls_resolve(event_id: str) -> None:
    controls = EVENTS[event_id].control_ids
    assert controls
    for control in controls:
        assert resolve_citation(control).citation == control


def test_question_bank_size() -> None:
    assert len(QUESTIONS) >= 80


def test_every_specification_and_lone_standard_has_a_question() -> None:
    asked = {c for q in QUESTIONS for c in q.control_ids}
    wanted = {s.citation for s in RULE.specifications} | {
        s.citation for s in RULE.standards if not RULE.specifications_of(s.citation)
    }
    assert len(wanted) == 46 + 7
    assert wanted - asked == set()


def test_every_cpg_has_a_question() -> None:
    asked = {c for q in QUESTIONS for c in q.cpg_ids}
    assert {g.id for g in load_cpgs().goals} - asked == set()


def test_required_questions_without_na_are_universal() -> None:
    # A required risk analysis (§ 164.308(a)(1)(ii)(A)) can never be "not applicable".
    q = next(q for q in QUESTIONS if q.id == "Q-308-a1-iiA-01")
    assert "na" not in q.answers


@pytest.mark.parametrize(
    ("citation", "stem"),
    [
        ("164.308(a)(1)(ii)(A)", "308-a1-iiA"),
        ("164.308(a)(6)(ii)", "308-a6-ii"),
        ("164.308(b)(3)", "308-b3"),
        ("164.310(a)(2)(iv)", "310-a2-iv"),
        ("164.312(b)", "312-b"),
        ("164.314(b)(2)(iv)", "314-b2-iv"),
        ("164.316(a)", "316-a"),
    ],
)
def test_question_stem(citation: str, stem: str) -> None:
    assert question_stem(citation) == stem


BASE = {
    "id": "Q-312-d-01",
    "text": "t",
    "help": "h",
    "control_ids": ["164.312(d)"],
    "evidence": ["e"],
}


@pytest.mark.parametrize(
    ("change", "ok"),
    [
        ({}, True),
        ({"answers": ["yes", "no"]}, True),
        ({"id": "Q-312-b-01"}, False),  # id does not follow the first control id
        ({"id": "Q-312-d-1"}, False),  # two-digit sequence
        ({"nprm_parameter": "max_days"}, False),  # parameter without requirement
        ({"answers": ["partial", "na"]}, False),  # yes and no are always allowed
        ({"answers": ["maybe"]}, False),
        ({"evidence": []}, False),
        ({"control_ids": []}, False),
    ],
)
def test_question_model(change: dict[str, object], ok: bool) -> None:
    if ok:
        Question.model_validate(BASE | change)
    else:
        with pytest.raises(ValidationError):
            Question.model_validate(BASE | change)
