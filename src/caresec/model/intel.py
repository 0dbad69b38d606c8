"""Threat intelligence records: indicators, warninglist suppressions, log hits and sightings.

Vocabulary follows STIX 2.1 (OASIS CS02, §4.7 Indicator, §5.6 Sighting, §9 Patterning) and the
Traffic Light Protocol 2.0 (FIRST, 2022) as carried by the OASIS TLP 2.0 marking extension
(``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from caresec.model.problems import InputProblem


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 labels, least to most restricted (FIRST TLP 2.0 §"TLP
    definitions"): ``clear`` < ``green`` < ``amber`` < ``amber+strict`` < ``red``."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        """0 for clear … 4 for red: a higher rank restricts sharing more."""
        return list(Tlp).index(self)

    @property
    def label(self) -> str:
        """``TLP:CLEAR`` … ``TLP:RED`` (the marking's ``name``)."""
        return f"TLP:{self.value.upper()}"

    @staticmethod
    def strictest(labels: tuple[Tlp, ...] | list[Tlp]) -> Tlp:
        """The most restrictive label of ``labels`` (``clear`` when empty)."""
        return max(labels, key=lambda t: t.rank, default=Tlp.CLEAR)


class IndicatorKind(StrEnum):
    """What a normalized indicator value is; the values are STIX 2.1 cyber-observable type
    names, and the hash algorithm names of the STIX hash-algorithm-ov vocabulary (lower-cased,
    without hyphen) for file hashes."""

    IPV4 = "ipv4-addr"
    IPV6 = "ipv6-addr"
    DOMAIN = "domain-name"
    URL = "url"
    EMAIL = "email-addr"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"

    @property
    def is_hash(self) -> bool:
        """True for the file-hash kinds."""
        return self in (IndicatorKind.MD5, IndicatorKind.SHA1, IndicatorKind.SHA256)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One normalized, directly matchable indicator value.

    A STIX indicator whose pattern is an OR of equalities yields one record per value, all with
    the same :attr:`indicator_id`.

    Attributes:
        indicator_id: the STIX indicator id (``indicator--<uuid>``); for a MISP attribute,
            ``indicator--<attribute uuid>`` (as MISP's own STIX export names it).
        kind: :class:`IndicatorKind`.
        value: normalized value: IPv4/IPv6 in canonical text, a network as ``addr/prefix``
            (host bits cleared, ``/32`` and ``/128`` written as a plain address); domain
            lower-case without trailing dot (IDNA A-label); URL with lower-case scheme and host
            and no default port or fragment; hashes lower-case hex; e-mail lower-case.
        source: the feed it came from (a source name of ``[intel]``, or ``own``).
        tlp: :class:`Tlp` of the object (its marking, else the source's default).
        confidence: STIX ``confidence`` 0–100, or None when not given.
        valid_from: STIX ``valid_from`` (UTC), or None.
        valid_until: STIX ``valid_until`` (UTC), or None (open-ended).
        name: indicator name or MISP event ``info`` ("" when absent).
        pattern: the STIX pattern, or ``<misp type>: <value>`` for a MISP attribute.
        origin: ``file (place)`` the record was read from.
        indicator_types: STIX ``indicator_types`` (indicator-type-ov: ``malicious-activity``,
            ``benign``, ``compromised`` …), lower case, as given.
        labels: STIX ``labels`` (free tags such as ``ransomware``), as given.
    """

    indicator_id: str
    kind: IndicatorKind
    value: str
    source: str
    tlp: Tlp
    confidence: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    name: str = ""
    pattern: str = ""
    origin: str = ""
    indicator_types: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def is_network(self) -> bool:
        """True when :attr:`value` is an address range (CIDR)."""
        return "/" in self.value and self.kind in (IndicatorKind.IPV4, IndicatorKind.IPV6)


class PatternSupport(StrEnum):
    """How caresec handles a pattern that is not a plain OR of equalities.

    ``evaluated``: each candidate log line is turned into STIX observed data and the pattern is
    evaluated with stix2-matcher. ``not-supported``: it cannot be judged from single log lines
    (another pattern language, several observations, qualifiers): listed, never dropped.
    """

    EVALUATED = "evaluated"
    NOT_SUPPORTED = "not-supported"


@dataclass(frozen=True, slots=True)
class PatternIndicator:
    """A STIX indicator whose pattern needs a full pattern evaluator.

    Attributes:
        indicator_id, source, tlp, confidence, valid_from, valid_until, name, origin,
            indicator_types, labels: as for :class:`Indicator`.
        pattern: the pattern text.
        pattern_type: STIX ``pattern_type`` (``stix``, ``snort``, ``yara`` …).
        support: :class:`PatternSupport`.
        reason: why it is not a plain equality (or why it is not supported), in a sentence.
        object_types: the cyber-observable types the pattern names, sorted.
        candidates: indicator values one of which must occur in a line for the pattern to
            match (used to select the lines handed to stix2-matcher); empty when the pattern
            has no such value (then every line with one of :attr:`object_types` is evaluated).
    """

    indicator_id: str
    pattern: str
    pattern_type: str
    source: str
    tlp: Tlp
    support: PatternSupport
    reason: str
    object_types: tuple[str, ...] = ()
    candidates: tuple[tuple[IndicatorKind, str], ...] = ()
    confidence: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    name: str = ""
    origin: str = ""
    indicator_types: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    """Indicators ready for matching.

    Attributes:
        indicators: directly matchable values.
        patterns: indicators needing stix2-matcher, or not supported (with the reason).
        problems: objects that could not be read (file, JSON pointer, message).
    """

    indicators: tuple[Indicator, ...] = ()
    patterns: tuple[PatternIndicator, ...] = ()
    problems: tuple[InputProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class Suppression:
    """An indicator found on a MISP warninglist (a known false positive).

    Attributes:
        indicator_id: the indicator.
        kind, value: the indicator value that is listed.
        warninglist: the warninglist's ``name``.
        entry: the list entry that matched (``8.8.8.8``, ``10.0.0.0/8``, ``.dyndns.org``).
    """

    indicator_id: str
    kind: IndicatorKind
    value: str
    warninglist: str
    entry: str


@dataclass(frozen=True, slots=True)
class IntelHit:
    """One log line that matched one indicator.

    Attributes:
        file: the log file as given.
        place: ``row N`` (CSV, header is row 1) or ``line N`` (JSON lines).
        log_source: the mapping section that read it (``firewall``, ``dns``, ``proxy`` …).
        column: the column (or JSON path) whose value matched.
        observed: the value compared, normalized as indicators are (for a URL column matched
            by its host, the host only: query strings are never copied).
        indicator: the indicator that matched.
        why: one sentence: value, rule (exact, domain suffix, CIDR, pattern) and indicator.
        seen_at: the line's timestamp (UTC) when the mapping names one and it parses.
        context: other mapped columns of the line that identify it to the organization
            (timestamp, host, user, addresses), as ``(column, value)`` pairs; internal only,
            never exported.
        validity: ``valid``, ``outside validity window`` or ``no timestamp``.
        suppressed_by: the warninglist name when the indicator is a known false positive.
    """

    file: str
    place: str
    log_source: str
    column: str
    observed: str
    indicator: Indicator | PatternIndicator
    why: str
    seen_at: datetime | None = None
    context: tuple[tuple[str, str], ...] = ()
    validity: str = "valid"
    suppressed_by: str = ""


@dataclass(frozen=True, slots=True)
class Sighting:
    """Aggregated sightings of one indicator (STIX 2.1 §5.6 Sighting: ``count``, ``first_seen``,
    ``last_seen``), with no host, user or line.

    Attributes:
        indicator_id: the indicator sighted.
        source: the feed of the indicator.
        tlp: the indicator's :class:`Tlp` (a sighting is never shared more widely).
        count: log lines that matched.
        first_seen, last_seen: earliest and latest timestamps among them (None when no line
            had a usable timestamp).
    """

    indicator_id: str
    source: str
    tlp: Tlp
    count: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class SuppressedHits:
    """Hits on an indicator that a warninglist lists: counted and shown, never a finding.

    Attributes:
        indicator_id, kind, value: the indicator value.
        source: its feed.
        warninglist: the warninglist name.
        count: log lines that matched it.
        first_file, first_place: the first such line.
    """

    indicator_id: str
    kind: IndicatorKind
    value: str
    source: str
    warninglist: str
    count: int
    first_file: str
    first_place: str


@dataclass(frozen=True, slots=True)
class IntelMatchResult:
    """The outcome of matching logs against an indicator set.

    Attributes:
        hits: matching lines (at most ``detail_limit`` per indicator, see :attr:`sightings`
            for complete counts); warninglisted indicators' lines are in :attr:`suppressed`.
        sightings: complete counts and time windows per indicator (unsuppressed hits whose
            line is not outside the indicator's validity window).
        suppressed: hits on warninglisted indicators, per indicator.
        suppressions: every indicator found on a warninglist (whether or not it hit).
        not_evaluated: pattern indicators that could not be judged against these logs, each
            with the reason (not supported, or no log column carries its object types).
        files: log files read.
        lines: log lines (records) read.
        indicators: indicator values indexed.
        patterns_evaluated: stix2-matcher evaluations performed.
        problems: lines or files that could not be read.
        seconds: wall time of the match.
    """

    hits: tuple[IntelHit, ...] = ()
    sightings: tuple[Sighting, ...] = ()
    suppressed: tuple[SuppressedHits, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    not_evaluated: tuple[PatternIndicator, ...] = ()
    files: tuple[str, ...] = ()
    lines: int = 0
    indicators: int = 0
    patterns_evaluated: int = 0
    problems: tuple[InputProblem, ...] = ()
    seconds: float = 0.0
