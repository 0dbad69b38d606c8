"""HL7 v2 over MLLP probe: does a listener take a connection and acknowledge a minimal,
non-clinical message from a sender that never authenticated?

The message is one MSH segment of an application-management query (``NMQ^N01``, HL7 v2.5.1
chapter 14) with processing ID ``D`` (debugging, HL7 table 0103): no patient, order or result
segment. It is framed per the MLLP (HL7 v2 Transport Specification: ``<VT> message <FS><CR>``)
and the answer is parsed with the ``hl7`` library; only the acknowledgment code (MSA-1, HL7
table 0008) and the answer's message type are kept.
"""

from __future__ import annotations

import secrets
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

import hl7
from hl7.mllp.streams import CARRIAGE_RETURN, END_BLOCK, START_BLOCK

from caresec.model.exposure import ProbeCheck, ProbeStatus
from caresec.probe.net import (
    ProbeContext,
    ProtocolResult,
    classify,
    exchange,
    tls_reason,
    unexpected,
)

ACK_CODES = {
    "AA": "application accept", "AE": "application error", "AR": "application reject",
    "CA": "commit accept", "CE": "commit error", "CR": "commit reject",
}  # HL7 table 0008
_CERT_ALERTS = ("certificate required", "unknown ca", "bad certificate", "handshake failure")


@dataclass(frozen=True, slots=True)
class Hl7Target:
    """One MLLP listener."""

    host: str
    port: int
    tls: bool = False
    server_name: str = ""


def probe_message(control_id: str, now: datetime) -> str:
    """The probe's HL7 v2.5.1 message: an MSH-only ``NMQ^N01`` with processing ID ``D``."""
    stamp = now.strftime("%Y%m%d%H%M%S")
    return (f"MSH|^~\\&|CARESEC|CARESEC-PROBE|||{stamp}||NMQ^N01^NMQ_N01|{control_id}|D|2.5.1"
            "\r")


def frame(message: str) -> bytes:
    """MLLP block: start byte 0x0B, the message, end bytes 0x1C 0x0D."""
    framed: bytes = START_BLOCK + message.encode("ascii") + END_BLOCK + CARRIAGE_RETURN
    return framed


def probe_hl7(probe: ProbeContext, target: Hl7Target) -> ProtocolResult:
    """Send the probe message and judge the answer.

    Check: ``hl7.unauthenticated-ack`` holds when any HL7 acknowledgment (an MSA segment) comes
    back, whatever its code; the code is kept in ``details`` (``ack code``). A listener that
    takes the connection but stays silent, demands a TLS client certificate, or closes without
    answering does not hold it.

    Returns:
        A :class:`ProtocolResult` (never raises for network faults).
    """
    control_id = "CS" + secrets.token_hex(6).upper()
    message = frame(probe_message(control_id, datetime.now(UTC)))
    try:
        answer = exchange(probe, target.host, target.port, message, tls=target.tls,
                          server_name=target.server_name,
                          complete=lambda data: END_BLOCK + CARRIAGE_RETURN in data)
    except ssl.SSLError as exc:
        reason = tls_reason(exc)
        if any(alert in reason for alert in _CERT_ALERTS):
            return ProtocolResult(ProbeStatus.ANSWERED, checks=(ProbeCheck(
                "hl7.unauthenticated-ack", False,
                f"the listener requires a TLS client certificate ({reason}); without one the "
                "message was refused"),))
        status, text = classify(exc)
        return ProtocolResult(status, error=text)
    except TimeoutError:
        return ProtocolResult(
            ProbeStatus.TIMEOUT,
            checks=(ProbeCheck("hl7.unauthenticated-ack", False,
                               f"no acknowledgment within {probe.timeout:g} s"),),
            error=f"the listener sent nothing within {probe.timeout:g} s after the message")
    except OSError as exc:
        status, text = classify(exc)
        return ProtocolResult(status, error=text)
    return _judge(answer, control_id)


def _judge(answer: bytes, control_id: str) -> ProtocolResult:
    if not answer:
        return ProtocolResult(
            ProbeStatus.RESET,
            checks=(ProbeCheck("hl7.unauthenticated-ack", False,
                               "the listener closed the connection without an acknowledgment"),),
            error="the peer closed the connection without an HL7 acknowledgment")
    start = answer.find(START_BLOCK)
    end = answer.find(END_BLOCK, start + 1)
    if start != 0 or end < 0:
        return unexpected(answer, "HL7 MLLP")
    body = answer[start + 1:end]
    try:
        text = body.decode("utf-8", errors="replace")
        message = hl7.parse(text)
        msa = message.segment("MSA")
        code = str(msa[1]).strip().upper()
        answered_type = str(message.segment("MSH")[9]).strip()
        echoed = str(msa[2]).strip()
    except (hl7.ParseException, KeyError, IndexError, ValueError):
        return ProtocolResult(
            ProbeStatus.GARBAGE,
            error=f"an MLLP block came back but it is not an HL7 acknowledgment "
                  f"({len(body)} bytes)")
    meaning = ACK_CODES.get(code, "unknown code")
    details = (("ack code", f"{code} ({meaning})"), ("answer message type", answered_type),
               ("control id echoed", "yes" if echoed == control_id else "no"))
    detail = (f"acknowledged an unauthenticated NMQ^N01 probe with MSA-1 {code} ({meaning}) "
              "over MLLP")
    return ProtocolResult(ProbeStatus.ANSWERED,
                          checks=(ProbeCheck("hl7.unauthenticated-ack", True, detail),),
                          details=details)
