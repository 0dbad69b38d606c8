"""Findings from intelligence hits, for the risk register and the report.

One ``intel-hit`` finding per indicator with unsuppressed hits in its validity window
(``INTEL-<indicator id>``). Severity follows the indicator's STIX ``confidence`` on the
"Low/Med/High" scale of STIX 2.1 Appendix A (1–29 low, 30–69 medium, 70–100 high; 0 none);
an indicator without confidence gives ``medium``.

Threat events (``catalogs/threat-events.yaml``) and HIPAA citations: a hit is evidence of
contact with infrastructure or files known to serve attacks, so every hit bears on security
incident procedures — response and reporting, 164.308(a)(6)(ii) — and on information system
activity review, 164.308(a)(1)(ii)(D), and audit controls, 164.312(b). Every hit maps to
``TE-MALWARE-C2`` (malware delivery and command and control, NIST SP 800-30 Rev. 1 Table E-2);
URL and e-mail indicators, and any indicator a client requested as a URL or exchanged mail with
(matched in a ``url`` or ``email`` column), also to ``TE-PHISHING-BEC``; an indicator whose
name or STIX ``labels`` say ``ransomware`` also to ``TE-RANSOMWARE``; file hashes add protection
from malicious software, 164.308(a)(5)(ii)(B).

**Likelihood** (NIST SP 800-30 Rev. 1 Appendix G, combined by Table G-5 with
:func:`caresec.risk.likelihood.overall`), documented in docs/intel.md:

* *initiation* (Table G-2 scale): the hit shows the adversary's infrastructure or file in the
  organization's own logs; how surely that is adversarial comes from the indicator's
  ``confidence`` (Appendix A): high (70–100) → very high, medium (30–69) → high, low (1–29)
  → moderate, none (0) → low, absent → high; an indicator whose ``indicator_types`` are only
  ``benign`` (indicator-type-ov: not malicious by itself) → very low;
* *adverse impact* (Table G-4 scale): from what the log line shows happened, by the role of
  the matched column (:data:`ROLE_ADVERSE`), the highest over the indicator's hits: an internal
  host connected out to it (``dst_ip``) → very high; a client requested the URL or host
  (``url``), the file was on an endpoint (hash roles), or it connected in (``src_ip``) → high;
  a name lookup (``domain``), an address in another column such as a DNS answer (``ip``) or
  an e-mail address → moderate.

**Assets**: the host and the other-side addresses of each hit line (``host`` and
``src_ip``/``dst_ip`` columns other than the matched one) are looked up in the inventory — an
asset id or name equal to the host, an ``ip`` equal to the address or a network (CIDR) holding
it — and in the ``[intel.hosts]`` rules (an address, network or host-name glob → asset id).
Findings on no inventory asset enter no risk (:func:`caresec.risk.register.build_entries`);
:func:`unlinked_names` says which hosts and addresses to add.

**TLP**: a TLP:RED indicator's value is withheld from the finding's title and evidence (TLP
2.0: "for the eyes and ears of individual recipients only"); the marking is in the title and
details of every finding.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from caresec.intel.logs import HASH_ROLES, LogSource
from caresec.model.asset import Asset
from caresec.model.finding import Evidence, Finding, Severity
from caresec.model.intel import (
    Indicator,
    IndicatorKind,
    IntelHit,
    IntelMatchResult,
    PatternIndicator,
    Sighting,
    Tlp,
)
from caresec.model.risk import Assessed, Level
from caresec.risk.likelihood import overall
from caresec.risk.scale import assessed

KIND_INTEL_HIT = "intel-hit"
TE_MALWARE_C2 = "TE-MALWARE-C2"
TE_RANSOMWARE = "TE-RANSOMWARE"
TE_PHISHING = "TE-PHISHING-BEC"
CONTROLS = ("164.308(a)(6)(ii)", "164.308(a)(1)(ii)(D)", "164.312(b)")
MALWARE_CONTROL = "164.308(a)(5)(ii)(B)"
EVIDENCE_SHOWN = 5
OUTSIDE_WINDOW = "outside validity window"
WITHHELD = "value withheld (TLP:RED)"

#: Role of the matched column → adverse-impact level (Table G-4 scale) and what it shows.
ROLE_ADVERSE: Mapping[str, tuple[Level, str]] = {
    "dst_ip": (Level.VERY_HIGH, "an internal host connected out to it (a command-and-control "
                                "or exfiltration channel)"),
    "url": (Level.HIGH, "a client requested it (malware delivery or credential phishing)"),
    "src_ip": (Level.HIGH, "it connected in to an internal host"),
    **{role: (Level.HIGH, "the file was seen on an endpoint") for role in HASH_ROLES},
    "domain": (Level.MODERATE, "a client looked the name up; the line shows no connection"),
    "ip": (Level.MODERATE, "the address is in the line (a DNS answer or similar); the line "
                           "shows no connection"),
    "email": (Level.MODERATE, "mail was exchanged with the address"),
}
_UNKNOWN_ROLE = (Level.MODERATE, "the column's role is not known")
#: STIX 2.1 Appendix A "None/Low/Med/High" bands of ``confidence`` → initiation (Table G-2
#: scale): at or above the bound → level.
CONFIDENCE_INITIATION: tuple[tuple[int, str, Level], ...] = (
    (70, "high", Level.VERY_HIGH),
    (30, "medium", Level.HIGH),
    (1, "low", Level.MODERATE),
    (0, "none", Level.LOW),
)
#: Roles whose values identify the organization's side of a hit line.
LINK_ROLES = frozenset({"host", "src_ip", "dst_ip"})

Roles = Mapping[tuple[str, str], str]


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


def initiation(indicator: Indicator | PatternIndicator | None) -> Assessed:
    """Likelihood of threat event initiation (Table G-2 scale) from the indicator (module
    docstring): its ``confidence`` on the STIX 2.1 Appendix A scale, or very low for an
    indicator typed only ``benign``."""
    types = set(indicator.indicator_types) if indicator is not None else set()
    if types and types <= {"benign"}:
        return assessed(Level.VERY_LOW, "the feed types the indicator benign (not malicious "
                                        "by itself) → very low")
    confidence = indicator.confidence if indicator is not None else None
    if confidence is None:
        return assessed(Level.HIGH, "seen in the organization's logs; confidence not given → "
                                    "high")
    band, level = next((b, lv) for bound, b, lv in CONFIDENCE_INITIATION
                       if max(confidence, 0) >= bound)
    return assessed(level, f"seen in the organization's logs; confidence {confidence} (STIX "
                           f"2.1 Appendix A: {band}) → {level}")


def adverse_impact(hits: Sequence[IntelHit], roles: Roles | None) -> Assessed:
    """Likelihood the event results in adverse impact (Table G-4 scale): the highest
    :data:`ROLE_ADVERSE` level over the hits' matched columns (module docstring)."""
    best: tuple[Level, str] | None = None
    for hit in hits:
        role = (roles or {}).get((hit.log_source, hit.column), "")
        level, why = ROLE_ADVERSE.get(role, _UNKNOWN_ROLE)
        text = f"{hit.log_source} {hit.column}" + (f" ({role})" if role else "") + f": {why}"
        if best is None or level.ordinal > best[0].ordinal:
            best = (level, text)
    level, text = best or _UNKNOWN_ROLE
    return assessed(level, f"{text} → {level}")


