"""FHIR probe (httpx, fhir.resources): the CapabilityStatement and its security section, SMART
discovery, and whether reads and searches are processed without an access token.

Requests, all ``GET`` without credentials (FHIR R4 §3.1.0 RESTful API; SMART App Launch 2.0):

* ``[base]/metadata`` — the CapabilityStatement: ``fhirVersion``, ``software``,
  ``rest[mode=server].security`` (declared services such as ``SMART-on-FHIR``, the OAuth
  endpoints extension); validated with ``fhir.resources`` for its FHIR version;
* ``[base]/.well-known/smart-configuration`` — SMART discovery document;
* ``[base]/Patient/<random id>`` and ``[base]/Observation/<random id>`` — reads of ids that do
  not exist: an ``404``/``410`` means the read was processed without a token, ``401``/``403``
  means a token is demanded; no resource can come back;
* ``[base]/<non-clinical type>?_summary=count`` — a search that returns a count only
  (``Organization``, or another non-clinical type the server declares);
* only with the per-target opt-in: ``[base]/Patient?_summary=count`` — the total is kept as
  ``fhir.patient-search-total``; any entry a server sends anyway is dropped unread.
"""

from __future__ import annotations

import json
import secrets
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from caresec import __version__
from caresec.model.exposure import ProbeCheck, ProbeStatus, format_host_port
from caresec.probe.net import (
    ProbeContext,
    ProtocolResult,
    client_context,
    exchange,
    sni_name,
    unexpected,
)

FHIR_JSON = "application/fhir+json"
_SEARCH_TYPES = ("Organization", "Location", "Endpoint", "HealthcareService", "Practitioner")
_DENIED = (401, 403)
_NOT_FOUND = (404, 410)
_SMART_CODES = {"SMART-on-FHIR", "OAuth", "OAuth2"}


