"""The medical-device capability: CSAF/ICSMA advisories, CPE matching, VEX, MDS2, component end
of support and the device patch plan, inside ``caresec audit`` (docs/devices.md).

What it reads from the organization folder (each part optional):

* ``feeds/csaf/`` — CSAF 2.0 advisories and ROLIE feeds (:mod:`caresec.collect.csaf`); the
  ``csaf_vex`` documents there are also read as VEX statements;
* ``feeds/nvd/`` — CVE JSON 5 records and NVD CVE API 2.0 responses (:mod:`caresec.collect.nvd`);
* ``vex/`` — CycloneDX VEX, OpenVEX and CSAF VEX (:mod:`caresec.collect.vex`);
* ``mds2/`` — MDS2 workbooks (:mod:`caresec.collect.mds2`);
* the SBOMs' CycloneDX lifecycle properties (:mod:`caresec.collect.lifecycle`);
* ``[devices]`` of ``caresec.toml``: ``due_days`` — days from the audit date to a plan item's
  due date by SSVC outcome (``Act``, ``Attend``, ``Track*``, ``Track``) and ``end of support``
  (defaults :data:`caresec.analyze.device_plan.DEFAULT_DAYS`).

What it adds to the audit (:class:`~caresec.model.CapabilityResult`):

* **matches**: one vulnerability record per device × CVE of a matched CSAF advisory
  (:func:`~caresec.analyze.devices.device_vulnerability_matches`) and per CPE-only component ×
  CVE record (:func:`~caresec.analyze.cpe.match_cpe`); the risk engine makes them
  ``VULN-<asset>-<CVE>`` findings like OSV matches (``TE-MEDDEV-COMPROMISE`` on medical
  devices);
* **assessed_component_keys**: the components without a purl that CPE matching judged against
  the CVE records (only when ``feeds/nvd`` holds records), so the OSV matcher's "no purl; CPE
  matching not available" entries go; for those components the CPE matcher's own *not
  assessed* entries are added (for a component with a purl, judged by OSV, they are warnings);
* **statements**: one :class:`~caresec.model.FindingStatement` per asset × vulnerability a VEX
  statement covers (:func:`~caresec.analyze.vex.applicable_statements`): ``suppressed`` for a
  current *not affected* or *fixed* statement, ``open`` (the statement kept beside the
  finding) for *affected*, *under investigation* or an expired statement;
* **findings**: component end of support (``EOS-<asset>-<component>``) and operating systems past
  end of security support (``EOS-OS-<asset>``, only on assets whose inventory
  ``end_of_support`` is not already past: the risk engine's ``EOS-<asset>`` covers those), and
  MDS2 contradictions (``MDS2-<asset>-<question>``), each with its own likelihood;
* **data**, **sections** and **summary**: the advisories matched with basis and confidence, the
  SSVC decision next to CVSS, the device patch plan, the VEX applied and the organization's
  CycloneDX VEX (``data["vex"]["cyclonedx"]``), MDS2 contradictions, unparsed version texts.

Likelihood of the capability's own findings (NIST SP 800-30 Rev. 1 Table G-5, via
:func:`caresec.risk.likelihood.overall`): initiation *moderate*, moved one step by exposure as
for a network attack (internet-facing +1, isolated zone −1); adverse impact *moderate* for a
component or system past end of support (as the risk engine's own lifecycle findings) and for an
MDS2 answer about a security function contradicted by evidence, *low* for an MDS2 answer about
documentation or scope (ePHI handled, SBOM available, operating system present).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from caresec.analyze.cpe import CPE_PENDING_REASON, match_cpe
from caresec.analyze.device_plan import DEFAULT_DAYS, device_plan
from caresec.analyze.devices import device_vulnerability_matches, match_devices
from caresec.analyze.lifecycle import lifecycle_findings
from caresec.analyze.mds2 import device_observations, forms_for_assets, mds2_contradictions
from caresec.analyze.ssvc import ssvc_for_matches
from caresec.analyze.vex import applicable_statements, apply_vex, describe_statement, suppresses
from caresec.catalogs.loader import ThreatEvent, load_threat_events
from caresec.collect.csaf import collect_csaf
from caresec.collect.inventory import collect_inventory
from caresec.collect.lifecycle import ComponentLifecycle, collect_component_lifecycles
from caresec.collect.mds2 import collect_mds2
from caresec.collect.nvd import collect_cve_records
from caresec.collect.vex import collect_vex, csaf_vex_statements
from caresec.errors import ReportError
from caresec.extension import AuditContext, Capability
from caresec.model import (
    Assessed,
    Asset,
    AssetKind,
    CapabilityResult,
    Finding,
    FindingStatement,
    FindingStatus,
    InputProblem,
    Level,
    NotAssessed,
    OrgConfig,
    ProblemSeverity,
    ReportSection,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.device import (
    CsafAdvisory,
    DeviceMatch,
    Mds2Contradiction,
    Mds2Form,
    PlanItem,
    SsvcDecision,
    UnparsedVersion,
    VexStatement,
)
from caresec.report import render_fragment
from caresec.report.vex import render_cyclonedx_vex
from caresec.risk.findings import KIND_VULNERABILITY, build_findings
from caresec.risk.likelihood import adverse_impact, exposure, exposure_shift, overall
from caresec.risk.scale import assessed, shift
from caresec.risk.threats import DEVICE_KINDS, TE_MEDDEV_COMPROMISE, TE_VULN_EXPLOIT

__all__ = ["NAME", "ORDER", "DevicesCapability", "capability"]

NAME = "devices"
ORDER = 10
TEMPLATE = "devices.html.j2"

KIND_MDS2 = "mds2-contradiction"

# MDS2 facts (catalogs/mds2-questions.yaml) → the HIPAA Security Rule safeguards a wrong answer
# misleads, and whether the fact is a security function (adverse impact moderate) or about
# documentation and scope (low). Every one also bears on 164.308(a)(1)(ii)(A) risk analysis,
# which must be accurate (45 CFR 164.308(a)(1)(ii)(A)).
_RISK_ANALYSIS = "164.308(a)(1)(ii)(A)"
_MDS2_FACTS: Mapping[str, tuple[tuple[str, ...], bool]] = {
    "handles_ephi": (("164.310(d)(1)",), False),
    "reachable_from_internet": (("164.312(e)(1)",), True),
    "has_operating_system": (("164.308(a)(5)(ii)(B)",), False),
    "supports_anti_malware": (("164.308(a)(5)(ii)(B)",), True),
    "all_passwords_changeable": (("164.308(a)(5)(ii)(D)", "164.312(d)"), True),
    "permits_remote_service": (("164.312(a)(1)", "164.312(e)(1)"), True),
    "sbom_available": ((), False),
    "encrypts_data_at_rest": (("164.312(a)(2)(iv)",), True),
    "encrypts_data_in_transit": (("164.312(e)(2)(ii)",), True),
}


@dataclass(slots=True)
class DevicesCapability:
    """The medical-device capability (see the module docstring).

    Attributes:
        name: ``devices``.
    """

    name: str = NAME

    def applies(self, org: OrgConfig) -> bool:
        """True when the folder has ``feeds/csaf``, ``feeds/nvd``, ``vex/`` or ``mds2/``, or the
        inventory lists a medical device."""
        folders = (org.feeds_dir / "csaf", org.feeds_dir / "nvd", org.root / "vex",
                   org.root / "mds2")
        if any(folder.is_dir() for folder in folders):
            return True
        assets, _problems = collect_inventory(org)
        return any(a.kind is AssetKind.MEDICAL_DEVICE for a in assets)

    def run(self, context: AuditContext) -> CapabilityResult:
        """Collect the device inputs, match, apply VEX, compare MDS2, plan (module docstring).

        Input problems are returned in the result; nothing here raises for bad input.

        Raises:
            CatalogError: a shipped catalog (vendor aliases, MDS2 questions, OS lifecycle,
                threat events) is invalid — a packaging bug, recorded by the pipeline.
        """
        return _run(context)


def capability() -> Capability:
    """The factory :mod:`caresec.extension` discovers."""
    return DevicesCapability()


# --- the run ----------------------------------------------------------------------------------


def _run(context: AuditContext) -> CapabilityResult:
    org, assets, today = context.org, context.assets, context.today
    problems: list[InputProblem] = []
    days, settings_problems = _due_days(org.section(NAME))
    problems.extend(settings_problems)

    context.progress("Reading device advisories, CVE records, VEX and MDS2")
    advisories, found = collect_csaf(org.feeds_dir / "csaf", org.root)
    problems.extend(found)
    records, found = collect_cve_records(org.feeds_dir / "nvd", org.root)
    problems.extend(found)
    vex_read, found = collect_vex(org.root / "vex", org.root)
    problems.extend(found)
    statements = [*vex_read, *(s for a in advisories if a.category == "csaf_vex"
                               for s in csaf_vex_statements(a))]
    forms, found = collect_mds2(org.root / "mds2", org.root)
    problems.extend(found)
    lifecycles, lifecycle_problems = collect_component_lifecycles(org, context.sboms)
    problems.extend(lifecycle_problems)

    context.progress(f"Matching {len(assets)} assets to {len(advisories)} device advisories")
    device_matches, unparsed = match_devices(assets, advisories)
    device_vulns = device_vulnerability_matches(device_matches, context.kev, context.epss)
    problems.extend(_unparsed_problems(unparsed))

    components = [c for sbom in context.sboms for c in sbom.components]
    cpe_vulns: list[VulnerabilityMatch] = []
    cpe_not_assessed: list[NotAssessed] = []
    assessed_keys: frozenset[str] = frozenset()
    if records:
        cpe_vulns, undecided = match_cpe(components, records, context.kev, context.epss,
                                         already=context.matches)
        pending = {n.component.key for n in context.not_assessed
                   if n.reason == CPE_PENDING_REASON}
        assessed_keys = frozenset(c.key for c in components if c.cpe and c.key in pending)
        # A component with a purl was judged by the OSV matcher: CPE trouble is a warning.
        cpe_not_assessed = [n for n in undecided if n.component.key in pending]
        paths = {sbom.sbom_id: sbom.path for sbom in context.sboms}
        problems.extend(InputProblem(
            paths.get(n.component.sbom_id, n.component.sbom_id), n.component.bom_ref,
            f"{n.component.name}: {n.reason}", ProblemSeverity.WARNING, NAME)
            for n in undecided if n.component.key not in pending)
    added = [*device_vulns, *cpe_vulns]
    decisions = ssvc_for_matches(added, assets, records=records, advisories=advisories)
    plan = device_plan(assets, device_matches, today=today, ssvc=decisions, days=days)

    events = load_threat_events()
    every_match = [*context.matches, *added]
    vulnerability_findings = [f for f in build_findings(assets, every_match, (), today=today,
                                                        threat_events=events)
                              if f.kind == KIND_VULNERABILITY]
    applied = applicable_statements(vulnerability_findings, statements, matches=every_match,
                                    sboms=context.sboms)
    finding_statements = _finding_statements(vulnerability_findings, applied, today)
    vexed = apply_vex(vulnerability_findings, statements, today=today, matches=every_match,
                      sboms=context.sboms)
    moment = datetime(today.year, today.month, today.day, tzinfo=UTC)
    try:
        cyclonedx = render_cyclonedx_vex(vexed, statements, organization=org.name,
                                         timestamp=moment)
    except ReportError as exc:
        cyclonedx = "null"
        problems.append(InputProblem("vex", "", f"the organization's CycloneDX VEX could not be "
                                     f"written: {exc}", ProblemSeverity.ERROR, NAME))

    contradictions = mds2_contradictions(forms, assets,
                                         device_observations(assets, device_matches))
    by_id = {a.asset_id: a for a in assets}
    mds2 = [_mds2_finding(c, by_id[c.asset_id], events) for c in contradictions]
    lifecycle = _lifecycle_findings(assets, context, lifecycles, events)

    data = _data(
        advisories=advisories, records_count=len(records), device_matches=device_matches,
        device_vulns=device_vulns, decisions=decisions, cpe_vulns=cpe_vulns,
        cpe_not_assessed_count=len(cpe_not_assessed), assessed_count=len(assessed_keys),
        unparsed=unparsed,
        statements=statements, vulnerability_findings=vulnerability_findings, applied=applied,
        today=today, cyclonedx=cyclonedx, forms=forms, assets=assets,
        contradictions=contradictions, mds2_findings=mds2, lifecycle=lifecycle,
        lifecycle_count=len(lifecycles), plan=plan, days=days)
    return CapabilityResult(
        name=NAME,
        findings=(*lifecycle, *mds2),
        matches=tuple(added),
        assessed_component_keys=assessed_keys,
        not_assessed=tuple(cpe_not_assessed),
        statements=tuple(finding_statements),
        problems=tuple(problems),
        summary=_summary(data),
        data=data,
        sections=_sections(data),
        artifacts=(("vex.cdx.json", cyclonedx),) if cyclonedx != "null" else (),
    )


def _due_days(section: Mapping[str, Any]) -> tuple[dict[str, int], list[InputProblem]]:
    """``[devices].due_days`` of caresec.toml over :data:`DEFAULT_DAYS`; a bad key or value is
    a problem and the default is kept."""
    days = dict(DEFAULT_DAYS)
    problems: list[InputProblem] = []
    given = section.get("due_days", {})
    if not isinstance(given, dict):
        return days, [InputProblem("caresec.toml", "[devices].due_days",
                                   "due_days is not a table; the defaults are used",
                                   ProblemSeverity.WARNING, NAME)]
    for key, value in given.items():
        place = f"[devices].due_days.{key}"
        if key not in days:
            problems.append(InputProblem(
                "caresec.toml", place, f"unknown key {key!r}; expected one of "
                f"{', '.join(repr(k) for k in DEFAULT_DAYS)}", ProblemSeverity.WARNING, NAME))
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(InputProblem(
                "caresec.toml", place, f"{value!r} is not a whole number of days; the default "
                f"{days[key]} is used", ProblemSeverity.WARNING, NAME))
        else:
            days[key] = value
    return days, problems


def _unparsed_problems(unparsed: Sequence[UnparsedVersion]) -> list[InputProblem]:
    """A warning per unparsed version text that concerns an inventory device (matched name
    only); the others are listed in the data and the report section."""
    return [InputProblem(
        u.source, u.product_id, f"{u.advisory_id} {u.product}: {u.reason}; "
        f"{', '.join(u.asset_ids)} matched by name only: confirm the installed version with the "
        "manufacturer", ProblemSeverity.WARNING, NAME) for u in unparsed if u.asset_ids]


def _finding_statements(
    findings: Sequence[Finding], applied: Sequence[Sequence[VexStatement]], today: date
) -> list[FindingStatement]:
    """One statement per asset × vulnerability a VEX statement covers (module docstring)."""
    result: list[FindingStatement] = []
    for finding, statements in zip(findings, applied, strict=True):
        if not statements or not finding.asset_ids or finding.vulnerability is None:
            continue  # a finding with no asset would make a statement about every asset
        suppressing = [s for s in statements if suppresses(s, today)]
        chosen = suppressing[0] if suppressing else statements[0]
        text = describe_statement(chosen, with_source=False)
        if chosen.expires is not None and chosen.expires < today:
            text = f"EXPIRED on {chosen.expires.isoformat()} (no longer suppresses): {text}"
        result.append(FindingStatement(
            vulnerability_id=finding.vulnerability.vulnerability_id,
            status=FindingStatus.SUPPRESSED if suppressing else FindingStatus.OPEN,
            statement=text, source=chosen.source, asset_ids=finding.asset_ids))
    return result


# --- the capability's own findings -------------------------------------------------------------


def _likelihood(asset: Asset, adverse: Level, why_adverse: str, subject: str,
                reason: str) -> Assessed:
    """Table G-5 likelihood: initiation moderate moved by exposure (network attack assumed),
    combined with the given adverse-impact level."""
    place, fact = exposure(asset)
    steps = exposure_shift(place, "N")
    moved = shift(Level.MODERATE, steps)
    step_text = {1: f"{fact} +1", -1: f"{fact} −1"}.get(steps, f"{fact}, no change")
    start = assessed(moved, f"{reason} → moderate; network attack assumed, {step_text} → {moved}")
    return overall(start, assessed(adverse, why_adverse), subject)


def _lifecycle_findings(
    assets: Sequence[Asset], context: AuditContext, lifecycles: Sequence[ComponentLifecycle],
    events: Mapping[str, ThreatEvent],
) -> list[Finding]:
    """Component and OS end-of-support findings with their likelihood; OS findings only where
    the risk engine's ``EOS-<asset>`` does not already stand (inventory date not past)."""
    by_id = {a.asset_id: a for a in assets}
    found: list[Finding] = []
    for finding in lifecycle_findings(assets, context.sboms, lifecycles, today=context.today,
                                      threat_events=events):
        asset = by_id[finding.asset_ids[0]]
        own_eos = asset.end_of_support is not None and asset.end_of_support < context.today
        if finding.finding_id.startswith("EOS-OS-") and own_eos:
            continue
        what = dict(finding.details).get("component") or dict(finding.details).get(
            "operating system", "")
        eos = dict(finding.details).get("end of support", "")
        te_ids = finding.threat_event_ids
        if asset.kind in DEVICE_KINDS and TE_MEDDEV_COMPROMISE not in te_ids:
            te_ids = (*te_ids, TE_MEDDEV_COMPROMISE)
        controls = tuple(dict.fromkeys(c for te in te_ids for c in events[te].control_ids))
        impact = adverse_impact(finding.severity)
        found.append(replace(
            finding, threat_event_ids=te_ids, control_ids=controls,
            likelihood=_likelihood(asset, impact.level, impact.rationale,
                                   f"{what} on {asset.asset_id} past end of support ({eos})",
                                   "no more security fixes for a component in use")))
    return found


