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


# --------------------------------------------------------------------------- evaluation results


class NprmVerdict(StrEnum):
    """Readiness for one proposed requirement of the HIPAA Security Rule NPRM (90 FR 898; not in
    force): ``would pass``, ``would fail`` or ``unknown``."""

    WOULD_PASS = "would pass"  # noqa: S105 - a verdict, not a password
    WOULD_FAIL = "would fail"
    UNKNOWN = "unknown"


class OcrCoverage(StrEnum):
    """How far this audit's evidence covers one element of a risk analysis (HHS OCR, Guidance on
    Risk Analysis, 2010): ``covered``, ``partly covered`` or ``not covered``."""

    COVERED = "covered"
    PARTLY_COVERED = "partly covered"
    NOT_COVERED = "not covered"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one evidence rule (``catalogs/evidence-rules.yaml``) concluded in this audit.

    Attributes:
        rule_id: ``ER-…``.
        title: the rule's title.
        control_ids: HIPAA citations it bears on.
        holds: whether its condition held (``None``: could not be decided from the evidence).
        role: ``gap`` (caps the state), ``support`` (shows fulfilment), ``note`` (cited only) or
            ``""`` when the branch taken has no effect.
        state: the state it suggests (``None`` with role ``""`` or ``note``).
        message: a sentence with the figures behind it.
        evidence: the evidence records cited.
        finding_ids: findings cited.
    """

    rule_id: str
    title: str
    control_ids: tuple[str, ...]
    holds: bool | None
    role: str
    state: ControlState | None
    message: str
    evidence: tuple[Evidence, ...] = ()
    finding_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CpgStatus:
    """The judged status of one HHS HPH Cybersecurity Performance Goal (voluntary).

    Attributes:
        cpg_id: ``CPG-ESS-01`` … ``CPG-ENH-10``.
        title: the goal's name.
        tier: ``essential`` or ``enhanced``.
        state: :class:`ControlState` (``met``, ``partly met``, ``not met``, ``unknown``,
            ``not applicable``).
        rationale: one line naming the answers and rules that decided it.
        answers: answers to the questions mapped to the goal.
        rule_ids: evidence rules mapped to the goal that had an effect.
        evidence: evidence records cited.
    """

    cpg_id: str
    title: str
    tier: str
    state: ControlState
    rationale: str
    answers: tuple[Answer, ...] = ()
    rule_ids: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class NprmReadiness:
    """Whether the organization would meet one proposed NPRM requirement, and why.

    Attributes:
        requirement_id: ``NPRM-PATCH-CRITICAL`` … (``hipaa-security-rule-nprm.yaml``).
        title: the requirement's title.
        verdict: :class:`NprmVerdict`.
        reason: a sentence with the figures ("critical patches within 15 days: CVE-2021-44228
            open at least 1,815 days on HL7-01").
        question_ids: questions that measure it.
        rule_ids: evidence rules that bear on it.
        evidence: evidence records cited.
    """

    requirement_id: str
    title: str
    verdict: NprmVerdict
    reason: str
    question_ids: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class OcrElementCoverage:
    """What in this audit covers one of the nine OCR risk-analysis elements.

    Attributes:
        element_id: ``OCR-RA-1`` … ``OCR-RA-9``.
        title: OCR's heading for the element.
        coverage: :class:`OcrCoverage`.
        summary: what covers it, with counts ("inventory of 48 assets, 41 holding ePHI").
        evidence: evidence records cited.
    """

    element_id: str
    title: str
    coverage: OcrCoverage
    summary: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class ControlEvaluation:
    """Control status judged from the audit's evidence and the questionnaire answers.

    Attributes:
        statuses: one per HIPAA Security Rule standard and implementation specification, in
            regulation order (``hipaa-security-rule.yaml``: 68 elements).
        contradictions: answers the evidence contradicts.
        cpg_status: one per HPH CPG, in HHS order (20).
        nprm_readiness: one per NPRM requirement, in catalog order.
        ocr_elements: one per OCR risk-analysis element (9).
        rule_results: every evidence rule, in catalog order, with what it concluded.
        answers: the answers considered (questions of the shipped question bank only).
        questions: how many questions the question bank holds.
    """

    statuses: tuple[ControlStatus, ...]
    contradictions: tuple[Contradiction, ...] = ()
    cpg_status: tuple[CpgStatus, ...] = ()
    nprm_readiness: tuple[NprmReadiness, ...] = ()
    ocr_elements: tuple[OcrElementCoverage, ...] = ()
    rule_results: tuple[RuleResult, ...] = ()
    answers: tuple[Answer, ...] = ()
    questions: int = 0

    def status_of(self, control_id: str) -> ControlStatus:
        """The status of one HIPAA citation.

        Raises:
            KeyError: ``control_id`` is not a standard or specification of the catalog.
        """
        for status in self.statuses:
            if status.control_id == control_id:
                return status
        raise KeyError(control_id)

    @property
    def gaps(self) -> tuple[ControlStatus, ...]:
        """Statuses that are ``not met`` or ``partly met``, in regulation order."""
        return tuple(
            s for s in self.statuses if s.state in (ControlState.NOT_MET, ControlState.PARTLY_MET)
        )
