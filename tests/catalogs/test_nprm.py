"""hipaa-security-rule-nprm.yaml against the HIPAA Security Rule NPRM, 90 FR 898 (Jan. 6, 2025)
and the HHS NPRM fact sheet."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from caresec.catalogs.models import NprmParameter
from caresec.catalogs.registry import load_nprm

NPRM = load_nprm()
BY_ID = {r.id: r for r in NPRM.requirements}


def test_header_says_not_in_force() -> None:
    assert NPRM.status == "proposed, not in force"
    assert NPRM.federal_register == "90 FR 898"
    assert NPRM.published == date(2025, 1, 6)
    assert NPRM.comments_closed == date(2025, 3, 7)


@pytest.mark.parametrize(
    ("requirement", "name", "value", "unit"),
    [
        ("NPRM-PATCH-CRITICAL", "max_days", 15, "days"),
        ("NPRM-PATCH-HIGH", "max_days", 30, "days"),
        ("NPRM-ACCESS-TERMINATION", "max_hours", 1, "hours"),
        ("NPRM-ACCESS-CHANGE-NOTICE", "max_hours", 24, "hours"),
        ("NPRM-RESTORE-72H", "max_hours", 72, "hours"),
        ("NPRM-BACKUP-AGE", "max_hours", 48, "hours"),
        ("NPRM-BA-CONTINGENCY-NOTICE", "max_hours", 24, "hours"),
        ("NPRM-VULN-SCAN", "max_months", 6, "months"),
        ("NPRM-PENTEST", "max_months", 12, "months"),
        ("NPRM-COMPLIANCE-AUDIT", "max_months", 12, "months"),
        ("NPRM-BA-VERIFICATION", "max_months", 12, "months"),
        ("NPRM-ASSET-INVENTORY", "max_months", 12, "months"),
        ("NPRM-ENCRYPTION", "at_rest", True, "boolean"),
        ("NPRM-ENCRYPTION", "in_transit", True, "boolean"),
        ("NPRM-MFA", "required", True, "boolean"),
        ("NPRM-NETWORK-SEGMENTATION", "required", True, "boolean"),
        ("NPRM-ANTI-MALWARE", "required", True, "boolean"),
        ("NPRM-REMOVE-EXTRANEOUS", "required", True, "boolean"),
        ("NPRM-RISK-ANALYSIS", "written", True, "boolean"),
        ("NPRM-NO-ADDRESSABLE", "addressable_allowed", False, "boolean"),
    ],
)
def test_parameters(requirement: str, name: str, value: object, unit: str) -> None:
    p = BY_ID[requirement].parameter(name)
    assert (p.value, p.unit) == (value, unit)
    assert type(p.value) is type(value)


@pytest.mark.parametrize(
    ("requirement", "citation"),
    [
        # Proposed paragraphs caresec checked against the proposed regulatory text.
        ("NPRM-ASSET-INVENTORY", "164.308(a)(1)"),
        ("NPRM-RISK-ANALYSIS", "164.308(a)(2)"),
        ("NPRM-PATCH-CRITICAL", "164.308(a)(4)"),
    ],
)
def test_proposed_citations(requirement: str, citation: str) -> None:
    assert BY_ID[requirement].proposed_citation == citation


def test_unknown_parameter_raises() -> None:
    with pytest.raises(KeyError):
        BY_ID["NPRM-PATCH-CRITICAL"].parameter("max_hours")


@pytest.mark.parametrize(
    ("record", "ok"),
    [
        ({"name": "max_days", "value": 15, "unit": "days", "applies_to": "x"}, True),
        ({"name": "required", "value": True, "unit": "boolean", "applies_to": "x"}, True),
        ({"name": "max_days", "value": True, "unit": "days", "applies_to": "x"}, False),
        ({"name": "required", "value": 1, "unit": "boolean", "applies_to": "x"}, False),
        ({"name": "max_days", "value": 0, "unit": "days", "applies_to": "x"}, False),
        ({"name": "max_days", "value": 15, "unit": "weeks", "applies_to": "x"}, False),
    ],
)
def test_parameter_model(record: dict[str, object], ok: bool) -> None:
    if ok:
        NprmParameter.model_validate(record)
    else:
        with pytest.raises(ValidationError):
            NprmParameter.model_validate(record)
