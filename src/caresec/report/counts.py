"""Counts shared by every report (HTML, JSON, terminal summary), computed in one place."""

from __future__ import annotations

from dataclasses import dataclass

from caresec.model.finding import Severity
from caresec.model.org import AuditResult
from caresec.model.problems import ProblemSeverity
from caresec.model.risk import Level

#: Severities from most to least severe, as reports list them.
SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)
#: Levels from very high to very low, as reports list them.
LEVEL_ORDER: tuple[Level, ...] = tuple(reversed(Level))


@dataclass(frozen=True, slots=True)
class Counts:
    """What an audit found, counted.

    Attributes:
        assets: inventory assets.
        sboms: SBOMs read.
        components: components over all SBOMs (distinct ``sbom_id#bom_ref``).
        matches: vulnerability matches (component × vulnerability).
        vulnerabilities: distinct vulnerability ids among the matches.
        by_severity: distinct vulnerability ids per severity (the highest seen for each id),
            every severity present, most severe first.
        kev: distinct vulnerability ids listed in CISA KEV.
        ransomware: of those, the ones with known ransomware campaign use.
        not_assessed: distinct components the matcher could not judge.
        findings: findings of any kind.
        risks: risks in the register.
        by_level: risks per level, very high first, every level present.
        problem_errors, problem_warnings: input problems by severity.
        unreadable: files with at least one ``error`` problem (something was skipped), sorted.
    """

    assets: int
    sboms: int
    components: int
    matches: int
    vulnerabilities: int
    by_severity: tuple[tuple[Severity, int], ...]
    kev: int
    ransomware: int
    not_assessed: int
    findings: int
    risks: int
    by_level: tuple[tuple[Level, int], ...]
    problem_errors: int
    problem_warnings: int
    unreadable: tuple[str, ...]


def count(result: AuditResult) -> Counts:
    """Count the contents of ``result`` (see :class:`Counts`)."""
    worst: dict[str, Severity] = {}
    kev: set[str] = set()
    ransomware: set[str] = set()
    for m in result.matches:
        seen = worst.get(m.vulnerability_id)
        if seen is None or m.severity.rank < seen.rank:
            worst[m.vulnerability_id] = m.severity
        if m.kev is not None:
            kev.add(m.vulnerability_id)
            if m.kev.ransomware:
                ransomware.add(m.vulnerability_id)
    by_severity = tuple((s, sum(1 for v in worst.values() if v is s)) for s in SEVERITY_ORDER)
    by_level = tuple((lv, sum(1 for r in result.risks if r.level is lv)) for lv in LEVEL_ORDER)
    components = {c.key for s in result.facts.sboms for c in s.components}
    errors = [p for p in result.problems if p.severity is ProblemSeverity.ERROR]
    return Counts(
        assets=len(result.facts.assets),
        sboms=len(result.facts.sboms),
        components=len(components),
        matches=len(result.matches),
        vulnerabilities=len(worst),
        by_severity=by_severity,
        kev=len(kev),
        ransomware=len(ransomware),
        not_assessed=len({n.component.key for n in result.not_assessed}),
        findings=len(result.findings),
        risks=len(result.risks),
        by_level=by_level,
        problem_errors=len(errors),
        problem_warnings=len(result.problems) - len(errors),
        unreadable=tuple(sorted({p.file for p in errors})),
    )