def _mds2_finding(contradiction: Mds2Contradiction, asset: Asset,
                  events: Mapping[str, ThreatEvent]) -> Finding:
    """A finding for an MDS2 answer contradicted by an observation (module docstring)."""
    specific, security = _MDS2_FACTS.get(contradiction.fact, ((), False))
    te_id = TE_MEDDEV_COMPROMISE if asset.kind in DEVICE_KINDS else TE_VULN_EXPLOIT
    if te_id not in events:
        te_id = TE_VULN_EXPLOIT
    adverse = Level.MODERATE if security else Level.LOW
    why = (f"the answer is about a security function ({contradiction.fact}) → moderate"
           if security else f"the answer is about documentation or scope "
           f"({contradiction.fact}) → low")
    return Finding(
        finding_id=f"MDS2-{contradiction.asset_id}-{contradiction.question_id}",
        kind=KIND_MDS2,
        title=f"{asset.name}: MDS2 {contradiction.question_id} answer "
              f"{contradiction.answer!r} contradicted by the audit's evidence",
        asset_ids=(contradiction.asset_id,),
        severity=Severity.MEDIUM if security else Severity.LOW,
        evidence=contradiction.evidence,
        threat_event_ids=(te_id,),
        control_ids=tuple(dict.fromkeys((_RISK_ANALYSIS, *specific))),
        details=(("mds2", contradiction.message), ("fact", contradiction.fact)),
        likelihood=_likelihood(
            asset, adverse, why,
            f"MDS2 {contradiction.question_id} on {contradiction.asset_id}",
            "safeguards planned from a manufacturer disclosure the evidence contradicts"),
    )


