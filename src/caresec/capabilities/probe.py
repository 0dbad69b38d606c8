"""Connected-service exposure in ``caresec audit`` (issue 8): recorded probe runs, Nmap scans and,
when the organization enables it, a probe of its own scope, as findings, risks and the report's
exposure map (docs/probe.md).

The capability applies when ``caresec.toml`` has a ``[probe]`` table or the evidence folder
(``[probe] results``, default ``probes/``) exists. It reads ``caresec.toml`` only through
:meth:`~caresec.model.OrgConfig.section` and, in order:

1. when ``[probe] audit = true``, probes the whole scope first
   (:func:`caresec.probe.runner.probe_for_audit`: rate-limited, timeouts, never PHI-capable
   queries) and saves the run beside the others; with ``audit = false`` (the default) it opens no
   connection at all;
2. reads every recorded run, Nmap XML scan and ``host-map.csv``
   (:func:`caresec.probe.load_probe_results`);
3. makes the findings (:func:`caresec.probe.exposure_findings`): ``exposure``
   (``EXP-<asset>-<check>``), ``unmanaged-asset`` (``UNMANAGED-<address>``) and
   ``mds2-contradiction`` (``MDS2-<asset>-<question>``) from the devices' MDS2 forms
   (``mds2/``, linked as :func:`caresec.analyze.mds2.forms_for_assets` links them).

What it adds to the audit (:class:`~caresec.model.CapabilityResult`):

* **findings**, each with its own likelihood (:func:`exposure_likelihood`), its asset, threat
  events (``TE-MISCONFIG-EXPOSURE``; ``TE-MEDDEV-COMPROMISE`` on medical devices and IoT) and
  HIPAA Security Rule controls. Findings on an address no inventory asset owns (unmanaged hosts
  and their exposures) have no asset: they enter no risk (impact comes from an asset) and stay
  visible in the section, flagged "not in the register";
* **problems**: unreadable evidence files (file and JSON pointer, row or line) and an invalid
  ``[probe]`` table (then nothing is probed; the recorded evidence is still read);
* **summary**, **data** (:func:`probe_data`) and the HTML section ``exposure``: the exposure map
  by network zone (zone → asset → service → checks that failed), the findings with likelihood
  and why, unmanaged hosts, MDS2 contradictions, the recorded runs and scans (times, scope) and
  every observation per target with its time.

MDS2: the devices capability (:mod:`caresec.capabilities.devices`) compares MDS2 answers with
inventory columns and device advisories (``catalogs/mds2-questions.yaml``); this one compares
NAUT-1, AUTH-1 and TXCF-2 with what the probes and scans observed. Only TXCF-2 is in both. An
(asset, question) pair is never reported twice: where the devices capability reports a pair
from its own facts (computed here with the same functions on the same inputs:
:func:`caresec.analyze.mds2.mds2_contradictions` over
:func:`caresec.analyze.mds2.device_observations` of the CSAF matches), this capability leaves
its contradiction out, lists it under ``data["mds2"]["deferred"]`` with the observation, and its
exposure finding (``EXP-<asset>-service.cleartext``) still carries the observation.

Likelihood (NIST SP 800-30 Rev. 1 Table G-5, via :func:`caresec.risk.likelihood.overall`):

* exposure: initiation (Table G-2 scale) by what the check shows: the service lets a caller in
  without credentials (``spec.authentication``) → *high*; traffic readable or alterable from a
  position on the network path (clear text, TLS version, cipher suites, certificate) →
  *moderate*; an access weakness that still needs a further step (any called AE title, no
  declared security) → *moderate*. Moved one step by exposure as for a network attack
  (:func:`caresec.risk.likelihood.exposure_shift`): internet-facing or zone internet/dmz +1,
  zone isolated −1; a host outside the inventory has no known zone (no change). Adverse impact
  (Table G-4 scale) from the check's severity (:func:`caresec.risk.likelihood.adverse_impact`:
  critical → very high, high → high, medium → moderate, low → low). So a DICOM service that
  accepts any calling AE title is *very high* in the DMZ and *high* in the clinical zone; TLS
  1.0 offered is *moderate*;
* unmanaged host: initiation *moderate* (a host no inventory lists gets no patching, hardening
  or monitoring from the security program) × adverse impact from severity (medium → moderate);
* MDS2 contradiction: as the devices capability rates its own: initiation *moderate*
  (safeguards planned from a disclosure the evidence contradicts) moved by exposure × adverse
  impact *moderate* (the answers compared are all about security functions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from caresec.analyze.devices import match_devices
from caresec.analyze.mds2 import (
    device_observations,
    forms_for_assets,
    mds2_catalog,
    mds2_contradictions,
)
from caresec.collect.csaf import collect_csaf
from caresec.collect.mds2 import collect_mds2
from caresec.collect.org import CONFIG_FILE
from caresec.errors import ConfigError
from caresec.extension import AuditContext, Capability
from caresec.model import (
    Assessed,
    Asset,
    CapabilityResult,
    Finding,
    InputProblem,
    Level,
    OrgConfig,
    ProblemSeverity,
    ReportSection,
)
from caresec.model.device import Mds2Form
from caresec.model.exposure import (
    ExposureMapRow,
    ProbeObservations,
    ProbeRunInfo,
    ServiceObservation,
    format_host_port,
)
from caresec.probe import (
    KIND_EXPOSURE,
    KIND_MDS2_CONTRADICTION,
    KIND_UNMANAGED,
    exposure_findings,
    exposure_map,
    load_probe_results,
)
from caresec.probe.checks import CHECKS
from caresec.probe.evidence import RunRecord, results_folder
from caresec.probe.findings import latest_services, owner_of
from caresec.probe.runner import ProgressEvent, probe_for_audit
from caresec.probe.scope import has_probe_table
from caresec.report import render_fragment
from caresec.risk.likelihood import adverse_impact, exposure, exposure_shift, overall
from caresec.risk.scale import assessed, shift

__all__ = ["NAME", "ORDER", "SECTION_ID", "ProbeCapability", "capability",
           "exposure_likelihood", "probe_data"]

#: Run order among the built-in capabilities (after devices, 10, whose MDS2 pairs it checks).
ORDER = 40
NAME = "probe"
SECTION_ID = "exposure"
TEMPLATE = "probe.html.j2"
DEVICES = "devices"


def capability() -> Capability:
    """The built-in exposure capability (:class:`ProbeCapability`)."""
    return ProbeCapability()


@dataclass(slots=True)
class ProbeCapability:
    """Connected-service exposure as an audit capability (see the module docstring).

    Attributes:
        name: ``probe``.
    """

    name: str = NAME

    def applies(self, org: OrgConfig) -> bool:
        """True when ``caresec.toml`` has ``[probe]`` or the evidence folder (``[probe]
        results``, default ``probes/``) exists."""
        return has_probe_table(org) or results_folder(org).is_dir()

    def run(self, context: AuditContext) -> CapabilityResult:
        """Probe when enabled, read the evidence, make findings (module docstring).

        Input problems are returned in the result; an invalid ``[probe]`` table is one error
        problem (nothing is probed, the recorded evidence is still read).

        Raises:
            CatalogError: a shipped catalog (MDS2 questions, vendor aliases) is invalid — a
                packaging bug, recorded by the pipeline.
        """
        return _run(context)


# --- the run ----------------------------------------------------------------------------------


def _run(context: AuditContext) -> CapabilityResult:
    org, assets = context.org, context.assets
    problems: list[InputProblem] = []
    section = org.section("probe")
    enabled = section.get("audit") is True
    record: RunRecord | None = None
    try:
        if enabled:
            context.progress("Probing the [probe] scope (caresec.toml audit = true)")
        record = probe_for_audit(org, progress=_progress(context))
    except ConfigError as exc:
        problems.append(InputProblem(CONFIG_FILE, "[probe]", f"{exc}; nothing was probed, the "
                                     "recorded evidence is read as it is",
                                     ProblemSeverity.ERROR, NAME))
    except OSError as exc:
        problems.append(InputProblem(str(results_folder(org)), "", f"the probe run could not be "
                                     f"saved: {exc}", ProblemSeverity.ERROR, NAME))

    context.progress("Reading probe runs and Nmap scans")
    observations, found = load_probe_results(org)
    problems.extend(found)
    # MDS2 workbook problems are the devices capability's to report (it reads mds2/ too).
    forms, _mds2_problems = collect_mds2(org.root / "mds2", org.root)
    linked = forms_for_assets(forms, assets)
    raw = exposure_findings(observations, assets, linked)
    kept, deferred = _defer_to_devices(raw, context, forms)
    by_id = {a.asset_id: a for a in assets}
    findings = [replace(f, likelihood=exposure_likelihood(f, _asset(f, by_id))) for f in kept]
    rows = exposure_map(observations, assets, findings)
    data = probe_data(observations, findings, rows, assets, deferred=deferred,
                      audit_probe=_audit_probe(enabled, record, org))
    return CapabilityResult(
        name=NAME,
        findings=tuple(findings),
        problems=tuple(problems),
        summary=summary_lines(data),
        data=data,
        sections=(ReportSection(SECTION_ID, "Connected-service exposure",
                                render_fragment(TEMPLATE, d=data)),),
    )


def _progress(context: AuditContext) -> Callable[[ProgressEvent], None]:
    def show(event: ProgressEvent) -> None:
        if event.status is not None:
            context.progress(f"Probed {event.key} ({event.index}/{event.total}): {event.status}")
    return show


def _asset(finding: Finding, by_id: Mapping[str, Asset]) -> Asset | None:
    return next((by_id[a] for a in finding.asset_ids if a in by_id), None)


def _audit_probe(enabled: bool, record: RunRecord | None, org: OrgConfig) -> dict[str, Any]:
    source = None
    if record is not None:
        try:
            source = record.path.relative_to(org.root).as_posix()
        except ValueError:
            source = str(record.path)
    return {
        "enabled": enabled,
        "ran": record is not None,
        "source": source,
        "targets": len(record.results) if record is not None else 0,
    }


def _defer_to_devices(
    findings: Sequence[Finding], context: AuditContext, forms: Sequence[Mds2Form]
) -> tuple[list[Finding], list[Finding]]:
    """Split off the MDS2 contradictions the devices capability reports itself (same asset and
    question), so no pair is reported twice (module docstring)."""
    compared = {c.question for c in mds2_catalog().comparisons}
    candidates = {(f.asset_ids[0], dict(f.details).get("question", "")) for f in findings
                  if f.kind == KIND_MDS2_CONTRADICTION and f.asset_ids}
    overlap = {(asset_id, q) for asset_id, q in candidates if q in compared}
    if not overlap:
        return list(findings), []
    org = context.org
    advisories, _csaf_problems = collect_csaf(org.feeds_dir / "csaf", org.root)
    matches, _unparsed = match_devices(context.assets, advisories)
    theirs = {(c.asset_id, c.question_id) for c in mds2_contradictions(
        forms, context.assets, device_observations(context.assets, matches))}
    kept: list[Finding] = []
    deferred: list[Finding] = []
    for finding in findings:
        pair = ((finding.asset_ids[0], dict(finding.details).get("question", ""))
                if finding.kind == KIND_MDS2_CONTRADICTION and finding.asset_ids else None)
        (deferred if pair in theirs else kept).append(finding)
    return kept, deferred


# --- likelihood -------------------------------------------------------------------------------


def exposure_likelihood(finding: Finding, asset: Asset | None) -> Assessed:
    """The NIST SP 800-30 Rev. 1 overall likelihood (Table G-5) of one of this capability's
    findings, with a rationale naming its inputs (rules in the module docstring and
    docs/probe.md).

    Args:
        finding: an ``exposure``, ``unmanaged-asset`` or ``mds2-contradiction`` finding from
            :func:`caresec.probe.exposure_findings`.
        asset: its inventory asset; None for a host outside the inventory.

    Returns:
        :class:`~caresec.model.Assessed`: level, 0–100 score, rationale.
    """
    where = _where(finding, asset)
    if finding.kind == KIND_MDS2_CONTRADICTION:
        question = dict(finding.details).get("question", "")
        start = _moved(Level.MODERATE, "safeguards planned from a manufacturer disclosure the "
                       "evidence contradicts → moderate", asset)
        adverse = assessed(Level.MODERATE, f"the answer is about a security function "
                                           f"({question}) → moderate")
        return overall(start, adverse, f"MDS2 {question} on {where}")
    if finding.kind == KIND_UNMANAGED:
        start = assessed(Level.MODERATE, "a host no inventory lists gets no patching, hardening "
                                         "or monitoring from the security program → moderate; "
                                         "network zone unknown, no change")
        return overall(start, adverse_impact(finding.severity), f"unmanaged host {where}")
    check_id = dict(finding.details).get("check", "")
    spec = CHECKS.get(check_id)
    if spec is not None and spec.authentication:
        base = (Level.HIGH, "the service lets a caller in without credentials: reaching the port "
                            "suffices → high")
    elif spec is not None and (spec.cleartext or check_id.startswith("tls.")):
        base = (Level.MODERATE, "reading or altering the traffic needs a position on the "
                                "network path → moderate")
    else:
        base = (Level.MODERATE, "the weakness needs a further step to be used (an accepted "
                                "calling AE title, an access token) → moderate")
    start = _moved(base[0], base[1], asset)
    title = spec.title if spec is not None else check_id
    return overall(start, adverse_impact(finding.severity), f"{title} on {where}")


def _moved(level: Level, reason: str, asset: Asset | None) -> Assessed:
    """``level`` moved by the asset's exposure as for a network attack (AV:N)."""
    if asset is None:
        return assessed(level, f"{reason}; host outside the inventory, network zone unknown, "
                               "no change")
    place, fact = exposure(asset)
    steps = exposure_shift(place, "N")
    moved = shift(level, steps)
    step = {1: f"{fact} +1", -1: f"{fact} −1"}.get(steps, f"{fact}, no change")
    return assessed(moved, f"{reason}; network attack, {step} → {moved}")


