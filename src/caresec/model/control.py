"""Control status: HIPAA Security Rule safeguards judged from answers and evidence."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from caresec.model.finding import Evidence


class AnswerValue(StrEnum):
    """A questionnaire answer: ``yes``, ``partial``, ``no`` or ``na`` (not applicable)."""

    YES = "yes"
    PARTIAL = "partial"
    NO = "no"
    NOT_APPLICABLE = "na"


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of the organization's ``answers.yaml``.

    Attributes:
        question_id: id from the question bank (``catalogs/question-bank.yaml``).
        value: :class:`AnswerValue`.
        note: free text from the respondent.
        evidence_refs: documents or records the respondent cites (policy names, ticket ids).
        answered_by: role of the respondent (not a person's name unless the org chooses).
        answered_on: ISO date of the answer, when given.
        source: ``answers.yaml:LINE``.
    """

    question_id: str
    value: AnswerValue
    note: str = ""
    evidence_refs: tuple[str, ...] = ()
    answered_by: str = ""
    answered_on: str = ""
    source: str = ""


class ControlState(StrEnum):
    """Status of one safeguard (HIPAA standard or implementation specification)."""

    MET = "met"
    PARTLY_MET = "partly met"
    NOT_MET = "not met"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True, slots=True)
class Contradiction:
    """An answer that the collected evidence contradicts.

    Attributes:
        control_id: HIPAA citation (``164.308(a)(1)(ii)(B)``).
        question_id: the question whose answer is contradicted.
        answer: the answer given.
        message: a sentence stating the contradiction with figures
            ("answered yes to critical patches within 30 days, but CVE-2021-44228 (KEV) has been
            open on HL7-01 for 1,400 days").
        evidence: the evidence records behind it.
    """

    control_id: str
    question_id: str
    answer: AnswerValue
    message: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class ControlStatus:
    """The judged status of one safeguard.

    Attributes:
        control_id: HIPAA citation.
        title: the safeguard's title.
        state: :class:`ControlState`.
        rationale: one line naming what decided the state (answers, evidence rules).
        answers: the answers that bear on it.
        evidence: evidence records cited.
        rule_ids: evidence rules that fired.
        finding_ids: findings that bear on it.
    """

    control_id: str
    title: str
    state: ControlState
    rationale: str
    answers: tuple[Answer, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    rule_ids: tuple[str, ...] = ()
    finding_ids: tuple[str, ...] = ()
