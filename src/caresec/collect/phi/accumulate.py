"""Per-location tallies: counts, distinct individuals, redacted examples — never values.

A value found by a detector is counted at once; values of person-keying types (names, MRN,
SSN …) are kept only until the next batch of keyed hashes (at most :data:`PENDING` distinct
values per type, then hashed together and dropped). Distinct individuals are estimated with a
K-minimum-values sketch (Bar-Yossef et al., *Counting distinct elements in a data stream*,
RANDOM 2002): the 1,024 smallest 64-bit keyed hashes are kept per identifier type, so memory
does not grow with the data; below 1,024 distinct values the count is exact.

The sketch's hash is keyed BLAKE2b with an 8-byte digest (RFC 7693; Python's ``hashlib``, a
MAC in keyed mode) of the normalized value (:func:`normalized`, the rule of
:func:`caresec.privacy.normalize`) under a 32-byte sub-key derived per identifier type from the
organization's key with HMAC-SHA256 (:func:`sketch_key`): about 1 µs a value against 3–5 µs
for one ``hmac`` call, and like HMAC it cannot be reversed by hashing candidate values without
the key. Only distinct values are hashed. Sketch hashes never leave the scan: the inventory
keeps only their SHA-256 digest per location (change detection). The pseudonyms shown in
examples stay HMAC-SHA256 (:func:`caresec.privacy.pseudonym`).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from caresec import privacy
from caresec.model.phi import PhiExample, PhiLocation, PhiType, Sensitivity

KMV_K = 1024
EXAMPLES_PER_TYPE = 3
#: Distinct values of one type held before they are hashed into the sketch together.
PENDING = 8192
#: Types normalized to their digits (as in :func:`caresec.privacy.normalize`).
_DIGITS_ONLY = frozenset({"ssn", "phone", "fax", "npi", "zip code", "account number"})
_DIRECT = frozenset({PhiType.SSN, PhiType.MBI, PhiType.HEALTH_PLAN_ID, PhiType.ACCOUNT,
                     PhiType.MRN})
_CONTACT = frozenset({PhiType.PHONE, PhiType.FAX, PhiType.EMAIL, PhiType.ADDRESS})
_KEYS_PERSON = frozenset(k for k in PhiType if k.keys_person)
_QUASI = frozenset({PhiType.DATE, PhiType.ADDRESS, PhiType.ZIP, PhiType.PHONE, PhiType.FAX,
                    PhiType.EMAIL, PhiType.AGE})


@lru_cache(maxsize=64)
def sketch_key(key: bytes, kind: str) -> bytes:
    """The 32-byte BLAKE2b key of one identifier type's sketches: HMAC-SHA256(key,
    "caresec kmv sketch" ␟ kind), so that the organization's key itself is used by one
    algorithm only and equal digits of two types hash apart."""
    return hmac.digest(key, f"caresec kmv sketch\x1f{kind}".encode(), "sha256")


def normalized(kind: str, values: Any) -> Any:
    """The normalized forms (a pyarrow string array) of ``values`` (a pyarrow string array or
    a sequence of str): the rule of :func:`caresec.privacy.normalize` — digits only for SSN,
    phone, fax, NPI, ZIP and account numbers, else lower case with everything but ``a-z0-9``
    removed; a value left empty is kept lower-cased and stripped instead."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    if kind in _DIGITS_ONLY:
        norm = pc.replace_substring_regex(array, r"[^0-9]+", "")
    else:
        norm = pc.replace_substring_regex(pc.utf8_lower(array), r"[^0-9a-z]+", "")
    empty = pc.equal(pc.binary_length(norm), 0)
    if pc.any(empty).as_py():
        norm = pc.if_else(empty, pc.utf8_lower(pc.utf8_trim_whitespace(array)), norm)
    return norm


def sketch_hashes(key: bytes, kind: str, values: Any) -> NDArray[np.uint64]:
    """64-bit keyed hashes of ``values`` (a pyarrow string array or a sequence of str) of one
    identifier type: keyed BLAKE2b-64 under :func:`sketch_key` of the UTF-8 bytes of each
    :func:`normalized` value, as a numpy array in the order of ``values``."""
    import pyarrow as pa

    norm = normalized(kind, values)
    if isinstance(norm, pa.ChunkedArray):
        norm = norm.combine_chunks()
    sub = sketch_key(key, kind)
    blake2b = hashlib.blake2b
    return np.fromiter(
        (int.from_bytes(blake2b(str(v).encode(), key=sub, digest_size=8).digest(), "little")
         for v in norm.to_pylist()), dtype=np.uint64, count=len(norm))