def _where(finding: Finding, asset: Asset | None) -> str:
    """The asset id, else the address (or host-map id) the finding is about."""
    if asset is not None:
        return asset.asset_id
    details = dict(finding.details)
    if "address" in details:
        return details["address"]
    return finding.finding_id.removeprefix("EXP-").removesuffix(f"-{details.get('check', '')}")


# --- data, summary ----------------------------------------------------------------------------


def probe_data(
    observations: ProbeObservations,
    findings: Sequence[Finding],
    rows: Sequence[ExposureMapRow],
    assets: Sequence[Asset],
    *,
    deferred: Sequence[Finding] = (),
    audit_probe: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The capability's object in ``report.json`` (JSON values only; never patient data: PHI-
    capable queries are kept as counts). The HTML section renders from it.

    Keys: ``counts``; ``audit_probe`` (``enabled``, ``ran``, ``source``, ``targets``: whether
    this audit probed); ``runs`` (each recorded run or scan: source, tool, started/finished,
    complete, targets planned/done, PHI-capable queries allowed, command, scope lines);
    ``zones`` (the exposure map: zone → assets → services with the checks that failed and the
    finding ids); ``findings`` (id, kind, title, assets, severity, likelihood with score and
    rationale, threat events, controls, ``in_register``, details, evidence); ``unmanaged`` (one
    per unmanaged host); ``mds2`` (``reported`` contradictions, ``deferred`` to the devices
    capability); ``targets`` (every observation per address:port, oldest first, each with
    ``current`` true for the newest of its method).
    """
    by_id = {a.asset_id: a for a in assets}
    current = {_ident(o) for o in latest_services(observations.services)}
    rows_out = [_finding_row(f) for f in findings]
    unmanaged = [_unmanaged_row(f) for f in findings if f.kind == KIND_UNMANAGED]
    exposures = [f for f in findings if f.kind == KIND_EXPOSURE]
    contradictions = [f for f in findings if f.kind == KIND_MDS2_CONTRADICTION]
    return {
        "counts": {
            "runs": sum(1 for r in observations.runs if r.tool.startswith("caresec")),
            "scans": sum(1 for r in observations.runs if not r.tool.startswith("caresec")),
            "services": len({(s.address, s.port) for s in observations.services}),
            "hosts": len({h.address for h in observations.hosts}),
            "findings": len(findings),
            "exposures": len(exposures),
            "in_register": sum(1 for r in rows_out if r["in_register"]),
            "not_in_register": sum(1 for r in rows_out if not r["in_register"]),
            "unmanaged_hosts": len(unmanaged),
            "mds2_contradictions": len(contradictions),
            "mds2_deferred": len(deferred),
        },
        "audit_probe": dict(audit_probe or {"enabled": False, "ran": False, "source": None,
                                            "targets": 0}),
        "runs": [_run_row(r) for r in sorted(observations.runs,
                                             key=lambda r: (r.started_at, r.source))],
        "zones": _zones(rows, findings),
        "findings": rows_out,
        "unmanaged": unmanaged,
        "mds2": {
            "reported": [r for r in rows_out if r["kind"] == KIND_MDS2_CONTRADICTION],
            "deferred": [{
                "finding_id": f.finding_id,
                "asset_ids": list(f.asset_ids),
                "question": dict(f.details).get("question", ""),
                "title": f.title,
                "reported_by": DEVICES,
                "observed": [e.description for e in f.evidence if e.collector != "mds2"],
                "contradicted_by": dict(f.details).get("contradicted by", ""),
            } for f in deferred],
        },
        "targets": _targets(observations.services, assets, by_id, current),
    }


def summary_lines(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Terminal and executive summary lines from :func:`probe_data`'s object."""
    c = data["counts"]
    probe = data["audit_probe"]
    lines = [
        ("Exposure evidence (probe runs / Nmap scans)",
         f"{c['runs']} / {c['scans']} ({c['services']} services on {c['hosts']} hosts)"),
        ("Exposure findings", f"{c['findings']} ({c['in_register']} in the register)"),
    ]
    if c["not_in_register"]:
        lines.append(("  on hosts outside the inventory (no risk)", str(c["not_in_register"])))
    lines.append(("  unmanaged hosts", str(c["unmanaged_hosts"])))
    lines.append(("  MDS2 contradictions (observed)", str(c["mds2_contradictions"])
                  + (f" (+{c['mds2_deferred']} reported by devices)" if c["mds2_deferred"]
                     else "")))
    if probe["ran"]:
        lines.append(("Probed during this audit",
                      f"{probe['targets']} targets ({probe['source']})"))
    else:
        lines.append(("Probed during this audit", "no (probe audit = false in caresec.toml)"))
    return tuple(lines)


