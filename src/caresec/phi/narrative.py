"""Names, places and dates in narrative text (clinical notes, letters, free-text fields).

Rules, each a detector name on the spans it makes:

* ``name-title``: the word(s) after a title (``Dr. Rakusin``, ``mr nicholson``), with surname
  particles (``Dr. van Buren``) and first names that are also verbs (``Dr Will Parker``);
* ``name-credential``: the words before a credential closing a signature (``Joyce Jacobson,
  RN``; ``DAN A. FORMAN-LYONS, RRT``);
* ``name-relation``: the name after a relative or contact (``daughter Helen``, ``son bill``);
* ``name-role``: the name after a staff role (``IV nurse Jane Roe``);
* ``name-contact``: a capitalized name after a contact verb (``able to reach Rob``), before a
  phone label (``Jane Roe cell# 410-555-0100``), or a first name and surname right before a
  phone number (``MARY SMITH (617) 555-0143``);
* ``name-subject``: a census first name or unknown word before a verb only a person does
  (``Tavo verbalizes``, ``gus called``; ``wordlists/person-verbs.txt``);
* ``name-initial``: an initial and a name (``Z. MILLER``; ``J PARKER ORDERED`` without the
  period when a verb follows);
* ``name-family``: a surname before ``family`` (``the Romero family``);
* ``name-introduction``: the two words opening ``X Y is a 70 yr old …``;
* ``name-coordinated``: a census first name joined by ``and`` to a name found in context;
* ``name-dictionary``: a census first name or surname (:mod:`caresec.phi.lexicon`) that is not
  a common English word or clinical term, and a common-word name next to such a name
  (``Carol Buckley``); never an all-capitals token of three letters or fewer alone (``ORM``,
  ``ADT``, ``CBC`` are codes), unless the text is all capitals and the rest of a name stands
  beside it;
* ``seed``: a name read from a structured field of the same file (HL7 PID-5, FHIR
  ``Patient.name``, DICOM PatientName, a CSV name column), wherever it recurs in the text;
* ``location-facility``: acronyms formed on "Medical Center" (``BIDMC``), the words before a
  facility word (``Sacred Heart Hospital``, ``Laurel
  Regional``) or an emergency ward (``Mossgrove ER``), after ``St.``, and hospital abbreviations
  (``GH``, ``VAMC``);
* ``location-employer``: the employer after ``works for`` (an unknown word, or words up to an
  organization word: ``Summit Health``);
* ``location-destination``: a capitalized word alone after a move in mixed-case text (``went
  to Lighthouse and``);
* ``location-region``: a region named by a geographic feature (``from the Gulf Coast``);
* ``location-gazetteer``: a US county or place of 5,000 people or more (GeoNames), and
  large world cities, that is not a common word, or that follows ``in``/``from``/``to``/``at``;
* ``location-ward``: an unknown proper word followed by a floor number after ``to``/``on``
  (``transferred to Quartermain 2``);
* ``date-short``: ``m/d`` dates (not ratios, pressures, strengths or doses), ordinal days
  (``on the 11th``), a month named alone (``in sept.``), two-digit years opening a history
  item (``NIDDM. 09 PTCA``);
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
    EPONYM_NOUNS,
    FACILITY_ABBREVIATIONS,
    FACILITY_NAMES,
    FACILITY_WORDS,
    FREQUENT_SURNAME_RANK,
    RELATIONS,
    ROLES,
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
#: Credentials that are also everyday abbreviations (", pt tolerated"): a signature only when
#: they close the line.
_AMBIGUOUS_CREDENTIALS = frozenset({"pt", "ot", "pa", "ma", "do", "rt", "sw", "rd", "cns", "slp"})
#: Credentials that may sit between a name and a verb ("Ann Roe MD spoke with the family").
_VERB_CREDENTIALS = frozenset({"md", "np", "rn", "crna", "rrt", "msw", "lcsw", "licsw", "pharmd"})
#: Titles after which a lower-case census name is still a name when a verb or a stop follows
#: ("dr green aware").
_LENIENT_TITLES = frozenset({"dr", "doctor", "drs", "mr", "mrs", "mister"})
_NEVER_NAMES = TITLES | CREDENTIALS | RELATIONS | ROLES | EPONYM_NOUNS
_CONTACT = re.compile(
    r"(?:\b(?:spoke|speaking|talked|talking|met|meeting|discussed|conversation)\s+(?:with|to)|"
    r"\b(?:reach|reached|call|called|calling|paged|page|phoned|update|updated|updating|inform|"
    r"informed|notified)|\bmessage\s+(?:for|to|with)|\bleft\s+message\s+(?:for|with))\s+$",
    re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_PHONE_LABELS = frozenset({"cell", "home", "work", "phone", "tel", "mobile", "ph", "pager",
                           "beeper"})
_PHONE_AFTER = re.compile(r"\s?(?:#|no\.?|number)?\s*:?\s*\(?\d{3}")
_INTRODUCTION = re.compile(
    r"^[ \t]*([A-Za-z][A-Za-z'-]+)[ \t]+([A-Za-z][A-Za-z'-]+),?[ \t]+(?:is|was)[ \t]+an?[ \t]+"
    r"\d{1,3}[ \t-]*(?:y|yr|yrs|year|yo)", re.MULTILINE | re.IGNORECASE)
_AFTER_TITLE = words_file("after-title")
#: Verbs whose subject is a person (a visitor, a caller, a decision maker), not a drug or a
#: unit: the word before them is a name when it is a census first name or an unknown word.
_PERSON_VERBS = words_file("person-verbs")
#: Surname particles written as separate words after a title (``Dr. van Buren``, ``dr o rourke``).
_PARTICLES = frozenset({"o", "d", "mc", "mac", "van", "von", "de", "di", "da", "del", "della",
                        "le", "la", "du"})
#: Single letters that are abbreviations more often than initials (x = times, c = with, ...).
_NOT_INITIALS = frozenset("aicwxsopr")
#: A phone number right after a name: bracketed, after a colon, comma or dash, or bare.
_PHONE_NEXT = re.compile(r"[ \t]*[(:,-]?[ \t]*\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}(?!\d)")
_LOCATION_PREPS = frozenset({"in", "from", "to", "at", "near", "of"})
_SHORT_DATE = re.compile(r"(?<![\d/])(?<!\d[.:,-])(\d{1,2})/(\d{1,2})(?![\d/%]|\.\d|\s?(?:mg|ml|cc|"
                         r"mcg|units?|u\b|mm|cm|meq|hr|h\b|min|strength|x\b|bottles?|beats?))")
_NOT_DATE_BEFORE = re.compile(
    r"(?:^|[^a-z])(?:peep|ps|psv|cpap|bipap|bp|abp|nbp|sbp|map|strength|ratio|grade|motor|grips?|"
    r"moves?|power|tv|imv|simv|rate|vt|fio2|assist|support|peak|plat|cvp|pap|pad|pas|"
    r"sao2|spo2|sats?|o2|ie|i:e|wedge|pcwp|ci|svr|x|times|down\s+to|back\s+to)[\s:=]*$",
    re.IGNORECASE)
_MONTH_YEAR = re.compile(r"(?<![\d/.:,-])(1[0-2]|0?[1-9])/([3-9]\d)(?![\d/%]|\.\d)")
_ORDINAL_DAY = re.compile(r"\b(?:on|since|until|till|by|from|of|before|after|through|thru)\s+the\s+"
                          r"(?P<v>(?:[12]?\d|3[01])(?:st|nd|rd|th))\b", re.IGNORECASE)
#: A month named alone after a preposition ("admitted in sept."); "may" and "mar" are words too.
_MONTH_ALONE = re.compile(
    r"\b(?:in|since|during|until|till|by|early|late|mid|end\s+of|beginning\s+of)[\s-]+"
    r"(?P<v>jan(?:uary)?|feb(?:ruary)?|march|april|june|july|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b(?!\s*\.?\s*\d)", re.IGNORECASE)
#: A two-digit year opening an item of a history list ("NIDDM. 09 PTCA to LCX, 13 stent").
_YEAR_BEFORE_EVENT = re.compile(
    r"(?:^|[.,;:]\s{0,3}|\n\s*)(?P<v>\d{2})\s(?:ptca|cabg|stent|mi|avr|mvr|cva|pacer|ppm|aicd)\b",
    re.IGNORECASE)
_TRAILING_YEAR_NOT = re.compile(
    r"(?:\bhob|\bx|@|\bat|\bto|\bfor|\belevated|\bup|\bdegrees?|\d)\s*$", re.IGNORECASE)
_YEAR_LEADING_APOSTROPHE = re.compile(r"(?<![\d'])['`]\d{2}(?![\d'`]|[sS]\b)")
_YEAR_TRAILING_APOSTROPHE = re.compile(r"(?<![\d.])\d{2}['`](?![sS\d])")
_YEAR_FOUR = re.compile(r"(?<![\d.:/,-])(?:19\d\d|20[0-2]\d)(?![\d:/%-]|\.\d|\s?(?:mg|ml|cc|units?|"
                        r"hrs?|mcg|kcal|cal|mmhg|h|am|pm|hours)\b)", re.IGNORECASE)
_YEAR_AFTER_EVENT = re.compile(
    r"\b(?:mi|cabg|ptca|avr|mvr|nqwmi|imi|ami|stent|redo|pacer|ppm|aicd|cva|tia|dvt|pe)"
    r"\s{1,2}(\d{2})(?![\d%/:]|\.\d|\s?(?:mg|ml|cc|units?|hrs?|min|x\b))", re.IGNORECASE)
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
_PAIN = re.compile(r"pain|scale|/10|intensity|rating|\bcp\b|discomfort|ache", re.IGNORECASE)


_SPLIT_AT = RELATIONS | TITLES | CREDENTIALS | UNIT_WORDS | {"grand", "in", "law", "step"}
_UNIVERSITY = re.compile(
    r"\b(?i:university|univ\.?)\s+(?i:of)\s+[A-Za-z]+|\bU\s*(?i:of)\s*[A-Z][A-Za-z]+")
#: Hospital acronyms formed on "Medical Center" (``BIDMC``, ``UMMC``, ``VAMC``).
_MEDICAL_CENTER_ACRONYM = re.compile(r"\b[A-Z]{2,4}MC\b")
#: Generic words of hospital names that may stand before a facility word (``Memorial
#: Hospital``, ``Community Hospital``).
_FACILITY_NAME_WORDS = frozenset({
    "memorial", "regional", "general", "community", "university", "county", "children's",
    "childrens", "veterans", "mercy", "union", "presbyterian", "baptist", "methodist",
    "lutheran", "adventist", "episcopal", "deaconess", "shriners", "kindred"})
#: Facility words that are part of the name (``Laurel Regional``), unlike ``Hospital``.
_NAMING_FACILITY_WORDS = frozenset({"memorial", "regional", "rehab", "campus"})
#: What a ward number must not be followed by (doses, rates, percentages, ranges).
_NOT_WARD_NUMBER = re.compile(
    r"\s?\d{1,2}(?:\d|[.,:-]\d|\s?%|\s?(?:mg|mcg|gm?|grams?|cc|ml|l|lpm|u|units?|mm|cm|kg|hrs?|h|"
    r"min|x|iv|po|prn|q\d|qd|bid|tid|mcgs?|meq|mmhg|am|pm)\b)", re.IGNORECASE)
_TWO_WORD_FACILITY = re.compile(
    r"\b(?:medical|med\.?|health|cancer|heart|surgical|surgery|rehabilitation|rehab)\s+"
    r"(?:center|ctr|centre|system|institute)\b|\bassisted\s+living\b|\bnursing\s+home\b",
    re.IGNORECASE)
_EMPLOYER = re.compile(r"\b(?:works?\s+(?:for|at)|worked\s+(?:for|at)|employed\s+by|ceo\s+of|"
                       r"retired\s+from|his\s+business|her\s+business)\s+", re.IGNORECASE)
#: Words closing an organization's name after an employer cue (``works for Acme Health``).
_ORGANIZATION_WORDS = frozenset({
    "health", "healthcare", "hospital", "bank", "inc", "corp", "corporation", "company", "co",
    "group", "systems", "insurance", "university", "college", "school", "church", "associates",
    "partners", "services", "labs", "laboratories", "industries", "motors", "airlines"})
#: A move to or from a place: a capitalized word after it is a place (``went to Lakeside``).
_DESTINATION = re.compile(
    r"\b(?:went|go|goes|going|gone|sent|send|transferred|transfer|transported|transport|"
    r"admitted|discharged|discharge|returned|return|returning|came|come|coming|arrived|brought|"
    r"taken|moved|surgeon|physician|doctor|ambulance)\s+(?:back\s+)?(?:to|from|at)\s+",
    re.IGNORECASE)
_WEEK_AND_MONTHS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december"})
_NOT_DESTINATIONS = (FACILITY_WORDS | RELATIONS | ROLES | TITLES | CREDENTIALS | _WEEK_AND_MONTHS
                     | {"hospital", "home", "bed", "surgery", "dr", "doctor", "nursing"})
#: A region named by a geographic feature: ``from the Gulf Coast``, ``in the Green Mountains``.
_GEO_FEATURE = re.compile(
    r"\b(?i:in|from|to|at|on|near|of|off)\s+(?i:the)\s+(?P<v>(?P<w>[A-Za-z]+)\s+"
    r"(?i:shore|coast|valley|keys|islands?|cape|peninsula|mountains|hills|lakes|panhandle|"
    r"plains|highlands|bay))\b")
#: Emergency wards written after a hospital's name (``Lakeside ER``, ``Mercy EW``).
_EMERGENCY_WARDS = frozenset({"ER", "EW", "ED"})
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
        if "-" in word and any(p.lower() in _SPLIT_AT or p.lower() in _STOP
                               for p in word.split("-")):
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


def _merge(spans: list[Span]) -> list[Span]:
    """Join overlapping spans into one (``Sacred Heart`` + ``Heart Memorial``), keeping the
    higher score and the first detector."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), last.type,
                              max(last.score, span.score), last.detector)
        else:
            merged.append(span)
    return merged


