"""Normalization of names and postal addresses for the family / neighbour detector.

Surname: the family name (the part before a comma in ``Last, First``, else the last word), upper
case, digits and punctuation removed (Synthea appends digits to names: ``Mosciski958``).

Address: upper case, punctuation removed, USPS Publication 28 (Appendix C1) street suffix and
secondary unit designator abbreviations applied (``STREET`` → ``ST``, ``APARTMENT`` → ``APT``),
directionals abbreviated (``NORTH`` → ``N``). The *household* key keeps the unit (``APT 4``) and
the ZIP code (first five digits) or else the city; the *building* key drops the unit, so that two
flats of one building share it.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

_SUFFIXES = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "AVEN": "AVE", "ROAD": "RD",
    "DRIVE": "DR", "DRIV": "DR", "LANE": "LN", "BOULEVARD": "BLVD", "BOUL": "BLVD",
    "COURT": "CT", "PLACE": "PL", "TERRACE": "TER", "CIRCLE": "CIR", "HIGHWAY": "HWY",
    "PARKWAY": "PKWY", "SQUARE": "SQ", "TRAIL": "TRL", "ROUTE": "RTE", "WAY": "WAY",
    "ALLEY": "ALY", "CRESCENT": "CRES", "EXPRESSWAY": "EXPY", "FREEWAY": "FWY",
    "HEIGHTS": "HTS", "JUNCTION": "JCT", "LOCK": "LCK", "LOCKS": "LCKS", "MOUNT": "MT",
    "NECK": "NCK", "POINT": "PT", "RIDGE": "RDG", "STATION": "STA", "TURNPIKE": "TPKE",
    "VIEW": "VW", "VILLAGE": "VLG", "CROSSING": "XING", "GARDENS": "GDNS", "GROVE": "GRV",
}
_DIRECTIONS = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE",
               "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW"}
_UNITS = {"APARTMENT": "APT", "APT": "APT", "UNIT": "APT", "SUITE": "APT", "STE": "APT",
          "FLAT": "APT", "ROOM": "APT", "RM": "APT", "FLOOR": "FL", "FL": "FL", "#": "APT",
          "NO": "APT", "NUMBER": "APT", "LOT": "APT", "SPACE": "APT", "TRLR": "APT"}
_PUNCT = re.compile(r"[^\w\s#]")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\b")


def surname_key(name: str, family: str = "") -> str:
    """The normalized family name of ``name`` (or of ``family`` when given); "" when none."""
    text = family or name
    if not family and "," in text:
        text = text.split(",", 1)[0]
    elif not family:
        parts = text.split()
        text = parts[-1] if parts else ""
    cleaned = _DIGITS.sub("", _PUNCT.sub("", text.upper()))
    return _SPACES.sub("", cleaned)


def address_keys(street: str, city: str = "", postal_code: str = "") -> tuple[str, str]:
    """(household key, building key) of an address; ("", "") when the street is empty.

    Args:
        street: street line(s), with any unit (``12 Main Street, Apt 4``).
        city: city, used when there is no ZIP code.
        postal_code: ZIP or postal code; the first five digits of a US ZIP are used.
    """
    text = _SPACES.sub(" ", _PUNCT.sub(" ", street.upper().replace("#", " # "))).strip()
    if not text:
        return "", ""
    tokens = text.split(" ")
    building: list[str] = []
    unit: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _UNITS and i + 1 < len(tokens) and building:
            unit = [_UNITS[token], tokens[i + 1]]
            i += 2
            continue
        building.append(_SUFFIXES.get(token, _DIRECTIONS.get(token, token)))
        i += 1
    zip_match = _ZIP.search(postal_code or "")
    place = zip_match.group(1) if zip_match else _SPACES.sub(" ", city.upper().strip())
    street_key = " ".join(building)
    household = f"{street_key} {' '.join(unit)}".strip() + f"|{place}"
    return household, f"{street_key}|{place}"


def _word_map_regex(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(rf"\b{word}\b", short) for word, short in mapping.items() if word != short]


def _field(struct: pa.Array, name: str) -> pa.Array:
    """A field of a struct array, null where the struct is null (no regex match)."""
    return pc.struct_field(struct, name)


def surname_keys(names: pa.Array, families: pa.Array) -> pa.Array:
    """:func:`surname_key` over arrays (Apache Arrow compute); "" where there is none."""
    before_comma = _field(pc.extract_regex(names, r"^(?P<f>[^,]*),"), "f")
    last_word = _field(pc.extract_regex(pc.utf8_trim_whitespace(names), r"(?P<f>\S+)$"), "f")
    family = pc.if_else(pc.equal(pc.fill_null(families, ""), ""),
                        pa.scalar(None, pa.string()), families)
    chosen = pc.fill_null(pc.coalesce(family, before_comma, last_word), "")
    return pc.replace_substring_regex(pc.utf8_upper(chosen), r"[^\w\s#]|\d|\s", "")


def _map_words(text: pa.Array, words: dict[str, str]) -> pa.Array:
    """Replace whole space-separated words of every string by ``words`` (one pass over the
    words of all strings, not one per entry of the table)."""
    tokens = pc.split_pattern(pc.fill_null(text, ""), " ")
    flat = pc.list_flatten(tokens)
    keys = pa.array(list(words), pa.string())
    index = pc.index_in(flat, value_set=keys)
    mapped = pc.coalesce(pc.take(pa.array(list(words.values()), pa.string()), index), flat)
    rebuilt = pa.ListArray.from_arrays(tokens.offsets, mapped)
    return pc.utf8_trim_whitespace(pc.binary_join(rebuilt, " "))


def address_keys_array(streets: pa.Array, cities: pa.Array,
                       postal_codes: pa.Array) -> tuple[pa.Array, pa.Array]:
    """:func:`address_keys` over arrays (Apache Arrow compute, for large patient indexes):
    (household keys, building keys), "" where the street is empty."""
    text = pc.utf8_upper(pc.fill_null(streets, ""))
    text = pc.replace_substring(text, "#", " # ")
    text = pc.replace_substring_regex(text, r"[^\w\s#]", " ")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))
    units = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    parts = pc.extract_regex(text, rf"^(?P<b>.*?\S) (?P<u>{units}) (?P<n>\S+)(?P<rest>.*)$")
    building = pc.coalesce(
        pc.binary_join_element_wise(_field(parts, "b"), _field(parts, "rest"), ""), text)
    building = _map_words(building, {**_SUFFIXES, **_DIRECTIONS})
    unit_word = pc.fill_null(_field(parts, "u"), "")
    for word, short in _UNITS.items():
        if word != short:
            unit_word = pc.if_else(pc.equal(unit_word, word), pa.scalar(short), unit_word)
    unit = pc.if_else(pc.equal(unit_word, ""), pa.scalar(""),
                      pc.binary_join_element_wise(unit_word, _field(parts, "n"), " "))
    zips = _field(pc.extract_regex(pc.fill_null(postal_codes, ""),
                                   r"(?:^|\D)(?P<z>\d{5})(?:-\d{4})?(?:\D|$)"), "z")
    city = pc.utf8_trim_whitespace(pc.replace_substring_regex(
        pc.utf8_upper(pc.fill_null(cities, "")), r"\s+", " "))
    place = pc.coalesce(zips, city)
    street_unit = pc.utf8_trim_whitespace(pc.binary_join_element_wise(building, unit, " "))
    household = pc.binary_join_element_wise(street_unit, place, "|")
    building_key = pc.binary_join_element_wise(building, place, "|")
    empty = pc.equal(text, "")
    blank = pa.scalar("", pa.string())
    return pc.if_else(empty, blank, household), pc.if_else(empty, blank, building_key)
