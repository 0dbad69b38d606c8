"""The medical-device capability (caresec.capabilities.devices) inside ``caresec audit``, on a
private copy of the worked example (examples/riverside-community-hospital, its README section
"Medical devices" and feeds/SOURCES.md).

Facts asserted come from the advisories transcribed there: ICSMA-21-152-01 (Hillrom Welch Allyn
Connex Vital Signs Monitor ``< 2.43.02``, CVE-2021-27410 and CVE-2021-27408, CVSS 3.0 base 5.9),
ICSMA-21-047-01 (Hamilton Medical T1 Ventilator ``<= 2.2.3``), ICSMA-20-049-02 (GE Healthcare
LOGIQ, ``vers:all/*``, mitigations only), the CVE JSON 5 record of CVE-2023-43208 (Mirth Connect
before 4.4.1, CVSS 3.1 9.8, CISA ADP SSVC active / yes / total), the organization's VEX statement
(CVE-2020-36518, not_affected, scoped to Mirth Connect) and the example MDS2 form of the
Meridian MIS-7 pump (MPII-1 No, SBOM-1 No, CSUP-2 Yes).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caresec.capabilities.devices import ORDER, DevicesCapability, capability
from caresec.cli.feeds import app as feeds_app
from caresec.collect.inventory import collect_inventory
from caresec.collect.org import load_org
from caresec.collect.sbom import read_sbom
from caresec.extension import AuditContext, Capability, CapabilityRegistry
from caresec.model import (
    Asset,
    AssetKind,
    AuditResult,
    CapabilityResult,
    ClinicalCriticality,
    FindingStatus,
    OrgConfig,
    ProblemSeverity,
    Severity,
    SizeTier,
)
from caresec.pipeline import run_audit
from caresec.report import render_html, render_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    target = tmp_path_factory.mktemp("devices") / "riverside"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".caresec"))
    registry = CapabilityRegistry([capability()])
    return run_audit(target, today=TODAY, capabilities=registry, record_run=False)


@pytest.fixture(scope="module")
def devices(audit: AuditResult) -> CapabilityResult:
    return next(c for c in audit.capabilities if c.name == "devices")


def _finding_ids(audit: AuditResult) -> set[str]:
    return {f.finding_id for f in audit.findings}


def test_capability_is_discovered_and_satisfies_the_protocol() -> None:
    assert isinstance(capability(), Capability)
    assert ORDER == 10
    assert "devices" in CapabilityRegistry.default(plugins=False).names


def test_applies_to_device_folders_or_medical_devices(tmp_path: Path) -> None:
    org = OrgConfig(root=tmp_path, name="t", size_tier=SizeTier.SMALL,
                    inventory_dir=tmp_path / "inventory", sbom_dir=tmp_path / "sboms",
                    feeds_dir=tmp_path / "feeds")
    cap = DevicesCapability()
    assert cap.applies(org) is False  # nothing at all
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "assets.csv").write_text(
        "asset_id,name,kind,holds_ephi,criticality\n"
        "FS-01,File server,server,no,business\n", "utf-8")
    assert cap.applies(org) is False  # an inventory without medical devices
    (tmp_path / "inventory" / "assets.csv").write_text(
        "asset_id,name,kind,holds_ephi,criticality\n"
        "PUMP-1,Pump,medical device,no,life-sustaining\n", "utf-8")
    assert cap.applies(org) is True
    (tmp_path / "inventory" / "assets.csv").unlink()
    (tmp_path / "mds2").mkdir()
    assert cap.applies(org) is True
    assert cap.applies(load_org(EXAMPLE)) is True


def test_hillrom_monitor_below_the_fixed_version_matches_and_the_fixed_one_does_not(
        audit: AuditResult, devices: CapabilityResult) -> None:
    ids = _finding_ids(audit)
    # ICSMA-21-152-01: CVSM < 2.43.02. VSM-MEDSURG runs 2.43.01; VSM-ED runs 2.43.02.
    assert {"VULN-VSM-MEDSURG-CVE-2021-27410", "VULN-VSM-MEDSURG-CVE-2021-27408"} <= ids
    assert not any(i.startswith("VULN-VSM-ED-") for i in ids)
    finding = next(f for f in audit.findings if f.finding_id == "VULN-VSM-MEDSURG-CVE-2021-27410")
    assert finding.vulnerability is not None
    assert finding.vulnerability.cvss_score == 5.9
    assert finding.vulnerability.advisory_ids == ("ICSMA-21-152-01",)
    assert "TE-MEDDEV-COMPROMISE" in finding.threat_event_ids
    rows = {(m["asset_id"], m["advisory_id"]): m for m in devices.data["device_matches"]}
    assert set(rows) == {("VSM-MEDSURG", "ICSMA-21-152-01"), ("VENT-FLEET", "ICSMA-21-047-01"),
                         ("US-FLEET", "ICSMA-20-049-02")}
    medsurg = rows[("VSM-MEDSURG", "ICSMA-21-152-01")]
    assert (medsurg["basis"], medsurg["confidence"], medsurg["remediation"],
            medsurg["fixed_versions"]) == ("parsed free text", "medium", "vendor fix", ["2.43.02"])
    # LOGIQ is a family name for the LOGIQ E10: "range" lowered one confidence level.
    assert (rows[("US-FLEET", "ICSMA-20-049-02")]["confidence"],
            rows[("US-FLEET", "ICSMA-20-049-02")]["remediation"]) == ("medium", "mitigation only")
    assert devices.data["unparsed_versions"] == []


def test_device_patch_plan(devices: CapabilityResult) -> None:
    plan = {p["asset_id"]: p for p in devices.data["plan"]}
    assert {k: p["action"] for k, p in plan.items()} == {
        "CT-01": "replace or isolate",  # inventory end of support 2026-10-13
        "US-FLEET": "compensating controls",  # ICSMA-20-049-02 gives mitigations only
        "VENT-FLEET": "vendor fix",
        "VSM-MEDSURG": "vendor fix",
    }
    us = plan["US-FLEET"]
    assert us["vendor_fix"] == []
    assert {c["category"] for c in us["controls"]} >= {"physical access", "access control"}
    assert all(c["advisory_id"] == "ICSMA-20-049-02" for c in us["controls"])
    vent = plan["VENT-FLEET"]
    assert vent["owner"] == "Clinical Engineering" and vent["units"] == "18"
    assert vent["manufacturer_validation"] is True
    assert vent["vendor_fix"] and vent["vendor_fix"][0].startswith("ICSMA-21-047-01: ")
    # SSVC (Coordinator 2.0.3): no known public exploit, AV:P (not automatable), C:L/I:L/A:N
    # (partial), life-sustaining (high) → Track → 180 days by default.
    assert vent["ssvc"]["outcome"] == "Track"
    assert vent["due"] == (TODAY + timedelta(days=180)).isoformat()
    assert plan["CT-01"]["due"] == (TODAY + timedelta(days=180)).isoformat()


def test_cpe_only_mirth_is_matched_and_no_longer_not_assessed(
        audit: AuditResult, devices: CapabilityResult) -> None:
    finding = next(f for f in audit.findings if f.finding_id == "VULN-HL7-01-CVE-2023-43208")
    match = finding.vulnerability
    assert match is not None and match.component.name == "Mirth Connect Server"
    assert match.severity is Severity.CRITICAL and match.cvss_score == 9.8
    assert match.basis.startswith("CPE cpe:2.3:a:nextgen:mirth_connect:4.3.0")
    assert match.fixed_versions == ("4.4.1",)
    assert any(r.risk_id == "RISK-HL7-01-TE-VULN-EXPLOIT-CVE-2023-43208" for r in audit.risks)
    (row,) = devices.data["cpe_matches"]
    assert (row["asset_id"], row["vulnerability_id"]) == ("HL7-01", "CVE-2023-43208")
    # CISA ADP SSVC: active, automatable, total; HL7-01 is clinical support (medium) → Act.
    assert row["ssvc"]["outcome"] == "Act"
    not_assessed = {n.component.name for n in audit.not_assessed}
    for name in ("Mirth Connect Server", "Dispensa Console Server",
                 "MIS-7 main controller firmware", "MIS-7 Wi-Fi module firmware"):
        assert name not in not_assessed  # CPE-only: judged against the CVE records
    assert "MIS-7 bootloader" in not_assessed  # no purl, no CPE: still not assessed
    assert not any("CPE matching not available" in n.reason for n in audit.not_assessed)


def test_vex_statement_suppresses_mirths_jackson_only(
        audit: AuditResult, devices: CapabilityResult) -> None:
    by_id = {f.finding_id: f for f in audit.findings}
    suppressed = by_id["VULN-HL7-01-CVE-2020-36518"]
    assert suppressed.status is FindingStatus.SUPPRESSED
    statement = dict(suppressed.details)["statement"]
    assert statement.startswith("suppressed: not_affected; justification code_not_reachable")
    assert "channel review INT-2026-014" in statement
    assert "owner Integration Services" in statement and "expires 2027-06-30" in statement
    assert not any(r.risk_id.startswith("RISK-HL7-01-") and r.risk_id.endswith("CVE-2020-36518")
                   for r in audit.risks)
    # The statement is scoped to Mirth Connect: the pharmacy server's jackson-databind stays.
    assert by_id["VULN-PHARM-SRV-01-CVE-2020-36518"].status is FindingStatus.OPEN
    assert any(r.risk_id.startswith("RISK-PHARM-SRV-01-") and r.risk_id.endswith(
        "CVE-2020-36518") for r in audit.risks)
    (applied,) = devices.data["vex"]["applied"]
    assert (applied["asset_ids"], applied["status"]) == (["HL7-01"], "suppressed")
    document = devices.data["vex"]["cyclonedx"]
    assert document["specVersion"] == "1.6"
    states = {(v["id"], v["affects"][0]["ref"]): v["analysis"]["state"]
              for v in document["vulnerabilities"]}
    assert states[("CVE-2020-36518",
                   "pkg:maven/com.fasterxml.jackson.core/jackson-databind")] == "not_affected"
    assert states[("CVE-2023-43208", "cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*")] == \
        "in_triage"


def test_mds2_contradictions_enter_the_register(
        audit: AuditResult, devices: CapabilityResult) -> None:
    by_id = {f.finding_id: f for f in audit.findings}
    # MPII-1 No vs inventory holds_ephi yes; SBOM-1 No vs the SBOM the inventory links.
    for finding_id in ("MDS2-IP-FLEET-MPII-1", "MDS2-IP-FLEET-SBOM-1"):
        finding = by_id[finding_id]
        assert finding.likelihood is not None and "Table G-5" in finding.likelihood.rationale
        assert finding.threat_event_ids == ("TE-MEDDEV-COMPROMISE",)
        assert "164.308(a)(1)(ii)(A)" in finding.control_ids
        assert any(r.finding_ids == (finding_id,) for r in audit.risks)
    # CSUP-2 Yes (has an operating system) against os "vendor firmware": nothing observed.
    assert "MDS2-IP-FLEET-CSUP-2" not in by_id
    assert [c["question_id"] for c in devices.data["mds2"]["contradictions"]] == [
        "MPII-1", "SBOM-1"]
    assert devices.data["mds2"]["forms"][0]["asset_ids"] == ["IP-FLEET"]
    assert set(devices.findings) == {by_id["MDS2-IP-FLEET-MPII-1"], by_id["MDS2-IP-FLEET-SBOM-1"]}


def test_no_double_end_of_support_finding(audit: AuditResult) -> None:
    # CT-01 (Windows 10 LTSB 2016, end_of_support 2026-10-13) has the risk engine's EOS-CT-01;
    # the capability adds no EOS-OS-CT-01 beside it.
    ids = _finding_ids(audit)
    assert "EOS-CT-01" in ids
    assert not any(i.startswith("EOS-OS-") for i in ids)


def test_report_sections_summary_and_json(audit: AuditResult, devices: CapabilityResult) -> None:
    html = render_html(audit)
    bodies = {}
    for section_id in ("devices", "device-plan", "device-assurance"):
        found = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
        assert found is not None and f'href="#{section_id}"' in html
        bodies[section_id] = found.group(0)
    assert "ICSMA-21-152-01" in bodies["devices"] and "CVE-2023-43208" in bodies["devices"]
    assert "0 unparsed version texts" in bodies["devices"]
    assert "Compensating controls" in bodies["device-plan"] and "VENT-FLEET" in bodies[
        "device-plan"]
    assert "MPII-1" in bodies["device-assurance"]
    assert "channel review INT-2026-014" in bodies["device-assurance"]
    summary = dict(devices.summary)
    assert summary["Devices matched to advisories"] == "3 (7 device × CVE)"
    assert summary["VEX statements applied / suppressing"] == "1 / 1"
    assert summary["MDS2 contradictions"] == "2"
    assert summary["Unparsed advisory version texts"] == "0"
    document = json.loads(render_json(audit))
    caps = {c["name"]: c for c in document["capabilities"]}
    assert caps["devices"]["finding_ids"] == ["MDS2-IP-FLEET-MPII-1", "MDS2-IP-FLEET-SBOM-1"]
    assert len(caps["devices"]["data"]["plan"]) == 4


# --- settings and lifecycle findings, on a hand-built context -------------------------------


def _context(org: OrgConfig, assets: tuple[Asset, ...], sboms: tuple[object, ...] = ()
             ) -> AuditContext:
    return AuditContext(org=org, assets=assets, sboms=sboms,  # type: ignore[arg-type]
                        matches=(), not_assessed=(), kev={}, epss={}, today=TODAY)


def test_due_days_from_caresec_toml(tmp_path: Path) -> None:
    target = tmp_path / "riverside"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".caresec"))
    with (target / "caresec.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[devices]\ndue_days = { Track = 120, Act = "soon", Later = 5 }\n')
    org = load_org(target)
    assets, _ = collect_inventory(org)
    result = DevicesCapability().run(_context(org, assets))
    plan = {p["asset_id"]: p for p in result.data["plan"]}
    assert plan["VENT-FLEET"]["due"] == (TODAY + timedelta(days=120)).isoformat()
    assert result.data["due_days"]["Act"] == 14  # the bad value keeps the default
    places = {p.place for p in result.problems if p.file == "caresec.toml"}
    assert places == {"[devices].due_days.Act", "[devices].due_days.Later"}


def test_component_and_os_end_of_support_with_own_likelihood(
        tmp_path: Path, fixtures: Path, make_device: Callable[..., Asset]) -> None:
    (tmp_path / "sboms").mkdir()
    name = "cyclonedx.lifecycle.cdx.json"
    shutil.copy(fixtures / "devices" / name, tmp_path / "sboms" / name)
    sbom = replace(read_sbom(tmp_path / "sboms" / name, sbom_id=name, display=f"sboms/{name}"),
                   asset_ids=("PUMP",), path=f"sboms/{name}")
    org = OrgConfig(root=tmp_path, name="t", size_tier=SizeTier.SMALL,
                    inventory_dir=tmp_path / "inventory", sbom_dir=tmp_path / "sboms",
                    feeds_dir=tmp_path / "feeds")
    pump = make_device("PUMP", "Test", "Pump", "3.0")
    # Windows 7 ended 2020-01-14 (catalogs/os-lifecycle.yaml): a finding when the inventory has
    # no end_of_support, none when the inventory date is already past (EOS-<asset> covers it).
    console = replace(make_device("CONSOLE", "Test", "Console", "1"),
                      extra=(("os", "Windows 7 Professional SP1"),))
    legacy = replace(console, asset_id="LEGACY", end_of_support=date(2019, 1, 1))
    result = DevicesCapability().run(_context(org, (pump, console, legacy), (sbom,)))
    found = {f.finding_id: f for f in result.findings}
    # rtos endOfSupport 2024-06-30, tls endOfLife 2019-12-31; zlib 2031-01-01 is not past.
    assert set(found) == {"EOS-PUMP-rtos", "EOS-PUMP-tls", "EOS-OS-CONSOLE"}
    for finding in found.values():
        assert finding.likelihood is not None and "Table G-5" in finding.likelihood.rationale
        assert finding.threat_event_ids == ("TE-VULN-EXPLOIT", "TE-MEDDEV-COMPROMISE")
        assert "164.310(a)(1)" in finding.control_ids  # a TE-MEDDEV-COMPROMISE control
    assert any(p.severity is ProblemSeverity.WARNING and p.collector == "lifecycle"
               for p in result.problems)  # the fixture's "next year" date


def test_feeds_import_validates_device_feeds(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    shutil.copytree(EXAMPLE / "feeds", feeds)
    (feeds / "csaf" / "broken.json").write_text('{"document": {"csaf_version": "2.0"}}',
                                                "utf-8")
    runner = CliRunner()
    result = runner.invoke(feeds_app, ["import", str(feeds), "--org", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert re.search(r"csaf/\s*│\s*3\s*│\s*9 products, 7 vulnerabilities; 1 problem", result.stdout)
    assert re.search(r"nvd/\s*│\s*1\s*│", result.stdout)
    assert "feeds/csaf/broken.json (/document/tracking/id)" in result.stderr


@pytest.mark.parametrize("kind", [AssetKind.MEDICAL_DEVICE, AssetKind.SERVER])
def test_mds2_contradiction_threat_event_follows_asset_kind(
        tmp_path: Path, mds2_builder: Callable[..., Path], kind: AssetKind) -> None:
    (tmp_path / "mds2").mkdir()
    mds2_builder(tmp_path / "mds2" / "form.xlsx", [
        ("DOC-1", "Manufacturer", "Test Medical"), ("DOC-3", "Model", "TM-1"),
        ("STCF-1", "Encrypts data at rest", "Yes")])
    asset = Asset(asset_id="DEV", name="Test device", kind=kind,
                  criticality=ClinicalCriticality.DIAGNOSTIC,
                  vendor="Test Medical", model="TM-1", version="1",
                  extra=(("encryption_at_rest", "no"),), source="assets.csv:DEV")
    org = OrgConfig(root=tmp_path, name="t", size_tier=SizeTier.SMALL,
                    inventory_dir=tmp_path / "inventory", sbom_dir=tmp_path / "sboms",
                    feeds_dir=tmp_path / "feeds")
    result = DevicesCapability().run(_context(org, (asset,)))
    (finding,) = result.findings
    assert finding.finding_id == "MDS2-DEV-STCF-1"
    assert finding.severity is Severity.MEDIUM  # encryption at rest is a security function
    assert "164.312(a)(2)(iv)" in finding.control_ids
    expected = "TE-MEDDEV-COMPROMISE" if kind is AssetKind.MEDICAL_DEVICE else "TE-VULN-EXPLOIT"
    assert finding.threat_event_ids == (expected,)

