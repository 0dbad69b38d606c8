"""Match log records against indicators with set, suffix and interval lookups.

No pairwise loop: each distinct log value is looked up once (per run) in

* hash tables of exact values (addresses, URLs, hashes, e-mail addresses);
* a hash table of domains, probed with the value and each of its parent domains (domain
  indicators match themselves and their subdomains, RFC 1034 §3.1 tree);
* sorted elementary intervals built from every CIDR indicator (RFC 4632), probed by binary
  search, so overlapping networks all answer.

Per chunk of records, each column's distinct values are intersected with the set of known
positive values at C speed; only chunks holding a hit are scanned record by record.

Files are read by :mod:`caresec.intel.fastmatch` where it applies (vectorized parsing and
selection of the records that can match, which are then read and matched here, record by
record, exactly as the reference reader :func:`~caresec.intel.logs.read_chunks` would); the
others, and every file while a pattern is evaluated on all records, by the reference reader.

Patterns that need a full evaluator (:class:`~caresec.model.intel.PatternIndicator` with
support ``evaluated``) are checked with stix2-matcher on the record turned into STIX observed
data: on the records holding one of their candidate values, or, without candidates, on every
record of a log source that can carry their object types, up to an evaluation budget.
"""

from __future__ import annotations

import gc
import ipaddress
import socket
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from stix2matcher.matcher import Pattern as StixMatcherPattern

from caresec.intel.fastmatch import Prefilter, lookup_key, read_selected
from caresec.intel.logs import (
    HASH_ROLES,
    INTERNAL_ROLES,
    IP_ROLES,
    LIST_SEPARATOR,
    Chunk,
    LogSource,
    assign_files,
    parse_timestamp,
    read_chunks,
)
from caresec.intel.normalize import HASH_BY_LENGTH, normalize_url
from caresec.intel.warninglists import Warninglists
from caresec.model.intel import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    IntelHit,
    IntelMatchResult,
    PatternIndicator,
    PatternSupport,
    Sighting,
    SuppressedHits,
    Suppression,
)

DETAIL_LIMIT = 20
PATTERN_BUDGET = 100_000
FAST_PATH = True
"""Read log files with :mod:`caresec.intel.fastmatch` where it applies (same results)."""
_CACHE_LIMIT = 2_000_000

Entry = Indicator | PatternIndicator
# One way a value matched: (entry index, the value compared, the rule in words).
Match = tuple[int, str, str]

_ROLE_TYPES = {
    "src_ip": ("ipv4-addr", "ipv6-addr", "network-traffic"),
    "dst_ip": ("ipv4-addr", "ipv6-addr", "network-traffic"),
    "ip": ("ipv4-addr", "ipv6-addr"),
    "domain": ("domain-name",), "url": ("url",), "email": ("email-addr",),
    "md5": ("file",), "sha1": ("file",), "sha256": ("file",), "hash": ("file",),
    "file_name": ("file",),
}


