"""Network plumbing shared by the probes: rate-limited connections, TLS contexts, and turning
what a peer did (refuse, time out, reset, answer garbage or another protocol) into a
:class:`~caresec.model.exposure.ProbeStatus`.

Nothing here sends application data of its own: the probes pass the bytes of their first
protocol message, and :func:`exchange` returns the peer's answer for :func:`recognize`.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from caresec.model.exposure import ProbeCheck, ProbeStatus
from caresec.probe.ratelimit import RateLimiter

MAX_ANSWER = 65536
LEGACY_CIPHERS = "ALL:@SECLEVEL=0"

# DICOM PS3.8 §9.3.1 PDU types a peer may answer an A-ASSOCIATE-RQ with.
_DICOM_ANSWERS = {0x02: "A-ASSOCIATE-AC", 0x03: "A-ASSOCIATE-RJ", 0x07: "A-ABORT"}


@dataclass(frozen=True, slots=True)
class ProtocolResult:
    """What one protocol probe concluded about one service.

    Attributes:
        status: :class:`ProbeStatus` (``answered`` when the conversation took place).
        checks: checks run, in order.
        details: other facts as ``(name, value)``.
        counts: PHI-capable query counts as ``(name, number)`` (never the data).
        error: a sentence when ``status`` is not ``answered``.
    """

    status: ProbeStatus
    checks: tuple[ProbeCheck, ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class ProbeContext:
    """What every probe needs besides its target.

    Attributes:
        limiter: the run's global :class:`RateLimiter`.
        timeout: seconds for each connect, read or exchange.
        ca_file: extra trusted CA bundle (PEM) for certificate verification, or None.
        phi_queries: PHI-capable queries are allowed for this target (organization opt-in in
            ``caresec.toml`` and ``--opt-in-phi-queries``).
    """

    limiter: RateLimiter
    timeout: float
    ca_file: Path | None = None
    phi_queries: bool = False


def classify(exc: BaseException) -> tuple[ProbeStatus, str]:
    """The :class:`ProbeStatus` and a sentence for an exception raised while talking to a peer."""
    if isinstance(exc, ConnectionRefusedError):
        return ProbeStatus.REFUSED, "connection refused: nothing listens on the port"
    if isinstance(exc, TimeoutError | socket.timeout):
        return ProbeStatus.TIMEOUT, "no answer within the timeout"
    if isinstance(exc, ssl.SSLEOFError):
        return ProbeStatus.RESET, "the peer closed the connection during the TLS handshake"
    if isinstance(exc, ssl.SSLError):
        return ProbeStatus.TLS_FAILED, f"TLS handshake failed: {tls_reason(exc)}"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return ProbeStatus.RESET, "the peer reset the connection"
    if isinstance(exc, socket.gaierror):
        return ProbeStatus.ERROR, f"host name does not resolve: {exc.strerror}"
    if isinstance(exc, OSError):
        return ProbeStatus.ERROR, f"network error: {exc.strerror or exc}"
    return ProbeStatus.ERROR, f"{type(exc).__name__}: {exc}"


def tls_reason(exc: ssl.SSLError) -> str:
    """OpenSSL's reason for a TLS failure (``sslv3 alert handshake failure``)."""
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return exc.verify_message
    reason = getattr(exc, "reason", None)
    return str(reason).replace("_", " ").lower() if reason else str(exc)


def connect(probe: ProbeContext, host: str, port: int) -> socket.socket:
    """A TCP connection after waiting for the rate limiter; timeouts set to ``probe.timeout``.

    Raises:
        OSError: connection refused, timed out, unreachable (classify with :func:`classify`).
    """
    probe.limiter.acquire()
    sock = socket.create_connection((host, port), timeout=probe.timeout)
    sock.settimeout(probe.timeout)
    return sock


def client_context(
    *,
    version: ssl.TLSVersion | None = None,
    ciphers: str = LEGACY_CIPHERS,
    verify: bool = False,
    ca_file: Path | None = None,
    certificate: tuple[Path, Path] | None = None,
) -> ssl.SSLContext:
    """A TLS client context for probing.

    Args:
        version: pin the protocol version (minimum = maximum); None allows TLS 1.0 to 1.3.
        ciphers: OpenSSL cipher string for TLS 1.2 and older (default: everything the build has,
            security level 0, so that old devices can be reached and judged).
        verify: verify the chain against the system store (and ``ca_file``); host names are
            never checked here (see ``caresec.probe.tls.name_matches``).
        ca_file: extra trusted CAs (PEM).
        certificate: ``(certificate, key)`` PEM files to present as a client certificate.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: probing for them is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        if version is None:
            context.minimum_version = ssl.TLSVersion.TLSv1
        else:
            context.minimum_version = version
            context.maximum_version = version
    context.set_ciphers(ciphers)
    if verify:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_default_certs()
        if ca_file is not None:
            context.load_verify_locations(cafile=str(ca_file))
    else:
        context.verify_mode = ssl.CERT_NONE
    if certificate is not None:
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


def sni_name(server_name: str) -> str | None:
    """The name to send as SNI: None for an IP address (RFC 6066 §3 allows host names only)."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in server_name else socket.AF_INET, server_name)
    except OSError:
        return server_name or None
    return None


