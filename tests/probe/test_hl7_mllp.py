"""HL7 v2 MLLP probe against listeners built on the ``hl7`` library's MLLP server.

The probe message is checked against HL7 v2.5.1: MSH-9 ``NMQ^N01^NMQ_N01`` (application
management query, chapter 14), MSH-11 ``D`` (debugging, table 0103), MSH-12 ``2.5.1``; MLLP
framing ``0x0B … 0x1C 0x0D`` (HL7 v2 Transport Specification, MLLP release 2).
"""

from __future__ import annotations

from datetime import UTC, datetime

import hl7
import pytest

from caresec.model.exposure import ProbeStatus
from caresec.probe.hl7_mllp import Hl7Target, frame, probe_hl7, probe_message


def test_probe_message_is_msh_only_and_non_clinical():
    text = probe_message("CS0001", datetime(2025, 3, 1, 10, 15, tzinfo=UTC))
    message = hl7.parse(text)
    assert [str(segment[0]) for segment in message] == ["MSH"]
    msh = message.segment("MSH")
    assert str(msh[9]) == "NMQ^N01^NMQ_N01"
    assert str(msh[10]) == "CS0001"
    assert str(msh[11]) == "D"
    assert str(msh[12]) == "2.5.1"
    assert str(msh[7]) == "20250301101500"
    framed = frame(text)
    assert framed[:1] == b"\x0b" and framed[-2:] == b"\x1c\x0d"


def test_open_listener_acknowledges_the_unauthenticated_probe(srv, start, probe):  # type: ignore[no-untyped-def]
    listener = start(srv.MllpListener("open"))
    result = probe_hl7(probe, Hl7Target("127.0.0.1", listener.port))
    assert result.status is ProbeStatus.ANSWERED
    assert [(c.check_id, c.holds) for c in result.checks] == [("hl7.unauthenticated-ack", True)]
    details = dict(result.details)
    assert details["ack code"] == "AA (application accept)"
    assert details["answer message type"] == "ACK^N01^ACK"
    assert details["control id echoed"] == "yes"
    assert len(listener.messages) == 1
    assert "PID" not in listener.messages[0]


@pytest.mark.parametrize("mode", ["allowlist", "mtls"])
def test_strict_listeners_do_not_acknowledge(srv, pki, start, probe, mode):  # type: ignore[no-untyped-def]
    if mode == "mtls":
        context = srv.server_context(pki, "strong", require_client=True)
        listener = start(srv.MllpListener("open", context=context))
        target = Hl7Target("127.0.0.1", listener.port, tls=True, server_name="probe.test")
    else:
        listener = start(srv.MllpListener("allowlist"))
        target = Hl7Target("127.0.0.1", listener.port)
    result = probe_hl7(probe, target)
    assert [(c.check_id, c.holds) for c in result.checks] == [("hl7.unauthenticated-ack", False)]
    # The asyncio TLS server drops a client without certificate with no alert; the allow-list
    # listener reads the message, then closes.
    assert result.status is ProbeStatus.RESET
    assert len(listener.messages) == (0 if mode == "mtls" else 1)


def test_mutual_tls_listener_is_seen_to_require_a_client_certificate(srv, pki, start, probe):  # type: ignore[no-untyped-def]
    from caresec.probe.tls import probe_tls

    context = srv.server_context(pki, "strong", require_client=True)
    listener = start(srv.MllpListener("open", context=context))
    tls = probe_tls(probe, "127.0.0.1", listener.port, "probe.test")
    assert tls.client_certificate_required is True
    assert "TLSv1.3" in tls.protocols
