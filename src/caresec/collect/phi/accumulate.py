"""Per-location tallies: counts, distinct individuals, redacted examples — never values.

A value found by a detector is pseudonymized at once (:func:`caresec.privacy.pseudonym_int`)
and dropped. Distinct individuals are estimated with a K-minimum-values sketch (Bar-Yossef et
al., *Counting distinct elements in a data stream*, RANDOM 2002): the 1,024 smallest 64-bit
keyed hashes are kept per identifier type, so memory does not grow with the data; below 1,024
distinct values the count is exact.
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from datetime import datetime

from caresec import privacy
from caresec.model.phi import PhiExample, PhiLocation, PhiType, Sensitivity

KMV_K = 1024
EXAMPLES_PER_TYPE = 3
_DIRECT = frozenset({PhiType.SSN, PhiType.MBI, PhiType.HEALTH_PLAN_ID, PhiType.ACCOUNT,
                     PhiType.MRN})
_CONTACT = frozenset({PhiType.PHONE, PhiType.FAX, PhiType.EMAIL, PhiType.ADDRESS})
_QUASI = frozenset({PhiType.DATE, PhiType.ADDRESS, PhiType.ZIP, PhiType.PHONE, PhiType.FAX,
                    PhiType.EMAIL, PhiType.AGE})


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

    def add_many(self, values: list[int]) -> None:
        """Offer many hashes at once (one sort instead of a heap operation per value)."""
        if not values:
            return
        if len(self._heap) >= KMV_K:
            kth = -self._heap[0]
            values = [v for v in values if v < kth]
            if not values:
                return
        merged = sorted(self._members.union(values))[:KMV_K]
        self._members = set(merged)
        self._heap = [-v for v in merged]
        heapq.heapify(self._heap)

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

    def add(self, kind: PhiType, value: str, place: str, detector: str) -> None:
        """Count one identifier; keep its keyed hash (person-keying types) and, for the first
        few of each type, a redacted example. ``value`` is not kept."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind.keys_person:
            self.sketches.setdefault(kind, Kmv()).add(
                privacy.pseudonym_int(self.key, kind.value, value))
        examples = self.examples.setdefault(kind, [])
        if len(examples) < EXAMPLES_PER_TYPE:
            examples.append(PhiExample(kind, place, privacy.pseudonym(self.key, kind.value, value),
                                       privacy.shape(value), detector))

    def add_values(self, kind: PhiType, values: list[str], places: list[str],
                   detector: str) -> None:
        """Count many identifiers of one type (a table column): keyed hashes in one batch,
        examples from the first few. ``places`` holds the place of each value."""
        if not values:
            return
        self.counts[kind] = self.counts.get(kind, 0) + len(values)
        if kind.keys_person:
            self.sketches.setdefault(kind, Kmv()).add_many(
                privacy.pseudonym_ints(self.key, kind.value, values))
        examples = self.examples.setdefault(kind, [])
        for value, place in zip(values[:EXAMPLES_PER_TYPE], places, strict=False):
            if len(examples) >= EXAMPLES_PER_TYPE:
                break
            examples.append(PhiExample(kind, place, privacy.pseudonym(self.key, kind.value, value),
                                       privacy.shape(value), detector))

    def add_count(self, kind: PhiType, n: int) -> None:
        """Count ``n`` identifiers of a type whose values need no keyed hash (dates, ZIPs …)."""
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def individuals(self) -> int:
        """Estimated distinct individuals: the largest distinct count among person-keying
        types (each individual has one MRN, one SSN …), or :attr:`extrapolated` when a sampled
        key column was all distinct (databases)."""
        if self.extrapolated:
            return self.extrapolated
        return max((s.estimate() for s in self.sketches.values()), default=self.extrapolated)

    def finish(self, *, asset_id: str = "", owner: str = "") -> PhiLocation | None:
        """The :class:`PhiLocation`, or None when nothing was found."""
        if not self.counts:
            return None
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
