"""The whole audit on the shipped example hospital (examples/riverside-community-hospital, a
fictional organization; its README and feeds/SOURCES.md give the sources of every planted
fact): register, plan, responses, run history and the files ``caresec audit`` writes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from trestle.oscal import assessment_results as oscal_ar
from trestle.oscal import poam as oscal_poam
from typer.testing import CliRunner

from caresec.cli.app import app
from caresec.model import ChangeKind, PlanStatus, RegisterKind
from caresec.model.risk import Level
from caresec.pipeline import run_audit
from caresec.store.runs import RUNS_FILE, RunStore

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "riverside-community-hospital"
TODAY = date(2026, 11, 29)


@pytest.fixture
def org(tmp_path: Path) -> Path:
    """A private copy of the example (its run history left behind)."""
    target = tmp_path / "riverside"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".caresec"))
    return target


def test_example_audit_has_every_part(org: Path) -> None:
    result = run_audit(org, today=TODAY)
    assert result.controls is not None and len(result.controls.statuses) == 68
    assert result.judged_on == TODAY
    kinds = {e.kind for e in result.register}
    assert kinds == {RegisterKind.TECHNICAL, RegisterKind.CONTROL_GAP}
    assert [e.risk for e in result.register] == list(result.risks)
    # Log4Shell (CVE-2021-44228, CISA KEV since 2021-12-10, ransomware Known) on the HL7 engine
    # holding 250,000 records: Table G-5 very high × very high, impact very high.
    log4shell = next(e for e in result.register
                     if e.risk_id == "RISK-HL7-01-TE-VULN-EXPLOIT-CVE-2021-44228")
    assert log4shell.inherent.level is Level.VERY_HIGH and log4shell.inherent.matrix_score == 25
    assert log4shell.treatment == "mitigating"  # risk-responses.yaml

    # risk-responses.yaml: the Windows 7 workstation is accepted until 2027-03-31; the CT
    # console's acceptance lapsed on 2026-10-31 and reverted to open.
    treatments = {e.risk_id: e.treatment for e in result.register}
    assert treatments["RISK-WS-RAD-LEGACY-TE-VULN-EXPLOIT-EOS-WS-RAD-LEGACY"] == "accepted"
    assert treatments["RISK-CT-01-TE-VULN-EXPLOIT-EOS-CT-01"] == "acceptance expired"

    plan = {i.item_id: i for i in result.plan}
    log4j = plan["PLAN-log4j-core-2.14.1"]
    # GHSA-jfh8-c2jp-5v3q, GHSA-7rjr-3q55-vv33 and GHSA-p6xc-xr62-6r2g: 2.17.0 fixes all three.
    assert log4j.title == "Upgrade log4j-core 2.14.1 to 2.17.0 or later on HL7-01"
    assert log4j.status is PlanStatus.REMEDIATING and log4j.rank == 1
    assert log4j.level is Level.VERY_HIGH and log4j.due == date(2026, 12, 14)  # + 15 days
    assert plan["PLAN-EOS-WS-RAD-LEGACY"].status is PlanStatus.DEVIATION_APPROVED
    assert plan["PLAN-minimist-1.2.5"].status is PlanStatus.OPEN  # recorded closed, still found
    assert any(p.message.startswith("PLAN-minimist-1.2.5 is recorded closed")
               for p in result.problems)
    assert result.comparison is None


def test_second_run_compares_with_the_first(org: Path) -> None:
    first = run_audit(org, today=TODAY)
    again = run_audit(org, today=TODAY)
    assert again.comparison is not None
    assert again.comparison.changes == () and again.comparison.unchanged == len(first.register)
    # Log4Shell's advisory leaves the feed: its two risks on HL7-01 are resolved.
    (org / "feeds" / "osv" / "GHSA-jfh8-c2jp-5v3q.json").unlink()
    third = run_audit(org, today=TODAY)
    assert third.comparison is not None and third.comparison.previous_run_id == 2
    resolved = [c.risk_id for c in third.comparison.of(ChangeKind.RESOLVED)]
    assert resolved == [
        "RISK-HL7-01-TE-VULN-EXPLOIT-CVE-2021-44228",
        "RISK-HL7-01-TE-RANSOMWARE-CVE-2021-44228",
    ]
    assert third.comparison.resolved_findings == ("VULN-HL7-01-CVE-2021-44228",)
    with RunStore.open(org / RUNS_FILE) as history:
        assert history.run_ids() == [1, 2, 3]


def test_no_history_run_leaves_the_store_alone(org: Path) -> None:
    run_audit(org, today=TODAY, record_run=False)
    with RunStore.open(org / RUNS_FILE) as history:
        assert history.run_ids() == []


def test_cli_writes_every_report(org: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["audit", str(org), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "oscal-assessment-results.json", "oscal-poam.json", "plan.csv", "report.html",
        "report.json", "vex.cdx.json",  # the devices capability's CycloneDX VEX (vex/)
    ]
    oscal_ar.Model.model_validate_json((out / "oscal-assessment-results.json").read_text())
    oscal_poam.Model.model_validate_json((out / "oscal-poam.json").read_text())
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert len(report["plan"]) == len((out / "plan.csv").read_text().splitlines()) - 1
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in ("ocr-elements", "controls", "contradictions", "cpg", "hicp", "nprm",
                    "register", "plan", "changes"):
        assert f'<section id="{section}">' in html


def test_an_unreadable_sbom_leaves_its_asset_not_assessed(org: Path) -> None:
    # Regression (found by a tester): truncating HL7-01's SBOM made its vulnerabilities vanish
    # with no trace on the asset. The inventory names mirth-interface-engine.cdx.json for HL7-01.
    sbom = org / "sboms" / "mirth-interface-engine.cdx.json"
    sbom.write_bytes(sbom.read_bytes()[:400])
    result = run_audit(org, today=TODAY, record_run=False)
    entries = [n for n in result.not_assessed if n.component.bom_ref == "(whole SBOM)"]
    assert [(n.component.asset_ids, n.component.sbom_id) for n in entries] == [
        (("HL7-01",), "mirth-interface-engine.cdx.json")
    ]
    assert entries[0].reason.startswith("the SBOM could not be read: malformed JSON")
    assert any(f.kind == "not-assessed" and f.asset_ids == ("HL7-01",) for f in result.findings)
