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
from caresec.model.phi import Change, PhiInventory, PhiLocation, PhiType, Span
from caresec.phi import DetectorConfig, PhiDetector

#: Characters read as word breaks in a name part (``discharge-summary_RCH1.txt``).
_NAME_SEPARATORS = re.compile(r"[^0-9A-Za-z@.+()]")
_NAME_SEPARATORS_BUT_HYPHEN = re.compile(r"[^0-9A-Za-z@.+()-]|(?<![0-9])-|-(?![0-9])")
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")
_CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]+\b|\b[A-Z]{4,}\b")
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{8,10}(?![0-9])")
_BIRTH = re.compile(r"(?i)(?<![a-z])(?:dob|birth|born|bday)(?![a-z])")
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


def _unknown_word_pairs(text: str) -> list[Span]:
    """Runs of two or more capitalised words, each a census name or no English word, clinical
    term or place, and one at least no English word (``Zebulon Quagmirewood``, ``SMITH
    Zebulon``, ``John Smith``, also inside ``Patient Zebulon Quagmirewood``; not ``New
    Sample``): in a file name that is most likely a person's name."""
    from caresec.phi.lexicon import lexicon

    lex = lexicon()
    out: list[Span] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        if len(run) >= 2:
            out.append(Span(run[0].start(), run[-1].end(), PhiType.NAME, 0.5, "name-file"))
        run.clear()

    def close_run() -> None:
        if any(not lex.is_common(w.group().lower()) for w in run):
            close()
        run.clear()

    previous_end = -1
    for word in _CAPITALISED_WORD.finditer(text):
        low = word.group().lower()
        place = low in lex.places or low in lex.place_heads
        namelike = lex.is_frequent_name(low) or not (lex.is_common(low) or place)
        if not namelike or (run and text[previous_end:word.start()].strip()):
            close_run()
        if namelike:
            run.append(word)
        previous_end = word.end()
    close_run()
    return out


def _file_name_numbers(text: str, birth: bool) -> list[Span]:
    """Digit runs a file name is keyed by: 9 digits that are a valid SSN, 10 that are a
    plausible phone number, and (after ``DOB``/``birth``) dates, ``19510203`` included."""
    from caresec.phi.checks import phone_plausible, ssn_valid

    out: list[Span] = []
    for match in _DIGIT_RUN.finditer(text):
        digits = match.group()
        if len(digits) == 9 and ssn_valid(digits):
            out.append(Span(match.start(), match.end(), PhiType.SSN, 0.5, "ssn-file"))
        elif len(digits) == 10 and phone_plausible(digits):
            out.append(Span(match.start(), match.end(), PhiType.PHONE, 0.5, "phone-file"))
        elif birth and len(digits) == 8 and digits[:2] in ("19", "20"):
            out.append(Span(match.start(), match.end(), PhiType.DATE, 0.5, "date-file"))
    return out


def _lone_lower_case_name(text: str, span: Span) -> bool:
    """A single lower-case word read as a name from a dictionary (``…-determine-startup``):
    file names are full of such words, so alone they do not count."""
    value = text[span.start:span.end]
    return span.detector == "name-dictionary" and value.islower() and " " not in value