def _finding_row(finding: Finding) -> dict[str, Any]:
    likelihood = finding.likelihood
    return {
        "finding_id": finding.finding_id,
        "kind": finding.kind,
        "title": finding.title,
        "asset_ids": list(finding.asset_ids),
        "severity": finding.severity.value,
        "check": dict(finding.details).get("check", ""),
        "likelihood": likelihood.level.value if likelihood else None,
        "likelihood_score": likelihood.score if likelihood else None,
        "likelihood_rationale": likelihood.rationale if likelihood else "",
        "threat_event_ids": list(finding.threat_event_ids),
        "control_ids": list(finding.control_ids),
        "in_register": bool(finding.asset_ids),
        "details": [[k, v] for k, v in finding.details],
        "evidence": [{"collector": e.collector, "source": e.source,
                      "description": e.description} for e in finding.evidence],
    }


def _unmanaged_row(finding: Finding) -> dict[str, Any]:
    details = dict(finding.details)
    address = details.get("address", "")
    return {
        "finding_id": finding.finding_id,
        "address": address,
        "host_names": details.get("host names", ""),
        "mac": details.get("mac", ""),
        "open_ports": details.get("open ports", ""),
        "services": details.get("services", ""),
        "reason": details.get("reason", ""),
        "sources": sorted({e.source for e in finding.evidence}),
    }


