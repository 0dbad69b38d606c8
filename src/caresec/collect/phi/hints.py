"""What a field's label says it holds: column headers, JSON keys, FHIR paths, HL7 fields.

Structure speaks first: a column headed ``ssn`` holds Social Security numbers whatever their
digits look like (test data often uses the never-issued 9xx area numbers, which caresec's text
detector rejects), and a column headed ``notes`` holds narrative. A label that says nothing
returns None and the content decides (:mod:`caresec.collect.phi.tables`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from caresec.model.phi import PhiType

#: A hint: an identifier type, or ``narrative`` for free text.
NARRATIVE = "narrative"
Hint = PhiType | str

_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Label words → hint; checked in order, first match wins. Each entry: (required words, hint).
_RULES: tuple[tuple[tuple[str, ...], Hint], ...] = (
    (("ssn",), PhiType.SSN), (("social", "security"), PhiType.SSN),
    (("mbi",), PhiType.MBI), (("medicare", "id"), PhiType.MBI),
    (("medicare", "number"), PhiType.MBI),
    (("npi",), PhiType.NPI), (("dea",), PhiType.DEA),
    (("mrn",), PhiType.MRN), (("medical", "record"), PhiType.MRN),
    (("chart", "number"), PhiType.MRN),
    (("patient", "id"), PhiType.MRN), (("patientid",), PhiType.MRN), (("pat", "id"), PhiType.MRN),
    (("member",), PhiType.HEALTH_PLAN_ID), (("subscriber",), PhiType.HEALTH_PLAN_ID),
    (("policy",), PhiType.HEALTH_PLAN_ID), (("medicaid",), PhiType.HEALTH_PLAN_ID),
    (("insurance", "id"), PhiType.HEALTH_PLAN_ID),
    (("account",), PhiType.ACCOUNT), (("acct",), PhiType.ACCOUNT), (("fin",), PhiType.ACCOUNT),
    (("encounter", "id"), PhiType.ACCOUNT), (("visit", "number"), PhiType.ACCOUNT),
    (("accession",), PhiType.ACCOUNT), (("claim",), PhiType.ACCOUNT),
    (("drivers",), PhiType.LICENSE), (("driver",), PhiType.LICENSE),
    (("license",), PhiType.LICENSE), (("licence",), PhiType.LICENSE),
    (("passport",), PhiType.LICENSE),
    (("vin",), PhiType.VEHICLE), (("plate",), PhiType.VEHICLE),
    (("serial",), PhiType.DEVICE), (("udi",), PhiType.DEVICE), (("imei",), PhiType.DEVICE),
    (("device", "id"), PhiType.DEVICE), (("mac",), PhiType.DEVICE),
    (("email",), PhiType.EMAIL), (("e", "mail"), PhiType.EMAIL),
    (("fax",), PhiType.FAX),
    (("phone",), PhiType.PHONE), (("tel",), PhiType.PHONE), (("telephone",), PhiType.PHONE),
    (("mobile",), PhiType.PHONE), (("cell",), PhiType.PHONE), (("pager",), PhiType.PHONE),
    (("ip",), PhiType.IP_ADDRESS), (("ipaddress",), PhiType.IP_ADDRESS),
    (("url",), PhiType.URL), (("website",), PhiType.URL),
    (("zip",), PhiType.ZIP), (("zipcode",), PhiType.ZIP), (("postal",), PhiType.ZIP),
    (("postalcode",), PhiType.ZIP),
    (("address",), PhiType.ADDRESS), (("street",), PhiType.ADDRESS), (("addr",), PhiType.ADDRESS),
    (("city",), PhiType.LOCATION), (("county",), PhiType.LOCATION), (("town",), PhiType.LOCATION),
    (("birthplace",), PhiType.LOCATION), (("birth", "place"), PhiType.LOCATION),
    (("birth", "city"), PhiType.LOCATION),
    (("birth",), PhiType.DATE), (("dob",), PhiType.DATE), (("birthdate",), PhiType.DATE),
    (("death",), PhiType.DATE), (("deceased",), PhiType.DATE), (("deathdate",), PhiType.DATE),
    (("admit",), PhiType.DATE), (("admission",), PhiType.DATE), (("admitted",), PhiType.DATE),
    (("discharge",), PhiType.DATE), (("discharged",), PhiType.DATE),
    (("visit", "date"), PhiType.DATE), (("service", "date"), PhiType.DATE),
    (("encounter", "date"), PhiType.DATE), (("dos",), PhiType.DATE),
    (("age",), PhiType.AGE),
    (("first", "name"), PhiType.NAME), (("last", "name"), PhiType.NAME),
    (("firstname",), PhiType.NAME), (("lastname",), PhiType.NAME),
    (("given",), PhiType.NAME), (("family",), PhiType.NAME), (("surname",), PhiType.NAME),
    (("maiden",), PhiType.NAME), (("middle", "name"), PhiType.NAME),
    (("patient", "name"), PhiType.NAME), (("full", "name"), PhiType.NAME),
    (("name",), PhiType.NAME), (("patient",), PhiType.NAME), (("guarantor",), PhiType.NAME),
    (("physician",), PhiType.NAME), (("provider",), PhiType.NAME), (("contact",), PhiType.NAME),
    (("note",), NARRATIVE), (("notes",), NARRATIVE), (("comment",), NARRATIVE),
    (("comments",), NARRATIVE), (("narrative",), NARRATIVE), (("text",), NARRATIVE),
    (("description",), NARRATIVE), (("remarks",), NARRATIVE), (("history",), NARRATIVE),
    (("assessment",), NARRATIVE), (("plan",), NARRATIVE), (("body",), NARRATIVE),
    (("summary",), NARRATIVE), (("message",), NARRATIVE), (("reason",), NARRATIVE),
)
#: Words that make a label *not* about a person (``file_name``, ``drug_name``, ``test_date``).
_NOT_PERSONAL = frozenset({
    "file", "filename", "drug", "medication", "med", "product", "test", "lab", "procedure",
    "code", "system", "host", "hostname", "server", "device_name", "model", "vendor",
    "manufacturer", "facility", "organization", "org", "department", "dept", "unit", "ward",
    "created", "updated", "modified", "timestamp", "version", "display", "type", "status",
    "category", "class",
})


#: Words that make a label a quantity (``TOTAL_CLAIM_COST``, ``MEMBER_MONTHS``): it gives no
#: hint at all, whatever identifier word it also holds.
_QUANTITY = frozenset({
    "cost", "costs", "amount", "price", "charge", "charges", "balance", "paid", "payment",
    "payments", "expense", "expenses", "revenue", "income", "fee", "fees", "months", "days",
    "count", "total", "sum", "avg", "average",
})


#: Column headers that name a part of a person's name on their own (Synthea's ``FIRST``,
#: ``LAST``): only as the whole header (``first_seen`` is not a name).
_NAME_PARTS_ALONE = frozenset({"first", "last", "middle", "forename", "forenames"})


def label_words(label: str) -> list[str]:
    """The lower-case words of a label: ``PatientBirthDate`` → ``patient birth date``,
    ``dob_1`` → ``dob 1``."""
    spaced = _CAMEL.sub(" ", label)
    return [w for w in _SPLIT.split(spaced.lower()) if w]


@lru_cache(maxsize=4096)
def hint_for(label: str) -> Hint | None:
    """The hint a label gives, or None (memoized: labels repeat on every row or record).

    A label with a word of :data:`_QUANTITY` (a cost, a count) gives none. A label with a
    word of :data:`_NOT_PERSONAL` gives no name, date or narrative hint
    (``drug_name`` is not a person's name), but still gives a strong identifier hint
    (``device_serial``).
    """
    words = label_words(label)
    if not words:
        return None
    joined = "".join(words)
    present = set(words) | {joined}
    if present & _QUANTITY:
        return None
    impersonal = bool(set(words) & _NOT_PERSONAL)
    for required, hint in _RULES:
        if all(w in present for w in required):
            if impersonal and hint in (PhiType.NAME, PhiType.DATE, NARRATIVE, PhiType.LOCATION,
                                       PhiType.AGE):
                return None
            return hint
    return None


def column_hint(label: str) -> Hint | None:
    """The hint a table's column header gives: :func:`hint_for`, and ``name`` for a header
    that is only a name part (:data:`_NAME_PARTS_ALONE`: Synthea's ``FIRST`` and ``LAST``).
    JSON keys do not get the latter (``first``/``last`` there are often paging links)."""
    hint = hint_for(label)
    if hint is None and "".join(label_words(label)) in _NAME_PARTS_ALONE:
        return PhiType.NAME
    return hint
