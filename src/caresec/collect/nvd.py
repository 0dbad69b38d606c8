"""Read CVE records with CPE applicability: CVE JSON 5 records and NVD CVE API 2.0 responses.

Source formats:

* **CVE JSON 5** (CVE Record Format 5.x, github.com/CVEProject/cve-schema): ``cveMetadata``
  (``cveId``, ``state``, ``datePublished``) and ``containers.cna`` / ``containers.adp[]`` with
  ``descriptions``, ``metrics`` (``cvssV3_1``, ``cvssV3_0``, ``cvssV4_0``, and ``other`` of type
  ``kev`` or ``ssvc`` as CISA's ADP writes them), ``problemTypes``, ``references``,
  ``affected[]`` (``vendor``, ``product``, ``cpes``, ``versions[]`` with ``version``,
  ``lessThan``, ``lessThanOrEqual``, ``status``, ``versionType``; ``defaultStatus``) and
  ``cpeApplicability`` (5.1: the NVD configuration shape). ``affected`` entries become CPE
  criteria: their ``cpes`` when given, else ``cpe:2.3:*:<vendor>:<product>:*…`` built from the
  names (lower case, spaces as ``_``); ``n/a`` vendors and products give none.
* **NVD CVE API 2.0** (``{"vulnerabilities": [{"cve": {...}}]}``, or one ``cve`` object):
  ``id``, ``published``, ``descriptions``, ``metrics.cvssMetricV40/V31/V30``, ``weaknesses``,
  ``configurations[].nodes[].cpeMatch[]`` (``vulnerable``, ``criteria``,
  ``versionStart/End(Including|Excluding)``), ``cisaExploitAdd``.

Records in state ``REJECTED`` are skipped with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from caresec.collect._cpe import to_cpe23
from caresec.collect._json import as_dict as _dict
from caresec.collect._json import as_list as _list
from caresec.collect._json import as_text as _text
from caresec.collect._text import display_path, problem_from_error
from caresec.collect.csaf import load_json_file
from caresec.errors import InputError
from caresec.model import InputProblem, ProblemSeverity, SeverityVector
from caresec.model.device import (
    CpeConfiguration,
    CpeCriterion,
    CpeNode,
    CveRecord,
    SsvcOptions,
)

__all__ = ["COLLECTOR", "collect_cve_records", "parse_cve_json", "read_cve_file"]

COLLECTOR = "nvd"
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_NOT_GIVEN = {"", "n/a", "*", "0", "unspecified", "-"}


def read_cve_file(
    path: Path, *, display: str | None = None
) -> tuple[list[CveRecord], list[InputProblem]]:
    """Read one CVE JSON 5 record or NVD API 2.0 JSON file.

    Returns:
        The records in file order and a problem per record skipped (place = JSON pointer).

    Raises:
        InputError: not readable JSON, or neither format.
    """
    shown = display or str(path)
    return parse_cve_json(load_json_file(path, shown), source=shown)


def parse_cve_json(data: object, *, source: str) -> tuple[list[CveRecord], list[InputProblem]]:
    """Records of a parsed CVE JSON 5 or NVD API 2.0 object (see the module docstring).

    Raises:
        InputError: the object is neither format.
    """
    if isinstance(data, dict) and isinstance(data.get("cveMetadata"), dict):
        return _cve5(data, source)
    if isinstance(data, dict) and isinstance(data.get("vulnerabilities"), list):
        records: list[CveRecord] = []
        problems: list[InputProblem] = []
        for index, item in enumerate(data["vulnerabilities"]):
            place = f"/vulnerabilities/{index}/cve"
            cve = _dict(item).get("cve")
            if not isinstance(cve, dict):
                problems.append(InputProblem(source, place, "no cve object", collector=COLLECTOR))
                continue
            found = _nvd(cve, source, place)
            if isinstance(found, InputProblem):
                problems.append(found)
            else:
                records.append(found)
        return records, problems
    if isinstance(data, dict) and isinstance(data.get("cve"), dict):
        found = _nvd(data["cve"], source, "/cve")
        return ([], [found]) if isinstance(found, InputProblem) else ([found], [])
    raise InputError(source, "", "neither a CVE JSON 5 record (cveMetadata) nor NVD CVE API 2.0 "
                     "JSON (vulnerabilities[].cve)")


def collect_cve_records(
    folder: Path, display_root: Path
) -> tuple[tuple[CveRecord, ...], tuple[InputProblem, ...]]:
    """Read every ``*.json`` under ``folder`` (recursively, sorted, hidden entries skipped).

    A CVE id met twice keeps the first record and warns. Unreadable files become problems
    (collector ``nvd``); nothing else is lost.
    """
    if not folder.is_dir():
        return (), ()
    records: dict[str, CveRecord] = {}
    problems: list[InputProblem] = []
    for path in _json_files(folder):
        shown = display_path(path, display_root)
        try:
            found, file_problems = read_cve_file(path, display=shown)
        except InputError as exc:
            problems.append(problem_from_error(exc, COLLECTOR))
            continue
        problems.extend(file_problems)
        for record in found:
            if record.cve_id in records:
                problems.append(InputProblem(
                    shown, "", f"{record.cve_id} is also in {records[record.cve_id].source}; "
                    "the first is used", severity=ProblemSeverity.WARNING, collector=COLLECTOR))
                continue
            records[record.cve_id] = record
    return tuple(records.values()), tuple(problems)


def _json_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.json")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(p.startswith(".") for p in relative.parts):
            yield path


# --- CVE JSON 5 ---------------------------------------------------------------------------------


def _cve5(data: dict[str, Any], source: str) -> tuple[list[CveRecord], list[InputProblem]]:
    meta = _dict(data.get("cveMetadata"))
    cve_id = _text(meta.get("cveId"))
    if not _CVE.match(cve_id):
        raise InputError(source, "/cveMetadata/cveId", f"{cve_id!r} is not a CVE id")
    if _text(meta.get("state")).upper() == "REJECTED":
        return [], [InputProblem(source, "/cveMetadata/state", f"{cve_id} is REJECTED; skipped",
                                 severity=ProblemSeverity.WARNING, collector=COLLECTOR)]
    containers = _dict(data.get("containers"))
    cna = _dict(containers.get("cna"))
    adps = [(_dict(a), f"/containers/adp/{i}") for i, a in enumerate(_list(containers.get("adp")))]
    parts = [(cna, "/containers/cna"), *adps]
    problems: list[InputProblem] = []
    configurations: list[CpeConfiguration] = []
    severity: list[SeverityVector] = []
    cwe_ids: list[str] = []
    references: list[str] = []
    kev_date: date | None = None
    ssvc: SsvcOptions | None = None
    for container, pointer in parts:
        for index, affected in enumerate(_list(container.get("affected"))):
            criteria, problem = _affected_criteria(_dict(affected), f"{pointer}/affected/{index}")
            if problem:
                problems.append(InputProblem(source, f"{pointer}/affected/{index}", problem,
                                             severity=ProblemSeverity.WARNING,
                                             collector=COLLECTOR))
            if criteria:
                configurations.append(CpeConfiguration(nodes=(CpeNode("OR", tuple(criteria)),)))
        for index, applicability in enumerate(_list(container.get("cpeApplicability"))):
            configurations.append(_configuration(
                _dict(applicability), f"CVE 5 {pointer}/cpeApplicability/{index}"))
        for metric in _list(container.get("metrics")):
            metric = _dict(metric)
            for key, kind in (("cvssV4_0", "CVSS_V4"), ("cvssV3_1", "CVSS_V3"),
                              ("cvssV3_0", "CVSS_V3")):
                vector = _text(_dict(metric.get(key)).get("vectorString"))
                if vector:
                    severity.append(SeverityVector(kind, vector))
            other = _dict(metric.get("other"))
            content = _dict(other.get("content"))
            if _text(other.get("type")).lower() == "kev":
                kev_date = _date(content.get("dateAdded")) or kev_date
            elif _text(other.get("type")).lower() == "ssvc":
                ssvc = _ssvc(content)
        for problem_type in _list(container.get("problemTypes")):
            for description in _list(_dict(problem_type).get("descriptions")):
                cwe = _text(_dict(description).get("cweId"))
                if cwe and cwe not in cwe_ids:
                    cwe_ids.append(cwe)
        references.extend(_text(_dict(r).get("url")) for r in _list(container.get("references"))
                          if _text(_dict(r).get("url")))
    summary = next((_text(_dict(d).get("value")) for d in _list(cna.get("descriptions"))
                    if _text(_dict(d).get("lang")).lower().startswith("en")), "")
    record = CveRecord(
        cve_id=cve_id, summary=summary, configurations=tuple(configurations),
        severity=tuple(dict.fromkeys(severity)), cwe_ids=tuple(cwe_ids),
        published=_date(meta.get("datePublished")), kev_date_added=kev_date, ssvc=ssvc,
        references=tuple(dict.fromkeys(references)), source=source,
        record_format="CVE JSON 5",
    )
    return [record], problems


def _affected_criteria(affected: dict[str, Any], pointer: str) -> tuple[list[CpeCriterion], str]:
    vendor, product = _text(affected.get("vendor")), _text(affected.get("product"))
    origin = f"CVE 5 {pointer}"
    cpes: list[str] = []
    for value in _list(affected.get("cpes")):
        try:
            cpes.append(to_cpe23(_text(value)))
        except ValueError as exc:
            return [], f"cpes entry not usable: {exc}"
    if not cpes:
        if vendor.lower() in _NOT_GIVEN or product.lower() in _NOT_GIVEN:
            return [], (f"affected product is {vendor or 'n/a'} / {product or 'n/a'}: no vendor "
                        "and product to match (a CPE source must supply them)")
        cpes = [f"cpe:2.3:*:{_cpe_word(vendor)}:{_cpe_word(product)}:*:*:*:*:*:*:*:*"]
        origin += " (vendor and product names)"
    versions = _list(affected.get("versions"))
    default_affected = _text(affected.get("defaultStatus")).lower() == "affected"
    criteria: list[CpeCriterion] = []
    for base in cpes:
        any_version = _with_any_version(base)
        if not versions:
            if default_affected:
                criteria.append(CpeCriterion(any_version, origin=origin))
            elif _has_version(base):
                criteria.append(CpeCriterion(base, origin=origin))
            continue
        for item in versions:
            entry = _dict(item)
            if _text(entry.get("status")).lower() != "affected":
                continue
            if _text(entry.get("versionType")).lower() == "git":
                continue
            start = _text(entry.get("version"))
            start = "" if start.lower() in _NOT_GIVEN else start
            less, less_equal = _text(entry.get("lessThan")), _text(entry.get("lessThanOrEqual"))
            if less or less_equal:
                criteria.append(CpeCriterion(
                    any_version, version_start_including=start,
                    version_end_excluding="" if less in ("", "*") else less,
                    version_end_including="" if less_equal in ("", "*") else less_equal,
                    origin=origin))
            elif start:
                criteria.append(CpeCriterion(any_version, version_start_including=start,
                                             version_end_including=start, origin=origin))
    if not criteria:
        return [], (f"affected entry for {vendor or 'n/a'} / {product or 'n/a'} states no "
                    "affected version")
    return criteria, ""


def _cpe_word(name: str) -> str:
    word = re.sub(r"\s+", "_", name.strip().lower())
    return re.sub(r"[^a-z0-9_.\-~]", lambda m: "\\" + m.group(0), word)


def _with_any_version(cpe: str) -> str:
    fields = re.split(r"(?<!\\):", cpe)
    fields[5] = "*"
    return ":".join(fields)


def _has_version(cpe: str) -> bool:
    return re.split(r"(?<!\\):", cpe)[5] not in ("*", "-")


def _ssvc(content: dict[str, Any]) -> SsvcOptions:
    values: dict[str, str] = {}
    for option in _list(content.get("options")):
        for key, value in _dict(option).items():
            values[key.strip().lower()] = _text(value).lower()
    return SsvcOptions(exploitation=values.get("exploitation", ""),
                       automatable=values.get("automatable", ""),
                       technical_impact=values.get("technical impact", ""),
                       role=_text(content.get("role")))


# --- NVD API 2.0 --------------------------------------------------------------------------------


def _nvd(cve: dict[str, Any], source: str, place: str) -> CveRecord | InputProblem:
    cve_id = _text(cve.get("id"))
    if not _CVE.match(cve_id):
        return InputProblem(source, f"{place}/id", f"{cve_id!r} is not a CVE id",
                            collector=COLLECTOR)
    if _text(cve.get("vulnStatus")).lower() == "rejected":
        return InputProblem(source, place, f"{cve_id} is rejected; skipped",
                            severity=ProblemSeverity.WARNING, collector=COLLECTOR)
    metrics = _dict(cve.get("metrics"))
    severity: list[SeverityVector] = []
    for key, kind in (("cvssMetricV40", "CVSS_V4"), ("cvssMetricV31", "CVSS_V3"),
                      ("cvssMetricV30", "CVSS_V3")):
        for metric in _list(metrics.get(key)):
            vector = _text(_dict(_dict(metric).get("cvssData")).get("vectorString"))
            if vector:
                severity.append(SeverityVector(kind, vector))
    cwe_ids = [_text(_dict(d).get("value")) for w in _list(cve.get("weaknesses"))
               for d in _list(_dict(w).get("description"))
               if _text(_dict(d).get("value")).startswith("CWE-")]
    configurations = tuple(
        _configuration(_dict(c), f"NVD {place}/configurations/{i}")
        for i, c in enumerate(_list(cve.get("configurations"))))
    summary = next((_text(_dict(d).get("value")) for d in _list(cve.get("descriptions"))
                    if _text(_dict(d).get("lang")).lower().startswith("en")), "")
    return CveRecord(
        cve_id=cve_id, summary=summary, configurations=configurations,
        severity=tuple(dict.fromkeys(severity)), cwe_ids=tuple(dict.fromkeys(cwe_ids)),
        published=_date(cve.get("published")), kev_date_added=_date(cve.get("cisaExploitAdd")),
        references=tuple(_text(_dict(r).get("url")) for r in _list(cve.get("references"))
                         if _text(_dict(r).get("url"))),
        source=f"{source} ({place})" if place != "/cve" else source,
        record_format="NVD API 2.0",
    )


def _configuration(raw: dict[str, Any], origin: str) -> CpeConfiguration:
    nodes: list[CpeNode] = []
    for n_index, node in enumerate(_list(raw.get("nodes"))):
        node = _dict(node)
        matches: list[CpeCriterion] = []
        for m_index, match in enumerate(_list(node.get("cpeMatch"))):
            match = _dict(match)
            criteria = _text(match.get("criteria"))
            if not criteria:
                continue
            matches.append(CpeCriterion(
                criteria=criteria,
                vulnerable=match.get("vulnerable") is not False,
                version_start_including=_text(match.get("versionStartIncluding")),
                version_start_excluding=_text(match.get("versionStartExcluding")),
                version_end_including=_text(match.get("versionEndIncluding")),
                version_end_excluding=_text(match.get("versionEndExcluding")),
                origin=f"{origin}/nodes/{n_index}/cpeMatch/{m_index}",
            ))
        nodes.append(CpeNode(operator=_text(node.get("operator")).upper() or "OR",
                             matches=tuple(matches), negate=node.get("negate") is True))
    return CpeConfiguration(nodes=tuple(nodes),
                            operator=_text(raw.get("operator")).upper() or "OR",
                            negate=raw.get("negate") is True)


# --- JSON helpers -------------------------------------------------------------------------------





def _date(value: object) -> date | None:
    found = re.match(r"^(\d{4})-(\d{2})-(\d{2})", _text(value))
    if not found:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None
