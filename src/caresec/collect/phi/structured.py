"""Structured formats: CSV/TSV, XLSX, JSON/NDJSON (FHIR recognised), HL7 v2, DICOM headers.

Field meanings come from the formats' specifications:

* HL7 v2 (HL7 Version 2.5.1 Ch. 3 and 6): PID-3 patient identifiers (type code ``SS`` = SSN,
  else MRN), PID-5/6/9 names, PID-7 birth date, PID-11 address, PID-13/14 phones, PID-18
  account number, PID-19 SSN, PID-20 driver's licence, PID-29 death date; NK1-2/4/5/6 next of
  kin; PV1-7/8/9/17 providers (XCN: id, family, given), PV1-19 visit number, PV1-44/45
  admit/discharge; IN1-16/18/19/36/49 insured's name, birth date, address, policy and id;
  GT1-3/5/6/12 guarantor; ORC-12, OBR-16 ordering provider; OBX-5 text values and NTE-3
  comments are narrative.
* FHIR R4 (hl7.org/fhir/R4): ``HumanName``, ``ContactPoint`` (``system`` phone/fax/email),
  ``Address``, ``Identifier`` (type ``MR``/``SS``/``MB``/``NPI`` codes of v2-0203 or the
  ``us-ssn``/``us-npi`` systems), ``birthDate``, ``deceasedDateTime``, ``Coverage.subscriberId``,
  and ``Narrative.div`` text.
* DICOM PS3.6 data dictionary: every Person Name (PN) element, PatientID/OtherPatientIDs,
  PatientBirthDate and study/series/acquisition/content dates, AccessionNumber,
  PatientAddress, PatientTelephoneNumbers, DeviceSerialNumber, PatientAge over 89. Pixel data
  is never read (``stop_before_pixels``).

Values read from name fields seed the detection of names in the free text of the same file.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any

from caresec.collect.phi.accumulate import Tally
from caresec.collect.phi.context import FileContext
from caresec.collect.phi.hints import NARRATIVE, hint_for
from caresec.collect.phi.tables import TableScanner
from caresec.model.phi import PhiType
from caresec.phi import checks

BATCH_ROWS = 2_000
_PLACEHOLDER_NAMES = frozenset({"anonymous", "anon", "unknown", "test", "none", "n/a", "na", "-",
                                "----", "xxx", "redacted", "removed"})
_TAG = re.compile(r"<[^>]+>")


# -- CSV / TSV ---------------------------------------------------------------------------------
def scan_csv(ctx: FileContext, location: str, text: str, *, delimiter: str | None = None) -> None:
    """A CSV or TSV table: the first row is the header, columns routed by
    :class:`~caresec.collect.phi.tables.TableScanner`."""
    first_line = text[:4096].split("\n", 1)[0]
    if delimiter is None:
        delimiter = max((",", "\t", ";", "|"), key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        ctx.problem(location, "line 1", f"not a readable table ({exc})")
        return
    seeds: set[str] = set()
    table = TableScanner(ctx.detector, ctx.key, location, "csv", header, seeds)
    batch: list[list[str]] = []
    row_number = 2
    try:
        for row in reader:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                table.feed(batch, row_number)
                row_number += len(batch)
                batch = []
    except csv.Error as exc:
        ctx.problem(location, f"row {row_number + len(batch)}",
                    f"the table stops being readable here ({exc}); rows before it were scanned")
    if batch:
        table.feed(batch, row_number)
    ctx.tallies.extend(table.finish())


# -- XLSX -------------------------------------------------------------------------------------
def scan_xlsx(ctx: FileContext, location: str, data: bytes) -> None:
    """Every worksheet of a workbook (values as last computed, formulas not evaluated): the
    first non-empty row of a sheet is its header."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header: list[str] | None = None
            seeds: set[str] = set()
            table: TableScanner | None = None
            batch: list[list[str]] = []
            number = 0
            for raw in rows:
                number += 1
                values = ["" if v is None else str(v) for v in raw]
                if header is None:
                    if any(values):
                        header = values
                        table = TableScanner(ctx.detector, ctx.key, f"{location}!{sheet.title}",
                                             "xlsx", header, seeds)
                        start = number + 1
                    continue
                batch.append(values)
                if len(batch) >= BATCH_ROWS and table is not None:
                    table.feed(batch, start)
                    start += len(batch)
                    batch = []
            if table is not None:
                if batch:
                    table.feed(batch, start)
                ctx.tallies.extend(table.finish())
    finally:
        workbook.close()


