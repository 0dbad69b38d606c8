"""Probe scope: the ``[probe]`` table of ``caresec.toml`` and the targets it allows.

Probes run only against the hosts (addresses, CIDR blocks, host names) and ports listed under
``[[probe.targets]]``; anything else is refused with a :class:`ScopeError` naming what was asked
and what the scope holds. The keys are documented in ``docs/probe.md``. ``caresec.toml`` is read
once, by :func:`caresec.collect.org.load_org`; this module validates its ``[probe]`` table
(:meth:`caresec.model.OrgConfig.section`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from caresec.collect.org import CONFIG_FILE, load_org
from caresec.errors import CaresecError, ConfigError
from caresec.model import OrgConfig
from caresec.model.exposure import ServiceProtocol, format_host_port

DEFAULT_RATE = 5.0
DEFAULT_TIMEOUT = 5.0
DEFAULT_RESULTS = "probes"
DEFAULT_CALLING_AE = "CARESEC"
MAX_ADDRESSES = 4096
MAX_RATE = 100.0
MAX_TIMEOUT = 120.0
PROBED_PROTOCOLS = (ServiceProtocol.DICOM, ServiceProtocol.HL7_MLLP, ServiceProtocol.FHIR,
                    ServiceProtocol.TLS)
_PROBE_KEYS = ("rate", "timeout", "results", "calling_ae", "ca_file", "audit", "targets")
_TARGET_KEYS = ("name", "hosts", "ports", "protocol", "tls", "timeout", "phi_queries",
                "called_ae", "calling_ae", "server_name", "base_path")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                        r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")
_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")  # PS3.5 Table 6.2-1 AE: no backslash


class ScopeError(CaresecError):
    """A requested target is not in the probe scope of ``caresec.toml``; nothing was probed."""


class TlsMode(StrEnum):
    """Whether a target speaks TLS: ``auto`` (try a TLS handshake first), ``on``, ``off``."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One ``[[probe.targets]]`` entry, defaults filled in from ``[probe]``.

    Attributes:
        index: 1-based position of the entry in the file.
        protocol: what to probe (:data:`PROBED_PROTOCOLS`).
        hosts: addresses, CIDR blocks and host names as written (normalized).
        ports: TCP ports.
        tls: :class:`TlsMode`.
        timeout: seconds allowed for each connect, read or exchange.
        phi_queries: the organization allows queries that could return PHI on this target
            (DICOM patient-level C-FIND, FHIR Patient search); they also need
            ``--opt-in-phi-queries`` on the command line, and only counts are kept.
        called_ae, calling_ae: DICOM AE titles the service is configured with and knows the
            prober as.
        server_name: the name the TLS certificate should carry ("" = the host as written).
        base_path: FHIR service base path (``/fhir``; "" = root).
        name: a label for people ("" when not given).
    """

    index: int
    protocol: ServiceProtocol
    hosts: tuple[str, ...]
    ports: tuple[int, ...]
    tls: TlsMode = TlsMode.AUTO
    timeout: float = DEFAULT_TIMEOUT
    phi_queries: bool = False
    called_ae: str = ""
    calling_ae: str = DEFAULT_CALLING_AE
    server_name: str = ""
    base_path: str = ""
    name: str = ""

    def addresses(self) -> tuple[str, ...]:
        """Every host this entry covers: each CIDR block expanded to its host addresses."""
        out: dict[str, None] = {}
        for host in self.hosts:
            network = _network(host)
            if network is None:
                out.setdefault(host, None)
            else:
                for address in _network_hosts(network):
                    out.setdefault(str(address), None)
        return tuple(out)

    def covers_host(self, host: str) -> bool:
        """True when ``host`` (address or name) is one of this entry's hosts or in its blocks."""
        address = _address(host)
        for item in self.hosts:
            network = _network(item)
            if network is not None:
                if address is not None and address.version == network.version \
                        and address in network:
                    return True
            elif item.lower().rstrip(".") == host.lower().rstrip(".") or (
                    address is not None and _address(item) == address):
                return True
        return False


@dataclass(frozen=True, slots=True)
class PlannedTarget:
    """One service to probe: an address, a port and the entry that puts it in scope."""

    address: str
    port: int
    spec: TargetSpec

    @property
    def protocol(self) -> ServiceProtocol:
        """The protocol to probe."""
        return self.spec.protocol

    @property
    def key(self) -> str:
        """``protocol://address:port``, the key results are saved and resumed by."""
        return f"{self.spec.protocol}://{format_host_port(self.address, self.port)}"


