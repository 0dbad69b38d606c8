"""PHI detection: find the HIPAA identifiers in text, without keeping them.

Public API::

    from caresec.phi import detect
    spans = detect("Pt seen by Dr. Rakusin on 7/22; daughter Helen at 410-555-9876.")
    # [Span(start=14, end=21, type=PhiType.NAME, score=0.85, detector='name-title'), ...]

:func:`detect` returns character offsets, the identifier type (a
:class:`~caresec.model.phi.PhiType`, one of the Safe Harbor identifiers of
45 CFR 164.514(b)(2)(i)), a score and the detector; it never returns or logs the text it found.
Scanning files, folders and databases into an ePHI inventory is
:func:`caresec.collect.phi.scan_sources`.
"""

from __future__ import annotations

from functools import cache

from caresec.model.phi import PhiType, Span
from caresec.phi.engine import DetectorConfig, PhiDetector

__all__ = ["DetectorConfig", "PhiDetector", "PhiType", "Span", "default_detector", "detect"]


@cache
def default_detector() -> PhiDetector:
    """The process-wide detector with default settings (built on first use)."""
    return PhiDetector()


def detect(text: str) -> list[Span]:
    """Detect identifiers in one text.

    Pattern recognizers (SSN, MRN, NPI, DEA, MBI, phone, fax, e-mail, URL, IP, dates, ages over
    89, addresses, ZIP codes, account, member, device, vehicle and licence numbers) run on all
    of it; name, place and short-date rules run on its narrative lines only.

    Args:
        text: the text (any length; a file's whole content is fine).

    Returns:
        Non-overlapping :class:`Span` records sorted by ``start``: ``text[span.start:span.end]``
        is the identifier.
    """
    return default_detector().detect(text)
