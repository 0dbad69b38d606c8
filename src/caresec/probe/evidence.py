"""Probe evidence on disk: recorded runs (JSON), Nmap scans (XML) and the host map (CSV).

An organization's ``probes/`` folder (``[probe] results`` in ``caresec.toml``) holds:

* ``probe-YYYYMMDDTHHMMSSZ.json`` — one ``caresec probe`` run, written after every target so an
  interrupted run can be resumed; JSON Schema ``probe-run.schema.json`` beside this module;
* ``*.xml`` — Nmap ``-oX`` output (see :mod:`caresec.probe.nmap`);
* ``host-map.csv`` — ``address,asset_id[,note]``: which inventory asset an observed address,
  CIDR block, MAC address or host name belongs to (for addresses the inventory does not list,
  such as a recording made against stand-in servers on loopback addresses).

:func:`load_probe_results` reads them all; nothing in a bad file stops the others, and each
problem becomes an :class:`~caresec.model.InputProblem` naming the file and the place (JSON
pointer, ``row N, column X``, ``line N``).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from caresec.collect.org import load_org
from caresec.errors import ConfigError
from caresec.model import OrgConfig
from caresec.model.exposure import (
    HostObservation,
    ProbeCheck,
    ProbeObservations,
    ProbeRunInfo,
    ProbeStatus,
    ServiceObservation,
    ServiceProtocol,
    TlsCertificate,
    TlsObservation,
)
from caresec.model.problems import InputProblem, ProblemSeverity

COLLECTOR = "probe"
FORMAT = "caresec-probe-run"
FORMAT_VERSION = 1
HOST_MAP = "host-map.csv"
DEFAULT_FOLDER = "probes"
RUN_PREFIX = "probe-"
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.IGNORECASE)
# Statuses that show a host is there and something answered on the port.
_UP = frozenset({ProbeStatus.ANSWERED, ProbeStatus.OTHER_PROTOCOL, ProbeStatus.GARBAGE,
                 ProbeStatus.TLS_FAILED, ProbeStatus.RESET, ProbeStatus.OBSERVED})


@dataclass(frozen=True, slots=True)
class HostMapEntry:
    """One ``host-map.csv`` row: an observed address, block, MAC or name → an asset."""

    observed: str
    asset_id: str
    note: str = ""
    row: int = 0

    def matches(self, address: str, mac: str = "", names: tuple[str, ...] = ()) -> bool:
        """True when the row names ``address`` (or contains it), ``mac`` or one of ``names``."""
        text = self.observed
        if _MAC.match(text):
            return bool(mac) and _mac(mac) == _mac(text)
        try:
            if "/" in text:
                network = ipaddress.ip_network(text, strict=False)
                return ipaddress.ip_address(address) in network
            return ipaddress.ip_address(text) == ipaddress.ip_address(address)
        except ValueError:
            pass
        wanted = text.lower().rstrip(".")
        return wanted in {n.lower().rstrip(".") for n in (*names, address)}


@dataclass(slots=True)
class RunRecord:
    """A probe run being written (the runner appends a result after each target).

    Attributes mirror the JSON document (``probe-run.schema.json``); ``path`` is where it is
    saved.
    """

    path: Path
    tool: str
    started_at: str
    phi_queries: bool
    planned: list[str]
    scope: dict[str, Any] = field(default_factory=dict)
    results: list[ServiceObservation] = field(default_factory=list)
    finished_at: str = ""
    complete: bool = False

    @property
    def done(self) -> set[str]:
        """Keys of the targets that have a result."""
        return {r.key for r in self.results}

    def to_json(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "tool": self.tool,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "complete": self.complete,
            "phi_queries": self.phi_queries,
            "scope": self.scope,
            "planned": list(self.planned),
            "results": [observation_to_json(r) for r in self.results],
        }

    def save(self) -> None:
        """Write the document atomically (temporary file, then rename), so an interruption
        leaves either the previous or the new version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        os.replace(temporary, self.path)


