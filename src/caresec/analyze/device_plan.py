"""The device patch plan: per device, a vendor fix with manufacturer validation and a downtime
window, or compensating controls from the advisory's mitigations; owner and due date.

Pure: no files, no network. One :class:`~caresec.model.device.PlanItem` per device that an
advisory matched or that is past its end of support:

* **vendor fix** when any matched advisory gives the device's product a ``vendor_fix``
  remediation (CSAF 2.0 §3.2.3.12.1); the advisory's mitigations are listed as interim
  controls until the fix is installed;
* **compensating controls** when none does (about a quarter of ICS medical advisories give
  only mitigations): the mitigation and workaround sentences, sorted into segmentation,
  disable service, monitoring, physical access, access control, remote access, update software
  and other;
* **replace or isolate** for a device past its end of support with no vendor fix.

Medical devices are changed only with the manufacturer's validation (FDA, *Postmarket
Management of Cybersecurity in Medical Devices*, 2016: the manufacturer validates software
changes; the operator applies validated updates). The due date is the audit date plus the days
the organization allows for the most urgent SSVC decision among the device's vulnerabilities
(:data:`DEFAULT_DAYS`: CISA asks Act "as soon as possible", Attend "sooner than standard update
timelines", Track and Track* "within standard update timelines"; the day counts are caresec's
defaults, to be set by the organization). The downtime window follows the device's clinical
criticality (:data:`DOWNTIME`, caresec's planning defaults).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from caresec.model import Asset, AssetKind, ClinicalCriticality
from caresec.model.device import (
    CompensatingControl,
    DeviceMatch,
    MatchBasis,
    PlanAction,
    PlanItem,
    RemediationCategory,
    SsvcDecision,
    SsvcOutcome,
)

__all__ = ["DEFAULT_DAYS", "DOWNTIME", "classify_controls", "device_plan"]

DEFAULT_DAYS: Mapping[str, int] = {
    SsvcOutcome.ACT.value: 14,
    SsvcOutcome.ATTEND.value: 30,
    SsvcOutcome.TRACK_STAR.value: 90,
    SsvcOutcome.TRACK.value: 180,
    "end of support": 180,
}
"""Days from the audit date to the due date, by SSVC outcome (and for end of support)."""

DOWNTIME: Mapping[ClinicalCriticality, str] = {
    ClinicalCriticality.LIFE_SUSTAINING: "rolling, one unit at a time, never during patient use: "
    "swap in a validated spare unit; clinical engineering and nursing informed",
    ClinicalCriticality.PATIENT_CONNECTED: "rolling, unit by unit between patients, with a "
    "spare or backup monitoring in place",
    ClinicalCriticality.DIAGNOSTIC: "scheduled window agreed with the department (the modality "
    "is out of service during the update)",
    ClinicalCriticality.CLINICAL_SUPPORT: "regular maintenance window, with the clinical "
    "downtime procedure announced",
    ClinicalCriticality.BUSINESS: "regular maintenance window",
}

_CONTROL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("segmentation", re.compile(r"segment|vlan|firewall|isolat|separate network|network "
                                r"exposure|not accessible from the internet|restrict(?:ing)? "
                                r"network|locate .*behind", re.I)),
    ("remote access", re.compile(r"\bvpn\b|virtual private network|remote access", re.I)),
    ("disable service", re.compile(r"disabl|turn(?:ing)? off|close .*ports?|deactivat|block "
                                   r"port|unused (?:ports|services)", re.I)),
    ("physical access", re.compile(r"physical", re.I)),
    ("access control", re.compile(r"password|credential|authenticat|user accounts?|privilege",
                                  re.I)),
    ("monitoring", re.compile(r"monitor|\blog(?:s|ging)?\b|detect|audit|alert", re.I)),
    ("update software", re.compile(r"update|upgrade|patch|latest version", re.I)),
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def classify_controls(text: str, advisory_id: str) -> list[CompensatingControl]:
    """Split a mitigation text into sentences and sort each into a control category (the first
    matching pattern; ``other`` when none fits). Every sentence is kept."""
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    return [CompensatingControl(next((name for name, pattern in _CONTROL_PATTERNS
                                      if pattern.search(sentence)), "other"),
                                sentence, advisory_id)
            for sentence in sentences]


def device_plan(
    assets: Sequence[Asset],
    device_matches: Sequence[DeviceMatch],
    *,
    today: date,
    ssvc: Mapping[tuple[str, str], SsvcDecision] | None = None,
    days: Mapping[str, int] = DEFAULT_DAYS,
) -> list[PlanItem]:
    """One plan item per matched or end-of-support device, inventory order.

    Args:
        assets: the inventory.
        device_matches: :func:`caresec.analyze.devices.match_devices` results.
        today: the audit date.
        ssvc: SSVC decisions by ``(asset_id, vulnerability_id)``
            (:func:`caresec.analyze.ssvc.ssvc_for_matches`).
        days: days to the due date by SSVC outcome and ``end of support``.

    Returns:
        Plan items in inventory order (sort by ``due`` to schedule).
    """
    decisions = ssvc or {}
    by_asset: dict[str, list[DeviceMatch]] = {}
    for match in device_matches:
        by_asset.setdefault(match.asset_id, []).append(match)
    plan: list[PlanItem] = []
    for asset in assets:
        matches = by_asset.get(asset.asset_id, [])
        past_support = asset.end_of_support is not None and asset.end_of_support < today
        if not matches and not (past_support and asset.kind is AssetKind.MEDICAL_DEVICE):
            continue
        plan.append(_item(asset, matches, today, decisions, days, past_support))
    return plan


def _item(
    asset: Asset,
    matches: list[DeviceMatch],
    today: date,
    decisions: Mapping[tuple[str, str], SsvcDecision],
    days: Mapping[str, int],
    past_support: bool,
) -> PlanItem:
    vulnerabilities = tuple(dict.fromkeys(v for m in matches for v in m.cve_ids))
    advisories = tuple(dict.fromkeys(m.advisory.advisory_id for m in matches))
    fixes: list[str] = []
    controls: list[CompensatingControl] = []
    for match in matches:
        for remediation in match.remediations:
            if remediation.category is RemediationCategory.VENDOR_FIX:
                text = remediation.details + (f" ({remediation.url})" if remediation.url else "")
                fixes.append(f"{match.advisory.advisory_id}: {text}")
            elif remediation.category in (RemediationCategory.MITIGATION,
                                          RemediationCategory.WORKAROUND):
                controls.extend(classify_controls(remediation.details,
                                                  match.advisory.advisory_id))
    if matches and not controls:
        controls.append(CompensatingControl(
            "segmentation", "The advisory gives no mitigation: keep the device on an isolated "
            "medical-device network segment with only the connections its function needs "
            "(caresec default).", ""))
    decided = [decisions[(asset.asset_id, v)] for v in vulnerabilities
               if (asset.asset_id, v) in decisions]
    urgent = max(decided, key=lambda d: list(SsvcOutcome).index(d.outcome), default=None)
    if fixes:
        action = PlanAction.VENDOR_FIX
    elif past_support:
        action = PlanAction.REPLACE
    else:
        action = PlanAction.COMPENSATING_CONTROLS
    key = urgent.outcome.value if urgent else (
        "end of support" if action is PlanAction.REPLACE else SsvcOutcome.TRACK.value)
    due = today + timedelta(days=days.get(key, DEFAULT_DAYS[key]))
    why = [f"{action}"]
    if urgent:
        why.append(f"SSVC {urgent.vector}")
    if fixes:
        fixed = sorted({v for m in matches for v in m.fixed_versions})
        why.append("vendor fix in " + ", ".join(advisories)
                   + (f" (fixed in {', '.join(fixed)})" if fixed else ""))
    elif matches:
        why.append("no vendor fix in " + ", ".join(advisories) + ": compensating controls")
    if past_support:
        why.append(f"past end of support since {asset.end_of_support.isoformat()}"
                   if asset.end_of_support else "past end of support")
    if any(m.basis is MatchBasis.NAME_ONLY for m in matches):
        why.append("confirm the installed version with the manufacturer (name-only match)")
    why.append(f"due in {(due - today).days} days")
    extra = dict(asset.extra)
    return PlanItem(
        asset_id=asset.asset_id, asset_name=asset.name, criticality=asset.criticality,
        action=action, due=due, vulnerability_ids=vulnerabilities, advisory_ids=advisories,
        units=extra.get("units", ""), owner=asset.owner, ssvc=urgent,
        vendor_fix=tuple(dict.fromkeys(fixes)), controls=tuple(dict.fromkeys(controls)),
        manufacturer_validation=asset.kind is AssetKind.MEDICAL_DEVICE or bool(matches),
        downtime=DOWNTIME[asset.criticality], rationale="; ".join(why),
    )
