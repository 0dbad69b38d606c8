"""Read OSV advisories: JSON or YAML files, folders of them, and ecosystem archives.

Follows the OSV schema 1.6 (https://ossf.github.io/osv-schema/): ``id``, ``aliases`` and
``upstream`` (merged into :attr:`Advisory.aliases`), ``withdrawn``, ``summary``/``details``,
``published``, ``severity`` (``CVSS_V3``/``CVSS_V4`` kept; other types ignored),
``affected[].package``, ``affected[].ranges[]`` (``ECOSYSTEM``, ``SEMVER``, ``GIT`` with
``introduced``/``fixed``/``last_affected``/``limit`` events), ``affected[].versions`` and
``references``. ``database_specific`` and ``ecosystem_specific`` are ignored.

Archives (the ``all.zip`` of each OSV ecosystem, or a ``.tar.gz`` of advisory files) are read
member by member in memory, never extracted to disk, with size limits against archive bombs.

A broken advisory (not JSON/YAML, not UTF-8, no ``id``, a range without events, an event with
an unknown key, a version that is not a string or is invalid in its ecosystem) becomes an
:class:`InputProblem` naming the file (``archive.zip!member.json`` for archive members) and
the JSON pointer (RFC 6901) of the bad value; the other advisories are still read.
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import yaml

from caresec.analyze.versions import UnparseableVersionError, is_supported, parse
from caresec.collect._text import decode_utf8
from caresec.errors import InputError
from caresec.model import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    InputProblem,
    ProblemSeverity,
    RangeEvent,
    SeverityVector,
)

__all__ = [
    "ADVISORY_SUFFIXES",
    "ARCHIVE_SUFFIXES",
    "MAX_ADVISORY_BYTES",
    "MAX_ARCHIVE_BYTES",
    "MAX_ARCHIVE_MEMBERS",
    "advisory_from_osv",
    "is_advisory_file",
    "is_archive",
    "iter_osv",
    "parse_osv_document",
]

ADVISORY_SUFFIXES = (".json", ".yaml", ".yml")
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")

MAX_ADVISORY_BYTES = 32 * 1024 * 1024
"""Largest single advisory document read (bytes, uncompressed)."""
MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024
"""Largest total uncompressed size read from one archive (bytes)."""
MAX_ARCHIVE_MEMBERS = 2_000_000
"""Most members read from one archive."""
SUMMARY_CHARS = 200
"""Summaries (or the first line of ``details``) longer than this are cut, ending in ``…``."""

COLLECTOR = "osv"
RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER", "GIT"})
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
SEVERITY_TYPES = frozenset({"CVSS_V3", "CVSS_V4"})

_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Broken(ValueError):
    """An advisory that cannot be used: ``pointer`` (RFC 6901) and ``message``."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


def is_advisory_file(name: str) -> bool:
    """True for ``.json``, ``.yaml`` and ``.yml`` names (case-insensitive)."""
    return name.lower().endswith(ADVISORY_SUFFIXES)