@dataclass(frozen=True, slots=True)
class ProbeScope:
    """The ``[probe]`` table.

    Attributes:
        source: the ``caresec.toml`` it was read from.
        targets: the ``[[probe.targets]]`` entries in file order.
        rate: global limit on new connections and requests, per second, over the whole run.
        timeout: default per-operation timeout in seconds.
        results_dir: folder where runs are saved (``probes`` under the organization folder).
        ca_file: PEM bundle of the organization's own certificate authorities, trusted in
            addition to the system store when verifying certificates (None: system store only).
        audit: ``caresec audit`` runs the whole scope first (``[probe] audit = true``; never
            with PHI-capable queries).
    """

    source: Path
    targets: tuple[TargetSpec, ...]
    rate: float = DEFAULT_RATE
    timeout: float = DEFAULT_TIMEOUT
    results_dir: Path = Path(DEFAULT_RESULTS)
    ca_file: Path | None = None
    audit: bool = False

    def plan(self) -> tuple[PlannedTarget, ...]:
        """Every (address, port) of every entry, in file order, without duplicates."""
        seen: dict[str, PlannedTarget] = {}
        for spec in self.targets:
            for address in spec.addresses():
                for port in spec.ports:
                    target = PlannedTarget(address, port, spec)
                    seen.setdefault(target.key, target)
        return tuple(seen.values())

    def describe(self) -> str:
        """One line per entry: ``#1 dicom 127.0.0.1/32 ports 4242``."""
        return "; ".join(
            f"#{t.index} {t.protocol} {', '.join(t.hosts)} port(s) "
            f"{', '.join(map(str, t.ports))}" for t in self.targets
        )


def load_scope(org_root: Path) -> ProbeScope:
    """Read ``[probe]`` from ``ORG_ROOT/caresec.toml`` (the organization loaded with
    :func:`caresec.collect.org.load_org`, then :func:`scope_from_org`).

    Returns:
        The :class:`ProbeScope`; ``results_dir`` and ``ca_file`` resolved against the folder.

    Raises:
        ConfigError: ``caresec.toml`` is missing or invalid (as ``load_org`` says), it has no
            ``[probe]`` table or no ``[[probe.targets]]``, or a key is unknown or has a bad value
            (the message names the file, the entry number and the key).
    """
    return scope_from_org(load_org(org_root))


def has_probe_table(org: OrgConfig) -> bool:
    """True when ``caresec.toml`` has a ``[probe]`` table (even an empty one)."""
    return any(name == "probe" for name, _text in org.sections)


def scope_from_org(org: OrgConfig) -> ProbeScope:
    """The probe scope of a loaded organization: its ``[probe]`` table validated.

    Raises:
        ConfigError: as :func:`load_scope` (no ``[probe]`` table, no targets, a bad key).
    """
    path = org.root / CONFIG_FILE
    if not has_probe_table(org):
        raise ConfigError(
            f"{path} has no [probe] table, so no host is in the probe scope.",
            hint="Add [probe] and one [[probe.targets]] entry per service (see docs/probe.md).",
        )
    return parse_scope(org.section("probe"), source=path, root=org.root)


def parse_scope(table: dict[str, Any], *, source: Path, root: Path) -> ProbeScope:
    """Validate a ``[probe]`` table already read from TOML (see :func:`load_scope`).

    Raises:
        ConfigError: as :func:`load_scope`.
    """
    where = f"{source}: [probe]"
    _reject_unknown(table, _PROBE_KEYS, where)
    rate = _number(table, "rate", DEFAULT_RATE, where, maximum=MAX_RATE)
    timeout = _number(table, "timeout", DEFAULT_TIMEOUT, where, maximum=MAX_TIMEOUT)
    results = table.get("results", DEFAULT_RESULTS)
    if not isinstance(results, str) or not results.strip():
        raise ConfigError(f"{where} results must be a folder name (string); found {results!r}.")
    calling_ae = _ae_title(table.get("calling_ae", DEFAULT_CALLING_AE), f"{where} calling_ae")
    ca_file: Path | None = None
    if "ca_file" in table:
        value = table["ca_file"]
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} ca_file must be a path (string); found {value!r}.")
        ca_file = root / Path(value.strip()).expanduser()
        if not ca_file.is_file():
            raise ConfigError(f"{where} ca_file {ca_file} does not exist.")
    audit = table.get("audit", False)
    if not isinstance(audit, bool):
        raise ConfigError(f"{where} audit must be true or false; found {audit!r}.")
    entries = table.get("targets")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            f"{where} has no targets, so nothing is in scope.",
            hint='Add entries such as: [[probe.targets]] hosts = ["10.20.20.10"] ports = [104] '
                 'protocol = "dicom".',
        )
    targets = tuple(
        _target(entry, index, source, timeout=timeout, calling_ae=calling_ae)
        for index, entry in enumerate(entries, start=1)
    )
    return ProbeScope(source=source, targets=targets, rate=rate, timeout=timeout,
                      results_dir=root / Path(results.strip()).expanduser(), ca_file=ca_file,
                      audit=audit)


