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
    assert doc["schema_version"] == "1.2.0"
    assert doc["tool"] == {"name": "caresec", "version": __version__}
    assert doc["org"] == {"name": "Lakeside Community Hospital", "size_tier": "medium"}
    assert doc["started_at"] == "2026-11-30T14:05:00+00:00"
    summary = doc["summary"]
    assert summary["assets"] == 5
    assert summary["components"] == 5
    assert summary["vulnerabilities_by_severity"]["critical"] == 3
    assert summary["kev"] == 2 and summary["kev_ransomware"] == 2
    # Residual levels: 7 very high (2 on the EHR, 5 organization-wide gaps), 4 high,
    # 2 moderate, 3 low (see tests/report/test_html.py for the heat map cells).
    assert summary["risks_by_level"] == {
        "very high": 7, "high": 4, "moderate": 2, "low": 3, "very low": 0,
    }
    assert summary["problems"] == {"error": 1, "warning": 1}
    assert summary["unreadable_inputs"] == ["sboms/lab.cdx.json"]

    assert [r["risk_id"] for r in doc["risks"]] == [r.risk_id for r in audit.risks]
    top = doc["risks"][0]
    assert top["risk_id"] == "RISK-A-EHR-TE-RANSOMWARE-CVE-2023-43208"
    assert top["level"] == "very high" and top["score"] == audit.risks[0].score
    assert top["likelihood"]["level"] == "very high"
    assert "in CISA KEV since 2024-05-20" in top["likelihood"]["rationale"]
    assert "250,000 ePHI records" in top["impact"]["rationale"]
    assert top["finding_ids"] == ["VULN-A-EHR-CVE-2023-43208"]

    pump = next(r for r in doc["risks"]
                if r["risk_id"] == "RISK-A-PUMP-TE-MEDDEV-COMPROMISE-CVE-2021-33885")
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


def test_register_plan_controls_and_comparison(audit: AuditResult) -> None:
    doc = json.loads(render_json(audit))
    assert [e["risk_id"] for e in doc["register"]] == [r["risk_id"] for r in doc["risks"]]
    ehr = next(e for e in doc["register"]
               if e["risk_id"] == "RISK-A-EHR-TE-VULN-EXPLOIT-CVE-2023-43208")
    # Inherent: Table I-2 very high × very high = very high, 5×5 = 5 × 5 = 25. Residual: one
    # likelihood step for counter-control coverage ½; Table I-2 high × very high = very high,
    # 5×5 = 4 × 5 = 20; the SRA Tool projection of very high is high.
    assert (ehr["inherent"]["level"], ehr["inherent"]["matrix_score"]) == ("very high", 25)
    assert (ehr["residual"]["likelihood"]["level"], ehr["residual"]["level"]) == (
        "high", "very high",
    )
    assert (ehr["residual"]["matrix_score"], ehr["residual"]["sra_level"]) == (20, "high")
    assert ehr["control_ids"] == ["164.308(a)(1)(ii)(B)", "164.308(a)(5)(ii)(B)",
                                  "164.312(c)(1)"]
    hr = next(e for e in doc["register"]
              if e["risk_id"] == "RISK-A-HR-TE-VULN-EXPLOIT-CVE-2021-44228")
    assert hr["treatment"] == "accepted"
    assert hr["response"]["expires"] == "2027-06-30" and hr["response"]["in_force"] is True
    pacs = next(e for e in doc["register"]
                if e["risk_id"] == "RISK-A-PACS-TE-VULN-EXPLOIT-EOS-A-PACS")
    assert pacs["treatment"] == "acceptance expired" and pacs["response"]["expired"] is True
    assert doc["summary"]["register"] == {
        "technical": 7, "control_gap": 9,
        "treatments": {"accepted": 1, "acceptance expired": 1, "open": 14},
        "expired_responses": 1,
    }

    assert [i["rank"] for i in doc["plan"]] == list(range(1, len(doc["plan"]) + 1))
    mirth = next(i for i in doc["plan"] if i["item_id"] == "PLAN-mirth-connect-4.4.0")
    assert mirth["status"] == "remediating" and mirth["status_source"] == "plan-status.yaml:3"
    assert mirth["nprm"]["requirement_id"] == "NPRM-PATCH-CRITICAL"
    assert mirth["nprm"]["days"] == 15  # 90 FR 898: critical patches within 15 days
    assert mirth["due"] == "2026-12-15"  # very high: 15 days (CISA BOD 19-02)

    controls = doc["controls"]
    administrative = controls["coverage_by_safeguard"][0]
    assert administrative["safeguard"] == "administrative"
    assert administrative["counts"] == {
        "met": 1, "partly met": 0, "not met": 1, "unknown": 0, "not applicable": 0,
    }
    assert controls["contradictions"][0]["question_id"] == "Q-308-a1-iiB-02"
    assert controls["hicp"]["size_tier"] == "medium"
    assert len(controls["hicp"]["practices"]) == 10
    assert [n["requirement_id"] for n in controls["nprm"] if n["verdict"] == "would fail"] == [
        "NPRM-PATCH-CRITICAL", "NPRM-MFA",
    ]
    comparison = doc["comparison"]
    assert comparison["previous_run_id"] == 7
    assert [(c["risk_id"], c["change"]) for c in comparison["changes"]] == [
        ("RISK-A-EHR-TE-RANSOMWARE-CVE-2023-43208", "new"),
        ("RISK-A-NAS-TE-VULN-EXPLOIT-CVE-2019-0708", "resolved"),
        ("RISK-A-PUMP-TE-MEDDEV-COMPROMISE-CVE-2021-33885", "down"),
        ("RISK-A-PUMP-TE-VULN-EXPLOIT-CVE-2021-33885", "up"),
    ]


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
    assert doc["register"] == [] and doc["plan"] == []
    assert doc["controls"] is None and doc["comparison"] is None


@pytest.mark.parametrize(
    ("edit", "pointer"),
    [
        (lambda d: d["risks"][0].__setitem__("level", "severe"), "/risks/0/level"),
        (
            lambda d: d["risks"][0]["likelihood"].__setitem__("score", 101),
            "/risks/0/likelihood/score",
        ),
        (lambda d: d["summary"].pop("assets"), "/summary"),
        (
            lambda d: d["register"][0]["residual"].__setitem__("matrix_score", 26),
            "/register/0/residual/matrix_score",
        ),
        (lambda d: d["plan"][0].__setitem__("status", "done"), "/plan/0/status"),
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
