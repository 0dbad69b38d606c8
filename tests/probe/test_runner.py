"""Probe runs end to end: ``caresec probe`` on an organization folder whose [probe] scope lists
real servers on loopback; results saved with timestamps; interruption and resume; refusals.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from caresec.cli.probe import app
from caresec.errors import CaresecError
from caresec.model.exposure import ProbeStatus
from caresec.probe.evidence import read_run, run_schema
from caresec.probe.ratelimit import RateLimiter
from caresec.probe.runner import find_incomplete, new_run, resume_run, run_probes
from caresec.probe.scope import ScopeError, load_scope, resolve_targets


@pytest.fixture
def org(srv, start, tmp_path):  # type: ignore[no-untyped-def]
    dicom = start(srv.DicomScp("open"))
    mllp = start(srv.MllpListener("open"))
    fhir = start(srv.FhirServer("strict"))
    (tmp_path / "caresec.toml").write_text(textwrap.dedent(f"""
        [organization]
        name = "Loopback Clinic"
        size_tier = "small"

        [probe]
        rate = 100
        timeout = 2

        [[probe.targets]]
        hosts = ["127.0.0.1"]
        ports = [{dicom.port}]
        protocol = "dicom"
        called_ae = "{dicom.ae_title}"
        tls = false
        phi_queries = true

        [[probe.targets]]
        hosts = ["127.0.0.1"]
        ports = [{mllp.port}]
        protocol = "hl7-mllp"
        tls = false

        [[probe.targets]]
        hosts = ["127.0.0.1"]
        ports = [{fhir.port}]
        protocol = "fhir"
        tls = false
        base_path = "/fhir"
    """), encoding="utf-8")
    return tmp_path


def _runs(org: Path) -> list[Path]:
    return sorted((org / "probes").glob("probe-*.json"))


def test_cli_probes_the_scope_and_saves_timestamped_evidence(org):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, [str(org)])
    assert result.exit_code == 0, result.output
    assert "Results saved to" in result.output
    [path] = _runs(org)
    document = json.loads(path.read_text())
    jsonschema.validate(document, run_schema())
    assert document["complete"] is True and document["phi_queries"] is False
    stamp = document["started_at"][:19].replace("-", "").replace(":", "")
    assert path.name == f"probe-{stamp}Z.json"
    statuses = {r["protocol"]: r["status"] for r in document["results"]}
    assert statuses == {"dicom": "answered", "hl7-mllp": "answered", "fhir": "answered"}
    holds = {(r["protocol"], c["check_id"]): c["holds"]
             for r in document["results"] for c in r["checks"]}
    assert holds[("dicom", "dicom.accepts-any-calling-ae")] is True
    assert holds[("hl7-mllp", "hl7.unauthenticated-ack")] is True
    assert holds[("fhir", "fhir.read-without-token")] is False
    assert holds[("dicom", "service.cleartext")] is True
    record, problems = read_run(path, display=path.name)
    assert problems == [] and record is not None and len(record.results) == 3
    assert all(r.observed_at <= r.finished_at for r in record.results)


def test_opted_in_counts_are_saved_and_identifiers_are_not(org):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, [str(org), "--opt-in-phi-queries"])
    assert result.exit_code == 0, result.output
    [path] = _runs(org)
    text = path.read_text()
    document = json.loads(text)
    assert document["phi_queries"] is True
    dicom = next(r for r in document["results"] if r["protocol"] == "dicom")
    assert dicom["counts"] == {"dicom.patient-level-matches": 3}
    assert "TEST-1" not in text


def test_out_of_scope_target_is_refused_and_nothing_is_probed(org):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, [str(org), "127.0.0.1:9", "127.0.0.2"])
    assert isinstance(result.exception, ScopeError)
    assert "'127.0.0.1:9': port 9 of 127.0.0.1 is not in the probe scope" in str(
        result.exception)
    assert "'127.0.0.2': 127.0.0.2 is not in the probe scope" in str(result.exception)
    assert _runs(org) == []


def test_interrupted_run_is_resumed_where_it_stopped(org):  # type: ignore[no-untyped-def]
    scope = load_scope(org)
    targets = resolve_targets(scope, [])
    record = new_run(scope, targets, phi_opt_in=False)

    def interrupt_after_first(event):  # type: ignore[no-untyped-def]
        if event.status is not None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_probes(scope, targets, record, progress=interrupt_after_first)
    assert find_incomplete(scope.results_dir) == record.path
    saved, _ = read_run(record.path, display="run")
    assert saved is not None and not saved.complete and len(saved.results) == 1
    first = saved.results[0]

    with pytest.raises(CaresecError, match="was started without --opt-in-phi-queries"):
        resume_run(scope, record.path, phi_opt_in=True)

    result = CliRunner().invoke(app, [str(org), "--resume"])
    assert result.exit_code == 0, result.output
    final, _ = read_run(record.path, display="run")
    assert final is not None and final.complete and final.finished_at
    assert [r.key for r in final.results] == [t.key for t in targets]
    assert final.results[0] == first  # the first target was not probed again
    assert find_incomplete(scope.results_dir) is None
    assert len(_runs(org)) == 1


def test_every_connection_goes_through_the_global_rate_limit(org):  # type: ignore[no-untyped-def]
    class Clock:
        now = 0.0
        slept = 0.0

        def clock(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.slept += seconds
            self.now += seconds

    fake = Clock()
    scope = load_scope(org)
    targets = resolve_targets(scope, [])
    limiter = RateLimiter(2.0, clock=fake.clock, sleep=fake.sleep)
    record = run_probes(scope, targets, new_run(scope, targets, phi_opt_in=False),
                        limiter=limiter)
    assert all(r.status is ProbeStatus.ANSWERED for r in record.results)
    # DICOM: 1 hand-made A-ASSOCIATE-RQ + 3 associations; HL7: 1 connection; FHIR: 5 requests.
    assert limiter.count == 4 + 1 + 5
    # The clock never moves except by the limiter's sleeps: 0.5 s between each acquisition.
    assert fake.slept == pytest.approx((limiter.count - 1) * 0.5)


@pytest.mark.parametrize(("table", "runs"), [
    ("", False),  # no [probe] table: nothing to do
    ("audit = false", False),
    ("audit = true", True),
])
def test_audit_runs_the_scope_only_when_enabled(srv, tmp_path, table, runs):  # type: ignore[no-untyped-def]
    from caresec.probe.runner import probe_for_audit

    port = srv.free_port()
    probe_table = "" if not table else textwrap.dedent(f"""
        [probe]
        timeout = 0.5
        {table}

        [[probe.targets]]
        hosts = ["127.0.0.1"]
        ports = [{port}]
        protocol = "hl7-mllp"
        tls = false
    """)
    (tmp_path / "caresec.toml").write_text(
        '[organization]\nname = "Clinic"\nsize_tier = "small"\n' + probe_table, encoding="utf-8")
    record = probe_for_audit(tmp_path)
    assert (record is not None) is runs
    if record is not None:
        assert record.complete and not record.phi_queries
        assert [r.status for r in record.results] == [ProbeStatus.REFUSED]
        assert _runs(tmp_path) == [record.path]


def test_runner_names_mutual_tls_when_the_protocol_is_not_reached(srv, pki, start):  # type: ignore[no-untyped-def]
    from caresec.model.exposure import ServiceProtocol
    from caresec.probe.runner import probe_target
    from caresec.probe.scope import PlannedTarget, TargetSpec, TlsMode

    listener = start(srv.MllpListener("open", context=srv.server_context(
        pki, "strong", require_client=True)))
    spec = TargetSpec(index=1, protocol=ServiceProtocol.HL7_MLLP, hosts=("127.0.0.1",),
                      ports=(listener.port,), tls=TlsMode.AUTO, timeout=2,
                      server_name="probe.test")
    observation = probe_target(PlannedTarget("127.0.0.1", listener.port, spec),
                               RateLimiter(500))
    assert observation.encrypted is True
    holds = {c.check_id: c.holds for c in observation.checks}
    assert holds["tls.client-certificate-required"] is True
    assert holds["hl7.unauthenticated-ack"] is False
    assert "service.cleartext" not in holds
    assert "requires a TLS client certificate (mutual TLS)" in observation.error
    assert listener.messages == []
