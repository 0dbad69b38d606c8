"""Exposure, unmanaged-asset and MDS2-contradiction findings from observations (pure).

Controls are HIPAA Security Rule citations (45 CFR 164.312(a)(1) access control, (b) audit
controls, (d) person or entity authentication, (e)(1) transmission security, (e)(2)(ii)
encryption; 164.308(a)(1)(ii)(A) risk analysis); threat events are ids of
catalogs/threat-events.yaml. MDS2 question ids are those of ANSI/NEMA HN 1-2019 (NAUT node
authentication, AUTH authorization, TXCF transmission confidentiality).
"""

from __future__ import annotations

import pytest

from caresec.catalogs.loader import load_threat_events
from caresec.catalogs.registry import resolve_citation
from caresec.model.asset import Asset, AssetKind, ClinicalCriticality, NetworkZone
from caresec.model.device import Mds2Answer, Mds2Form
from caresec.model.exposure import (
    HostObservation,
    ProbeCheck,
    ProbeObservations,
    ProbeStatus,
    ServiceObservation,
    ServiceProtocol,
)
from caresec.model.finding import Severity
from caresec.probe.checks import CHECKS
from caresec.probe.findings import (
    KIND_EXPOSURE,
    KIND_MDS2_CONTRADICTION,
    THREAT_EVENTS,
    device_observations,
    exposure_findings,
    exposure_map,
    owner_of,
)

PACS = Asset("PACS-01", "PACS image manager", AssetKind.APPLICATION,
             ClinicalCriticality.DIAGNOSTIC, holds_ephi=True, ip="10.20.20.10",
             network_zone=NetworkZone.CLINICAL)
CT = Asset("CT-01", "CT scanner", AssetKind.MEDICAL_DEVICE, ClinicalCriticality.DIAGNOSTIC,
           vendor="Helion Medical", model="Helion CT 128", holds_ephi=True,
           ip="10.40.20.11", network_zone=NetworkZone.MEDICAL_DEVICE)
FLEET = Asset("US-FLEET", "Ultrasound carts", AssetKind.MEDICAL_DEVICE,
              ClinicalCriticality.DIAGNOSTIC, ip="10.40.20.32/28",
              network_zone=NetworkZone.MEDICAL_DEVICE)
SUBNET = Asset("RAD-NET", "Radiology subnet", AssetKind.NETWORK_DEVICE,
               ClinicalCriticality.BUSINESS, ip="10.40.20.0/24")
TAGGED = Asset("WS-9", "Workstation", AssetKind.WORKSTATION, ClinicalCriticality.BUSINESS,
               extra=(("mac", "00-1A-2B-3C-4D-5E"), ("hostname", "ws9.riverside.example")))
ASSETS = [PACS, CT, FLEET, SUBNET, TAGGED]


def _obs(address, port, protocol, checks, *, at="2025-03-01T10:00:00+00:00", method="probe",
         asset_id="", counts=()):  # type: ignore[no-untyped-def]
    return ServiceObservation(
        address=address, port=port, protocol=ServiceProtocol(protocol),
        status=ProbeStatus.ANSWERED, method=method, observed_at=at,
        source=f"probes/{method}.json", asset_id=asset_id,
        checks=tuple(ProbeCheck(c, h, f"{c} seen") for c, h in checks), counts=counts)


def test_every_exposure_names_catalogued_controls_and_threat_events():
    threat_events = load_threat_events()
    assert set(THREAT_EVENTS) <= set(threat_events)
    for spec in CHECKS.values():
        for control in spec.control_ids:
            assert resolve_citation(control).citation == control
        if spec.exposure:
            assert spec.control_ids and spec.severity is not Severity.NONE


def test_open_dicom_on_a_device_gives_findings_with_controls_and_threat_events():
    obs = _obs("10.40.20.11", 104, "dicom", [
        ("dicom.accepts-any-calling-ae", True), ("dicom.accepts-any-called-ae", False),
        ("dicom.query-answered-unrestricted", True), ("service.cleartext", True),
        ("dicom.echo-answered", True),
    ], counts=(("dicom.patient-level-matches", 12),))
    findings = exposure_findings(ProbeObservations(services=(obs,)), ASSETS)
    assert [(f.finding_id, f.severity) for f in findings] == [
        ("EXP-CT-01-dicom.query-answered-unrestricted", Severity.CRITICAL),
        ("EXP-CT-01-dicom.accepts-any-calling-ae", Severity.HIGH),
        ("EXP-CT-01-service.cleartext", Severity.MEDIUM),
    ]
    first = findings[0]
    assert first.kind == KIND_EXPOSURE and first.asset_ids == ("CT-01",)
    assert first.control_ids == ("164.312(a)(1)", "164.312(d)", "164.312(b)")
    assert first.threat_event_ids == ("TE-MISCONFIG-EXPOSURE", "TE-MEDDEV-COMPROMISE")
    details = dict(first.details)
    assert details["dicom.patient-level-matches"] == "12"
    assert details["network zone"] == "medical-device"
    assert first.evidence[0].description == (
        "dicom://10.40.20.11:104 at 2025-03-01T10:00:00+00:00: "
        "dicom.query-answered-unrestricted seen")
    assert findings[2].control_ids == ("164.312(e)(1)", "164.312(e)(2)(ii)")


