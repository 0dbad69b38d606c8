"""Lenient accessors for parsed JSON documents (CSAF, CVE/NVD, VEX): a value of the wrong
JSON type reads as empty, so one odd field never aborts a document; the collectors report
what they need and did not find."""

from __future__ import annotations

from typing import Any


def as_dict(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ``{}``."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else ``[]``."""
    return value if isinstance(value, list) else []


def as_text(value: object) -> str:
    """A JSON string (stripped) or number as text; anything else (booleans, null, objects)
    is ``""``."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