class Kmv:
    """A K-minimum-values distinct-count sketch over 64-bit hashes."""

    __slots__ = ("_heap", "_members")

    def __init__(self) -> None:
        self._heap: list[int] = []  # max-heap by negation of the k smallest
        self._members: set[int] = set()

    def add(self, value: int) -> None:
        """Offer one 64-bit hash."""
        if value in self._members:
            return
        if len(self._heap) < KMV_K:
            heapq.heappush(self._heap, -value)
            self._members.add(value)
        elif value < -self._heap[0]:
            removed = -heapq.heapreplace(self._heap, -value)
            self._members.discard(removed)
            self._members.add(value)

    def add_many(self, values: Sequence[int] | NDArray[np.uint64]) -> None:
        """Offer many hashes at once (one sort instead of a heap operation per value)."""
        array = np.asarray(values, dtype=np.uint64)
        if not array.size:
            return
        if len(self._heap) >= KMV_K:
            array = array[array < np.uint64(-self._heap[0])]
            if not array.size:
                return
        smallest = np.unique(array)[:KMV_K].tolist()
        merged = sorted(self._members.union(smallest))[:KMV_K]
        self._members = set(merged)
        self._heap = [-v for v in merged]
        heapq.heapify(self._heap)

    def merge(self, other: Kmv) -> None:
        """Add the hashes kept by another sketch (of the same key and type): the result is the
        sketch of the union of both streams."""
        self.add_many(list(other._members))

    def estimate(self) -> int:
        """Distinct values offered: exact below :data:`KMV_K`, else (k − 1) · 2⁶⁴ / kth."""
        if len(self._heap) < KMV_K:
            return len(self._heap)
        kth = -self._heap[0]
        return round((KMV_K - 1) * (2**64) / max(kth, 1))

    def values(self) -> list[int]:
        """The kept hashes, sorted (for the location digest)."""
        return sorted(self._members)


def sensitivity(types: set[PhiType]) -> Sensitivity:
    """The :class:`Sensitivity` tier of a set of identifier types (rules in its docstring)."""
    if not types:
        return Sensitivity.NONE
    if types & _DIRECT or (PhiType.NAME in types and types & _QUASI):
        return Sensitivity.HIGH
    if PhiType.NAME in types or types & _CONTACT:
        return Sensitivity.MODERATE
    return Sensitivity.LOW


