"""SSVC decisions shown next to CVSS: Exploitation, Automatable, Technical Impact, Mission and
Well-being → Track, Track*, Attend or Act.

The decision table is CISA's *Coordinator* table, version 2.0.3, as published in machine-readable
form by CERT/CC (github.com/CERTCC/SSVC, ``data/json/decision_tables/cisa/
cisa_coordinator_2_0_3.json``): 36 rows over Exploitation (none, public PoC, active) ×
Automatable (no, yes) × Technical Impact (partial, total) × Mission and Well-Being Impact
(low, medium, high). Pure: no files, no network.

Where each decision point's value comes from, in order (the rationale names the one used):

* **Exploitation** — SSVC options a CVE record's CISA ADP container states; else *active* when
  the CVE is in CISA KEV; else *none* when the CSAF advisory says no known public exploits;
  else *none* (no evidence of exploitation found in the inputs).
* **Automatable** — stated by the ADP; else derived from the CVSS v3 vector: *yes* when
  ``AV:N``, ``AC:L``, ``PR:N`` and ``UI:N`` (a remote attack with no privileges, interaction or
  special conditions can be scripted end to end), *no* otherwise or without a vector.
* **Technical Impact** — stated by the ADP; else *total* when the CVSS v3 vector has ``C:H``,
  ``I:H`` and ``A:H``, *partial* otherwise.
* **Mission and Well-Being** — from the asset's clinical criticality (SSVC MWI: *high* when
  Mission Prevalence is Essential or Public Well-Being Impact Irreversible): life-sustaining and
  patient-connected → high (harm to a patient can be irreversible); diagnostic and clinical
  support → medium (the mission depends on it); business → low.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from caresec.model import Asset, ClinicalCriticality, VulnerabilityMatch
from caresec.model.device import CsafAdvisory, CveRecord, SsvcDecision, SsvcOptions, SsvcOutcome

__all__ = ["SSVC_TABLE", "mission_wellbeing", "ssvc_decide", "ssvc_for_matches"]

_T, _TS, _AT, _AC = SsvcOutcome.TRACK, SsvcOutcome.TRACK_STAR, SsvcOutcome.ATTEND, \
    SsvcOutcome.ACT

# (exploitation, automatable, technical impact, mission & well-being) → decision;
# CISA Coordinator 2.0.3 (CERTCC/SSVC cisa_coordinator_2_0_3.json "mapping").
SSVC_TABLE: dict[tuple[str, str, str, str], SsvcOutcome] = {}
_ROWS = {
    ("none", "no"): {"partial": (_T, _T, _T), "total": (_T, _T, _TS)},
    ("none", "yes"): {"partial": (_T, _T, _AT), "total": (_T, _T, _AT)},
    ("poc", "no"): {"partial": (_T, _T, _TS), "total": (_T, _TS, _AT)},
    ("poc", "yes"): {"partial": (_T, _T, _AT), "total": (_T, _TS, _AT)},
    ("active", "no"): {"partial": (_T, _T, _AT), "total": (_T, _AT, _AC)},
    ("active", "yes"): {"partial": (_AT, _AT, _AC), "total": (_AT, _AC, _AC)},
}
for (_e, _a), _by_impact in _ROWS.items():
    for _ti, _outcomes in _by_impact.items():
        for _mwi, _outcome in zip(("low", "medium", "high"), _outcomes, strict=True):
            SSVC_TABLE[(_e, _a, _ti, _mwi)] = _outcome

_MWI = {
    ClinicalCriticality.LIFE_SUSTAINING: "high",
    ClinicalCriticality.PATIENT_CONNECTED: "high",
    ClinicalCriticality.DIAGNOSTIC: "medium",
    ClinicalCriticality.CLINICAL_SUPPORT: "medium",
    ClinicalCriticality.BUSINESS: "low",
}
_EXPLOITATION = {"none": "none", "poc": "poc", "public poc": "poc", "active": "active"}


def mission_wellbeing(asset: Asset | None) -> str:
    """``low``, ``medium`` or ``high`` from the asset's criticality (``medium`` when no asset)."""
    return _MWI[asset.criticality] if asset is not None else "medium"


def ssvc_decide(
    exploitation: str, automatable: str, technical_impact: str, mission: str,
    rationale: Sequence[str] = (),
) -> SsvcDecision:
    """Look the four decision points up in :data:`SSVC_TABLE`.

    Raises:
        ValueError: a value outside the table's vocabulary.
    """
    key = (_EXPLOITATION.get(exploitation.lower(), exploitation.lower()), automatable.lower(),
           technical_impact.lower(), mission.lower())
    if key not in SSVC_TABLE:
        raise ValueError(f"no SSVC decision for {key}")
    return SsvcDecision(exploitation=key[0], automatable=key[1], technical_impact=key[2],
                        mission_wellbeing=key[3], outcome=SSVC_TABLE[key],
                        rationale=tuple(rationale))


