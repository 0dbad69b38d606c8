"""TLS checks with the standard :mod:`ssl` module and ``cryptography``: which protocol versions a
service completes a handshake with, its certificate (validity, self-signed, host name, trust),
weak cipher-suite classes it accepts, and whether it demands a client certificate.

Rules: RFC 8996 deprecates TLS 1.0 and 1.1; NIST SP 800-52 Rev. 2 §3.3.1 and RFC 9325 §4.1 ask
for ephemeral key exchange and no NULL or anonymous suites; RFC 5280 §4.1.2.5 validity; RFC 6125
§6 host-name matching. Suites this OpenSSL build cannot offer (RC4, DES, 3DES, export) are not
tested (see ``docs/probe.md``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from caresec.model.exposure import ProbeCheck, TlsCertificate, TlsObservation
from caresec.probe.net import (
    ProbeContext,
    classify,
    client_context,
    connect,
    sni_name,
    tls_reason,
)

VERSIONS = (
    ("TLSv1", ssl.TLSVersion.TLSv1),
    ("TLSv1.1", ssl.TLSVersion.TLSv1_1),
    ("TLSv1.2", ssl.TLSVersion.TLSv1_2),
    ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
)
LEGACY = frozenset({"TLSv1", "TLSv1.1"})
# Weak suite classes, as OpenSSL cipher strings (TLS 1.2 and older).
WEAK_CLASSES = (
    ("NULL encryption", "eNULL:@SECLEVEL=0"),
    ("anonymous key exchange", "aNULL:!eNULL:@SECLEVEL=0"),
    ("static RSA key exchange", "kRSA:!eNULL:@SECLEVEL=0"),
)
# TLS alerts (RFC 8446 §6) that show a server wants a (valid) client certificate.
_CERT_ALERTS = ("certificate required", "unknown ca", "bad certificate", "certificate unknown",
                "handshake failure", "access denied")
_NOT_TLS_REASONS = ("wrong version number", "record layer failure", "packet length too long",
                    "unexpected eof", "http request", "unknown protocol")
CLIENT_CERT_WAIT = 0.5
# A TLS 1.3 server that drops a client right after the handshake, before the client said
# anything, without an alert (as asyncio-based servers do when the client certificate is
# missing): every protocol probed here waits for the client to speak first.
CLOSED_AFTER_HANDSHAKE = "closed the connection right after the handshake"


@dataclass(frozen=True, slots=True)
class _Handshake:
    ok: bool
    version: str = ""
    cipher: str = ""
    der: bytes | None = None
    reason: str = ""
    alert_after: str = ""  # a TLS alert read right after a completed handshake


def detect_tls(probe: ProbeContext, host: str, port: int, server_name: str = "") -> bool:
    """Whether the service speaks TLS: a handshake completes, or the peer answers with a TLS
    alert. A peer that answers other bytes, closes, resets or stays silent is taken as clear
    text.

    Raises:
        OSError: the TCP connection itself failed (refused, unreachable, connect timeout).
    """
    sock = connect(probe, host, port)
    sock.settimeout(min(probe.timeout, 3.0))
    try:
        tls_sock = client_context().wrap_socket(sock, server_hostname=sni_name(server_name or host))
    except ssl.SSLEOFError:
        return False
    except ssl.SSLError as exc:
        reason = tls_reason(exc)
        return "alert" in reason and not any(r in reason for r in _NOT_TLS_REASONS)
    except (TimeoutError, ConnectionResetError, BrokenPipeError):
        return False
    finally:
        sock.close()
    tls_sock.close()
    return True


def probe_tls(probe: ProbeContext, host: str, port: int, server_name: str = "") -> TlsObservation:
    """Run the TLS checks against a service known to speak TLS.

    Args:
        probe: context (rate limiter, timeout, extra CA bundle).
        host, port: the service.
        server_name: the name the certificate should carry ("" = ``host``).

    Returns:
        The :class:`TlsObservation`; handshake failures are listed in ``errors``, never raised
        (except a TCP-level failure of every attempt, which leaves ``protocols`` empty).
    """
    name = server_name or host
    errors: list[str] = []
    offered: list[str] = []
    der: bytes | None = None
    cipher = ""
    cert_required: bool | None = None
    for label, version in VERSIONS:
        shake = _handshake(probe, host, port, name, client_context(version=version),
                           wait_alert=version is ssl.TLSVersion.TLSv1_3)
        if shake.ok and shake.alert_after in ("", CLOSED_AFTER_HANDSHAKE):
            offered.append(label)
            der = der or shake.der
            cipher = shake.cipher or cipher
            if version is ssl.TLSVersion.TLSv1_3:
                cert_required = shake.alert_after == CLOSED_AFTER_HANDSHAKE
                if cert_required:
                    errors.append(f"{label}: {CLOSED_AFTER_HANDSHAKE} (no client certificate "
                                  "was sent)")
            continue
        reason = shake.alert_after or shake.reason
        if any(alert in reason for alert in _CERT_ALERTS):
            with_cert = _handshake(probe, host, port, name,
                                   client_context(version=version, certificate=_throwaway()),
                                   wait_alert=version is ssl.TLSVersion.TLSv1_3)
            after = with_cert.alert_after or with_cert.reason
            if (with_cert.ok and not with_cert.alert_after) or after != reason:
                # The server answered a certificate differently from no certificate: it asked
                # for one, so it negotiated this version.
                cert_required = True
                offered.append(label)
                der = der or shake.der or with_cert.der
                continue
        if reason:
            errors.append(f"{label}: {reason}")
    weak = _weak_suites(probe, host, port, name, offered) if offered else []
    trusted, trust_error = None, ""
    if offered:
        strong = _handshake(probe, host, port, name, _verifying_context(probe))
        if strong.ok:
            trusted = True
            der = der or strong.der
        elif strong.reason.startswith("verify:"):
            trusted, trust_error = False, strong.reason.removeprefix("verify:").strip()
        elif cert_required:
            trusted = None
        else:
            errors.append(f"verification handshake: {strong.reason}")
    certificate = describe_certificate(der) if der else None
    return TlsObservation(
        protocols=tuple(offered),
        cipher=cipher,
        certificate=certificate,
        trusted=trusted,
        trust_error=trust_error,
        server_name=name,
        name_matches=name_matches(der, name) if der else None,
        weak_suites=tuple(weak),
        client_certificate_required=cert_required,
        errors=tuple(errors),
    )


def tls_checks(observation: TlsObservation, *, now: dt.datetime) -> tuple[ProbeCheck, ...]:
    """The ``tls.*`` checks of a :class:`TlsObservation`, judged at ``now`` (UTC)."""
    checks = []
    legacy = [p for p in observation.protocols if p in LEGACY]
    checks.append(ProbeCheck(
        "tls.legacy-protocol", bool(legacy),
        f"offers {', '.join(legacy)} (RFC 8996 deprecates them)" if legacy
        else f"offers {', '.join(observation.protocols) or 'no version'}; no TLS 1.0 or 1.1",
    ))
    checks.append(ProbeCheck(
        "tls.weak-cipher-suites", bool(observation.weak_suites),
        "accepts " + "; ".join(observation.weak_suites) if observation.weak_suites
        else "refused NULL, anonymous and static-RSA suites",
    ))
    cert = observation.certificate
    if cert is not None:
        not_before = dt.datetime.fromisoformat(cert.not_before)
        not_after = dt.datetime.fromisoformat(cert.not_after)
        expired = not not_before <= now <= not_after
        state = (f"expired on {cert.not_after[:10]}" if now > not_after
                 else f"not valid before {cert.not_before[:10]}" if now < not_before
                 else f"valid until {cert.not_after[:10]}")
        checks.append(ProbeCheck("tls.certificate-expired", expired, f"certificate {state}"))
        checks.append(ProbeCheck(
            "tls.certificate-self-signed", cert.self_signed,
            f"issuer {'is' if cert.self_signed else 'is not'} the subject ({cert.subject})",
        ))
        if observation.name_matches is not None:
            names = ", ".join(cert.names) or "no names"
            checks.append(ProbeCheck(
                "tls.certificate-name-mismatch", not observation.name_matches,
                f"{observation.server_name} {'is' if observation.name_matches else 'is not'} "
                f"among the certificate's names ({names})",
            ))
    if observation.trusted is not None:
        checks.append(ProbeCheck(
            "tls.certificate-untrusted", not observation.trusted,
            "chain verifies against the trust store" if observation.trusted
            else f"chain does not verify: {observation.trust_error}",
        ))
    if observation.client_certificate_required is not None:
        checks.append(ProbeCheck(
            "tls.client-certificate-required", observation.client_certificate_required,
            "the server asks for a client certificate" if observation.client_certificate_required
            else "the server completes the handshake without a client certificate",
        ))
    return tuple(checks)


def describe_certificate(der: bytes) -> TlsCertificate | None:
    """A :class:`TlsCertificate` from a DER certificate (None when it cannot be parsed)."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return TlsCertificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        self_signed=_self_signed(cert),
        names=_names(cert),
        sha256=hashlib.sha256(der).hexdigest(),
        public_key=_key_text(cert),
        signature_algorithm=getattr(cert.signature_algorithm_oid, "_name", "")
        or cert.signature_algorithm_oid.dotted_string,
    )