# -- JSON, NDJSON, FHIR ----------------------------------------------------------------------
def scan_json(ctx: FileContext, location: str, text: str, *, ndjson: bool = False) -> None:
    """A JSON document or NDJSON lines. FHIR resources and bundles (a ``resourceType`` key)
    are read by FHIR field rules; other JSON by key names, then content."""
    documents: list[tuple[str, Any]] = []
    if ndjson:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    documents.append((f"line {number}", json.loads(line)))
                except json.JSONDecodeError as exc:
                    ctx.problem(location, f"line {number}",
                                f"not valid JSON ({exc.msg.removesuffix(' at')})")
    else:
        try:
            documents.append(("", json.loads(text)))
        except json.JSONDecodeError as exc:
            ctx.problem(location, f"line {exc.lineno}, column {exc.colno}",
                        f"not valid JSON ({exc.msg.removesuffix(' at')})")
            return
    fhir = any(isinstance(d, dict) and "resourceType" in d for _, d in documents)
    tally = ctx.tally(location, "file", "fhir" if fhir else ("ndjson" if ndjson else "json"))
    tally.records = len(documents)
    seeds: set[str] = set()
    narratives: list[tuple[str, str]] = []
    for where, document in documents:
        for pointer, key, value, parents in _leaves(document, where):
            if fhir and key in _FHIR_STRUCTURAL:
                continue
            kind = _fhir_kind(key, parents) if fhir else None
            if kind is None:
                hint = None if fhir and key == "name" else hint_for(key)
                kind = hint if isinstance(hint, PhiType) else None
                if hint == NARRATIVE or (kind is None and fhir and key == "div"):
                    narratives.append((pointer, _TAG.sub(" ", value)))
                    continue
            if kind is None:
                narratives.append((pointer, value))
                continue
            _add_field(tally, kind, value, pointer, "fhir" if fhir else "json-key", seeds)
    ctx.scan_pieces(tally, narratives, seeds=seeds)


