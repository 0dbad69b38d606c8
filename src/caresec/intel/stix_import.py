"""Read STIX 2.1 bundles, validate each object with the stix2 library, extract indicators.

Sources: STIX 2.1 (OASIS CS02) §8 (Bundle), §4.7 (Indicator: ``pattern``, ``pattern_type``,
``valid_from``, ``valid_until``, ``confidence``, ``revoked``), §3.6 (versioning: the version with
the latest ``modified`` wins), §7.2 (data markings).

A bundle whose top level is not a bundle is rejected whole (nothing from it is imported);
an object that fails validation is skipped with an :class:`InputProblem` naming its JSON
pointer and property, and the other objects are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import stix2
from stix2 import exceptions as stix_errors
from stix2.utils import parse_into_datetime

from caresec.intel.patterns import decompose
from caresec.intel.tlp import marking_tlp, object_tlp
from caresec.model.intel import (
    Indicator,
    IndicatorSet,
    PatternIndicator,
    PatternSupport,
    Tlp,
)
from caresec.model.problems import InputProblem, ProblemSeverity

COLLECTOR = "intel"
DEFAULT_MAX_BUNDLE_BYTES = 256 * 1024 * 1024
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                 r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

StixObject = dict[str, Any]


def _problem(file: str, place: str, message: str,
             severity: ProblemSeverity = ProblemSeverity.ERROR) -> InputProblem:
    return InputProblem(file=file, place=place, message=message, severity=severity,
                        collector=COLLECTOR)


def read_bundle(path: Path, *, max_bytes: int = DEFAULT_MAX_BUNDLE_BYTES,
                shown: str | None = None) -> tuple[list[StixObject], list[InputProblem]]:
    """Read and validate one STIX 2.1 bundle file.

    Args:
        path: the ``.json`` file.
        max_bytes: larger files are refused before being read (``[intel] max_bundle_mb``).
        shown: the file name to put in problems (default: ``str(path)``).

    Returns:
        ``(objects, problems)``: the valid objects as JSON dicts, in file order; problems for
        the file (then no object is returned) or for single objects (those are skipped).
    """
    name = shown or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return [], [_problem(name, "", f"cannot be read: {exc.strerror}")]
    if size > max_bytes:
        return [], [_problem(name, "", f"is {size / 1e6:.1f} MB, above the limit of "
                             f"{max_bytes / 1e6:.1f} MB; nothing was imported from it",)]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [_problem(name, "", f"cannot be read: {exc.strerror}")]
    return parse_bundle(data, name, max_bytes=max_bytes)


def parse_bundle(data: bytes | str, file: str, *, max_bytes: int = DEFAULT_MAX_BUNDLE_BYTES,
                 ) -> tuple[list[StixObject], list[InputProblem]]:
    """Validate a STIX 2.1 bundle given as JSON text (see :func:`read_bundle`)."""
    if len(data) > max_bytes:
        return [], [_problem(file, "", f"is {len(data) / 1e6:.1f} MB, above the limit of "
                             f"{max_bytes / 1e6:.1f} MB; nothing was imported from it")]
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        return [], [_problem(file, f"line {exc.lineno}, column {exc.colno}",
                             f"not valid JSON: {exc.msg.removesuffix(' at')}")]
    except (UnicodeDecodeError, RecursionError) as exc:
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else "nested too deeply"
        return [], [_problem(file, "", f"not a readable JSON document ({reason})")]
    return check_bundle(document, file)


def check_bundle(document: object, file: str) -> tuple[list[StixObject], list[InputProblem]]:
    """Validate a parsed bundle: top-level shape, then each object (see :func:`check_objects`).

    A top-level error rejects the whole bundle; the object problems are still reported so that
    one run shows everything to fix.
    """
    if not isinstance(document, dict):
        return [], [_problem(file, "", "not a STIX bundle: the document is not a JSON object; "
                             "nothing was imported from it")]
    fatal: list[InputProblem] = []
    if document.get("type") != "bundle":
        found = document.get("type")
        what = "has no \"type\"" if found is None else f"has \"type\": {found!r}"
        fatal.append(_problem(file, "/type", f"not a STIX 2.1 bundle: the top-level object {what}"
                              f" (expected \"bundle\"); nothing was imported from it"))
    bundle_id = document.get("id")
    if not isinstance(bundle_id, str) or not bundle_id.startswith("bundle--") \
            or not _ID.match(bundle_id):
        fatal.append(_problem(file, "/id", f"bundle id {bundle_id!r} is not bundle--<UUID>"))
    raw_objects = document.get("objects", [])
    if not isinstance(raw_objects, list):
        fatal.append(_problem(file, "/objects", "\"objects\" is not a list"))
        raw_objects = []
    objects, problems = check_objects(raw_objects, file)
    if fatal:
        return [], [*fatal, *problems]
    return objects, problems


def check_objects(raw: Sequence[object], file: str, prefix: str = "/objects",
                  ) -> tuple[list[StixObject], list[InputProblem]]:
    """Validate STIX objects one by one with ``stix2.parse`` (no custom content).

    Objects of custom types (``x-…``) are skipped with a warning (caresec does not use them);
    objects without ``spec_version`` are read as STIX 2.0 (§3.1), as the library does.

    Returns:
        ``(valid objects, problems)``; each problem's place is the object's JSON pointer,
        with the property when the library names one.
    """
    valid: list[StixObject] = []
    problems: list[InputProblem] = []
    for index, obj in enumerate(raw):
        place = f"{prefix}/{index}"
        if not isinstance(obj, dict):
            problems.append(_problem(file, place, "not a JSON object; skipped"))
            continue
        obj_type = obj.get("type")
        obj_id = obj.get("id")
        if not isinstance(obj_type, str) or not isinstance(obj_id, str):
            problems.append(_problem(file, place, "an object without \"type\" and \"id\"; "
                                     "skipped"))
            continue
        if obj_type.startswith("x-"):
            problems.append(_problem(file, place, f"custom object type {obj_type!r} is not "
                                     f"used by caresec; skipped", ProblemSeverity.WARNING))
            continue
        try:
            stix2.parse(obj, allow_custom=False)
        except stix_errors.ParseError as exc:
            problems.append(_problem(file, place, f"{obj_id}: unknown object type {obj_type!r} "
                                     f"({exc}); skipped"))
            continue
        except (stix_errors.STIXError, ValueError, TypeError) as exc:
            prop = _property(exc)
            version = "" if "spec_version" in obj else " (no spec_version: read as STIX 2.0)"
            problems.append(_problem(file, f"{place}/{prop}" if prop else place,
                                     f"{obj_id}{version}: {_message(exc)}; skipped"))
            continue
        valid.append(obj)
    return valid, problems


def _property(exc: Exception) -> str:
    prop = getattr(exc, "prop_name", None)
    if isinstance(prop, str):
        return prop
    props = getattr(exc, "properties", None)
    if isinstance(props, (list, tuple)) and len(props) == 1:
        return str(props[0])
    return ""


def _message(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_into_datetime(value)
    except (ValueError, TypeError):
        return None
    return datetime.fromisoformat(parsed.isoformat())


def latest_versions(objects: Iterable[StixObject]) -> list[StixObject]:
    """One object per id: the one with the latest ``modified`` (STIX 2.1 §3.6), file order
    of first appearance kept."""
    chosen: dict[str, StixObject] = {}
    for obj in objects:
        key = str(obj.get("id"))
        current = chosen.get(key)
        if current is None or str(obj.get("modified", "")) > str(current.get("modified", "")):
            chosen[key] = obj
    return list(chosen.values())


def bundle_markings(objects: Iterable[StixObject]) -> dict[str, Tlp]:
    """marking-definition id → TLP, for the TLP markings among ``objects``."""
    found: dict[str, Tlp] = {}
    for obj in objects:
        if obj.get("type") == "marking-definition":
            tlp = marking_tlp(obj)
            if tlp is not None:
                found[str(obj["id"])] = tlp
    return found


def indicator_set(sources: Iterable[tuple[str, Sequence[StixObject]]],
                  default_tlp: Mapping[str, Tlp], fallback_tlp: Tlp = Tlp.AMBER,
                  origin: Mapping[str, str] | None = None) -> IndicatorSet:
    """Indicators of validated STIX objects, per source.

    Args:
        sources: ``(source name, objects)`` pairs; objects already validated.
        default_tlp: TLP per source for objects without a TLP marking.
        fallback_tlp: TLP for sources absent from ``default_tlp``.
        origin: source → text to put in each record's ``origin`` (default: the source name).

    Returns:
        An :class:`IndicatorSet`; revoked indicators and earlier versions are left out;
        values a plain pattern holds that are invalid become warnings (the other values of
        the same pattern are kept); patterns that do not parse become errors.
    """
    indicators: list[Indicator] = []
    patterns: list[PatternIndicator] = []
    problems: list[InputProblem] = []
    groups = [(name, latest_versions(objs)) for name, objs in sources]
    markings = {k: v for _, objs in groups for k, v in bundle_markings(objs).items()}
    for source, objects in groups:
        where = (origin or {}).get(source, source)
        tlp_default = default_tlp.get(source, fallback_tlp)
        for obj in objects:
            if obj.get("type") != "indicator" or obj.get("revoked") is True:
                continue
            _indicator(obj, source, where, object_tlp(obj, markings) or tlp_default,
                       indicators, patterns, problems)
    return IndicatorSet(indicators=tuple(indicators), patterns=tuple(patterns),
                        problems=tuple(problems))


def _indicator(obj: StixObject, source: str, where: str, tlp: Tlp,
               indicators: list[Indicator], patterns: list[PatternIndicator],
               problems: list[InputProblem]) -> None:
    indicator_id = str(obj["id"])
    pattern = str(obj.get("pattern", ""))
    pattern_type = str(obj.get("pattern_type", "stix"))
    confidence = obj.get("confidence")
    common: dict[str, Any] = {
        "indicator_id": indicator_id,
        "source": source,
        "tlp": tlp,
        "confidence": confidence if isinstance(confidence, int) else None,
        "valid_from": _time(obj.get("valid_from")),
        "valid_until": _time(obj.get("valid_until")),
        "name": str(obj.get("name", "")),
        "origin": f"{where} ({indicator_id})",
        "indicator_types": _texts(obj.get("indicator_types"), lower=True),
        "labels": _texts(obj.get("labels")),
    }
    if pattern_type != "stix":
        patterns.append(PatternIndicator(
            pattern=pattern, pattern_type=pattern_type, support=PatternSupport.NOT_SUPPORTED,
            reason=f"pattern_type {pattern_type!r} is not a STIX pattern; caresec evaluates "
                   f"STIX patterns only", **common))
        return
    try:
        parts = decompose(pattern)
    except ValueError as exc:
        problems.append(_problem(where, indicator_id, f"{exc}; indicator skipped"))
        return
    for message in parts.rejected:
        problems.append(_problem(where, indicator_id, f"{message}; that value is skipped",
                                 ProblemSeverity.WARNING))
    if parts.support is None:
        indicators.extend(Indicator(kind=kind, value=value, pattern=pattern, **common)
                          for kind, value in parts.atoms)
        return
    patterns.append(PatternIndicator(
        pattern=pattern, pattern_type=pattern_type, support=parts.support, reason=parts.reason,
        object_types=parts.object_types, candidates=parts.candidates, **common))


def _texts(value: object, *, lower: bool = False) -> tuple[str, ...]:
    """A STIX list of strings as a tuple (anything else: empty)."""
    if not isinstance(value, list):
        return ()
    return tuple(str(v).lower() if lower else str(v) for v in value if isinstance(v, str))
