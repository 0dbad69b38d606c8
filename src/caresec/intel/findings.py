"""Findings from intelligence hits, for the risk register and the report.

One ``intel-hit`` finding per indicator with unsuppressed hits in its validity window
(``INTEL-<indicator id>``). Severity follows the indicator's STIX ``confidence`` on the
"Low/Med/High" scale of STIX 2.1 Appendix A (1–29 low, 30–69 medium, 70–100 high; 0 none);
an indicator without confidence gives ``medium``.

Threat events (``catalogs/threat-events.yaml``) and HIPAA citations: a hit is evidence of
contact with infrastructure or files known to serve attacks, so every hit bears on security
incident procedures — response and reporting, 164.308(a)(6)(ii) — and on information system
activity review, 164.308(a)(1)(ii)(D), and audit controls, 164.312(b). Network and file
indicators map to ``TE-RANSOMWARE`` (malware delivery and command and control precede
encryption and theft); URL and e-mail indicators also to ``TE-PHISHING-BEC``; file hashes
add protection from malicious software, 164.308(a)(5)(ii)(B).
"""

from __future__ import annotations

from collections.abc import Sequence

from caresec.model.asset import Asset
from caresec.model.finding import Evidence, Finding, Severity
from caresec.model.intel import Indicator, IndicatorKind, IntelHit, IntelMatchResult, Sighting

KIND_INTEL_HIT = "intel-hit"
TE_RANSOMWARE = "TE-RANSOMWARE"
TE_PHISHING = "TE-PHISHING-BEC"
CONTROLS = ("164.308(a)(6)(ii)", "164.308(a)(1)(ii)(D)", "164.312(b)")
MALWARE_CONTROL = "164.308(a)(5)(ii)(B)"
EVIDENCE_SHOWN = 5


def confidence_severity(confidence: int | None) -> Severity:
    """Severity of a hit from the indicator's confidence (STIX 2.1 Appendix A scale)."""
    if confidence is None:
        return Severity.MEDIUM
    if confidence >= 70:
        return Severity.HIGH
    if confidence >= 30:
        return Severity.MEDIUM
    if confidence >= 1:
        return Severity.LOW
    return Severity.NONE


def _threats(kinds: set[IndicatorKind]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    threats = [TE_RANSOMWARE]
    if kinds & {IndicatorKind.URL, IndicatorKind.EMAIL}:
        threats.append(TE_PHISHING)
    controls = list(CONTROLS)
    if any(k.is_hash for k in kinds):
        controls.append(MALWARE_CONTROL)
    return tuple(threats), tuple(controls)


def _asset_ids(hits: Sequence[IntelHit], assets: Sequence[Asset]) -> tuple[str, ...]:
    keys: dict[str, str] = {}
    for asset in assets:
        for key in (asset.asset_id, asset.name, asset.ip):
            if key:
                keys[key.lower()] = asset.asset_id
    found: dict[str, None] = {}
    for hit in hits:
        for _, value in hit.context:
            asset_id = keys.get(value.strip().lower())
            if asset_id:
                found[asset_id] = None
    return tuple(sorted(found))


def _title(sighting: Sighting, hits: Sequence[IntelHit]) -> str:
    lines = f"{sighting.count} log line{'s' if sighting.count != 1 else ''}"
    indicator = hits[0].indicator if hits else None
    if isinstance(indicator, Indicator):
        what = f"{indicator.kind.value} indicator {indicator.value}"
    else:
        what = f"pattern indicator {sighting.indicator_id}"
    return f"{lines} matched {what} from {sighting.source} ({sighting.tlp.label})"


def intel_findings(result: IntelMatchResult, assets: Sequence[Asset] = ()) -> list[Finding]:
    """``intel-hit`` findings, one per sighted indicator, most severe first.

    Args:
        result: the match result.
        assets: the inventory; an asset whose id, name or IP equals a host, user or address
            column of a hit is named in ``asset_ids`` (empty when none does).

    Returns:
        Findings with evidence (up to five hit lines and the sighting summary), threat event
        ids, HIPAA control citations, and details (indicator id, source, TLP, count, window).
    """
    by_indicator: dict[str, list[IntelHit]] = {}
    for hit in result.hits:
        if hit.validity != "outside validity window":
            by_indicator.setdefault(hit.indicator.indicator_id, []).append(hit)
    findings: list[Finding] = []
    for sighting in result.sightings:
        hits = by_indicator.get(sighting.indicator_id, [])
        indicator = hits[0].indicator if hits else None
        kinds = {h.indicator.kind for h in hits if isinstance(h.indicator, Indicator)}
        threats, controls = _threats(kinds)
        confidence = indicator.confidence if indicator is not None else None
        window = ""
        if sighting.first_seen and sighting.last_seen:
            window = f" between {sighting.first_seen.isoformat()} and " \
                     f"{sighting.last_seen.isoformat()}"
        evidence = [Evidence(collector="intel", source=f"{h.file} ({h.place})",
                             description=h.why) for h in hits[:EVIDENCE_SHOWN]]
        evidence.append(Evidence(collector="intel", source=sighting.source,
                                 description=f"{sighting.count} matching log lines{window}"))
        details = [("indicator_id", sighting.indicator_id), ("source", sighting.source),
                   ("tlp", sighting.tlp.label), ("count", str(sighting.count))]
        if confidence is not None:
            details.append(("confidence", str(confidence)))
        if sighting.first_seen:
            details.append(("first_seen", sighting.first_seen.isoformat()))
        if sighting.last_seen:
            details.append(("last_seen", sighting.last_seen.isoformat()))
        findings.append(Finding(
            finding_id=f"INTEL-{sighting.indicator_id}",
            kind=KIND_INTEL_HIT,
            title=_title(sighting, hits),
            asset_ids=_asset_ids(hits, assets),
            severity=confidence_severity(confidence),
            evidence=tuple(evidence),
            threat_event_ids=threats,
            control_ids=controls,
            details=tuple(details),
        ))
    findings.sort(key=lambda f: (f.severity.rank, f.finding_id))
    return findings