def name_redactor(detector: PhiDetector, key: bytes) -> Callable[[str], str]:
    """A function replacing the identifiers in a location's name.

    Each part of the name (between ``/``, ``!`` and ``#``) is given to the detector with
    separators read as spaces (``discharge-summary-RCH0004712.txt`` →
    ``discharge summary RCH0004712 txt``), with and without its extension, and to file-name
    rules (:func:`_unknown_word_pairs`: ``Zebulon_Quagmirewood``; :func:`_file_name_numbers`:
    bare SSNs and phone numbers). When a part holds an identifier of a person-keying type
    (:attr:`PhiType.keys_person`: name, SSN, MRN, member or account number, e-mail, phone),
    that identifier and any other identifier in the same part are replaced, dates (also
    ``19510203``) included; a date beside ``DOB``/``birth`` is replaced on its own.

    Args:
        detector: the detector, with the organization's MRN formats.
        key: the pseudonym key: a replacement is ``[type:pseudonym]`` (``[mrn:p:…]``).

    Returns:
        ``redact(location) -> location``; names without such identifiers come back unchanged.
    """
    cache: dict[str, str] = {}

    def spans(text: str) -> list[Span]:
        # The name with and without its extension (an e-mail address before ".txt"), read
        # with hyphens between digits kept (123-45-6789 is an SSN) and once as word breaks
        # (summary-RCH0004712), plus capitalised word pairs no dictionary knows; the longest
        # of overlapping spans is kept.
        stem = _EXTENSION.sub("", text) or text
        found = [span for variant in {text, stem}
                 for span in (*detector.detect(_NAME_SEPARATORS.sub(" ", variant)),
                              *detector.detect(_NAME_SEPARATORS_BUT_HYPHEN.sub(" ", variant)),
                              *_unknown_word_pairs(_NAME_SEPARATORS.sub(" ", variant)),
                              *_file_name_numbers(variant, False))
                 if not _lone_lower_case_name(variant, span)]
        kept: list[Span] = []
        for span in sorted(found, key=lambda s: (s.start - s.end, s.start)):
            if all(span.end <= k.start or span.start >= k.end for k in kept):
                kept.append(span)
        return kept

    def part(text: str) -> str:
        if text not in cache:
            found = spans(text)
            birth = bool(_BIRTH.search(text)) or any(s.type.keys_person for s in found)
            if birth:  # a date beside "DOB" or a person's name is a birth date
                found = [s for s in found if s.type is not PhiType.DATE]
                dated = [*detector.detect(_NAME_SEPARATORS_BUT_HYPHEN.sub(" ", text)),
                         *_file_name_numbers(text, True)]
                found += [s for s in dated if s.type is PhiType.DATE and all(
                    s.end <= k.start or s.start >= k.end for k in found)]
            if not any(s.type.keys_person for s in found) and not (
                    birth and any(s.type is PhiType.DATE for s in found)):
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
    keep_unscanned: bool = False,
    redact: Callable[[str], str] | None = None,
) -> PhiInventory:
    """The inventory as it may be saved: identifiers in location names, example places
    (a JSON key that is an MRN: ``/RCH0004712/ssn``), problems (file and message) and the
    scanned sources replaced
    (:func:`name_redactor`), each location's change set against ``previous``.

    Args:
        scanned: :func:`~caresec.collect.phi.scan_sources` output, made without ``previous``.
        key: the pseudonym key the scan used.
        config: detector settings (the organization's MRN formats).
        previous: the saved inventory of the last scan with the same key, or None.
        roots: the scanned inputs as displayed in location names (before redaction): previous
            locations under one of them that hold no identifiers now are listed as removed.
        keep_unscanned: also keep the previous locations outside ``roots`` as they were (a
            scan of one folder does not make the saved inventory forget the others).
        redact: a :func:`name_redactor` to use (default: one made from ``config`` and ``key``).

    Returns:
        A new :class:`PhiInventory`, sorted by removed last, sensitivity, count and name.
    """
    redact = redact or name_redactor(PhiDetector(config or DetectorConfig()), key)
    shown_roots = [redact(r) for r in roots]
    current = changes_since([replace(loc, location=redact(loc.location),
                                     examples=tuple(replace(e, place=redact(e.place))
                                                    for e in loc.examples))
                             for loc in scanned.locations], previous, shown_roots)
    if keep_unscanned and previous is not None:
        current += [loc for loc in previous.locations
                    if loc.change is not Change.REMOVED and not _under(loc.location, shown_roots)]
    current.sort(key=lambda loc: (loc.change is Change.REMOVED, loc.sensitivity.rank,
                                  -loc.total, loc.location))
    return replace(scanned, locations=tuple(current),
                   problems=tuple(replace(p, file=redact(p.file), message=redact(p.message))
                                  for p in scanned.problems),
                   sources=tuple(replace(s, location=redact(s.location))
                                 for s in scanned.sources))


def _under(name: str, roots: Sequence[str]) -> bool:
    return any(name == r or name.startswith((r.rstrip("/") + "/", r + "!", r + "#"))
               for r in roots)


def unkeyed(text: str) -> str:
    """``text`` with keyed pseudonyms replaced by their type (``[mrn:p:…]`` → ``[mrn]``)."""
    return _KEYED.sub(r"[\1]", text)


def report_view(inventory: PhiInventory) -> PhiInventory:
    """The inventory as reports and the terminal may show it: pseudonyms in names replaced by
    the type (``[mrn:p:…]`` → ``[mrn]``), no examples, no digests."""
    unkey = unkeyed

    return replace(
        inventory,
        locations=tuple(replace(loc, location=unkey(loc.location), examples=(), digest="")
                        for loc in inventory.locations),
        problems=tuple(replace(p, file=unkey(p.file), message=unkey(p.message))
                       for p in inventory.problems),
        sources=tuple(replace(s, location=unkey(s.location)) for s in inventory.sources),
    )


def changes_since(current: list[PhiLocation], previous: PhiInventory | None,
                  roots: Sequence[str]) -> list[PhiLocation]:
    """Set each location's change against ``previous`` (matched by ``location``; equal
    digests are ``unchanged``); add ``removed`` entries for previous locations under one of
    ``roots`` (the scanned inputs, as displayed) that no longer hold identifiers. With no
    ``previous``, ``current`` is returned as it is (change ``first scan``)."""
    if previous is None:
        return current
    before = {loc.location: loc for loc in previous.locations if loc.change is not Change.REMOVED}
    out: list[PhiLocation] = []
    seen: set[str] = set()
    for loc in current:
        old = before.get(loc.location)
        seen.add(loc.location)
        if old is None:
            out.append(replace(loc, change=Change.NEW))
        elif old.digest == loc.digest:
            out.append(replace(loc, change=Change.UNCHANGED))
        else:
            out.append(replace(loc, change=Change.CHANGED, change_detail=_delta(old, loc)))
    for name, old in before.items():
        under = any(name == r or name.startswith((r.rstrip("/") + "/", r + "!", r + "#"))
                    for r in roots)
        if name not in seen and under:
            out.append(replace(old, change=Change.REMOVED, change_detail="no identifiers now"))
    return out


def _delta(old: PhiLocation, new: PhiLocation) -> str:
    a, b = dict(old.counts), dict(new.counts)
    parts = []
    for kind in sorted(set(a) | set(b), key=lambda k: k.value):
        diff = b.get(kind, 0) - a.get(kind, 0)
        if diff:
            parts.append(f"{kind.value} {diff:+d}")
    if new.individuals != old.individuals:
        parts.append(f"individuals {new.individuals - old.individuals:+d}")
    return ", ".join(parts) or "same counts, different values"


__all__ = ["changes_since", "location_name", "name_redactor", "pseudonymize_locations",
           "report_view", "unkeyed"]
