"""Likelihood that a threat event occurs and results in adverse impact (NIST SP 800-30 Rev. 1
Appendix G).

Two inputs, combined with Table G-5 (caresec's rules, documented in docs/risk-method.md):

* **Likelihood of threat event initiation** (Table G-2 scale), from exploitation evidence and
  exposure. Evidence: listed in CISA KEV → very high; else FIRST EPSS percentile ≥ 0.95 → high,
  ≥ 0.50 → moderate, below → low; else (no KEV, no EPSS) the CVSS vector: no barrier besides
  reachability (``AC:L/PR:N/UI:N``, v4 also ``AT:N``) → moderate, some barrier → low, no
  readable vector → moderate. Exposure then moves it one step: attack vector network on an
  internet-exposed asset (``internet_facing`` or zone internet/dmz) → +1; asset in the isolated
  zone with a network or adjacent attack vector → −1; local or physical attack vector → −1.
  An unknown attack vector is treated as network.
* **Likelihood that the event results in adverse impact** (Table G-4 scale), from the
  vulnerability's severity (its technical impact): critical → very high, high → high, medium →
  moderate, low → low, none → very low, unknown → moderate.

An asset past its end of support (no specific vulnerability) gets initiation moderate, moved by
exposure as for a network attack vector, and adverse impact moderate.
"""

from __future__ import annotations

from enum import StrEnum

from caresec.catalogs.nist800_30 import load_nist_800_30
from caresec.model.asset import Asset, NetworkZone
from caresec.model.finding import Severity, VulnerabilityMatch
from caresec.model.risk import Assessed, Level
from caresec.risk.scale import assessed, combine, shift
from caresec.risk.vector import read_vector

#: FIRST EPSS percentile bands (caresec's): at or above the bound → level.
EPSS_PERCENTILE_BANDS: tuple[tuple[float, Level], ...] = (
    (0.95, Level.HIGH),
    (0.50, Level.MODERATE),
    (0.0, Level.LOW),
)

SEVERITY_ADVERSE_IMPACT: dict[Severity, Level] = {
    Severity.CRITICAL: Level.VERY_HIGH,
    Severity.HIGH: Level.HIGH,
    Severity.MEDIUM: Level.MODERATE,
    Severity.LOW: Level.LOW,
    Severity.NONE: Level.VERY_LOW,
    Severity.UNKNOWN: Level.MODERATE,
}

#: Severity given to end-of-support findings; its adverse impact is moderate.
LIFECYCLE_SEVERITY = Severity.MEDIUM


class Exposure(StrEnum):
    """How reachable an asset is: ``internet`` (internet-facing, or zone internet/dmz),
    ``isolated`` (zone isolated), ``internal`` (every other zone, or none given)."""

    INTERNET = "internet"
    INTERNAL = "internal"
    ISOLATED = "isolated"


def exposure(asset: Asset) -> tuple[Exposure, str]:
    """The asset's :class:`Exposure` and a phrase naming the inventory fact behind it."""
    if asset.internet_facing:
        return Exposure.INTERNET, "internet-facing"
    if asset.network_zone in (NetworkZone.INTERNET, NetworkZone.DMZ):
        return Exposure.INTERNET, f"zone {asset.network_zone}"
    if asset.network_zone is NetworkZone.ISOLATED:
        return Exposure.ISOLATED, "zone isolated"
    zone = f"zone {asset.network_zone}" if asset.network_zone else "no zone given"
    return Exposure.INTERNAL, zone


def exposure_shift(place: Exposure, attack_vector: str | None) -> int:
    """Steps the exposure moves the initiation likelihood (see module docstring)."""
    av = attack_vector or "N"
    if av in ("L", "P"):
        return -1
    if place is Exposure.ISOLATED:
        return -1
    if place is Exposure.INTERNET and av == "N":
        return 1
    return 0


