"""The checks a probe runs, and what each one means for the HIPAA Security Rule.

Each check id names a condition; a :class:`~caresec.model.exposure.ProbeCheck` says whether it
holds. Checks marked ``exposure`` raise a finding when they hold. Severities and the controls each
check bears on are caresec's judgement, documented in ``docs/probe.md``:

* access control, 45 CFR 164.312(a)(1): only authorized persons or software programs get access;
* audit controls, 164.312(b): a caller that never identifies itself cannot be told apart in the
  service's audit trail;
* person or entity authentication, 164.312(d): verify that a person or entity seeking access is
  the one claimed (a DICOM AE title or HL7 sending facility is a claim, not a proof);
* transmission security, 164.312(e)(1), and its encryption specification 164.312(e)(2)(ii).

TLS rules follow RFC 8996 (TLS 1.0 and 1.1 deprecated), NIST SP 800-52 Rev. 2 §3.3.1 (cipher
suites with ephemeral key exchange and authenticated encryption) and RFC 5280 (certificate
validity).
"""

from __future__ import annotations

from dataclasses import dataclass

from caresec.model.finding import Severity

ACCESS_CONTROL = "164.312(a)(1)"
AUDIT_CONTROLS = "164.312(b)"
AUTHENTICATION = "164.312(d)"
TRANSMISSION = "164.312(e)(1)"
ENCRYPTION_IN_TRANSIT = "164.312(e)(2)(ii)"
RISK_ANALYSIS = "164.308(a)(1)(ii)(A)"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """What a check id means.

    Attributes:
        check_id: the id.
        title: the condition in words, as a finding title ends.
        exposure: a finding is raised when the check holds.
        severity: the finding's severity.
        control_ids: HIPAA Security Rule citations it bears on.
        authentication: the check shows the service lets callers in without authenticating
            them (compared with MDS2 authentication answers).
        cleartext: the check shows ePHI-capable traffic travels unencrypted (compared with MDS2
            transmission-confidentiality answers).
        basis: the rule or document the check follows.
    """

    check_id: str
    title: str
    exposure: bool
    severity: Severity = Severity.NONE
    control_ids: tuple[str, ...] = ()
    authentication: bool = False
    cleartext: bool = False
    basis: str = ""


_OPEN_ACCESS = (ACCESS_CONTROL, AUTHENTICATION, AUDIT_CONTROLS)
_IN_TRANSIT = (TRANSMISSION, ENCRYPTION_IN_TRANSIT)