def wrap(sock: socket.socket, context: ssl.SSLContext, server_name: str) -> ssl.SSLSocket:
    """Run the TLS handshake on ``sock`` (closed on failure)."""
    try:
        return context.wrap_socket(sock, server_hostname=sni_name(server_name))
    except BaseException:
        sock.close()
        raise


@contextlib.contextmanager
def open_stream(probe: ProbeContext, host: str, port: int, *, tls: bool,
                server_name: str = "") -> Iterator[socket.socket]:
    """A connected socket (TLS-wrapped with the permissive client context when ``tls``)."""
    sock = connect(probe, host, port)
    if tls:
        sock = wrap(sock, client_context(), server_name or host)
    try:
        yield sock
    finally:
        sock.close()


def exchange(
    probe: ProbeContext,
    host: str,
    port: int,
    payload: bytes,
    *,
    tls: bool = False,
    server_name: str = "",
    complete: Callable[[bytes], bool] | None = None,
) -> bytes:
    """Send ``payload`` and read the answer until ``complete(answer)``, the peer closes, or
    :data:`MAX_ANSWER` bytes.

    Returns:
        The bytes received (possibly empty when the peer closed without answering).

    Raises:
        OSError / ssl.SSLError: connect or handshake failed; a timeout with nothing received
            raises :class:`TimeoutError`. A timeout after some bytes returns what came.
    """
    with open_stream(probe, host, port, tls=tls, server_name=server_name) as sock:
        sock.sendall(payload)
        received = bytearray()
        while len(received) < MAX_ANSWER:
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                if received:
                    break
                raise
            if not chunk:
                break
            received.extend(chunk)
            if complete is not None and complete(bytes(received)):
                break
        return bytes(received)


def unexpected(data: bytes, expected: str) -> ProtocolResult:
    """The result for a peer that answered something other than ``expected``: ``reset`` when it
    closed without a byte, ``other-protocol`` when :func:`recognize` names what it spoke,
    ``garbage`` otherwise."""
    if not data:
        return ProtocolResult(ProbeStatus.RESET,
                              error=f"the peer closed the connection without a {expected} answer")
    spoken = recognize(data)
    if spoken and not spoken.startswith(expected):
        return ProtocolResult(ProbeStatus.OTHER_PROTOCOL,
                              error=f"the peer answered in {spoken}, not {expected}")
    return ProtocolResult(ProbeStatus.GARBAGE,
                          error=f"the peer answered bytes that are not {expected}: "
                                f"{describe_bytes(data)}")


def recognize(data: bytes) -> str:
    """Name the protocol of a peer's first bytes: ``HTTP``, ``TLS``, ``SSH``, ``DICOM
    A-ASSOCIATE-AC`` (…RJ, A-ABORT), ``HL7 MLLP``, ``text banner``; "" when none fits."""
    if not data:
        return ""
    if data.startswith(b"HTTP/"):
        return "HTTP"
    if data[:1] in (b"\x15", b"\x16") and data[1:2] == b"\x03":
        return "TLS"
    if data.startswith(b"SSH-"):
        return "SSH"
    if data[:1] == b"\x0b":
        return "HL7 MLLP"
    if len(data) >= 6 and data[0] in _DICOM_ANSWERS and data[1] == 0:
        length = int.from_bytes(data[2:6], "big")
        if 4 <= length <= 1 << 24:
            return f"DICOM {_DICOM_ANSWERS[data[0]]}"
    head = data[:64]
    if head[:3].isdigit() and head[3:4] in (b" ", b"-"):
        return "text banner"
    return ""


def describe_bytes(data: bytes, limit: int = 16) -> str:
    """The first bytes in hex for an error message (``0x48 0x54 …, 120 bytes``)."""
    shown = " ".join(f"0x{b:02x}" for b in data[:limit])
    return f"{shown}{' …' if len(data) > limit else ''} ({len(data)} bytes)"
