"""Nmap XML import, on XML made by a real Nmap run (Debian's nmap) against loopback servers,
and on bad files.

Nmap's ``dicom-ping`` NSE script (shipped with Nmap 7.93) sends an A-ASSOCIATE-RQ with calling AE
``ECHOSCU`` and called AE ``ANY-SCP`` and reports "Any AET is accepted (Insecure)" when it is
accepted, "Called AET check enabled" when it is rejected. A private data directory holding only
``nmap-services`` names the random test ports ``dicom`` and ``hl7`` so that the script runs on
them (Nmap looks for each data file in ``--datadir`` first).
"""

from __future__ import annotations

import subprocess

import pytest

from caresec.model.asset import Asset, AssetKind, ClinicalCriticality
from caresec.model.exposure import ProbeObservations, ProbeStatus, ServiceProtocol
from caresec.probe.findings import KIND_UNMANAGED, exposure_findings
from caresec.probe.nmap import read_nmap_xml


@pytest.fixture
def scan(srv, start, tmp_path):  # type: ignore[no-untyped-def]
    nmap = srv.debian_binary("nmap", "nmap")
    open_scp = start(srv.DicomScp("open"))
    strict_scp = start(srv.DicomScp("strict"))
    mllp = start(srv.MllpListener("open"))
    closed = srv.free_port()
    (tmp_path / "nmap-services").write_text(
        f"dicom\t{open_scp.port}/tcp\t0.5\ndicom\t{strict_scp.port}/tcp\t0.5\n"
        f"hl7\t{mllp.port}/tcp\t0.5\n", encoding="utf-8")
    out = tmp_path / "scan.xml"
    ports = f"{open_scp.port},{strict_scp.port},{mllp.port},{closed}"
    subprocess.run([nmap, "-sT", "-Pn", "-n", "-p", ports, "--datadir", str(tmp_path),
                    "--script", "dicom-ping", "-oX", str(out), "127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return out, open_scp.port, strict_scp.port, mllp.port, closed


def test_real_nmap_xml_becomes_observed_services(scan):  # type: ignore[no-untyped-def]
    path, open_port, strict_port, mllp_port, closed = scan
    result, problems = read_nmap_xml(path, display="probes/scan.xml")
    assert problems == []
    assert result is not None
    assert result.run.tool == "nmap 7.93" or result.run.tool.startswith("nmap ")
    assert result.run.complete is True
    [host] = result.hosts
    assert host.address == "127.0.0.1"
    assert host.open_ports == tuple(sorted((open_port, strict_port, mllp_port)))
    by_port = {s.port: s for s in result.services}
    assert closed not in by_port
    assert {s.status for s in result.services} == {ProbeStatus.OBSERVED}
    assert by_port[mllp_port].protocol is ServiceProtocol.HL7_MLLP
    assert by_port[open_port].protocol is ServiceProtocol.DICOM
    open_checks = {c.check_id: c.holds for c in by_port[open_port].checks}
    assert open_checks == {"dicom.accepts-any-calling-ae": True,
                           "dicom.accepts-any-called-ae": True}
    strict_checks = {c.check_id: c.holds for c in by_port[strict_port].checks}
    assert strict_checks == {"dicom.accepts-any-calling-ae": None,
                             "dicom.accepts-any-called-ae": None}
    assert by_port[open_port].encrypted is False  # the script spoke clear-text DICOM to it
    assert by_port[mllp_port].encrypted is None  # name from the services table only


def test_scanned_host_outside_the_inventory_is_an_unmanaged_asset(scan):  # type: ignore[no-untyped-def]
    path, open_port, *_ = scan
    result, _ = read_nmap_xml(path, display="probes/scan.xml")
    assert result is not None
    observations = ProbeObservations(services=result.services, hosts=result.hosts)
    findings = exposure_findings(observations, [])
    unmanaged = [f for f in findings if f.kind == KIND_UNMANAGED]
    assert [f.finding_id for f in unmanaged] == ["UNMANAGED-127.0.0.1"]
    assert unmanaged[0].asset_ids == ()
    assert f"dicom://127.0.0.1:{open_port}" in dict(unmanaged[0].details)["services"]
    assert "EXP-127.0.0.1-dicom.accepts-any-calling-ae" in {f.finding_id for f in findings}

    pacs = Asset("PACS-01", "PACS", AssetKind.APPLICATION, ClinicalCriticality.DIAGNOSTIC,
                 holds_ephi=True, ip="127.0.0.0/30")
    managed = exposure_findings(observations, [pacs])
    assert not [f for f in managed if f.kind == KIND_UNMANAGED]
    finding = next(f for f in managed
                   if f.finding_id == "EXP-PACS-01-dicom.accepts-any-calling-ae")
    assert finding.asset_ids == ("PACS-01",)
    assert [e.collector for e in finding.evidence] == ["nmap"]


@pytest.mark.parametrize(("name", "place", "message"), [
    ("nmap.malformed.xml", "line 6, column 3", "not well-formed XML: mismatched tag"),
    ("nmap.not-nmaprun.xml", "", "the root element is <{http://cyclonedx.org/schema/bom/1.5}bom>"),
    ("nmap.entity-expansion.xml", "", "refused: the XML uses a forbidden construct"),
])
def test_bad_nmap_files_are_problems(fixtures, name, place, message):  # type: ignore[no-untyped-def]
    result, problems = read_nmap_xml(fixtures / "probe" / name, display=f"probes/{name}")
    assert result is None
    [problem] = problems
    assert problem.file == f"probes/{name}"
    assert problem.place == place
    assert message in problem.message


def test_host_without_address_and_bad_port_are_skipped_with_warnings(fixtures):  # type: ignore[no-untyped-def]
    result, problems = read_nmap_xml(fixtures / "probe" / "nmap.host-without-address.xml",
                                     display="scan.xml")
    assert result is not None
    assert [h.address for h in result.hosts] == ["127.0.0.2"]
    assert result.services == ()
    assert [(p.place, p.severity.value) for p in problems] == [
        ("host 1", "warning"), ("host 2 (127.0.0.2)", "warning")]
    assert "'notaport' is not a number" in problems[1].message