@dataclass(slots=True)
class _Intervals:
    """Elementary intervals of a set of CIDR networks: starts, ends and owners."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    owners: list[tuple[int, ...]] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, networks: Sequence[tuple[int, int, int, str]]) -> _Intervals:
        """From ``(first, last, entry, label)`` ranges, the disjoint pieces and who owns each."""
        bounds = sorted({b for first, last, _, _ in networks for b in (first, last + 1)})
        result = cls(labels={entry: label for _, _, entry, label in networks})
        if not bounds:
            return result
        starting: dict[int, list[int]] = {}
        ending: dict[int, list[int]] = {}
        for first, last, entry, _ in networks:
            starting.setdefault(first, []).append(entry)
            ending.setdefault(last + 1, []).append(entry)
        active: dict[int, int] = {}
        for left, right in pairwise(bounds):
            for entry in ending.get(left, ()):
                active[entry] -= 1
                if not active[entry]:
                    del active[entry]
            for entry in starting.get(left, ()):
                active[entry] = active.get(entry, 0) + 1
            if active:
                result.starts.append(left)
                result.ends.append(right - 1)
                result.owners.append(tuple(sorted(active)))
        return result

    def find(self, number: int) -> tuple[int, ...]:
        """Owners of the interval holding ``number`` (empty when none)."""
        at = bisect_right(self.starts, number) - 1
        if at >= 0 and number <= self.ends[at]:
            return self.owners[at]
        return ()


class IndicatorIndex:
    """Lookup structures over an indicator set (built once, then read only).

    Args:
        indicators: the indicator set.
        warninglists: lists whose entries mark indicators as known false positives.
    """

    def __init__(self, indicators: IndicatorSet, warninglists: Warninglists | None = None,
                 ) -> None:
        self.entries: list[Entry] = [*indicators.indicators]
        self.suppressed: dict[int, str] = {}
        self.suppressions: list[Suppression] = []
        self.exact: dict[IndicatorKind, dict[str, list[int]]] = {
            k: {} for k in (IndicatorKind.IPV4, IndicatorKind.URL, IndicatorKind.EMAIL,
                            IndicatorKind.MD5)}
        self.domains: dict[str, list[int]] = {}
        self.entry_values: dict[int, str] = {}
        self.verifiers: dict[int, Any] = {}
        self.scan_patterns: list[int] = []
        self.unsupported: list[PatternIndicator] = []
        v4: list[tuple[int, int, int, str]] = []
        v6: list[tuple[int, int, int, str]] = []
        lists = warninglists or Warninglists()
        for number, indicator in enumerate(indicators.indicators):
            self._add(number, indicator.kind, indicator.value, v4, v6)
            listed = lists.check(indicator.kind, indicator.value)
            if listed is not None:
                self.suppressed[number] = listed[0]
                self.suppressions.append(Suppression(indicator.indicator_id, indicator.kind,
                                                     indicator.value, *listed))
        for pattern in indicators.patterns:
            if pattern.support is not PatternSupport.EVALUATED:
                self.unsupported.append(pattern)
                continue
            number = len(self.entries)
            self.entries.append(pattern)
            self.verifiers[number] = StixMatcherPattern(pattern.pattern, stix_version="2.1")
            if pattern.candidates:
                for kind, value in pattern.candidates:
                    self._add(number, kind, value, v4, v6)
            else:
                self.scan_patterns.append(number)
        self.v4 = _Intervals.build(v4)
        self.v6 = _Intervals.build(v6)
        self.prefilter = Prefilter(
            self.exact[IndicatorKind.IPV4], self.v4.starts, self.v4.ends, self.domains,
            self.exact[IndicatorKind.URL], self.exact[IndicatorKind.EMAIL],
            self.exact[IndicatorKind.MD5])

    def __len__(self) -> int:
        return len(self.entries)

    def _add(self, number: int, kind: IndicatorKind, value: str,
             v4: list[tuple[int, int, int, str]], v6: list[tuple[int, int, int, str]]) -> None:
        self.entry_values.setdefault(number, value)
        if kind in (IndicatorKind.IPV4, IndicatorKind.IPV6):
            if "/" in value:
                network = ipaddress.ip_network(value)
                target = v4 if network.version == 4 else v6
                target.append((int(network.network_address), int(network.broadcast_address),
                               number, value))
            else:
                self.exact[IndicatorKind.IPV4].setdefault(value, []).append(number)
        elif kind is IndicatorKind.DOMAIN:
            self.domains.setdefault(value, []).append(number)
        elif kind.is_hash:
            self.exact[IndicatorKind.MD5].setdefault(value, []).append(number)
        else:
            self.exact[kind].setdefault(value, []).append(number)

    # -- lookups of one distinct log value -------------------------------------------------

    def match_ip(self, value: str) -> list[Match]:
        """Entries an address matches: exactly, or by CIDR."""
        if LIST_SEPARATOR in value:
            return [m for part in value.split(LIST_SEPARATOR) for m in self.match_ip(part)]
        text = value.strip()
        if not text:
            return []
        found = [(e, text, "the same address") for e in
                 self.exact[IndicatorKind.IPV4].get(text, ())]
        try:
            number = int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
            intervals = self.v4
        except OSError:
            try:
                address = ipaddress.IPv6Address(text.strip("[]"))
            except ValueError:
                return found
            canonical = str(address)
            if canonical != text:
                found += [(e, canonical, "the same address") for e in
                          self.exact[IndicatorKind.IPV4].get(canonical, ())]
            number, intervals, text = int(address), self.v6, canonical
        found += [(e, text, f"inside network {intervals.labels[e]}")
                  for e in intervals.find(number)]
        return found

    def match_domain(self, value: str, via: str = "") -> list[Match]:
        """Entries a domain matches: itself or a parent domain; an IP literal as an address."""
        if LIST_SEPARATOR in value:
            return [m for part in value.split(LIST_SEPARATOR) for m in self.match_domain(part)]
        name = value.strip().rstrip(".").lower()
        if not name:
            return []
        if not name.isascii():
            try:
                name = name.encode("idna").decode("ascii")
            except UnicodeError:
                return []
        if name[-1].isdigit() or ":" in name:
            hits = self.match_ip(name)
            if hits:
                return hits
        found: list[Match] = []
        start = 0
        while True:
            suffix = name[start:]
            for entry in self.domains.get(suffix, ()):
                rule = "the same domain" if start == 0 else f"a subdomain of {suffix}"
                found.append((entry, name, via + rule))
            dot = name.find(".", start)
            if dot < 0:
                return found
            start = dot + 1

    def match_url(self, value: str) -> list[Match]:
        """Entries a URL matches: the URL exactly, or its host as a domain or address."""
        if LIST_SEPARATOR in value:
            return [m for part in value.split(LIST_SEPARATOR) for m in self.match_url(part)]
        try:
            url = normalize_url(value)
        except ValueError:
            return []
        found = [(e, url, "the same URL") for e in self.exact[IndicatorKind.URL].get(url, ())]
        host = url.split("//", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        host = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
        return found + self.match_domain(host, via="URL host is ")

    def match_hash(self, value: str) -> list[Match]:
        """Entries a file hash matches (algorithm from the length)."""
        if LIST_SEPARATOR in value:
            return [m for part in value.split(LIST_SEPARATOR) for m in self.match_hash(part)]
        text = value.strip().lower()
        kind = HASH_BY_LENGTH.get(len(text))
        if kind is None:
            return []
        return [(e, text, f"the same {kind.value.upper()}")
                for e in self.exact[IndicatorKind.MD5].get(text, ())]

    def match_email(self, value: str) -> list[Match]:
        """Entries an e-mail address matches: the address, or its domain."""
        if LIST_SEPARATOR in value:
            return [m for part in value.split(LIST_SEPARATOR) for m in self.match_email(part)]
        text = value.strip().lower()
        if "@" not in text:
            return []
        found = [(e, text, "the same e-mail address")
                 for e in self.exact[IndicatorKind.EMAIL].get(text, ())]
        return found + self.match_domain(text.rpartition("@")[2], via="e-mail domain is ")


@dataclass(slots=True)
class _Cache:
    """Values already looked up (bounded) and those that matched."""

    lookup: Callable[[str], list[Match]]
    seen: set[str] = field(default_factory=set)
    positive: dict[str, list[Match]] = field(default_factory=dict)

    def hits(self, column: tuple[str, ...]) -> set[str]:
        distinct = set(column)
        new = distinct.difference(self.seen)
        if new:
            lookup, positive = self.lookup, self.positive
            for value in new:
                found = lookup(value)
                if found:
                    positive[value] = found
            if len(self.seen) > _CACHE_LIMIT:
                self.seen.clear()
            self.seen.update(new)
        return distinct.intersection(self.positive) if self.positive else set()


@dataclass(slots=True)
class _Tally:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, when: datetime | None) -> None:
        self.count += 1
        if when is not None:
            self.first = when if self.first is None or when < self.first else self.first
            self.last = when if self.last is None or when > self.last else self.last


class _Run:
    """State of one :func:`match_logs` call."""

    def __init__(self, index: IndicatorIndex, detail_limit: int, budget: int) -> None:
        self.index = index
        self.detail_limit = detail_limit
        self.budget = budget
        self.evaluations = 0
        self.budget_hit_at = ""
        self.caches = {
            "ip": _Cache(index.match_ip), "domain": _Cache(index.match_domain),
            "url": _Cache(index.match_url), "hash": _Cache(index.match_hash),
            "email": _Cache(index.match_email),
        }
        self.hits: list[IntelHit] = []
        self.tallies: dict[str, _Tally] = {}
        self.shown: dict[str, int] = {}
        self.entry_of: dict[str, Entry] = {}
        self.suppressed: dict[tuple[int, str], tuple[int, str, str]] = {}

    def positive(self, key: str, values: list[str]) -> set[str]:
        """Those of ``values`` the ``key`` lookup matches (looked up once per run)."""
        return self.caches[key].hits(tuple(values))

    def fast(self, source: LogSource) -> bool:
        """True when the fast path may read a file of ``source``: it selects records by
        value, so not while patterns without candidate values are evaluated on every record."""
        if not FAST_PATH:
            return False
        if self.index.scan_patterns and not self.budget_hit_at:
            provided = {t for _, r in source.columns for t in _ROLE_TYPES.get(r, ())}
            return not any(provided.intersection(_entry_types(self.index.entries[e]))
                           for e in self.index.scan_patterns)
        return True

    def chunk(self, file: str, source: LogSource, chunk: Chunk) -> None:
        roles = dict(source.columns)
        hits: dict[int, list[tuple[str, Match]]] = {}
        for column, values in chunk.columns.items():
            key = lookup_key(roles[column])
            cache = self.caches.get(key)
            if cache is None:
                continue
            positive = cache.hits(values)
            if not positive:
                continue
            table = cache.positive
            for row, value in enumerate(values):
                if value in positive:
                    hits.setdefault(row, []).extend((column, m) for m in table[value])
        for row, matches in sorted(hits.items()):
            self.row(file, source, chunk, row, matches)
        if self.index.scan_patterns:
            self.scan(file, source, chunk)

    def scan(self, file: str, source: LogSource, chunk: Chunk) -> None:
        provided = {t for _, r in source.columns for t in _ROLE_TYPES.get(r, ())}
        wanted = [e for e in self.index.scan_patterns
                  if provided.intersection(_entry_types(self.index.entries[e]))]
        if not wanted:
            return
        for row in range(len(chunk.numbers)):
            if self.evaluations >= self.budget:
                if not self.budget_hit_at:
                    self.budget_hit_at = f"{file} ({_place(source, chunk.numbers[row])})"
                return
            observed: dict[str, Any] | None = None
            for entry in wanted:
                observed = observed or _observed_data(source, chunk, row)
                self.evaluations += 1
                if self.index.verifiers[entry].match([observed]):
                    self.record(file, source, chunk, row, "", (entry, "", "the pattern"))

    def row(self, file: str, source: LogSource, chunk: Chunk, row: int,
            matches: list[tuple[str, Match]]) -> None:
        done: set[int] = set()
        observed: dict[str, Any] | None = None
        for column, match in matches:
            entry = match[0]
            if entry in done:
                continue
            done.add(entry)
            if entry in self.index.verifiers:
                if self.evaluations >= self.budget:
                    self.budget_hit_at = self.budget_hit_at or \
                        f"{file} ({_place(source, chunk.numbers[row])})"
                    continue
                observed = observed or _observed_data(source, chunk, row)
                self.evaluations += 1
                if not self.index.verifiers[entry].match([observed]):
                    continue
                match = (entry, match[1], f"{match[2]} and the whole pattern")
            self.record(file, source, chunk, row, column, match)

    def record(self, file: str, source: LogSource, chunk: Chunk, row: int, column: str,
               match: Match) -> None:
        entry_number, observed, rule = match
        entry = self.index.entries[entry_number]
        place = _place(source, chunk.numbers[row])
        listed = self.index.suppressed.get(entry_number)
        if listed is not None:
            key = (entry_number, entry.indicator_id)
            count, first_file, first_place = self.suppressed.get(key, (0, file, place))
            self.suppressed[key] = (count + 1, first_file, first_place)
            return
        when = _timestamp(source, chunk, row)
        validity = _validity(entry, when)
        if validity != "outside validity window":
            self.tallies.setdefault(entry.indicator_id, _Tally()).add(when)
            self.entry_of.setdefault(entry.indicator_id, entry)
        shown = self.shown.get(entry.indicator_id, 0)
        if shown >= self.detail_limit:
            return
        self.shown[entry.indicator_id] = shown + 1
        what = _describe(entry, self.index.entry_values.get(entry_number, ""))
        where = f"{column} {observed} is {rule}" if column else f"the {source.name} record " \
            f"satisfies the pattern {entry.pattern}"
        self.hits.append(IntelHit(
            file=file, place=place, log_source=source.name, column=column or "(record)",
            observed=observed, indicator=entry,
            why=f"{where}: {what} from {entry.source} ({entry.tlp.label})",
            seen_at=when, context=_context(source, chunk, row), validity=validity))


def _entry_types(entry: Entry) -> tuple[str, ...]:
    return entry.object_types if isinstance(entry, PatternIndicator) else ()


def _describe(entry: Entry, value: str) -> str:
    if isinstance(entry, PatternIndicator):
        return f"pattern indicator {entry.indicator_id} (evaluated with stix2-matcher)"
    return f"{entry.kind.value} indicator {value} ({entry.indicator_id})"


def _place(source: LogSource, number: int) -> str:
    return f"row {number}" if source.format == "csv" else f"line {number}"


def _timestamp(source: LogSource, chunk: Chunk, row: int) -> datetime | None:
    for column, role in source.columns:
        if role == "timestamp" and column in chunk.columns:
            return parse_timestamp(chunk.columns[column][row], source.timestamp_format)
    return None


def _validity(entry: Entry, when: datetime | None) -> str:
    if when is None:
        return "no timestamp"
    if (entry.valid_from is not None and when < entry.valid_from) or (
            entry.valid_until is not None and when >= entry.valid_until):
        return "outside validity window"
    return "valid"


def _context(source: LogSource, chunk: Chunk, row: int) -> tuple[tuple[str, str], ...]:
    keep = IP_ROLES | INTERNAL_ROLES | {"timestamp"}
    return tuple((c, chunk.columns[c][row]) for c, r in source.columns
                 if r in keep and c in chunk.columns and chunk.columns[c][row])


def _observed_data(source: LogSource, chunk: Chunk, row: int) -> dict[str, Any]:
    """The record as a STIX 2.1 bundle with one observed-data and its SCOs (for stix2-matcher).

    SCO ids are placeholders local to the evaluation; they never leave the process.
    """
    objects: list[dict[str, Any]] = []
    refs: dict[str, str] = {}

    def add(sco: dict[str, Any]) -> str:
        sco_id = f"{sco['type']}--00000000-0000-4000-8000-{len(objects):012d}"
        objects.append({"id": sco_id, **sco})
        return sco_id

    traffic: dict[str, Any] = {}
    hashes: dict[str, str] = {}
    file_name = ""
    for column, role in source.columns:
        value = chunk.columns.get(column, ("",) * (row + 1))[row]
        if not value:
            continue
        for part in value.split(LIST_SEPARATOR):
            if role in IP_ROLES:
                sco_type = "ipv6-addr" if ":" in part else "ipv4-addr"
                ref = add({"type": sco_type, "value": part})
                if role in ("src_ip", "dst_ip"):
                    refs[role] = ref
            elif role == "domain":
                add({"type": "domain-name", "value": part.rstrip(".").lower()})
            elif role == "url":
                add({"type": "url", "value": part})
            elif role == "email":
                add({"type": "email-addr", "value": part.lower()})
            elif role in HASH_ROLES:
                kind = HASH_BY_LENGTH.get(len(part))
                if kind is not None:
                    hashes[{"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}[kind.value]] = \
                        part.lower()
            elif role == "file_name":
                file_name = part
            elif role in ("src_port", "dst_port") and part.isdigit():
                traffic[role] = int(part)
            elif role == "protocol":
                traffic["protocols"] = [part.lower()]
    if hashes or file_name:
        add({"type": "file", **({"hashes": hashes} if hashes else {}),
             **({"name": file_name} if file_name else {})})
    if "src_ip" in refs or "dst_ip" in refs:
        add({"type": "network-traffic", "protocols": ["ipv4"],
             **({"src_ref": refs["src_ip"]} if "src_ip" in refs else {}),
             **({"dst_ref": refs["dst_ip"]} if "dst_ip" in refs else {}), **traffic})
    when = _timestamp(source, chunk, row)
    stamp = (when.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if when is not None
             else "1970-01-01T00:00:00Z")
    observed = {"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-"
                "ffffffffffff", "spec_version": "2.1", "created": stamp, "modified": stamp,
                "first_observed": stamp, "last_observed": stamp, "number_observed": 1,
                "object_refs": [o["id"] for o in objects]}
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-ffffffffffff",
            "objects": [observed, *objects]}


def match_logs(indicators: IndicatorSet | IndicatorIndex, log_paths: Sequence[Path],
               mapping: Sequence[LogSource], warninglists: Warninglists | None = None, *,
               detail_limit: int = DETAIL_LIMIT, pattern_budget: int = PATTERN_BUDGET,
               ) -> IntelMatchResult:
    """Match log files against indicators.

    Args:
        indicators: an :class:`IndicatorSet` (indexed here) or a prepared
            :class:`IndicatorIndex` (then ``warninglists`` is ignored).
        log_paths: files or folders; empty = every file the mapping's globs find.
        mapping: the log sources of the mapping file (:func:`~caresec.intel.logs.load_mapping`).
        warninglists: lists marking indicators as known false positives; their hits are
            counted in ``suppressed``, not reported as hits.
        detail_limit: hits kept in detail per indicator (counts are always complete).
        pattern_budget: most stix2-matcher evaluations in the run; beyond it, patterns are
            reported as not evaluated from the line where the budget ran out.

    Returns:
        The :class:`IntelMatchResult`. Unreadable files and records are ``problems``; the
        rest of the logs is still matched.
    """
    started = time.perf_counter()
    collecting = gc.isenabled()
    gc.disable()  # the run allocates many short-lived tuples and no cycles
    try:
        return _match(indicators, log_paths, mapping, warninglists, detail_limit,
                      pattern_budget, started)
    finally:
        if collecting:
            gc.enable()


def _match(indicators: IndicatorSet | IndicatorIndex, log_paths: Sequence[Path],
           mapping: Sequence[LogSource], warninglists: Warninglists | None, detail_limit: int,
           pattern_budget: int, started: float) -> IntelMatchResult:
    index = indicators if isinstance(indicators, IndicatorIndex) \
        else IndicatorIndex(indicators, warninglists)
    base_problems = [] if isinstance(indicators, IndicatorIndex) else list(indicators.problems)
    run = _Run(index, detail_limit, pattern_budget)
    pairs, problems = assign_files(mapping, log_paths)
    lines = 0
    files: list[str] = []
    for path, source in pairs:
        files.append(str(path))
        fast = read_selected(path, source, index.prefilter, run.positive) \
            if run.fast(source) else None
        if fast is not None:
            lines += fast.records
            problems.extend(fast.problems)
            for chunk in fast.chunks:
                run.chunk(str(path), source, chunk)
            continue
        for chunk in read_chunks(path, source, problems):
            lines += len(chunk.numbers)
            run.chunk(str(path), source, chunk)
    return IntelMatchResult(
        hits=tuple(run.hits),
        sightings=tuple(_sightings(run)),
        suppressed=tuple(_suppressed(run)),
        suppressions=tuple(index.suppressions),
        not_evaluated=tuple(_not_evaluated(index, run, [s for _, s in pairs])),
        files=tuple(files),
        lines=lines,
        indicators=len(index),
        patterns_evaluated=run.evaluations,
        problems=(*base_problems, *problems),
        seconds=time.perf_counter() - started,
    )


def _sightings(run: _Run) -> list[Sighting]:
    return [Sighting(indicator_id=key, source=run.entry_of[key].source,
                     tlp=run.entry_of[key].tlp, count=t.count, first_seen=t.first,
                     last_seen=t.last) for key, t in sorted(run.tallies.items())]


def _suppressed(run: _Run) -> list[SuppressedHits]:
    found: list[SuppressedHits] = []
    for (number, _), (count, file, place) in sorted(run.suppressed.items()):
        entry = run.index.entries[number]
        assert isinstance(entry, Indicator)
        found.append(SuppressedHits(entry.indicator_id, entry.kind, entry.value, entry.source,
                                    run.index.suppressed[number], count, file, place))
    return found


def _not_evaluated(index: IndicatorIndex, run: _Run, sources: Sequence[LogSource],
                   ) -> list[PatternIndicator]:
    provided = {t for s in sources for _, r in s.columns for t in _ROLE_TYPES.get(r, ())}
    found = list(index.unsupported)
    for number in index.verifiers:
        entry = index.entries[number]
        assert isinstance(entry, PatternIndicator)
        missing = [t for t in entry.object_types if t not in provided]
        if missing and not provided.intersection(entry.object_types):
            found.append(_with_reason(entry, f"no log column carries "
                                      f"{', '.join(missing)} (see the log mapping roles)"))
        elif run.budget_hit_at:
            found.append(_with_reason(entry, f"the budget of {run.budget} stix2-matcher "
                                      f"evaluations ran out at {run.budget_hit_at}; later "
                                      f"lines were not evaluated"))
    return found


def _with_reason(entry: PatternIndicator, reason: str) -> PatternIndicator:
    return PatternIndicator(
        indicator_id=entry.indicator_id, pattern=entry.pattern, pattern_type=entry.pattern_type,
        source=entry.source, tlp=entry.tlp, support=entry.support, reason=reason,
        object_types=entry.object_types, candidates=entry.candidates,
        confidence=entry.confidence, valid_from=entry.valid_from,
        valid_until=entry.valid_until, name=entry.name, origin=entry.origin)


def sightings_by_indicator(result: IntelMatchResult) -> Mapping[str, Sighting]:
    """The result's sightings keyed by indicator id."""
    return {s.indicator_id: s for s in result.sightings}
