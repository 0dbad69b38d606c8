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

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from caresec.model.phi import PhiType, Span
from caresec.phi.lexicon import (
    CLINICAL_TERMS,
    CREDENTIALS,
    FACILITY_ABBREVIATIONS,
    FACILITY_NAMES,
    FACILITY_WORDS,
    RELATIONS,
    TITLES,
    UNIT_WORDS,
    Lexicon,
    words_file,
)

_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z](?:[A-Za-z'\-]*[A-Za-z])?(?![A-Za-z0-9])")
_STOP = frozenset(STOP_WORDS) | {"pt", "pts", "pt's", "patient", "aware", "notified", "made",
                                 "called", "re", "w", "with", "am", "pm", "s", "t"}
_TITLE_GAPS = frozenset({" ", ". ", ".", ".  ", "  ", " . "})
_DISTINCTIVE_CREDENTIALS = frozenset({"rn", "rrt", "np", "lpn", "cna", "crna", "licsw", "msw",
                                      "lcsw", "rph", "pharmd", "crt", "ccrn", "bsn", "msn"})
_NEVER_NAMES = TITLES | CREDENTIALS | RELATIONS
_AFTER_TITLE = words_file("after-title")
_LOCATION_PREPS = frozenset({"in", "from", "to", "at", "near", "of"})
_SHORT_DATE = re.compile(r"(?<![\d/.:,-])(\d{1,2})/(\d{1,2})(?![\d/%]|\.\d|\s?(?:mg|ml|cc|mcg|"
                         r"units?|u\b|mm|cm|meq|hr|h\b|min|strength|x\b))")
_NOT_DATE_BEFORE = re.compile(
    r"(?:^|[^a-z])(?:peep|ps|psv|cpap|bipap|bp|abp|nbp|sbp|map|strength|ratio|grade|motor|grips?|"
    r"moves?|power|tv|imv|simv|rate|vt|fio2|assist|support|peak|plat|cvp|pap|pad|pas|"
    r"sao2|spo2|sats?|o2|ie|i:e|wedge|pcwp|ci|svr|x|times)[\s:=]*$",
    re.IGNORECASE)
_MONTH_YEAR = re.compile(r"(?<![\d/.:,-])(1[0-2]|0?[1-9])/([3-9]\d)(?![\d/%]|\.\d)")
_ORDINAL_DAY = re.compile(r"(?<=\bthe\s)(?:[12]?\d|3[01])(?:st|nd|rd|th)\b", re.IGNORECASE)
_YEAR_LEADING_APOSTROPHE = re.compile(r"(?<![\w'])['`]\d{2}(?![\d'`]|[sS]\b)")
_YEAR_TRAILING_APOSTROPHE = re.compile(r"(?<![\d.])\d{2}['`](?![sS\d])")
_YEAR_FOUR = re.compile(r"(?<![\d.:/,-])(?:19\d\d|20[0-2]\d)(?![\d:/%-]|\.\d|\s?(?:mg|ml|cc|units?|"
                        r"hrs?|mcg|kcal|cal|mmhg|h|am|pm|hours)\b)", re.IGNORECASE)
_YEAR_AFTER_EVENT = re.compile(
    r"\b(?:mi|cabg|ptca|avr|mvr|nqwmi|imi|ami|stent|redo|pacer|ppm|aicd|cva|tia|dvt|pe)"
    r"\s{1,2}(\d{2})(?![\d.%/:]|\s?(?:mg|ml|cc|units?|hrs?|min|x\b))", re.IGNORECASE)
_TIME_BEFORE = re.compile(r"(?:\bat|@|\bapprox\.?|\baround|\buntil|\btill|\bby|~|\babout|"
                          r"\bafter|\bbefore|\bthru|\bthrough)\s*$", re.IGNORECASE)
_HISTORY_WORDS = re.compile(
    r"\b(?:pmh|pshx?|hx|h/o|s/p|history|mi|cabg|ptca|stent|avr|mvr|dx|diagnosed|ca|"
    r"surgery|since|in|redo|repair|resection|nqwmi|imi|ami|chf|cva|tia|dvt|pe|ppm|aicd|"
    r"smoking|quit|stopped|tah|bso|appy|chole|nephrectomy|mastectomy|lobectomy|amputation|"
    r"transplant|dx'd|march|april|june|july|august|september|october|november|december|"
    r"january|february|of|and)\W*$",
    re.IGNORECASE)
_VENT = re.compile(r"psv|cpap|bipap|peep|\bips\b|flowby|\bimv|simv|\bps\b|pressure support|/ps|"
                   r"mask ventilation", re.IGNORECASE)
_PAIN = re.compile(r"pain|scale|/10|intensity|rating", re.IGNORECASE)


_SPLIT_AT = RELATIONS | TITLES | CREDENTIALS | UNIT_WORDS | {"grand", "in", "law", "step"}
_UNIVERSITY = re.compile(r"\b(?:university|univ\.?|u)\s+of\s+[A-Za-z]+", re.IGNORECASE)
_TWO_WORD_FACILITY = re.compile(
    r"\b(?:medical|med\.?|health|cancer|heart|surgical|surgery|rehabilitation|rehab)\s+"
    r"(?:center|ctr|centre|system|institute)\b|\bassisted\s+living\b|\bnursing\s+home\b",
    re.IGNORECASE)
_EMPLOYER = re.compile(r"\b(?:works?\s+(?:for|at)|worked\s+(?:for|at)|employed\s+by|ceo\s+of|"
                       r"retired\s+from|his\s+business|her\s+business)\s+$", re.IGNORECASE)
_GLUED_WARD = re.compile(r"\b([A-Za-z]{5,})(\d{1,2})\b")


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int
    text: str
    low: str


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if "-" in word and any(p.lower() in _SPLIT_AT for p in word.split("-")):
            pos = m.start()
            for part in word.split("-"):
                if part:
                    out.append(_Tok(pos, pos + len(part), part, part.lower()))
                pos += len(part) + 1
        else:
            out.append(_Tok(m.start(), m.end(), word, word.lower()))
    return out


def _gap(text: str, a: _Tok, b: _Tok) -> str:
    return text[a.end:b.start]


class NarrativeDetector:
    """Applies the narrative rules with one :class:`Lexicon`.

    Args:
        lex: the word lists.
    """

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self._seed_key: tuple[int, int, int] = (0, 0, 0)
        self._seed_parts: frozenset[str] = frozenset()

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
        marked: dict[int, str] = {}

        def mark(i: int, detector: str, score: float) -> None:
            if i not in marked:
                marked[i] = detector
                out.append(Span(toks[i].start, toks[i].end, PhiType.NAME, score, detector))

        def after_context(t: _Tok) -> bool:
            """A token where context says a name is: anything but function words and verbs."""
            return (t.low not in _STOP and t.low not in _AFTER_TITLE and t.low not in _NEVER_NAMES
                    and len(t.low) > 1 and (not mixed_case or t.text[0].isupper()
                                            or not lex.is_common(t.low)))

        def plausible(t: _Tok) -> bool:
            """A second word of a name: a census name or an unknown word."""
            return (after_context(t) and t.low not in CLINICAL_TERMS
                    and (lex.is_name(t.low) or not lex.is_common(t.low)))

        n = len(toks)
        for i, tok in enumerate(toks):
            low = tok.low
            # titles: "Dr. X", "dr X Y", "Mr. X", "Dr. X and Y"
            if low in TITLES and i + 1 < n and _gap(text, tok, toks[i + 1]) in _TITLE_GAPS:
                if low in {"ms", "miss"} and not tok.text[1:].islower():
                    continue  # MS = mental status in all-caps notes
                j = i + 1
                if len(toks[j].low) == 1 and j + 1 < n and toks[j].text.isupper():
                    mark(j, "name-title", 0.8)  # "Dr. J. Smith"
                    j += 1
                if after_context(toks[j]):
                    mark(j, "name-title", 0.85)
                    k = j + 1
                    while k < n and k - j <= 2:
                        gap = _gap(text, toks[k - 1], toks[k])
                        if gap in (" ", "-") and plausible(toks[k]):
                            mark(k, "name-title", 0.8)
                        elif (gap.strip() in (",", "&") or toks[k].low == "and") and k + 1 < n:
                            nxt = toks[k + 1] if toks[k].low == "and" else toks[k]
                            if plausible(nxt) and lex.is_name(nxt.low):
                                mark(toks.index(nxt), "name-title", 0.7)
                            break
                        else:
                            break
                        k += 1
            # credentials closing a signature: "Joyce Jacobson, RN", "q. lander rrt"
            if low in CREDENTIALS and i > 0:
                gap = _gap(text, toks[i - 1], tok)
                if ("," in gap or low in _DISTINCTIVE_CREDENTIALS) and "\n" not in gap:
                    after = text[tok.end:tok.end + 4]
                    if not after or (after[0] in "\n\r.,;)" or (after[0] in " \t"
                                      and not after[1:].strip()[:1].isdigit())):
                        self._signature(text, toks, i, mark)
            # relations: "daughter Helen", "son, bill", "wife, Carol Buckley", "Sons A, B and C"
            if low in RELATIONS and i + 1 < n:
                j = i + 1
                while j < n and toks[j].low in {"is", "name", "named", "s", "in", "law", "her",
                                                "his", "pt's", "pts"}:
                    j += 1
                if j < n and len(_gap(text, toks[j - 1], toks[j]).strip(" ,:-()")) == 0 \
                        and len(_gap(text, toks[j - 1], toks[j])) <= 4 and plausible(toks[j]):
                    mark(j, "name-relation", 0.75)
                    k = j + 1
                    while k < n and k - j <= 4:
                        gap = _gap(text, toks[k - 1], toks[k])
                        if gap in (" ", "-") and plausible(toks[k]) and (
                                lex.is_name(toks[k].low) or toks[k].text[0].isupper()):
                            mark(k, "name-relation", 0.75)
                        elif gap.strip() == "," or toks[k].low == "and":
                            follow = k + 1 if toks[k].low == "and" else k
                            if follow < n and plausible(toks[follow]) and lex.is_name(
                                    toks[follow].low):
                                mark(follow, "name-relation", 0.7)
                                k = follow
                            else:
                                break
                        else:
                            break
                        k += 1
            # initials: "Z. MILLER", "E. WELSH aware"
            if (len(low) == 1 and tok.text.isupper() and low not in "ai" and i + 1 < n
                    and _gap(text, tok, toks[i + 1]) in (". ", ".")
                    and plausible(toks[i + 1])
                    and (low not in "soap" or lex.is_unambiguous_name(toks[i + 1].low))
                    and (mixed_case is False or toks[i + 1].text[0].isupper())):
                mark(i, "name-initial", 0.7)
                mark(i + 1, "name-initial", 0.7)
        # dictionary names
        for i, tok in enumerate(toks):
            if i in marked:
                continue
            if (lex.is_unambiguous_name(tok.low) and tok.low not in _NEVER_NAMES
                    and (not mixed_case or tok.text[0].isupper())):
                mark(i, "name-dictionary", 0.55)
        # recurrence: a word found as a name in context is a name wherever it recurs
        strong = {toks[i].low for i, d in marked.items()
                  if d != "name-dictionary" and len(toks[i].low) > 2
                  and toks[i].low not in CLINICAL_TERMS}
        for i, tok in enumerate(toks):
            if i not in marked and tok.low in strong:
                mark(i, "name-recurrence", 0.6)
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
                    elif ((lex.is_name(t.low) or (mixed_case and not lex.is_common(t.low)))
                          and t.low not in _STOP and t.low not in CLINICAL_TERMS
                          and t.low not in _NEVER_NAMES and t.low not in _AFTER_TITLE
                          and (not mixed_case or t.text[0].isupper())
                          and len(t.low) > 2):
                        mark(j, "name-dictionary", 0.5)
                        changed = True
        return out

    def _signature(self, text: str, toks: Sequence[_Tok], i: int,
                   mark: Callable[[int, str, float], None]) -> None:
        j = i - 1
        taken = 0
        while j >= 0 and taken < 4:
            t = toks[j]
            gap = _gap(text, t, toks[j + 1])
            if "\n" in gap and taken:
                break
            if len(t.low) == 1:
                if text[t.end:t.end + 1] != "." or not taken:
                    break
                mark(j, "name-credential", 0.8)
            elif t.low not in _STOP and t.low not in CLINICAL_TERMS and t.low not in _NEVER_NAMES \
                    and t.low not in _AFTER_TITLE and (
                        not self.lex.is_common(t.low) or t.low in self.lex.first
                        or (self.lex.is_name(t.low) and t.text[0].isupper()
                            and not t.text.isupper())):
                mark(j, "name-credential", 0.8)
            else:
                break
            taken += 1
            j -= 1

    def _seeded(self, text: str, toks: Sequence[_Tok], seeds: Iterable[str]) -> list[Span]:
        seeds = tuple(seeds)
        if not seeds:
            return []
        key = (len(seeds), hash(seeds[:16]), hash(seeds[-16:]))
        if self._seed_key != key:
            self._seed_key = key
            self._seed_parts = frozenset(
                p.lower() for seed in seeds for p in _WORD.findall(seed)
                if len(p) > 1 and p.lower() not in _STOP)
        parts = self._seed_parts
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

        for m in _UNIVERSITY.finditer(text):
            out.append(Span(m.start(), m.end(), PhiType.LOCATION, 0.7, "location-facility"))
        for m in _TWO_WORD_FACILITY.finditer(text):
            j = next((k for k, t in enumerate(toks) if t.start >= m.start()), n) - 1
            start = None
            while j >= 0 and toks[j].end <= m.start() and proper(toks[j]) and m.start() - \
                    toks[j].end <= 2 + (0 if start is None else 10**6) and (
                    start is None or _gap(text, toks[j], toks[start]) == " "):
                start = j
                j -= 1
            if start is not None:
                out.append(Span(toks[start].start, m.start(), PhiType.LOCATION, 0.7,
                                "location-facility"))
        for phrase_start in range(n - 1):
            pair = f"{toks[phrase_start].low} {toks[phrase_start + 1].low}"
            if pair in FACILITY_NAMES and _gap(text, toks[phrase_start], toks[phrase_start + 1]) \
                    in (" ", ". "):
                out.append(Span(toks[phrase_start].start, toks[phrase_start + 1].end,
                                PhiType.LOCATION, 0.7, "location-facility"))
        for i, tok in enumerate(toks):
            if _EMPLOYER.search(text[max(0, tok.start - 24):tok.start]) and proper(tok) \
                    and not lex.is_common(tok.low):
                out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-employer"))
            if tok.low == "dc" and i > 0 and toks[i - 1].low in {"in", "from", "to"} \
                    and tok.text.isupper():
                out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-gazetteer"))
        for m in _GLUED_WARD.finditer(text):
            word = m.group(1).lower()
            if not lex.is_common(word) and word not in CLINICAL_TERMS and word not in UNIT_WORDS \
                    and re.search(r"\b(?:to|from|on|at)\s+$", text[max(0, m.start() - 6):m.start()],
                                  re.IGNORECASE):
                out.append(Span(m.start(1), m.end(1), PhiType.LOCATION, 0.6, "location-ward"))
        for i, tok in enumerate(toks):
            low = tok.low
            if low in FACILITY_WORDS and i > 0:
                j = i - 1
                start = None
                while j >= 0 and i - j <= 3 and _gap(text, toks[j], toks[j + 1]) in (" ", ". "):
                    t = toks[j]
                    if proper(t) and t.low not in RELATIONS and (
                            not lex.is_common(t.low) or lex.is_name(t.low)
                            or t.low in lex.places):
                        start = j
                        j -= 1
                    else:
                        break
                if start is not None:
                    end = i if low in {"memorial", "regional", "rehab", "campus"} else i - 1
                    out.append(Span(toks[start].start, toks[end].end, PhiType.LOCATION, 0.7,
                                    "location-facility"))
            if low in {"st", "saint"} and i + 1 < n and tok.text[0].isupper() and proper(
                    toks[i + 1]) and _gap(text, tok, toks[i + 1]) in (". ", " ") \
                    and lex.is_name(toks[i + 1].low.removesuffix("'s")):
                out.append(Span(tok.start, toks[i + 1].end, PhiType.LOCATION, 0.7,
                                "location-facility"))
            if low in FACILITY_ABBREVIATIONS:
                out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-facility"))
            # gazetteer, longest first
            for width in (3, 2, 1):
                if i + width > n:
                    continue
                group = toks[i:i + width]
                if any(_gap(text, a, b) != " " for a, b in itertools.pairwise(group)):
                    continue
                name = " ".join(t.low for t in group)
                if name not in lex.places:
                    continue
                if width == 1 and (len(name) < 4 or (lex.is_name(name) and lex.is_common(name))):
                    continue
                prep = i > 0 and toks[i - 1].low in _LOCATION_PREPS
                if not all(proper(t) for t in group):
                    continue
                common = all(lex.is_common(t.low) for t in group)
                if common and width == 1 and (not mixed_case or not prep):
                    continue
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
        wards = {text[s.start:s.end].lower() for s in out if s.detector == "location-ward"}
        if wards:
            pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(wards))) + r")(?=\d|\b)",
                                 re.IGNORECASE)
            out.extend(Span(m.start(), m.end(), PhiType.LOCATION, 0.55, "location-recurrence")
                       for m in pattern.finditer(text))
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
            if _VENT.search(text[max(0, m.start() - 40):m.start()]):
                continue  # ventilator settings (PS 10/5, CPAP/PS 8/5)
            if month < day <= 4 or (day == 5 and month <= 5) or (
                    day == 10 and _PAIN.search(text[max(0, m.start() - 30):m.end() + 10])):
                continue  # fractions (1/2, 3/4), strength (4/5), pain scores (7/10)
            out.append(Span(m.start(), m.end(), PhiType.DATE, 0.6, "date-short"))
        for m in _MONTH_YEAR.finditer(text):
            out.append(Span(m.start(), m.end(), PhiType.DATE, 0.5, "date-short"))
        for m in _ORDINAL_DAY.finditer(text):
            out.append(Span(m.start(), m.end(), PhiType.DATE, 0.5, "date-short"))
        for m in _YEAR_LEADING_APOSTROPHE.finditer(text):
            out.append(Span(m.start() + 1, m.end(), PhiType.DATE, 0.5, "year"))
        for m in _YEAR_AFTER_EVENT.finditer(text):
            out.append(Span(m.start(1), m.end(1), PhiType.DATE, 0.5, "year"))
        for pattern in (_YEAR_TRAILING_APOSTROPHE, _YEAR_FOUR):
            for m in pattern.finditer(text):
                before = text[max(0, m.start() - 16):m.start()]
                width = len(m.group().strip("'`"))
                if width == 4 and _TIME_BEFORE.search(before) and int(m.group()[2:4]) < 60:
                    continue
                if width == 4 and not _HISTORY_WORDS.search(before) and not re.search(
                        r"[,(]\s*$", before):
                    continue
                out.append(Span(m.start(), m.start() + width, PhiType.DATE, 0.5, "year"))
        return out


