"""The organization's VEX as a CycloneDX 1.6 JSON document (cyclonedx-python-lib).

What it states, per vulnerability finding and component (the finding's lead component, or an
inventory device):

* a finding suppressed by a statement → that statement's analysis (``not_affected`` with its
  justification, or ``resolved`` for *fixed*), detail and responses, and the organization's
  ``caresec:vex:owner`` / ``caresec:vex:expires`` / ``caresec:vex:scope`` properties;
* an open finding → ``in_triage`` (found by the audit, no decision recorded yet) with the match
  basis as detail; ``exploitable`` when an *affected* statement applies;
* every organization statement (one with an owner) that matched no finding, as written, so that
  the file can be read back (:func:`caresec.collect.vex.read_vex`) and carried to the next
  audit.

Components are identified without versions (purl without ``@version``, CPE vendor:product, or
the device id) so the organization's statements carry across new SBOM versions; a statement
that names versions keeps them in ``affects[].versions``. Output is deterministic: the serial
number is a UUID 5 of the organization name and the timestamp, the BOM is sorted by the library.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisAffectedStatus,
    ImpactAnalysisJustification,
    ImpactAnalysisResponse,
    ImpactAnalysisState,
)
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityAnalysis,
)
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from caresec.analyze.devices import DEVICE_SBOM_ID
from caresec.collect.vex import EXPIRES_PROPERTY, OWNER_PROPERTY, SCOPE_PROPERTY
from caresec.errors import ReportError
from caresec.model import Component, Finding, FindingStatus
from caresec.model.device import VexProduct, VexStatement, VexStatus

__all__ = ["render_cyclonedx_vex"]

_STATES = {
    VexStatus.NOT_AFFECTED: ImpactAnalysisState.NOT_AFFECTED,
    VexStatus.FIXED: ImpactAnalysisState.RESOLVED,
    VexStatus.AFFECTED: ImpactAnalysisState.EXPLOITABLE,
    VexStatus.UNDER_INVESTIGATION: ImpactAnalysisState.IN_TRIAGE,
}
_JUSTIFICATIONS = {j.value: j for j in ImpactAnalysisJustification}
# OpenVEX / CISA justifications → the nearest CycloneDX justification.
_JUSTIFICATIONS.update({
    "component_not_present": ImpactAnalysisJustification.REQUIRES_DEPENDENCY,
    "vulnerable_code_not_present": ImpactAnalysisJustification.CODE_NOT_PRESENT,
    "vulnerable_code_not_in_execute_path": ImpactAnalysisJustification.CODE_NOT_REACHABLE,
    "vulnerable_code_cannot_be_controlled_by_adversary":
        ImpactAnalysisJustification.PROTECTED_AT_RUNTIME,
    "inline_mitigations_already_exist": ImpactAnalysisJustification.PROTECTED_BY_MITIGATING_CONTROL,
})
_RESPONSES = {r.value: r for r in ImpactAnalysisResponse}


def render_cyclonedx_vex(
    findings: Sequence[Finding],
    statements: Sequence[VexStatement],
    *,
    organization: str,
    timestamp: datetime,
) -> str:
    """CycloneDX 1.6 JSON VEX of the organization.

    Args:
        findings: the audit's findings after :func:`caresec.analyze.vex.apply_vex`.
        statements: the VEX statements that were applied (the organization's are those with
            an ``owner``).
        organization: the organization's name (``metadata.supplier``).
        timestamp: the audit time (``metadata.timestamp``; also seeds the serial number).

    Raises:
        ReportError: the library rejects the document.
    """
    moment = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL,
                                       f"caresec-vex:{organization}:{moment.isoformat()}"))
    bom.metadata.timestamp = moment
    bom.metadata.supplier = OrganizationalEntity(name=organization)
    components: dict[str, CdxComponent] = {}
    entries: dict[tuple[str, str], Vulnerability] = {}
    used: set[int] = set()
    for finding in findings:
        match = finding.vulnerability
        if match is None:
            continue
        ref, component = _finding_component(match.component)
        components.setdefault(ref, component)
        statement = _applied(finding, statements, match.component)
        if statement is not None:
            used.add(id(statement))
        key = (match.vulnerability_id, ref)
        if key in entries:
            continue
        entries[key] = _vulnerability(match.vulnerability_id, ref, finding, statement)
    for statement in statements:
        if id(statement) in used or not statement.owner:
            continue
        for product in statement.products or (VexProduct(name=statement.supplier),):
            ref, component = _statement_component(product)
            components.setdefault(ref, component)
            key = (statement.vulnerability_id, ref)
            entries.setdefault(key, _vulnerability(statement.vulnerability_id, ref, None,
                                                   statement, product.versions))
    for component in components.values():
        bom.components.add(component)
    for vulnerability in entries.values():
        bom.vulnerabilities.add(vulnerability)
    try:
        return JsonV1Dot6(bom).output_as_string(indent=2)
    except Exception as exc:  # the library raises assorted errors on invalid models
        raise ReportError(f"the CycloneDX VEX could not be written: {exc}") from exc


def _applied(finding: Finding, statements: Sequence[VexStatement],
             component: Component) -> VexStatement | None:
    texts = [text for key, text in finding.details if key == "vex"]
    for statement in statements:
        mentioned = any(statement.source in text for text in texts)
        if mentioned and (finding.status is FindingStatus.SUPPRESSED
                          or statement.status is VexStatus.AFFECTED):
            return statement
    return None


def _finding_component(component: Component) -> tuple[str, CdxComponent]:
    if component.sbom_id == DEVICE_SBOM_ID:
        ref = component.bom_ref
        return ref, CdxComponent(name=component.name, type=ComponentType.DEVICE, bom_ref=ref)
    purl = _versionless(component.purl)
    if purl is not None:
        ref = purl.to_string()
        return ref, CdxComponent(name=component.name, bom_ref=ref, purl=purl)
    if component.cpe:
        ref = _versionless_cpe(component.cpe)
        return ref, CdxComponent(name=component.name, bom_ref=ref, cpe=ref)
    ref = f"name:{component.name}"
    return ref, CdxComponent(name=component.name, bom_ref=ref)


def _statement_component(product: VexProduct) -> tuple[str, CdxComponent]:
    purl = _versionless(product.purl) if not product.versions else _purl(product.purl)
    if purl is not None:
        ref = purl.to_string()
        return ref, CdxComponent(name=product.name or purl.name, bom_ref=ref, purl=purl)
    if product.cpe:
        return product.cpe, CdxComponent(name=product.name or product.cpe.split(":")[4],
                                         bom_ref=product.cpe, cpe=product.cpe)
    ref = product.ref or f"name:{product.name}"
    return ref, CdxComponent(name=product.name or ref, bom_ref=ref)


def _purl(text: str) -> PackageURL | None:
    if not text:
        return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


def _versionless(text: str) -> PackageURL | None:
    purl = _purl(text)
    if purl is None:
        return None
    return PackageURL(type=purl.type, namespace=purl.namespace, name=purl.name,
                      subpath=purl.subpath)


def _versionless_cpe(cpe: str) -> str:
    fields = re.split(r"(?<!\\):", cpe)
    if len(fields) == 13:
        fields[5] = "*"
    return ":".join(fields)


def _vulnerability(
    vulnerability_id: str,
    ref: str,
    finding: Finding | None,
    statement: VexStatement | None,
    versions: Sequence[str] = (),
) -> Vulnerability:
    properties: list[Property] = []
    if statement is not None:
        state = _STATES[statement.status]
        justification = _JUSTIFICATIONS.get(statement.justification) \
            if statement.status is VexStatus.NOT_AFFECTED else None
        responses = [_RESPONSES[r] for r in statement.response if r in _RESPONSES]
        detail = statement.detail or None
        if statement.owner:
            properties.append(Property(name=OWNER_PROPERTY, value=statement.owner))
        if statement.expires:
            properties.append(Property(name=EXPIRES_PROPERTY,
                                       value=statement.expires.isoformat()))
        if statement.scope:
            properties.append(Property(name=SCOPE_PROPERTY, value=statement.scope))
        issued = datetime(statement.issued.year, statement.issued.month, statement.issued.day,
                          tzinfo=UTC) if statement.issued else None
    else:
        state, justification, responses, issued = ImpactAnalysisState.IN_TRIAGE, None, [], None
        basis = finding.vulnerability.basis if finding and finding.vulnerability else ""
        detail = ("Found by the caresec audit; no VEX decision recorded yet."
                  + (f" Basis: {basis}" if basis else ""))
    status = ImpactAnalysisAffectedStatus.UNAFFECTED if statement is not None and \
        statement.status in (VexStatus.NOT_AFFECTED, VexStatus.FIXED) else \
        ImpactAnalysisAffectedStatus.AFFECTED
    ranges = [BomTargetVersionRange(range=v, status=status) if v.startswith("vers:")
              else BomTargetVersionRange(version=v, status=status) for v in versions]
    return Vulnerability(
        bom_ref=f"{vulnerability_id}@{ref}",
        id=vulnerability_id,
        analysis=VulnerabilityAnalysis(state=state, justification=justification,
                                       responses=responses or None, detail=detail,
                                       first_issued=issued),
        affects=[BomTarget(ref=ref, versions=ranges or None)],
        properties=properties or None,
    )
