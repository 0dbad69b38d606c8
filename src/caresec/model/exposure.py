"""Connected-service exposure records: what a safe network probe or an Nmap scan observed.

A probe run (``caresec probe``) talks to the organization's own DICOM, HL7 v2 (MLLP), FHIR and
TLS services, listed in ``caresec.toml`` ``[probe]``; an Nmap ``-oX`` file adds the hosts and
open ports a scan saw. Both become :class:`ServiceObservation` and :class:`HostObservation`
records, saved as timestamped evidence under the organization's ``probes/`` folder (format in
``docs/probe.md``). No record ever holds patient data: queries that could return PHI are counted,
and only the counts are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceProtocol(StrEnum):
    """The protocol a service was probed (or, for Nmap, seen) as.

    ``dicom`` (DICOM upper layer, PS3.8), ``hl7-mllp`` (HL7 v2 over the Minimal Lower Layer
    Protocol), ``fhir`` (HL7 FHIR REST API), ``tls`` (a TLS service whose application protocol
    caresec does not probe; only the TLS checks run), ``other`` (an open port Nmap saw).
    """

    DICOM = "dicom"
    HL7_MLLP = "hl7-mllp"
    FHIR = "fhir"
    TLS = "tls"
    OTHER = "other"


class ProbeStatus(StrEnum):
    """How a target answered, per target (a fault never stops a run).

    ``answered``: the protocol conversation took place (whatever it concluded);
    ``refused``: nothing listens (TCP connection refused);
    ``timeout``: no connection or no answer within the timeout;
    ``reset``: the peer reset or closed the connection without answering;
    ``garbage``: the peer answered bytes that are not the expected protocol;
    ``other-protocol``: the peer answered in another recognizable protocol (HTTP, TLS, SSH …);
    ``tls-failed``: the TLS handshake could not be completed (broken certificate, no common
    protocol version or cipher suite, client certificate required);
    ``error``: anything else (named in the observation's ``error``);
    ``observed``: seen open by an Nmap scan, not probed by caresec.
    """

    ANSWERED = "answered"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    RESET = "reset"
    GARBAGE = "garbage"
    OTHER_PROTOCOL = "other-protocol"
    TLS_FAILED = "tls-failed"
    ERROR = "error"
    OBSERVED = "observed"


@dataclass(frozen=True, slots=True)
class ProbeCheck:
    """One check of one service and what it found.

    Attributes:
        check_id: the check (``dicom.accepts-any-calling-ae``, ``tls.legacy-protocol`` …; the
            list and what each means is in ``caresec.probe.checks.CHECKS``).
        holds: True when the condition the id names was observed, False when it was tested and
            not observed, None when it could not be decided.
        detail: one sentence of what was seen (never patient data).
    """

    check_id: str
    holds: bool | None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TlsCertificate:
    """The leaf certificate a TLS service presented (RFC 5280 fields).

    Attributes:
        subject, issuer: RFC 4514 strings.
        not_before, not_after: validity, ISO 8601 UTC.
        self_signed: the issuer equals the subject and the signature verifies with the
            certificate's own public key.
        names: subject alternative names (DNS names and IP addresses), then the common name
            when there are none.
        sha256: SHA-256 fingerprint of the DER encoding, lower-case hex.
        public_key: key type and size (``RSA 2048``, ``EC secp256r1``).
        signature_algorithm: e.g. ``sha256WithRSAEncryption``.
    """

    subject: str
    issuer: str
    not_before: str
    not_after: str
    self_signed: bool
    names: tuple[str, ...]
    sha256: str
    public_key: str = ""
    signature_algorithm: str = ""


@dataclass(frozen=True, slots=True)
class TlsObservation:
    """What the TLS checks saw on one service.

    Attributes:
        protocols: protocol versions the server completed a handshake with (``TLSv1``,
            ``TLSv1.1``, ``TLSv1.2``, ``TLSv1.3``), oldest first.
        cipher: the suite negotiated with the client's default (strong) settings, when any.
        certificate: the leaf certificate, when one was presented.
        trusted: the chain verified against the trust store (system store, or the configured
            ``ca_file``); None when not decided.
        trust_error: OpenSSL's verification message when not trusted.
        server_name: the name the certificate was checked against ("" when the target was an
            address and no ``server_name`` was configured: then the address is checked).
        name_matches: the certificate is valid for ``server_name`` (RFC 6125 rules as
            implemented by the ``ssl`` module); None when no certificate.
        weak_suites: weak cipher-suite classes the server accepted (``NULL encryption``,
            ``anonymous key exchange``, ``static RSA key exchange``), each with the suite
            negotiated, e.g. ``NULL encryption (ECDHE-RSA-NULL-SHA)``.
        client_certificate_required: the server demands a client certificate (mutual TLS);
            None when not decided.
        errors: handshake errors met while testing (one line each).
    """

    protocols: tuple[str, ...] = ()
    cipher: str = ""
    certificate: TlsCertificate | None = None
    trusted: bool | None = None
    trust_error: str = ""
    server_name: str = ""
    name_matches: bool | None = None
    weak_suites: tuple[str, ...] = ()
    client_certificate_required: bool | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceObservation:
    """One service (address, port, protocol) as a probe or a scan saw it.

    Attributes:
        address: the address (or host name) probed.
        port: TCP port.
        protocol: :class:`ServiceProtocol`.
        status: :class:`ProbeStatus`.
        method: ``probe`` (caresec probe) or ``nmap`` (imported scan).
        observed_at: ISO 8601 UTC time the observation started.
        source: the evidence file it was read from, relative to the organization folder
            (``probes/probe-20250301T101500Z.json``, ``probes/scan.xml``).
        finished_at: ISO 8601 UTC time it ended ("" for Nmap).
        host_name: the host's name, when known (Nmap reverse lookup or the configured name).
        mac: MAC address, when the scan saw one.
        asset_id: the inventory asset the address was mapped to by ``probes/host-map.csv``
            ("" when not mapped; the inventory's ``ip`` column is tried later).
        tls: the TLS checks' result; None when the service did not speak TLS.
        encrypted: the service was reached over TLS (True), in clear text (False), or it is
            unknown (None: no answer, or an Nmap port without TLS information).
        checks: the checks run and their results.
        counts: counts from PHI-capable queries run with the per-target opt-in, as
            ``(name, number)`` (``dicom.patient-level-matches``, ``fhir.patient-search-total``);
            never the data.
        details: other facts as ``(name, value)`` (``accepted contexts``, ``fhirVersion``,
            ``nmap service``, ``ack code`` …).
        error: what went wrong, when ``status`` is not ``answered``.
    """

    address: str
    port: int
    protocol: ServiceProtocol
    status: ProbeStatus
    method: str
    observed_at: str
    source: str = ""
    finished_at: str = ""
    host_name: str = ""
    mac: str = ""
    asset_id: str = ""
    tls: TlsObservation | None = None
    encrypted: bool | None = None
    checks: tuple[ProbeCheck, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    error: str = ""

    @property
    def key(self) -> str:
        """``protocol://address:port`` (the target key a run resumes by)."""
        return f"{self.protocol}://{format_host_port(self.address, self.port)}"

    def check(self, check_id: str) -> ProbeCheck | None:
        """The check with ``check_id``, or None when it was not run."""
        return next((c for c in self.checks if c.check_id == check_id), None)


@dataclass(frozen=True, slots=True)
class HostObservation:
    """A host an Nmap scan (or a probe) found up.

    Attributes:
        address: IPv4 or IPv6 address.
        source: evidence file, relative to the organization folder.
        observed_at: ISO 8601 UTC time of the scan.
        mac: MAC address, when the scan saw one (same network segment only).
        host_names: names Nmap reported (PTR and user-supplied).
        asset_id: asset mapped by ``probes/host-map.csv`` ("" when not mapped).
        open_ports: open TCP ports seen.
    """

    address: str
    source: str
    observed_at: str
    mac: str = ""
    host_names: tuple[str, ...] = ()
    asset_id: str = ""
    open_ports: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeRunInfo:
    """One recorded probe run or imported scan.

    Attributes:
        source: its evidence file, relative to the organization folder.
        tool: ``caresec <version>`` or ``nmap <version>``.
        started_at, finished_at: ISO 8601 UTC ("" when not finished).
        complete: every planned target has a result (False: interrupted; ``--resume`` goes on).
        planned, done: numbers of targets.
        phi_queries: PHI-capable queries were allowed for opted-in targets in this run.
        command: the command line as recorded (Nmap ``args``) or ``caresec probe``.
        scope: for a caresec run, its ``[[probe.targets]]`` entries as recorded, one line each
            (``#1 dicom 127.0.0.11 port(s) 4242 (PACS image manager)``); empty for Nmap (the
            command names the targets).
    """

    source: str
    tool: str
    started_at: str
    finished_at: str
    complete: bool
    planned: int
    done: int
    phi_queries: bool = False
    command: str = ""
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeObservations:
    """Every probe and scan observation of an organization folder.

    Attributes:
        services: service observations, file then record order.
        hosts: hosts found up (Nmap hosts, and every probed address that answered).
        runs: the runs and scans they came from.
    """

    services: tuple[ServiceObservation, ...] = ()
    hosts: tuple[HostObservation, ...] = ()
    runs: tuple[ProbeRunInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class ExposureMapRow:
    """One service on the exposure map (for the report's section by network zone).

    Attributes:
        zone: the asset's network zone (``unmanaged`` for an address no asset owns, ``unknown``
            for an asset without a zone).
        asset_id, asset_name: the asset ("" when unmanaged).
        address, port, protocol, status: the service.
        encrypted: as :attr:`ServiceObservation.encrypted`.
        issues: ids of the checks that hold and are exposures, sorted.
        finding_ids: the findings raised from it.
    """

    zone: str
    asset_id: str
    asset_name: str
    address: str
    port: int
    protocol: ServiceProtocol
    status: ProbeStatus
    encrypted: bool | None
    issues: tuple[str, ...] = ()
    finding_ids: tuple[str, ...] = ()


def format_host_port(host: str, port: int) -> str:
    """``host:port``, with IPv6 addresses in brackets (RFC 3986 §3.2.2)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
