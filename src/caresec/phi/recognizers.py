"""Presidio pattern recognizers for the identifiers a health-care scan needs.

Each recognizer is a :class:`presidio_analyzer.PatternRecognizer`: regular expressions with a
base score, the context words that raise it (Presidio's context enhancement, applied by
:mod:`caresec.phi.engine`), and a check (:mod:`caresec.phi.checks`) that drops a match whose
check digit or range is wrong. Some are Presidio's own (e-mail, IP address, MAC address, NPI,
MBI, member id) with their checks made to keep the pattern score instead of jumping to 1.0, so
that a bare 10-digit number that happens to pass the Luhn check still needs a context word.

The ``supported_entity`` of every recognizer is a :class:`~caresec.model.phi.PhiType` value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

import tldextract
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    IpRecognizer,
    MacAddressRecognizer,
    UsHealthInsuranceMemberIdRecognizer,
    UsMbiRecognizer,
    UsNpiRecognizer,
)

from caresec.model.phi import PhiType
from caresec.phi import checks
from caresec.phi.lexicon import CLINICAL_TERMS

#: The two-letter USPS state and territory codes (USPS Publication 28, Appendix B).
STATE_CODES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
    "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
    "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
)
_STATES = "|".join(STATE_CODES)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_STREET_SUFFIX = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    "Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Pike|Alley|Row|Loop|"
    "STREET|ST|AVENUE|AVE|ROAD|RD|BOULEVARD|BLVD|LANE|LN|DRIVE|DR|COURT|CT|WAY|PLACE|PL"
)


class CheckedRecognizer(PatternRecognizer):
    """A pattern recognizer whose check only vetoes: a match that fails ``check`` is dropped,
    one that passes keeps its pattern score (context words must still raise it).

    Args:
        phi_type: the :class:`PhiType` it finds.
        name: detector name shown on spans (``ssn``, ``npi`` …).
        patterns: ``(name, regex, score)`` triples (Presidio :class:`Pattern`).
        context: context words (lower case; several words allowed).
        check: a validity test applied to the matched text, or None.
        case_sensitive: compile without Presidio's default ``IGNORECASE``.
    """

    def __init__(
        self,
        phi_type: PhiType,
        name: str,
        patterns: Sequence[tuple[str, str, float]],
        context: Sequence[str] = (),
        check: Callable[[str], bool] | None = None,
        *,
        case_sensitive: bool = False,
    ) -> None:
        flags = re.DOTALL | re.MULTILINE | (0 if case_sensitive else re.IGNORECASE)
        built = [Pattern(n, r, s) for n, r, s in patterns]
        super().__init__(
            supported_entity=phi_type.value,
            name=name,
            patterns=built,
            context=list(context),
            global_regex_flags=flags,
        )
        self._check = check
        self._compiled = [(p, re.compile(p.regex, flags)) for p in built]

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Presidio's pattern analysis with the standard-library regex engine; a pattern with a
        group named ``v`` reports that group (the label before it is context, not identifier).
        """
        results: list[RecognizerResult] = []
        entity = self.supported_entities[0]
        for pattern, compiled in self._compiled:
            has_group = "v" in compiled.groupindex
            for match in compiled.finditer(text):
                start, end = match.span("v") if has_group else match.span()
                if start == end:
                    continue
                if self._check is not None and not self._check(text[start:end]):
                    continue
                results.append(RecognizerResult(entity, start, end, pattern.score))
        return results

    def validate_result(self, pattern_text: str) -> bool | None:
        """None (keep the pattern score) when the check passes or there is none; False (drop)
        otherwise."""
        if self._check is None or self._check(pattern_text):
            return None
        return False


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, its domain check made with tldextract's bundled public
    suffix snapshot: no download of the public suffix list, ever (a scan makes no network
    call)."""

    def validate_result(self, pattern_text: str) -> bool:
        return _offline_tld()(pattern_text.rpartition("@")[2]).fqdn != ""


@cache
def _offline_tld() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


#: A form label that names a person, then ``:`` or ``=`` (``Patient name:``, ``Guardian =``).
_NAME_LABEL = (
    r"(?i:(?<![A-Za-z])(?:(?:patient|pt|member|subscriber|insured|guarantor|client|resident)"
    r"(?:'s)?[ \t]+(?:full[ \t]+|legal[ \t]+)?name|full[ \t]+name|legal[ \t]+name|"
    r"patient|pt|guardian|next[ \t]+of[ \t]+kin|emergency[ \t]+contact|contact[ \t]+person|"
    r"spouse|mother|father|parent|insured|subscriber|guarantor|name|"
    r"(?:attending|referring|ordering|primary[ \t]+care)(?:[ \t]+(?:physician|provider|md))?|"
    r"pcp|physician|provider))[ \t]*[:=][ \t]*"
)
#: Two to four name words (``Zebulon Quagmirewood``, ``Mary J. Smith``, ``SMITH, MARY``).
_LABELLED_NAME = (
    r"(?P<v>(?:[A-Z][A-Za-z'\-]+,[ \t]*[A-Z][A-Za-z'\-]+(?:[ \t]+[A-Z]\.?(?![A-Za-z]))?)"
    r"|(?:[A-Z][A-Za-z'\-]+(?:[ \t]+(?:[A-Z]\.|[A-Z](?=[ \t])|[A-Z][A-Za-z'\-]+)){1,3}))"
    r"(?![A-Za-z0-9])"
)


def _labelled_name_check(text: str) -> bool:
    """A labelled value is a name when one of its words could be one: a census name, or not a
    common English word (``Blood Pressure`` is not; ``Zebulon Quagmirewood`` is)."""
    from caresec.phi.lexicon import lexicon

    lex = lexicon()
    words = [w for w in re.split(r"[ \t,.]+", text) if len(w) > 1]
    return any(lex.is_frequent_name(w.lower(), 5000) or not lex.is_common(w.lower())
               for w in words)


def _labelled(labels: str, value: str) -> str:
    """A regex matching ``labels``, an optional ``#``/``:``/``no``, then ``value`` (group ``v``)."""
    return (rf"\b(?:{labels})\.?[\s:#=.-]{{0,4}}(?:no\.?|num(?:ber)?\.?|id)?[\s:#=-]{{0,3}}"
            rf"(?P<v>{value})")


