"""Redaction of patient identifiers from the organization's own free text.

The questionnaire notes and evidence names (``answers.yaml``), risk-response justifications
(``risk-responses.yaml``) and plan-status notes (``plan-status.yaml``) are written by people
and copied into every report and export. Reports never carry patient identifiers (HIPAA
minimum necessary, 45 CFR 164.502(b)), so the collectors pass each of these texts through
:func:`redact_free_text` before it reaches a record: every identifier that
:func:`caresec.phi.detect` finds and that points at a patient becomes ``[redacted TYPE]``, and
the collector adds a warning naming the file, the line and the types (never the value).

Only the identifier types that single out a patient are redacted (Safe Harbor items of
45 CFR 164.514(b)(2)(i) as typed by :class:`~caresec.model.phi.PhiType`): names, street
addresses, phone and fax numbers, e-mail addresses, SSNs, medical record, health plan and
account numbers, Medicare MBIs, ages over 89, and dates tied to a person. Organization text is
full of schedule dates, vendor and site names, policy and ticket numbers and host addresses, so
places, ZIP codes, URLs, IP addresses, device, licence, NPI and DEA numbers are kept; a date is
redacted only after a birth, death, admission or discharge word, or beside another patient
identifier in the same text; a health plan or account number only when it has six digits or
more (``Policy PAT-02`` is a policy name). In fields that hold a workforce member's role or
name (``owner``, ``answered_by``) names are kept.

Two additions to the detector's spans, both confined to free text written into these files:
a name span is widened over the capitalized words that directly follow it (the surname after a
dictionary first name), and a number written as ``SSN 900-12-0002`` is an SSN even where it
could never have been issued (the detector skips those in scanned data; in a note the label
says what the writer meant).

``caresec.toml`` ``[settings] reveal_phi = "true"`` turns redaction off; the audit then warns
once that it is off (:func:`reveal_phi`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from caresec.model.phi import PhiType, Span
from caresec.model.problems import InputProblem, ProblemSeverity

REVEAL_SETTING = "reveal_phi"
"""The ``[settings]`` key that turns redaction off (``"true"``)."""

ROLE_FIELDS = frozenset({"owner", "answered_by"})
"""Fields naming a workforce member or role: names in them are not patient identifiers."""

PATIENT_TYPES = frozenset({
    PhiType.NAME, PhiType.ADDRESS, PhiType.PHONE, PhiType.FAX, PhiType.EMAIL, PhiType.SSN,
    PhiType.MRN, PhiType.HEALTH_PLAN_ID, PhiType.MBI, PhiType.ACCOUNT, PhiType.AGE,
    PhiType.DATE,
})
"""Identifier types that may be redacted (subject to the date and number rules above)."""

_PERSON_TYPES = PATIENT_TYPES - {PhiType.DATE, PhiType.AGE}
_NUMBER_TYPES = frozenset({PhiType.HEALTH_PLAN_ID, PhiType.ACCOUNT})
_MIN_NUMBER_DIGITS = 6
_PERSON_DATE = re.compile(
    r"\b(?:dob|d\.o\.b\.?|birth\w*|born|died|death|deceased|admit\w*|admission|"
    r"discharg\w*)\b[^\n]{0,24}$", re.IGNORECASE)
_NEXT_WORD = re.compile(r" ([A-Z][a-z]+(?:['\u2019-][A-Z]?[a-z]+)?)\b")
_MAX_WIDEN = 2
_LABELLED_SSN = re.compile(
    r"\b(?:ssn|ss#|social security(?: number| no\.?)?)\s*[:#]?\s*(\d{3}-\d{2}-\d{4})(?![\d-])",
    re.IGNORECASE)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0", ""})


def redact_free_text(text: str, *, field: str) -> tuple[str, list[str]]:
    """Replace the patient identifiers in one free-text value.

    Args:
        text: the value as written (a note, a justification, an evidence name).
        field: the field it came from (``note``, ``justification``, ``owner`` …); in
            :data:`ROLE_FIELDS` names are kept.

    Returns:
        ``(text, types)``: the text with each identifier replaced by ``[redacted TYPE]``
        (``[redacted SSN]``, ``[redacted STREET ADDRESS]``), and the upper-case types found in
        order of first appearance (empty, and the text unchanged, when there were none).
    """
    if not text.strip():
        return text, []
    spans = _patient_spans(text, keep_names=field in ROLE_FIELDS)
    if not spans:
        return text, []
    out: list[str] = []
    types: list[str] = []
    at = 0
    for span in spans:
        label = span.type.value.upper()
        out += [text[at:span.start], f"[redacted {label}]"]
        at = span.end
        if label not in types:
            types.append(label)
    out.append(text[at:])
    return "".join(out), types


def reveal_phi(settings: Sequence[tuple[str, str]]) -> tuple[bool, list[InputProblem]]:
    """Whether ``[settings] reveal_phi`` turns redaction off.

    Args:
        settings: ``OrgConfig.settings`` (key, text) pairs.

    Returns:
        ``(reveal, problems)``: ``reveal`` is True only for ``"true"`` (or ``yes``/``1``); then
        one warning says redaction is off. Any other value than true/false is a warning and
        redaction stays on.
    """
    values = dict(settings)
    if REVEAL_SETTING not in values:
        return False, []
    word = values[REVEAL_SETTING].strip().lower()
    if word in _TRUE:
        return True, [_setting_problem(f"PHI redaction is off ({REVEAL_SETTING}): notes, "
                                       "justifications and evidence names are reported as "
                                       "written")]
    if word in _FALSE:
        return False, []
    return False, [_setting_problem(f"{REVEAL_SETTING} must be \"true\" or \"false\"; PHI "
                                    "redaction stays on")]


def redaction_problem(
    file: str, line: int | None, what: str, types: Sequence[str], collector: str
) -> InputProblem:
    """The warning for one redacted value: ``answers.yaml`` ``line 14`` ``the note of Q-…
    looked like it contained PHI (SSN, MRN); it was redacted in every report. …``.

    Args:
        file: the file as the user knows it.
        line: 1-based line of the value (None: the whole file).
        what: the value's description (``the note of Q-308-a1-iiB-02``).
        types: the types :func:`redact_free_text` returned (never the values).
        collector: the collector adding it.
    """
    return InputProblem(
        file=file,
        place=f"line {line}" if line is not None else "",
        message=f"{what} looked like it contained PHI ({', '.join(types)}); it was redacted "
                "in every report. Keep patient identifiers out of caresec's inputs.",
        severity=ProblemSeverity.WARNING,
        collector=collector,
    )


def _setting_problem(message: str) -> InputProblem:
    return InputProblem(file="caresec.toml", place=f"[settings] {REVEAL_SETTING}",
                        message=message, severity=ProblemSeverity.WARNING,
                        collector="settings")


def _patient_spans(text: str, *, keep_names: bool) -> list[Span]:
    """The spans to redact, non-overlapping and sorted by start."""
    from caresec.phi import detect  # Presidio loads on first use, not when collectors import

    found = [s for s in detect(text) if s.type in PATIENT_TYPES]
    if keep_names:
        found = [s for s in found if s.type is not PhiType.NAME]
    found = [s for s in found if s.type not in _NUMBER_TYPES
             or sum(c.isdigit() for c in text[s.start:s.end]) >= _MIN_NUMBER_DIGITS]
    found += [Span(m.start(1), m.end(1), PhiType.SSN, 1.0, "labelled-ssn")
              for m in _LABELLED_SSN.finditer(text)]
    found = _without_overlaps(sorted(found, key=lambda s: (s.start, -(s.end - s.start))))
    person = any(s.type in _PERSON_TYPES for s in found)
    kept = [s for s in found if s.type is not PhiType.DATE or person
            or _PERSON_DATE.search(text[:s.start])]
    return [_widened(s, text, kept) if s.type is PhiType.NAME else s for s in kept]


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Drop any span that overlaps an earlier (or longer, same-start) one."""
    out: list[Span] = []
    for span in spans:
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out


def _widened(span: Span, text: str, spans: Sequence[Span]) -> Span:
    """``span`` extended over up to two capitalized words right after it (``Barnaby`` →
    ``Barnaby Quickfoot``), stopping before the next span."""
    limit = min((s.start for s in spans if s.start >= span.end), default=len(text))
    end = span.end
    for _ in range(_MAX_WIDEN):
        match = _NEXT_WORD.match(text, end)
        if match is None or match.end() > limit:
            break
        end = match.end()
    return Span(span.start, end, span.type, span.score, span.detector)
