"""Probe evidence files: run documents (JSON Schema probe-run.schema.json), host map, bad input
named by file and place (JSON pointer, line/column, row/column)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from caresec.model.exposure import (
    ProbeCheck,
    ProbeStatus,
    ServiceObservation,
    ServiceProtocol,
    TlsCertificate,
    TlsObservation,
)
from caresec.probe.evidence import (
    RunRecord,
    load_probe_results,
    observation_from_json,
    observation_to_json,
    read_host_map,
)

OBS = ServiceObservation(
    address="127.0.0.1", port=2762, protocol=ServiceProtocol.DICOM, status=ProbeStatus.ANSWERED,
    method="probe", observed_at="2025-03-01T10:00:00+00:00",
    finished_at="2025-03-01T10:00:02+00:00", host_name="pacs.test",
    tls=TlsObservation(
        protocols=("TLSv1.2", "TLSv1.3"), cipher="TLS_AES_256_GCM_SHA384",
        certificate=TlsCertificate(
            subject="CN=pacs.test", issuer="CN=test CA", not_before="2025-01-01T00:00:00+00:00",
            not_after="2026-01-01T00:00:00+00:00", self_signed=False, names=("pacs.test",),
            sha256="ab" * 32, public_key="RSA 2048", signature_algorithm="sha256WithRSAEncryption"),
        trusted=True, server_name="pacs.test", name_matches=True,
        client_certificate_required=False),
    encrypted=True,
    checks=(ProbeCheck("dicom.accepts-any-calling-ae", True, "accepted"),
            ProbeCheck("tls.certificate-untrusted", False, "verifies")),
    counts=(("dicom.patient-level-matches", 4),),
    details=(("accepted contexts", "Verification SOP Class [Implicit VR Little Endian]"),),
)


def _write_run(folder: Path, name: str, results: list[dict[str, object]], *,
               complete: bool = True) -> Path:
    record = RunRecord(path=folder / name, tool="caresec 0.1.0",
                       started_at="2025-03-01T10:00:00+00:00", phi_queries=True,
                       planned=[f"dicom://127.0.0.1:{1000 + i}" for i in range(len(results))])
    document = record.to_json()
    document["results"] = results
    document["complete"] = complete
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_observation_round_trips_through_json():
    data = json.loads(json.dumps(observation_to_json(OBS)))
    assert observation_from_json(data, source="probes/run.json") == replace(
        OBS, source="probes/run.json")


def test_load_probe_results_reads_runs_and_reports_bad_files(tmp_path):  # type: ignore[no-untyped-def]
    probes = tmp_path / "evidence"
    probes.mkdir()
    (tmp_path / "caresec.toml").write_text(
        '[organization]\nname = "Clinic"\nsize_tier = "small"\n[probe]\nresults = "evidence"\n',
        encoding="utf-8")
    good = observation_to_json(OBS)
    bad_port = {**good, "port": 70000}
    _write_run(probes, "probe-20250301T100000Z.json", [good, bad_port])
    _write_run(probes, "probe-20250302T100000Z.json", [good], complete=False)
    (probes / "probe-broken.json").write_text('{"format": "caresec-probe-run",\n  "version": }',
                                              encoding="utf-8")
    (probes / "other.json").write_text('{"bomFormat": "CycloneDX"}', encoding="utf-8")
    (probes / "host-map.csv").write_text(
        "address,asset_id,note\n127.0.0.1,PACS-01,stand-in\n127.0.0.2,,missing id\n",
        encoding="utf-8")
    observations, problems = load_probe_results(tmp_path)
    assert [(p.file, p.place, p.severity.value) for p in problems] == [
        ("evidence/host-map.csv", "row 3, column asset_id", "error"),
        ("evidence/other.json", "/format", "error"),
        ("evidence/probe-20250301T100000Z.json", "/results/1/port", "error"),
        ("evidence/probe-20250302T100000Z.json", "/complete", "warning"),
        ("evidence/probe-broken.json", "line 2, column 14", "error"),
    ]
    assert "70000 is greater than the maximum of 65535" in problems[2].message
    assert "interrupted after 1 of 1 targets" in problems[3].message
    assert len(observations.services) == 2
    assert {s.asset_id for s in observations.services} == {"PACS-01"}
    assert {s.source for s in observations.services} == {
        "evidence/probe-20250301T100000Z.json", "evidence/probe-20250302T100000Z.json"}
    assert [h.address for h in observations.hosts] == ["127.0.0.1", "127.0.0.1"]
    assert [r.complete for r in observations.runs] == [True, False]


def test_missing_evidence_folder_is_no_problem(tmp_path):  # type: ignore[no-untyped-def]
    observations, problems = load_probe_results(tmp_path)
    assert observations.services == () and problems == ()


@pytest.mark.parametrize(("text", "place", "message"), [
    ("ip,asset\n127.0.0.1,X\n", "row 1", "required column(s) address, asset_id missing"),
    ("address,asset_id\n,PACS-01\n", "row 2, column address", "address is empty"),
])
def test_host_map_problems(tmp_path, text, place, message):  # type: ignore[no-untyped-def]
    path = tmp_path / "host-map.csv"
    path.write_text(text, encoding="utf-8")
    entries, problems = read_host_map(path, display="probes/host-map.csv")
    assert entries == []
    assert [(p.place, message in p.message) for p in problems] == [(place, True)]


@pytest.mark.parametrize(("observed", "address", "mac", "names", "matches"), [
    ("127.0.0.0/30", "127.0.0.2", "", (), True),
    ("127.0.0.0/30", "127.0.0.9", "", (), False),
    ("AA-BB-CC-DD-EE-FF", "10.0.0.1", "aa:bb:cc:dd:ee:ff", (), True),
    ("pacs.local", "10.0.0.1", "", ("PACS.local.",), True),
    ("pacs.local", "10.0.0.1", "", (), False),
])
def test_host_map_rows_match_addresses_blocks_macs_and_names(tmp_path, observed, address, mac,
                                                             names, matches):  # type: ignore[no-untyped-def]
    path = tmp_path / "host-map.csv"
    path.write_text(f"address,asset_id\n{observed},A-1\n", encoding="utf-8")
    [entry], _ = read_host_map(path, display="host-map.csv")
    assert entry.matches(address, mac, names) is matches