def build_recognizers(mrn_patterns: Sequence[str] = ()) -> list[PatternRecognizer]:
    """Every pattern recognizer of a scan.

    Args:
        mrn_patterns: the organization's medical-record-number formats as regular expressions
            (configured or learned with :func:`caresec.phi.mrn.learn_mrn_pattern`); a match
            counts without a context word.

    Returns:
        Recognizers in a fixed order (earlier ones win ties when spans overlap).
    """
    recognizers: list[PatternRecognizer] = [
        CheckedRecognizer(
            PhiType.NAME, "name-labelled",
            [("name after a person label", _NAME_LABEL + _LABELLED_NAME, 0.7)],
            [], _labelled_name_check, case_sensitive=True),
        CheckedRecognizer(
            PhiType.SSN, "ssn",
            [("SSN dashed", r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])", 0.5),
             ("SSN spaced", r"(?<![\d ])\d{3} \d{2} \d{4}(?![\d])", 0.3),
             ("SSN bare", r"(?<![\d.,/-])\d{9}(?![\d.,/-])", 0.05)],
            ["ssn", "social security", "ss#", "soc sec", "ss no", "social"],
            checks.ssn_valid),
        _veto(UsNpiRecognizer(supported_entity=PhiType.NPI.value, name="npi",
                              context=["npi", "national provider", "provider id", "prescriber",
                                       "provider", "attending", "referring"]),
              checks.npi_valid),
        CheckedRecognizer(
            PhiType.DEA, "dea",
            [("DEA", r"\b[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}\b", 0.3)],
            ["dea", "dea#", "registration", "prescriber", "controlled"],
            checks.dea_valid, case_sensitive=True),
        _veto(UsMbiRecognizer(supported_entity=PhiType.MBI.value, name="mbi"), checks.mbi_valid),
        CheckedRecognizer(
            PhiType.AGE, "age-over-89",
            [("age yo", r"(?<![\d.])(?:9\d|1[01]\d)(?=\s?-?\s?(?:yo\b|y/o|y\.o\.?|yrs?\b|years?\b"
                        r"|yr\.?\s?old|year[- ]old|-year-old|y\s?o\b))", 0.6),
             ("age labelled", r"\bage[d:]?\s{0,2}(?P<v>9\d|1[01]\d)\b", 0.6)],
            ["age", "old", "yo"]),
        CheckedRecognizer(
            PhiType.PHONE, "phone",
            [("NANP", r"(?<![\w/.])(?<!\d-)(?:\+?1[ .-]?)?\(?\d{3}\)?[-./ ]{0,2}\d{3}"
                      r"[-./ ]{1,2}\d{4}"
                      r"(?![\w/-])", 0.5),
             ("NANP bracketed", r"(?<=\()\d{3}\)\s?\d{3}[ .-]\d{4}\b", 0.5),
             ("international", r"(?<!\w)\+[2-9]\d{0,2}[ .-]?(?:\(?\d{1,4}\)?[ .-]?){2,5}\d{2,4}\b",
              0.4),
             ("local 7 digits", r"(?<![\w/.-])\d{3}-\d{4}(?![\w/-])", 0.2),
             ("area code, 7 digits run together",
              r"(?<![\w/.-])\(?\d{3}\)?[ -]\d{7}(?![\w/-])", 0.3),
             ("bare 10 digits", r"(?<![\w.-])\d{10}(?![\w.-])", 0.1)],
            ["phone", "tel", "telephone", "cell", "cellular", "mobile", "home", "work", "office",
             "call", "called", "contact", "reached", "reach", "ph", "number", "fax", "pager",
             "beeper", "tel#", "cell#", "home#", "work#"],
            checks.phone_plausible),
        CheckedRecognizer(
            PhiType.PHONE, "pager",
            [("pager number", _labelled("pager|beeper|pg|page", r"\d{4,6}\b"), 0.6)],
            ["pager", "beeper"]),
        OfflineEmailRecognizer(supported_entity=PhiType.EMAIL.value, name="email"),
        CheckedRecognizer(
            PhiType.URL, "url",
            [("URL with scheme", r"\bhttps?://[^\s<>\"'()]+[^\s<>\"'().,;:]", 0.6),
             ("www URL", r"\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^\s<>\"'()]*)?", 0.5)],
            ["url", "website", "link", "portal"]),
        IpRecognizer(supported_entity=PhiType.IP_ADDRESS.value, name="ip"),
        MacAddressRecognizer(supported_entity=PhiType.DEVICE.value, name="mac"),
        CheckedRecognizer(
            PhiType.ADDRESS, "street-address",
            [("street", r"(?-i:\b\d{1,6}[A-Z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][A-Za-z]+\.?\s+){1,3}"
                        rf"(?:{_STREET_SUFFIX})\b\.?)", 0.6),
             ("PO box", r"\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b", 0.6)],
            ["address", "lives", "resides", "street", "addr"], _address_check),
        CheckedRecognizer(
            PhiType.ZIP, "zip",
            [("ZIP after state", rf"(?-i:\b(?:{_STATES})),?\s{{1,2}}(?P<v>\d{{5}}(?:-\d{{4}})?)\b",
              0.6),
             ("ZIP+4", r"(?<![\d-])\d{5}-\d{4}(?![\d-])", 0.3),
             ("ZIP", r"(?<![\d.,/-])\d{5}(?![\d.,/-])", 0.01)],
            ["zip", "zipcode", "zip code", "postal", "postcode"]),
        CheckedRecognizer(
            PhiType.HEALTH_PLAN_ID, "member-id",
            [("member id labelled",
              _labelled("member|subscriber|policy|medicaid|insurance|plan|beneficiary|"
                        "group|insured|payer",
                        r"(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{5,19}\b"), 0.5)],
            ["member", "subscriber", "policy", "insurance", "medicaid", "plan", "payer"]),
        _veto(UsHealthInsuranceMemberIdRecognizer(
            supported_entity=PhiType.HEALTH_PLAN_ID.value, name="member-id-presidio"),
            lambda v: sum(c.isdigit() for c in v) >= 4),
        CheckedRecognizer(
            PhiType.ACCOUNT, "account",
            [("account labelled",
              _labelled("account|acct|acc|billing account|invoice|claim|encounter|visit|fin|har",
                        r"(?=[A-Z0-9-]*\d{4})[A-Z0-9][A-Z0-9-]{4,19}\b"), 0.5)],
            ["account", "acct", "billing", "invoice", "guarantor", "claim"]),
        CheckedRecognizer(
            PhiType.MRN, "mrn",
            [("MRN labelled",
              _labelled("mrn|mr|medical record|med rec|chart|unit|hospital|patient",
                        r"(?=[A-Z0-9-]*\d{4})[A-Z]{0,4}-?\d[\dA-Z-]{3,14}\b"), 0.5),
             *[(f"MRN format {i + 1}", rf"\b(?:{p})\b", 0.6) for i, p in enumerate(mrn_patterns)]],
            ["mrn", "medical record", "mr#", "record number", "chart", "unit number"]),
        CheckedRecognizer(
            PhiType.DEVICE, "device-id",
            [("serial labelled",
              _labelled("serial|s/n|sn|device|udi|imei|esn|asset tag|implant",
                        r"(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,30}\b"), 0.5),
             ("GS1 UDI", r"\(01\)\d{14}", 0.6)],
            ["serial", "device", "udi", "imei", "implant", "pacemaker", "pump", "model"],
            _device_check),
        CheckedRecognizer(
            PhiType.VEHICLE, "vehicle",
            [("VIN", r"(?-i:\b[A-HJ-NPR-Z0-9]{17}\b)", 0.5),
             ("plate labelled", _labelled("license plate|licence plate|plate|tag",
                                          r"(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9 -]{1,7}[A-Z0-9]\b"),
              0.5)],
            ["vin", "vehicle", "car", "plate", "auto"], _vehicle_check),
        CheckedRecognizer(
            PhiType.LICENSE, "license",
            [("licence labelled",
              _labelled("driver'?s? licen[cs]e|drivers licen[cs]e|dl|licen[cs]e|certificate|"
                        "cert|permit|passport",
                        r"(?=[A-Z0-9-]*\d{3})[A-Z0-9][A-Z0-9-]{4,14}\b"), 0.5)],
            ["license", "licence", "driver", "certificate", "passport"]),
        CheckedRecognizer(
            PhiType.DATE, "date",
            [("ISO date", r"(?<![\d-])(?:19|20)\d{2}-\d{2}-\d{2}(?![\d-])", 0.6),
             ("US date", r"(?<![\d/])(?<!\d[.-])\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})(?![\d/%])", 0.6),
             ("dashed date", r"(?<![\d.-])\d{1,2}-\d{1,2}-(?:\d{4}|\d{2})(?![\d-])", 0.5),
             ("month day", rf"\b{_MONTH}\.?\s{{1,2}}\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b",
              0.6),
             ("day month", rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?{_MONTH}\.?(?:,?\s\d{{4}})?\b",
              0.6),
             ("month year", rf"\b{_MONTH}\.?\s(?:of\s)?(?:19|20)\d{{2}}\b", 0.5)],
            ["dob", "birth", "born", "admitted", "admission", "admit", "discharge", "discharged",
             "died", "death", "deceased", "expired", "date", "visit", "seen", "surgery"],
            _date_check),
    ]
    return recognizers


