"""The detector: Presidio pattern recognizers, context enhancement, narrative rules, overlaps.

:class:`PhiDetector` runs every recognizer of :mod:`caresec.phi.recognizers` over a text with
Presidio's :meth:`PatternRecognizer.analyze` (regexes and checks), then raises the score of a
match by 0.35 (at least to 0.4) when one of the recognizer's context words is among the words
just before it or in the field's label — the rule of Presidio's ``LemmaContextAwareEnhancer``
(context similarity factor 0.35, minimum score with context 0.4), applied to plain lower-case
words so that no spaCy pipeline has to tokenize the text. Matches scoring under
:attr:`DetectorConfig.min_score` are dropped. Narrative stretches (:mod:`caresec.phi.routing`)
then go through the name, place and date rules of :mod:`caresec.phi.narrative`. Where spans
overlap the higher score wins (then the longer span); adjacent parts of one name or place are
joined.

When a spaCy model with a named-entity recognizer is installed and named in
:attr:`DetectorConfig.spacy_model`, its PERSON/GPE/LOC/FAC entities are added on narrative text
(optional: nothing needs a model, and no model is ever downloaded).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from presidio_analyzer import PatternRecognizer

from caresec.model.phi import PhiType, Span
from caresec.phi.lexicon import lexicon
from caresec.phi.narrative import NarrativeDetector
from caresec.phi.recognizers import build_recognizers
from caresec.phi.routing import is_log_line, narrative_segments

logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # its warnings may quote text

CONTEXT_BOOST = 0.35
MIN_SCORE_WITH_CONTEXT = 0.4
_CONTEXT_WINDOW = 40
_JOINABLE = frozenset({PhiType.NAME, PhiType.LOCATION})
_JOIN_GAPS = frozenset({" ", ". ", "-", "  ", "."})
_FAX = re.compile(r"\bfax\b[^\n]{0,12}$", re.IGNORECASE)
_NER_TYPES = {"PERSON": PhiType.NAME, "GPE": PhiType.LOCATION, "LOC": PhiType.LOCATION,
              "FAC": PhiType.LOCATION}


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Detector settings.

    Attributes:
        mrn_patterns: the organization's medical-record-number formats (regular expressions),
            configured or learned (:func:`caresec.phi.mrn.learn_mrn_pattern`).
        min_score: spans scoring below this are dropped (0–1).
        spacy_model: name of an installed spaCy model to add NER on narrative text (``""`` =
            none; a missing model is an error, never a download).
    """

    mrn_patterns: tuple[str, ...] = ()
    min_score: float = 0.4
    spacy_model: str = ""
    extra_context: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())


#: Cheap tests that must pass before Presidio's own (slower) recognizers run on a text.
_PREFILTERS = {
    "email": re.compile(r"@"),
    "ip": re.compile(r"\d\.\d{1,3}\.\d|::|[0-9a-f]{1,4}:[0-9a-f]{1,4}:", re.IGNORECASE),
    "mac": re.compile(r"[0-9a-f]{2}([:-])[0-9a-f]{2}\1[0-9a-f]{2}", re.IGNORECASE),
    "npi": re.compile(r"[12]\d{9}|[12]\d{3}[ -]\d{3}[ -]\d{3}"),
    "mbi": re.compile(r"[1-9][a-z][a-z0-9]\d", re.IGNORECASE),
}


@dataclass(slots=True)
class _Rec:
    recognizer: PatternRecognizer
    entity: str
    phi_type: PhiType
    context: re.Pattern[str] | None
    needs_context: bool
    prefilter: re.Pattern[str] | None


