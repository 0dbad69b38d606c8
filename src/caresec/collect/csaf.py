"""Read CSAF 2.0 advisories (CISA ICS/ICSMA and others) and ROLIE feeds of them.

Source format: OASIS *Common Security Advisory Framework Version 2.0* (2022): ``document``
(``tracking.id``, ``title``, ``category``, ``publisher``, ``notes``, ``references``),
``product_tree`` (§3.1.2: nested ``branches`` of category ``vendor``, ``product_family``,
``product_name``, ``product_version`` or ``product_version_range``, whose leaves carry
``product``: ``product_id``, ``name``, ``product_identification_helper``), and
``vulnerabilities`` (§3.2.3: ``cve``, ``cwe``, ``product_status``, ``remediations``, ``scores``,
``threats``, ``flags``). Only the parts caresec uses are read; every other field is ignored.

A ROLIE feed (RFC 8322, CSAF 2.0 §7.1.20: ``{"feed": {"entry": [...]}}``) names advisories by
URL. caresec does not download: each entry's file is looked for beside the feed by its file name
(``content.src`` or the ``self`` link), and entries not present are reported.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from caresec.collect._json import as_dict as _dict
from caresec.collect._json import as_list as _list
from caresec.collect._json import as_text as _text
from caresec.collect._text import decode_utf8, display_path, problem_from_error
from caresec.errors import InputError
from caresec.model import InputProblem, ProblemSeverity
from caresec.model.device import (
    CsafAdvisory,
    CsafProduct,
    CsafRemediation,
    CsafScore,
    CsafVulnerability,
    ProductStatus,
    RemediationCategory,
)

__all__ = [
    "COLLECTOR",
    "MAX_JSON_BYTES",
    "collect_csaf",
    "is_csaf_document",
    "is_rolie_feed",
    "load_json_file",
    "parse_csaf",
    "read_csaf",
    "read_rolie_feed",
]

COLLECTOR = "csaf"
MAX_JSON_BYTES = 64 * 1024 * 1024
"""Largest CSAF, CVE or VEX JSON file read (bytes)."""

_BRANCH_CATEGORIES = {"vendor", "product_family", "product_name", "product_version",
                      "product_version_range", "architecture", "host_name", "language",
                      "legacy", "patch_level", "service_pack", "specification"}


def load_json_file(path: Path, display: str, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Read a UTF-8 JSON file.

    Raises:
        InputError: unreadable, over ``max_bytes``, not UTF-8 (``byte N``), or malformed JSON
            (``line L, column C``).
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(display, "", f"{size} bytes is over the {max_bytes}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(display, "", f"cannot be read: {exc.strerror or exc}") from exc
    text = decode_utf8(data, display=display)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(display, f"line {exc.lineno}, column {exc.colno}",
                         f"malformed JSON: {exc.msg.removesuffix(' at')}") from exc
    except RecursionError as exc:
        raise InputError(display, "", "the document is nested too deeply to read") from exc


def is_csaf_document(data: object) -> bool:
    """True for a JSON object with ``document.csaf_version``."""
    return (isinstance(data, dict) and isinstance(data.get("document"), dict)
            and "csaf_version" in data["document"])


def is_rolie_feed(data: object) -> bool:
    """True for a ROLIE feed object (``{"feed": {"entry": [...]}}``)."""
    return (isinstance(data, dict) and isinstance(data.get("feed"), dict)
            and isinstance(data["feed"].get("entry", []), list))


def read_csaf(path: Path, *, display: str | None = None) -> CsafAdvisory:
    """Read one CSAF 2.0 document.

    Raises:
        InputError: the file is not readable JSON, not a CSAF document, or lacks
            ``document.tracking.id`` (the place is the JSON pointer).
    """
    shown = display or str(path)
    data = load_json_file(path, shown)
    if not is_csaf_document(data):
        raise InputError(shown, "/document/csaf_version",
                         "not a CSAF document (no document.csaf_version)")
    return parse_csaf(data, source=shown)


def parse_csaf(data: dict[str, Any], *, source: str) -> CsafAdvisory:
    """The :class:`CsafAdvisory` of a parsed CSAF JSON object (see the module docstring).

    Raises:
        InputError: ``document.tracking.id`` is missing, or ``product_tree`` /
            ``vulnerabilities`` are not of the CSAF shapes.
    """
    document = _dict(data.get("document"))
    tracking = _dict(document.get("tracking"))
    advisory_id = _text(tracking.get("id"))
    if not advisory_id:
        raise InputError(source, "/document/tracking/id", "the CSAF document has no tracking id")
    products = tuple(_products(data.get("product_tree"), source))
    raw_vulns = data.get("vulnerabilities", [])
    if not isinstance(raw_vulns, list):
        raise InputError(source, "/vulnerabilities", "vulnerabilities is not a list")
    vulnerabilities = tuple(_vulnerability(_dict(v)) for v in raw_vulns)
    exploitability = ""
    for note in _list(document.get("notes")):
        note = _dict(note)
        if _text(note.get("title")).lower() == "exploitability":
            exploitability = _text(note.get("text"))
    references = tuple(_text(_dict(r).get("url")) for r in _list(document.get("references"))
                       if _text(_dict(r).get("category")) == "self" and _dict(r).get("url"))
    return CsafAdvisory(
        advisory_id=advisory_id,
        title=_text(document.get("title")),
        category=_text(document.get("category")),
        products=products,
        vulnerabilities=vulnerabilities,
        publisher=_text(_dict(document.get("publisher")).get("name")),
        initial_release=_date(tracking.get("initial_release_date")),
        current_release=_date(tracking.get("current_release_date")),
        exploitability=exploitability,
        references=references,
        source=source,
    )


def read_rolie_feed(
    path: Path, *, display: str | None = None, root: Path | None = None
) -> tuple[list[CsafAdvisory], list[InputProblem]]:
    """Read the advisories a ROLIE feed lists, from files beside the feed.

    Args:
        path: the feed JSON.
        display: how to name the feed in problems.
        root: folder against which advisory files are named in problems (default: the feed's).

    Returns:
        The advisories found (feed order) and a problem per entry whose file is not beside the
        feed (warning: not downloaded) or cannot be read (error).

    Raises:
        InputError: the feed itself is not readable JSON or not a ROLIE feed.
    """
    shown = display or str(path)
    data = load_json_file(path, shown)
    if not is_rolie_feed(data):
        raise InputError(shown, "/feed", "not a ROLIE feed (no feed.entry list)")
    base = path.parent
    shown_root = root or base
    advisories: list[CsafAdvisory] = []
    problems: list[InputProblem] = []
    for index, entry in enumerate(data["feed"].get("entry", [])):
        place = f"/feed/entry/{index}"
        name = _entry_file_name(_dict(entry))
        if not name:
            problems.append(InputProblem(shown, place, "entry names no advisory file",
                                         collector=COLLECTOR))
            continue
        local = base / name
        if not local.is_file():
            problems.append(InputProblem(
                shown, place, f"advisory {name} ({_text(_dict(entry).get('id'))}) is listed but "
                "not present beside the feed; download it to use it",
                severity=ProblemSeverity.WARNING, collector=COLLECTOR))
            continue
        try:
            advisories.append(read_csaf(local, display=display_path(local, shown_root)))
        except InputError as exc:
            problems.append(problem_from_error(exc, COLLECTOR))
    return advisories, problems


def collect_csaf(
    folder: Path, display_root: Path
) -> tuple[tuple[CsafAdvisory, ...], tuple[InputProblem, ...]]:
    """Read every CSAF document and ROLIE feed under ``folder`` (recursively, sorted; hidden
    entries skipped). A document listed by a feed and also present as a file is read once; two
    documents with the same ``document.tracking.id`` (revisions of one advisory) keep the one
    with the later ``current_release_date`` (the first in path order when equal) and warn.

    Returns:
        ``(advisories, problems)``; unreadable files become problems (collector ``csaf``).
    """
    advisories: dict[str, CsafAdvisory] = {}
    problems: list[InputProblem] = []
    if not folder.is_dir():
        return (), ()
    for path in _json_files(folder):
        shown = display_path(path, display_root)
        try:
            data = load_json_file(path, shown)
        except InputError as exc:
            problems.append(problem_from_error(exc, COLLECTOR))
            continue
        if is_rolie_feed(data):
            try:
                found, feed_problems = read_rolie_feed(path, display=shown, root=display_root)
            except InputError as exc:
                problems.append(problem_from_error(exc, COLLECTOR))
                continue
            problems.extend(feed_problems)
            for advisory in found:
                advisories.setdefault(advisory.source, advisory)
            continue
        if not is_csaf_document(data):
            problems.append(InputProblem(shown, "", "not a CSAF document or ROLIE feed; skipped",
                                         severity=ProblemSeverity.WARNING, collector=COLLECTOR))
            continue
        try:
            advisories.setdefault(shown, parse_csaf(data, source=shown))
        except InputError as exc:
            problems.append(problem_from_error(exc, COLLECTOR))
    latest: dict[str, CsafAdvisory] = {}
    for advisory in sorted(advisories.values(), key=lambda a: (a.advisory_id, a.source)):
        kept = latest.get(advisory.advisory_id)
        if kept is None:
            latest[advisory.advisory_id] = advisory
            continue
        newer = _release(advisory) > _release(kept)
        used, dropped = (advisory, kept) if newer else (kept, advisory)
        latest[advisory.advisory_id] = used
        problems.append(InputProblem(
            dropped.source, "/document/tracking/id",
            f"{advisory.advisory_id} is also in {used.source}; the later revision (current "
            f"release {_shown(used)}) is used", severity=ProblemSeverity.WARNING,
            collector=COLLECTOR))
    return tuple(latest.values()), tuple(problems)


def _release(advisory: CsafAdvisory) -> date:
    return advisory.current_release or advisory.initial_release or date.min


def _shown(advisory: CsafAdvisory) -> str:
    released = advisory.current_release or advisory.initial_release
    return released.isoformat() if released else "not stated"


def _json_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.json")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(p.startswith(".") for p in relative.parts):
            yield path


def _entry_file_name(entry: dict[str, Any]) -> str:
    urls = [_text(_dict(entry.get("content")).get("src"))]
    urls += [_text(_dict(link).get("href")) for link in _list(entry.get("link"))
             if _text(_dict(link).get("rel")) == "self"]
    for url in urls:
        if url:
            name = posixpath.basename(urlparse(url).path)
            if name.endswith(".json") and "/" not in name and name not in {".", ".."}:
                return name
    return ""


# --- product tree -------------------------------------------------------------------------------


def _products(tree: object, source: str) -> Iterator[CsafProduct]:
    if tree is None:
        return
    if not isinstance(tree, dict):
        raise InputError(source, "/product_tree", "product_tree is not an object")
    yield from _walk(_list(tree.get("branches")), "/product_tree/branches", {})
    for index, full in enumerate(_list(tree.get("full_product_names"))):
        product = _leaf(_dict(full), {}, f"/product_tree/full_product_names/{index}")
        if product is not None:
            yield product


def _walk(branches: list[Any], pointer: str, context: dict[str, str]) -> Iterator[CsafProduct]:
    for index, raw in enumerate(branches):
        branch = _dict(raw)
        here = f"{pointer}/{index}"
        category = _text(branch.get("category"))
        name = _text(branch.get("name"))
        inner = dict(context)
        if category in _BRANCH_CATEGORIES:
            if category in {"product_name", "product_family"}:
                key = "product_name"
                inner[key] = f"{inner[key]} / {name}" if inner.get(key) else name
            elif category == "product_version_range":
                inner["version"], inner["range"] = name, "yes"
            elif category == "product_version":
                inner["version"], inner["range"] = name, ""
            elif category == "vendor":
                inner["vendor"] = name
        if "product" in branch:
            product = _leaf(_dict(branch.get("product")), inner, f"{here}/product")
            if product is not None:
                yield product
        yield from _walk(_list(branch.get("branches")), f"{here}/branches", inner)


def _leaf(product: dict[str, Any], context: dict[str, str], place: str) -> CsafProduct | None:
    product_id = _text(product.get("product_id"))
    if not product_id:
        return None
    helper = _dict(product.get("product_identification_helper"))
    purls = [_text(helper.get("purl"))] + [_text(p) for p in _list(helper.get("purls"))]
    return CsafProduct(
        product_id=product_id,
        name=_text(product.get("name")),
        vendor=context.get("vendor", ""),
        product_name=context.get("product_name", ""),
        version=context.get("version", ""),
        version_is_range=bool(context.get("range")),
        cpe=_text(helper.get("cpe")),
        purls=tuple(p for p in purls if p),
        place=place,
    )


# --- vulnerabilities ----------------------------------------------------------------------------


def _vulnerability(raw: dict[str, Any]) -> CsafVulnerability:
    status: list[tuple[ProductStatus, tuple[str, ...]]] = []
    for key, ids in _dict(raw.get("product_status")).items():
        try:
            group = ProductStatus(key)
        except ValueError:
            continue
        status.append((group, tuple(_text(i) for i in _list(ids) if _text(i))))
    remediations: list[CsafRemediation] = []
    for item in _list(raw.get("remediations")):
        rem = _dict(item)
        try:
            category = RemediationCategory(_text(rem.get("category")))
        except ValueError:
            continue
        remediations.append(CsafRemediation(
            category=category, details=_text(rem.get("details")), url=_text(rem.get("url")),
            product_ids=tuple(_text(i) for i in _list(rem.get("product_ids")) if _text(i))))
    scores: list[CsafScore] = []
    for item in _list(raw.get("scores")):
        score = _dict(item)
        products = tuple(_text(i) for i in _list(score.get("products")) if _text(i))
        for key, kind in (("cvss_v3", "CVSS_V3"), ("cvss_v2", "CVSS_V2")):
            cvss = _dict(score.get(key))
            vector = _text(cvss.get("vectorString"))
            if vector:
                base = cvss.get("baseScore")
                scores.append(CsafScore(kind, vector, float(base) if isinstance(
                    base, int | float) and not isinstance(base, bool) else None, products))
    title = _text(raw.get("title"))
    cwe = _dict(raw.get("cwe"))
    impacts = tuple(
        (_text(_dict(t).get("details")),
         tuple(_text(i) for i in _list(_dict(t).get("product_ids")) if _text(i)))
        for t in _list(raw.get("threats")) if _text(_dict(t).get("category")) == "impact")
    flags = tuple(
        (_text(_dict(f).get("label")),
         tuple(_text(i) for i in _list(_dict(f).get("product_ids")) if _text(i)))
        for f in _list(raw.get("flags")) if _text(_dict(f).get("label")))
    return CsafVulnerability(
        cve=_text(raw.get("cve")),
        product_status=tuple(status),
        remediations=tuple(remediations),
        scores=tuple(scores),
        ids=tuple(_text(_dict(i).get("text")) for i in _list(raw.get("ids"))
                  if _text(_dict(i).get("text"))),
        title=title,
        cwe_id=_text(cwe.get("id")),
        impacts=impacts,
        flags=flags,
    )


# --- JSON helpers -------------------------------------------------------------------------------





_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def _date(value: object) -> date | None:
    found = _DATE.match(_text(value))
    if not found:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None