CHECKS: dict[str, CheckSpec] = {spec.check_id: spec for spec in (
    # --- DICOM (PS3.8 upper layer, PS3.7 DIMSE, PS3.15 Annex B secure transport)
    CheckSpec("dicom.accepts-configured-ae", "association accepted with the configured AE titles",
              exposure=False, basis="DICOM PS3.8 §7.1 A-ASSOCIATE"),
    CheckSpec("dicom.echo-answered", "C-ECHO answered", exposure=False,
              basis="DICOM PS3.7 §9.1.5 C-ECHO"),
    CheckSpec("dicom.accepts-any-calling-ae",
              "DICOM service accepts associations from any calling AE title", exposure=True,
              severity=Severity.HIGH, control_ids=_OPEN_ACCESS, authentication=True,
              basis="DICOM PS3.8 §7.1.1.3 calling AE title; PS3.15 Annex B"),
    CheckSpec("dicom.accepts-any-called-ae",
              "DICOM service accepts associations addressed to any called AE title",
              exposure=True, severity=Severity.MEDIUM, control_ids=(ACCESS_CONTROL,),
              basis="DICOM PS3.8 §7.1.1.4 called AE title"),
    CheckSpec("dicom.query-answered-unrestricted",
              "DICOM service answers patient-level C-FIND queries from an unknown AE title",
              exposure=True, severity=Severity.CRITICAL, control_ids=_OPEN_ACCESS,
              authentication=True, basis="DICOM PS3.4 Annex C Query/Retrieve"),
    # --- HL7 v2 over MLLP
    CheckSpec("hl7.unauthenticated-ack",
              "HL7 v2 listener accepts and acknowledges messages from an unauthenticated sender",
              exposure=True, severity=Severity.HIGH, control_ids=_OPEN_ACCESS,
              authentication=True,
              basis="HL7 v2.5.1 §2.9 acknowledgment; MLLP (HL7 v2 Transport Specification)"),
    # --- FHIR
    CheckSpec("fhir.capability-without-security",
              "FHIR CapabilityStatement declares no security (no rest.security section)",
              exposure=True, severity=Severity.LOW, control_ids=(AUTHENTICATION,),
              basis="FHIR R4 CapabilityStatement.rest.security"),
    CheckSpec("fhir.no-smart-configuration",
              "no SMART App Launch configuration at /.well-known/smart-configuration",
              exposure=False, basis="SMART App Launch 2.0 §Discovery"),
    CheckSpec("fhir.read-without-token",
              "FHIR API processes resource reads without an access token", exposure=True,
              severity=Severity.HIGH, control_ids=_OPEN_ACCESS, authentication=True,
              basis="FHIR R4 §3.1.0 RESTful API read; SMART App Launch"),
    CheckSpec("fhir.search-without-token",
              "FHIR API answers searches without an access token", exposure=True,
              severity=Severity.HIGH, control_ids=_OPEN_ACCESS, authentication=True,
              basis="FHIR R4 §3.1.0 RESTful API search"),
    CheckSpec("fhir.patient-search-without-token",
              "FHIR API answers Patient searches without an access token", exposure=True,
              severity=Severity.CRITICAL, control_ids=_OPEN_ACCESS, authentication=True,
              basis="FHIR R4 §3.1.0 RESTful API search"),
    # --- any service
    CheckSpec("service.cleartext",
              "service carrying ePHI answers in clear text (no TLS)", exposure=True,
              severity=Severity.MEDIUM, control_ids=_IN_TRANSIT, cleartext=True,
              basis="45 CFR 164.312(e)(2)(ii); DICOM PS3.15 Annex B.1"),
    # --- TLS
    CheckSpec("tls.legacy-protocol", "TLS 1.0 or 1.1 offered", exposure=True,
              severity=Severity.MEDIUM, control_ids=_IN_TRANSIT,
              basis="RFC 8996; NIST SP 800-52 Rev. 2 §3.1"),
    CheckSpec("tls.weak-cipher-suites",
              "weak TLS cipher suites accepted (NULL encryption, anonymous or static RSA key "
              "exchange)", exposure=True, severity=Severity.MEDIUM, control_ids=_IN_TRANSIT,
              basis="NIST SP 800-52 Rev. 2 §3.3.1; RFC 9325 §4.1"),
    CheckSpec("tls.certificate-expired", "TLS certificate expired or not yet valid",
              exposure=True, severity=Severity.MEDIUM,
              control_ids=(TRANSMISSION, AUTHENTICATION), basis="RFC 5280 §4.1.2.5"),
    CheckSpec("tls.certificate-self-signed", "TLS certificate is self-signed", exposure=True,
              severity=Severity.LOW, control_ids=(TRANSMISSION, AUTHENTICATION),
              basis="RFC 5280 §6; NIST SP 800-52 Rev. 2 §3.2"),
    CheckSpec("tls.certificate-name-mismatch",
              "TLS certificate does not name the host it is served from", exposure=True,
              severity=Severity.LOW, control_ids=(TRANSMISSION, AUTHENTICATION),
              basis="RFC 6125 §6"),
    CheckSpec("tls.certificate-untrusted",
              "TLS certificate chain does not verify against the trust store", exposure=True,
              severity=Severity.LOW, control_ids=(TRANSMISSION, AUTHENTICATION),
              basis="RFC 5280 §6"),
    CheckSpec("tls.client-certificate-required",
              "service requires a client certificate (mutual TLS)", exposure=False,
              basis="RFC 8446 §4.3.2 CertificateRequest"),
)}

UNMANAGED_SEVERITY = Severity.MEDIUM
UNMANAGED_CONTROLS = (RISK_ANALYSIS,)


def spec(check_id: str) -> CheckSpec:
    """The :class:`CheckSpec` of ``check_id``.

    Raises:
        KeyError: the id is not a known check.
    """
    return CHECKS[check_id]