@dataclass(frozen=True, slots=True)
class AssetLinker:
    """Looks up the inventory asset of a log host or address (module docstring).

    Attributes:
        assets: the inventory.
        hosts: ``[intel.hosts]`` ``(pattern, asset id)`` rules; rules naming an asset id
            outside the inventory are ignored (the capability reports them).
    """

    assets: Sequence[Asset]
    hosts: Sequence[tuple[str, str]] = ()
    _names: dict[str, str] = field(default_factory=dict, init=False)
    _networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = field(
        default_factory=list, init=False)
    _globs: list[tuple[str, str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        known = {a.asset_id for a in self.assets}
        for asset in self.assets:
            for key in (asset.asset_id, asset.name):
                if key:
                    self._names.setdefault(key.strip().lower(), asset.asset_id)
            for part in asset.ip.replace(";", " ").replace(",", " ").split():
                self._add_network(part, asset.asset_id)
        for pattern, asset_id in self.hosts:
            if asset_id not in known:
                continue
            if not self._add_network(pattern, asset_id):
                self._globs.append((pattern.lower(), asset_id))

    def _add_network(self, text: str, asset_id: str) -> bool:
        try:
            self._networks.append((ipaddress.ip_network(text.strip(), strict=False), asset_id))
        except ValueError:
            return False
        return True

    def link(self, value: str) -> set[str]:
        """The asset ids of a host name or address (empty when none)."""
        text = value.strip().rstrip(".").lower()
        if not text:
            return set()
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            found = {a for p, a in self._globs if fnmatch.fnmatchcase(text, p)}
            named = self._names.get(text)
            return found | ({named} if named else set())
        return {a for net, a in self._networks
                if net.version == address.version and address in net}


def _sides(hit: IntelHit, roles: Roles | None) -> list[str]:
    """The organization's side of a hit line: host and address values other than the matched
    column (every other context value when the roles are not known)."""
    if roles is None:
        return [v for c, v in hit.context if c != hit.column]
    return [v for c, v in hit.context
            if c != hit.column and roles.get((hit.log_source, c), "") in LINK_ROLES]


def log_roles(mapping: Iterable[LogSource]) -> dict[tuple[str, str], str]:
    """``(log source, column) → role`` of a log mapping
    (:func:`~caresec.intel.logs.load_mapping`)."""
    return {(s.name, c): r for s in mapping for c, r in s.columns}


def unlinked_names(finding: Finding, result: IntelMatchResult,
                   roles: Roles | None = None) -> tuple[str, ...]:
    """Hosts and addresses of a finding's hit lines (the organization's side), sorted: what to
    add to the inventory or ``[intel.hosts]`` when the finding names no asset."""
    indicator_id = dict(finding.details).get("indicator_id", "")
    names = {v for h in result.hits if h.indicator.indicator_id == indicator_id
             and h.validity != OUTSIDE_WINDOW for v in _sides(h, roles)}
    return tuple(sorted(names))


def _threats(indicator: Indicator | PatternIndicator | None, kinds: set[IndicatorKind],
             matched_roles: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    threats = [TE_MALWARE_C2]
    if kinds & {IndicatorKind.URL, IndicatorKind.EMAIL} or matched_roles & {"url", "email"}:
        threats.append(TE_PHISHING)
    words = [indicator.name, *indicator.labels] if indicator is not None else []
    if any("ransomware" in w.lower() for w in words):
        threats.append(TE_RANSOMWARE)
    controls = list(CONTROLS)
    if any(k.is_hash for k in kinds):
        controls.append(MALWARE_CONTROL)
    return tuple(threats), tuple(controls)


def _what(sighting: Sighting, indicator: Indicator | PatternIndicator | None) -> str:
    if sighting.tlp is Tlp.RED:
        kind = indicator.kind.value if isinstance(indicator, Indicator) else "pattern"
        return f"{kind} indicator ({WITHHELD})"
    if isinstance(indicator, Indicator):
        return f"{indicator.kind.value} indicator {indicator.value}"
    return f"pattern indicator {sighting.indicator_id}"


def _title(sighting: Sighting, indicator: Indicator | PatternIndicator | None) -> str:
    lines = f"{sighting.count} log line{'s' if sighting.count != 1 else ''}"
    return f"{lines} matched {_what(sighting, indicator)} from {sighting.source} " \
           f"({sighting.tlp.label})"


def intel_findings(result: IntelMatchResult, assets: Sequence[Asset] = (), *,
                   roles: Roles | None = None,
                   hosts: Sequence[tuple[str, str]] = ()) -> list[Finding]:
    """``intel-hit`` findings, one per sighted indicator, most severe first.

    Args:
        result: the match result.
        assets: the inventory, for ``asset_ids`` (module docstring).
        roles: ``(log source, column) → role`` of the log mapping (:func:`log_roles`); gives
            the adverse-impact likelihood and which columns are the organization's side.
            None: every other column of a hit line is tried as a host or address, and the
            adverse impact is moderate (role not known).
        hosts: ``[intel.hosts]`` rules (:class:`AssetLinker`).

    Returns:
        Findings with ``likelihood`` (Table G-5, module docstring), evidence (up to five hit
        lines and the sighting summary), threat event ids, HIPAA control citations, the
        inventory assets of the hit lines (empty when none is known: then the finding enters
        no risk), and details (indicator id, source, TLP, count, confidence, window).
    """
    linker = AssetLinker(assets, hosts)
    by_indicator: dict[str, list[IntelHit]] = {}
    for hit in result.hits:
        if hit.validity != OUTSIDE_WINDOW:
            by_indicator.setdefault(hit.indicator.indicator_id, []).append(hit)
    findings: list[Finding] = []
    for sighting in result.sightings:
        hits = by_indicator.get(sighting.indicator_id, [])
        indicator = hits[0].indicator if hits else None
        kinds = {h.indicator.kind for h in hits if isinstance(h.indicator, Indicator)}
        matched = {(roles or {}).get((h.log_source, h.column), "") for h in hits}
        threats, controls = _threats(indicator, kinds, matched)
        confidence = indicator.confidence if indicator is not None else None
        window = ""
        if sighting.first_seen and sighting.last_seen:
            window = f" between {sighting.first_seen.isoformat()} and " \
                     f"{sighting.last_seen.isoformat()}"
        red = sighting.tlp is Tlp.RED
        evidence = [Evidence(collector="intel", source=f"{h.file} ({h.place})",
                             description=(f"{h.log_source} {h.column} matched a TLP:RED "
                                          f"indicator ({WITHHELD})" if red else h.why))
                    for h in hits[:EVIDENCE_SHOWN]]
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
        linked = {a for h in hits for v in _sides(h, roles) for a in linker.link(v)}
        subject = f"{_what(sighting, indicator)} from {sighting.source} in " \
                  f"{sighting.count} log line{'s' if sighting.count != 1 else ''}"
        findings.append(Finding(
            finding_id=f"INTEL-{sighting.indicator_id}",
            kind=KIND_INTEL_HIT,
            title=_title(sighting, indicator),
            asset_ids=tuple(sorted(linked)),
            severity=confidence_severity(confidence),
            evidence=tuple(evidence),
            threat_event_ids=threats,
            control_ids=controls,
            details=tuple(details),
            likelihood=overall(initiation(indicator), adverse_impact(hits, roles), subject),
        ))
    findings.sort(key=lambda f: (f.severity.rank, f.finding_id))
    return findings
