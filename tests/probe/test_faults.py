"""Faulty peers give a per-target result, never an exception (issue item 9).

Each protocol probe is run, through :func:`caresec.probe.runner.probe_target`, against a port
where nothing listens, a peer that stays silent, one that resets the connection, one that
answers bytes of no protocol, one that speaks HTTP, and one that speaks TLS where clear text is
expected. The expected status is the one :class:`~caresec.model.exposure.ProbeStatus` defines
for that behaviour.
"""

from __future__ import annotations

import pytest

from caresec.model.exposure import ProbeStatus, ServiceProtocol
from caresec.probe.ratelimit import RateLimiter
from caresec.probe.runner import probe_target
from caresec.probe.scope import PlannedTarget, TargetSpec, TlsMode

FAULTS = [
    # (server behaviour, TLS on the server, expected status per protocol)
    ("refused", False, {"dicom": ProbeStatus.REFUSED, "hl7-mllp": ProbeStatus.REFUSED,
                        "fhir": ProbeStatus.REFUSED}),
    ("silent", False, {"dicom": ProbeStatus.TIMEOUT, "hl7-mllp": ProbeStatus.TIMEOUT,
                       "fhir": ProbeStatus.TIMEOUT}),
    ("reset", False, {"dicom": ProbeStatus.RESET, "hl7-mllp": ProbeStatus.RESET,
                      "fhir": ProbeStatus.RESET}),
    ("garbage", False, {"dicom": ProbeStatus.GARBAGE, "hl7-mllp": ProbeStatus.GARBAGE,
                        "fhir": ProbeStatus.GARBAGE}),
    ("http", False, {"dicom": ProbeStatus.OTHER_PROTOCOL, "hl7-mllp": ProbeStatus.OTHER_PROTOCOL,
                     "fhir": ProbeStatus.OTHER_PROTOCOL}),
    # An OpenSSL server given clear text instead of a ClientHello drops the connection.
    ("silent", True, {"dicom": ProbeStatus.RESET, "hl7-mllp": ProbeStatus.RESET,
                      "fhir": ProbeStatus.RESET}),
]


@pytest.mark.parametrize("protocol", ["dicom", "hl7-mllp", "fhir"])
@pytest.mark.parametrize(("behaviour", "tls_server", "expected"), FAULTS,
                         ids=[f"{b}{'-tls' if t else ''}" for b, t, _ in FAULTS])
def test_fault_gives_a_status(srv, pki, start, protocol, behaviour, tls_server, expected):  # type: ignore[no-untyped-def]
    if behaviour == "refused":
        port = srv.free_port()
    else:
        context = srv.server_context(pki, "strong") if tls_server else None
        port = start(srv.TcpServer(behaviour, context)).port
    spec = TargetSpec(index=1, protocol=ServiceProtocol(protocol), hosts=("127.0.0.1",),
                      ports=(port,), tls=TlsMode.OFF, timeout=0.5, called_ae="ANYSCP")
    observation = probe_target(PlannedTarget("127.0.0.1", port, spec), RateLimiter(500))
    assert observation.status is expected[protocol], observation.error
    assert observation.error
    assert observation.encrypted is None
    assert not any(c.check_id == "service.cleartext" for c in observation.checks)


def test_tls_target_with_broken_certificate_is_judged_not_refused(srv, pki, start):  # type: ignore[no-untyped-def]
    server = start(srv.FhirServer("open", context=srv.server_context(pki, "weak")))
    spec = TargetSpec(index=1, protocol=ServiceProtocol.FHIR, hosts=("127.0.0.1",),
                      ports=(server.port,), tls=TlsMode.AUTO, timeout=2, base_path="/fhir",
                      server_name="probe.test")
    observation = probe_target(PlannedTarget("127.0.0.1", server.port, spec), RateLimiter(500))
    assert observation.status is ProbeStatus.ANSWERED
    assert observation.encrypted is True
    holds = {c.check_id: c.holds for c in observation.checks}
    assert holds["tls.certificate-expired"] is True
    assert holds["tls.certificate-self-signed"] is True
    assert holds["tls.certificate-name-mismatch"] is True
    assert holds["tls.legacy-protocol"] is True
    assert holds["service.cleartext"] is False
    assert holds["fhir.read-without-token"] is True


def test_unexpected_error_in_a_probe_is_recorded_for_that_target(srv, monkeypatch):  # type: ignore[no-untyped-def]
    import caresec.probe.runner as runner

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("library bug")

    monkeypatch.setattr(runner, "_protocol", broken)
    spec = TargetSpec(index=1, protocol=ServiceProtocol.DICOM, hosts=("127.0.0.1",),
                      ports=(104,), tls=TlsMode.OFF, timeout=0.5, called_ae="ANYSCP")
    observation = probe_target(PlannedTarget("127.0.0.1", 104, spec), RateLimiter(500))
    assert observation.status is ProbeStatus.ERROR
    assert observation.error == "ValueError: library bug"