@dataclass(frozen=True, slots=True)
class FhirTarget:
    """One FHIR endpoint: host, port, TLS, the service base path and the certificate name."""

    host: str
    port: int
    tls: bool = False
    base_path: str = ""
    server_name: str = ""

    @property
    def base_url(self) -> str:
        """``http(s)://host:port/base``."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{format_host_port(self.host, self.port)}{self.base_path}"


class _Fault(Exception):
    def __init__(self, status: ProbeStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def probe_fhir(probe: ProbeContext, target: FhirTarget) -> ProtocolResult:
    """Probe one FHIR endpoint.

    Checks: ``fhir.capability-without-security``, ``fhir.no-smart-configuration``,
    ``fhir.read-without-token``, ``fhir.search-without-token`` and, with ``probe.phi_queries``,
    ``fhir.patient-search-without-token`` (count as ``fhir.patient-search-total``).

    Returns:
        A :class:`ProtocolResult`; connection faults, non-HTTP answers and HTTP servers that are
        not FHIR give that status, never an exception.
    """
    extensions = {}
    if target.tls and (name := sni_name(target.server_name or target.host)):
        extensions["sni_hostname"] = name
    verify: Any = client_context() if target.tls else False
    with httpx.Client(
        base_url=target.base_url,
        verify=verify,
        timeout=probe.timeout,
        trust_env=False,
        follow_redirects=False,
        headers={"Accept": FHIR_JSON, "User-Agent": f"caresec-probe/{__version__}"},
    ) as client:
        session = _Session(probe, client, extensions)
        try:
            return _probe(session, probe)
        except _Fault as fault:
            if fault.status in (ProbeStatus.RESET, ProbeStatus.GARBAGE):
                return _diagnose(probe, target, fault)
            return ProtocolResult(fault.status, error=fault.message)


@dataclass(frozen=True, slots=True)
class _Session:
    probe: ProbeContext
    client: httpx.Client
    extensions: dict[str, Any]

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        self.probe.limiter.acquire()
        try:
            return self.client.get(path, params=params, extensions=self.extensions)
        except httpx.ConnectTimeout as exc:
            raise _Fault(ProbeStatus.TIMEOUT, "no connection within the timeout") from exc
        except httpx.TimeoutException as exc:
            raise _Fault(ProbeStatus.TIMEOUT, f"GET {path}: no answer within the timeout") \
                from exc
        except httpx.ConnectError as exc:
            text = str(exc).lower()
            if "refused" in text:
                raise _Fault(ProbeStatus.REFUSED,
                             "connection refused: nothing listens on the port") from exc
            if "ssl" in text or "tls" in text or "certificate" in text:
                raise _Fault(ProbeStatus.TLS_FAILED, f"TLS handshake failed: {exc}") from exc
            raise _Fault(ProbeStatus.ERROR, f"cannot connect: {exc}") from exc
        except httpx.RemoteProtocolError as exc:
            text = str(exc)
            if "without sending" in text or "disconnected" in text:
                raise _Fault(ProbeStatus.RESET,
                             f"GET {path}: the peer closed the connection without an HTTP "
                             "answer") from exc
            raise _Fault(ProbeStatus.GARBAGE,
                         f"GET {path}: the answer is not HTTP ({text})") from exc
        except (httpx.ReadError, httpx.WriteError) as exc:
            raise _Fault(ProbeStatus.RESET, f"GET {path}: the peer reset the connection") \
                from exc
        except httpx.HTTPError as exc:
            raise _Fault(ProbeStatus.ERROR, f"GET {path}: {type(exc).__name__}: {exc}") from exc


def _probe(session: _Session, probe: ProbeContext) -> ProtocolResult:
    checks: list[ProbeCheck] = []
    details: list[tuple[str, str]] = []
    counts: list[tuple[str, int]] = []

    metadata = session.get("/metadata")
    capability = _json(metadata)
    if capability is None or capability.get("resourceType") != "CapabilityStatement":
        if metadata.status_code in _DENIED:
            details.append(("metadata", f"HTTP {metadata.status_code}: the CapabilityStatement "
                            "itself needs a token"))
            capability = {}
        else:
            kind = metadata.headers.get("content-type", "no content type")
            return ProtocolResult(
                ProbeStatus.OTHER_PROTOCOL,
                error=f"an HTTP server that is not a FHIR endpoint: GET /metadata answered "
                      f"HTTP {metadata.status_code} ({kind}) without a CapabilityStatement",
                details=(("server", metadata.headers.get("server", "")),),
            )
    else:
        details.extend(_capability_details(capability))
        security = _server_rest(capability).get("security")
        services = _security_services(security)
        checks.append(ProbeCheck(
            "fhir.capability-without-security", not isinstance(security, dict),
            "rest.security declares " + (", ".join(services) or "no service")
            if isinstance(security, dict) else "the CapabilityStatement has no rest.security",
        ))

    smart = session.get("/.well-known/smart-configuration")
    smart_doc = _json(smart)
    smart_ok = smart.status_code == 200 and isinstance(smart_doc, dict) and bool(
        smart_doc.get("token_endpoint"))
    checks.append(ProbeCheck(
        "fhir.no-smart-configuration", not smart_ok,
        "SMART configuration names a token endpoint" if smart_ok
        else f"/.well-known/smart-configuration answered HTTP {smart.status_code} without a "
             "token endpoint",
    ))

    reads = {rtype: session.get(f"/{rtype}/caresec-{secrets.token_hex(16)}")
             for rtype in ("Patient", "Observation")}
    checks.append(_read_check(reads))

    search_type = _search_type(capability)
    search = session.get(f"/{search_type}", params={"_summary": "count"})
    checks.append(_search_check("fhir.search-without-token", search_type, search))
    search_total = _total(search)
    if search_total is not None and search.status_code == 200:
        details.append((f"{search_type} search total", str(search_total)))

    if probe.phi_queries:
        patients = session.get("/Patient", params={"_summary": "count"})
        checks.append(_search_check("fhir.patient-search-without-token", "Patient", patients))
        total = _total(patients)
        if patients.status_code == 200 and total is not None:
            counts.append(("fhir.patient-search-total", total))
    return ProtocolResult(ProbeStatus.ANSWERED, checks=tuple(checks), details=tuple(details),
                          counts=tuple(counts))


# --------------------------------------------------------------------------- helpers


def _diagnose(probe: ProbeContext, target: FhirTarget, fault: _Fault) -> ProtocolResult:
    """The HTTP client only says the answer was not HTTP: send the same request by hand and
    look at what comes back (nothing: reset; other bytes: garbage or another protocol)."""
    host = format_host_port(target.host, target.port)
    request = (f"GET {target.base_path}/metadata HTTP/1.1\r\nHost: {host}\r\n"
               f"Accept: {FHIR_JSON}\r\nConnection: close\r\n\r\n").encode("ascii")
    try:
        answer = exchange(probe, target.host, target.port, request, tls=target.tls,
                          server_name=target.server_name)
    except (OSError, ssl.SSLError):
        return ProtocolResult(fault.status, error=fault.message)
    if not answer:
        return ProtocolResult(ProbeStatus.RESET, error=fault.message)
    return unexpected(answer, "HTTP")


def _json(response: httpx.Response) -> dict[str, Any] | None:
    if not response.content:
        return None
    try:
        value = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _server_rest(capability: dict[str, Any]) -> dict[str, Any]:
    rest = capability.get("rest")
    if isinstance(rest, list):
        for item in rest:
            if isinstance(item, dict) and item.get("mode") == "server":
                return item
    return {}


def _security_services(security: object) -> list[str]:
    if not isinstance(security, dict):
        return []
    names: list[str] = []
    for concept in security.get("service") or []:
        if not isinstance(concept, dict):
            continue
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and coding.get("code"):
                names.append(str(coding["code"]))
        if concept.get("text") and not concept.get("coding"):
            names.append(str(concept["text"]))
    for extension in security.get("extension") or []:
        if isinstance(extension, dict) and str(extension.get("url", "")).endswith("oauth-uris"):
            names.append("OAuth endpoints extension")
    return names


def _capability_details(capability: dict[str, Any]) -> list[tuple[str, str]]:
    details = [("fhirVersion", str(capability.get("fhirVersion", "")))]
    software = capability.get("software")
    if isinstance(software, dict):
        details.append(("software", " ".join(
            str(software.get(k, "")) for k in ("name", "version") if software.get(k))))
    services = _security_services(_server_rest(capability).get("security"))
    details.append(("security services", ", ".join(services) or "none"))
    smart = [s for s in services if s in _SMART_CODES]
    if smart:
        details.append(("SMART declared", ", ".join(smart)))
    details.append(("capability statement", _conformance(capability)))
    return details


def _conformance(capability: dict[str, Any]) -> str:
    """``conformant (FHIR R4B model)`` or ``not conformant: <first error>`` per fhir.resources."""
    version = str(capability.get("fhirVersion", ""))
    model: Any
    try:
        if version.startswith("5."):
            from fhir.resources.capabilitystatement import CapabilityStatement as R5

            model, release = R5, "R5"
        elif version.startswith("4."):
            from fhir.resources.R4B.capabilitystatement import CapabilityStatement as R4B

            model, release = R4B, "R4B"
        elif version.startswith("3."):
            from fhir.resources.STU3.capabilitystatement import CapabilityStatement as STU3

            model, release = STU3, "STU3"
        else:
            return f"not validated (fhirVersion {version or 'missing'})"
        model.model_validate(capability)
    except ValueError as exc:
        first = str(exc).splitlines()
        reason = " ".join(first[1:3]).strip() if len(first) > 1 else str(exc)
        return f"not conformant: {reason[:200]}"
    return f"conformant (fhir.resources {release} model)"


def _read_check(reads: dict[str, httpx.Response]) -> ProbeCheck:
    codes = ", ".join(f"{rtype}: HTTP {r.status_code}" for rtype, r in reads.items())
    if any(r.status_code in _NOT_FOUND for r in reads.values()):
        return ProbeCheck("fhir.read-without-token", True,
                          f"reads of non-existent ids were processed without a token ({codes})")
    if all(r.status_code in _DENIED for r in reads.values()):
        return ProbeCheck("fhir.read-without-token", False,
                          f"reads without a token were refused ({codes})")
    return ProbeCheck("fhir.read-without-token", None, f"undecided ({codes})")


def _search_check(check_id: str, rtype: str, response: httpx.Response) -> ProbeCheck:
    body = _json(response)
    if response.status_code == 200 and body is not None and body.get("resourceType") == "Bundle":
        return ProbeCheck(check_id, True, f"GET {rtype}?_summary=count without a token answered "
                          "a Bundle")
    if response.status_code in _DENIED:
        return ProbeCheck(check_id, False, f"GET {rtype}?_summary=count without a token was "
                          f"refused (HTTP {response.status_code})")
    return ProbeCheck(check_id, None, f"GET {rtype}?_summary=count answered HTTP "
                      f"{response.status_code}")


def _total(response: httpx.Response) -> int | None:
    body = _json(response)
    if body is None or body.get("resourceType") != "Bundle":
        return None
    total = body.get("total")
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        return total
    entries = body.get("entry")
    return len(entries) if isinstance(entries, list) else 0


def _search_type(capability: dict[str, Any]) -> str:
    declared = {
        str(r.get("type")): r for r in _server_rest(capability).get("resource") or []
        if isinstance(r, dict)
    }
    for rtype in _SEARCH_TYPES:
        resource = declared.get(rtype)
        if resource is None:
            continue
        interactions = {i.get("code") for i in resource.get("interaction") or []
                        if isinstance(i, dict)}
        if not interactions or "search-type" in interactions:
            return rtype
    return _SEARCH_TYPES[0]