def _run_row(run: ProbeRunInfo) -> dict[str, Any]:
    return {
        "source": run.source, "tool": run.tool, "started_at": run.started_at,
        "finished_at": run.finished_at, "complete": run.complete, "planned": run.planned,
        "done": run.done, "phi_queries": run.phi_queries, "command": run.command,
        "scope": list(run.scope),
    }


def _zones(rows: Sequence[ExposureMapRow], findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """The exposure map rows grouped zone → asset (or unmanaged address) → services, in the
    map's order (most exposed zone first)."""
    severity = {f.finding_id: f.severity.value for f in findings}
    zones: list[dict[str, Any]] = []
    for row in rows:
        if not zones or zones[-1]["zone"] != row.zone:
            zones.append({"zone": row.zone, "assets": []})
        owners = zones[-1]["assets"]
        key = row.asset_id or row.address
        if not owners or owners[-1]["key"] != key:
            owners.append({"key": key, "asset_id": row.asset_id, "asset_name": row.asset_name,
                           "address": "" if row.asset_id else row.address, "services": []})
        owners[-1]["services"].append({
            "address": row.address, "port": row.port, "protocol": row.protocol.value,
            "status": row.status.value, "encrypted": row.encrypted,
            "failed": [{"check_id": c, "title": CHECKS[c].title,
                        "severity": CHECKS[c].severity.value}
                       for c in sorted(row.issues, key=lambda i: (CHECKS[i].severity.rank, i))],
            "finding_ids": [i for i in row.finding_ids if i in severity],
        })
    return zones


def _targets(services: Sequence[ServiceObservation], assets: Sequence[Asset],
             by_id: Mapping[str, Asset],
             current: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, int], list[ServiceObservation]] = {}
    for obs in services:
        grouped.setdefault((obs.address, obs.port), []).append(obs)
    out: list[dict[str, Any]] = []
    for (address, port), items in grouped.items():
        items = sorted(items, key=lambda o: (o.observed_at, o.method))
        owner = next((o for o in (owner_of(i.asset_id, i.address, i.mac,
                                           (i.host_name,) if i.host_name else (), assets)
                                  for i in items) if o), "")
        out.append({
            "target": format_host_port(address, port),
            "asset_id": owner,
            "in_inventory": owner in by_id,
            "observations": [{
                "method": o.method, "source": o.source, "protocol": o.protocol.value,
                "observed_at": o.observed_at, "finished_at": o.finished_at,
                "status": o.status.value, "encrypted": o.encrypted,
                "tls_protocols": list(o.tls.protocols) if o.tls else [],
                "checks": [{"check_id": c.check_id, "holds": c.holds, "detail": c.detail}
                           for c in o.checks],
                "counts": dict(o.counts),
                "error": o.error,
                "current": _ident(o) in current,
            } for o in items],
        })
    return sorted(out, key=lambda t: (t["asset_id"] == "", t["asset_id"], t["target"]))


def _ident(obs: ServiceObservation) -> tuple[str, str, str]:
    return (obs.method, obs.key, obs.observed_at)
