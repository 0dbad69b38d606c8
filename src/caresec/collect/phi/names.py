"""Identifiers in location names: a file called ``summary-RCH0004712.txt`` names a patient.

Both ways into a PHI scan (``caresec phi scan`` and the ``phi`` capability of ``caresec audit``)
pass the scanned inventory through :func:`pseudonymize_locations` before it is saved or shown:
identifiers the detector finds in a location's name become ``[type:pseudonym]`` (keyed, so two
such files stay apart and scans still compare location by location), and
:func:`report_view` shows them as ``[type]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from caresec import privacy
from caresec.collect.phi.scan import changes_since
from caresec.model.phi import Change, PhiInventory, Span
from caresec.phi import DetectorConfig, PhiDetector

#: Characters read as word breaks in a name part (``discharge-summary_RCH1.txt``).
_NAME_SEPARATORS = re.compile(r"[^0-9A-Za-z@.+()]")
_NAME_SEPARATORS_BUT_HYPHEN = re.compile(r"[^0-9A-Za-z@.+()-]|(?<![0-9])-|-(?![0-9])")
_KEYED = re.compile(r"\[([a-z0-9 ]+):p:[0-9a-f]+\]")


def location_name(path: Path, root: Path | None) -> str:
    """How a scanned file or folder is named in the inventory: relative to ``root`` (POSIX
    separators) when inside it, else the path as given."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def name_redactor(detector: PhiDetector, key: bytes) -> Callable[[str], str]:
    """A function replacing the identifiers in a location's name.

    Each part of the name (between ``/``, ``!`` and ``#``) is given to the detector with
    separators read as spaces (``discharge-summary-RCH0004712.txt`` →
    ``discharge summary RCH0004712 txt``); when it holds an identifier of a person-keying type
    (:attr:`PhiType.keys_person`: name, SSN, MRN, member or account number, e-mail, phone),
    that identifier and any other identifier in the same part are replaced.

    Args:
        detector: the detector, with the organization's MRN formats.
        key: the pseudonym key: a replacement is ``[type:pseudonym]`` (``[mrn:p:…]``).

    Returns:
        ``redact(location) -> location``; names without such identifiers come back unchanged.
    """
    cache: dict[str, str] = {}

    def spans(text: str) -> list[Span]:
        # Read once with hyphens between digits kept (123-45-6789 is an SSN) and once as word breaks
        # (summary-RCH0004712); keep the longest of overlapping spans.
        found = [*detector.detect(_NAME_SEPARATORS.sub(" ", text)),
                 *detector.detect(_NAME_SEPARATORS_BUT_HYPHEN.sub(" ", text))]
        kept: list[Span] = []
        for span in sorted(found, key=lambda s: (s.start - s.end, s.start)):
            if all(span.end <= k.start or span.start >= k.end for k in kept):
                kept.append(span)
        return kept

    def part(text: str) -> str:
        if text not in cache:
            found = spans(text)
            if not any(s.type.keys_person for s in found):
                cache[text] = text
            else:
                out = text
                for span in sorted(found, key=lambda s: -s.start):
                    value = text[span.start:span.end]
                    tag = privacy.pseudonym(key, span.type.value, value)
                    out = f"{out[:span.start]}[{span.type.value}:{tag}]{out[span.end:]}"
                cache[text] = out
        return cache[text]

    def redact(location: str) -> str:
        return "".join(piece if piece in "/!#" else part(piece)
                       for piece in re.split(r"([/!#])", location))

    return redact


def pseudonymize_locations(
    scanned: PhiInventory,
    *,
    key: bytes,
    config: DetectorConfig | None = None,
    previous: PhiInventory | None = None,
    roots: Sequence[str] = (),
) -> PhiInventory:
    """The inventory as it may be saved: identifiers in location and problem file names
    replaced (:func:`name_redactor`), each location's change set against ``previous``.

    Args:
        scanned: :func:`~caresec.collect.phi.scan_sources` output, made without ``previous``.
        key: the pseudonym key the scan used.
        config: detector settings (the organization's MRN formats).
        previous: the saved inventory of the last scan with the same key, or None.
        roots: the scanned inputs as displayed in location names (before redaction): previous
            locations under one of them that hold no identifiers now are listed as removed.

    Returns:
        A new :class:`PhiInventory`, sorted by removed last, sensitivity, count and name.
    """
    redact = name_redactor(PhiDetector(config or DetectorConfig()), key)
    current = changes_since([replace(loc, location=redact(loc.location))
                             for loc in scanned.locations], previous,
                            [redact(r) for r in roots])
    current.sort(key=lambda loc: (loc.change is Change.REMOVED, loc.sensitivity.rank,
                                  -loc.total, loc.location))
    return replace(scanned, locations=tuple(current),
                   problems=tuple(replace(p, file=redact(p.file)) for p in scanned.problems))


def report_view(inventory: PhiInventory) -> PhiInventory:
    """The inventory as reports and the terminal may show it: pseudonyms in names replaced by
    the type (``[mrn:p:…]`` → ``[mrn]``), no examples, no digests."""

    def unkey(text: str) -> str:
        return _KEYED.sub(r"[\1]", text)

    return replace(
        inventory,
        locations=tuple(replace(loc, location=unkey(loc.location), examples=(), digest="")
                        for loc in inventory.locations),
        problems=tuple(replace(p, file=unkey(p.file)) for p in inventory.problems),
    )


__all__ = ["location_name", "name_redactor", "pseudonymize_locations", "report_view"]