def _acronym(tok: _Tok) -> bool:
    """An all-capitals token of two or three letters (``ORM``, ``ADT``, ``CBC``): read as an
    acronym or code, never as a dictionary name without a cue (title, role, relative)."""
    return len(tok.text) <= 3 and tok.text.isupper()


def _initial_is_abbreviation(text: str, tok: _Tok) -> bool:
    """A capital letter that is part of an abbreviation, not an initial: ``N/V``, ``O.R.``,
    ``R>L``, ``E/D``."""
    before = text[tok.start - 1:tok.start] if tok.start else ""
    after = text[tok.end:tok.end + 3]
    return (before in ("/", ".", ">", "<", "-", "&") or after[:1] in ("/", "&")
            or (after[:1] == "." and after[1:2].isalpha()))


class NarrativeDetector:
    """Applies the narrative rules with one :class:`Lexicon`.

    Args:
        lex: the word lists.
    """

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self._seed_key: tuple[int, int, int] = (0, 0, 0)
        self._seed_parts: frozenset[str] = frozenset()
        self._typos: dict[str, bool] = {}

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
    def _misspelt(self, t: _Tok) -> bool:
        """A lower-case or all-caps token that :meth:`_typo` finds misspelt (a capitalized
        word, ``Quillby``, is read as a name whatever it is near)."""
        return (t.text.islower() or t.text.isupper()) and self._typo(t.low)

    def _typo(self, low: str) -> bool:
        """True when ``low``, a word no list knows, is one edit (a letter dropped, added,
        changed or two swapped) from a common English word of five letters or more
        (``visisted``, ``presnt``, ``redened``): a misspelling, not a name."""
        known = self._typos.get(low)
        if known is not None:
            return known
        lex = self.lex
        found = False
        if len(low) >= 5 and low.isalpha() and not lex.is_name(low) and not lex.is_common(low):
            letters = "abcdefghijklmnopqrstuvwxyz"
            splits = [(low[:k], low[k:]) for k in range(len(low) + 1)]
            variants = itertools.chain(
                (a + b[1:] for a, b in splits if b),
                (a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
                (a + c + b[1:] for a, b in splits if b for c in letters),
                (a + c + b for a, b in splits for c in letters))
            found = any(len(v) >= 5 and (v in lex.common or any(
                v.endswith(end) and v[:-len(end)] + add in lex.common
                for end, add in (("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("s", ""),
                                 ("es", "")))) for v in variants)
        if len(self._typos) >= 65_536:
            self._typos.clear()  # bounded: a scan of many files meets many words
        self._typos[low] = found
        return found

    def _in_state_name(self, toks: Sequence[_Tok], i: int) -> bool:
        """The token is (part of) a US state name (``Maine``, ``New Hampshire``)."""
        places = self.lex.places
        return any(places.get(" ".join(t.low for t in toks[a:a + w])) == "state"
                   for w in (1, 2, 3) for a in range(max(0, i - w + 1), i + 1)
                   if a + w <= len(toks))

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

        def plausible(t: _Tok, typo_ok: bool = False) -> bool:
            """A second word of a name: a census name or an unknown word (one that looks
            misspelt too when ``typo_ok``: next to a census name a cue has marked)."""
            return (after_context(t) and t.low not in CLINICAL_TERMS
                    and (lex.is_name(t.low) or not lex.is_common(t.low))
                    and (typo_ok or not self._misspelt(t))
                    and ("-" not in t.low or all(
                        lex.is_name(p) or not lex.is_common(p) for p in t.low.split("-"))))

        def titled(t: _Tok) -> bool:
            """Capitalized in mixed-case text (``Smokey``, not ``SMOKEY`` or ``smokey``)."""
            return mixed_case and t.text[0].isupper() and not t.text.isupper()

        def cued(t: _Tok, typo_ok: bool = False) -> bool:
            """A name after a relation or role: in text whose case tells nothing, a common word
            only when it is a census first name (``son bill``, not ``son left``)."""
            return plausible(t, typo_ok) and (
                mixed_case or t.low in lex.first or not lex.is_common(t.low)
                or (t.text[0].isupper() and not t.text.isupper()))

        def eponym(i: int) -> bool:
            """The token is followed by a device, diet or drug-route noun (``Penrose drain``)."""
            k = i + 1
            while k < len(toks) and k - i < 3 and (k in marked or lex.is_name(toks[k].low)) \
                    and _gap(text, toks[k - 1], toks[k]) in (" ", "-"):
                k += 1
            return (k < len(toks) and toks[k].low in EPONYM_NOUNS
                    and _gap(text, toks[k - 1], toks[k]).strip(" .-") == "")

        def name_beside(i: int) -> bool:
            """A neighbour (one space away) that could be the rest of the name: a word of four
            letters or more that is a census name or no common word (``BEA TURA``)."""
            return any(0 <= j < n and len(toks[j].low) > 3 and toks[j].low.isalpha()
                       and _gap(text, *sorted((toks[i], toks[j]), key=lambda t: t.start)) == " "
                       and (lex.is_name(toks[j].low) or not lex.is_common(toks[j].low))
                       and toks[j].low not in _STOP and toks[j].low not in CLINICAL_TERMS
                       for j in (i - 1, i + 1))

        n = len(toks)
        for i, tok in enumerate(toks):
            low = tok.low
            # titles: "Dr. X", "dr X Y", "Mr. X", "Dr. X and Y", "dr green aware"
            if low in TITLES and i + 1 < n and _gap(text, tok, toks[i + 1]) in _TITLE_GAPS:
                if low in {"ms", "miss"} and not tok.text[1:].islower():
                    continue  # MS = mental status in all-caps notes
                j = i + 1
                if len(toks[j].low) == 1 and j + 1 < n and toks[j].text.isupper():
                    mark(j, "name-title", 0.8)  # "Dr. J. Smith"
                    j += 1
                if toks[j].low in _PARTICLES and j + 1 < n and _gap(text, toks[j], toks[j + 1]) \
                        in (" ", "'") and after_context(toks[j + 1]):
                    mark(j, "name-title", 0.8)  # "Dr. van Buren", "dr o rourke"
                    j += 1
                elif (mixed_case and toks[j].low in lex.first and toks[j].text[0].isupper()
                      and not toks[j].text.isupper() and j + 1 < n
                      and _gap(text, toks[j], toks[j + 1]) == " "
                      and titled(toks[j + 1]) and lex.is_name(toks[j + 1].low)
                      and toks[j + 1].low not in _AFTER_TITLE and toks[j + 1].low not in _STOP):
                    mark(j, "name-title", 0.8)  # "Dr Will Cole": a first name that is a verb
                    j += 1
                nxt = toks[j]
                lenient = (low in _LENIENT_TITLES and lex.is_name(nxt.low) and len(nxt.low) > 2
                           and nxt.low not in _STOP and nxt.low not in _AFTER_TITLE
                           and nxt.low not in _NEVER_NAMES and (
                               j + 1 >= n or toks[j + 1].low in _AFTER_TITLE
                               or re.search(r"[.,;:\n]", _gap(text, nxt, toks[j + 1]))))
                if after_context(nxt) or lenient:
                    mark(j, "name-title", 0.85)
                    k = j + 1
                    while k < n and k - j <= 2:
                        gap = _gap(text, toks[k - 1], toks[k])
                        if gap in (" ", "-") and (plausible(toks[k]) or (
                                mixed_case and toks[k - 1].low in lex.first
                                and toks[k].text[0].isupper() and after_context(toks[k]))):
                            mark(k, "name-title", 0.8)
                        elif (gap.strip() in (",", "&") or toks[k].low == "and") and k + 1 < n:
                            after = toks[k + 1] if toks[k].low == "and" else toks[k]
                            if plausible(after) and lex.is_name(after.low):
                                mark(toks.index(after), "name-title", 0.7)
                            break
                        else:
                            break
                        k += 1
            # credentials closing a signature: "Joyce Jacobson, RN", "q. lander rrt",
            # "Ann Roe MD spoke with the family"
            if low in CREDENTIALS and i > 0:
                gap = _gap(text, toks[i - 1], tok)
                if "\n" not in gap and ("," in gap or low in _DISTINCTIVE_CREDENTIALS) \
                        and not any(c.isdigit() for c in gap):
                    line_end = text.find("\n", tok.end)
                    rest = text[tok.end:line_end if line_end >= 0 else len(text)]
                    head = rest[:4]
                    if low in _AMBIGUOUS_CREDENTIALS:
                        closing = rest.strip(" \t.,;)") == ""  # ", pt" is the patient
                    else:
                        closing = not head or (head[0] in "\r.,;)" or (
                            head[0] in " \t" and not head[1:].strip()[:1].isdigit()))
                    if closing:
                        self._signature(text, toks, i, mark, mixed_case)
                elif (gap == " " and low in _VERB_CREDENTIALS and tok.text.isupper() and i + 1 < n
                      and toks[i + 1].low in _AFTER_TITLE and toks[i - 1].text[0].isupper()
                      and _gap(text, tok, toks[i + 1]) == " "):
                    self._signature(text, toks, i, mark, mixed_case)
            # relations and roles: "daughter Helen", "son, bill", "wife, Carol Buckley",
            # "Sons A, B and C", "IV nurse Jane Roe"
            if (low in RELATIONS or low in ROLES) and i + 1 < n:
                j = i + 1
                while j < n and toks[j].low in {"is", "name", "named", "s", "in", "law", "laws",
                                                "her", "his", "pt's", "pts"}:
                    j += 1
                if j < n and len(_gap(text, toks[j - 1], toks[j]).strip(" ,:-()")) == 0 \
                        and len(_gap(text, toks[j - 1], toks[j])) <= 4 and cued(toks[j]):
                    detector = "name-relation" if low in RELATIONS else "name-role"
                    mark(j, detector, 0.75)
                    k = j + 1
                    while k < n and k - j <= 4:
                        gap = _gap(text, toks[k - 1], toks[k])
                        if gap in (" ", "-") and cued(toks[k], toks[k - 1].low in lex.first) and (
                                lex.is_name(toks[k].low) or toks[k].text[0].isupper()
                                or not lex.is_common(toks[k].low)):
                            mark(k, detector, 0.75)
                        elif gap.strip() == "," or toks[k].low == "and":
                            follow = k + 1 if toks[k].low == "and" else k
                            if follow < n and plausible(toks[follow]) and (
                                    toks[follow].low in lex.first):
                                mark(follow, detector, 0.7)
                                k = follow
                            else:
                                break
                        else:
                            break
                        k += 1
            # a name before a relation in brackets: "Hank Roe (son)"
            if low in RELATIONS and i > 0 and text[tok.start - 1:tok.start] == "(" \
                    and text[tok.end:tok.end + 1] == ")":
                j = i - 1
                while j >= 0 and i - j <= 3 and plausible(toks[j], j < i - 1) and (
                        not mixed_case or toks[j].text[0].isupper()) and (
                        _gap(text, toks[j], toks[j + 1]) in (" (", "(") if j == i - 1
                        else _gap(text, toks[j], toks[j + 1]) == " "):
                    mark(j, "name-relation", 0.75)
                    j -= 1
            # a name before a phone label: "Jane Roe cell# 410-555-0100"
            if low in _PHONE_LABELS and i > 0 and _PHONE_AFTER.match(text, tok.end):
                j = i - 1
                while j >= 0 and i - j <= 3 and _gap(text, toks[j], toks[j + 1]) == " " \
                        and plausible(toks[j]) and (not mixed_case or toks[j].text[0].isupper()):
                    mark(j, "name-contact", 0.7)
                    j -= 1
            # a first name and surname before a phone number: "Ann Roe (410) 555-0100"
            if (i > 0 and tok.low in lex.last and toks[i - 1].low in lex.first
                    and _gap(text, toks[i - 1], tok) == " " and _PHONE_NEXT.match(text, tok.end)
                    and all(after_context(t) and t.low not in CLINICAL_TERMS
                            and (not mixed_case or t.text[0].isupper())
                            for t in (toks[i - 1], tok))):
                mark(i - 1, "name-contact", 0.7)
                mark(i, "name-contact", 0.7)
            # an initial without its period, a surname and a verb: "K ROE ORDERED"
            if (len(low) == 1 and tok.text.isupper() and low not in _NOT_INITIALS and i + 2 < n
                    and _gap(text, tok, toks[i + 1]) == " "
                    and _gap(text, toks[i + 1], toks[i + 2]) == " "
                    and toks[i + 2].low in _AFTER_TITLE and toks[i + 2].low not in _STOP
                    and not _initial_is_abbreviation(text, tok)
                    and lex.is_frequent_name(toks[i + 1].low, FREQUENT_SURNAME_RANK)
                    and toks[i + 1].low not in CLINICAL_TERMS and after_context(toks[i + 1])
                    and (not mixed_case or toks[i + 1].text[0].isupper())):
                mark(i, "name-initial", 0.6)
                mark(i + 1, "name-initial", 0.6)
            # the subject of a verb only a person does: "Zed visited", "Ilse verbalizes"
            if (i + 1 < n and toks[i + 1].low in _PERSON_VERBS and i not in marked
                    and _gap(text, tok, toks[i + 1]) == " " and len(low) > 2
                    and low.isalpha() and (low in lex.first or not lex.is_common(low))
                    and (titled(tok) if mixed_case else True)
                    and after_context(tok) and low not in CLINICAL_TERMS
                    and not self._misspelt(tok)
                    and not (i > 0 and toks[i - 1].low in TITLES)):
                mark(i, "name-subject", 0.65)
            # a surname before "family": "keep the Romero family aware"
            if low == "family" and i > 0 and _gap(text, toks[i - 1], tok) == " ":
                t = toks[i - 1]
                if (t.low in lex.last and after_context(t) and t.low not in CLINICAL_TERMS
                        and (not mixed_case or t.text[0].isupper())):
                    mark(i - 1, "name-family", 0.7)
            # initials: "Z. MILLER", "E. WELSH aware"
            if (len(low) == 1 and tok.text.isupper() and low not in "ai" and i + 1 < n
                    and _gap(text, tok, toks[i + 1]) in (". ", ".")
                    and not _initial_is_abbreviation(text, tok)
                    and plausible(toks[i + 1])
                    and (low not in "soaprl" or lex.is_unambiguous_name(toks[i + 1].low))
                    and (mixed_case is False or toks[i + 1].text[0].isupper())):
                mark(i, "name-initial", 0.7)
                mark(i + 1, "name-initial", 0.7)
            # after a contact verb: "spoke with Rob", "able to reach Rob"
            if (tok.text[0].isupper() and tok.text[1:].islower() and len(low) > 2
                    and i not in marked and (low in lex.first or not lex.is_common(low))
                    and after_context(tok) and low not in CLINICAL_TERMS and not self._misspelt(tok)
                    and _CONTACT.search(text[max(0, tok.start - 24):tok.start])):
                mark(i, "name-contact", 0.7)
        # "lorrie morales is a 70 yr old female": the opening of a note names the patient
        for m in _INTRODUCTION.finditer(text):
            idx = [k for k, t in enumerate(toks) if t.start in (m.start(1), m.start(2))]
            if len(idx) == 2 and all(
                    toks[k].low not in _STOP and toks[k].low not in CLINICAL_TERMS
                    and toks[k].low not in _NEVER_NAMES and (
                        lex.is_name(toks[k].low) or not lex.is_common(toks[k].low))
                    for k in idx):
                for k in idx:
                    mark(k, "name-introduction", 0.7)
        # dictionary names
        for i, tok in enumerate(toks):
            if i in marked:
                continue
            if (lex.is_unambiguous_name(tok.low) and tok.low not in _NEVER_NAMES
                    and not (_acronym(tok) and (mixed_case or not name_beside(i)))
                    and (not mixed_case or tok.text[0].isupper()) and not eponym(i)
                    and not self._in_state_name(toks, i)):
                mark(i, "name-dictionary", 0.55)
        # recurrence: a word found as a name in context is a name wherever it recurs
        strong = {toks[i].low for i, d in marked.items()
                  if d != "name-dictionary" and len(toks[i].low) > 2
                  and toks[i].low not in CLINICAL_TERMS and toks[i].low not in _STOP}
        for i, tok in enumerate(toks):
            if i not in marked and tok.low in strong:
                mark(i, "name-recurrence", 0.6)
        # extend to neighbouring names and initials; "Suzette and Hank"
        changed = True
        while changed:
            changed = False
            for i in sorted(marked):
                for j in (i - 1, i + 1, i - 2, i + 2):
                    if j < 0 or j >= n or j in marked:
                        continue
                    t = toks[j]
                    if abs(j - i) == 2:
                        mid = toks[(i + j) // 2]
                        if (mid.low == "and" and marked[i] != "name-dictionary"
                                and t.low in lex.first and after_context(t)
                                and t.low not in CLINICAL_TERMS
                                and (t.text[0].isupper() if mixed_case
                                     else not lex.is_common(t.low))):
                            mark(j, "name-coordinated", 0.6)
                            changed = True
                        continue
                    a, b = (toks[j], toks[i]) if j < i else (toks[i], toks[j])
                    gap = _gap(text, a, b)
                    if gap not in (" ", ". ", "  ", "-"):
                        continue
                    if gap == ". " and len(a.low) > 1 and a.low not in TITLES:
                        continue  # a sentence ends: "PAIN. ALLEGRA"
                    if len(t.low) == 1 and j < i and t.text.isupper() and t.low not in ("a", "i"):
                        if not _initial_is_abbreviation(text, t):
                            mark(j, "name-initial", 0.6)
                            changed = True
                    elif ((lex.is_unambiguous_name(t.low) or t.low in lex.first
                           or (mixed_case and lex.is_name(t.low))
                           or (not lex.is_common(t.low) and (mixed_case or (
                               j == i + 1 and toks[i].low in lex.first and len(t.low) > 3))))
                          and t.low not in _STOP and t.low not in CLINICAL_TERMS
                          and t.low not in _NEVER_NAMES and t.low not in _AFTER_TITLE
                          and (not mixed_case or t.text[0].isupper())
                          and len(t.low) > 2 and not self._misspelt(t)
                          and not (_acronym(t) and marked[i] == "name-dictionary")
                          and not (marked[i] == "name-dictionary" and eponym(max(i, j)))):
                        mark(j, "name-dictionary", 0.5)
                        changed = True
        if any(d == "name-dictionary" for d in marked.values()):
            dropped = {i for i, d in marked.items() if d == "name-dictionary" and eponym(i)}
            if dropped:
                out = [s for s in out if not any(toks[i].start == s.start for i in dropped)]
        return out

    def _signature(self, text: str, toks: Sequence[_Tok], i: int,
                   mark: Callable[[int, str, float], None], mixed_case: bool) -> None:
        lex = self.lex
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
            elif t.low not in _STOP and t.low not in _NEVER_NAMES and t.low not in _AFTER_TITLE \
                    and not self._misspelt(t) and (
                        t.low not in CLINICAL_TERMS or (
                            # "Bernard Foley CRT": a surname that is also a device
                            taken == 0 and j > 0 and toks[j - 1].low in lex.first
                            and t.text[0].isupper() and toks[j - 1].text[0].isupper()
                            and _gap(text, toks[j - 1], t) == " ")) and (
                        not lex.is_common(t.low) or t.low in lex.first
                        or (lex.is_name(t.low) and mixed_case and t.text[0].isupper()
                            and not t.text.isupper())
                        or (not mixed_case and lex.is_frequent_name(t.low))):
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

        def titled(t: _Tok) -> bool:
            return t.text[0].isupper() and not t.text.isupper()

        def proper(t: _Tok) -> bool:
            return (not mixed_case or t.text[0].isupper()) and t.low not in _STOP \
                and t.low not in UNIT_WORDS and t.low not in CLINICAL_TERMS

        for pattern in (_UNIVERSITY, _MEDICAL_CENTER_ACRONYM):
            for m in pattern.finditer(text):
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
                last = phrase_start + 1
                if last + 1 < n and toks[last + 1].low in _NAMING_FACILITY_WORDS and _gap(
                        text, toks[last], toks[last + 1]) == " ":
                    last += 1  # "sacred heart memorial"
                out.append(Span(toks[phrase_start].start, toks[last].end,
                                PhiType.LOCATION, 0.7, "location-facility"))
        employer = {m.end() for m in _EMPLOYER.finditer(text)}  # where a cue's words end
        destination = {m.end() for m in _DESTINATION.finditer(text)} if mixed_case else set()
        for i, tok in enumerate(toks):
            if tok.start in employer and proper(tok):
                if not lex.is_common(tok.low):
                    out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6,
                                    "location-employer"))
                else:  # "works for Acme Health": words up to an organization word
                    k = i
                    while k + 1 < n and k - i < 2 and _gap(text, toks[k], toks[k + 1]) == " " \
                            and toks[k].low not in _ORGANIZATION_WORDS \
                            and toks[k + 1].low not in _STOP:
                        k += 1
                    if k > i and toks[k].low in _ORGANIZATION_WORDS:
                        out.append(Span(tok.start, toks[k].end, PhiType.LOCATION, 0.6,
                                        "location-employer"))
            # a capitalized word alone after a move, then a function word or a stop:
            # "went to Lakeside and", not "transfer to Cardiac floor"
            if (mixed_case and titled(tok) and len(tok.low) > 3 and tok.low.isalpha()
                    and proper(tok) and tok.low not in _NOT_DESTINATIONS
                    and tok.start in destination
                    and not (i + 1 < n and _gap(text, tok, toks[i + 1]) == " "
                             and toks[i + 1].low not in _STOP)):
                out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.5,
                                "location-destination"))
            if tok.low == "dc" and i > 0 and toks[i - 1].low in {"in", "from", "to"} \
                    and tok.text.isupper() and not re.match(r"\s+[A-Za-z]", text[tok.end:]):
                out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-gazetteer"))
        for m in _GEO_FEATURE.finditer(text):
            word = m.group("w")
            if word.lower() not in _STOP and word.lower() not in CLINICAL_TERMS and (
                    not mixed_case or (word[0].isupper() and m.group("v")[-1].islower()
                                       and m.group("v").split()[-1][0].isupper())):
                out.append(Span(m.start("v"), m.end("v"), PhiType.LOCATION, 0.6,
                                "location-region"))
        for m in _GLUED_WARD.finditer(text):
            word = m.group(1).lower()
            if not lex.is_common(word) and word not in CLINICAL_TERMS and word not in UNIT_WORDS \
                    and re.search(r"\b(?:to|from|on|at)\s+$", text[max(0, m.start() - 6):m.start()],
                                  re.IGNORECASE):
                out.append(Span(m.start(1), m.end(1), PhiType.LOCATION, 0.6, "location-ward"))
        skip_to = 0
        for i, tok in enumerate(toks):
            low = tok.low
            if (low in FACILITY_WORDS or tok.text in _EMERGENCY_WARDS) and i > 0:
                j = i - 1
                start = None
                while j >= 0 and i - j <= 3 and _gap(text, toks[j], toks[j + 1]) in (" ", ". "):
                    t = toks[j]
                    if proper(t) and t.low not in RELATIONS and t.low not in _AFTER_TITLE and (
                            t.low in lex.places or t.low in _FACILITY_NAME_WORDS or (
                                (not lex.is_common(t.low) or lex.is_name(t.low)) if mixed_case
                                else (lex.is_unambiguous_name(t.low) or (
                                    not lex.is_common(t.low) and len(t.low) > 4
                                    and "'" not in t.low)))):
                        start = j
                        j -= 1
                    else:
                        break
                if start is not None:
                    end = i if low in _NAMING_FACILITY_WORDS else i - 1
                    out.append(Span(toks[start].start, toks[end].end, PhiType.LOCATION, 0.7,
                                    "location-facility"))
            if low in {"st", "saint"} and i + 1 < n and tok.text[0].isupper() and proper(
                    toks[i + 1]) and _gap(text, tok, toks[i + 1]) in (". ", " ") \
                    and lex.is_name(toks[i + 1].low.removesuffix("'s")):
                out.append(Span(tok.start, toks[i + 1].end, PhiType.LOCATION, 0.7,
                                "location-facility"))
            if tok.text == "U" and i + 1 < n and _gap(text, tok, toks[i + 1]) == " " \
                    and toks[i + 1].text[0].isupper() and toks[i + 1].low in lex.places:
                out.append(Span(tok.start, toks[i + 1].end, PhiType.LOCATION, 0.7,
                                "location-facility"))  # "U Maryland": a university hospital
            if low in FACILITY_ABBREVIATIONS:
                out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-facility"))
            # gazetteer, longest first
            for width in (3, 2, 1) if low in lex.place_heads else (1,):
                if i + width > n or (width == 1 and low not in lex.places):
                    continue
                group = toks[i:i + width]
                if any(_gap(text, a, b) != " " for a, b in itertools.pairwise(group)):
                    continue
                name = " ".join(t.low for t in group)
                kind = lex.places.get(name)
                if kind is None:
                    continue
                prep = i > 0 and toks[i - 1].low in _LOCATION_PREPS and not _gap(
                    text, toks[i - 1], tok).strip()
                if kind == "state":
                    skip_to = i + width
                    break
                if i < skip_to or (i + width < n and toks[i + width].low in EPONYM_NOUNS):
                    continue
                if (kind == "world city" and not mixed_case and not prep):
                    continue  # Safe Harbor keeps states; "ls essen" is not Essen
                if width == 1 and (len(name) < 4 or (lex.is_name(name) and lex.is_common(name))):
                    continue
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
            if i > 0 and toks[i - 1].low in {"to", "on", "from", "at", "per"} and (
                    proper(tok) or (low not in UNIT_WORDS and low not in CLINICAL_TERMS)) \
                    and not lex.is_common(low) and len(low) > 3 and "-" not in low \
                    and low not in FACILITY_WORDS:
                after = text[tok.end:tok.end + 12]
                if re.match(r"\s?\d", after) and not _NOT_WARD_NUMBER.match(after):
                    out.append(Span(tok.start, tok.end, PhiType.LOCATION, 0.6, "location-ward"))
        wards = {text[s.start:s.end].lower() for s in out if s.detector == "location-ward"}
        if wards:
            pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(wards))) + r")(?=\d|\b)",
                                 re.IGNORECASE)
            out.extend(Span(m.start(), m.end(), PhiType.LOCATION, 0.55, "location-recurrence")
                       for m in pattern.finditer(text))
        return _merge(out)

    # -- dates -------------------------------------------------------------------------------
    def _dates(self, text: str) -> list[Span]:
        out: list[Span] = []
        if not _DIGIT.search(text):  # a month named alone is the only date without a digit
            return [Span(m.start("v"), m.end("v"), PhiType.DATE, 0.5, "date-short")
                    for m in _MONTH_ALONE.finditer(text)]
        for m in _SHORT_DATE.finditer(text):
            month, day = int(m.group(1)), int(m.group(2))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            before = text[max(0, m.start() - 12):m.start()]
            if _NOT_DATE_BEFORE.search(before):
                continue
            if _VENT.search(text[max(0, m.start() - 40):m.start()]) or _VENT.search(
                    text[m.end():m.end() + 12]):
                continue  # ventilator settings (PS 10/5, CPAP/PS 8/5)
            if month < day <= 4 or (day == 5 and month <= 5) or (day == 10 and (
                    _PAIN.search(text[max(0, m.start() - 30):m.start()])
                    or _PAIN.search(text[m.end():m.end() + 16]))):
                continue  # fractions (1/2, 3/4), strength (4/5), pain scores (7/10)
            out.append(Span(m.start(), m.end(), PhiType.DATE, 0.6, "date-short"))
        for m in _MONTH_YEAR.finditer(text):
            out.append(Span(m.start(), m.end(), PhiType.DATE, 0.5, "date-short"))
        for pattern in (_ORDINAL_DAY, _MONTH_ALONE, _YEAR_BEFORE_EVENT):
            for m in pattern.finditer(text):
                out.append(Span(m.start("v"), m.end("v"), PhiType.DATE, 0.5, "date-short"))
        for m in _YEAR_LEADING_APOSTROPHE.finditer(text):
            out.append(Span(m.start() + 1, m.end(), PhiType.DATE, 0.5, "year"))
        for m in _YEAR_AFTER_EVENT.finditer(text):
            out.append(Span(m.start(1), m.end(1), PhiType.DATE, 0.5, "year"))
        for pattern in (_YEAR_TRAILING_APOSTROPHE, _YEAR_FOUR):
            for m in pattern.finditer(text):
                before = text[max(0, m.start() - 16):m.start()]
                width = len(m.group().strip("'`"))
                if width == 2 and _TRAILING_YEAR_NOT.search(before):
                    continue  # HOB 30', x 30' (degrees, minutes)
                if width == 4 and _TIME_BEFORE.search(before) and int(m.group()[2:4]) < 60:
                    continue
                if width == 4 and not _HISTORY_WORDS.search(before) and not re.search(
                        r"[,(]\s*$", before):
                    continue
                out.append(Span(m.start(), m.start() + width, PhiType.DATE, 0.5, "year"))
        return out