def ssvc_for_matches(
    matches: Sequence[VulnerabilityMatch],
    assets: Sequence[Asset],
    *,
    records: Sequence[CveRecord] = (),
    advisories: Sequence[CsafAdvisory] = (),
) -> dict[tuple[str, str], SsvcDecision]:
    """One SSVC decision per asset × vulnerability.

    Args:
        matches: vulnerability matches (SBOM, CPE and device matches alike).
        assets: the inventory (for Mission and Well-Being).
        records: CVE records (ADP SSVC options).
        advisories: CSAF advisories (their "Exploitability" note).

    Returns:
        ``{(asset_id, vulnerability_id): SsvcDecision}``; a match with no asset is keyed with
        asset id ``""``. When one vulnerability has several matches on an asset, the highest
        CVSS among them is used.
    """
    by_asset = {a.asset_id: a for a in assets}
    adp = {r.cve_id: r.ssvc for r in records if r.ssvc is not None}
    no_exploits = {a.advisory_id for a in advisories
                   if re.search(r"\bno known public exploits\b", a.exploitability, re.I)}
    best: dict[tuple[str, str], VulnerabilityMatch] = {}
    for match in matches:
        for asset_id in match.component.asset_ids or ("",):
            key = (asset_id, match.vulnerability_id)
            current = best.get(key)
            if current is None or (match.cvss_score or 0.0) > (current.cvss_score or 0.0):
                best[key] = match
    decisions: dict[tuple[str, str], SsvcDecision] = {}
    for (asset_id, vuln_id), match in best.items():
        ids = (match.vulnerability_id, *match.aliases)
        options = next((adp[i] for i in ids if i in adp), None)
        decisions[(asset_id, vuln_id)] = _decide(
            match, by_asset.get(asset_id), options,
            stated_none=bool(no_exploits & set(match.advisory_ids)))
    return decisions


def _decide(match: VulnerabilityMatch, asset: Asset | None, options: SsvcOptions | None,
            *, stated_none: bool) -> SsvcDecision:
    metrics = _cvss3_metrics(match.cvss_vector)
    why: list[str] = []
    exploitation = (options.exploitation if options and options.exploitation else "")
    if exploitation:
        role = f" ({options.role})" if options and options.role else ""
        why.append(f"exploitation {exploitation}: stated by CISA ADP{role}")
    elif match.kev is not None:
        exploitation = "active"
        why.append(f"exploitation active: in CISA KEV since {match.kev.date_added.isoformat()}")
    elif stated_none:
        exploitation = "none"
        why.append("exploitation none: the advisory states no known public exploits")
    else:
        exploitation = "none"
        why.append("exploitation none: no KEV entry or exploitation evidence in the inputs")
    automatable = options.automatable if options and options.automatable else ""
    if automatable:
        why.append(f"automatable {automatable}: stated by CISA ADP")
    elif metrics:
        remote = (metrics.get("AV") == "N" and metrics.get("AC") == "L"
                  and metrics.get("PR") == "N" and metrics.get("UI") == "N")
        automatable = "yes" if remote else "no"
        why.append(f"automatable {automatable}: CVSS AV:{metrics.get('AV')}/AC:{metrics.get('AC')}"
                   f"/PR:{metrics.get('PR')}/UI:{metrics.get('UI')}")
    else:
        automatable = "no"
        why.append("automatable no: no CVSS vector to judge from")
    impact = options.technical_impact if options and options.technical_impact else ""
    if impact:
        why.append(f"technical impact {impact}: stated by CISA ADP")
    elif metrics:
        total = all(metrics.get(k) == "H" for k in ("C", "I", "A"))
        impact = "total" if total else "partial"
        why.append(f"technical impact {impact}: CVSS C:{metrics.get('C')}/I:{metrics.get('I')}"
                   f"/A:{metrics.get('A')}")
    else:
        impact = "partial"
        why.append("technical impact partial: no CVSS vector to judge from")
    mission = mission_wellbeing(asset)
    why.append(f"mission and well-being {mission}: "
               + (f"criticality {asset.criticality}" if asset else "no inventory asset"))
    return ssvc_decide(exploitation, automatable, impact, mission, why)


def _cvss3_metrics(vector: str) -> Mapping[str, str]:
    if not vector.startswith("CVSS:3"):
        return {}
    pairs = (part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    return {k: v for k, v in pairs}
