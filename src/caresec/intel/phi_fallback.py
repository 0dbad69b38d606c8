"""A conservative built-in PHI detector, used only while ``caresec.phi`` is not installed.

It looks for HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2)(i)) that can appear in text an
organization might share: (A) names, (D) telephone numbers, (F) e-mail addresses, (G) Social
Security numbers, (H) medical record numbers, (C) dates of birth, and Medicare Beneficiary
Identifiers (CMS MBI format: 11 characters, positions 1/4/7/10/11 digits, 2/5/8/9 letters
without S, L, O, I, B, Z; optionally printed with dashes after the 4th and 7th). Names are
found only through context (a title, or words such as "patient" or "name:" before capitalized
words), so it errs toward blocking free text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
         rf"{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\.?\s+\d{{4}})")
_NAME = r"[A-Z][a-z'’-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z'’-]+)?"
_MBI_LETTER = "AC-HJKMNP-RT-Y"

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("US_SSN", re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}[- ](?!00)\d{2}[- ](?!0000)\d{4}"
                          r"(?![\w-])")),
    ("US_SSN", re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\s*[:#]?\s*"
                          r"\d{9}\b")),
    ("MEDICAL_RECORD_NUMBER", re.compile(
        r"(?i)\b(?:mrn|mr\s*#|med(?:ical)?\s+rec(?:ord)?(?:\s+(?:number|no\.?|#))?|"
        r"patient\s+(?:id|number|no\.?|#)|chart\s+(?:number|no\.?|#)|account\s+(?:number|no\.?))"
        r"\s*[:#=]?\s*[A-Z0-9][A-Z0-9-]{3,}\b")),
    ("MEDICARE_BENEFICIARY_ID", re.compile(
        rf"\b[1-9][{_MBI_LETTER}][{_MBI_LETTER}0-9]\d-?[{_MBI_LETTER}][{_MBI_LETTER}0-9]\d-?"
        rf"[{_MBI_LETTER}]{{2}}\d{{2}}\b")),
    ("PHONE_NUMBER", re.compile(r"(?<![\w.])(?:\+?1[-. ]?)?\(?[2-9]\d{2}\)?[-. ]?[2-9]\d{2}"
                                r"[-. ]\d{4}(?![\w])")),
    ("EMAIL_ADDRESS", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                                 r"\.[A-Za-z]{2,}\b")),
    ("DATE_OF_BIRTH", re.compile(
        rf"(?i)\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?)\s*[:\-]?\s*"
        rf"{_DATE}")),
    ("PERSON", re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+{_NAME}")),
    ("PERSON", re.compile(
        rf"\b(?i:patient|pt\.|resident|beneficiary|member|guarantor|next\s+of\s+kin|"
        rf"mother|father|son|daughter|wife|husband)(?i:'s)?\s*(?i:name)?\s*[:,-]?\s+{_NAME}")),
    ("PERSON", re.compile(rf"\b(?i:name|patient\s+name|full\s+name)\s*[:=]\s*{_NAME}")),
    ("PERSON", re.compile(rf"\b{_NAME},?\s+(?:a|an|aged?)?\s*\d{{1,3}}[- ](?:year|yr)s?[- ]old")),
)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of text that looks like PHI: ``entity_type`` and character offsets
    ``[start, end)``."""

    entity_type: str
    start: int
    end: int


class BuiltinPhiDetector:
    """Regular-expression PHI detector (see the module docstring for what it finds)."""

    def detect(self, text: str) -> list[Span]:
        """Spans of ``text`` that look like PHI, by start offset (overlaps kept)."""
        found = [Span(entity, m.start(), m.end())
                 for entity, rule in _RULES for m in rule.finditer(text)]
        return sorted(found, key=lambda s: (s.start, s.end, s.entity_type))