def resolve_targets(scope: ProbeScope, requested: Sequence[str]) -> tuple[PlannedTarget, ...]:
    """The planned targets for the command line's TARGETS (all of the scope when empty).

    Each TARGET is ``HOST``, ``HOST:PORT``, ``[IPv6]:PORT``, a CIDR block, or any of these
    prefixed with ``PROTOCOL://`` (``dicom://127.0.0.1:4242``). Every address it names must lie
    in one entry's hosts, and its port (when given) in that entry's ports.

    Raises:
        ScopeError: some TARGET is (partly) out of scope or malformed; the message lists each
            refused TARGET with the reason and the scope, and nothing is probed.
    """
    if not requested:
        return scope.plan()
    planned: dict[str, PlannedTarget] = {}
    refused: list[str] = []
    for text in requested:
        try:
            protocol, hosts, port = _parse_request(text)
        except ValueError as exc:
            refused.append(f"{text!r}: {exc}")
            continue
        found: list[PlannedTarget] = []
        missing: list[str] = []
        for host in hosts:
            matches = [
                PlannedTarget(host, p, spec)
                for spec in scope.targets
                if (protocol is None or spec.protocol is protocol) and spec.covers_host(host)
                for p in spec.ports
                if port is None or p == port
            ]
            if matches:
                found.extend(matches)
            else:
                missing.append(host)
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3
                                              else "")
            what = f"port {port} of " if port is not None else ""
            verb = "is" if len(missing) == 1 else "are"
            refused.append(f"{text!r}: {what}{shown} {verb} not in the probe scope")
            continue
        for target in found:
            planned.setdefault(target.key, target)
    if refused:
        raise ScopeError(
            "refused, out of scope: " + "; ".join(refused)
            + f". The scope in {scope.source} is: {scope.describe()}.",
            hint="Probes run only against hosts and ports listed under [[probe.targets]].",
        )
    return tuple(planned.values())


# --------------------------------------------------------------------------- helpers


def _target(entry: object, index: int, source: Path, *, timeout: float,
            calling_ae: str) -> TargetSpec:
    where = f"{source}: [[probe.targets]] entry {index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table.")
    _reject_unknown(entry, _TARGET_KEYS, where)
    protocol_text = entry.get("protocol")
    known = ", ".join(p.value for p in PROBED_PROTOCOLS)
    if protocol_text not in {p.value for p in PROBED_PROTOCOLS}:
        raise ConfigError(f"{where} protocol is {protocol_text!r}; use one of {known}.")
    protocol = ServiceProtocol(protocol_text)
    hosts = _hosts(entry.get("hosts"), where)
    ports = _ports(entry.get("ports"), where)
    tls_value = entry.get("tls", "auto")
    if isinstance(tls_value, bool):
        tls = TlsMode.ON if tls_value else TlsMode.OFF
    elif tls_value == "auto":
        tls = TlsMode.AUTO
    else:
        raise ConfigError(f"{where} tls is {tls_value!r}; use true, false or \"auto\".")
    phi = entry.get("phi_queries", False)
    if not isinstance(phi, bool):
        raise ConfigError(f"{where} phi_queries must be true or false; found {phi!r}.")
    called_ae = ""
    if "called_ae" in entry:
        called_ae = _ae_title(entry["called_ae"], f"{where} called_ae")
    elif protocol is ServiceProtocol.DICOM:
        raise ConfigError(f"{where} is a DICOM target without called_ae (the AE title the "
                          "service is configured with).", hint='Add e.g. called_ae = "PACS".')
    base_path = entry.get("base_path", "")
    if not isinstance(base_path, str) or (base_path and not base_path.startswith("/")):
        raise ConfigError(f"{where} base_path must be a path starting with '/'; "
                          f"found {base_path!r}.")
    texts = {}
    for key in ("name", "server_name"):
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{where} {key} must be a string; found {value!r}.")
        texts[key] = value.strip()
    return TargetSpec(
        index=index,
        protocol=protocol,
        hosts=hosts,
        ports=ports,
        tls=tls,
        timeout=_number(entry, "timeout", timeout, where, maximum=MAX_TIMEOUT),
        phi_queries=phi,
        called_ae=called_ae,
        calling_ae=_ae_title(entry.get("calling_ae", calling_ae), f"{where} calling_ae"),
        server_name=texts["server_name"],
        base_path=base_path.rstrip("/"),
        name=texts["name"],
    )


