"""Findings from probe and scan observations: exposures, unmanaged hosts, MDS2 contradictions.

Pure: no files, no network. Observations come from
:func:`caresec.probe.evidence.load_probe_results`; for each service only the newest observation
of each method (probe, Nmap) counts, so a fixed service stops being reported after a new run.

* ``exposure`` (``EXP-<asset>-<check>``): one per asset × check that holds and is an exposure
  (:data:`caresec.probe.checks.CHECKS`), merging every service of the asset where it held.
  Threat events: ``TE-MISCONFIG-EXPOSURE``, and ``TE-MEDDEV-COMPROMISE`` for a medical device or
  IoT asset (``catalogs/threat-events.yaml``). Controls: the check's (access control
  164.312(a)(1), audit controls 164.312(b), authentication 164.312(d), transmission security
  164.312(e)(1)). Services on addresses no asset owns give ``EXP-<address>-<check>`` without an
  asset.
* ``unmanaged-asset`` (``UNMANAGED-<address>``): a host seen up (Nmap) or answering (probe) that
  neither ``probes/host-map.csv`` nor the inventory (``ip`` addresses and networks, ``mac`` /
  ``hostname`` columns) accounts for: an asset missing from the inventory the risk analysis
  (45 CFR 164.308(a)(1)(ii)(A)) starts from.
* ``mds2-contradiction`` (``MDS2-<asset>-<question>``): the device's MDS2 form (ANSI/NEMA HN
  1-2019) answers *yes* to node authentication (NAUT-1) or authorization (AUTH-1) while a
  service of it lets unauthenticated callers in, or *yes* to transmission confidentiality
  (TXCF-2) while it answers in clear text. Controls: the risk analysis 164.308(a)(1)(ii)(A),
  which must rest on accurate facts, then those of the checks that contradict the answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from caresec.model.asset import Asset, AssetKind, NetworkZone
from caresec.model.device import DeviceObservation, Mds2Form
from caresec.model.exposure import (
    ExposureMapRow,
    HostObservation,
    ProbeCheck,
    ProbeObservations,
    ServiceObservation,
)
from caresec.model.finding import Evidence, Finding
from caresec.probe.checks import (
    CHECKS,
    RISK_ANALYSIS,
    UNMANAGED_CONTROLS,
    UNMANAGED_SEVERITY,
    CheckSpec,
)

KIND_EXPOSURE = "exposure"
KIND_UNMANAGED = "unmanaged-asset"
KIND_MDS2_CONTRADICTION = "mds2-contradiction"
TE_MISCONFIG_EXPOSURE = "TE-MISCONFIG-EXPOSURE"
TE_MEDDEV_COMPROMISE = "TE-MEDDEV-COMPROMISE"
THREAT_EVENTS = (TE_MISCONFIG_EXPOSURE, TE_MEDDEV_COMPROMISE)
DEVICE_KINDS = frozenset({AssetKind.MEDICAL_DEVICE, AssetKind.IOT})
UNMANAGED_ZONE = "unmanaged"
UNKNOWN_ZONE = "unknown"
# MDS2 (HN 1-2019) questions an exposure can contradict, with caresec's short topic.
MDS2_AUTHENTICATION = (
    ("NAUT-1", "the device authenticates the network nodes it exchanges data with"),
    ("AUTH-1", "the device prevents access by unauthorized users through login or another "
               "mechanism"),
)
MDS2_TRANSMISSION = (
    ("TXCF-2", "personally identifiable information is encrypted before transmission over a "
               "network"),
)
FACT_ENCRYPTS_IN_TRANSIT = "encrypts_data_in_transit"
FACT_AUTHENTICATES_NODES = "authenticates_network_nodes"
_MAC_COLUMNS = ("mac", "mac_address")
_NAME_COLUMNS = ("hostname", "host_name", "fqdn", "dns_name")


@dataclass(frozen=True, slots=True)
class _Hit:
    observation: ServiceObservation
    check: ProbeCheck
    spec: CheckSpec


def exposure_findings(
    observations: ProbeObservations,
    assets: Sequence[Asset],
    mds2: Mapping[str, Mds2Form] | None = None,
) -> list[Finding]:
    """Findings from probe and Nmap observations (see the module docstring).

    Args:
        observations: from :func:`~caresec.probe.evidence.load_probe_results`.
        assets: the inventory.
        mds2: MDS2 form per asset id (as ``caresec.analyze.mds2.forms_for_assets`` links them);
            None or empty: no contradiction is looked for.

    Returns:
        Findings in inventory order (each asset's exposures by severity, then check id; then its
        MDS2 contradictions), then exposures of unmanaged addresses, then unmanaged hosts.
    """
    by_id = {a.asset_id: a for a in assets}
    services = latest_services(observations.services)
    hits: dict[str, list[_Hit]] = {}
    for obs in services:
        owner = owner_of(obs.asset_id, obs.address, obs.mac, _names(obs), assets)
        for check in obs.checks:
            spec = CHECKS.get(check.check_id)
            if spec is None or not spec.exposure or check.holds is not True:
                continue
            hits.setdefault(owner or f"@{obs.address}", []).append(_Hit(obs, check, spec))
    findings: list[Finding] = []
    for asset in assets:
        asset_findings = _exposures(asset.asset_id, asset, hits.get(asset.asset_id, []))
        findings.extend(asset_findings)
        form = (mds2 or {}).get(asset.asset_id)
        if form is not None:
            findings.extend(_contradictions(asset, form, hits.get(asset.asset_id, []),
                                            asset_findings))
    for owner, owner_hits in hits.items():
        if owner in by_id:
            continue
        findings.extend(_exposures(owner, None, owner_hits))
    findings.extend(_unmanaged(observations.hosts, services, assets))
    return findings


def exposure_map(
    observations: ProbeObservations,
    assets: Sequence[Asset],
    findings: Iterable[Finding] = (),
) -> tuple[ExposureMapRow, ...]:
    """The exposure map: one row per service (newest observation per method), ordered by network
    zone (most exposed first, as :class:`~caresec.model.asset.NetworkZone` lists them, then
    ``unknown``, then ``unmanaged``), asset id, address and port."""
    by_id = {a.asset_id: a for a in assets}
    finding_list = list(findings)
    rows: list[ExposureMapRow] = []
    for obs in latest_services(observations.services):
        owner = owner_of(obs.asset_id, obs.address, obs.mac, _names(obs), assets)
        asset = by_id.get(owner) if owner else None
        if asset is None:
            zone = UNMANAGED_ZONE
        else:
            zone = asset.network_zone.value if asset.network_zone else UNKNOWN_ZONE
        issues = tuple(sorted({c.check_id for c in obs.checks if c.holds is True
                               and c.check_id in CHECKS and CHECKS[c.check_id].exposure}))
        key = obs.key
        ids = tuple(f.finding_id for f in finding_list
                    if any(e.collector == obs.method and e.description.startswith(key + " at ")
                           for e in f.evidence))
        rows.append(ExposureMapRow(
            zone=zone, asset_id=asset.asset_id if asset else "",
            asset_name=asset.name if asset else "", address=obs.address, port=obs.port,
            protocol=obs.protocol, status=obs.status, encrypted=obs.encrypted, issues=issues,
            finding_ids=ids,
        ))
    order = {z.value: i for i, z in enumerate(NetworkZone)}
    order[UNKNOWN_ZONE] = len(order)
    order[UNMANAGED_ZONE] = len(order)
    rows.sort(key=lambda r: (order.get(r.zone, len(order)), r.asset_id, r.address, r.port,
                             r.protocol.value))
    return tuple(rows)


def device_observations(observations: ProbeObservations,
                        assets: Sequence[Asset]) -> list[DeviceObservation]:
    """Device facts the probes observed, for comparison with MDS2 answers
    (``caresec.analyze.mds2``): ``encrypts_data_in_transit`` false where an ePHI service answered
    in clear text; ``authenticates_network_nodes`` false where a service let an unauthenticated
    caller in. One per asset × fact × service."""
    found: list[DeviceObservation] = []
    for obs in latest_services(observations.services):
        owner = owner_of(obs.asset_id, obs.address, obs.mac, _names(obs), assets)
        if not owner:
            continue
        for check in obs.checks:
            spec = CHECKS.get(check.check_id)
            if spec is None or check.holds is not True:
                continue
            facts = []
            if spec.cleartext:
                facts.append(FACT_ENCRYPTS_IN_TRANSIT)
            if spec.authentication:
                facts.append(FACT_AUTHENTICATES_NODES)
            for fact in facts:
                found.append(DeviceObservation(owner, fact, False, _evidence(obs, check)))
    return found


def latest_services(services: Iterable[ServiceObservation]) -> list[ServiceObservation]:
    """The newest observation of each service per method, in first-seen order."""
    latest: dict[tuple[str, str], ServiceObservation] = {}
    for obs in services:
        key = (obs.method, obs.key)
        current = latest.get(key)
        if current is None or obs.observed_at > current.observed_at:
            latest[key] = obs
    return list(latest.values())


def owner_of(mapped: str, address: str, mac: str, names: Iterable[str],
             assets: Sequence[Asset]) -> str:
    """The asset id owning an observed address: the host map's answer, else the inventory
    asset whose ``ip`` is the address, else one whose networks contain it (the smallest), else
    one whose ``mac`` or ``hostname`` column matches; "" when none."""
    if mapped:
        return mapped
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is not None:
        best: tuple[int, str] | None = None
        for asset in assets:
            for item in (p.strip() for p in asset.ip.split(";") if p.strip()):
                try:
                    network = ipaddress.ip_network(item, strict=False)
                except ValueError:
                    continue
                if network.version == ip.version and ip in network:
                    size = network.num_addresses
                    if best is None or size < best[0]:
                        best = (size, asset.asset_id)
        if best is not None:
            return best[1]
    wanted_names = {n.lower().rstrip(".") for n in (*names, address) if n}
    for asset in assets:
        extra = {k.strip().lower(): v.strip() for k, v in asset.extra}
        if mac and any(extra.get(c, "").replace("-", ":").lower() == mac.lower()
                       for c in _MAC_COLUMNS):
            return asset.asset_id
        if any(extra.get(c, "").lower().rstrip(".") in wanted_names for c in _NAME_COLUMNS
               if extra.get(c)):
            return asset.asset_id
    return ""


# --------------------------------------------------------------------------- helpers


def _exposures(owner: str, asset: Asset | None, hits: list[_Hit]) -> list[Finding]:
    by_check: dict[str, list[_Hit]] = {}
    for hit in hits:
        by_check.setdefault(hit.check.check_id, []).append(hit)
    findings = []
    for check_id, group in by_check.items():
        spec = group[0].spec
        address = group[0].observation.address
        services = sorted({h.observation.key for h in group})
        if asset is not None:
            where = f"{asset.name} ({asset.asset_id})"
            ident = asset.asset_id
            zone = asset.network_zone.value if asset.network_zone else UNKNOWN_ZONE
        else:
            mapped = group[0].observation.asset_id
            where = (f"{mapped} (not in the inventory)" if mapped
                     else f"unmanaged host {address}")
            ident = mapped or address
            zone = UNMANAGED_ZONE
        te_ids = [TE_MISCONFIG_EXPOSURE]
        if asset is not None and asset.kind in DEVICE_KINDS:
            te_ids.append(TE_MEDDEV_COMPROMISE)
        details = [("check", check_id), ("services", ", ".join(services)),
                   ("network zone", zone), ("basis", spec.basis)]
        counts = sorted({(name, value) for h in group for name, value in h.observation.counts})
        details.extend((name, str(value)) for name, value in counts)
        findings.append(Finding(
            finding_id=f"EXP-{ident}-{check_id}",
            kind=KIND_EXPOSURE,
            title=f"{where}: {spec.title}",
            asset_ids=(asset.asset_id,) if asset is not None else (),
            severity=spec.severity,
            evidence=tuple(dict.fromkeys(_evidence(h.observation, h.check) for h in group)),
            threat_event_ids=tuple(te_ids),
            control_ids=spec.control_ids,
            details=tuple(details),
        ))
    findings.sort(key=lambda f: (f.severity.rank, f.finding_id))
    return findings


def _contradictions(asset: Asset, form: Mds2Form, hits: list[_Hit],
                    exposures: list[Finding]) -> list[Finding]:
    found: list[Finding] = []
    groups = (
        (MDS2_AUTHENTICATION, [h for h in hits if h.spec.authentication]),
        (MDS2_TRANSMISSION, [h for h in hits if h.spec.cleartext]),
    )
    for questions, group in groups:
        if not group:
            continue
        group_checks = {h.spec.check_id for h in group}
        related = [f for f in exposures if dict(f.details).get("check") in group_checks]
        for question_id, topic in questions:
            answer = form.answer(question_id)
            if answer is None or answer.answer != "yes":
                continue
            first = group[0]
            mds2_evidence = Evidence(
                collector="mds2", source=f"{form.source} ({answer.place})".replace(" ()", ""),
                description=f"MDS2 {question_id} ({form.manufacturer} {form.model}) answers yes: "
                            f"{topic}")
            severity = min((h.spec.severity for h in group), key=lambda s: s.rank)
            controls = tuple(dict.fromkeys((RISK_ANALYSIS, *(c for h in group
                                                             for c in h.spec.control_ids))))
            found.append(Finding(
                finding_id=f"MDS2-{asset.asset_id}-{question_id}",
                kind=KIND_MDS2_CONTRADICTION,
                title=(f"{asset.name} ({asset.asset_id}): MDS2 {question_id} answers yes "
                       f"({topic}), but the {first.spec.title}"),
                asset_ids=(asset.asset_id,),
                severity=severity,
                evidence=(*dict.fromkeys(_evidence(h.observation, h.check) for h in group),
                          mds2_evidence),
                threat_event_ids=(TE_MISCONFIG_EXPOSURE,) + (
                    (TE_MEDDEV_COMPROMISE,) if asset.kind in DEVICE_KINDS else ()),
                control_ids=controls,
                details=(("question", question_id), ("answer", "yes"),
                         ("contradicted by", ", ".join(f.finding_id for f in related))),
            ))
    return found


def _unmanaged(hosts: Sequence[HostObservation], services: Sequence[ServiceObservation],
               assets: Sequence[Asset]) -> list[Finding]:
    known = {a.asset_id for a in assets}
    by_address: dict[str, list[HostObservation]] = {}
    for host in hosts:
        by_address.setdefault(host.address, []).append(host)
    findings = []
    for address, items in by_address.items():
        names = tuple(dict.fromkeys(n for h in items for n in h.host_names))
        mac = next((h.mac for h in items if h.mac), "")
        mapped = next((h.asset_id for h in items if h.asset_id), "")
        owner = owner_of(mapped, address, mac, names, assets)
        if owner and owner in known:
            continue
        ports = sorted({p for h in items for p in h.open_ports})
        seen = sorted({s.key for s in services if s.address == address})
        evidence = tuple(dict.fromkeys(Evidence(
            collector="nmap" if h.source.lower().endswith(".xml") else "probe",
            source=h.source,
            description=f"host {address} up at {h.observed_at}"
                        + (f", open TCP ports {', '.join(map(str, h.open_ports))}"
                           if h.open_ports else ""),
        ) for h in items))
        label = f"{address} ({', '.join(names)})" if names else address
        why = (f"the host map names asset {owner!r}, which is not in the inventory" if owner
               else "no inventory asset or host-map row accounts for it")
        details = [("address", address), ("reason", why)]
        if mac:
            details.append(("mac", mac))
        if names:
            details.append(("host names", ", ".join(names)))
        if ports:
            details.append(("open ports", ", ".join(map(str, ports))))
        if seen:
            details.append(("services", ", ".join(seen)))
        findings.append(Finding(
            finding_id=f"UNMANAGED-{address}",
            kind=KIND_UNMANAGED,
            title=f"Unmanaged host {label} answers on the network but is not in the inventory",
            asset_ids=(),
            severity=UNMANAGED_SEVERITY,
            evidence=evidence,
            threat_event_ids=(TE_MISCONFIG_EXPOSURE,),
            control_ids=UNMANAGED_CONTROLS,
            details=tuple(details),
        ))
    return findings


def _evidence(obs: ServiceObservation, check: ProbeCheck) -> Evidence:
    return Evidence(collector=obs.method, source=obs.source,
                    description=f"{obs.key} at {obs.observed_at}: {check.detail}")


def _names(obs: ServiceObservation) -> tuple[str, ...]:
    return (obs.host_name,) if obs.host_name else ()

