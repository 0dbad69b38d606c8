"""The threat-intelligence capability (caresec.capabilities.intel) inside ``caresec audit``, on a
private copy of the example hospital: the planted hits of
``examples/riverside-community-hospital/intel/README.md`` become findings with a NIST SP 800-30
likelihood, enter the risk register with the inventory asset's impact, and are shown in the
HTML and JSON reports with their TLP marking; warninglisted hits are shown, not counted; a
missing warninglist folder is a warning. The audits run only this capability (fast)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest

from caresec.capabilities.intel import IntelCapability, capability
from caresec.collect.org import load_org
from caresec.extension import Capability, CapabilityRegistry
from caresec.intel.config import load_intel_config
from caresec.intel.sources import pull_all
from caresec.intel.store import IntelStore, store_file
from caresec.model import AuditResult, Level, ProblemSeverity
from caresec.pipeline import run_audit
from caresec.report import render_html, render_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
LOGS = EXAMPLE / "intel" / "logs"
TODAY = date(2026, 11, 29)
SHIPPED_LISTS = '"../../../shared/data/intel/misp-warninglists"'

# The planted hits (intel/README.md, "Planted hits"): indicator id → matching log lines.
C2 = "indicator--8feb42fa-e33e-48cb-9c97-92bdf0aa4c89"  # 203.0.113.66: firewall 59, 60, 133
RANGE = "indicator--4df4acaf-2030-4e9b-8cef-af3315b175d5"  # 198.51.100.0/28: fw 214, DNS 41, 42
DOMAIN = "indicator--6ba92306-7653-45bd-9a45-7cc8a8cf3073"  # DNS 41, 42; proxy row 91
LURE = "indicator--543943a0-9e06-4f78-ac1b-bb4e8e39c2a7"  # proxy row 90
DROPPER = "indicator--89f57fb8-9c88-40ae-8617-5e3177ff99e8"  # EDR line 121, TLP:AMBER
PATTERN = "indicator--9ef52bf2-99c8-4b7e-91fd-16dd291efc93"  # firewall row 307 (port 8443)
EICAR = "indicator--32e8930f-64b5-4063-b0a4-609014a6d3b6"  # EDR line 171, warninglisted
PLANTED = {C2: 3, RANGE: 3, DOMAIN: 3, LURE: 1, DROPPER: 1, PATTERN: 1}
WORKSTATIONS = "WS-DEPT-FLEET"  # inventory: 10.20.0.0/21, clinical support, ePHI count unknown


def _copy(tmp_path: Path, lists: str) -> Path:
    root = tmp_path / "riverside"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".caresec"))
    toml = root / "caresec.toml"
    text = toml.read_text(encoding="utf-8")
    assert SHIPPED_LISTS in text  # the example's [intel] table, as shipped
    toml.write_text(text.replace(SHIPPED_LISTS, json.dumps(lists)), encoding="utf-8")
    return root


@pytest.fixture
def org(tmp_path: Path, shared_data: Path) -> Path:
    """The example with its warninglists pointed at the real misp-warninglists lists."""
    return _copy(tmp_path, str(shared_data / "intel" / "misp-warninglists"))


def _audit(root: Path) -> AuditResult:
    return run_audit(root, today=TODAY, record_run=False,
                     capabilities=CapabilityRegistry([capability()]))


def _section(html: str) -> str:
    start = html.index('<section id="intel"')
    return html[start:html.index("</section>", start)]


def test_the_capability_is_built_in_and_satisfies_the_protocol() -> None:
    assert isinstance(IntelCapability(), Capability)
    assert "intel" in CapabilityRegistry.default(plugins=False).names


def test_planted_hits_become_findings_risks_and_report_rows(org: Path) -> None:
    result = _audit(org)
    [cap] = result.capabilities
    assert cap.name == "intel"
    assert not [p for p in cap.problems if p.severity is ProblemSeverity.ERROR]

    findings = {f.finding_id: f for f in cap.findings}
    assert {k: int(dict(f.details)["count"]) for k, f in findings.items()} == {
        f"INTEL-{k}": n for k, n in PLANTED.items()}
    assert f"INTEL-{EICAR}" not in findings  # on the eicar.com warninglist

    # Every planted line comes from a RCH-WS-* desktop at 10.20.1.x or 10.20.5.x, inside
    # WS-DEPT-FLEET's 10.20.0.0/21 (the EDR line names only the host: [intel.hosts] globs).
    assert {f.asset_ids for f in findings.values()} == {(WORKSTATIONS,)}

    c2 = findings[f"INTEL-{C2}"]
    # confidence 85 (STIX 2.1 Appendix A: high) → initiation very high; outbound firewall
    # connection (dst column) → adverse impact very high; Table G-5 → very high.
    assert c2.likelihood is not None and c2.likelihood.level is Level.VERY_HIGH
    assert "firewall dst (dst_ip)" in c2.likelihood.rationale
    assert c2.threat_event_ids == ("TE-MALWARE-C2",)
    lure = findings[f"INTEL-{LURE}"]
    assert lure.threat_event_ids == ("TE-MALWARE-C2", "TE-PHISHING-BEC")

    # The register: one entry per finding × threat event on WS-DEPT-FLEET, with the asset's
    # impact (criticality clinical support → moderate; ePHI, count unknown → at least moderate,
    # docs/risk-method.md) and Table I-2: very high likelihood × moderate impact → moderate.
    entries = [e for e in result.register if e.risk.finding_ids[0].startswith("INTEL-")]
    assert sorted((e.risk.finding_ids[0], e.risk.threat_event_id) for e in entries) == sorted(
        (f.finding_id, te) for f in findings.values() for te in f.threat_event_ids)
    for entry in entries:
        assert entry.risk.asset_id == WORKSTATIONS
        assert entry.risk.impact.level is Level.MODERATE
    c2_entry = next(e for e in entries if e.risk.finding_ids == (f"INTEL-{C2}",))
    assert c2_entry.inherent.level is Level.MODERATE

    data = cap.data
    suppressed = data["suppressed"]
    assert [(s["indicator_id"], s["warninglist"], s["first_place"], s["count"])
            for s in suppressed] == [(EICAR, "List of hashes for EICAR test virus", "line 171", 1)]
    rows = {h["indicator_id"]: h for h in data["hits"]}
    assert rows[DROPPER]["tlp"] == "TLP:AMBER" and rows[C2]["tlp"] == "TLP:GREEN"
    assert data["strictest_tlp"] == "TLP:AMBER"
    assert {(line["file"], line["place"]) for line in rows[C2]["lines"]} == {
        ("intel/logs/firewall-2026-03-02.csv", f"row {n}") for n in (59, 60, 133)}

    html = render_html(result)
    assert 'href="#intel"' in html
    section = _section(html)
    for indicator_id in PLANTED:
        assert f'id="intel-{indicator_id}"' in section
    dropper_row = re.search(rf'<tr id="intel-{DROPPER}">.*?</tr>', section, re.S)
    assert dropper_row is not None and "TLP:AMBER" in dropper_row.group(0)
    assert "44d88612fea8a8f36de82e1278abb02f" in section  # the suppression is shown
    # the near misses of intel/README.md do not hit
    assert "notriverside-payroll.example" not in section and "INV-2232" not in section

    document = json.loads(render_json(result))
    [intel] = [c for c in document["capabilities"] if c["name"] == "intel"]
    assert sorted(intel["finding_ids"]) == sorted(f"INTEL-{k}" for k in PLANTED)
    assert intel["data"]["counts"]["lines"] == 1200  # 400 + 300 + 300 + 200 (intel/README.md)


def test_a_missing_warninglist_folder_is_a_warning_and_nothing_is_suppressed(
        tmp_path: Path) -> None:
    missing = tmp_path / "no-such-warninglists"
    result = _audit(_copy(tmp_path, str(missing)))
    [cap] = result.capabilities
    [warning] = [p for p in result.problems if "warninglists folder not found" in p.message]
    assert warning.severity is ProblemSeverity.WARNING and warning.file == str(missing)
    findings = {f.finding_id: f for f in cap.findings}
    assert set(findings) == {f"INTEL-{k}" for k in (*PLANTED, EICAR)}
    # EICAR is typed "benign" (STIX 2.1 indicator-type-ov) → initiation very low; a file hash
    # seen on an endpoint → adverse impact high; Table G-5 very low × high → low.
    eicar = findings[f"INTEL-{EICAR}"].likelihood
    assert eicar is not None and eicar.level is Level.LOW
    assert cap.data["suppressed"] == [] and cap.data["config"]["warninglists_loaded"] == 0
    assert "No warninglist was loaded" in _section(render_html(result))


def test_hits_on_no_inventory_asset_warn_and_enter_no_risk(tmp_path: Path) -> None:
    root = _copy(tmp_path, str(tmp_path / "none"))
    toml = root / "caresec.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[:text.index("[intel.hosts]")], encoding="utf-8")
    inventory = root / "inventory" / "assets.csv"
    kept = [line for line in inventory.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith(f"{WORKSTATIONS},")]
    inventory.write_text("".join(kept), encoding="utf-8")

    result = _audit(root)
    [cap] = result.capabilities
    c2 = next(f for f in cap.findings if f.finding_id == f"INTEL-{C2}")
    assert c2.asset_ids == ()
    assert not [e for e in result.register if e.risk.finding_ids[0].startswith("INTEL-")]
    [problem] = [p for p in cap.problems if p.message.startswith(f"INTEL-{C2}:")]
    assert problem.severity is ProblemSeverity.WARNING
    assert (problem.file, problem.place) == ("intel/logs/firewall-2026-03-02.csv", "row 59")
    assert "10.20.1.16" in problem.message and "RCH-WS-BILL07" in problem.message
    assert cap.data["counts"]["not_in_register"] == len(PLANTED) + 1  # and EICAR


def _isac_bundle(value: str) -> dict[str, object]:
    stamp = "2026-02-20T00:00:00.000Z"
    indicator_id = f"indicator--{uuid.uuid5(uuid.NAMESPACE_URL, value)}"
    return {"type": "bundle", "id": f"bundle--{uuid.uuid5(uuid.NAMESPACE_DNS, value)}",
            "objects": [{"type": "indicator", "spec_version": "2.1", "id": indicator_id,
                         "created": stamp, "modified": stamp, "name": "ISAC-shared address",
                         "indicator_types": ["malicious-activity"], "confidence": 40,
                         "pattern": f"[ipv4-addr:value = '{value}']", "pattern_type": "stix",
                         "valid_from": stamp}]}


def _lines_naming(value: str) -> int:
    """Log lines whose address columns hold ``value`` (the mapping's src, dst, client.ip and
    answers columns), counted from the example's logs themselves."""
    with (LOGS / "firewall-2026-03-02.csv").open(encoding="utf-8", newline="") as handle:
        firewall = sum(1 for row in csv.DictReader(handle) if value in (row["src"], row["dst"]))
    dns = 0
    for line in (LOGS / "dns-2026-03-02.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        dns += value == record["client"]["ip"] or value in record["answers"]
    return firewall + dns


def test_pulled_store_indicators_are_matched_and_tlp_red_values_withheld(
        tmp_path: Path) -> None:
    value = "192.0.2.138"  # firewall row 2's destination
    root = _copy(tmp_path, str(tmp_path / "none"))
    bundle = tmp_path / "isac.json"
    bundle.write_text(json.dumps(_isac_bundle(value)), encoding="utf-8")
    with (root / "caresec.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[intel.sources]]\nname = "isac"\nkind = "stix"\n'
                     f'path = {json.dumps(str(bundle))}\ntlp = "red"\n')
    config = load_intel_config(root)
    with IntelStore.open(store_file(root)) as store:
        [report] = pull_all(config, store)
    assert not report.error and report.stored == 1

    result = _audit(root)
    [cap] = result.capabilities
    indicator_id = _isac_bundle(value)["objects"][0]["id"]  # type: ignore[index]
    finding = next(f for f in cap.findings if f.finding_id == f"INTEL-{indicator_id}")
    assert dict(finding.details)["source"] == "isac"
    assert dict(finding.details)["tlp"] == "TLP:RED"  # the source's TLP for unmarked objects
    assert int(dict(finding.details)["count"]) == _lines_naming(value) > 0
    assert finding.asset_ids == (WORKSTATIONS,)
    assert "value withheld (TLP:RED)" in finding.title
    assert all(value not in e.description for e in finding.evidence)
    assert cap.data["config"]["store_used"] is True
    assert cap.data["sources"] == {"isac": 1, "own": 8}
    section = _section(render_html(result))
    assert f'id="intel-{indicator_id}"' in section and value not in section
    assert cap.data["strictest_tlp"] == "TLP:RED"


@pytest.mark.parametrize(("table", "folder", "applies"), [
    ('[intel]\nmapping = "intel/logs/mapping.toml"\n', False, True),
    ("", True, True),  # ORG/intel without [intel]: applies, and says the table is missing
    ("", False, False),
])
def test_applies(tmp_path: Path, table: str, folder: bool, applies: bool) -> None:
    (tmp_path / "caresec.toml").write_text(
        f'[organization]\nname = "Clinic"\nsize_tier = "small"\n{table}', encoding="utf-8")
    if folder:
        (tmp_path / "intel").mkdir()
    assert IntelCapability().applies(load_org(tmp_path)) is applies


def test_intel_folder_without_table_and_invalid_table_are_problems(tmp_path: Path) -> None:
    root = _copy(tmp_path, str(tmp_path / "none"))
    toml = root / "caresec.toml"
    text = toml.read_text(encoding="utf-8")
    head = text[:text.index("[intel]")]
    toml.write_text(head, encoding="utf-8")
    [cap] = _audit(root).capabilities
    assert [(p.place, p.severity) for p in cap.problems] == [
        ("[intel]", ProblemSeverity.WARNING)]
    assert cap.findings == ()

    toml.write_text(head + '[intel]\ndefault_tlp = "orange"\n', encoding="utf-8")
    [cap] = _audit(root).capabilities
    [problem] = cap.problems
    assert problem.severity is ProblemSeverity.ERROR and problem.file == "caresec.toml"
    assert "default_tlp: 'orange' is not a TLP label" in problem.message
