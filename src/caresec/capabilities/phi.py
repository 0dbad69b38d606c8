"""PHI discovery in ``caresec audit`` (issue 5): the ePHI inventory and map of the organization.

The capability applies when ``caresec.toml`` has a ``[phi]`` table or the organization folder
has ``phi-sources.csv``. It scans the data sources that file lists (files, folders and database
URLs, with the inventory asset that holds each) with :func:`caresec.collect.phi.scan_sources`
under the organization's pseudonym key (:func:`caresec.privacy.load_or_create_key`), compares
the result with the previous inventory (``ORG/.caresec/phi-inventory.json``), saves the new one
and returns:

* ``ephi_records``: (asset id, estimated distinct individuals) for each inventory asset where
  ePHI was found, so the pipeline raises the asset's ePHI volume before weighing impact;
* findings of kind ``ephi-location`` where the asset inventory under-states what was found (an
  asset said to hold no ePHI, or fewer individuals than observed), with threat events
  ``TE-MISCONFIG-EXPOSURE`` and ``TE-INSIDER-DATA-THEFT``, the HIPAA citations of
  :data:`CONTROL_IDS` and a Table G-5 likelihood (:func:`ephi_likelihood`);
* input problems: bad ``phi-sources.csv`` rows, assets missing from the inventory, ePHI found at
  a location linked to no asset, and every input the scan skipped or read in part (warnings
  naming the file and the reason);
* summary lines, the ``report.json`` object (:func:`phi_data`: counts only) and the HTML section
  ``ephi`` (the ePHI map: asset × the 18 Safe Harbor identifiers, and the inventory).

Nothing returned carries an identifier or a pseudonym of one. File names can themselves hold
an identifier (``summary-RCH0004712.txt``): those the detector finds in a location's name are
replaced by ``[type:pseudonym]`` in the saved inventory, so scans still compare location by
location, and by ``[type]`` in what is reported (:mod:`caresec.collect.phi.names`).

Settings, the ``[phi]`` table of ``caresec.toml`` (all optional)::

    [phi]
    sources = "phi-sources.csv"       # location,asset_id[,owner] rows, relative to the org
    mrn_patterns = ['RCH\\d{7}']      # the organization's MRN formats (regular expressions)
    sample_rows = 1000                # rows sampled per database table
    workers = 0                       # processes (0: one per CPU for 64 files or more)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from caresec import privacy
from caresec.extension import AuditContext, Capability
from caresec.model import (
    Assessed,
    Asset,
    CapabilityResult,
    Evidence,
    Finding,
    InputProblem,
    Level,
    OrgConfig,
    ProblemSeverity,
    ReportSection,
    Severity,
)
from caresec.model.phi import (
    Change,
    DataSource,
    PhiInventory,
    PhiLocation,
    PhiType,
    Sensitivity,
)
from caresec.report import render_fragment
from caresec.risk.scale import assessed, combine

#: Run order among the built-in capabilities (:func:`caresec.extension.builtin_capabilities`).
ORDER = 5
NAME = "phi"
SECTION_ID = "ephi"
KIND = "ephi-location"
SETTINGS_FILE = "caresec.toml"
DEFAULT_SOURCES = "phi-sources.csv"
SETTINGS = ("sources", "mrn_patterns", "sample_rows", "workers")
#: Files below which the scan runs in this process (starting worker processes costs more).
PARALLEL_FROM = 64
#: Threat events of the threat catalog (``threat-events.yaml``) an ePHI location enables.
THREAT_EVENT_IDS = ("TE-MISCONFIG-EXPOSURE", "TE-INSIDER-DATA-THEFT")
#: 45 CFR 164.308(a)(1)(ii)(A) risk analysis (an accurate account of where ePHI is),
#: 164.310(d)(1) device and media controls, 164.312(a)(2)(iv) encryption and decryption.
CONTROL_IDS = ("164.308(a)(1)(ii)(A)", "164.310(d)(1)", "164.312(a)(2)(iv)")
#: The 18 identifiers of the Safe Harbor method, 45 CFR 164.514(b)(2)(i)(A)–(R).
HIPAA_IDENTIFIERS: tuple[tuple[str, str], ...] = (
    ("A", "Names"),
    ("B", "Geographic subdivisions smaller than a state"),
    ("C", "Dates (except year) and ages over 89"),
    ("D", "Telephone numbers"),
    ("E", "Fax numbers"),
    ("F", "E-mail addresses"),
    ("G", "Social Security numbers"),
    ("H", "Medical record numbers"),
    ("I", "Health plan beneficiary numbers"),
    ("J", "Account numbers"),
    ("K", "Certificate and license numbers"),
    ("L", "Vehicle identifiers and serial numbers"),
    ("M", "Device identifiers and serial numbers"),
    ("N", "Web URLs"),
    ("O", "IP addresses"),
    ("P", "Biometric identifiers"),
    ("Q", "Full-face photographs"),
    ("R", "Any other unique identifying number or code"),
)
#: Items the detector cannot find in text (biometrics, photographs, arbitrary codes).
NOT_DETECTED = frozenset({"P", "Q", "R"})
_EPHI_TIERS = (Sensitivity.HIGH, Sensitivity.MODERATE)
_EXPOSED_ZONES = frozenset({"internet", "dmz", "guest"})


def capability() -> Capability:
    """The built-in PHI discovery capability (:class:`PhiCapability`)."""
    return PhiCapability()


@dataclass(frozen=True, slots=True)
class PhiSettings:
    """The ``[phi]`` table, checked.

    Attributes:
        sources: the data-source list, relative to the organization folder.
        mrn_patterns: the organization's MRN formats (valid regular expressions).
        sample_rows: rows sampled per database table.
        workers: processes (0 = decide from the number of files).
    """

    sources: str = DEFAULT_SOURCES
    mrn_patterns: tuple[str, ...] = ()
    sample_rows: int = 1000
    workers: int = 0


class PhiCapability:
    """PHI discovery as an audit capability.

    Attributes:
        name: ``phi`` (the ``[phi]`` table of ``caresec.toml``, the ``report.json`` name).
    """

    def __init__(self) -> None:
        self.name: str = NAME

    def applies(self, org: OrgConfig) -> bool:
        """True when ``caresec.toml`` has a ``[phi]`` table or ``ORG/phi-sources.csv`` exists."""
        return any(key == NAME for key, _ in org.sections) or (
            org.root / DEFAULT_SOURCES).is_file()

    def run(self, context: AuditContext) -> CapabilityResult:
        """Scan the listed data sources, update the saved inventory, judge it against the
        asset inventory (see the module docstring).

        Raises:
            StoreError: the pseudonym key cannot be made or read, or is readable by others
                (the pipeline records it as a problem of this capability).
        """
        # Imported here: the detector loads Presidio and word lists (about two seconds), which
        # an audit without PHI sources should not pay for.
        from caresec.collect.phi import Limits, inventory_path, load_inventory, save_inventory
        from caresec.collect.phi.names import (
            location_name,
            name_redactor,
            pseudonymize_locations,
            report_view,
            unkeyed,
        )
        from caresec.collect.phi.scan import iter_files, scan_sources
        from caresec.errors import StoreError
        from caresec.phi import DetectorConfig, PhiDetector

        org = context.org
        settings, problems = read_settings(org.section(NAME))
        assets = {a.asset_id: a for a in context.assets}
        listed, db_urls, source_problems = read_sources(org.root, settings.sources, assets)
        problems.extend(source_problems)
        key = privacy.load_or_create_key(org.root)
        store = inventory_path(org.root)
        previous: PhiInventory | None
        try:
            previous = load_inventory(store)
        except StoreError as exc:
            problems.append(_problem(str(store.relative_to(org.root)), "",
                                     f"{exc} A new baseline is made."))
            previous = None
        if previous is not None and previous.key_id != privacy.key_id(key):
            problems.append(_problem(str(store.relative_to(org.root)), "",
                                     "made with another pseudonym key; a new baseline is made"))
            previous = None

        config = DetectorConfig(mrn_patterns=settings.mrn_patterns)
        redact = name_redactor(PhiDetector(config), key)
        files = sum(1 for _ in iter_files([Path(s.location) for s in listed]))
        workers = settings.workers or (1 if files < PARALLEL_FROM else None)
        context.progress(f"Scanning {files} file(s) and {len(db_urls)} database(s) for ePHI")
        scanned = scan_sources(listed, dbs=db_urls, key=key, root=org.root,
                               limits=Limits(db_sample_rows=settings.sample_rows),
                               config=config, workers=workers, warn_overlaps=False)
        roots = [location_name(Path(s.location), org.root) for s in listed]
        roots += [loc.location for loc in scanned.sources[len(listed):]]
        inventory = pseudonymize_locations(
            replace(scanned, sources=tuple(replace(s, location=name) for s, name in zip(
                scanned.sources, roots, strict=True))),
            key=key, config=config, previous=previous, roots=roots, redact=redact)
        try:
            save_inventory(store, inventory)
        except StoreError as exc:
            problems.append(_problem(str(store.relative_to(org.root)), "", str(exc)))

        shown = report_view(inventory)
        problems.extend(_problem(p.file, p.place, p.message) for p in shown.problems)
        problems.extend(unlinked_problems(shown, assets))
        findings = tuple(ephi_findings(shown, assets))
        data = phi_data(shown, assets, findings, previous=previous)
        html = render_fragment("phi.html.j2", data=data)
        return CapabilityResult(
            name=NAME,
            findings=findings,
            # a data-source row can name a patient (a folder per MRN): messages quote it
            problems=tuple(replace(p, file=unkeyed(redact(p.file)),
                                   message=unkeyed(redact(p.message))) for p in problems),
            summary=summary_lines(data),
            data=data,
            sections=(ReportSection(SECTION_ID, "ePHI inventory and map", html),),
            ephi_records=observed_records(shown, assets),
        )


def _problem(file: str, place: str, message: str,
             severity: ProblemSeverity = ProblemSeverity.WARNING) -> InputProblem:
    return InputProblem(file, place, message, severity, NAME)


def read_settings(table: Mapping[str, Any]) -> tuple[PhiSettings, list[InputProblem]]:
    """The ``[phi]`` table (:meth:`OrgConfig.section`) as :class:`PhiSettings`.

    Returns:
        ``(settings, problems)``: a bad value keeps its default with an error naming
        ``caresec.toml`` and ``[phi] key``; an unknown key gives a warning.
    """
    problems: list[InputProblem] = []

    def bad(key: str, message: str,
            severity: ProblemSeverity = ProblemSeverity.ERROR) -> None:
        problems.append(_problem(SETTINGS_FILE, f"[{NAME}] {key}", message, severity))

    for key in sorted(set(table) - set(SETTINGS)):
        bad(key, f"unknown setting ignored (known: {', '.join(SETTINGS)})",
            ProblemSeverity.WARNING)
    settings = PhiSettings()
    sources = table.get("sources", DEFAULT_SOURCES)
    if isinstance(sources, str) and sources.strip():
        settings = replace(settings, sources=sources.strip())
    else:
        bad("sources", f"must be a file name; {DEFAULT_SOURCES} is used")
    patterns = table.get("mrn_patterns", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        bad("mrn_patterns", "must be a list of regular expressions; ignored")
        patterns = []
    kept: list[str] = []
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
            kept.append(pattern)
        except re.error as exc:
            bad(f"mrn_patterns[{index}]", f"not a regular expression ({exc}); ignored")
    numbers: dict[str, int] = {}
    for key, least in (("sample_rows", 1), ("workers", 0)):
        default: int = getattr(settings, key)
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            bad(key, f"must be a whole number of at least {least}; {default} is used")
            value = default
        numbers[key] = value
    return replace(settings, mrn_patterns=tuple(kept), sample_rows=numbers["sample_rows"],
                   workers=numbers["workers"]), problems


def read_sources(
    root: Path, name: str, assets: Mapping[str, Asset]
) -> tuple[list[DataSource], list[DataSource], list[InputProblem]]:
    """The data sources of ``ORG/<name>`` (CSV, header ``location,asset_id[,owner]``).

    A location is a file or folder (relative to the organization folder, or absolute), or an
    SQLAlchemy URL; an SQLite URL naming a file (``sqlite:///data/billing.sqlite``, relative
    to the organization folder) is read as that file. An empty ``owner`` takes the asset's.

    Returns:
        ``(paths, database URLs, problems)``: paths hold absolute locations. Problems name the
        file and ``row N`` (the header is row 1): an unreadable file or missing columns (error,
        nothing listed), a row without a location (error, skipped), an asset id the asset
        inventory lacks (warning; the location is scanned, not linked), two rows whose paths
        overlap (warning naming both rows; each file is scanned once, for the deeper one).
    """
    path = root / name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return [], [], [_problem(name, "", "not found: list the data sources to scan "
                                 "(location,asset_id,owner)", ProblemSeverity.ERROR)]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [], [_problem(name, "", f"cannot be read ({exc})", ProblemSeverity.ERROR)]
    reader = csv.DictReader(text.splitlines())
    columns = {c.strip() for c in reader.fieldnames or ()}
    if not {"location", "asset_id"} <= columns:
        return [], [], [_problem(name, "row 1", "needs the columns location,asset_id (and "
                                 "optionally owner)", ProblemSeverity.ERROR)]
    paths: list[DataSource] = []
    path_rows: list[int] = []
    urls: list[DataSource] = []
    problems: list[InputProblem] = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()
               if isinstance(v, str)}
        location, asset_id = row.get("location", ""), row.get("asset_id", "")
        if not location:
            problems.append(_problem(name, f"row {number}, column location", "empty; row "
                                     "skipped", ProblemSeverity.ERROR))
            continue
        asset = assets.get(asset_id)
        if asset_id and asset is None:
            problems.append(_problem(name, f"row {number}, column asset_id",
                                     f"asset {asset_id!r} is not in the asset inventory; "
                                     f"{location} is scanned but linked to no asset"))
            asset_id = ""
        owner = row.get("owner", "") or (asset.owner if asset else "")
        file = _sqlite_file(location)
        if "://" in location and file is None:
            urls.append(DataSource(location, asset_id, owner))
        else:
            target = Path(file if file is not None else location)
            paths.append(DataSource(str(target if target.is_absolute() else root / target),
                                    asset_id, owner))
            path_rows.append(number)
    problems.extend(_overlap_problems(name, paths, path_rows, root))
    return paths, urls, problems


def _overlap_problems(name: str, paths: Sequence[DataSource], rows: Sequence[int],
                      root: Path) -> list[InputProblem]:
    """A warning naming both rows for each pair of overlapping path sources
    (:func:`caresec.collect.phi.scan.source_overlaps`): their files are scanned once, for the
    more specific (deeper) source, or the first of two rows with the same location."""
    from caresec.collect.phi.scan import source_overlaps

    def shown(source: DataSource) -> str:
        where = Path(source.location)
        if where.is_relative_to(root):
            where = where.relative_to(root)
        asset = f"asset {source.asset_id}" if source.asset_id else "no asset"
        return f"{where.as_posix()} ({asset})"

    problems: list[InputProblem] = []
    for inner, outer in source_overlaps([p.location for p in paths]):
        first, second = sorted((rows[inner], rows[outer]))
        if Path(paths[inner].location).resolve() == Path(paths[outer].location).resolve():
            why = (f"both list {shown(paths[inner])} and {shown(paths[outer])}: scanned once, "
                   f"for row {rows[inner]}")
        else:
            why = (f"{shown(paths[inner])} lies inside {shown(paths[outer])}: its files are "
                   f"scanned once, for row {rows[inner]} (the more specific source)")
        problems.append(_problem(name, f"rows {first} and {second}",
                                 f"overlapping data sources; {why}"))
    return problems


def _sqlite_file(location: str) -> str | None:
    if not location.lower().startswith("sqlite:///"):
        return None
    rest = location[len("sqlite:///"):]
    return rest if rest and "?" not in rest and not rest.startswith("file:") else None


def _present(inventory: PhiInventory) -> list[PhiLocation]:
    return [loc for loc in inventory.locations if loc.change is not Change.REMOVED]


def ephi_assets(inventory: PhiInventory) -> dict[str, list[PhiLocation]]:
    """Asset id → its locations holding ePHI (sensitivity ``high`` or ``moderate``: a person
    is named or directly reachable; dates, ZIP codes or IP addresses alone are not counted)."""
    held: dict[str, list[PhiLocation]] = {}
    for loc in _present(inventory):
        if loc.sensitivity in _EPHI_TIERS:
            held.setdefault(loc.asset_id, []).append(loc)
    return held


def observed_records(inventory: PhiInventory,
                     assets: Mapping[str, Asset]) -> tuple[tuple[str, int], ...]:
    """``CapabilityResult.ephi_records``: (asset id, estimated individuals) for each inventory
    asset holding ePHI (:func:`ephi_assets`): the largest estimate among its locations, as
    :meth:`PhiInventory.individuals_by_asset` (the same people recur across an asset's
    files)."""
    out = []
    for asset_id, locations in sorted(ephi_assets(inventory).items()):
        individuals = max(loc.individuals for loc in locations)
        if asset_id in assets and individuals > 0:
            out.append((asset_id, individuals))
    return tuple(out)


def ephi_likelihood(asset: Asset, sensitivity: Sensitivity) -> Assessed:
    """Overall likelihood (NIST SP 800-30 Rev. 1 Table G-5) that ePHI the inventory does not
    account for is exposed or taken (threat events :data:`THREAT_EVENT_IDS`).

    Likelihood of initiation: **moderate** when the inventory says the asset holds no ePHI
    (its access, audit and encryption safeguards were never scoped for ePHI: a share or
    server readable by many); **low** when the asset is already an ePHI system and only the
    volume is under-stated. One level higher when the asset is internet-facing or in the
    internet, DMZ or guest zone. Likelihood of adverse impact: **high** for ``high``
    sensitivity (SSN, MRN, member numbers, or names with dates or contacts: a reportable
    breach), **moderate** otherwise.
    """
    exposed = asset.internet_facing or (
        asset.network_zone is not None and asset.network_zone.value in _EXPOSED_ZONES)
    if not asset.holds_ephi:
        initiation = Level.HIGH if exposed else Level.MODERATE
        why = "the inventory says it holds no ePHI, so its safeguards were not scoped for ePHI"
    else:
        initiation = Level.MODERATE if exposed else Level.LOW
        why = "an ePHI system already; its recorded volume is too low"
    if exposed:
        why += "; reachable from outside (internet-facing, DMZ or guest zone)"
    adverse = Level.HIGH if sensitivity is Sensitivity.HIGH else Level.MODERATE
    adverse_why = ("direct identifiers (SSN, MRN, member numbers, or names with dates or "
                   "contacts): a disclosure is a reportable breach"
                   if adverse is Level.HIGH else "names or contact details")
    from caresec.catalogs.nist800_30 import load_nist_800_30

    first, second = assessed(initiation, why), assessed(adverse, adverse_why)
    level, score = combine(load_nist_800_30().overall_likelihood, first, second)
    return Assessed(level=level, score=score, rationale=(
        f"initiation {initiation} ({why}) × adverse impact {adverse} ({adverse_why}) → "
        f"Table G-5 {level}"))


def _counts_text(counts: Mapping[PhiType, int]) -> str:
    return ", ".join(f"{k.value} {n:,}" for k, n in sorted(counts.items(),
                                                             key=lambda kv: (-kv[1], kv[0])))


def ephi_findings(inventory: PhiInventory, assets: Mapping[str, Asset]) -> list[Finding]:
    """``ephi-location`` findings: one per inventory asset where the scan found ePHI
    (:func:`ephi_assets`) that the asset inventory does not account for: the asset is said to
    hold none (``EPHI-<asset>-UNLISTED``), or fewer individuals than observed
    (``EPHI-<asset>-UNDERSTATED``).

    ``inventory`` must already be the report view (names redacted): titles and evidence name
    locations and counts only.
    """
    findings: list[Finding] = []
    for asset_id, locations in sorted(ephi_assets(inventory).items()):
        asset = assets.get(asset_id)
        if asset is None:
            continue
        individuals = max(loc.individuals for loc in locations)
        unlisted = not asset.holds_ephi
        if not unlisted and individuals <= asset.ephi_records:
            continue
        sensitivity = min((loc.sensitivity for loc in locations), key=lambda s: s.rank)
        counts: dict[PhiType, int] = {}
        for loc in locations:
            for kind, n in loc.counts:
                counts[kind] = counts.get(kind, 0) + n
        stated = ("holds no ePHI" if unlisted else
                  f"holds {asset.ephi_records:,} individuals' records")
        title = (f"ePHI found on {asset_id}, which the asset inventory says {stated}: "
                 f"~{individuals:,} individuals in {len(locations)} location(s)")
        severity = (Severity.HIGH if unlisted and sensitivity is Sensitivity.HIGH else
                    Severity.MEDIUM if unlisted or sensitivity is Sensitivity.HIGH else
                    Severity.LOW)
        findings.append(Finding(
            finding_id=f"EPHI-{asset_id}-{'UNLISTED' if unlisted else 'UNDERSTATED'}",
            kind=KIND,
            title=title,
            asset_ids=(asset_id,),
            severity=severity,
            evidence=tuple(Evidence(NAME, loc.location, (
                f"{_counts_text(dict(loc.counts))}; ~{loc.individuals:,} individuals; "
                f"sensitivity {loc.sensitivity}")) for loc in locations),
            threat_event_ids=THREAT_EVENT_IDS,
            control_ids=CONTROL_IDS,
            details=(
                ("inventory", f"holds_ephi {'yes' if asset.holds_ephi else 'no'}, "
                              f"ephi_records {asset.ephi_records:,}"),
                ("observed", f"~{individuals:,} individuals; {_counts_text(counts)}"),
                ("sensitivity", str(sensitivity)),
                ("action", "correct the asset inventory, or remove the data from this asset "
                           "and bring it under the ePHI safeguards"),
            ),
            likelihood=ephi_likelihood(asset, sensitivity),
        ))
    return findings


def unlinked_problems(inventory: PhiInventory,
                      assets: Mapping[str, Asset]) -> list[InputProblem]:
    """A warning per location holding ePHI that no inventory asset is linked to."""
    return [_problem(loc.location, "", "ePHI found here, but the data source is linked to no "
                     "inventory asset: add its asset_id to phi-sources.csv so it counts in the "
                     "risk analysis") for loc in ephi_assets(inventory).get("", [])]


def _items(counts: Mapping[PhiType, int]) -> dict[str, int]:
    items: dict[str, int] = {}
    for kind, n in counts.items():
        items[kind.hipaa_item] = items.get(kind.hipaa_item, 0) + n
    return items


def phi_data(
    inventory: PhiInventory,
    assets: Mapping[str, Asset],
    findings: Sequence[Finding],
    *,
    previous: PhiInventory | None,
) -> dict[str, Any]:
    """The capability's ``report.json`` object (JSON values only; docs/phi.md "In the audit").

    Counts only: no identifier, pseudonym, example or digest.

    Returns:
        ``{"scanned_at", "previous_scan_at", "key_id", "counts", "identifiers", "assets",
        "locations", "findings", "skipped"}``. ``identifiers`` lists the 18 Safe Harbor items
        (``item``, ``label``, ``types``, ``detected``); each asset has the inventory's
        ``holds_ephi``/``ephi_records``, ``individuals`` observed, ``items`` (item → count),
        ``types`` (type → count), ``sensitivity``, ``locations`` and ``status``
        (``unlisted``, ``understated``, ``consistent``, ``not in the asset inventory``,
        ``no ePHI``); each location has ``location``, ``kind``, ``format``, ``asset_id``,
        ``owner``, ``counts`` (type → count), ``items``, ``individuals``, ``sensitivity``,
        ``records``, ``bytes``, ``modified``, ``change`` and ``change_detail``.
    """
    by_asset = inventory.by_asset()
    held = ephi_assets(inventory)
    present = _present(inventory)
    rows: list[dict[str, Any]] = []
    for asset_id in sorted(by_asset, key=lambda a: (a == "", a)):
        asset = assets.get(asset_id)
        locs = [loc for loc in present if loc.asset_id == asset_id]
        individuals = max((loc.individuals for loc in held.get(asset_id, [])), default=0)
        if asset_id not in held:
            status = "no ePHI"
        elif asset is None:
            status = "not in the asset inventory"
        elif not asset.holds_ephi:
            status = "unlisted"
        elif individuals > asset.ephi_records:
            status = "understated"
        else:
            status = "consistent"
        rows.append({
            "asset_id": asset_id,
            "name": asset.name if asset else "",
            "owner": asset.owner if asset else "",
            "inventory_holds_ephi": asset.holds_ephi if asset else None,
            "inventory_ephi_records": asset.ephi_records if asset else None,
            "individuals": individuals,
            "items": _items(by_asset[asset_id]),
            "types": {k.value: n for k, n in by_asset[asset_id].items()},
            "sensitivity": str(min((loc.sensitivity for loc in locs),
                                   key=lambda s: s.rank, default=Sensitivity.NONE)),
            "locations": len(locs),
            "status": status,
        })
    locations = [{
        "location": loc.location,
        "kind": loc.kind,
        "format": loc.format,
        "asset_id": loc.asset_id,
        "owner": loc.owner,
        "counts": {k.value: n for k, n in loc.counts},
        "items": _items(dict(loc.counts)),
        "individuals": loc.individuals,
        "sensitivity": str(loc.sensitivity),
        "records": loc.records,
        "bytes": loc.bytes,
        "modified": loc.modified.isoformat() if loc.modified else None,
        "change": str(loc.change),
        "change_detail": loc.change_detail,
    } for loc in inventory.locations]
    types_by_item: dict[str, list[str]] = {}
    for kind in PhiType:
        types_by_item.setdefault(kind.hipaa_item, []).append(kind.value)
    changes = [str(loc.change) for loc in inventory.locations]
    return {
        "scanned_at": inventory.scanned_at.isoformat(),
        "previous_scan_at": previous.scanned_at.isoformat() if previous else None,
        "key_id": inventory.key_id,
        "counts": {
            "sources": len(inventory.sources),
            "files": inventory.files,
            "bytes": inventory.bytes,
            "locations": len(present),
            "locations_ephi": sum(len(v) for v in held.values()),
            "clean": inventory.clean,
            "assets": sum(1 for a in held if a),
            "individuals": sum(n for _, n in observed_records(inventory, assets)),
            "unlisted": sum(r["status"] == "unlisted" for r in rows),
            "understated": sum(r["status"] == "understated" for r in rows),
            "unlinked": len(held.get("", [])),
            "new": changes.count(str(Change.NEW)),
            "changed": changes.count(str(Change.CHANGED)),
            "removed": changes.count(str(Change.REMOVED)),
            "skipped": len(inventory.problems),
            "findings": len(findings),
        },
        "identifiers": [{"item": item, "label": label, "types": types_by_item.get(item, []),
                         "detected": item not in NOT_DETECTED}
                        for item, label in HIPAA_IDENTIFIERS],
        "assets": rows,
        "locations": locations,
        "findings": [{
            "finding_id": f.finding_id,
            "title": f.title,
            "severity": str(f.severity),
            "asset_ids": list(f.asset_ids),
            "threat_event_ids": list(f.threat_event_ids),
            "control_ids": list(f.control_ids),
            "likelihood": str(f.likelihood.level) if f.likelihood else None,
            "likelihood_rationale": f.likelihood.rationale if f.likelihood else None,
        } for f in findings],
        "skipped": [{"file": p.file, "place": p.place, "reason": p.message}
                    for p in inventory.problems],
    }


def summary_lines(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Terminal and executive summary lines from :func:`phi_data`: always ``ePHI inventory``
    (``27 locations on 6 assets, ~41 individuals``); the others only when non-zero."""
    c = data["counts"]
    lines = [("ePHI inventory", f"{c['locations_ephi']} locations on {c['assets']} assets, "
                                f"~{c['individuals']:,} individuals ({c['files']} files read)")]
    unlisted = [r["asset_id"] for r in data["assets"] if r["status"] == "unlisted"]
    understated = [r["asset_id"] for r in data["assets"] if r["status"] == "understated"]
    if unlisted:
        lines.append(("  on assets listed as holding none", ", ".join(unlisted)))
    if understated:
        lines.append(("  more than the inventory states", ", ".join(understated)))
    optional = (("  linked to no asset", "unlinked"), ("  new since the previous scan", "new"),
                ("  changed since the previous scan", "changed"),
                ("  gone since the previous scan", "removed"),
                ("  inputs skipped or read in part", "skipped"))
    lines.extend((label, str(c[key])) for label, key in optional if c[key])
    return tuple(lines)
