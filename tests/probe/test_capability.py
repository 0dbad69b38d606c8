"""The exposure capability (caresec.capabilities.probe) inside ``caresec audit``: the example
hospital's recorded probe run and Nmap scans (examples/riverside-community-hospital/probes/,
recorded by tests/probe/record_example.py; what each stand-in was is in its README) become
findings, risks and the HTML section ``exposure``; the audit opens no socket while
``[probe] audit = false``; MDS2 contradictions are never reported by both capabilities.

Likelihood levels follow NIST SP 800-30 Rev. 1 Table G-5 (overall likelihood from initiation ×
adverse impact); risk levels Table I-2. MDS2 question ids are ANSI/NEMA HN 1-2019's (NAUT-1 node
authentication, AUTH-1 authorization, TXCF-2 transmission confidentiality).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from caresec.capabilities import devices
from caresec.capabilities import probe as probe_capability
from caresec.capabilities.probe import exposure_likelihood
from caresec.collect.org import load_org
from caresec.extension import AuditContext, CapabilityRegistry, builtin_capabilities
from caresec.model import AuditResult, Level
from caresec.model.asset import Asset, AssetKind, ClinicalCriticality, NetworkZone
from caresec.model.finding import Finding, Severity
from caresec.pipeline import run_audit
from caresec.probe.checks import CHECKS
from caresec.report import render_html, render_json
from caresec.risk.impact import assess_impact

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
TODAY = date(2026, 11, 29)


def _copy(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".caresec"))
    return target


class _ConnectCalled(AssertionError):
    pass


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AuditResult, list[Any]]]:
    """One audit of a private copy of the example with every built-in capability, with
    ``socket.socket.connect`` (and ``connect_ex``) made to record and fail any attempt."""
    org = _copy(tmp_path_factory.mktemp("riverside") / "riverside")
    attempts: list[Any] = []

    def refuse(_self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise _ConnectCalled(f"the audit tried to connect to {address!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        result = run_audit(org, today=TODAY, record_run=False,
                           capabilities=CapabilityRegistry.default(plugins=False))
    yield result, attempts


def _probe_result(result: AuditResult) -> Any:
    return next(c for c in result.capabilities if c.name == "probe")


def test_probe_capability_is_built_in_after_devices() -> None:
    names = [c.name for c in builtin_capabilities()]
    assert "probe" in names and names.index("devices") < names.index("probe")
    assert probe_capability.ORDER == 40


def test_audit_with_probe_audit_false_opens_no_socket(audited) -> None:  # type: ignore[no-untyped-def]
    result, attempts = audited
    assert load_org(EXAMPLE).section("probe")["audit"] is False
    assert attempts == []
    data = _probe_result(result).data
    assert data["audit_probe"] == {"enabled": False, "ran": False, "source": None,
                                   "targets": 0}


def test_recorded_findings_enter_the_audit(audited) -> None:  # type: ignore[no-untyped-def]
    result, _ = audited
    findings = {f.finding_id: f for f in result.findings}
    # What the recording observed (probes/README.md): Orthanc on PACS-01 accepted any AE
    # title and answered a patient-level C-FIND; the MLLP listeners of HL7-01 and IP-FLEET
    # acknowledged an unauthenticated sender in clear text (MIS-7 MDS2 TXCF-2 = yes); the Nmap
    # sweep found 127.0.0.99 answering DICOM, in no inventory row or host-map row.
    expected = {
        "EXP-PACS-01-dicom.accepts-any-calling-ae": ("exposure", ("PACS-01",), "high"),
        "EXP-PACS-01-dicom.query-answered-unrestricted": ("exposure", ("PACS-01",),
                                                          "critical"),
        "EXP-HL7-01-hl7.unauthenticated-ack": ("exposure", ("HL7-01",), "high"),
        "EXP-IP-FLEET-hl7.unauthenticated-ack": ("exposure", ("IP-FLEET",), "high"),
        "MDS2-IP-FLEET-TXCF-2": ("mds2-contradiction", ("IP-FLEET",), "medium"),
        "UNMANAGED-127.0.0.99": ("unmanaged-asset", (), "medium"),
        "EXP-127.0.0.99-dicom.accepts-any-calling-ae": ("exposure", (), "high"),
    }
    for finding_id, (kind, asset_ids, severity) in expected.items():
        finding = findings[finding_id]
        assert (finding.kind, finding.asset_ids, finding.severity.value) == (
            kind, asset_ids, severity), finding_id
        assert finding.likelihood is not None and "Table G-5" in finding.likelihood.rationale
    assert findings["MDS2-IP-FLEET-TXCF-2"].control_ids[0] == "164.308(a)(1)(ii)(A)"
    assert findings["EXP-IP-FLEET-hl7.unauthenticated-ack"].threat_event_ids == (
        "TE-MISCONFIG-EXPOSURE", "TE-MEDDEV-COMPROMISE")
    # EHR-APP-01 (SMART required, TLS 1.2+, CA-signed) was probed and is clean.
    assert not any(f.asset_ids == ("EHR-APP-01",) for f in result.findings
                   if f.finding_id.startswith("EXP-"))
    assert [p for p in result.problems if p.collector in ("probe", "nmap")] == []


@pytest.mark.parametrize(("finding_id", "asset_id", "likelihood", "inherent"), [
    # PACS-01: clinical zone, 180,000 ePHI records. Initiation high (no credential needed, no
    # zone step) × adverse impact high (severity high) → high (G-5); × impact → I-2.
    ("EXP-PACS-01-dicom.accepts-any-calling-ae", "PACS-01", Level.HIGH, Level.VERY_HIGH),
    # critical C-FIND answered: high × very high → very high.
    ("EXP-PACS-01-dicom.query-answered-unrestricted", "PACS-01", Level.VERY_HIGH,
     Level.VERY_HIGH),
    # clear text: initiation moderate (on-path position) × moderate → moderate.
    ("EXP-PACS-01-service.cleartext", "PACS-01", Level.MODERATE, Level.HIGH),
    # PORTAL-WEB-01 is internet-facing: moderate +1 → high × moderate (severity medium) →
    # moderate.
    ("EXP-PORTAL-WEB-01-tls.legacy-protocol", "PORTAL-WEB-01", Level.MODERATE, None),
    ("MDS2-IP-FLEET-TXCF-2", "IP-FLEET", Level.MODERATE, None),
])
def test_findings_on_inventory_assets_are_risks_with_the_asset_impact(  # type: ignore[no-untyped-def]
        audited, finding_id, asset_id, likelihood, inherent):
    result, _ = audited
    asset = next(a for a in result.facts.assets if a.asset_id == asset_id)
    entries = [e for e in result.register if e.risk.finding_ids == (finding_id,)]
    assert entries, finding_id
    for entry in entries:
        assert entry.risk.asset_id == asset_id
        assert entry.inherent.likelihood.level is likelihood
        assert entry.inherent.impact == assess_impact(asset)
        if inherent is not None:
            assert entry.inherent.level is inherent
    if asset.kind is AssetKind.MEDICAL_DEVICE:
        assert {e.risk.threat_event_id for e in entries} == {"TE-MISCONFIG-EXPOSURE",
                                                             "TE-MEDDEV-COMPROMISE"}


def test_findings_outside_the_inventory_enter_no_risk_but_stay_visible(audited) -> None:  # type: ignore[no-untyped-def]
    result, _ = audited
    outside = {"UNMANAGED-127.0.0.99", "EXP-127.0.0.99-dicom.accepts-any-calling-ae",
               "EXP-127.0.0.99-dicom.accepts-any-called-ae"}
    assert outside <= {f.finding_id for f in result.findings}
    assert not any(set(e.risk.finding_ids) & outside for e in result.register)
    data = _probe_result(result).data
    rows = {r["finding_id"]: r for r in data["findings"]}
    assert {i for i in outside if not rows[i]["in_register"]} == outside
    assert data["counts"]["not_in_register"] == 3
    [host] = data["unmanaged"]
    assert host["address"] == "127.0.0.99" and host["open_ports"] == "104"
    assert host["sources"] == ["probes/nmap-sweep.xml"]
    summary = dict(_probe_result(result).summary)
    assert summary["  on hosts outside the inventory (no risk)"] == "3"


def test_exposure_map_runs_and_observations_in_data_and_html(audited) -> None:  # type: ignore[no-untyped-def]
    result, _ = audited
    data = _probe_result(result).data
    # Zones of the inventory (PORTAL-WEB-01 dmz; PACS-01, HL7-01, EHR-APP-01 clinical;
    # IP-FLEET medical-device), most exposed first, then hosts no asset owns.
    assert [z["zone"] for z in data["zones"]] == ["dmz", "clinical", "medical-device",
                                                  "unmanaged"]
    clinical = {a["asset_id"]: a for a in data["zones"][1]["assets"]}
    assert sorted(clinical) == ["EHR-APP-01", "HL7-01", "PACS-01"]
    pacs_failed = {f["check_id"] for s in clinical["PACS-01"]["services"] for f in s["failed"]}
    assert "dicom.accepts-any-calling-ae" in pacs_failed
    assert all(not s["failed"] for s in clinical["EHR-APP-01"]["services"])
    # Start times: the run document's started_at; Nmap's nmaprun start (epoch seconds, UTC).
    assert [(r["source"], r["tool"], r["started_at"]) for r in data["runs"]] == [
        ("probes/probe-20261129T161313Z.json", "caresec 0.1.0", "2026-11-29T16:13:13+00:00"),
        ("probes/nmap-pacs.xml", "nmap 7.93", "2026-11-29T16:13:27+00:00"),
        ("probes/nmap-sweep.xml", "nmap 7.93", "2026-11-29T16:13:40+00:00"),
    ]
    assert data["runs"][0]["scope"][0] == "#1 dicom 127.0.0.11 port(s) 4242 (PACS image manager)"
    targets = {t["target"]: t for t in data["targets"]}
    pacs = targets["127.0.0.11:4242"]
    assert pacs["asset_id"] == "PACS-01"
    assert {o["method"] for o in pacs["observations"]} == {"probe", "nmap"}
    assert all(o["observed_at"].startswith("2026-11-29T") for o in pacs["observations"])
    probed = next(o for o in pacs["observations"] if o["method"] == "probe")
    assert probed["counts"] == {"dicom.patient-level-matches": 0}

    document = json.loads(render_json(result))
    caps = {c["name"]: c for c in document["capabilities"]}
    assert "MDS2-IP-FLEET-TXCF-2" in caps["probe"]["finding_ids"]
    html = render_html(result)
    start = html.index('<section id="exposure"')
    section = html[start:html.index("</section>", start)]
    assert 'href="#exposure"' in html
    for text in ('data-zone="dmz"', 'data-zone="unmanaged"', "EXP-PACS-01-dicom.accepts-any-"
                 "calling-ae", "EXP-HL7-01-hl7.unauthenticated-ack", "MDS2-IP-FLEET-TXCF-2",
                 "UNMANAGED-127.0.0.99", "not in the register", "probes/nmap-sweep.xml",
                 "2026-11-29T16:13:13+00:00"):
        assert text in section, text


def test_no_mds2_pair_is_reported_by_both_capabilities(audited) -> None:  # type: ignore[no-untyped-def]
    result, _ = audited
    ids = [f.finding_id for f in result.findings]
    assert len(ids) == len(set(ids))
    pairs = {c.name: {f.finding_id for f in c.findings if f.kind == "mds2-contradiction"}
             for c in result.capabilities}
    # devices: the MIS-7 form's MPII-1 and SBOM-1 answers against inventory facts.
    assert pairs["devices"] == {"MDS2-IP-FLEET-MPII-1", "MDS2-IP-FLEET-SBOM-1"}
    assert pairs["probe"] == {"MDS2-IP-FLEET-TXCF-2"}


def _mds2_workbook(path: Path, rows: list[tuple[str, str, str]]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "MDS2"
    sheet.append(["Question ID", "Question", "Answer", "Note"])
    for row in rows:
        sheet.append([*row, ""])
    book.save(path)


def _with_inventory_column(org: Path, column: str, values: dict[str, str]) -> None:
    path = org / "inventory" / "assets.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*rows[0], column], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, column: values.get(row["asset_id"], "")})
    path.write_text(out.getvalue(), encoding="utf-8")


def test_mds2_authentication_yes_contradicted_and_shared_pairs_left_to_devices(tmp_path) -> None:  # type: ignore[no-untyped-def]
    org = _copy(tmp_path / "riverside")
    # An MDS2 form for the PACS (DOC-1/DOC-3 name the inventory's vendor and model) that says
    # yes to node authentication and authorization, while Orthanc accepted any calling AE.
    _mds2_workbook(org / "mds2" / "lumenix-pacs.mds2.xlsx", [
        ("DOC-1", "Manufacturer name", "Lumenix Imaging"),
        ("DOC-3", "Device model", "Lumenix PACS"),
        ("NAUT-1", "Node authentication", "Yes"),
        ("AUTH-1", "Authorization", "Yes"),
        ("TXCF-2", "Transmission confidentiality", "No"),
    ])
    # The inventory now states the pumps do not encrypt in transit: the devices capability
    # reports MDS2 TXCF-2 on IP-FLEET from that fact, so the probe capability must not.
    _with_inventory_column(org, "encryption_in_transit", {"IP-FLEET": "no"})
    registry = CapabilityRegistry([devices.capability(), probe_capability.capability()])
    result = run_audit(org, today=TODAY, record_run=False, capabilities=registry)

    by_capability = {c.name: c for c in result.capabilities}
    probe_mds2 = {f.finding_id: f for f in by_capability["probe"].findings
                  if f.kind == "mds2-contradiction"}
    assert sorted(probe_mds2) == ["MDS2-PACS-01-AUTH-1", "MDS2-PACS-01-NAUT-1"]
    naut = probe_mds2["MDS2-PACS-01-NAUT-1"]
    assert "accepts associations from any calling AE title" in naut.title
    assert "EXP-PACS-01-dicom.accepts-any-calling-ae" in dict(naut.details)["contradicted by"]
    assert naut.evidence[-1].source.startswith("mds2/lumenix-pacs.mds2.xlsx (MDS2!row ")
    assert any(e.risk.finding_ids == ("MDS2-PACS-01-NAUT-1",) for e in result.register)

    txcf = [f for f in result.findings if f.finding_id == "MDS2-IP-FLEET-TXCF-2"]
    assert len(txcf) == 1
    assert txcf[0] in by_capability["devices"].findings
    assert [e.collector for e in txcf[0].evidence] == ["inventory", "mds2"]
    [deferred] = by_capability["probe"].data["mds2"]["deferred"]
    assert (deferred["finding_id"], deferred["reported_by"]) == ("MDS2-IP-FLEET-TXCF-2",
                                                                 "devices")
    assert "EXP-IP-FLEET-service.cleartext" in deferred["contradicted_by"]
    # The observation itself still stands as its exposure finding.
    assert "EXP-IP-FLEET-service.cleartext" in {f.finding_id for f in result.findings}


def _small_org(root: Path, probe_table: str) -> Path:
    root.mkdir()
    (root / "caresec.toml").write_text(
        '[organization]\nname = "Clinic"\nsize_tier = "small"\n' + textwrap.dedent(probe_table),
        encoding="utf-8")
    return root


def _context(root: Path, assets: tuple[Asset, ...] = ()) -> AuditContext:
    return AuditContext(org=load_org(root), assets=assets, sboms=(), matches=(),
                        not_assessed=(), kev={}, epss={}, today=TODAY)


LAB = Asset("LAB-IF", "Lab interface", AssetKind.APPLICATION, ClinicalCriticality.DIAGNOSTIC,
            holds_ephi=True, ephi_records=5000, ip="127.0.0.1",
            network_zone=NetworkZone.CLINICAL)


def test_audit_true_probes_the_scope_first(srv, start, tmp_path) -> None:  # type: ignore[no-untyped-def]
    listener = start(srv.MllpListener("open"))
    root = _small_org(tmp_path / "clinic", f"""
        [probe]
        rate = 50
        timeout = 2
        audit = true

        [[probe.targets]]
        hosts = ["127.0.0.1"]
        ports = [{listener.port}]
        protocol = "hl7-mllp"
        tls = false
        """)
    cap = probe_capability.capability()
    assert cap.applies(load_org(root))
    result = cap.run(_context(root, (LAB,)))
    assert result.problems == ()
    data = result.data
    assert data["audit_probe"]["ran"] is True and data["audit_probe"]["targets"] == 1
    assert data["audit_probe"]["source"].startswith("probes/probe-")
    assert [(r["tool"].split()[0], r["complete"], r["phi_queries"]) for r in data["runs"]] == [
        ("caresec", True, False)]
    assert len(listener.messages) == 1
    finding = next(f for f in result.findings
                   if f.finding_id == "EXP-LAB-IF-hl7.unauthenticated-ack")
    assert finding.likelihood is not None and finding.likelihood.level is Level.HIGH


@pytest.mark.parametrize(("audit", "connects"), [("false", False), ("true", True)])
def test_the_connect_guard_sees_an_audit_probe(tmp_path, monkeypatch, audit, connects) -> None:  # type: ignore[no-untyped-def]
    """The guard used above would catch a probe: with audit = true the capability connects."""
    attempts: list[Any] = []

    def refuse(_self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise _ConnectCalled(f"the audit tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    root = _small_org(tmp_path / "clinic", f"""
        [probe]
        rate = 50
        timeout = 1
        audit = {audit}

        [[probe.targets]]
        hosts = ["127.0.0.1"]
        ports = [2575]
        protocol = "hl7-mllp"
        tls = false
        """)
    result = probe_capability.capability().run(_context(root))
    assert bool(attempts) is connects
    assert result.data["audit_probe"]["ran"] is connects


def test_invalid_probe_table_is_a_problem_and_recorded_evidence_is_still_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = _small_org(tmp_path / "clinic", """
        [probe]
        rate = 0
        audit = true
        """)
    shutil.copytree(EXAMPLE / "probes", root / "probes")
    result = probe_capability.capability().run(_context(root))
    [problem] = [p for p in result.problems if p.collector == "probe"]
    assert (problem.file, problem.place) == ("caresec.toml", "[probe]")
    assert "rate must be a number above 0" in problem.message
    assert result.data["audit_probe"]["ran"] is False
    # No inventory: every host is unmanaged, none is lost.
    assert {f.finding_id for f in result.findings if f.kind == "unmanaged-asset"} == {
        f"UNMANAGED-127.0.0.{n}" for n in (11, 12, 13, 14, 15, 99)}


@pytest.mark.parametrize(("table", "folder", "applies"), [
    ("", None, False),
    ("", "probes", True),
    ("[probe]\n", None, True),
    ('[probe]\nresults = "evidence"\n', "evidence", True),
    ('[probe]\nresults = "evidence"\n', None, True),
])
def test_applies_when_probe_table_or_evidence_folder(tmp_path, table, folder, applies) -> None:  # type: ignore[no-untyped-def]
    root = _small_org(tmp_path / "clinic", table)
    if folder:
        (root / folder).mkdir()
    assert probe_capability.capability().applies(load_org(root)) is applies


def _exposure(check_id: str, asset: Asset | None) -> Finding:
    spec = CHECKS[check_id]
    ident = asset.asset_id if asset else "10.9.9.9"
    return Finding(finding_id=f"EXP-{ident}-{check_id}", kind="exposure", title=spec.title,
                   asset_ids=(asset.asset_id,) if asset else (), severity=spec.severity,
                   details=(("check", check_id),))


PACS = Asset("PACS-01", "PACS", AssetKind.APPLICATION, ClinicalCriticality.DIAGNOSTIC,
             network_zone=NetworkZone.CLINICAL)


@pytest.mark.parametrize(("check_id", "asset", "level"), [
    # NIST SP 800-30 Rev. 1 Table G-5: initiation × adverse impact → overall.
    # Any calling AE title (severity high → adverse high): DMZ very high × high → very high;
    # clinical high × high → high; isolated moderate × high → moderate.
    ("dicom.accepts-any-calling-ae", replace(PACS, network_zone=NetworkZone.DMZ),
     Level.VERY_HIGH),
    ("dicom.accepts-any-calling-ae", PACS, Level.HIGH),
    ("dicom.accepts-any-calling-ae", replace(PACS, network_zone=NetworkZone.ISOLATED),
     Level.MODERATE),
    ("dicom.accepts-any-calling-ae", None, Level.HIGH),  # unmanaged: zone unknown, no step
    # Patient-level C-FIND (critical → adverse very high): high × very high → very high.
    ("dicom.query-answered-unrestricted", PACS, Level.VERY_HIGH),
    # TLS 1.0 offered (medium → moderate): clinical moderate × moderate → moderate; internet-
    # facing high × moderate → moderate.
    ("tls.legacy-protocol", PACS, Level.MODERATE),
    ("tls.legacy-protocol", replace(PACS, internet_facing=True), Level.MODERATE),
    # Self-signed certificate (low → adverse low): moderate × low → low.
    ("tls.certificate-self-signed", PACS, Level.LOW),
    # Any called AE title (medium): a further step needed, moderate × moderate → moderate.
    ("dicom.accepts-any-called-ae", PACS, Level.MODERATE),
])
def test_exposure_likelihood_follows_table_g5(check_id, asset, level) -> None:  # type: ignore[no-untyped-def]
    assessed = exposure_likelihood(_exposure(check_id, asset), asset)
    assert assessed.level is level
    assert "Table G-5" in assessed.rationale
    where = asset.asset_id if asset else "10.9.9.9"
    assert f"{CHECKS[check_id].title} on {where}" in assessed.rationale
    assert f"severity {Severity(CHECKS[check_id].severity).value}" in assessed.rationale
