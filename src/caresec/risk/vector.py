"""What the risk engine reads from a CVSS vector: attack vector and barriers to exploitation.

Vectors are parsed with the ``cvss`` library (FIRST CVSS v2, v3.0/v3.1 and v4.0 specifications);
an unparsable or empty vector yields ``None`` values and the caller says so in its rationale.
"""

from __future__ import annotations

from dataclasses import dataclass

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError


@dataclass(frozen=True, slots=True)
class VectorFacts:
    """Exploitability facts read from one CVSS vector.

    Attributes:
        version: ``2``, ``3.0``, ``3.1``, ``4.0`` or ``""`` when the vector could not be read.
        attack_vector: ``N``, ``A``, ``L`` or ``P`` (the ``AV`` metric), ``None`` when unknown.
        barrier_free: True when nothing but reachability stands in the way: attack complexity
            low, no privileges and no user interaction (v3: ``AC:L/PR:N/UI:N``; v4 also
            ``AT:N``; v2: ``AC:L/Au:N``); ``None`` when unknown.
        exploitability: the CVSS v3 exploitability sub-score (0–3.9), ``None`` for other versions.
    """

    version: str
    attack_vector: str | None
    barrier_free: bool | None
    exploitability: float | None


UNKNOWN = VectorFacts(version="", attack_vector=None, barrier_free=None, exploitability=None)


def read_vector(vector: str) -> VectorFacts:
    """Read exploitability facts from a CVSS v2, v3.x or v4.0 vector string.

    Args:
        vector: e.g. ``CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H``; may be empty.

    Returns:
        :class:`VectorFacts`; :data:`UNKNOWN` when the vector is empty or malformed.
    """
    text = vector.strip()
    if not text:
        return UNKNOWN
    try:
        if text.startswith("CVSS:4."):
            v4 = CVSS4(text)
            m4 = v4.metrics
            free = m4.get("AC") == "L" and m4.get("AT") == "N" and m4.get("PR") == "N"
            return VectorFacts("4.0", m4.get("AV"), free and m4.get("UI") == "N", None)
        if text.startswith("CVSS:3."):
            v3 = CVSS3(text)
            m3 = v3.metrics
            free = m3.get("AC") == "L" and m3.get("PR") == "N" and m3.get("UI") == "N"
            return VectorFacts(text[5:8], m3.get("AV"), free, round(float(v3.esc), 1))
        v2 = CVSS2(text)
        m2 = v2.metrics
        return VectorFacts("2", m2.get("AV"), m2.get("AC") == "L" and m2.get("Au") == "N", None)
    except CVSSError:
        return UNKNOWN