def _evidence(match: VulnerabilityMatch) -> tuple[Level, str]:
    if match.kev is not None:
        return Level.VERY_HIGH, f"in CISA KEV since {match.kev.date_added.isoformat()} → very high"
    if match.epss is not None:
        pct = match.epss.percentile
        level = next(lv for bound, lv in EPSS_PERCENTILE_BANDS if pct >= bound)
        shown = f"{pct:.4f}".rstrip("0").rstrip(".")
        return level, f"EPSS percentile {shown} → {level}"
    facts = read_vector(match.cvss_vector)
    if facts.barrier_free is None:
        return Level.MODERATE, "no KEV, no EPSS, no readable CVSS vector → moderate"
    if facts.barrier_free:
        esc = "" if facts.exploitability is None else f", exploitability {facts.exploitability}"
        return Level.MODERATE, f"no KEV or EPSS; no barrier in vector{esc} → moderate"
    esc = "" if facts.exploitability is None else f", exploitability {facts.exploitability}"
    return Level.LOW, f"no KEV or EPSS; vector has barriers{esc} → low"


def _apply_exposure(
    level: Level, asset: Asset, attack_vector: str | None, av_label: str = ""
) -> tuple[Level, str]:
    place, fact = exposure(asset)
    steps = exposure_shift(place, attack_vector)
    av = av_label or (f"AV:{attack_vector}" if attack_vector else "AV unknown (taken as network)")
    if attack_vector in ("L", "P"):
        reason = f"{av} needs local or physical access −1"
    elif steps > 0:
        reason = f"{av} on {fact} asset +1"
    elif steps < 0:
        reason = f"{av} on {fact} asset −1"
    else:
        reason = f"{av}, {fact}, no change"
    shifted = shift(level, steps)
    return shifted, f"{reason} → {shifted}"


def initiation(match: VulnerabilityMatch, asset: Asset) -> Assessed:
    """Likelihood that an adversary initiates exploitation of ``match`` on ``asset``
    (NIST SP 800-30 Rev. 1 Table G-2 scale).

    Returns:
        :class:`Assessed` naming the KEV/EPSS/CVSS evidence and the exposure step.
    """
    level, evidence = _evidence(match)
    attack_vector = read_vector(match.cvss_vector).attack_vector
    shifted, exposure_reason = _apply_exposure(level, asset, attack_vector)
    return assessed(shifted, f"{evidence}; {exposure_reason}")


def adverse_impact(severity: Severity) -> Assessed:
    """Likelihood that the threat event, once initiated, results in adverse impact
    (Table G-4 scale), from the vulnerability's severity."""
    level = SEVERITY_ADVERSE_IMPACT[severity]
    return assessed(level, f"severity {severity} → {level}")


def overall(initiation_value: Assessed, adverse: Assessed, subject: str) -> Assessed:
    """Overall likelihood by Table G-5 from the two inputs.

    Args:
        initiation_value: likelihood of threat event initiation.
        adverse: likelihood the event results in adverse impact.
        subject: what is being assessed, named first in the rationale (``CVE-2023-43208 in
            mirth-connect 4.4.0``).
    """
    table = load_nist_800_30().overall_likelihood
    level, score = combine(table, initiation_value, adverse)
    rationale = (
        f"{subject}: initiation {initiation_value.level} ({initiation_value.rationale}) × "
        f"adverse impact {adverse.level} ({adverse.rationale}) → {level} (Table G-5)"
    )
    return Assessed(level=level, score=score, rationale=rationale)


def vulnerability_likelihood(match: VulnerabilityMatch, asset: Asset) -> Assessed:
    """Overall likelihood (Table G-5) that ``match`` is exploited on ``asset`` with adverse
    impact; the rationale names the vulnerability and component."""
    component = f"{match.component.name} {match.component.version}".strip()
    subject = f"{match.vulnerability_id} in {component}"
    return overall(initiation(match, asset), adverse_impact(match.severity), subject)


def lifecycle_likelihood(asset: Asset) -> Assessed:
    """Overall likelihood (Table G-5) of exploitation of an asset past its end of support."""
    shifted, exposure_reason = _apply_exposure(
        Level.MODERATE, asset, "N", av_label="network attack assumed"
    )
    start = assessed(shifted, f"unsupported product → moderate; {exposure_reason}")
    eos = asset.end_of_support.isoformat() if asset.end_of_support else "unknown date"
    subject = f"{asset.name} past end of support ({eos})"
    return overall(start, adverse_impact(LIFECYCLE_SEVERITY), subject)