class PhiDetector:
    """Finds identifiers in text; one instance per process (building it loads the word lists).

    Args:
        config: :class:`DetectorConfig`.
    """

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self._recs: list[_Rec] = []
        for rec in build_recognizers(self.config.mrn_patterns):
            words = [w.lower() for w in rec.context or []]
            alternatives = "|".join(map(re.escape, words))
            pattern = re.compile(rf"(?<![a-z])(?:{alternatives})(?![a-z])") if words else None
            entity = rec.supported_entities[0]
            patterns: list[Any] = list(getattr(rec, "patterns", []))
            best = max((float(p.score) for p in patterns), default=1.0)
            self._recs.append(_Rec(rec, entity, PhiType(entity), pattern,
                                   best < self.config.min_score and pattern is not None,
                                   _PREFILTERS.get(str(getattr(rec, "name", "")))))
        self._ner: Any = None
        if self.config.spacy_model:
            import spacy

            self._ner = spacy.load(self.config.spacy_model)

    @cached_property
    def narrative(self) -> NarrativeDetector:
        """The narrative rules (the word lists are loaded on first use)."""
        return NarrativeDetector(lexicon())

    def detect(
        self,
        text: str,
        *,
        context: str = "",
        seeds: Iterable[str] = (),
        narrative: bool | None = None,
    ) -> list[Span]:
        """Detect identifiers in ``text``.

        Args:
            text: any text.
            context: the label of the field the text came from (a column header, an HL7 field
                name): its words count as context words.
            seeds: names read from structured fields of the same file, searched in the text.
            narrative: True to apply the narrative rules to all of ``text``, False for none,
                None to apply them to the narrative lines only.

        Returns:
            Non-overlapping spans sorted by start.
        """
        spans = self.patterns(text, context=context)
        if narrative is None and spans:
            spans = [s for s in spans if s.type is not PhiType.DATE or not _in_log_line(text, s)]
        if narrative is not False:
            segments = [(0, len(text))] if narrative else narrative_segments(text)
            seeds = tuple(seeds)
            for start, end in segments:
                piece = text[start:end]
                for span in self.narrative.detect(piece, seeds):
                    spans.append(Span(span.start + start, span.end + start, span.type,
                                      span.score, span.detector))
                if self._ner is not None:
                    spans.extend(self._ner_spans(piece, start))
        return resolve(spans, text)

    def patterns(self, text: str, *, context: str = "") -> list[Span]:
        """Pattern recognizers only (no narrative rules), scored with context; may overlap."""
        label = context.lower()
        spans: list[Span] = []
        floor = self.config.min_score
        lowered = text.lower()
        for rec in self._recs:
            if rec.prefilter is not None and not rec.prefilter.search(text):
                continue
            if rec.needs_context and rec.context is not None and not (
                    rec.context.search(lowered) or (label and rec.context.search(label))):
                continue  # cannot reach the threshold without a context word
            for result in rec.recognizer.analyze(text, [rec.entity], None):
                score = float(result.score)
                kind = rec.phi_type
                if score < 1.0 and rec.context is not None:
                    window = lowered[max(0, result.start - _CONTEXT_WINDOW):result.start]
                    if rec.context.search(window) or (label and rec.context.search(label)):
                        score = max(min(1.0, score + CONTEXT_BOOST), MIN_SCORE_WITH_CONTEXT)
                if kind is PhiType.PHONE and (
                        _FAX.search(text[max(0, result.start - 24):result.start])
                        or "fax" in label):
                    kind = PhiType.FAX
                if kind is PhiType.IP_ADDRESS and _dotted_number(text, result.start, result.end):
                    continue  # part of an OID or version (urn:oid:1.2.36.146.595)
                if score >= floor:
                    spans.append(Span(result.start, result.end, kind, round(score, 2),
                                      str(getattr(rec.recognizer, "name", ""))))
        return spans

    def _ner_spans(self, piece: str, offset: int) -> list[Span]:
        doc = self._ner(piece)
        return [Span(ent.start_char + offset, ent.end_char + offset, _NER_TYPES[ent.label_], 0.6,
                     "ner") for ent in doc.ents if ent.label_ in _NER_TYPES]


def _in_log_line(text: str, span: Span) -> bool:
    """True when the span sits in a log line (its timestamp is not a date about a person)."""
    start = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.end)
    return is_log_line(text[start:end if end >= 0 else len(text)])


def _dotted_number(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` continues a longer dotted number on either side."""
    before = text[max(0, start - 2):start]
    after = text[end:end + 2]
    return ((before.endswith(".") or before.endswith(":")) and before[:1].isalnum()) or (
        len(after) == 2 and after[0] == "." and after[1].isdigit())


def resolve(spans: Sequence[Span], text: str) -> list[Span]:
    """Remove overlaps (higher score, then longer span, wins) and join adjacent name or place
    parts separated only by a space, period or hyphen. Returns spans sorted by start."""
    ranked = sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start))
    taken: list[Span] = []
    occupied = bytearray(len(text) + 1)
    for span in ranked:
        if span.end <= span.start or any(occupied[span.start:span.end]):
            continue
        taken.append(span)
        occupied[span.start:span.end] = b"\x01" * (span.end - span.start)
    taken.sort()
    joined: list[Span] = []
    for span in taken:
        if joined:
            last = joined[-1]
            if (last.type is span.type and span.type in _JOINABLE
                    and text[last.end:span.start] in _JOIN_GAPS):
                joined[-1] = Span(last.start, span.end, span.type, max(last.score, span.score),
                                  last.detector)
                continue
        joined.append(span)
    return joined