def test_the_newest_observation_of_a_service_wins():
    old = _obs("10.20.20.10", 104, "dicom", [("dicom.accepts-any-calling-ae", True)],
               at="2025-01-01T00:00:00+00:00")
    new = _obs("10.20.20.10", 104, "dicom", [("dicom.accepts-any-calling-ae", False)],
               at="2025-02-01T00:00:00+00:00")
    assert exposure_findings(ProbeObservations(services=(old, new)), ASSETS) == []
    assert len(exposure_findings(ProbeObservations(services=(new, old)), ASSETS)) == 0
    assert len(exposure_findings(ProbeObservations(services=(old,)), ASSETS)) == 1


@pytest.mark.parametrize(("address", "mac", "names", "owner"), [
    ("10.20.20.10", "", (), "PACS-01"),
    ("10.40.20.33", "", (), "US-FLEET"),  # the /28 fleet, not the /24 subnet around it
    ("10.40.20.200", "", (), "RAD-NET"),
    ("10.99.0.1", "00:1a:2b:3c:4d:5e", (), "WS-9"),
    ("10.99.0.1", "", ("WS9.riverside.example.",), "WS-9"),
    ("10.99.0.1", "", (), ""),
])
def test_owner_is_found_by_address_network_mac_or_name(address, mac, names, owner):  # type: ignore[no-untyped-def]
    assert owner_of("", address, mac, names, ASSETS) == owner


def test_mds2_yes_contradicted_by_an_open_dicom_server():
    form = Mds2Form("Helion Medical", "Helion CT 128", answers=(
        Mds2Answer("NAUT-1", "yes", place="MDS2!row 120"),
        Mds2Answer("AUTH-1", "no", place="MDS2!row 60"),
        Mds2Answer("TXCF-2", "yes", place="MDS2!row 200"),
    ), source="mds2/helion-ct.xlsx")
    obs = _obs("10.40.20.11", 104, "dicom", [("dicom.accepts-any-calling-ae", True),
                                             ("service.cleartext", False)])
    findings = exposure_findings(ProbeObservations(services=(obs,)), ASSETS, {"CT-01": form})
    contradictions = [f for f in findings if f.kind == KIND_MDS2_CONTRADICTION]
    assert [f.finding_id for f in contradictions] == ["MDS2-CT-01-NAUT-1"]
    finding = contradictions[0]
    assert "MDS2 NAUT-1 answers yes" in finding.title
    assert "accepts associations from any calling AE title" in finding.title
    assert finding.severity is Severity.HIGH
    assert finding.evidence[-1].source == "mds2/helion-ct.xlsx (MDS2!row 120)"
    assert dict(finding.details)["contradicted by"] == "EXP-CT-01-dicom.accepts-any-calling-ae"

    cleartext = _obs("10.40.20.11", 104, "dicom", [("service.cleartext", True)])
    found = exposure_findings(ProbeObservations(services=(cleartext,)), ASSETS, {"CT-01": form})
    assert [f.finding_id for f in found if f.kind == KIND_MDS2_CONTRADICTION] == [
        "MDS2-CT-01-TXCF-2"]
    assert exposure_findings(ProbeObservations(services=(cleartext,)), ASSETS)[0].kind == (
        KIND_EXPOSURE)


def test_unmanaged_hosts_and_host_map_names_missing_from_the_inventory():
    hosts = (
        HostObservation("10.20.20.10", "probes/scan.xml", "2025-03-01T10:00:00+00:00",
                        open_ports=(104,)),
        HostObservation("10.99.0.7", "probes/scan.xml", "2025-03-01T10:00:00+00:00",
                        host_names=("mystery.local",), open_ports=(22, 104)),
        HostObservation("10.99.0.8", "probes/scan.xml", "2025-03-01T10:00:00+00:00",
                        asset_id="GONE-01"),
    )
    findings = exposure_findings(ProbeObservations(hosts=hosts), ASSETS)
    assert [f.finding_id for f in findings] == ["UNMANAGED-10.99.0.7", "UNMANAGED-10.99.0.8"]
    first, second = findings
    assert first.title == ("Unmanaged host 10.99.0.7 (mystery.local) answers on the network but "
                           "is not in the inventory")
    assert first.control_ids == ("164.308(a)(1)(ii)(A)",)
    assert dict(first.details)["open ports"] == "22, 104"
    assert "GONE-01" in dict(second.details)["reason"]


def test_exposure_map_orders_by_zone_and_links_findings():
    services = (
        _obs("10.99.0.7", 104, "dicom", [("dicom.accepts-any-calling-ae", True)]),
        _obs("10.40.20.11", 104, "dicom", [("service.cleartext", True)]),
        _obs("10.20.20.10", 104, "dicom", [("service.cleartext", False)]),
    )
    observations = ProbeObservations(services=services)
    findings = exposure_findings(observations, ASSETS)
    rows = exposure_map(observations, ASSETS, findings)
    assert [(r.zone, r.asset_id, r.issues) for r in rows] == [
        ("clinical", "PACS-01", ()),
        ("medical-device", "CT-01", ("service.cleartext",)),
        ("unmanaged", "", ("dicom.accepts-any-calling-ae",)),
    ]
    assert rows[1].finding_ids == ("EXP-CT-01-service.cleartext",)
    assert rows[0].finding_ids == ()


def test_device_observations_for_mds2_comparison():
    obs = _obs("10.40.20.11", 104, "dicom", [("dicom.accepts-any-calling-ae", True),
                                             ("service.cleartext", True),
                                             ("tls.legacy-protocol", True)])
    facts = [(o.asset_id, o.fact, o.value) for o in
             device_observations(ProbeObservations(services=(obs,)), ASSETS)]
    assert facts == [("CT-01", "authenticates_network_nodes", False),
                     ("CT-01", "encrypts_data_in_transit", False)]