def is_archive(name: str) -> bool:
    """True for ``.zip``, ``.tar.gz`` and ``.tgz`` names (case-insensitive)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def iter_osv(path: Path, *, display: str | None = None) -> Iterator[Advisory | InputProblem]:
    """Yield the advisories in ``path`` and a problem for each one that cannot be read.

    Args:
        path: an advisory file (``.json``, ``.yaml``, ``.yml``), an archive (``.zip``,
            ``.tar.gz``, ``.tgz``) or a folder searched recursively for both (sorted by name;
            names starting with ``.`` skipped).
        display: how to name ``path`` in problems and in :attr:`Advisory.source` (defaults
            to ``str(path)``); folder members are named ``display/relative/path``.

    Yields:
        :class:`Advisory` records and :class:`InputProblem` records (collector ``osv``), in
        file order.

    Raises:
        InputError: ``path`` does not exist or cannot be opened at all (a folder member that
            cannot be read is a problem instead).
    """
    shown = display if display is not None else str(path)
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            relative = child.relative_to(path)
            if any(part.startswith(".") for part in relative.parts) or not child.is_file():
                continue
            if is_advisory_file(child.name) or is_archive(child.name):
                yield from _iter_file(child, f"{shown}/{relative.as_posix()}")
        return
    if not path.exists():
        raise InputError(shown, "", "no such file or folder")
    yield from _iter_file(path, shown)


def _iter_file(path: Path, shown: str) -> Iterator[Advisory | InputProblem]:
    name = path.name.lower()
    try:
        if name.endswith(".zip"):
            yield from _iter_zip(path, shown)
        elif name.endswith((".tar.gz", ".tgz")):
            yield from _iter_tar(path, shown)
        elif is_advisory_file(name):
            size = path.stat().st_size
            if size > MAX_ADVISORY_BYTES:
                yield _problem(shown, "", f"{size} bytes is over the {MAX_ADVISORY_BYTES}-byte "
                               "limit for one advisory; skipped")
                return
            yield parse_osv_document(path.read_bytes(), name=path.name, display=shown)
    except OSError as exc:
        yield _problem(shown, "", f"cannot be read: {exc.strerror or exc}")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        yield _problem(shown, "", f"not a readable archive: {exc}")


def _iter_zip(path: Path, shown: str) -> Iterator[Advisory | InputProblem]:
    with zipfile.ZipFile(path) as archive:
        total = 0
        for count, info in enumerate(archive.infolist(), 1):
            if info.is_dir() or not is_advisory_file(info.filename):
                continue
            member = f"{shown}!{info.filename}"
            if count > MAX_ARCHIVE_MEMBERS:
                yield _problem(shown, "", f"more than {MAX_ARCHIVE_MEMBERS} members; the rest "
                               "were not read")
                return
            if info.file_size > MAX_ADVISORY_BYTES:
                yield _problem(member, "", f"{info.file_size} bytes is over the "
                               f"{MAX_ADVISORY_BYTES}-byte limit for one advisory; skipped")
                continue
            with archive.open(info) as stream:
                data = _read_limited(stream)
            if data is None:
                yield _problem(member, "", "larger than its declared size; skipped")
                continue
            total += len(data)
            if total > MAX_ARCHIVE_BYTES:
                yield _problem(shown, "", f"over {MAX_ARCHIVE_BYTES} bytes uncompressed; the "
                               "rest was not read")
                return
            yield parse_osv_document(data, name=info.filename, display=member)


def _iter_tar(path: Path, shown: str) -> Iterator[Advisory | InputProblem]:
    with tarfile.open(path, mode="r:*") as archive:
        total = 0
        count = 0
        for info in archive:
            if not info.isfile() or not is_advisory_file(info.name):
                continue
            count += 1
            member = f"{shown}!{info.name}"
            if count > MAX_ARCHIVE_MEMBERS:
                yield _problem(shown, "", f"more than {MAX_ARCHIVE_MEMBERS} members; the rest "
                               "were not read")
                return
            if info.size > MAX_ADVISORY_BYTES:
                yield _problem(member, "", f"{info.size} bytes is over the "
                               f"{MAX_ADVISORY_BYTES}-byte limit for one advisory; skipped")
                continue
            stream = archive.extractfile(info)
            if stream is None:
                continue
            with stream:
                data = _read_limited(stream)
            if data is None:
                yield _problem(member, "", "larger than its declared size; skipped")
                continue
            total += len(data)
            if total > MAX_ARCHIVE_BYTES:
                yield _problem(shown, "", f"over {MAX_ARCHIVE_BYTES} bytes uncompressed; the "
                               "rest was not read")
                return
            yield parse_osv_document(data, name=info.name, display=member)


def _read_limited(stream: IO[bytes]) -> bytes | None:
    data = stream.read(MAX_ADVISORY_BYTES + 1)
    return None if len(data) > MAX_ADVISORY_BYTES else data


def parse_osv_document(data: bytes, *, name: str, display: str) -> Advisory | InputProblem:
    """Parse one OSV document (JSON, or YAML when ``name`` ends in ``.yaml``/``.yml``).

    Args:
        data: the document's bytes (UTF-8).
        name: file name, used to choose JSON or YAML.
        display: how to name the document in problems and in :attr:`Advisory.source`.

    Returns:
        The :class:`Advisory`, or an :class:`InputProblem` (place: ``byte N``,
        ``line L, column C`` or a JSON pointer) when it cannot be used.
    """
    try:
        text = decode_utf8(data, display=display)
    except InputError as exc:
        return _problem(display, exc.place, exc.detail)
    try:
        if name.lower().endswith((".yaml", ".yml")):
            doc = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        else:
            doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return _problem(display, f"line {exc.lineno}, column {exc.colno}",
                        f"not valid JSON: {exc.msg.removesuffix(' at')}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return _problem(display, place, f"not valid YAML: {reason}")
    try:
        return advisory_from_osv(doc, source=display)
    except _Broken as exc:
        return _problem(display, exc.pointer, exc.message)
    except RecursionError:
        return _problem(display, "", "nested too deeply to read")


def advisory_from_osv(doc: Any, *, source: str = "") -> Advisory:
    """Build an :class:`Advisory` from a decoded OSV document (OSV schema 1.6).

    Versions in ``ECOSYSTEM`` ranges of supported ecosystems and in ``SEMVER`` ranges are
    checked against the ecosystem's version grammar (``introduced: "0"`` and ``limit: "*"``
    are the schema's special values).

    Raises:
        ValueError: (an internal subclass carrying ``pointer``) when the document cannot be
            used; :func:`parse_osv_document` turns it into an :class:`InputProblem`.
    """
    if not isinstance(doc, dict):
        raise _Broken("", "not an OSV advisory (the document is not a JSON object)")
    advisory_id = doc.get("id")
    if not isinstance(advisory_id, str) or not advisory_id.strip():
        raise _Broken("/id", "missing or empty 'id'")
    advisory_id = advisory_id.strip()
    aliases: list[str] = []
    for key in ("aliases", "upstream"):
        for alias in _strings(doc.get(key), f"/{key}"):
            if alias != advisory_id and alias not in aliases:
                aliases.append(alias)
    severity = list(_severities(doc.get("severity"), "/severity"))
    affected: list[AffectedPackage] = []
    for index, entry in enumerate(_list(doc.get("affected"), "/affected")):
        pointer = f"/affected/{index}"
        package = _affected(entry, pointer)
        if package is not None:
            affected.append(package)
        if isinstance(entry, dict):
            for vector in _severities(entry.get("severity"), f"{pointer}/severity"):
                if vector not in severity:
                    severity.append(vector)
    references = []
    for index, ref in enumerate(_list(doc.get("references"), "/references")):
        if isinstance(ref, dict) and isinstance(ref.get("url"), str):
            references.append(ref["url"])
        else:
            raise _Broken(f"/references/{index}", "a reference needs a 'url' string")
    return Advisory(
        advisory_id=advisory_id,
        aliases=tuple(aliases),
        summary=_summary(doc),
        affected=tuple(affected),
        severity=tuple(severity),
        published=_date(doc.get("published")),
        withdrawn=bool(doc.get("withdrawn")),
        source=source,
        references=tuple(references),
    )


def _affected(entry: Any, pointer: str) -> AffectedPackage | None:
    if not isinstance(entry, dict):
        raise _Broken(pointer, "an 'affected' entry must be an object")
    package = entry.get("package")
    if package is None:
        return None  # an entry without a package (GIT-only) names nothing a purl can match
    if not isinstance(package, dict):
        raise _Broken(f"{pointer}/package", "'package' must be an object")
    ecosystem, name = package.get("ecosystem"), package.get("name")
    if not isinstance(ecosystem, str) or not ecosystem.strip():
        raise _Broken(f"{pointer}/package/ecosystem", "missing or empty 'ecosystem'")
    if not isinstance(name, str) or not name.strip():
        raise _Broken(f"{pointer}/package/name", "missing or empty 'name'")
    purl = package.get("purl", "")
    if not isinstance(purl, str):
        raise _Broken(f"{pointer}/package/purl", "'purl' must be a string")
    ecosystem = ecosystem.strip()
    ranges = tuple(
        _range(item, ecosystem, f"{pointer}/ranges/{index}")
        for index, item in enumerate(_list(entry.get("ranges"), f"{pointer}/ranges"))
    )
    versions = tuple(_strings(entry.get("versions"), f"{pointer}/versions"))
    return AffectedPackage(
        ecosystem=ecosystem, name=name.strip(), purl=purl, ranges=ranges, versions=versions
    )


def _range(item: Any, ecosystem: str, pointer: str) -> AffectedRange:
    if not isinstance(item, dict):
        raise _Broken(pointer, "a range must be an object")
    range_type = item.get("type")
    if range_type not in RANGE_TYPES:
        raise _Broken(f"{pointer}/type", f"range type {range_type!r} is not one of "
                      "ECOSYSTEM, SEMVER, GIT")
    raw_events = item.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise _Broken(f"{pointer}/events", "the range has no events")
    grammar = "SEMVER" if range_type == "SEMVER" else ecosystem
    check = range_type == "SEMVER" or (range_type == "ECOSYSTEM" and is_supported(ecosystem))
    events = []
    for index, raw in enumerate(raw_events):
        where = f"{pointer}/events/{index}"
        if not isinstance(raw, dict) or len(raw) != 1:
            raise _Broken(where, "an event must be an object with exactly one of "
                          "introduced, fixed, last_affected, limit")
        ((kind, version),) = raw.items()
        if kind not in EVENT_KINDS:
            raise _Broken(where, f"unknown event key {kind!r} (expected one of "
                          "introduced, fixed, last_affected, limit)")
        if not isinstance(version, str) or not version.strip():
            raise _Broken(f"{where}/{kind}", "the event version must be a non-empty string")
        special = (kind == "introduced" and version == "0") or (kind == "limit" and version == "*")
        if check and not special:
            try:
                parse(grammar, version)
            except UnparseableVersionError as exc:
                raise _Broken(f"{where}/{kind}", f"malformed version: {exc}") from exc
        events.append(RangeEvent(kind=kind, version=version))
    if not any(event.kind == "introduced" for event in events):
        raise _Broken(f"{pointer}/events", "the range has no 'introduced' event")
    return AffectedRange(type=range_type, events=tuple(events))


def _severities(value: Any, pointer: str) -> Iterator[SeverityVector]:
    for index, item in enumerate(_list(value, pointer)):
        if not isinstance(item, dict) or not isinstance(item.get("score"), str):
            raise _Broken(f"{pointer}/{index}", "a severity needs 'type' and a 'score' string")
        if item.get("type") in SEVERITY_TYPES:
            yield SeverityVector(type=str(item["type"]), vector=item["score"].strip())


def _list(value: Any, pointer: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Broken(pointer, "must be a list")
    return value


def _strings(value: Any, pointer: str) -> list[str]:
    items = _list(value, pointer)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise _Broken(f"{pointer}/{index}", "must be a string")
    return [item.strip() for item in items if item.strip()]


def _summary(doc: dict[str, Any]) -> str:
    text = doc.get("summary")
    if not isinstance(text, str) or not text.strip():
        details = doc.get("details")
        lines = details.strip().splitlines() if isinstance(details, str) else []
        text = lines[0] if lines else ""
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _problem(file: str, place: str, message: str) -> InputProblem:
    return InputProblem(
        file=file, place=place, message=message, severity=ProblemSeverity.ERROR,
        collector=COLLECTOR,
    )
