"""Names, places and dates in narrative text (clinical notes, letters, free-text fields).

Rules, each a detector name on the spans it makes:

* ``name-title``: the word(s) after a title (``Dr. Rakusin``, ``mr nicholson``);
* ``name-credential``: the words before a credential closing a signature (``Joyce Jacobson,
  RN``; ``DAN A. FORMAN-LYONS, RRT``);
* ``name-relation``: the name after a relative or contact (``daughter Helen``, ``son bill``);
* ``name-dictionary``: a census first name or surname (:mod:`caresec.phi.lexicon`) that is not
  a common English word or clinical term, and a common-word name next to such a name
  (``Carol Buckley``);
* ``seed``: a name read from a structured field of the same file (HL7 PID-5, FHIR
  ``Patient.name``, DICOM PatientName, a CSV name column), wherever it recurs in the text;
* ``location-facility``: the words before a facility word (``Sacred Heart Hospital``, ``Laurel
  Regional``), after ``St.``, and hospital abbreviations (``GH``, ``VAMC``);
* ``location-gazetteer``: a US state, county or place of 5,000 people or more (GeoNames), and
  large world cities, that is not a common word, or that follows ``in``/``from``/``to``/``at``;
* ``location-ward``: an unknown proper word followed by a floor number after ``to``/``on``
  (``transferred to Quartermain 2``);
* ``date-short``: ``m/d`` dates (not ratios, pressures, strengths or doses);
* ``year``: years in a medical history (``MI '92``, ``CABG 1957``), not clock times.

Only narrative text is given to these rules (:func:`caresec.phi.routing.is_narrative`):
never identifiers, codes, GUIDs or log lines, which is where dictionary name detectors make most
of their false positives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from caresec.model.phi import PhiType, Span
from caresec.phi.lexicon import (
    CLINICAL_TERMS,
    CREDENTIALS,
    FACILITY_ABBREVIATIONS,
    FACILITY_WORDS,
    RELATIONS,
    TITLES,
    UNIT_WORDS,
    Lexicon,
)

_WORD = re.compile(r"[A-Za-z](?:[A-Za-z'\-]*[A-Za-z])?")
_STOP = frozenset(STOP_WORDS) | {"pt", "pts", "pt's", "patient", "aware", "notified", "made",
                                 "called", "re", "w", "with", "am", "pm", "s", "t"}
_LOCATION_PREPS = frozenset({"in", "from", "to", "at", "near", "of"})
_SHORT_DATE = re.compile(r"(?<![\d/.:,-])(\d{1,2})/(\d{1,2})(?![\d/%]|\.\d|\s?(?:mg|ml|cc|mcg|"
                         r"units?|u\b|mm|cm|meq|hr|h\b|min|strength|x\b))")
_NOT_DATE_BEFORE = re.compile(
    r"(?:peep|ps|psv|cpap|bipap|bp|abp|nbp|sbp|map|strength|ratio|grade|motor|grips?|"
    r"moves?|power|tv|imv|simv|ac|rate|vt|fio2|x|of|assist|support|peak|plat|cvp|pap|"
    r"pad|pas|rr|hr|sao2|spo2|sats?|o2|ie|i:e|temp|t|wedge|pcwp|ci|co|svr|to|-)[\s:=]*$",
    re.IGNORECASE)
_YEAR = re.compile(r"(?:(?<=['`])\d{2}\b|\b\d{2}(?=['`](?!s))|(?<![\d.:/-])(?:19[0-9]\d|20[0-2]\d)"
                   r"(?![\d.:/%-]|\s?(?:mg|ml|cc|units?|hrs?|mcg|kcal|cal|mmhg|h\b)))")
_TIME_BEFORE = re.compile(r"(?:at|@|approx\.?|around|until|till|by|since|~|from|to|and|-|"
                          r"about|after|before|@\s?approx)\s*$", re.IGNORECASE)
_HISTORY_WORDS = re.compile(
    r"\b(?:pmh|pshx?|hx|h/o|s/p|history|mi|cabg|ptca|stent|avr|mvr|dx|diagnosed|ca|"
    r"surgery|since|in|redo|repair|resection|nqwmi|imi|ami|chf|cva|tia|dvt|pe|ppm|aicd|"
    r"smoking|quit|stopped|tah|bso|appy|chole|nephrectomy|mastectomy|lobectomy|amputation|"
    r"transplant|dx'd|march|april|june|july|august|september|october|november|december|"
    r"january|february)\W*$",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int
    text: str
    low: str


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.start(), m.end(), m.group(), m.group().lower()) for m in _WORD.finditer(text)]


def _gap(text: str, a: _Tok, b: _Tok) -> str:
    return text[a.end:b.start]


class NarrativeDetector:
    """Applies the narrative rules with one :class:`Lexicon`.

    Args:
        lex: the word lists.
    """

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex

    # -- helpers -----------------------------------------------------------------------------
    def _namelike(self, tok: _Tok, mixed_case: bool) -> bool:
        """Could this token be (part of) a name where context says a name follows?"""
        low = tok.low
        if low in _STOP or low in CLINICAL_TERMS or low in TITLES or low in CREDENTIALS:
            return False
        if len(low) == 1:
            return False
        if self.lex.is_name(low):
            return True
        if self.lex.is_common(low):
            return False
        # an unknown word: a name if capitalized in mixed-case text, or anywhere in all-caps or
        # all-lower text (where case tells nothing)
        return not mixed_case or tok.text[0].isupper()

    def detect(self, text: str, seeds: Iterable[str] = ()) -> list[Span]:
        """Name, location and date spans of ``text``.

        Args:
            text: narrative text.
            seeds: names read from structured fields of the same file (full names or parts).

        Returns:
            Spans (possibly overlapping; :mod:`caresec.phi.engine` resolves overlaps).
        """
        toks = _tokens(text)
        letters = [c for c in text if c.isalpha()]
        upper = sum(c.isupper() for c in letters)
        mixed_case = bool(letters) and 0.05 < upper / len(letters) < 0.6
        spans: list[Span] = []
        spans += self._names(text, toks, mixed_case)
        spans += self._seeded(text, toks, seeds)
        spans += self._locations(text, toks, mixed_case)
        spans += self._dates(text)
        return spans

    # -- names -------------------------------------------------------------------------------
    def _names(self, text: str, toks: Sequence[_Tok], mixed_case: bool) -> list[Span]:
        lex = self.lex
        out: list[Span] = []
        marked: set[int] = set()

        def mark(i: int, detector: str, score: float) -> None:
            if i not in marked:
                marked.add(i)
                out.append(Span(toks[i].start, toks[i].end, PhiType.NAME, score, detector))

        n = len(toks)
        for i, tok in enumerate(toks):
            low = tok.low
            # titles: "Dr. X", "dr X Y", "Mr. X"
            if low in TITLES and i + 1 < n and "\n" not in _gap(text, tok, toks[i + 1]):
                j = i + 1
                if len(toks[j].low) == 1 and j + 1 < n:  # "Dr. J. Smith"
                    j += 1
                if self._namelike(toks[j], mixed_case) or (
                        not lex.is_common(toks[j].low) and toks[j].low not in _STOP):
                    if toks[j].low not in _STOP and toks[j].low not in CLINICAL_TERMS:
                        mark(j, "name-title", 0.85)
                        k = j + 1
                        if (k < n and _gap(text, toks[j], toks[k]).strip() in ("", "-")
                                and (lex.is_name(toks[k].low) and not lex.is_common(toks[k].low))):
                            mark(k, "name-title", 0.8)
            # credentials closing a signature: "Joyce Jacobson, RN", "q. lander rrt"
            if low in CREDENTIALS and i > 0:
                gap = _gap(text, toks[i - 1], tok)
                distinctive = low in {"rn", "rrt", "np", "lpn", "cna", "crna", "licsw", "msw",
                                      "lcsw", "rph", "pharmd", "rt", "crt"}
                if ("," in gap or distinctive) and "\n" not in gap:
                    after = text[tok.end:tok.end + 3]
                    if not after or after[0] in " \n\r\t.,;)":
                        self._signature(text, toks, i, mark, mixed_case)
            # relations: "daughter Helen", "son, bill", "wife, Carol Buckley"
            if low in RELATIONS and i + 1 < n:
                j = i + 1
                while j < n and toks[j].low in {"is", "name", "named", "s", "in", "law"}:
                    j += 1
                if j < n and len(_gap(text, toks[j - 1], toks[j])) <= 4:
                    first = toks[j]
                    if (self._namelike(first, mixed_case) and first.low not in RELATIONS
                            and (lex.is_name(first.low) or not lex.is_common(first.low))):
                        mark(j, "name-relation", 0.75)
                        k = j + 1
                        if (k < n and _gap(text, first, toks[k]) in (" ", "  ")
                                and lex.is_name(toks[k].low) and not lex.is_common(toks[k].low)):
                            mark(k, "name-relation", 0.75)
        # dictionary names
        for i, tok in enumerate(toks):
            if i in marked:
                continue
            if lex.is_unambiguous_name(tok.low) and (not mixed_case or tok.text[0].isupper()):
                mark(i, "name-dictionary", 0.55)
        # extend to neighbouring names and initials
        changed = True
        while changed:
            changed = False
            for i in sorted(marked):
                for j in (i - 1, i + 1):
                    if j < 0 or j >= n or j in marked:
                        continue
                    a, b = (toks[j], toks[i]) if j < i else (toks[i], toks[j])
                    gap = _gap(text, a, b)
                    if gap not in (" ", ". ", "  ", "-"):
                        continue
                    t = toks[j]
                    if len(t.low) == 1 and j < i and t.text.isupper() and t.low not in ("a", "i"):
                        mark(j, "name-initial", 0.6)
                        changed = True
                    elif (lex.is_name(t.low) and t.low not in _STOP and t.low not in CLINICAL_TERMS
                          and (not mixed_case or t.text[0].isupper())
                          and len(t.low) > 2):
                        mark(j, "name-dictionary", 0.5)
                        changed = True
        return out

    def _signature(self, text: str, toks: Sequence[_Tok], i: int, mark: _Mark,
                   mixed_case: bool) -> None:
        j = i - 1
        taken = 0
        while j >= 0 and taken < 4:
            t = toks[j]
            gap = _gap(text, t, toks[j + 1])
            if "\n" in gap and taken:
                break
            if len(t.low) == 1 and t.text.isupper() or len(t.low) == 1 and taken:
                mark(j, "name-credential", 0.8)
            elif t.low not in _STOP and t.low not in CLINICAL_TERMS and (
                    self.lex.is_name(t.low) or not self.lex.is_common(t.low)):
                mark(j, "name-credential", 0.8)
            else:
                break
            taken += 1
            j -= 1

    def _seeded(self, text: str, toks: Sequence[_Tok], seeds: Iterable[str]) -> list[Span]:
        parts = {p.lower() for seed in seeds for p in _WORD.findall(seed)
                 if len(p) > 1 and p.lower() not in _STOP}
        if not parts:
            return []
        return [Span(t.start, t.end, PhiType.NAME, 0.9, "seed") for t in toks if t.low in parts]

    # -- locations ---------------------------------------------------------------------------
    def _locations(self, text: str, toks: Sequence[_Tok], mixed_case: bool) -> list[Span]:
        lex = self.lex
        out: list[Span] = []
        n = len(toks)

        def proper(t: _Tok) -> bool:
            return (not mixed_case or t.text[0].isupper()) and t.low not in _STOP \
                and t.low not in UNIT_WORDS and t.low not in CLINICAL_TERMS

        for i, tok in enumerate(toks):
            low = tok.low
            if low in FACILITY_WORDS and i > 0:
                j = i - 1
                start = None
                while j >= 0 and i - j <= 3 and _gap(text, toks[j], toks[j + 1]) in (" ", ". "):
                    if proper(toks[j]) and toks[j].low not in RELATIONS:
                        start = j
                        j -= 1
                    else:
                        break
                if start is not None:
                    end = i if low in {"memorial", "regional", "rehab", "campus"} else i - 1
                    out.append(Span(toks[start].start, toks[end].end, PhiType.LOCATION, 0.7,
                                    "location-facility"))
            if low in {"st", "saint"} and i + 1 < n and tok.text[0].isupper() and proper(
                    toks[i + 1]) and _gap(text, tok, toks[i + 1]) in (". ", " "):
                out.append(Span(tok.start, toks[i + 1].end, PhiType.LOCATION, 0.7,
                                "location-facility"))
            if low in FACILITY_ABBREVIATIONS:
                out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-facility"))
            # gazetteer, longest first
            for width in (3, 2, 1):
                if i + width > n:
                    continue
                group = toks[i:i + width]
                if any(_gap(text, a, b) != " " for a, b in zip(group, group[1:], strict=False)):
                    continue
                name = " ".join(t.low for t in group)
                if name not in lex.places:
                    continue
                if width == 1 and (len(name) < 4 or lex.is_name(name) and lex.is_common(name)):
                    continue
                prep = i > 0 and toks[i - 1].low in _LOCATION_PREPS
                if not all(proper(t) for t in group):
                    continue
                common = all(lex.is_common(t.low) for t in group)
                if not common or prep:
                    out.append(Span(group[0].start, group[-1].end, PhiType.LOCATION,
                                    0.6 if not common else 0.5, "location-gazetteer"))
                    break
            # wards: "to Quartermain 2", "on QUARTERMAIN 6", "QUARTERMAIN7"
            if i > 0 and toks[i - 1].low in {"to", "on", "from", "at"} and proper(tok) \
                    and not lex.is_common(low) and len(low) > 3:
                after = text[tok.end:tok.end + 3]
                if re.match(r"\s?\d", after):
                    out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-ward"))
        return out

    # -- dates -------------------------------------------------------------------------------
    def _dates(self, text: str) -> list[Span]:
        out: list[Span] = []
        for m in _SHORT_DATE.finditer(text):
            month, day = int(m.group(1)), int(m.group(2))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            before = text[max(0, m.start() - 12):m.start()]
            if _NOT_DATE_BEFORE.search(before):
                continue
            out.append(Span(m.start(), m.end(), PhiType.DATE, 0.6, "date-short"))
        for m in _YEAR.finditer(text):
            before = text[max(0, m.start() - 16):m.start()]
            year = m.group()
            if len(year) == 4:
                if _TIME_BEFORE.search(before) and int(year[2:]) < 60:
                    continue
                if not _HISTORY_WORDS.search(before) and not re.search(r"[,(]\s*$", before):
                    continue
            out.append(Span(m.start(), m.end(), PhiType.DATE, 0.5, "year"))
        return out


class _Mark:  # pragma: no cover - typing helper for the nested ``mark`` callback
    def __call__(self, i: int, detector: str, score: float) -> None: ...
