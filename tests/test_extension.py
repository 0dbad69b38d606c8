"""The capability extension point (caresec.extension): a capability's findings enter the risk
register, its VEX-style statements suppress findings while keeping them visible, its activities
reach the control evaluation, its problems reach the report, and its sections reach the HTML
and JSON reports. Runs on a private copy of the shipped example hospital."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from caresec.errors import InputError
from caresec.extension import AuditContext, Capability, CapabilityRegistry
from caresec.model import (
    Assessed,
    CapabilityResult,
    Finding,
    FindingStatement,
    FindingStatus,
    InputProblem,
    Level,
    OrgConfig,
    ReportSection,
    Severity,
)
from caresec.pipeline import run_audit
from caresec.report import render_html, render_json

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "riverside-community-hospital"
TODAY = date(2026, 11, 29)


@pytest.fixture
def org(tmp_path: Path) -> Path:
    target = tmp_path / "riverside"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".caresec"))
    return target


@dataclass
class FakeExposure:
    """A capability reporting one exposure on PACS-01 and a VEX statement for CVE-2022-42889
    (commons-text 1.9 on PACS-01, GHSA-599f-7c49-w659 in the example feed)."""

    name: str = "fake-exposure"

    def applies(self, org: OrgConfig) -> bool:
        return True

    def run(self, context: AuditContext) -> CapabilityResult:
        assert any(a.asset_id == "PACS-01" for a in context.assets)
        finding = Finding(
            finding_id="EXPOSURE-PACS-01-DICOM-ANY-AE",
            kind="exposure",
            title="DICOM service on PACS-01 accepts any calling AE title",
            asset_ids=("PACS-01",),
            severity=Severity.HIGH,
            threat_event_ids=("TE-VULN-EXPLOIT",),
            control_ids=("164.312(a)(1)",),
            likelihood=Assessed(Level.HIGH, 85, "open DICOM association on the clinical zone"),
        )
        statement = FindingStatement(
            vulnerability_id="CVE-2022-42889",
            status=FindingStatus.SUPPRESSED,
            statement="not_affected: vulnerable_code_not_in_execute_path",
            source="vex/test.cdx.json",
            asset_ids=("PACS-01",),
        )
        problem = InputProblem("probes/result.json", "/targets/2", "truncated record")
        return CapabilityResult(
            name=self.name,
            findings=(finding,),
            statements=(statement,),
            activities=frozenset({"access-log-review"}),
            problems=(problem,),
            summary=(("Exposures", "1"),),
            data={"exposures": 1},
            sections=(
                ReportSection("fake-exposure", "Fake exposure map", "<p>one &amp; only</p>"),
            ),
        )


@dataclass
class Broken:
    name: str = "broken"

    def applies(self, org: OrgConfig) -> bool:
        return True

    def run(self, context: AuditContext) -> CapabilityResult:
        raise InputError("data/x.csv", "row 3", "bad value")


def test_fake_capability_satisfies_the_protocol() -> None:
    assert isinstance(FakeExposure(), Capability)


def test_capability_results_flow_into_register_controls_and_reports(org: Path) -> None:
    registry = CapabilityRegistry([FakeExposure(), Broken()])
    result = run_audit(org, today=TODAY, capabilities=registry, record_run=False)

    # The exposure enters the register with the capability's own likelihood; PACS-01 holds
    # 180,000 ePHI records (inventory) → impact very high; Table I-2 high × very high = very high.
    entry = next(e for e in result.register
                 if e.risk.finding_ids == ("EXPOSURE-PACS-01-DICOM-ANY-AE",))
    assert entry.inherent.level is Level.VERY_HIGH

    # The statement suppresses the commons-text finding but keeps it visible, with no risk.
    suppressed = [f for f in result.findings if f.status is FindingStatus.SUPPRESSED]
    assert [f.vulnerability.vulnerability_id for f in suppressed if f.vulnerability] == [
        "CVE-2022-42889"
    ]
    assert ("statement", "suppressed: not_affected: vulnerable_code_not_in_execute_path "
            "(vex/test.cdx.json)") in suppressed[0].details
    assert not any(r.risk_id.endswith("CVE-2022-42889") for r in result.risks)

    # The activity reaches the control evaluation: 164.308(a)(1)(ii)(D) is no longer "not met
    # because no access-log review ran".
    assert result.controls is not None
    review = result.controls.status_of("164.308(a)(1)(ii)(D)")
    assert review is not None and "no access-log review" not in review.rationale.lower()

    # Problems: the capability's own, and the CaresecError of the broken one, both kept.
    places = {(p.file, p.place) for p in result.problems}
    assert ("probes/result.json", "/targets/2") in places
    assert any(p.collector == "broken" and "data/x.csv (row 3)" in p.message
               for p in result.problems)

    html = render_html(result)
    assert '<section id="fake-exposure"' in html and "<p>one &amp; only</p>" in html
    assert 'href="#fake-exposure"' in html
    document = json.loads(render_json(result))
    caps = {c["name"]: c for c in document["capabilities"]}
    assert caps["fake-exposure"]["data"] == {"exposures": 1}
    assert caps["fake-exposure"]["finding_ids"] == ["EXPOSURE-PACS-01-DICOM-ANY-AE"]


def test_registry_rejects_duplicate_names() -> None:
    with pytest.raises(ValueError, match="unique"):
        CapabilityRegistry([FakeExposure(), FakeExposure()])
