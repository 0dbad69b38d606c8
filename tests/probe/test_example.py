"""The example hospital ships a recorded probe run and Nmap scans (made by
tests/probe/record_example.py against stand-in servers on loopback addresses, mapped to
inventory assets by probes/host-map.csv); their findings are the ones the audit reports.

Expected values are what the recording observed (see
examples/riverside-community-hospital/probes/README.md for each stand-in's configuration).
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from caresec.analyze.mds2 import forms_for_assets
from caresec.collect.inventory import collect_inventory
from caresec.collect.mds2 import collect_mds2
from caresec.collect.org import load_org
from caresec.probe import exposure_findings, exposure_map, load_probe_results

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"


def test_recorded_evidence_loads_cleanly_and_stays_on_loopback():
    observations, problems = load_probe_results(EXAMPLE)
    assert problems == ()
    tools = sorted(r.tool for r in observations.runs)
    assert tools == ["caresec 0.1.0", "nmap 7.93", "nmap 7.93"]
    assert all(r.complete for r in observations.runs)
    addresses = {s.address for s in observations.services} | {
        h.address for h in observations.hosts}
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("127.0.0.0/8") for a in addresses)
    mapped = {s.address: s.asset_id for s in observations.services}
    assert mapped == {"127.0.0.11": "PACS-01", "127.0.0.12": "HL7-01",
                      "127.0.0.13": "PORTAL-WEB-01", "127.0.0.14": "EHR-APP-01",
                      "127.0.0.15": "IP-FLEET", "127.0.0.99": ""}
    [run] = [p for p in (EXAMPLE / "probes").glob("probe-*.json")]
    document = json.loads(run.read_text())
    assert document["phi_queries"] is True
    pacs = next(r for r in document["results"] if r["protocol"] == "dicom")
    assert pacs["counts"] == {"dicom.patient-level-matches": 0}
    assert "PatientID" not in run.read_text()


def test_recorded_evidence_gives_the_reported_findings():
    org = load_org(EXAMPLE)
    assets, _ = collect_inventory(org)
    forms, _ = collect_mds2(EXAMPLE / "mds2", EXAMPLE)
    observations, _ = load_probe_results(EXAMPLE)
    findings = exposure_findings(observations, assets, forms_for_assets(forms, assets))
    got = {f.finding_id: f.severity.value for f in findings}
    assert got == {
        "EXP-PACS-01-dicom.query-answered-unrestricted": "critical",
        "EXP-PACS-01-dicom.accepts-any-calling-ae": "high",
        "EXP-PACS-01-dicom.accepts-any-called-ae": "medium",
        "EXP-PACS-01-service.cleartext": "medium",
        "EXP-HL7-01-hl7.unauthenticated-ack": "high",
        "EXP-HL7-01-service.cleartext": "medium",
        "EXP-PORTAL-WEB-01-tls.legacy-protocol": "medium",
        "EXP-PORTAL-WEB-01-tls.weak-cipher-suites": "medium",
        "EXP-PORTAL-WEB-01-tls.certificate-expired": "medium",
        "EXP-PORTAL-WEB-01-tls.certificate-self-signed": "low",
        "EXP-PORTAL-WEB-01-tls.certificate-untrusted": "low",
        "EXP-IP-FLEET-hl7.unauthenticated-ack": "high",
        "EXP-IP-FLEET-service.cleartext": "medium",
        "MDS2-IP-FLEET-TXCF-2": "medium",
        "EXP-127.0.0.99-dicom.accepts-any-calling-ae": "high",
        "EXP-127.0.0.99-dicom.accepts-any-called-ae": "medium",
        "UNMANAGED-127.0.0.99": "medium",
    }
    by_id = {f.finding_id: f for f in findings}
    legacy = by_id["EXP-PORTAL-WEB-01-tls.legacy-protocol"]
    assert sorted(e.collector for e in legacy.evidence) == ["nmap", "probe"]
    pump = by_id["EXP-IP-FLEET-hl7.unauthenticated-ack"]
    assert pump.threat_event_ids == ("TE-MISCONFIG-EXPOSURE", "TE-MEDDEV-COMPROMISE")
    # EHR-APP-01 (SMART required, TLS 1.2+, CA-signed) is probed and clean.
    assert not any("EHR-APP-01" in f.asset_ids for f in findings)
    zones = [r.zone for r in exposure_map(observations, assets, findings)]
    assert zones == sorted(zones, key=["dmz", "clinical", "medical-device", "unmanaged"].index)
