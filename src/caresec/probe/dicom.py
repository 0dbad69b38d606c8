"""DICOM probe (pynetdicom): does the service accept any AE title, which presentation contexts
and transfer syntaxes it accepts, C-ECHO, and — only with the per-target opt-in — whether a
patient-level C-FIND from an unknown AE title is answered (the matches are counted, never kept).

Follows DICOM PS3.8 (upper layer: A-ASSOCIATE-RQ/AC/RJ, §9.3), PS3.7 §9.1.5 (C-ECHO) and PS3.4
Annex C (Patient Root Query/Retrieve, C-FIND). No data set is stored and no clinical content is
sent: associations propose contexts and are released, the only DIMSE messages are C-ECHO and the
opted-in C-FIND whose identifier asks only for ``PatientID`` with universal matching.
"""

from __future__ import annotations

import secrets
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

import pynetdicom
from pydicom.dataset import Dataset
from pydicom.uid import UID
from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.pdu import A_ABORT_RQ, A_ASSOCIATE_RQ
from pynetdicom.pdu_primitives import (
    A_ABORT,
    A_ASSOCIATE,
    ImplementationClassUIDNotification,
    MaximumLengthNotification,
)
from pynetdicom.presentation import PresentationContext, build_context

from caresec.model.exposure import ProbeCheck, ProbeStatus
from caresec.probe.net import (
    ProbeContext,
    ProtocolResult,
    classify,
    client_context,
    connect,
    recognize,
    unexpected,
    wrap,
)

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"  # PS3.7 Annex A.2.1
VERIFICATION = "1.2.840.10008.1.1"
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
MAX_MATCHES = 100
# Abstract syntaxes proposed to learn what the service accepts (PS3.4 / PS3.6 Annex A).
ABSTRACT_SYNTAXES = (
    VERIFICATION,
    "1.2.840.10008.5.1.4.1.1.2",  # CT Image Storage
    "1.2.840.10008.5.1.4.1.1.4",  # MR Image Storage
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture Image Storage
    PATIENT_ROOT_FIND,
    "1.2.840.10008.5.1.4.1.2.2.1",  # Study Root Q/R FIND
    "1.2.840.10008.5.1.4.1.2.2.2",  # Study Root Q/R MOVE
    "1.2.840.10008.5.1.4.1.2.2.3",  # Study Root Q/R GET
    "1.2.840.10008.5.1.4.31",  # Modality Worklist Information Model FIND
    "1.2.840.10008.1.20.1",  # Storage Commitment Push Model
)
TRANSFER_SYNTAXES = (
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian (retired)
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
)
# PS3.8 §9.3.4 A-ASSOCIATE-RJ fields.
_RJ_SOURCE = {1: "service user", 2: "service provider (ACSE)", 3: "service provider (presentation)"}
_RJ_REASON = {
    (1, 1): "no reason given", (1, 2): "application context name not supported",
    (1, 3): "calling AE title not recognized", (1, 7): "called AE title not recognized",
    (2, 1): "no reason given", (2, 2): "protocol version not supported",
    (3, 1): "temporary congestion", (3, 2): "local limit exceeded",
}


@dataclass(frozen=True, slots=True)
class DicomTarget:
    """One DICOM service: where it is, whether it speaks TLS, and its AE titles."""

    host: str
    port: int
    called_ae: str
    calling_ae: str
    tls: bool = False
    server_name: str = ""


@dataclass(slots=True)
class _Attempt:
    """One association attempt."""

    calling: str
    called: str
    established: bool = False
    rejected: str = ""
    failed: str = ""
    echo: int | None = None
    accepted: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        if self.established:
            echo = "" if self.echo is None else f", C-ECHO status 0x{self.echo:04X}"
            return f"calling {self.calling!r} → called {self.called!r}: accepted{echo}"
        why = self.rejected or self.failed or "not established"
        return f"calling {self.calling!r} → called {self.called!r}: {why}"