def observation_to_json(obs: ServiceObservation) -> dict[str, Any]:
    """One result as the run document stores it (``method`` and ``source`` are implied)."""
    data: dict[str, Any] = {
        "address": obs.address,
        "port": obs.port,
        "protocol": obs.protocol.value,
        "status": obs.status.value,
        "observed_at": obs.observed_at,
        "finished_at": obs.finished_at,
        "host_name": obs.host_name,
        "encrypted": obs.encrypted,
        "checks": [{"check_id": c.check_id, "holds": c.holds, "detail": c.detail}
                   for c in obs.checks],
        "counts": dict(obs.counts),
        "details": dict(obs.details),
        "error": obs.error,
        "tls": None,
    }
    if obs.tls is not None:
        tls = obs.tls
        cert = tls.certificate
        data["tls"] = {
            "protocols": list(tls.protocols),
            "cipher": tls.cipher,
            "certificate": None if cert is None else {
                "subject": cert.subject, "issuer": cert.issuer, "not_before": cert.not_before,
                "not_after": cert.not_after, "self_signed": cert.self_signed,
                "names": list(cert.names), "sha256": cert.sha256,
                "public_key": cert.public_key, "signature_algorithm": cert.signature_algorithm,
            },
            "trusted": tls.trusted,
            "trust_error": tls.trust_error,
            "server_name": tls.server_name,
            "name_matches": tls.name_matches,
            "weak_suites": list(tls.weak_suites),
            "client_certificate_required": tls.client_certificate_required,
            "errors": list(tls.errors),
        }
    return data


def observation_from_json(data: dict[str, Any], *, source: str) -> ServiceObservation:
    """A :class:`ServiceObservation` from a schema-valid result object.

    Raises:
        ValueError: a time is not ISO 8601.
    """
    for key in ("observed_at", "finished_at"):
        if data.get(key):
            datetime.fromisoformat(data[key])
    tls_data = data.get("tls")
    tls = None
    if isinstance(tls_data, dict):
        cert_data = tls_data.get("certificate")
        cert = None
        if isinstance(cert_data, dict):
            datetime.fromisoformat(cert_data["not_before"])
            datetime.fromisoformat(cert_data["not_after"])
            cert = TlsCertificate(
                subject=cert_data["subject"], issuer=cert_data["issuer"],
                not_before=cert_data["not_before"], not_after=cert_data["not_after"],
                self_signed=cert_data["self_signed"], names=tuple(cert_data["names"]),
                sha256=cert_data["sha256"], public_key=cert_data.get("public_key", ""),
                signature_algorithm=cert_data.get("signature_algorithm", ""),
            )
        tls = TlsObservation(
            protocols=tuple(tls_data.get("protocols", ())),
            cipher=tls_data.get("cipher", ""),
            certificate=cert,
            trusted=tls_data.get("trusted"),
            trust_error=tls_data.get("trust_error", ""),
            server_name=tls_data.get("server_name", ""),
            name_matches=tls_data.get("name_matches"),
            weak_suites=tuple(tls_data.get("weak_suites", ())),
            client_certificate_required=tls_data.get("client_certificate_required"),
            errors=tuple(tls_data.get("errors", ())),
        )
    return ServiceObservation(
        address=data["address"],
        port=data["port"],
        protocol=ServiceProtocol(data["protocol"]),
        status=ProbeStatus(data["status"]),
        method="probe",
        observed_at=data["observed_at"],
        source=source,
        finished_at=data.get("finished_at", ""),
        host_name=data.get("host_name", ""),
        tls=tls,
        encrypted=data.get("encrypted"),
        checks=tuple(ProbeCheck(c["check_id"], c["holds"], c.get("detail", ""))
                     for c in data.get("checks", ())),
        counts=tuple(sorted(data.get("counts", {}).items())),
        details=tuple(data.get("details", {}).items()),
        error=data.get("error", ""),
    )