def _leaves(node: Any, pointer: str, key: str = "",
            parents: tuple[Any, ...] = ()) -> Iterator[tuple[str, str, str, tuple[Any, ...]]]:
    """``(JSON pointer, key, string value, ancestor objects)`` of every string leaf."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{pointer}/{k}", str(k), (*parents, node))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, f"{pointer}/{i}", key, parents)
    elif isinstance(node, str) and node.strip():
        yield pointer, key, node, parents
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield pointer, key, str(node), parents


#: FHIR elements that hold schema, codes and references, never free text about a person.
_FHIR_STRUCTURAL = frozenset({
    "resourceType", "id", "system", "url", "fullUrl", "reference", "profile", "code", "version",
    "versionId", "lastUpdated", "status", "use", "type", "mode", "contentType", "language",
    "format", "hash", "size", "creation", "relationship", "gender", "kind", "unit", "source",
    "method", "security", "tag", "valueUri", "canonical", "uri",
})
_FHIR_NAME_KEYS = frozenset({"family", "given", "text", "prefix", "suffix"})
_IDENTIFIER_CODES = {"MR": PhiType.MRN, "SS": PhiType.SSN, "MB": PhiType.HEALTH_PLAN_ID,
                     "SN": PhiType.HEALTH_PLAN_ID, "MC": PhiType.MBI, "DL": PhiType.LICENSE,
                     "PPN": PhiType.LICENSE, "NPI": PhiType.NPI, "AN": PhiType.ACCOUNT,
                     "PRN": PhiType.NPI}


def _fhir_kind(key: str, parents: tuple[Any, ...]) -> PhiType | None:
    """The identifier type of a FHIR leaf, from its key and the elements around it."""
    parent = parents[-1] if parents else {}
    resource = next((p for p in reversed(parents) if isinstance(p, dict) and "resourceType" in p),
                    {})
    rtype = resource.get("resourceType", "") if isinstance(resource, dict) else ""
    person = rtype in {"Patient", "Practitioner", "RelatedPerson", "Person"}
    grand = parents[-2] if len(parents) > 1 else {}
    if key in _FHIR_NAME_KEYS and isinstance(parent, dict) and ("family" in parent
                                                                or "given" in parent):
        return PhiType.NAME
    if key == "text" and isinstance(grand, dict) and any(
            isinstance(v, list) and parent in v for k, v in grand.items() if k == "name"):
        return PhiType.NAME
    if key == "value" and isinstance(parent, dict) and "system" in parent:
        system = str(parent.get("system", ""))
        if system in ("phone", "sms", "pager"):
            return PhiType.PHONE
        if system == "fax":
            return PhiType.FAX
        if system == "email":
            return PhiType.EMAIL
        if system == "url":
            return PhiType.URL
        if "us-ssn" in system:
            return PhiType.SSN
        if "us-npi" in system:
            return PhiType.NPI
        if "us-mbi" in system or "medicare" in system.lower():
            return PhiType.MBI
        codes = _codes(parent.get("type"))
        for code in codes:
            if code in _IDENTIFIER_CODES:
                return _IDENTIFIER_CODES[code]
        if person or rtype in ("Coverage", "Account"):
            return {"Coverage": PhiType.HEALTH_PLAN_ID, "Account": PhiType.ACCOUNT,
                    "Practitioner": PhiType.LICENSE}.get(rtype, PhiType.MRN)
        return None
    if key in ("line",) and isinstance(parent, dict) and ("city" in parent or "postalCode"
                                                          in parent or "line" in parent):
        return PhiType.ADDRESS
    if key == "city" and isinstance(parent, dict) and "line" in parent:
        return PhiType.LOCATION
    if key == "postalCode":
        return PhiType.ZIP
    if key in ("birthDate", "deceasedDateTime") or (key == "start" and rtype == "Encounter"):
        return PhiType.DATE
    if key == "subscriberId":
        return PhiType.HEALTH_PLAN_ID
    return None


def _codes(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [str(c.get("code", "")) for c in node.get("coding", []) if isinstance(c, dict)]
    return []


def _add_field(tally: Tally, kind: PhiType, value: str, place: str, detector: str,
               seeds: set[str]) -> None:
    value = value.strip()
    if not value or value.lower() in _PLACEHOLDER_NAMES:
        return
    if kind is PhiType.AGE:
        digits = re.match(r"\d+", value)
        if not digits or int(digits.group()) <= 89:
            return
    if kind is PhiType.NAME and len(value) > 1:
        seeds.add(value)
    tally.add(kind, value, place, detector)


# -- HL7 v2 -----------------------------------------------------------------------------------
# (segment, field) → type; XCN/XPN/XAD fields handled by component.
_HL7_FIELDS: dict[tuple[str, int], PhiType | str] = {
    ("PID", 3): "CX", ("PID", 2): PhiType.MRN, ("PID", 4): PhiType.MRN,
    ("PID", 5): "XPN", ("PID", 6): "XPN", ("PID", 9): "XPN", ("PID", 7): PhiType.DATE,
    ("PID", 11): "XAD", ("PID", 13): PhiType.PHONE, ("PID", 14): PhiType.PHONE,
    ("PID", 18): PhiType.ACCOUNT, ("PID", 19): PhiType.SSN, ("PID", 20): PhiType.LICENSE,
    ("PID", 29): PhiType.DATE,
    ("NK1", 2): "XPN", ("NK1", 4): "XAD", ("NK1", 5): PhiType.PHONE, ("NK1", 6): PhiType.PHONE,
    ("NK1", 30): "XPN", ("NK1", 31): PhiType.PHONE, ("NK1", 32): "XAD", ("NK1", 37): PhiType.SSN,
    ("PV1", 7): "XCN", ("PV1", 8): "XCN", ("PV1", 9): "XCN", ("PV1", 17): "XCN",
    ("PV1", 19): PhiType.ACCOUNT, ("PV1", 44): PhiType.DATE, ("PV1", 45): PhiType.DATE,
    ("IN1", 16): "XPN", ("IN1", 18): PhiType.DATE, ("IN1", 19): "XAD",
    ("IN1", 36): PhiType.HEALTH_PLAN_ID, ("IN1", 49): PhiType.HEALTH_PLAN_ID,
    ("GT1", 3): "XPN", ("GT1", 5): "XAD", ("GT1", 6): PhiType.PHONE, ("GT1", 7): PhiType.PHONE,
    ("GT1", 8): PhiType.DATE, ("GT1", 12): PhiType.SSN,
    ("ORC", 12): "XCN", ("OBR", 16): "XCN", ("OBR", 28): "XCN", ("OBR", 32): "XCN",
    ("PD1", 4): "XCN", ("MRG", 1): PhiType.MRN, ("MRG", 3): PhiType.ACCOUNT,
}
_NARRATIVE_FIELDS = {("OBX", 5), ("NTE", 3)}
_SEGMENT_SPLIT = re.compile(r"\r\n|\n|\r")


def scan_hl7(ctx: FileContext, location: str, text: str) -> None:
    """HL7 v2 messages (one or many, segments separated by CR, LF or CRLF)."""
    import hl7

    lines = [ln for ln in _SEGMENT_SPLIT.split(text) if ln.strip()]
    messages: list[list[str]] = []
    for line in lines:
        if line.startswith("MSH") or not messages:
            messages.append([])
        messages[-1].append(line)
    tally = ctx.tally(location, "file", "hl7v2")
    tally.records = len(messages)
    seeds: set[str] = set()
    narratives: list[tuple[str, str]] = []
    for number, segments in enumerate(messages, 1):
        try:
            message = hl7.parse("\r".join(segments))
        except Exception as exc:  # the hl7 package raises several types on bad input
            ctx.problem(location, f"message {number}", f"not a readable HL7 v2 message ({exc})")
            continue
        counters: dict[str, int] = {}
        for segment in message:
            sid = str(segment[0])
            counters[sid] = counters.get(sid, 0) + 1
            for index in range(1, len(segment)):
                rule = _HL7_FIELDS.get((sid, index))
                place = f"message {number} {sid}-{index}"
                if (sid, index) in _NARRATIVE_FIELDS:
                    value = " ".join(str(segment[index]).replace("^", " ").split())
                    if value:
                        narratives.append((place, value))
                    continue
                if rule is None:
                    continue
                for repetition in _repetitions(segment[index]):
                    _hl7_value(tally, rule, repetition, place, seeds)
    ctx.scan_pieces(tally, narratives, seeds=seeds)


def _repetitions(field: Any) -> list[list[str]]:
    """The repetitions of a field, each as its list of component strings."""
    text = str(field)
    if not text:
        return []
    return [rep.split("^") for rep in text.split("~") if rep]


def _hl7_value(tally: Tally, rule: PhiType | str, comps: Sequence[str], place: str,
               seeds: set[str]) -> None:
    def part(i: int) -> str:
        return comps[i].split("&")[0].strip() if i < len(comps) else ""

    if isinstance(rule, PhiType):
        value = part(0) if rule is not PhiType.PHONE else " ".join(c for c in comps if c)
        if rule is PhiType.DATE:
            value = value[:8]
        _add_field(tally, rule, value, place, "hl7", seeds)
    elif rule == "CX":
        kind = PhiType.SSN if part(4).upper() == "SS" else (
            PhiType.HEALTH_PLAN_ID if part(4).upper() in ("MB", "SN") else PhiType.MRN)
        _add_field(tally, kind, part(0), f"{place} ({part(4) or 'id'})", "hl7", seeds)
    elif rule == "XPN":
        name = " ".join(p for p in (part(1), part(2), part(0)) if p)
        _add_field(tally, PhiType.NAME, name, place, "hl7", seeds)
    elif rule == "XCN":
        ident = part(0)
        if ident and checks.npi_valid(ident):
            _add_field(tally, PhiType.NPI, ident, f"{place}.1", "hl7", seeds)
        name = " ".join(p for p in (part(2), part(1)) if p)
        _add_field(tally, PhiType.NAME, name, place, "hl7", seeds)
    elif rule == "XAD":
        street = " ".join(p for p in (part(0), part(1)) if p)
        _add_field(tally, PhiType.ADDRESS, street, f"{place}.1", "hl7", seeds)
        _add_field(tally, PhiType.LOCATION, part(2), f"{place}.3", "hl7", seeds)
        _add_field(tally, PhiType.ZIP, part(4), f"{place}.5", "hl7", seeds)


# -- DICOM ------------------------------------------------------------------------------------
_DICOM_KEYWORDS: dict[str, PhiType] = {
    "PatientID": PhiType.MRN, "OtherPatientIDs": PhiType.MRN, "MedicalRecordLocator": PhiType.MRN,
    "PatientBirthDate": PhiType.DATE, "PatientDeathDateInAlternativeCalendar": PhiType.DATE,
    "StudyDate": PhiType.DATE, "SeriesDate": PhiType.DATE, "AcquisitionDate": PhiType.DATE,
    "ContentDate": PhiType.DATE, "AdmittingDate": PhiType.DATE,
    "AccessionNumber": PhiType.ACCOUNT, "AdmissionID": PhiType.ACCOUNT,
    "PatientAddress": PhiType.ADDRESS, "PatientTelephoneNumbers": PhiType.PHONE,
    "DeviceSerialNumber": PhiType.DEVICE, "PatientAge": PhiType.AGE,
    "MilitaryRank": PhiType.LICENSE, "PatientInsurancePlanCodeSequence": PhiType.HEALTH_PLAN_ID,
}
_DICOM_TEXT = frozenset({"PatientComments", "AdditionalPatientHistory", "ImageComments",
                         "StudyComments", "TextValue"})


def scan_dicom(ctx: FileContext, location: str, data: bytes) -> None:
    """A DICOM file's header (PS3.10 file, or a bare data set); pixel data is never read."""
    import warnings

    import pydicom
    from pydicom.errors import InvalidDicomError

    logging.getLogger("pydicom").setLevel(logging.CRITICAL)  # its warnings may quote values
    try:
        with warnings.catch_warnings():  # pydicom warnings may quote element values
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
            elements = list(dataset.iterall())
            syntax = str(getattr(dataset, "file_meta", {}).get("TransferSyntaxUID", "") or "")
    except (InvalidDicomError, ValueError, EOFError, OSError, KeyError, TypeError,
            NotImplementedError, AttributeError) as exc:
        ctx.problem(location, "", f"not a readable DICOM file ({type(exc).__name__}: {exc})")
        return
    if data[128:132] == b"DICM" and (not elements or not re.fullmatch(r"[0-9.]+", syntax)):
        ctx.problem(location, "", "not a readable DICOM file (no valid transfer syntax or no "
                    "data elements after the file meta information)")
        return
    tally = ctx.tally(location, "file", "dicom")
    tally.records = 1
    seeds: set[str] = set()
    texts: list[tuple[str, str]] = []
    for element in elements:
        keyword = element.keyword or str(element.tag)
        place = f"{keyword} {element.tag}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = element.value if element.VM > 1 else [element.value]
        except Exception:  # noqa: S112 - a malformed value: skip the element, keep the rest
            continue
        for value in values:
            if value is None or isinstance(value, (bytes, bytearray)) or hasattr(value, "iterall"):
                continue
            text = str(value).strip()
            if element.VR == "PN":
                name = " ".join(p for p in text.replace("=", "^").split("^") if p.strip())
                _add_field(tally, PhiType.NAME, name, place, "dicom", seeds)
            elif keyword in _DICOM_KEYWORDS:
                _add_field(tally, _DICOM_KEYWORDS[keyword], text, place, "dicom", seeds)
            elif keyword in _DICOM_TEXT and text:
                texts.append((place, text))
    ctx.scan_pieces(tally, texts, seeds=seeds)