def _hosts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where} hosts must be a non-empty list of addresses, CIDR blocks or "
                          f"host names; found {value!r}.")
    hosts: list[str] = []
    total = 0
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{where} hosts: {item!r} is not a string.")
        text = item.strip()
        network = _network(text)
        if network is not None:
            count = network.num_addresses
            total += count
            hosts.append(str(network))
        elif (address := _address(text)) is not None:
            total += 1
            hosts.append(str(address))
        elif _HOST_NAME.match(text):
            total += 1
            hosts.append(text.lower())
        else:
            raise ConfigError(f"{where} hosts: {text!r} is not an IP address, CIDR block or host "
                              "name.")
    if total > MAX_ADDRESSES:
        raise ConfigError(f"{where} hosts cover {total} addresses; at most {MAX_ADDRESSES} are "
                          "allowed per entry.", hint="Split the range or narrow it.")
    return tuple(dict.fromkeys(hosts))


def _ports(value: object, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where} ports must be a non-empty list of TCP ports; found {value!r}.")
    ports: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 65535:
            raise ConfigError(f"{where} ports: {item!r} is not a TCP port (1–65535).")
        ports.append(item)
    return tuple(dict.fromkeys(ports))


def _number(table: dict[str, Any], key: str, default: float, where: str, *,
            maximum: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= maximum:
        raise ConfigError(f"{where} {key} must be a number above 0 and at most {maximum:g}; "
                          f"found {value!r}.")
    return float(value)


def _ae_title(value: object, where: str) -> str:
    if not isinstance(value, str) or not _AE_TITLE.match(value) or not value.strip():
        raise ConfigError(f"{where} {value!r} is not a DICOM AE title (1–16 printable characters, "
                          "no backslash; DICOM PS3.5 Table 6.2-1).")
    return value.strip()


def _reject_unknown(table: dict[str, Any], known: Iterable[str], where: str) -> None:
    names = tuple(known)
    unknown = [k for k in table if k not in names]
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; the known "
                          f"keys are {', '.join(names)}.")


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _network_hosts(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Host addresses of a block; a /32 (/128) or /31 (/127) block is all of its addresses."""
    if network.num_addresses <= 2:
        return list(network)
    return list(network.hosts())


def _parse_request(text: str) -> tuple[ServiceProtocol | None, list[str], int | None]:
    """``(protocol, hosts, port)`` of one command-line TARGET."""
    protocol: ServiceProtocol | None = None
    rest = text.strip()
    if "://" in rest:
        scheme, _, rest = rest.partition("://")
        try:
            protocol = ServiceProtocol(scheme.lower())
        except ValueError:
            raise ValueError(f"unknown protocol {scheme!r}") from None
    port: int | None = None
    host = rest
    if rest.startswith("["):
        inner, _, after = rest[1:].partition("]")
        host = inner
        if after.startswith(":"):
            port = _port_text(after[1:])
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
        port = _port_text(port_text)
    if not host:
        raise ValueError("no host")
    network = _network(host)
    if network is not None:
        if network.num_addresses > MAX_ADDRESSES:
            raise ValueError(f"the block has more than {MAX_ADDRESSES} addresses")
        return protocol, [str(a) for a in _network_hosts(network)], port
    address = _address(host)
    if address is not None:
        return protocol, [str(address)], port
    if _HOST_NAME.match(host):
        return protocol, [host.lower()], port
    raise ValueError("not an address, CIDR block or host name")


def _port_text(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{text!r} is not a TCP port")
    return int(text)
