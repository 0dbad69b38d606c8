"""Check digits and validity rules of identifiers, each from its published specification."""

from __future__ import annotations

import re

import phonenumbers
from stdnum import ean, imei, luhn
from stdnum.exceptions import ValidationError
from stdnum.us import ssn as us_ssn

_NON_DIGIT = re.compile(r"\D")


def digits(value: str) -> str:
    """The digits of ``value``, in order."""
    return _NON_DIGIT.sub("", value)


def ssn_valid(value: str) -> bool:
    """A Social Security number that could have been issued (python-stdnum ``us.ssn``, after
    SSA's rules): area not 000, 666 or 900–999, group not 00, serial not 0000, and not one of
    the numbers SSA voided after publication (078-05-1120, 219-09-9999, 457-55-5462)."""
    try:
        return bool(us_ssn.is_valid(digits(value)))
    except ValidationError:  # pragma: no cover - is_valid catches it; kept for safety
        return False


def npi_valid(value: str) -> bool:
    """A National Provider Identifier: 10 digits, first 1 or 2, Luhn check digit computed over
    the number prefixed with ``80840`` (CMS, *NPI Check Digit*, 45 CFR 162.406)."""
    number = digits(value)
    return len(number) == 10 and number[0] in "12" and bool(luhn.is_valid("80840" + number))


_DEA_FIRST = frozenset("ABCDEFGHJKLMPRSTUX")


def dea_valid(value: str) -> bool:
    """A DEA registration number: two letters then seven digits; the first letter is a
    registrant type (A, B, F, G … X), the seventh digit is the last digit of
    (d1 + d3 + d5) + 2 × (d2 + d4 + d6) (DEA Diversion Control, 21 CFR 1301.13 registrations)."""
    text = value.strip().upper()
    if len(text) != 9 or text[0] not in _DEA_FIRST or (not text[1].isalpha() and text[1] != "9"):
        return False
    d = text[2:]
    if not d.isdigit():
        return False
    n = [int(c) for c in d]
    return (n[0] + n[2] + n[4] + 2 * (n[1] + n[3] + n[5])) % 10 == n[6]


_MBI = re.compile(
    r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]"
    r"[AC-HJKMNP-RT-Y]{2}[0-9]{2}"
)


def mbi_valid(value: str) -> bool:
    """A Medicare Beneficiary Identifier (CMS *MBI format specifications*): 11 characters
    ``C A AN N A AN N A A N N``, first digit 1–9, letters excluding S, L, O, I, B, Z; dashes
    allowed for display."""
    return _MBI.fullmatch(value.replace("-", "").upper()) is not None


_VIN_VALUES = {**{str(i): i for i in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_valid(value: str) -> bool:
    """A 17-character vehicle identification number whose 9th character is the check digit
    (49 CFR 565.15: transliterate, weight, sum mod 11, ``X`` for 10). Letters I, O, Q never
    occur."""
    vin = value.strip().upper()
    if len(vin) != 17 or any(c not in _VIN_VALUES for c in vin):
        return False
    if not any(c.isdigit() for c in vin) or not any(c.isalpha() for c in vin):
        return False
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    check = total % 11
    return vin[8] == ("X" if check == 10 else str(check))


def gtin_valid(value: str) -> bool:
    """A GS1 GTIN-14 (the device identifier of a GS1 UDI, application identifier 01) with a
    valid check digit (python-stdnum ``ean``)."""
    number = digits(value)
    return len(number) == 14 and bool(ean.is_valid(number))


def imei_valid(value: str) -> bool:
    """A 15-digit IMEI with its Luhn check digit (python-stdnum ``imei``)."""
    number = digits(value)
    return len(number) == 15 and bool(imei.is_valid(number))


def phone_plausible(value: str) -> bool:
    """A phone number as written: NANP numbers (10 digits, optionally after ``1``) need an area
    code and exchange that do not start with 0 or 1 once the area code is read as such; numbers
    written with ``+`` are checked with phonenumbers (Google libphonenumber metadata)."""
    text = value.strip()
    if text.startswith("+") and not text.startswith("+1"):
        try:
            return bool(phonenumbers.is_possible_number(phonenumbers.parse(text, None)))
        except phonenumbers.NumberParseException:
            return False
    number = digits(text)
    if len(number) == 11 and number[0] == "1":
        number = number[1:]
    if len(number) == 7:
        return number[0] not in "01"
    if len(number) != 10:
        return False
    if len(set(number)) == 1:
        return False
    return number[3] not in "01" or number[0] not in "01"


def date_parts_valid(month: int, day: int, year: int | None = None) -> bool:
    """Month 1–12, day 1–31 and not beyond the month's length (29 February allowed), year
    1900–2099 when given."""
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return False
    if day > (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]:
        return False
    return year is None or 1900 <= year <= 2099
