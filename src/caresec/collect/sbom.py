"""Read SBOMs (CycloneDX 1.2–1.6 JSON/XML, SPDX 2.2/2.3 JSON/tag-value) and link them to assets.

The format is recognized from the content, not the file name: a JSON object with
``"bomFormat": "CycloneDX"`` is CycloneDX, one with ``spdxVersion`` is SPDX; an XML document whose
root is ``<bom>`` in a ``http://cyclonedx.org/schema/bom/1.x`` namespace is CycloneDX; a text
with an ``SPDXVersion:`` line is SPDX tag-value. XML is parsed only by defusedxml with DTDs
forbidden, so entity-expansion ("billion laughs") and external-entity (XXE) documents are refused
before any library sees them. Format details: :mod:`caresec.collect._cyclonedx`,
:mod:`caresec.collect._spdx`; component checks: :mod:`caresec.collect._components`.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

from caresec.collect._components import COLLECTOR, ParsedSbom, finish_components
from caresec.collect._cyclonedx import (
    NAMESPACE_PREFIX,
    parse_cyclonedx_json,
    parse_cyclonedx_xml,
)
from caresec.collect._spdx import parse_spdx_json, parse_spdx_tagvalue
from caresec.collect._text import decode_utf8, display_path, problem_from_error
from caresec.collect.inventory import split_source
from caresec.errors import InputError
from caresec.model import Asset, InputProblem, OrgConfig, ProblemSeverity, Sbom

#: File endings read from the SBOM folder (``.cdx.json``, ``.spdx.json``, ``.bom.xml`` included).
SBOM_SUFFIXES = (".json", ".xml", ".spdx")
#: File endings skipped without a word (notes kept beside the SBOMs).
NOTE_SUFFIXES = (".md", ".txt")
_TAG_VALUE = re.compile(r"^\s*SPDXVersion\s*:", re.MULTILINE)
_XML_POSITION = re.compile(r":\s*line \d+, column \d+$")


def read_sbom(path: Path, *, sbom_id: str, display: str | None = None) -> Sbom:
    """Read one SBOM file.

    Args:
        path: the file.
        sbom_id: the id it gets (:attr:`Sbom.sbom_id`, :attr:`Component.sbom_id`).
        display: the path as shown to the user (default ``str(path)``); used as
            :attr:`Sbom.path` and in every error and problem.

    Returns:
        The :class:`Sbom` with components flattened and checked (see
        :func:`caresec.collect._components.finish_components`). Its ``problems`` hold the
        warnings met (a dropped purl or CPE, lenient CycloneDX parsing and why); ``asset_ids``
        is empty (:func:`collect_sboms` links assets).

    Raises:
        InputError: the file cannot be read, is not UTF-8 (``byte N``), is malformed JSON
            (``line L, column C``) or XML (``line L, column C``), uses an XML DTD or entity
            (refused), is neither CycloneDX nor SPDX, or spdx-tools rejects it.
    """
    shown = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(shown, "", f"cannot be read: {exc.strerror}") from exc
    text = decode_utf8(data, display=shown)
    try:
        parsed = _parse(text, shown)
    except RecursionError as exc:
        raise InputError(shown, "", "the document is nested too deeply to read") from exc
    components, problems = finish_components(parsed.drafts, sbom_id=sbom_id, display=shown)
    return Sbom(
        sbom_id=sbom_id,
        path=shown,
        format=parsed.format,
        spec_version=parsed.spec_version,
        serialization=parsed.serialization,
        subject=parsed.subject,
        components=tuple(components),
        problems=tuple(parsed.problems + problems),
    )


def collect_sboms(
    org: OrgConfig, assets: Sequence[Asset]
) -> tuple[tuple[Sbom, ...], tuple[InputProblem, ...]]:
    """Read every SBOM under ``org.sbom_dir`` (recursively) and link them to the assets.

    Files ending in ``.json``, ``.xml`` or ``.spdx`` are read, plus any file an asset names;
    hidden files and folders are skipped, ``.md``/``.txt`` notes silently, anything else with
    a warning. ``sbom_id`` is the path relative to ``org.sbom_dir`` in POSIX form, and
    :attr:`Asset.sbom_files` entries are matched against it.

    Returns:
        ``(sboms, problems)``: SBOMs in path order, each with ``asset_ids`` (inventory order)
        copied onto every component; problems include unreadable SBOMs (error), warnings from
        reading, and an error for each asset naming an SBOM that does not exist (named by the
        asset's inventory file and ``row N, column sbom``).
    """
    problems: list[InputProblem] = []
    sbom_display = display_path(org.sbom_dir, org.root)
    references: dict[str, list[Asset]] = {}
    for asset in assets:
        for entry in asset.sbom_files:
            key = _normalize(entry)
            if key is None:
                problems.append(_asset_problem(
                    asset, f"SBOM path {entry!r} is outside the {sbom_display} folder; write it "
                    f"relative to {sbom_display}/"))
                continue
            users = references.setdefault(key, [])
            if asset not in users:
                users.append(asset)

    files: dict[str, Path] = {}
    if org.sbom_dir.is_dir():
        for path in sorted(org.sbom_dir.rglob("*")):
            relative = path.relative_to(org.sbom_dir).as_posix()
            if not path.is_file() or any(p.startswith(".") for p in relative.split("/")):
                continue
            suffix = path.suffix.lower()
            if suffix in SBOM_SUFFIXES or relative in references:
                files[relative] = path
            elif suffix not in NOTE_SUFFIXES:
                problems.append(InputProblem(
                    file=display_path(path, org.root), place="",
                    message="not read: SBOM files must end in .json, .xml or .spdx",
                    severity=ProblemSeverity.WARNING, collector=COLLECTOR,
                ))
    elif references:
        problems.append(InputProblem(
            file=sbom_display, place="",
            message="the SBOM folder does not exist, but the inventory names SBOMs in it",
            collector=COLLECTOR,
        ))

    for key, users in references.items():
        if key in files:
            continue
        for asset in users:
            problems.append(_asset_problem(asset, _missing_message(org, key, asset, sbom_display)))

    sboms: list[Sbom] = []
    for sbom_id, path in files.items():
        try:
            sbom = read_sbom(path, sbom_id=sbom_id, display=display_path(path, org.root))
        except InputError as exc:
            problems.append(problem_from_error(exc, COLLECTOR))
            continue
        problems.extend(sbom.problems)
        asset_ids = tuple(a.asset_id for a in references.get(sbom_id, ()))
        if asset_ids:
            sbom = replace(
                sbom,
                asset_ids=asset_ids,
                components=tuple(replace(c, asset_ids=asset_ids) for c in sbom.components),
            )
        sboms.append(sbom)
    return tuple(sboms), tuple(problems)


def _parse(text: str, display: str) -> ParsedSbom:
    stripped = text.lstrip()
    if not stripped:
        raise InputError(display, "", "the file is empty")
    if stripped[0] in "{[":
        return _parse_json(text, display)
    if stripped[0] == "<":
        return _parse_xml(text, display)
    if _TAG_VALUE.search(text):
        return parse_spdx_tagvalue(text, display=display)
    raise InputError(
        display, "line 1",
        "not an SBOM caresec can read (expected CycloneDX JSON/XML, SPDX JSON or SPDX "
        "tag-value)",
    )


def _parse_json(text: str, display: str) -> ParsedSbom:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(display, f"line {exc.lineno}, column {exc.colno}",
                         f"malformed JSON: {exc.msg.removesuffix(' at')}") from exc
    if not isinstance(data, dict):
        raise InputError(display, "", "the JSON document is a list, not a CycloneDX or SPDX "
                         "document (an object)")
    bom_format = data.get("bomFormat")
    schema = data.get("$schema")
    if (isinstance(bom_format, str) and bom_format.strip().lower() == "cyclonedx") or (
        isinstance(schema, str) and "cyclonedx" in schema.lower()
    ):
        return parse_cyclonedx_json(data, display=display)
    if "spdxVersion" in data:
        return parse_spdx_json(data, display=display)
    if "@context" in data and "spdx" in json.dumps(data.get("@context")).lower():
        raise InputError(display, "/@context",
                         "SPDX 3 (JSON-LD) is not supported yet; export SPDX 2.3 JSON")
    raise InputError(display, "", "JSON document is neither CycloneDX (no \"bomFormat\": "
                     "\"CycloneDX\") nor SPDX (no \"spdxVersion\")")


def _parse_xml(text: str, display: str) -> ParsedSbom:
    try:
        root = safe_fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InputError(
            display, "", f"the XML document uses a DTD or entity, refused ({type(exc).__name__}: "
            f"caresec never loads DTDs or expands entities)",
        ) from exc
    except ParseError as exc:
        line, column = exc.position
        reason = _XML_POSITION.sub("", str(exc))
        raise InputError(display, f"line {line}, column {column + 1}",
                         f"malformed XML: {reason}") from exc
    tag = root.tag
    if tag.startswith("{" + NAMESPACE_PREFIX) and tag.endswith("}bom"):
        return parse_cyclonedx_xml(root, display=display)
    if tag.endswith("}RDF"):
        raise InputError(display, "", "SPDX RDF/XML is not supported; export SPDX 2.3 JSON or "
                         "tag-value")
    raise InputError(display, "", f"the XML root element is {tag!r}, not a CycloneDX <bom> in "
                     f"a {NAMESPACE_PREFIX}1.x namespace")


def _normalize(entry: str) -> str | None:
    """``entry`` as a clean POSIX path inside the SBOM folder, or None when it leaves it."""
    if entry.startswith("/") or re.match(r"^[A-Za-z]:", entry):
        return None
    normal = posixpath.normpath(entry)
    if normal == ".." or normal.startswith("../") or normal == ".":
        return None
    return normal


def _missing_message(org: OrgConfig, key: str, asset: Asset, sbom_display: str) -> str:
    target = org.sbom_dir / key
    if target.is_dir():
        return f"asset {asset.asset_id!r} names SBOM {key!r}, which is a folder, not a file"
    message = (f"asset {asset.asset_id!r} names SBOM {key!r}, which does not exist in "
               f"{sbom_display}/")
    beside_root = org.root / key
    if beside_root.is_file():
        try:
            hint = beside_root.resolve().relative_to(org.sbom_dir.resolve()).as_posix()
        except ValueError:
            hint = ""
        if hint:
            message += f"; SBOM paths are relative to {sbom_display}/: write {hint!r}"
    return message


def _asset_problem(asset: Asset, message: str) -> InputProblem:
    try:
        file, row = split_source(asset.source)
        place = f"row {row}, column sbom"
    except ValueError:
        file, place = asset.source or "inventory", "column sbom"
    return InputProblem(file=file, place=place, message=message, collector=COLLECTOR)
