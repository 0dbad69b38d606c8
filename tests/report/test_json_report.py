"""The JSON report: validates against its shipped JSON Schema (draft 2020-12) and carries the
audit's values."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from caresec import __version__
from caresec.errors import ReportError
from caresec.model import AuditResult
from caresec.report import render_json, report_schema
from caresec.report.json_report import report_document, validate_report

PHI_LIKE = "MRN 00412345 Jane Q. Patient DOB 1950-01-01"


def test_schema_is_valid_draft_2020_12() -> None:
    schema = report_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_report_schema_returns_a_fresh_copy() -> None:
    first = report_schema()
    first["title"] = "changed"
    assert report_schema()["title"] == "caresec audit report"


def test_report_validates_and_round_trips(audit: AuditResult) -> None:
    doc = json.loads(render_json(audit))
    Draft202012Validator(report_schema()).validate(doc)
    assert doc["schema_version"] == "1.0.0"
    assert doc["tool"] == {"name": "caresec", "version": __version__}
    assert doc["org"] == {"name": "Lakeside Community Hospital", "size_tier": "medium"}
    assert doc["started_at"] == "2026-11-30T14:05:00+00:00"
    summary = doc["summary"]
    assert summary["assets"] == 5
    assert summary["components"] == 5
    assert summary["vulnerabilities_by_severity"]["critical"] == 3
    assert summary["kev"] == 2 and summary["kev_ransomware"] == 2
    assert summary["risks_by_level"] == {
        "very high": 2, "high": 2, "moderate": 1, "low": 2, "very low": 0,
    }
    assert summary["problems"] == {"error": 1, "warning": 1}
    assert summary["unreadable_inputs"] == ["sboms/lab.cdx.json"]

    assert [r["risk_id"] for r in doc["risks"]] == [r.risk_id for r in audit.risks]
    top = doc["risks"][0]
    assert top["risk_id"] == "RISK-A-EHR-TE-RANSOMWARE"
    assert top["level"] == "very high" and top["score"] == audit.risks[0].score
    assert top["likelihood"]["level"] == "very high"
    assert "in CISA KEV since 2024-05-20" in top["likelihood"]["rationale"]
    assert "250,000 ePHI records" in top["impact"]["rationale"]
    assert top["finding_ids"] == ["VULN-A-EHR-CVE-2023-43208"]

    pump = next(r for r in doc["risks"] if r["risk_id"] == "RISK-A-PUMP-TE-VULN-EXPLOIT")
    # Table I-2: likelihood moderate × impact very high = high.
    assert (pump["likelihood"]["level"], pump["impact"]["level"], pump["level"]) == (
        "moderate", "very high", "high",
    )

    mirth = next(m for m in doc["matches"] if m["vulnerability_id"] == "CVE-2023-43208")
    assert mirth["kev"] == {
        "cve_id": "CVE-2023-43208",
        "date_added": "2024-05-20",
        "due_date": "2024-06-10",
        "ransomware": True,
        "name": "NextGen Healthcare Mirth Connect Deserialization of Untrusted Data Vulnerability",
    }
    assert mirth["epss"]["percentile"] == 0.9991
    assert mirth["component"]["key"] == "sboms/ehr.cdx.json#mirth-connect@4.4.0"

    assert {s["sbom_id"]: s["component_count"] for s in doc["sboms"]}["sboms/hr.cdx.json"] == 2
    assert doc["not_assessed"][0]["reason"] == "no version"
    eos = next(f for f in doc["findings"] if f["finding_id"] == "EOS-A-PACS")
    assert eos["kind"] == "lifecycle" and eos["vulnerability_id"] is None
    assert ["end of support", "2020-01-14"] in eos["details"]
    assert doc["problems"][1]["place"] == "row 7, column ephi_records"
    assert doc["feeds"][0]["records"] == 1404
    pacs = next(a for a in doc["assets"] if a["asset_id"] == "A-PACS")
    assert pacs["end_of_support"] == "2020-01-14"
    assert pacs["network_zone"] == "clinical"


def test_no_phi_from_extra_columns(audit: AuditResult) -> None:
    text = render_json(audit)
    assert PHI_LIKE not in text
    assert all("extra" not in a for a in json.loads(text)["assets"])


def test_owner_kept_as_given(audit: AuditResult) -> None:
    doc = json.loads(render_json(audit))
    owners = {a["asset_id"]: a["owner"] for a in doc["assets"]}
    assert owners["A-PUMP"] == "Biomedical Engineering — Dr. Ana Ruiz"


def test_empty_audit_validates(empty_audit: AuditResult) -> None:
    doc = json.loads(render_json(empty_audit))
    assert doc["risks"] == [] and doc["summary"]["risks"] == 0


@pytest.mark.parametrize(
    ("edit", "pointer"),
    [
        (lambda d: d["risks"][0].__setitem__("level", "severe"), "/risks/0/level"),
        (
            lambda d: d["risks"][0]["likelihood"].__setitem__("score", 101),
            "/risks/0/likelihood/score",
        ),
        (lambda d: d["summary"].pop("assets"), "/summary"),
        (lambda d: d.__setitem__("patients", []), "/"),
        (
            lambda d: d["assets"][0].__setitem__("end_of_support", "2020-13-45"),
            "/assets/0/end_of_support",
        ),
    ],
)
def test_invalid_document_raises_report_error(
    audit: AuditResult, edit: Any, pointer: str
) -> None:
    doc = report_document(audit)
    edit(doc)
    with pytest.raises(ReportError, match=f"fails its schema at {pointer}"):
        validate_report(doc)