def probe_dicom(probe: ProbeContext, target: DicomTarget) -> ProtocolResult:
    """Probe one DICOM service.

    Checks: ``dicom.accepts-configured-ae``, ``dicom.echo-answered``,
    ``dicom.accepts-any-calling-ae``, ``dicom.accepts-any-called-ae`` and, when
    ``probe.phi_queries``, ``dicom.query-answered-unrestricted`` (count kept as
    ``dicom.patient-level-matches``, at most :data:`MAX_MATCHES`).

    Returns:
        A :class:`ProtocolResult`; a peer that refuses, times out, resets, answers garbage or
        another protocol gives that status (never an exception).
    """
    first = _fingerprint(probe, target)
    if first is not None:
        return first
    configured = _associate(probe, target, target.calling_ae, target.called_ae,
                            _enumeration_contexts(), echo=True)
    any_calling = _associate(probe, target, _random_ae(), target.called_ae,
                             [build_context(VERIFICATION)], echo=True)
    any_called = _associate(probe, target, target.calling_ae, _random_ae(),
                            [build_context(VERIFICATION)], echo=True)
    checks = [
        ProbeCheck("dicom.accepts-configured-ae", configured.established,
                   configured.describe()),
        ProbeCheck("dicom.echo-answered",
                   None if not configured.established and not any_calling.established
                   else (configured.echo == 0 or any_calling.echo == 0),
                   "C-ECHO " + ("answered with status 0x0000 (success)"
                                if configured.echo == 0 or any_calling.echo == 0
                                else "not answered with success")),
        _any_check("dicom.accepts-any-calling-ae", any_calling, configured),
        _any_check("dicom.accepts-any-called-ae", any_called, configured),
    ]
    details: list[tuple[str, str]] = [
        ("associations", " | ".join(a.describe() for a in (configured, any_calling, any_called))),
    ]
    if configured.accepted:
        details.append(("accepted contexts", "; ".join(
            f"{_uid_name(a)} [{_uid_name(t)}]" for a, t in configured.accepted)))
    counts: list[tuple[str, int]] = []
    if probe.phi_queries:
        check, count = _query(probe, target, any_calling)
        checks.append(check)
        if count is not None:
            counts.append(("dicom.patient-level-matches", count))
    return ProtocolResult(ProbeStatus.ANSWERED, checks=tuple(checks), details=tuple(details),
                          counts=tuple(counts))


# --------------------------------------------------------------------------- steps


def _fingerprint(probe: ProbeContext, target: DicomTarget) -> ProtocolResult | None:
    """Send one A-ASSOCIATE-RQ by hand and read the first PDU: None when the peer speaks DICOM,
    else the result for a peer that does not."""
    request = _associate_rq(target.calling_ae, target.called_ae)
    try:
        sock = connect(probe, target.host, target.port)
        if target.tls:
            sock = wrap(sock, client_context(), target.server_name or target.host)
    except (OSError, ssl.SSLError) as exc:
        status, message = classify(exc)
        return ProtocolResult(status, error=message)
    try:
        sock.sendall(request)
        answer = _read_pdu(sock)
        if answer[:1] == b"\x02":
            sock.sendall(_abort_pdu())
    except TimeoutError:
        return ProtocolResult(ProbeStatus.TIMEOUT,
                              error="no answer to an A-ASSOCIATE-RQ within the timeout")
    except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
        return ProtocolResult(ProbeStatus.RESET,
                              error="the peer reset the connection after an A-ASSOCIATE-RQ")
    except OSError as exc:
        return ProtocolResult(ProbeStatus.ERROR, error=f"network error: {exc}")
    finally:
        sock.close()
    if recognize(answer).startswith("DICOM"):
        return None
    return unexpected(answer, "DICOM")


def _associate(probe: ProbeContext, target: DicomTarget, calling: str, called: str,
               contexts: list[PresentationContext], *, echo: bool) -> _Attempt:
    attempt = _Attempt(calling, called)
    received: dict[str, Any] = {}

    def on_acse(event: evt.Event) -> None:
        primitive = getattr(event, "primitive", None)
        if isinstance(primitive, A_ASSOCIATE) and primitive.result is not None:
            received["rj"] = primitive

    assoc = _open(probe, target, calling, called, contexts,
                  handlers=[(evt.EVT_ACSE_RECV, on_acse)])
    if assoc is None:
        attempt.failed = "could not connect"
        return attempt
    if not assoc.is_established:
        rj = received.get("rj")
        if assoc.is_rejected and rj is not None:
            attempt.rejected = _reject_text(rj.result, rj.result_source, rj.diagnostic)
        else:
            attempt.failed = "aborted or timed out before an answer"
        return attempt
    attempt.established = True
    try:
        attempt.accepted = sorted(
            (str(cx.abstract_syntax), str(cx.transfer_syntax[0]))
            for cx in assoc.accepted_contexts if cx.transfer_syntax
        )
        if echo and any(a == VERIFICATION for a, _ in attempt.accepted):
            status = assoc.send_c_echo()
            attempt.echo = int(status.Status) if status and "Status" in status else None
    finally:
        _close(assoc)
    return attempt


