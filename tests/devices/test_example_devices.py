"""The worked example (examples/riverside-community-hospital): its device advisories (facts of
ICSMA-21-047-01, ICSMA-20-049-02 and ICSMA-21-152-01), its CPE-only Mirth Connect component
(CVE-2023-43208), its VEX statement, and ``caresec inventory where``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from caresec.analyze.cpe import match_cpe
from caresec.analyze.device_plan import device_plan
from caresec.analyze.devices import device_vulnerability_matches, match_devices
from caresec.analyze.ssvc import ssvc_for_matches
from caresec.analyze.vex import apply_vex
from caresec.cli.inventory import app
from caresec.collect.csaf import collect_csaf
from caresec.collect.inventory import collect_inventory
from caresec.collect.nvd import collect_cve_records
from caresec.collect.org import load_org
from caresec.collect.sbom import collect_sboms
from caresec.collect.vex import collect_vex
from caresec.model import Finding, FindingStatus, Severity, VulnerabilityMatch
from caresec.model.device import MatchBasis, PlanAction, SsvcOutcome

TODAY = date(2026, 11, 29)


def _load(example: Path):  # type: ignore[no-untyped-def]
    org = load_org(example)
    assets, _ = collect_inventory(org)
    sboms, _ = collect_sboms(org, assets)
    return assets, sboms


def test_example_devices_match_the_transcribed_advisories(example: Path) -> None:
    assets, _ = _load(example)
    advisories, problems = collect_csaf(example / "feeds/csaf", example)
    assert problems == ()
    matches, unparsed = match_devices(assets, advisories)
    found = {(m.asset_id, m.advisory.advisory_id, m.basis) for m in matches}
    assert found == {
        ("VENT-FLEET", "ICSMA-21-047-01", MatchBasis.FREE_TEXT),  # 2.2.2 <= 2.2.3
        ("US-FLEET", "ICSMA-20-049-02", MatchBasis.RANGE),  # LOGIQ, vers:all/*
        ("VSM-MEDSURG", "ICSMA-21-152-01", MatchBasis.FREE_TEXT),  # 2.43.01 < 2.43.02
    }
    # VSM-ED runs 2.43.02, the fixed version: not matched.
    assert unparsed == []
    today_plan = device_plan(assets, matches, today=TODAY,
                             ssvc=ssvc_for_matches(device_vulnerability_matches(matches, {}, {}),
                                                   assets, advisories=advisories))
    actions = {p.asset_id: p.action for p in today_plan}
    assert actions == {
        "CT-01": PlanAction.REPLACE,  # end of support 2026-10-13
        "US-FLEET": PlanAction.COMPENSATING_CONTROLS,  # mitigation-only advisory
        "VENT-FLEET": PlanAction.VENDOR_FIX,
        "VSM-MEDSURG": PlanAction.VENDOR_FIX,
    }


def test_example_cpe_only_mirth_component(example: Path) -> None:
    assets, sboms = _load(example)
    records, _ = collect_cve_records(example / "feeds/nvd", example)
    components = [c for s in sboms for c in s.components]
    matches, not_assessed = match_cpe(components, records, {}, {})
    assert [(m.component.name, m.vulnerability_id) for m in matches] == [
        ("Mirth Connect Server", "CVE-2023-43208")]
    assert matches[0].component.asset_ids == ("HL7-01",)
    assert matches[0].severity is Severity.CRITICAL
    decision = ssvc_for_matches(matches, assets, records=records)[("HL7-01", "CVE-2023-43208")]
    assert decision.outcome is SsvcOutcome.ACT
    # Every other CPE component (pump firmware, Dispensa Console) was judged: no record names
    # them, and none failed.
    assert not_assessed == []


def test_example_vex_statement_suppresses_only_mirths_jackson(example: Path) -> None:
    _assets, sboms = _load(example)
    statements, problems = collect_vex(example / "vex", example)
    assert problems == ()
    findings: list[Finding] = []
    for sbom in sboms:
        for component in sbom.components:
            if component.name != "jackson-databind":
                continue
            match = VulnerabilityMatch(component=component, vulnerability_id="CVE-2020-36518",
                                       aliases=("GHSA-57j2-w4cx-62h2",), advisory_ids=(),
                                       summary="", severity=Severity.HIGH, cvss_score=7.5,
                                       cvss_vector="", fixed_versions=())
            findings.extend(Finding(finding_id=f"VULN-{a}-CVE-2020-36518", kind="vulnerability",
                                    title="", asset_ids=(a,), severity=Severity.HIGH,
                                    vulnerability=match) for a in component.asset_ids)
    results = {f.asset_ids[0]: f.status for f in apply_vex(findings, statements, today=TODAY,
                                                            sboms=sboms)}
    # The statement is scoped to Mirth Connect (HL7-01); PACS-01 runs jackson-databind too.
    assert results.pop("HL7-01") is FindingStatus.SUPPRESSED
    assert results and set(results.values()) == {FindingStatus.OPEN}


def test_inventory_where_pumps_run_openssl(example: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["where", "pkg:conan/openssl", "--org", str(example), "--kind",
                                 "medical device", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout[: result.stdout.rindex("]") + 1])
    assert [(r["asset_id"], r["version"], r["units"]) for r in rows] == [
        ("IP-FLEET", "1.1.1k", "210")]
    missing = runner.invoke(app, ["where", "pkg:conan/openssl@3.0.0", "--org", str(example),
                                  "--json"])
    assert json.loads(missing.stdout[: missing.stdout.rindex("]") + 1]) == []
    bad = runner.invoke(app, ["where", "openssl", "--org", str(example)])
    assert bad.exit_code != 0