# --- data, summary, sections ----------------------------------------------------------------


def _ssvc(decision: SsvcDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {"outcome": decision.outcome.value, "vector": decision.vector,
            "exploitation": decision.exploitation, "automatable": decision.automatable,
            "technical_impact": decision.technical_impact,
            "mission_wellbeing": decision.mission_wellbeing,
            "rationale": list(decision.rationale)}


def _remediation_kind(match: DeviceMatch) -> str:
    return "mitigation only" if match.mitigation_only else "vendor fix"


def _vulnerability_rows(
    matches: Iterable[VulnerabilityMatch], decisions: Mapping[tuple[str, str], SsvcDecision],
    source: str,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for match in matches:
        for asset_id in match.component.asset_ids or ("",):
            rows.append({
                "asset_id": asset_id,
                "component": f"{match.component.name} {match.component.version}".strip(),
                "cpe": match.component.cpe,
                "vulnerability_id": match.vulnerability_id,
                "source": source,
                "advisory_ids": list(match.advisory_ids),
                "severity": match.severity.value,
                "cvss_score": match.cvss_score,
                "cvss_vector": match.cvss_vector,
                "kev": match.kev is not None,
                "fixed_versions": list(match.fixed_versions),
                "basis": match.basis,
                "ssvc": _ssvc(decisions.get((asset_id, match.vulnerability_id))),
            })
    return rows


def _plan_row(item: PlanItem) -> dict[str, Any]:
    return {
        "asset_id": item.asset_id, "asset_name": item.asset_name,
        "criticality": item.criticality.value, "units": item.units, "owner": item.owner,
        "action": item.action.value, "due": item.due.isoformat(),
        "vulnerability_ids": list(item.vulnerability_ids),
        "advisory_ids": list(item.advisory_ids), "ssvc": _ssvc(item.ssvc),
        "vendor_fix": list(item.vendor_fix),
        "controls": [{"category": c.category, "text": c.text, "advisory_id": c.advisory_id}
                     for c in item.controls],
        "manufacturer_validation": item.manufacturer_validation,
        "downtime": item.downtime, "rationale": item.rationale,
    }


def _finding_row(finding: Finding) -> dict[str, Any]:
    likelihood = finding.likelihood
    return {
        "finding_id": finding.finding_id, "title": finding.title,
        "asset_ids": list(finding.asset_ids), "severity": finding.severity.value,
        "threat_event_ids": list(finding.threat_event_ids),
        "control_ids": list(finding.control_ids),
        "likelihood": likelihood.level.value if likelihood else None,
        "likelihood_rationale": likelihood.rationale if likelihood else "",
        "details": [[k, v] for k, v in finding.details],
    }


def _data(
    *,
    advisories: Sequence[CsafAdvisory],
    records_count: int,
    device_matches: Sequence[DeviceMatch],
    device_vulns: Sequence[VulnerabilityMatch],
    decisions: Mapping[tuple[str, str], SsvcDecision],
    cpe_vulns: Sequence[VulnerabilityMatch],
    cpe_not_assessed_count: int,
    assessed_count: int,
    unparsed: Sequence[UnparsedVersion],
    statements: Sequence[VexStatement],
    vulnerability_findings: Sequence[Finding],
    applied: Sequence[Sequence[VexStatement]],
    today: date,
    cyclonedx: str,
    forms: Sequence[Mds2Form],
    assets: Sequence[Asset],
    contradictions: Sequence[Mds2Contradiction],
    mds2_findings: Sequence[Finding],
    lifecycle: Sequence[Finding],
    lifecycle_count: int,
    plan: Sequence[PlanItem],
    days: Mapping[str, int],
) -> dict[str, Any]:
    """The capability's ``report.json`` object (JSON values only); the HTML sections render
    from it too, so both say the same."""
    linked = forms_for_assets(forms, assets)
    vex_rows = []
    for finding, found in zip(vulnerability_findings, applied, strict=True):
        if not found or finding.vulnerability is None:
            continue
        lead = next((s for s in found if suppresses(s, today)), found[0])
        vex_rows.append({
            "finding_id": finding.finding_id,
            "asset_ids": list(finding.asset_ids),
            "vulnerability_id": finding.vulnerability.vulnerability_id,
            "component": finding.title.split(" in ", 1)[-1],
            "status": (FindingStatus.SUPPRESSED if suppresses(lead, today)
                       else FindingStatus.OPEN).value,
            "vex_status": lead.status.value,
            "statement": describe_statement(lead, with_source=False),
            "owner": lead.owner,
            "expires": lead.expires.isoformat() if lead.expires else None,
            "source": lead.source,
            "applies_to_risk_register": bool(finding.asset_ids),
        })
    return {
        "advisories": [{"advisory_id": a.advisory_id, "title": a.title, "category": a.category,
                        "publisher": a.publisher, "products": len(a.products),
                        "vulnerabilities": len(a.vulnerabilities), "source": a.source}
                       for a in advisories],
        "cve_records": records_count,
        "device_matches": [{
            "asset_id": m.asset_id, "device": m.device, "device_version": m.device_version,
            "advisory_id": m.advisory.advisory_id,
            "product": f"{m.product.vendor} / {m.product.product_name or m.product.name}",
            "product_version": m.product.version, "cve_ids": list(m.cve_ids),
            "basis": m.basis.value, "confidence": m.confidence.value,
            "remediation": _remediation_kind(m), "fixed_versions": list(m.fixed_versions),
            "reason": m.reason} for m in device_matches],
        "device_vulnerabilities": _vulnerability_rows(device_vulns, decisions, "CSAF"),
        "cpe_matches": _vulnerability_rows(cpe_vulns, decisions, "CPE"),
        "cpe_components_assessed": assessed_count,
        "cpe_components_not_assessed": cpe_not_assessed_count,
        "unparsed_versions": [{"advisory_id": u.advisory_id, "product_id": u.product_id,
                               "product": u.product, "text": u.text, "reason": u.reason,
                               "asset_ids": list(u.asset_ids), "source": u.source}
                              for u in unparsed],
        "vex": {
            "statements_read": len(statements),
            "applied": vex_rows,
            "suppressed": sum(1 for r in vex_rows if r["status"] == "suppressed"),
            "cyclonedx": json.loads(cyclonedx),
        },
        "mds2": {
            "forms": [{"manufacturer": f.manufacturer, "model": f.model,
                       "document_id": f.document_id, "release_date": f.release_date,
                       "source": f.source,
                       "asset_ids": [a for a, form in linked.items() if form is f]}
                      for f in forms],
            "contradictions": [{"asset_id": c.asset_id, "question_id": c.question_id,
                                "answer": c.answer, "fact": c.fact, "message": c.message,
                                "finding_id": f.finding_id}
                               for c, f in zip(contradictions, mds2_findings, strict=True)],
        },
        "lifecycle": {"components_with_dates": lifecycle_count,
                      "findings": [_finding_row(f) for f in lifecycle]},
        "mds2_findings": [_finding_row(f) for f in mds2_findings],
        "plan": [_plan_row(i) for i in plan],
        "due_days": dict(days),
        "audit_date": today.isoformat(),
    }


def _summary(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    matches = data["device_matches"]
    devices = len({m["asset_id"] for m in matches})
    cves = len({(r["asset_id"], r["vulnerability_id"]) for r in data["device_vulnerabilities"]})
    actions: dict[str, int] = {}
    for item in data["plan"]:
        actions[item["action"]] = actions.get(item["action"], 0) + 1
    vex = data["vex"]
    return (
        ("Device advisories (CSAF) read", str(len(data["advisories"]))),
        ("Devices matched to advisories", f"{devices} ({cves} device × CVE)"),
        ("CPE matches (CVE records)", f"{len(data['cpe_matches'])} ({data['cve_records']} "
                                      "records)"),
        ("VEX statements applied / suppressing", f"{len(vex['applied'])} / {vex['suppressed']}"),
        ("MDS2 contradictions", str(len(data["mds2"]["contradictions"]))),
        ("Component end-of-support findings", str(len(data["lifecycle"]["findings"]))),
        ("Device plan items", str(len(data["plan"])) + (
            " (" + ", ".join(f"{n} {a}" for a, n in sorted(actions.items())) + ")"
            if actions else "")),
        ("Unparsed advisory version texts", str(len(data["unparsed_versions"]))),
    )


def _sections(data: Mapping[str, Any]) -> tuple[ReportSection, ...]:
    return (
        ReportSection("devices", "Medical-device advisories",
                      render_fragment(TEMPLATE, part="devices", d=data)),
        ReportSection("device-plan", "Device patch plan",
                      render_fragment(TEMPLATE, part="device-plan", d=data)),
        ReportSection("device-assurance", "Device VEX, MDS2 and end of support",
                      render_fragment(TEMPLATE, part="device-assurance", d=data)),
    )