def _query(probe: ProbeContext, target: DicomTarget,
           any_calling: _Attempt) -> tuple[ProbeCheck, int | None]:
    """Opted-in patient-level C-FIND from the unknown AE title; counts matches only."""
    check_id = "dicom.query-answered-unrestricted"
    if not any_calling.established:
        return ProbeCheck(check_id, False, "associations from an unknown calling AE title are "
                          "refused, so no query was sent"), None
    assoc = _open(probe, target, any_calling.calling, target.called_ae,
                  [build_context(PATIENT_ROOT_FIND)])
    if assoc is None or not assoc.is_established:
        return ProbeCheck(check_id, False, "the Patient Root C-FIND context was refused to an "
                          "unknown calling AE title"), None
    if not assoc.accepted_contexts:
        _close(assoc)
        return ProbeCheck(check_id, False, "the Patient Root Query/Retrieve FIND context was "
                          "not accepted"), None
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "PATIENT"
    identifier.PatientID = ""  # universal matching; the value returned is never kept
    matches, final, capped = 0, None, False
    try:
        for status, _identifier in assoc.send_c_find(identifier, PATIENT_ROOT_FIND):
            code = int(status.Status) if status and "Status" in status else None
            if code in (0xFF00, 0xFF01):
                matches += 1
                if matches >= MAX_MATCHES:
                    capped = True
                    break
                continue
            final = code
            break
    finally:
        if capped:
            assoc.abort()
        else:
            _close(assoc)
    answered = capped or final == 0x0000
    shown = f"at least {matches}" if capped else str(matches)
    if answered:
        detail = (f"a patient-level C-FIND from unknown AE title {any_calling.calling!r} was "
                  f"answered: {shown} match(es) counted, none kept")
        return ProbeCheck(check_id, True, detail), matches
    code_text = "no status" if final is None else f"status 0x{final:04X}"
    return ProbeCheck(check_id, False, f"the C-FIND was not answered with matches ({code_text})"), \
        None


# --------------------------------------------------------------------------- helpers


def _open(probe: ProbeContext, target: DicomTarget, calling: str, called: str,
          contexts: list[PresentationContext],
          handlers: Any = None) -> Association | None:
    ae = AE(ae_title=calling)
    for timeout in ("acse_timeout", "dimse_timeout", "network_timeout", "connection_timeout"):
        setattr(ae, timeout, probe.timeout)
    ae.requested_contexts = contexts
    probe.limiter.acquire()
    tls_args = None
    if target.tls:
        tls_args = (client_context(), target.server_name or target.host)
    try:
        return ae.associate(target.host, target.port, ae_title=called, tls_args=tls_args,
                            evt_handlers=handlers or [])
    except (OSError, ValueError, RuntimeError):
        return None


def _close(assoc: Association) -> None:
    if assoc.is_established:
        assoc.release()


def _enumeration_contexts() -> list[PresentationContext]:
    """One context per abstract × transfer syntax, so the answer names each accepted pair."""
    contexts = []
    for abstract in ABSTRACT_SYNTAXES:
        for transfer in TRANSFER_SYNTAXES:
            contexts.append(build_context(abstract, [transfer]))
    return contexts


def _any_check(check_id: str, attempt: _Attempt, configured: _Attempt) -> ProbeCheck:
    if attempt.established:
        return ProbeCheck(check_id, True, attempt.describe())
    if attempt.rejected:
        return ProbeCheck(check_id, False, attempt.describe())
    if not configured.established:
        return ProbeCheck(check_id, None, f"{attempt.describe()}; the configured titles were not "
                          "accepted either")
    return ProbeCheck(check_id, False, attempt.describe())


def _random_ae() -> str:
    """An AE title no one configured: ``CS`` and 10 random upper-case hex digits."""
    return "CS" + secrets.token_hex(5).upper()


def _reject_text(result: int, source: int, reason: int) -> str:
    kind = "rejected permanently" if result == 1 else "rejected transiently"
    why = _RJ_REASON.get((source, reason), f"reason {reason}")
    return f"{kind} by the {_RJ_SOURCE.get(source, f'source {source}')}: {why}"


def _uid_name(uid: str) -> str:
    name = UID(uid).name
    return name if name and name != uid else uid


def _associate_rq(calling: str, called: str) -> bytes:
    primitive = A_ASSOCIATE()
    primitive.application_context_name = APPLICATION_CONTEXT
    primitive.calling_ae_title = calling
    primitive.called_ae_title = called
    context = build_context(VERIFICATION)
    context.context_id = 1
    primitive.presentation_context_definition_list = [context]
    length = MaximumLengthNotification()
    length.maximum_length_received = 16382
    implementation = ImplementationClassUIDNotification()
    implementation.implementation_class_uid = pynetdicom.PYNETDICOM_IMPLEMENTATION_UID
    primitive.user_information = [length, implementation]
    pdu = A_ASSOCIATE_RQ()
    pdu.from_primitive(primitive)
    return bytes(pdu.encode())


def _abort_pdu() -> bytes:
    primitive = A_ABORT()
    primitive.abort_source = 0
    pdu = A_ABORT_RQ()
    pdu.from_primitive(primitive)
    return bytes(pdu.encode())


def _read_pdu(sock: socket.socket) -> bytes:
    """Read one PDU (6-byte header, PS3.8 §9.3.1) or whatever the peer sends before closing."""
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            if data:
                return bytes(data)
            raise
        if not chunk:
            return bytes(data)
        data.extend(chunk)
        if len(data) >= 6:
            length = int.from_bytes(data[2:6], "big")
            if len(data) >= 6 + length or length > 1 << 20:
                return bytes(data)
