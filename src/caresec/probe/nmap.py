"""Import Nmap XML (``nmap -oX``) as observed hosts and services.

Follows Nmap's XML output format (``nmap.dtd``, ``xmloutputversion`` 1.05): ``nmaprun`` →
``host`` (``status``, ``address`` of type ipv4/ipv6/mac, ``hostnames``) → ``ports/port``
(``state``, ``service`` with ``name``, ``product``, ``version``, ``tunnel``, ``method``;
``script`` results). Parsed with defusedxml (no entity expansion). Open TCP ports become
:class:`~caresec.model.exposure.ServiceObservation` records with status ``observed``; hosts found
up become :class:`~caresec.model.exposure.HostObservation` records. Two NSE scripts add checks:
``dicom-ping`` (an association with calling ``ECHOSCU`` and called ``ANY-SCP`` accepted → both
``dicom.accepts-any-*`` hold) and ``ssl-enum-ciphers`` (TLS 1.0/1.1 tables →
``tls.legacy-protocol``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from caresec.model.exposure import (
    HostObservation,
    ProbeCheck,
    ProbeRunInfo,
    ProbeStatus,
    ServiceObservation,
    ServiceProtocol,
)
from caresec.model.problems import InputProblem, ProblemSeverity

COLLECTOR = "nmap"
# Nmap service names (nmap-services) that are the protocols caresec knows.
SERVICE_PROTOCOLS = {
    "dicom": ServiceProtocol.DICOM,
    "acr-nema": ServiceProtocol.DICOM,
    "dicom-tls": ServiceProtocol.DICOM,
    "hl7": ServiceProtocol.HL7_MLLP,
}
_TLS_SERVICES = frozenset({"https", "ssl", "dicom-tls", "https-alt", "imaps", "pop3s", "ldaps"})
_DICOM_ANY = "Any AET is accepted"
_DICOM_CHECKED = "Called AET check enabled"


@dataclass(frozen=True, slots=True)
class NmapScan:
    """What one Nmap XML file holds."""

    run: ProbeRunInfo
    services: tuple[ServiceObservation, ...]
    hosts: tuple[HostObservation, ...]


def read_nmap_xml(path: Path, *, display: str) -> tuple[NmapScan | None, list[InputProblem]]:
    """Read one Nmap ``-oX`` file.

    Args:
        path: the file.
        display: the file as shown to the user (relative to the organization folder).

    Returns:
        ``(scan, problems)``: None and an error problem (with ``line N, column M``) when the
        file is not well-formed XML or not an ``nmaprun`` document; a host without an IP
        address is skipped with a warning naming it (``host 3``).
    """
    try:
        root = SafeET.parse(str(path)).getroot()
        if root is None:
            raise ParseError("no root element")
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        return None, [_problem(display, f"line {line}, column {column + 1}",
                               f"not well-formed XML: {exc}")]
    except DefusedXmlException as exc:
        return None, [_problem(display, "", f"refused: the XML uses a forbidden construct "
                                            f"({type(exc).__name__})")]
    except OSError as exc:
        return None, [_problem(display, "", f"cannot be read: {exc.strerror}")]
    if root.tag != "nmaprun":
        return None, [_problem(display, "", f"not Nmap XML output: the root element is "
                                            f"<{root.tag}>, not <nmaprun>")]
    started = _time(root.get("start")) or ""
    finished_el = root.find("runstats/finished")
    finished = _time(finished_el.get("time") if finished_el is not None else None) or ""
    services: list[ServiceObservation] = []
    hosts: list[HostObservation] = []
    problems: list[InputProblem] = []
    for number, host in enumerate(root.iter("host"), start=1):
        status = host.find("status")
        if status is not None and status.get("state") != "up":
            continue
        address, mac = _addresses(host)
        if not address:
            problems.append(_problem(display, f"host {number}", "no IPv4 or IPv6 address; the "
                                     "host was skipped", ProblemSeverity.WARNING))
            continue
        names = tuple(dict.fromkeys(
            n for h in host.iter("hostname") if (n := h.get("name", "").strip())))
        observed = _time(host.get("starttime")) or started
        open_ports: list[int] = []
        for port in host.iter("port"):
            state = port.find("state")
            if port.get("protocol") != "tcp" or state is None or state.get("state") != "open":
                continue
            try:
                number_ = int(port.get("portid", ""))
            except ValueError:
                problems.append(_problem(display, f"host {number} ({address})",
                                         f"port id {port.get('portid')!r} is not a number",
                                         ProblemSeverity.WARNING))
                continue
            open_ports.append(number_)
            services.append(_service(port, address, number_, mac, names, observed, display))
        hosts.append(HostObservation(address=address, source=display, observed_at=observed,
                                     mac=mac, host_names=names,
                                     open_ports=tuple(sorted(open_ports))))
    run = ProbeRunInfo(
        source=display, tool=f"{root.get('scanner', 'nmap')} {root.get('version', '')}".strip(),
        started_at=started, finished_at=finished, complete=finished_el is not None,
        planned=len(hosts), done=len(hosts), command=root.get("args", ""),
    )
    return NmapScan(run=run, services=tuple(services), hosts=tuple(hosts)), problems


def _service(port: Element, address: str, number: int, mac: str, names: tuple[str, ...],
             observed: str, display: str) -> ServiceObservation:
    service = port.find("service")
    name = service.get("name", "") if service is not None else ""
    tunnel = service.get("tunnel", "") if service is not None else ""
    probed = service is not None and service.get("method") == "probed"
    protocol = SERVICE_PROTOCOLS.get(name, ServiceProtocol.OTHER)
    if tunnel == "ssl" or name in _TLS_SERVICES:
        encrypted: bool | None = True
    elif probed:
        encrypted = False
    else:
        encrypted = None  # the name was only guessed from the port number
    details: list[tuple[str, str]] = []
    if service is not None:
        label = " ".join(v for v in (
            name, service.get("product", ""), service.get("version", ""),
            service.get("extrainfo", "")) if v)
        details.append(("nmap service", label + ("" if probed else " (guessed from the port)")))
    checks: list[ProbeCheck] = []
    for script in port.iter("script"):
        checks.extend(_script_checks(script))
        output = " ".join((script.get("output") or "").split())
        if output:
            details.append((f"nmap {script.get('id', 'script')}", output[:300]))
    if any(c.check_id == "dicom.accepts-any-calling-ae" for c in checks):
        protocol = ServiceProtocol.DICOM
    return ServiceObservation(
        address=address, port=number, protocol=protocol, status=ProbeStatus.OBSERVED,
        method="nmap", observed_at=observed, source=display,
        host_name=names[0] if names else "", mac=mac, encrypted=encrypted,
        checks=tuple(checks), details=tuple(details),
    )


def _script_checks(script: Element) -> list[ProbeCheck]:
    script_id = script.get("id", "")
    output = script.get("output") or ""
    if script_id == "dicom-ping":
        if _DICOM_ANY in output:
            detail = ("nmap dicom-ping: an association with calling AE ECHOSCU and called AE "
                      "ANY-SCP was accepted")
            return [ProbeCheck("dicom.accepts-any-calling-ae", True, detail),
                    ProbeCheck("dicom.accepts-any-called-ae", True, detail)]
        if _DICOM_CHECKED in output:
            detail = ("nmap dicom-ping: an association with calling AE ECHOSCU and called AE "
                      "ANY-SCP was rejected (which title was checked is not known)")
            return [ProbeCheck("dicom.accepts-any-calling-ae", None, detail),
                    ProbeCheck("dicom.accepts-any-called-ae", None, detail)]
    if script_id == "ssl-enum-ciphers":
        offered = [t.get("key", "") for t in script.findall("table")
                   if t.get("key", "").startswith(("TLSv", "SSLv"))]
        if offered:
            legacy = [v for v in offered if v in ("SSLv3", "TLSv1.0", "TLSv1.1")]
            return [ProbeCheck("tls.legacy-protocol", bool(legacy),
                               f"nmap ssl-enum-ciphers: offers {', '.join(offered)}")]
    return []


def _addresses(host: Element) -> tuple[str, str]:
    address = mac = ""
    for item in host.findall("address"):
        kind = item.get("addrtype", "")
        value = item.get("addr", "").strip()
        if kind in ("ipv4", "ipv6") and not address:
            address = value
        elif kind == "mac":
            mac = value.lower()
    return address, mac


def _time(epoch: str | None) -> str | None:
    if not epoch or not epoch.strip().isdigit():
        return None
    return datetime.fromtimestamp(int(epoch), UTC).isoformat()


def _problem(file: str, place: str, message: str,
             severity: ProblemSeverity = ProblemSeverity.ERROR) -> InputProblem:
    return InputProblem(file=file, place=place, message=message, severity=severity,
                        collector=COLLECTOR)