@cache
def run_schema() -> dict[str, Any]:
    """The JSON Schema of a run document (``probe-run.schema.json``)."""
    text = resources.files("caresec.probe").joinpath("probe-run.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def read_run(path: Path, *, display: str) -> tuple[RunRecord | None, list[InputProblem]]:
    """Read one run document.

    Returns:
        ``(record, problems)``: None and an error problem when the file is not JSON or not a
        run document; otherwise the record, with each result that fails the schema skipped and
        named by its JSON pointer (``/results/3/port``).
    """
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        return None, [_problem(display, "", f"cannot be read: {exc.strerror}")]
    except UnicodeDecodeError as exc:
        return None, [_problem(display, f"byte {exc.start}", "not valid UTF-8")]
    except json.JSONDecodeError as exc:
        return None, [_problem(display, f"line {exc.lineno}, column {exc.colno}",
                               f"not valid JSON: {exc.msg.removesuffix(' at')}")]
    schema = run_schema()
    problems: list[InputProblem] = []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None, [_problem(display, "/format", f"not a caresec probe run (format must be "
                                                   f"{FORMAT!r})")]
    validator = jsonschema.Draft202012Validator(schema)
    bad_results: set[int] = set()
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path_items = list(error.absolute_path)
        pointer = "/" + "/".join(str(p) for p in path_items) if path_items else ""
        if len(path_items) >= 2 and path_items[0] == "results" and isinstance(path_items[1], int):
            bad_results.add(path_items[1])
            problems.append(_problem(display, pointer, f"{error.message}; this result was "
                                                       "skipped"))
        else:
            return None, [_problem(display, pointer or "/", f"{error.message}; the file was "
                                                            "skipped")]
    record = RunRecord(path=path, tool=data["tool"], started_at=data["started_at"],
                       phi_queries=data["phi_queries"], planned=list(data["planned"]),
                       scope=data.get("scope", {}), finished_at=data["finished_at"],
                       complete=data["complete"])
    for index, item in enumerate(data["results"]):
        if index in bad_results:
            continue
        try:
            record.results.append(observation_from_json(item, source=display))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(_problem(display, f"/results/{index}",
                                     f"bad value ({exc}); this result was skipped"))
    return record, problems


def read_host_map(path: Path, *, display: str) -> tuple[list[HostMapEntry], list[InputProblem]]:
    """Read ``host-map.csv`` (columns ``address``, ``asset_id``, optional ``note``; UTF-8).

    A row whose address is empty or whose asset_id is empty is skipped with an error problem
    naming ``row N, column X`` (the header is row 1).
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [], [_problem(display, "", f"cannot be read: {exc.strerror}")]
    except UnicodeDecodeError as exc:
        return [], [_problem(display, f"byte {exc.start}", "not valid UTF-8")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in ("address", "asset_id") if c not in columns]
    if missing:
        return [], [_problem(display, "row 1", f"required column(s) {', '.join(missing)} "
                                               "missing; the file was skipped")]
    entries: list[HostMapEntry] = []
    problems: list[InputProblem] = []
    try:
        for number, row in enumerate(reader, start=2):
            values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()
                      if isinstance(v, str)}
            if not any(values.values()):
                continue
            bad = [c for c in ("address", "asset_id") if not values.get(c)]
            for column in bad:
                problems.append(_problem(display, f"row {number}, column {column}",
                                         f"{column} is empty; the row was skipped"))
            if bad:
                continue
            entries.append(HostMapEntry(values["address"], values["asset_id"],
                                        values.get("note", ""), number))
    except csv.Error as exc:
        problems.append(_problem(display, f"line {reader.line_num}", f"CSV syntax error: {exc}"))
    return entries, problems


def results_folder(org: OrgConfig) -> Path:
    """The evidence folder: ``[probe] results`` of ``caresec.toml`` when set, else ``probes``,
    under the organization folder."""
    folder = org.section("probe").get("results")
    if not isinstance(folder, str) or not folder.strip():
        folder = DEFAULT_FOLDER
    return org.root / Path(folder.strip()).expanduser()


def load_probe_results(
    org: OrgConfig | Path,
) -> tuple[ProbeObservations, tuple[InputProblem, ...]]:
    """Read every probe run, Nmap scan and the host map of an organization folder.

    Args:
        org: the loaded organization, or its folder (then loaded with
            :func:`caresec.collect.org.load_org`; a folder whose ``caresec.toml`` is missing or
            invalid falls back to ``probes``: whoever loads the organization reports the
            configuration error).

    Returns:
        ``(observations, problems)``. A missing evidence folder gives empty observations and no
        problem (probing is optional). Observations carry the asset id ``host-map.csv`` maps
        their address to; services are in file (sorted by name) then record order; hosts are
        the Nmap hosts found up plus every probed address where something answered; each
        caresec run lists its ``[[probe.targets]]`` entries as recorded
        (:attr:`ProbeRunInfo.scope`).
    """
    from caresec.probe.nmap import read_nmap_xml  # defusedxml only when scans are read

    if isinstance(org, OrgConfig):
        root, folder = org.root, results_folder(org)
    else:
        root = org.expanduser().resolve()
        try:
            folder = results_folder(load_org(root))
        except ConfigError:
            folder = root / DEFAULT_FOLDER
    if not folder.is_dir():
        return ProbeObservations(), ()
    problems: list[InputProblem] = []
    host_map: list[HostMapEntry] = []
    map_path = folder / HOST_MAP
    if map_path.is_file():
        host_map, map_problems = read_host_map(map_path, display=_display(map_path, root))
        problems.extend(map_problems)
    services: list[ServiceObservation] = []
    hosts: list[HostObservation] = []
    runs: list[ProbeRunInfo] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        display = _display(path, root)
        suffix = path.suffix.lower()
        if suffix == ".json":
            record, run_problems = read_run(path, display=display)
            problems.extend(run_problems)
            if record is None:
                continue
            runs.append(ProbeRunInfo(
                source=display, tool=record.tool, started_at=record.started_at,
                finished_at=record.finished_at, complete=record.complete,
                planned=len(record.planned), done=len(record.done),
                phi_queries=record.phi_queries, command="caresec probe",
                scope=scope_lines(record.scope),
            ))
            if not record.complete:
                problems.append(_problem(
                    display, "/complete", f"the run was interrupted after {len(record.done)} of "
                    f"{len(record.planned)} targets; its results are used as they are (resume it "
                    "with `caresec probe ORG --resume`)", ProblemSeverity.WARNING))
            services.extend(record.results)
            hosts.extend(_probed_hosts(record.results, display))
        elif suffix == ".xml":
            scan, scan_problems = read_nmap_xml(path, display=display)
            problems.extend(scan_problems)
            if scan is not None:
                services.extend(scan.services)
                hosts.extend(scan.hosts)
                runs.append(scan.run)
    services = [_mapped_service(s, host_map) for s in services]
    hosts = [_mapped_host(h, host_map) for h in hosts]
    return (ProbeObservations(services=tuple(services), hosts=tuple(hosts), runs=tuple(runs)),
            tuple(problems))


def scope_lines(scope: dict[str, Any]) -> tuple[str, ...]:
    """One line per ``[[probe.targets]]`` entry a run document recorded in its ``scope``
    (``#1 dicom 127.0.0.11 port(s) 4242 (PACS image manager)``); entries that are not
    objects, or lack hosts or ports, are left out."""
    lines: list[str] = []
    targets = scope.get("targets") if isinstance(scope, dict) else None
    for number, entry in enumerate(targets if isinstance(targets, list) else [], start=1):
        if not isinstance(entry, dict):
            continue
        hosts = entry.get("hosts")
        ports = entry.get("ports")
        if not isinstance(hosts, list) or not isinstance(ports, list) or not hosts or not ports:
            continue
        index = entry.get("index", number)
        name = entry.get("name")
        line = (f"#{index} {entry.get('protocol', '?')} {', '.join(map(str, hosts))} port(s) "
                f"{', '.join(map(str, ports))}")
        if isinstance(name, str) and name.strip():
            line += f" ({name.strip()})"
        lines.append(line)
    return tuple(lines)


# --------------------------------------------------------------------------- helpers


def _probed_hosts(results: list[ServiceObservation], display: str) -> list[HostObservation]:
    by_address: dict[str, list[ServiceObservation]] = {}
    for obs in results:
        if obs.status in _UP:
            by_address.setdefault(obs.address, []).append(obs)
    return [
        HostObservation(address=address, source=display, observed_at=items[0].observed_at,
                        host_names=tuple(sorted({o.host_name for o in items if o.host_name})),
                        open_ports=tuple(sorted({o.port for o in items})))
        for address, items in by_address.items()
    ]


def _lookup(host_map: list[HostMapEntry], address: str, mac: str,
            names: tuple[str, ...]) -> str:
    for entry in host_map:
        if entry.matches(address, mac, names):
            return entry.asset_id
    return ""


def _mapped_service(obs: ServiceObservation, host_map: list[HostMapEntry]) -> ServiceObservation:
    if obs.asset_id or not host_map:
        return obs
    names = (obs.host_name,) if obs.host_name else ()
    asset_id = _lookup(host_map, obs.address, obs.mac, names)
    if not asset_id:
        return obs
    return replace(obs, asset_id=asset_id)


def _mapped_host(host: HostObservation, host_map: list[HostMapEntry]) -> HostObservation:
    if host.asset_id or not host_map:
        return host
    asset_id = _lookup(host_map, host.address, host.mac, host.host_names)
    if not asset_id:
        return host
    return replace(host, asset_id=asset_id)


def _mac(text: str) -> str:
    return text.replace("-", ":").lower()


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _problem(file: str, place: str, message: str,
             severity: ProblemSeverity = ProblemSeverity.ERROR) -> InputProblem:
    return InputProblem(file=file, place=place, message=message, severity=severity,
                        collector=COLLECTOR)