def _date_check(text: str) -> bool:
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return checks.date_parts_valid(numbers[1], numbers[2], numbers[0])
    if re.fullmatch(r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4}", text):
        year = numbers[2] if numbers[2] > 99 else None
        return checks.date_parts_valid(numbers[0], numbers[1], year)
    days = [n for n in numbers if n <= 31]
    years = [n for n in numbers if n > 31]
    return (not days or 1 <= days[0] <= 31) and all(1900 <= y <= 2099 for y in years)


def _veto(recognizer: PatternRecognizer, check: Callable[[str], bool]) -> PatternRecognizer:
    """Replace a Presidio recognizer's validation with ``check`` as a veto."""

    def validate(pattern_text: str) -> bool | None:
        return None if check(pattern_text) else False

    recognizer.validate_result = validate  # type: ignore[method-assign]
    return recognizer


def _address_check(text: str) -> bool:
    import usaddress

    if text.upper().startswith(("P", "PO")) and "BOX" in text.upper():
        return True
    words = text.split()
    if text.isupper() and len(words[0]) < 2:
        return False  # "3 WAY FOLEY IN PLACE": all-caps notes need a house number of 2+ digits
    if any(w.lower().strip(".,") in CLINICAL_TERMS for w in words[1:-1]):
        return False  # the street name, not its suffix ("St" is also the ST segment)
    try:
        tagged, _kind = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return False
    return "AddressNumber" in tagged and "StreetName" in tagged


def _device_check(text: str) -> bool:
    if text.startswith("(01)"):
        return checks.gtin_valid(text[4:])
    return True


def _vehicle_check(text: str) -> bool:
    if len(text) == 17 and " " not in text:
        return checks.vin_valid(text)
    return True
