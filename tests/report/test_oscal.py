"""OSCAL assessment results and POA&M: built as OSCAL 1.1 JSON and validated by
compliance-trestle's models (trestle.oscal.assessment_results, trestle.oscal.poam)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from trestle.oscal import OSCAL_VERSION
from trestle.oscal import assessment_results as oscal_ar
from trestle.oscal import poam as oscal_poam

from caresec.errors import ReportError
from caresec.model import AuditResult
from caresec.report import render_oscal_assessment_results, render_oscal_poam
from caresec.report.oscal import _validated, control_token, oscal_uuids, stable_uuid


def _facets(risk: dict[str, object]) -> dict[str, str]:
    characterization = risk["characterizations"][0]  # type: ignore[index]
    return {f["name"]: f["value"] for f in characterization["facets"]}


def _props(obj: dict[str, object]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in obj.get("props", [])}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("citation", "token"),
    [
        ("164.308(a)(1)(ii)(B)", "hipaa-164.308-a-1-ii-B"),
        ("164.312(d)", "hipaa-164.312-d"),
        ("164.310(a)(2)(iii)", "hipaa-164.310-a-2-iii"),
    ],
)
def test_control_token(citation: str, token: str) -> None:
    assert control_token(citation) == token


def test_assessment_results_validate_with_trestle(audit: AuditResult) -> None:
    text = render_oscal_assessment_results(audit)
    model = oscal_ar.Model.model_validate_json(text)  # trestle's validation, again
    doc = json.loads(text)["assessment-results"]
    assert model.assessment_results.uuid == doc["uuid"]
    assert doc["metadata"]["oscal-version"] == OSCAL_VERSION
    assert doc["metadata"]["last-modified"] == "2026-11-30T14:05:00+00:00"
    result = doc["results"][0]
    # Observations: 6 control statuses + 4 technical findings behind register entries (EHR
    # Mirth, pump SpaceCom, PACS end of support, HR Log4Shell); findings: the 5 judged statuses
    # (the unknown one is observed only) + the same 4; risks: every register entry.
    assert len(result["observations"]) == 10
    assert len(result["findings"]) == 9
    assert len(result["risks"]) == len(audit.register) == 16
    assert len(result["reviewed-controls"]["control-selections"][0]["include-controls"]) == 68

    mfa = next(f for f in result["findings"] if _props(f).get("control-id") == "164.312(d)")
    assert mfa["target"]["target-id"] == "hipaa-164.312-d"
    assert mfa["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    assert len(mfa["related-risks"]) == 3  # credential theft, phishing, web application attack
    met = next(f for f in result["findings"] if _props(f).get("control-id") == "164.310(d)(1)")
    assert met["target"]["status"] == {"state": "satisfied", "reason": "pass"}
    assert met["target"]["implementation-status"] == {"state": "implemented"}

    risks = {_props(r)["risk-id"]: r for r in result["risks"]}
    ehr = risks["RISK-A-EHR-TE-VULN-EXPLOIT-CVE-2023-43208"]
    # Residual: Table I-2 high × very high = very high; 5×5 = 4 × 5 = 20; inherent very high
    # × very high = 25.
    facets = _facets(ehr)
    assert (facets["likelihood"], facets["impact"], facets["risk"]) == (
        "high", "very high", "very high",
    )
    assert (facets["matrix-score"], facets["inherent-matrix-score"]) == ("20", "25")
    assert facets["sra-level"] == "high"
    assert ehr["status"] == "remediating"  # plan-status.yaml records the Mirth item
    assert ehr["deadline"] == "2026-12-15T00:00:00+00:00"
    assert ehr["threat-ids"] == [{"system": "urn:caresec:threat-events",
                                  "id": "urn:caresec:threat-event:TE-VULN-EXPLOIT"}]
    assert [t["title"] for t in ehr["remediations"][0]["tasks"]] == [
        "Test the fixed version outside production",
        "Deploy the fixed version and confirm it with a new audit",
    ]
    hr = risks["RISK-A-HR-TE-VULN-EXPLOIT-CVE-2021-44228"]
    assert hr["status"] == "deviation-approved"  # accepted until 2027-06-30
    assert hr["risk-log"]["entries"][0]["end"] == "2027-06-30T00:00:00+00:00"


def test_poam_validates_with_trestle(audit: AuditResult) -> None:
    text = render_oscal_poam(audit)
    assert text is not None
    model = oscal_poam.Model.model_validate_json(text)
    doc = json.loads(text)["plan-of-action-and-milestones"]
    items = doc["poam-items"]
    assert len(items) == len(model.plan_of_action_and_milestones.poam_items) == len(audit.plan)
    assert [_props(i)["plan-item-id"] for i in items] == [i.item_id for i in audit.plan]
    risk_uuids = {r["uuid"] for r in doc["risks"]}
    observation_uuids = {o["uuid"] for o in doc["observations"]}
    for item in items:
        assert {r["risk-uuid"] for r in item.get("related-risks", [])} <= risk_uuids
        assert {o["observation-uuid"] for o in item["related-observations"]} <= observation_uuids
    mirth = next(i for i in items if _props(i)["plan-item-id"] == "PLAN-mirth-connect-4.4.0")
    assert _props(mirth)["nprm-days"] == "15" and _props(mirth)["status"] == "remediating"


def test_uuids_are_deterministic_v5(audit: AuditResult) -> None:
    first = render_oscal_assessment_results(audit)
    later = replace(audit, started_at=datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    second = render_oscal_assessment_results(later)
    assert first != second  # the dates differ …
    assert oscal_uuids(first) == oscal_uuids(second)  # … the identifiers do not
    assert all(uuid.UUID(u).version == 5 for u in oscal_uuids(first))
    assert stable_uuid("Lakeside", "risk", "RISK-1") == stable_uuid("Lakeside", "risk", "RISK-1")
    assert stable_uuid("Lakeside", "risk", "RISK-1") != stable_uuid("Other", "risk", "RISK-1")


def test_empty_plan_gives_no_poam(empty_audit: AuditResult) -> None:
    assert render_oscal_poam(empty_audit) is None
    doc = json.loads(render_oscal_assessment_results(empty_audit))["assessment-results"]
    assert "risks" not in doc["results"][0] and "findings" not in doc["results"][0]


def test_invalid_document_is_a_report_error() -> None:
    with pytest.raises(ReportError, match="fails trestle's model at assessment-results"):
        _validated(oscal_ar.Model, "assessment-results", {"uuid": "not-a-uuid"},
                   "assessment results")