def name_matches(der: bytes, name: str) -> bool | None:
    """RFC 6125 §6 host-name check: an IP address against iPAddress names; a DNS name against
    dNSName entries (a ``*`` wildcard only as the whole left-most label), the common name only
    when there is no dNSName. None when the certificate cannot be parsed."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
        ips = list(san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns, ips = [], []
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if address is not None:
        return address in ips
    wanted = name.lower().rstrip(".")
    if not dns:
        dns = [str(a.value).lower() for a in cert.subject.get_attributes_for_oid(
            NameOID.COMMON_NAME)]
    for pattern in dns:
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            first, _, rest = wanted.partition(".")
            if first and rest == pattern[2:]:
                return True
    return False


# --------------------------------------------------------------------------- helpers


def _handshake(probe: ProbeContext, host: str, port: int, name: str, context: ssl.SSLContext,
               *, wait_alert: bool = False) -> _Handshake:
    try:
        sock = connect(probe, host, port)
    except OSError as exc:
        return _Handshake(False, reason=classify(exc)[1])
    try:
        tls_sock = context.wrap_socket(sock, server_hostname=sni_name(name))
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        return _Handshake(False, reason=f"verify: {tls_reason(exc)}")
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        return _Handshake(False, reason=tls_reason(exc) if isinstance(exc, ssl.SSLError)
                          else classify(exc)[1])
    try:
        der = tls_sock.getpeercert(binary_form=True)
        cipher = tls_sock.cipher()
        alert = _alert_after(tls_sock) if wait_alert else ""
        return _Handshake(True, version=tls_sock.version() or "",
                          cipher=cipher[0] if cipher else "", der=der, alert_after=alert)
    finally:
        tls_sock.close()


def _alert_after(tls_sock: ssl.SSLSocket) -> str:
    """A TLS 1.3 server that wants a client certificate says so after the handshake
    (``certificate required`` alert, RFC 8446 §4.4.2.4): read briefly to see it."""
    tls_sock.settimeout(CLIENT_CERT_WAIT)
    try:
        data = tls_sock.recv(1)
    except ssl.SSLError as exc:
        return tls_reason(exc)
    except OSError:
        return ""
    return CLOSED_AFTER_HANDSHAKE if not data else ""


def _weak_suites(probe: ProbeContext, host: str, port: int, name: str,
                 offered: list[str]) -> list[str]:
    below_13 = [(label, v) for label, v in VERSIONS if label in offered and label != "TLSv1.3"]
    if not below_13:
        return []
    label, version = below_13[-1]
    accepted = []
    for title, ciphers in WEAK_CLASSES:
        try:
            context = client_context(version=version, ciphers=ciphers)
        except ssl.SSLError:  # this OpenSSL build has no suite of the class
            continue
        shake = _handshake(probe, host, port, name, context)
        if shake.ok:
            accepted.append(f"{title} ({shake.cipher}, {label})")
    return accepted


def _verifying_context(probe: ProbeContext) -> ssl.SSLContext:
    return client_context(verify=True, ca_file=probe.ca_file)


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(
            NameOID.COMMON_NAME))
    names = [*san.get_values_for_type(x509.DNSName),
             *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))]
    return tuple(names)


def _key_text(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return type(key).__name__.removesuffix("PublicKey").lstrip("_")


@cache
def _throwaway() -> tuple[Path, Path]:
    """A self-signed client certificate made for this process only (EC P-256, one day), to tell
    a server that requires client certificates from one that refuses the handshake."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "caresec probe")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    folder = Path(tempfile.mkdtemp(prefix="caresec-probe-"))
    cert_path, key_path = folder / "client.pem", folder / "client.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path
