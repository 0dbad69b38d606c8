"""The PHI gate blocks exports that carry PHI, internal names or unlisted fields.

PHI is planted in otherwise clean objects; every case is checked with caresec's detector
(``caresec.phi``) and with the built-in fallback. Planted values are fictional: 555-01xx is the
NANP range reserved for fiction; 1EG4-TE5-MK73 is the example MBI CMS prints in its MBI
format guidance.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from caresec.intel.phi_fallback import BuiltinPhiDetector
from caresec.intel.phi_gate import PhiGateError, check_export, default_detector, gate

IND = "indicator--4f0d2b8e-9c1a-4d3b-8e7f-1a2b3c4d5e6f"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def bundle(**changes: Any) -> dict[str, Any]:
    indicator = {"type": "indicator", "spec_version": "2.1", "id": IND,
                 "created": "2026-03-02T10:00:00.000Z", "modified": "2026-03-02T10:00:00.000Z",
                 "name": "Invoice-lure command-and-control address",
                 "description": "Address the invoice-lure dropper contacts after it runs.",
                 "pattern": "[ipv4-addr:value = '203.0.113.66']", "pattern_type": "stix",
                 "valid_from": "2026-03-02T10:00:00.000Z", "object_marking_refs": [GREEN]}
    indicator.update(changes)
    return {"type": "bundle", "id": "bundle--0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
            "objects": [indicator]}


class _FlagAll:
    """A detector that reports every text as a location (to isolate the gate's own rules)."""

    def detect(self, text: str) -> list[Any]:
        return [types.SimpleNamespace(entity_type="location", start=0, end=len(text))]


DETECTORS = [pytest.param(default_detector(), id="caresec.phi"),
             pytest.param(BuiltinPhiDetector(), id="fallback")]


@pytest.mark.parametrize("detector", DETECTORS)
def test_clean_bundle_passes(detector: Any) -> None:
    assert check_export(bundle(), detector) == []
    email = bundle(pattern="[email-addr:value = 'billing-update@riverside-payroll.example']")
    assert check_export(email, detector) == []
    url = bundle(pattern="[url:value = 'http://invoice-portal.example/pay/INV-2231.zip']")
    assert check_export(url, detector) == []


@pytest.mark.parametrize("detector", DETECTORS)
@pytest.mark.parametrize(("field", "text"), [
    ("description", "Patient Maria Gonzalez called the help desk about the lure."),
    ("description", "Caller gave SSN 536-22-8426 to the fake help desk."),
    ("description", "Lure quoted MRN: 00482913 to look real."),
    ("description", "The lure asked to call back at (617) 555-0142."),
    ("description", "Lure asked for DOB: 03/14/1962."),
    ("description", "Lure carried Medicare number 1EG4-TE5-MK73."),
    ("name", "Reply went to maria.gonzalez@gmail.com"),
    ("description", "Mrs. Alvarez reported the email."),
])
def test_planted_phi_blocks(detector: Any, field: str, text: str) -> None:
    with pytest.raises(PhiGateError) as caught:
        gate(bundle(**{field: text}), detector)
    message = str(caught.value)
    assert f"{IND} /{field}: looks like PHI" in message
    assert text not in message  # the gate never repeats what it found


@pytest.mark.parametrize("detector", DETECTORS)
def test_phi_inside_a_pattern_literal_blocks(detector: Any) -> None:
    planted = bundle(pattern="[url:value = 'http://portal.example/records?mrn=00482913']")
    [violation] = check_export(planted, detector)
    assert (violation.object_id, violation.field) == (IND, "/pattern (literal 1)")


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"x_internal_notes": "ok"}, "/x_internal_notes", "not on the export allow-list"),
    ({"description": "Seen from RCH-WS-BILL07 first."}, "/description", "internal host"),
    ({"description": "Beacon from 10.20.1.11 every minute."}, "/description", "private"),
    ({"pattern": "[ipv4-addr:value = '192.168.4.20']"}, "/pattern (literal 1)", "private"),
    ({"valid_from": "the day after Maria's visit"}, "/valid_from", "form STIX requires"),
    ({"created_by_ref": "identity--not-an-id"}, "/created_by_ref", "form STIX requires"),
])
def test_internal_names_and_unlisted_fields_block(changes: dict[str, Any], field: str,
                                                  reason: str) -> None:
    violations = check_export(bundle(**changes), BuiltinPhiDetector(),
                              internal={"RCH-WS-BILL07", "u10482"})
    assert [(v.object_id, v.field) for v in violations][:1] == [(IND, field)]
    assert reason in violations[0].reason


def test_object_types_outside_the_allow_list_block() -> None:
    observed = {"type": "observed-data", "spec_version": "2.1",
                "id": "observed-data--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}
    document = {"type": "bundle", "id": "bundle--0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
                "objects": [observed]}
    [violation] = check_export(document, BuiltinPhiDetector())
    assert "observed-data" in violation.reason


def test_organization_name_is_the_one_place_name_allowed() -> None:
    identity = {"type": "identity", "spec_version": "2.1",
                "id": "identity--5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
                "created": "2026-03-02T10:00:00.000Z", "modified": "2026-03-02T10:00:00.000Z",
                "name": "Riverside Community Hospital", "identity_class": "organization"}
    document = {"type": "bundle", "id": "bundle--0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
                "objects": [identity]}
    everything = _FlagAll()
    assert check_export(document, everything, organization="Riverside Community Hospital") == []
    # a detector that reads the facility name as a location blocks it without the allowance
    assert [v.field for v in check_export(document, everything)] == ["/name"]


def test_caresec_phi_is_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("caresec.phi")

    class Span:
        def __init__(self, start: int, end: int) -> None:
            self.start, self.end, self.type = start, end, "name"

    fake.detect = lambda text: [Span(0, 1)] if text else []  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "caresec.phi", fake)
    [violation, *_] = check_export(bundle(), default_detector())
    assert violation.reason.startswith("looks like PHI (name at characters 0–1)")