@dataclass(slots=True)
class Tally:
    """What one location holds, built up as its values are read.

    Attributes:
        location, kind, format: see :class:`~caresec.model.phi.PhiLocation`.
        key: the pseudonym key.
        pending: person-keying values not yet hashed into ``sketches`` (:meth:`flush`).
        shown: the values of the examples, so that a repeated value is passed over without a
            keyed hash (dropped by :meth:`flush`, like ``pending``).
        needs_person: a table column whose dates were found by content: they count only when
            another column of the table keys a person
            (:func:`~caresec.collect.phi.tables.drop_unkeyed_dates`).
    """

    location: str
    kind: str
    format: str
    key: bytes
    counts: dict[PhiType, int] = field(default_factory=dict)
    sketches: dict[PhiType, Kmv] = field(default_factory=dict)
    examples: dict[PhiType, list[PhiExample]] = field(default_factory=dict)
    records: int = 0
    size: int = 0
    modified: datetime | None = None
    extrapolated: int = 0
    pending: dict[PhiType, set[str]] = field(default_factory=dict)
    needs_person: bool = False
    shown: dict[PhiType, set[str]] = field(default_factory=dict)

    def add(self, kind: PhiType, value: str, place: str, detector: str, n: int = 1) -> None:
        """Count ``n`` occurrences of one identifier; queue it for the keyed hash of the sketch
        (person-keying types) and, for the first few distinct values of each type, keep a
        redacted example (:meth:`add_examples`).
        ``value`` is not kept beyond the next :meth:`flush`."""
        self.counts[kind] = self.counts.get(kind, 0) + n
        if kind in _KEYS_PERSON:
            pending = self.pending.get(kind)
            if pending is None:
                pending = self.pending[kind] = set()
            pending.add(value)
            if len(pending) >= PENDING:
                self._flush(kind)
        examples = self.examples.get(kind)
        if examples is None or len(examples) < EXAMPLES_PER_TYPE:
            self.add_examples(kind, (value,), (place,), detector)

    def add_values(self, kind: PhiType, values: Sequence[str], places: Sequence[str],
                   detector: str, counts: Sequence[int] | None = None,
                   distinct: Any = None) -> None:
        """Count many identifiers of one type (a table column): keyed hashes in one batch,
        examples from the first few. ``places`` holds the place of each value (at least of the
        first :data:`EXAMPLES_PER_TYPE`); ``counts``, when given, the occurrences to count
        (summed), else each value counts once. ``distinct``, when given, holds every value to
        hash (a pyarrow string array or a sequence; ``values`` then only the examples)."""
        if not values:
            return
        total = len(values) if counts is None else sum(counts)
        self.counts[kind] = self.counts.get(kind, 0) + total
        if kind in _KEYS_PERSON:
            self.sketches.setdefault(kind, Kmv()).add_many(
                sketch_hashes(self.key, kind.value, values if distinct is None else distinct))
        self.add_examples(kind, values[:EXAMPLES_PER_TYPE], places, detector)

    def add_examples(self, kind: PhiType, values: Sequence[str], places: Sequence[str],
                     detector: str) -> None:
        """Keep redacted examples of ``values`` (already counted) until the type has
        :data:`EXAMPLES_PER_TYPE` distinct ones (a value already shown is not shown again);
        ``places[i]`` is the place of ``values[i]``."""
        examples = self.examples.setdefault(kind, [])
        shown = self.shown.setdefault(kind, set())
        for value, place in zip(values, places, strict=False):
            if len(examples) >= EXAMPLES_PER_TYPE:
                break
            if value in shown:
                continue
            shown.add(value)
            pseudonym = privacy.pseudonym(self.key, kind.value, value)
            if all(e.pseudonym != pseudonym for e in examples):
                examples.append(PhiExample(kind, place, pseudonym, privacy.shape(value),
                                           detector))

    def add_count(self, kind: PhiType, n: int) -> None:
        """Count ``n`` identifiers of a type whose values need no keyed hash (dates, ZIPs …)."""
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def _flush(self, kind: PhiType) -> None:
        values = self.pending.pop(kind, None)
        if values:
            self.sketches.setdefault(kind, Kmv()).add_many(
                sketch_hashes(self.key, kind.value, values))

    def flush(self) -> None:
        """Hash the queued values into the sketches and drop them (and the values of the
        examples)."""
        for kind in list(self.pending):
            self._flush(kind)
        self.shown.clear()

    def merge(self, other: Tally, *, row_offset: int = 0) -> None:
        """Add what ``other`` (a later part of the same location) holds: counts and records
        add, sketches merge (the union's sketch), examples fill up to
        :data:`EXAMPLES_PER_TYPE`, their ``row N`` places moved down by ``row_offset``."""
        other.flush()
        self.flush()
        for kind, n in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + n
        for kind, sketch in other.sketches.items():
            self.sketches.setdefault(kind, Kmv()).merge(sketch)
        for kind, found in other.examples.items():
            mine = self.examples.setdefault(kind, [])
            for example in found:
                if len(mine) >= EXAMPLES_PER_TYPE:
                    break
                if any(e.pseudonym == example.pseudonym for e in mine):
                    continue
                row = example.place.removeprefix("row ")
                if row_offset and row.isdigit():
                    example = replace(example, place=f"row {int(row) + row_offset}")
                mine.append(example)
        self.records += other.records
        self.needs_person = self.needs_person or other.needs_person

    def individuals(self) -> int:
        """Estimated distinct individuals: the largest distinct count among person-keying
        types (each individual has one MRN, one SSN …), or :attr:`extrapolated` when a sampled
        key column was all distinct (databases)."""
        if self.extrapolated:
            return self.extrapolated
        self.flush()
        return max((s.estimate() for s in self.sketches.values()), default=self.extrapolated)

    def finish(self, *, asset_id: str = "", owner: str = "") -> PhiLocation | None:
        """The :class:`PhiLocation`, or None when nothing was found."""
        if not self.counts:
            return None
        self.flush()
        counts = tuple(sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0].value)))
        digest = hashlib.sha256()
        for kind, n in sorted(self.counts.items(), key=lambda kv: kv[0].value):
            digest.update(f"{kind.value}={n};".encode())
            sketch = self.sketches.get(kind)
            if sketch is not None:
                digest.update(b"".join(v.to_bytes(8, "big") for v in sketch.values()))
        return PhiLocation(
            location=self.location,
            kind=self.kind,
            format=self.format,
            counts=counts,
            individuals=self.individuals(),
            sensitivity=sensitivity(set(self.counts)),
            records=self.records,
            bytes=self.size,
            modified=self.modified,
            asset_id=asset_id,
            owner=owner,
            examples=tuple(e for kind, _ in counts for e in self.examples.get(kind, [])),
            digest=digest.hexdigest(),
        )
