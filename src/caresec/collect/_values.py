"""Parsers for inventory cell values: enums with synonyms, booleans, counts, dates, IP addresses.

Each parser takes the cell text (already stripped) and returns the value or raises
:class:`ValueError` with a sentence a person can act on (what was found, what is allowed).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from caresec.model import AssetKind, ClinicalCriticality, NetworkZone

_TRUE = frozenset({"yes", "y", "true", "t", "1"})
_FALSE = frozenset({"no", "n", "false", "f", "0"})
_SEPARATORS = re.compile(r"[\s_\-]+")
E = TypeVar("E", bound=StrEnum)

#: Extra spellings accepted for ``kind`` (after lower-casing and turning ``_``/``-`` into spaces),
#: besides the :class:`AssetKind` values themselves. Documented in docs/org-folder.md.
KIND_SYNONYMS: dict[str, AssetKind] = {
    "medical": AssetKind.MEDICAL_DEVICE,
    "meddev": AssetKind.MEDICAL_DEVICE,
    "cloud": AssetKind.CLOUD_SERVICE,
    "saas": AssetKind.CLOUD_SERVICE,
    "paas": AssetKind.CLOUD_SERVICE,
    "iaas": AssetKind.CLOUD_SERVICE,
    "desktop": AssetKind.WORKSTATION,
    "laptop": AssetKind.WORKSTATION,
    "database": AssetKind.DATA_STORE,
    "app": AssetKind.APPLICATION,
    "software": AssetKind.APPLICATION,
    "business associate": AssetKind.VENDOR,
    "supplier": AssetKind.VENDOR,
    "router": AssetKind.NETWORK_DEVICE,
    "switch": AssetKind.NETWORK_DEVICE,
    "firewall": AssetKind.NETWORK_DEVICE,
    "internet of things": AssetKind.IOT,
}


def _key(text: str) -> str:
    """Normalize a spelling: lower-case, runs of spaces/underscores/hyphens → one space."""
    return _SEPARATORS.sub(" ", text.strip().lower()).strip()


def _enum_value(
    text: str, enum: type[E], what: str, synonyms: dict[str, E] | None = None
) -> E:
    wanted = _key(text)
    for member in enum:
        if _key(member.value) == wanted:
            return member
    if synonyms and wanted in synonyms:
        return synonyms[wanted]
    allowed = ", ".join(m.value for m in enum)
    raise ValueError(f"{text!r} is not {what}; use one of: {allowed}")


def parse_kind(text: str) -> AssetKind:
    """:class:`AssetKind` from its value or a synonym in :data:`KIND_SYNONYMS`, any case."""
    return _enum_value(text, AssetKind, "an asset kind", KIND_SYNONYMS)


def parse_criticality(text: str) -> ClinicalCriticality:
    """:class:`ClinicalCriticality` from its value, any case, ``_``/``-``/space alike."""
    return _enum_value(text, ClinicalCriticality, "a clinical criticality")


def parse_zone(text: str) -> NetworkZone:
    """:class:`NetworkZone` from its value, any case, ``_``/``-``/space alike."""
    return _enum_value(text, NetworkZone, "a network zone")


def parse_bool(text: str) -> bool:
    """``yes/no/true/false/y/n/t/f/1/0`` in any case."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a yes/no value; use yes or no (or true/false, 1/0)")


def parse_count(text: str) -> int:
    """A whole number ≥ 0; thousands separators (``,`` ``_`` or spaces) allowed; ``12.0`` ok."""
    cleaned = re.sub(r"[,_\s]", "", text)
    try:
        number = float(cleaned) if "." in cleaned or "e" in cleaned.lower() else int(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if number != int(number) or number < 0:
        raise ValueError(f"{text!r} is not a whole number of 0 or more")
    return int(number)


def parse_date(text: str) -> date:
    """An ISO 8601 date (``2025-10-14``); a date-time with a time part keeps its date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(f"{text!r} is not a valid ISO date (YYYY-MM-DD)") from None


def parse_ip(text: str) -> str:
    """One or more IPv4/IPv6 addresses or networks separated by ``;``, normalized, ``; ``-joined."""
    items = [part.strip() for part in text.split(";") if part.strip()]
    normalized: list[str] = []
    for item in items:
        try:
            if "/" in item:
                normalized.append(str(ipaddress.ip_network(item, strict=False)))
            else:
                normalized.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise ValueError(
                f"{item!r} is not an IP address or network (CIDR); separate several with ';'"
            ) from None
    return "; ".join(normalized)


def parse_sbom_list(text: str) -> tuple[str, ...]:
    """SBOM paths separated by ``;``: stripped, ``\\`` → ``/``, a leading ``./`` removed."""
    paths: list[str] = []
    for part in text.split(";"):
        item = part.strip().replace("\\", "/")
        while item.startswith("./"):
            item = item[2:]
        if item and item not in paths:
            paths.append(item)
    return tuple(paths)
