"""analyze/ssvc.py and analyze/device_plan.py.

The SSVC rows are CISA's Coordinator decision table 2.0.3 as CERT/CC publishes it
(github.com/CERTCC/SSVC, data/json/decision_tables/cisa/cisa_coordinator_2_0_3.json,
"mapping": E, A, TI, MWI → CISA).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from caresec.analyze.device_plan import DEFAULT_DAYS, classify_controls, device_plan
from caresec.analyze.devices import device_vulnerability_matches, match_devices
from caresec.analyze.ssvc import SSVC_TABLE, ssvc_decide, ssvc_for_matches
from caresec.collect.csaf import read_csaf
from caresec.collect.nvd import read_cve_file
from caresec.model import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    Component,
    KevEntry,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.device import PlanAction, SsvcOutcome

# (E, A, TI, MWI) → decision, in the file's order: N/P/A × N/Y × P/T × L/M/H.
CERTCC_ROWS = """
N N P L T | N N P M T | N N P H T | N N T L T | N N T M T | N N T H T*
N Y P L T | N Y P M T | N Y P H AT | N Y T L T | N Y T M T | N Y T H AT
P N P L T | P N P M T | P N P H T* | P N T L T | P N T M T* | P N T H AT
P Y P L T | P Y P M T | P Y P H AT | P Y T L T | P Y T M T* | P Y T H AT
A N P L T | A N P M T | A N P H AT | A N T L T | A N T M AT | A N T H AC
A Y P L AT | A Y P M AT | A Y P H AC | A Y T L AT | A Y T M AC | A Y T H AC
"""
_E = {"N": "none", "P": "poc", "A": "active"}
_A = {"N": "no", "Y": "yes"}
_TI = {"P": "partial", "T": "total"}
_MWI = {"L": "low", "M": "medium", "H": "high"}
_OUT = {"T": SsvcOutcome.TRACK, "T*": SsvcOutcome.TRACK_STAR, "AT": SsvcOutcome.ATTEND,
        "AC": SsvcOutcome.ACT}


def _rows() -> list[tuple[str, str, str, str, SsvcOutcome]]:
    rows = []
    for cell in CERTCC_ROWS.replace("\n", "|").split("|"):
        if cell.strip():
            e, a, ti, mwi, out = cell.split()
            rows.append((_E[e], _A[a], _TI[ti], _MWI[mwi], _OUT[out]))
    return rows


def test_table_is_cisa_coordinator_2_0_3() -> None:
    rows = _rows()
    assert len(rows) == 36 == len(SSVC_TABLE)
    for e, a, ti, mwi, outcome in rows:
        assert ssvc_decide(e, a, ti, mwi).outcome is outcome, (e, a, ti, mwi)


def test_unknown_value_is_refused() -> None:
    with pytest.raises(ValueError):
        ssvc_decide("maybe", "no", "partial", "low")


def _asset(asset_id: str, criticality: ClinicalCriticality) -> Asset:
    return Asset(asset_id=asset_id, name=asset_id, kind=AssetKind.MEDICAL_DEVICE,
                 criticality=criticality)


def _match(asset_id: str, vector: str, *, kev: bool = False) -> VulnerabilityMatch:
    component = Component(bom_ref="c", name="c", version="1", asset_ids=(asset_id,))
    return VulnerabilityMatch(
        component=component, vulnerability_id="CVE-2021-44228", aliases=(),
        advisory_ids=("GHSA-jfh8-c2jp-5v3q",), summary="", severity=Severity.CRITICAL,
        cvss_score=10.0, cvss_vector=vector, fixed_versions=(),
        kev=KevEntry("CVE-2021-44228", date(2021, 12, 10)) if kev else None)


def test_decision_from_kev_and_cvss_vector() -> None:
    # CVE-2021-44228: KEV since 2021-12-10; CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H.
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
    assets = [_asset("PUMP", ClinicalCriticality.LIFE_SUSTAINING),
              _asset("BILLING", ClinicalCriticality.BUSINESS)]
    decisions = ssvc_for_matches([_match("PUMP", vector, kev=True),
                                  _match("BILLING", vector, kev=False)], assets)
    pump = decisions[("PUMP", "CVE-2021-44228")]
    assert (pump.exploitation, pump.automatable, pump.technical_impact,
            pump.mission_wellbeing, pump.outcome) == ("active", "yes", "total", "high",
                                                      SsvcOutcome.ACT)
    billing = decisions[("BILLING", "CVE-2021-44228")]
    assert (billing.exploitation, billing.mission_wellbeing, billing.outcome) == (
        "none", "low", SsvcOutcome.TRACK)


@pytest.mark.realdata
def test_adp_options_win(shared_data: Path) -> None:
    (record,), _ = read_cve_file(shared_data / "vuln/cve-records/CVE-2023-43208"
                                 ".vulnrichment.json")
    component = Component(bom_ref="m", name="Mirth Connect", version="4.3.0",
                          asset_ids=("HL7-01",))
    match = VulnerabilityMatch(component=component, vulnerability_id="CVE-2023-43208",
                               aliases=(), advisory_ids=(), summary="",
                               severity=Severity.UNKNOWN, cvss_score=None, cvss_vector="",
                               fixed_versions=())
    asset = Asset(asset_id="HL7-01", name="HL7", kind=AssetKind.APPLICATION,
                  criticality=ClinicalCriticality.CLINICAL_SUPPORT)
    decision = ssvc_for_matches([match], [asset], records=[record])[("HL7-01",
                                                                     "CVE-2023-43208")]
    # CISA ADP: active / yes / total; clinical support → medium → Act.
    assert decision.outcome is SsvcOutcome.ACT
    assert decision.rationale[0].startswith("exploitation active: stated by CISA ADP")


@pytest.mark.realdata
def test_plan_vendor_fix_and_due_date(shared_data: Path,
                                      make_device: Callable[..., Asset]) -> None:
    # ICSMA-21-152-01: CVSM fixed in v2.43.02; "No known public exploits"; CVSS AV:A/AC:H →
    # not automatable, partial impact; patient-connected → high → Track.
    asset = make_device("VSM", "Hill-Rom", "Connex Vital Signs Monitor", "2.43.01",
                        owner="Clinical Engineering", extra=(("units", "36"),))
    advisory = read_csaf(shared_data / "vuln/csaf-icsma/icsma-21-152-01.json")
    matches, _ = match_devices([asset], [advisory])
    today = date(2026, 11, 29)
    decisions = ssvc_for_matches(device_vulnerability_matches(matches, {}, {}), [asset],
                                 advisories=[advisory])
    assert {d.outcome for d in decisions.values()} == {SsvcOutcome.TRACK}
    assert all("no known public exploits" in d.rationale[0] for d in decisions.values())
    (item,) = device_plan([asset], matches, today=today, ssvc=decisions)
    assert item.action is PlanAction.VENDOR_FIX
    assert item.due == today + timedelta(days=DEFAULT_DAYS["Track"])
    assert any("v2.43.02" in fix for fix in item.vendor_fix)
    assert item.manufacturer_validation
    assert (item.owner, item.units) == ("Clinical Engineering", "36")
    assert "fixed in 2.43.02" in item.rationale
    # "Apply proper network and physical security controls." / "Apply authentication for
    # server access."
    assert {c.category for c in item.controls} >= {"physical access", "access control"}
    assert item.downtime.startswith("rolling, unit by unit")


def test_end_of_support_device_is_planned_for_replacement(
        make_device: Callable[..., Asset]) -> None:
    ct = make_device("CT-01", "Helion Medical", "Helion CT 128", "VB20",
                     ClinicalCriticality.DIAGNOSTIC, end_of_support=date(2026, 10, 13))
    supported = make_device("MRI", "Helion Medical", "Helion MR", "VE11",
                            ClinicalCriticality.DIAGNOSTIC, end_of_support=date(2029, 1, 9))
    plan = device_plan([ct, supported], [], today=date(2026, 11, 29))
    assert [(p.asset_id, p.action) for p in plan] == [("CT-01", PlanAction.REPLACE)]
    assert "past end of support since 2026-10-13" in plan[0].rationale


@pytest.mark.parametrize(
    ("sentence", "category"),
    [
        ("Locate control system networks behind firewalls and isolate them.", "segmentation"),
        ("Use a VPN for remote access.", "remote access"),
        ("Disable unused ports and services.", "disable service"),
        ("Restrict physical access to the devices.", "physical access"),
        ("Enable the system lock password.", "access control"),
        ("Monitor network traffic for unexpected connections.", "monitoring"),
        ("Contact the vendor for questions.", "other"),
    ],
)
def test_control_categories(sentence: str, category: str) -> None:
    (control,) = classify_controls(sentence, "ICSMA-X")
    assert control.category == category
