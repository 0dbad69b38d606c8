"""PHI discovery records: detected spans, the ePHI inventory and its locations.

The identifier types are the eighteen of the HIPAA Privacy Rule's Safe Harbor method,
45 CFR 164.514(b)(2)(i)(A)–(R), split where a scanner needs finer types (a street address and a
ZIP code are both item (B)). No record here carries an identifier's value: a location holds
counts, keyed pseudonyms (:mod:`caresec.privacy`) and the *shape* of a value (``NNN-NN-NNNN``),
never the value itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from caresec.model.problems import InputProblem


class PhiType(StrEnum):
    """An identifier type; :attr:`hipaa_item` is its Safe Harbor item letter."""

    NAME = "name"
    ADDRESS = "street address"
    ZIP = "zip code"
    LOCATION = "location"
    DATE = "date"
    AGE = "age over 89"
    PHONE = "phone"
    FAX = "fax"
    EMAIL = "email"
    SSN = "ssn"
    MRN = "mrn"
    HEALTH_PLAN_ID = "health plan id"
    MBI = "medicare mbi"
    ACCOUNT = "account number"
    LICENSE = "license number"
    NPI = "npi"
    DEA = "dea number"
    VEHICLE = "vehicle id"
    DEVICE = "device id"
    URL = "url"
    IP_ADDRESS = "ip address"

    @property
    def hipaa_item(self) -> str:
        """The 45 CFR 164.514(b)(2)(i) item: ``A`` (names) … ``O`` (IP addresses)."""
        return _HIPAA_ITEM[self]

    @property
    def keys_person(self) -> bool:
        """True for types whose distinct values count individuals (names, record numbers)."""
        return self in _PERSON_KEYS


_HIPAA_ITEM = {
    PhiType.NAME: "A",
    PhiType.ADDRESS: "B",
    PhiType.ZIP: "B",
    PhiType.LOCATION: "B",
    PhiType.DATE: "C",
    PhiType.AGE: "C",
    PhiType.PHONE: "D",
    PhiType.FAX: "E",
    PhiType.EMAIL: "F",
    PhiType.SSN: "G",
    PhiType.MRN: "H",
    PhiType.HEALTH_PLAN_ID: "I",
    PhiType.MBI: "I",
    PhiType.ACCOUNT: "J",
    PhiType.LICENSE: "K",
    PhiType.NPI: "K",
    PhiType.DEA: "K",
    PhiType.VEHICLE: "L",
    PhiType.DEVICE: "M",
    PhiType.URL: "N",
    PhiType.IP_ADDRESS: "O",
}
_PERSON_KEYS = frozenset({
    PhiType.NAME, PhiType.SSN, PhiType.MRN, PhiType.HEALTH_PLAN_ID, PhiType.MBI,
    PhiType.EMAIL, PhiType.PHONE, PhiType.ACCOUNT,
})


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """One detected identifier in a text.

    Attributes:
        start: offset of the first character (Python ``str`` index, i.e. code points).
        end: offset one past the last character (``text[start:end]`` is the identifier).
        type: :class:`PhiType`.
        score: confidence in [0, 1] (Presidio's scale: pattern score, raised by context words).
        detector: what found it (``ssn``, ``npi``, ``name-title``, ``seed``, ``field:PID-5`` …).
    """

    start: int
    end: int
    type: PhiType
    score: float
    detector: str


class Sensitivity(StrEnum):
    """Sensitivity tier of a location, from the identifiers it holds.

    ``high``: a direct identifier that unlocks records or identity on its own (SSN, MBI,
    health-plan or account number, MRN) or a name together with a date, address or contact
    detail. ``moderate``: names or direct contact details (phone, fax, e-mail, street address)
    without the above. ``low``: only indirect identifiers (dates, ZIP codes, places, ages,
    URLs, IP addresses, device, vehicle and licence numbers, NPI, DEA). ``none``: nothing found.
    """

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    NONE = "none"

    @property
    def rank(self) -> int:
        """0 for high … 3 for none (sort key)."""
        return list(Sensitivity).index(self)


class Change(StrEnum):
    """How a location changed since the previous scan."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    FIRST_SCAN = "first scan"


@dataclass(frozen=True, slots=True)
class PhiExample:
    """A redacted example of one finding, enough to find it again and nothing more.

    Attributes:
        type: :class:`PhiType`.
        place: where in the location (``row 12``, ``PID-5``, ``line 7``, ``/entry/0/…/name``).
        pseudonym: keyed HMAC-SHA256 pseudonym of the value (:mod:`caresec.privacy`).
        shape: the value with letters → ``X``/``x`` and digits → ``N`` (``Xxxxx``, ``NNN-NNNN``).
        detector: the detector that found it.
    """

    type: PhiType
    place: str
    pseudonym: str
    shape: str
    detector: str


@dataclass(frozen=True, slots=True)
class DataSource:
    """A place to scan and what it belongs to.

    Attributes:
        location: a file or folder path, or an SQLAlchemy database URL.
        asset_id: the inventory asset that holds it (``""`` when not linked).
        owner: the person or team responsible (``""`` = the asset's owner, when linked).
    """

    location: str
    asset_id: str = ""
    owner: str = ""


@dataclass(frozen=True, slots=True)
class PhiLocation:
    """One entry of the ePHI inventory: a file, an archive member or a table column.

    Attributes:
        location: ``path`` (relative to the scanned root where possible), ``zip!member``, or
            ``db:<url without password>#table.column``.
        kind: ``file``, ``member`` or ``column``.
        format: ``text``, ``csv``, ``json``, ``fhir``, ``ndjson``, ``hl7v2``, ``dicom``, ``pdf``,
            ``docx``, ``xlsx``, ``eml``, ``db``.
        counts: ``(type, occurrences)`` pairs, most frequent first.
        individuals: estimated distinct individuals (distinct keyed pseudonyms of the
            person-keying type with most of them; a K-minimum-values estimate above 1,024).
        sensitivity: :class:`Sensitivity`.
        records: rows, messages, resources or notes read (0 when not applicable).
        bytes: size of the file or member read (0 for a database column).
        modified: last modification time (UTC) when known.
        asset_id: the linked inventory asset.
        owner: owner as recorded by the data source or the asset.
        change: :class:`Change` against the previous scan.
        change_detail: e.g. ``ssn +12, name -3`` (``""`` when unchanged or first scan).
        examples: up to a few redacted examples per type.
        digest: SHA-256 over the location's sorted pseudonyms and counts, to detect change
            without keeping values.
    """

    location: str
    kind: str
    format: str
    counts: tuple[tuple[PhiType, int], ...]
    individuals: int
    sensitivity: Sensitivity
    records: int = 0
    bytes: int = 0
    modified: datetime | None = None
    asset_id: str = ""
    owner: str = ""
    change: Change = Change.FIRST_SCAN
    change_detail: str = ""
    examples: tuple[PhiExample, ...] = ()
    digest: str = ""

    @property
    def types(self) -> tuple[PhiType, ...]:
        """The identifier types found, most frequent first."""
        return tuple(t for t, _ in self.counts)

    @property
    def total(self) -> int:
        """All occurrences of all types."""
        return sum(n for _, n in self.counts)


@dataclass(frozen=True, slots=True)
class PhiInventory:
    """The result of one PHI scan: where ePHI lives.

    Attributes:
        scanned_at: UTC start of the scan.
        key_id: fingerprint of the pseudonym key (never the key): pseudonyms are comparable only
            between inventories with the same ``key_id``.
        locations: every location with at least one identifier, highest sensitivity first;
            locations of the previous scan that are gone are kept with change ``removed``.
        problems: inputs skipped or read in part (corrupt, binary, too large, zip bomb),
            each naming the file.
        files: files (and archive members) read.
        bytes: bytes read.
        clean: locations read that held no identifier (count).
    """

    scanned_at: datetime
    key_id: str
    locations: tuple[PhiLocation, ...] = ()
    problems: tuple[InputProblem, ...] = ()
    files: int = 0
    bytes: int = 0
    clean: int = 0
    sources: tuple[DataSource, ...] = field(default=())

    def by_asset(self) -> dict[str, dict[PhiType, int]]:
        """The ePHI map: asset id → identifier type → occurrences (``""`` = unlinked)."""
        result: dict[str, dict[PhiType, int]] = {}
        for loc in self.locations:
            if loc.change is Change.REMOVED:
                continue
            counts = result.setdefault(loc.asset_id, {})
            for kind, n in loc.counts:
                counts[kind] = counts.get(kind, 0) + n
        return result

    def individuals_by_asset(self) -> dict[str, int]:
        """Asset id → estimated individuals (the largest estimate among its locations: the same
        people usually recur across an asset's files, so the figures are not added)."""
        result: dict[str, int] = {}
        for loc in self.locations:
            if loc.change is not Change.REMOVED:
                result[loc.asset_id] = max(result.get(loc.asset_id, 0), loc.individuals)
        return result
