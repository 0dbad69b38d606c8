"""FHIR probe against a small FHIR R4B server built with fhir.resources (probe_servers).

Expected values follow from the server's configuration and FHIR R4 §3.1.0 (RESTful API:
``metadata``, ``read``, ``search``, ``_summary=count``), the CapabilityStatement
``rest.security`` element and SMART App Launch 2.0 discovery
(``/.well-known/smart-configuration`` with ``token_endpoint``).
"""

from __future__ import annotations

import pytest

from caresec.model.exposure import ProbeStatus
from caresec.probe.fhir import FhirTarget, probe_fhir


def _checks(result):  # type: ignore[no-untyped-def]
    return {c.check_id: c.holds for c in result.checks}


@pytest.mark.parametrize(("mode", "open_"), [("strict", False), ("open", True)])
def test_open_and_strict_fhir_servers_are_told_apart(srv, start, phi_probe, mode, open_):  # type: ignore[no-untyped-def]
    server = start(srv.FhirServer(mode))
    result = probe_fhir(phi_probe, FhirTarget("127.0.0.1", server.port, base_path="/fhir"))
    assert result.status is ProbeStatus.ANSWERED
    checks = _checks(result)
    assert checks == {
        "fhir.capability-without-security": open_,
        "fhir.no-smart-configuration": open_,
        "fhir.read-without-token": open_,
        "fhir.search-without-token": open_,
        "fhir.patient-search-without-token": open_,
    }
    details = dict(result.details)
    assert details["fhirVersion"] == "4.3.0"
    assert details["capability statement"] == "conformant (fhir.resources R4B model)"
    if open_:
        assert dict(result.counts) == {"fhir.patient-search-total": 3}
        assert details["Organization search total"] == "2"
    else:
        assert result.counts == ()
        assert details["security services"] == "SMART-on-FHIR, OAuth endpoints extension"


def test_patient_search_runs_only_with_the_opt_in(srv, start, probe):  # type: ignore[no-untyped-def]
    server = start(srv.FhirServer("open"))
    result = probe_fhir(probe, FhirTarget("127.0.0.1", server.port, base_path="/fhir"))
    assert "fhir.patient-search-without-token" not in _checks(result)
    assert result.counts == ()
    assert not any(r.startswith("/fhir/Patient?") for r in server.requests)
    # The reads it does send are of random ids that cannot exist.
    reads = [r for r in server.requests if r.startswith("/fhir/Patient/")]
    assert len(reads) == 1 and reads[0].startswith("/fhir/Patient/caresec-")


def test_fhir_over_tls(srv, pki, start, probe):  # type: ignore[no-untyped-def]
    server = start(srv.FhirServer("strict", context=srv.server_context(pki, "strong")))
    result = probe_fhir(probe, FhirTarget("127.0.0.1", server.port, tls=True, base_path="/fhir",
                                          server_name="probe.test"))
    assert result.status is ProbeStatus.ANSWERED
    assert _checks(result)["fhir.read-without-token"] is False


def test_http_server_that_is_not_fhir_is_another_protocol(srv, start, probe):  # type: ignore[no-untyped-def]
    server = start(srv.TcpServer("http"))
    result = probe_fhir(probe, FhirTarget("127.0.0.1", server.port))
    assert result.status is ProbeStatus.OTHER_PROTOCOL
    assert "not a FHIR endpoint" in result.error
    assert "text/html" in result.error
