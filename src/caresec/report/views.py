"""Views shared by the HTML and JSON reports: control coverage by safeguard, HICP practice
coverage for the organization's size tier, and the register's treatment counts.

Pure derivations from an :class:`~caresec.model.AuditResult` and the shipped catalogs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from caresec.analyze.controls import rollup
from caresec.catalogs.models import Safeguard
from caresec.catalogs.registry import load_cpgs, load_hicp, load_hipaa_security_rule
from caresec.model.control import ControlState, ControlStatus, CpgStatus
from caresec.model.org import AuditResult
from caresec.model.plan import RegisterKind

#: Control states in report order.
STATE_ORDER: tuple[ControlState, ...] = (
    ControlState.MET,
    ControlState.PARTLY_MET,
    ControlState.NOT_MET,
    ControlState.UNKNOWN,
    ControlState.NOT_APPLICABLE,
)

SAFEGUARD_LABELS: dict[Safeguard, str] = {
    Safeguard.ADMINISTRATIVE: "Administrative safeguards (§ 164.308)",
    Safeguard.PHYSICAL: "Physical safeguards (§ 164.310)",
    Safeguard.TECHNICAL: "Technical safeguards (§ 164.312)",
    Safeguard.ORGANIZATIONAL: "Organizational requirements (§ 164.314)",
    Safeguard.DOCUMENTATION: "Policies, procedures and documentation (§ 164.316)",
}


def state_counts(states: Iterable[ControlState]) -> tuple[tuple[ControlState, int], ...]:
    """How many of each state, every state present, in :data:`STATE_ORDER`."""
    found = list(states)
    return tuple((s, sum(1 for x in found if x is s)) for s in STATE_ORDER)


@dataclass(frozen=True, slots=True)
class ControlRow:
    """One HIPAA element with its status, for the coverage table.

    Attributes:
        status: the judged status.
        kind: ``standard`` or ``implementation specification``.
        required: ``required`` or ``addressable`` (45 CFR 164.306(d)).
    """

    status: ControlStatus
    kind: str
    required: str


@dataclass(frozen=True, slots=True)
class SafeguardCoverage:
    """Control coverage of one safeguard category.

    Attributes:
        safeguard: the category.
        label: its heading with the CFR section.
        counts: states counted over its standards and specifications.
        rows: its elements in regulation order.
    """

    safeguard: Safeguard
    label: str
    counts: tuple[tuple[ControlState, int], ...]
    rows: tuple[ControlRow, ...]


def safeguard_coverage(result: AuditResult) -> tuple[SafeguardCoverage, ...]:
    """Coverage per safeguard category (empty when controls were not evaluated).

    Raises:
        CatalogError: the HIPAA Security Rule catalog is invalid.
    """
    if result.controls is None:
        return ()
    index = load_hipaa_security_rule().index()
    rows: dict[Safeguard, list[ControlRow]] = {s: [] for s in Safeguard}
    for status in result.controls.statuses:
        element = index.get(status.control_id)
        if element is None:
            continue
        kind = "standard" if element.kind == "standard" else "implementation specification"
        rows[element.safeguard].append(ControlRow(status, kind, element.status))
    return tuple(
        SafeguardCoverage(
            safeguard=s,
            label=SAFEGUARD_LABELS[s],
            counts=state_counts(r.status.state for r in rows[s]),
            rows=tuple(rows[s]),
        )
        for s in Safeguard
    )


@dataclass(frozen=True, slots=True)
class HicpPracticeView:
    """One HICP practice for the organization's size tier.

    Attributes:
        number, title: the practice.
        state: roll-up of the states of its aligned HIPAA citations and CPGs.
        controls: ``(citation, state)`` of the aligned HIPAA elements.
        cpgs: ``(CPG id, state)`` of the goals that name the practice.
        sub_practices: ``(id, title)`` of the sub-practices written for the tier.
    """

    number: int
    title: str
    state: ControlState
    controls: tuple[tuple[str, ControlState], ...]
    cpgs: tuple[tuple[str, ControlState], ...]
    sub_practices: tuple[tuple[str, str], ...]


def hicp_coverage(result: AuditResult) -> tuple[HicpPracticeView, ...]:
    """HICP 2023 practices written for the organization's tier, each with a state rolled up
    (``caresec.analyze.controls.rollup``) from its aligned HIPAA elements and the CPGs that name
    it, and the sub-practices the catalog's ``tier_rule`` shows that tier
    (:meth:`~caresec.catalogs.models.HicpCatalog.sub_practices_for`): small → the ``S`` ones
    (HICP Technical Volume 1), medium → ``M``, large → ``M`` and ``L`` (Technical Volume 2).
    Empty when controls were not evaluated.

    Raises:
        CatalogError: a catalog is invalid.
    """
    if result.controls is None:
        return ()
    tier = result.org.size_tier
    states = {s.control_id: s.state for s in result.controls.statuses}
    cpg_states = {c.cpg_id: c.state for c in result.controls.cpg_status}
    goals = load_cpgs().goals
    hicp = load_hicp()
    views = []
    for practice in hicp.practices:
        if tier not in practice.tiers:
            continue
        controls = tuple((c, states.get(c, ControlState.UNKNOWN)) for c in practice.hipaa_citations)
        cpgs = tuple(
            (g.id, cpg_states.get(g.id, ControlState.UNKNOWN))
            for g in goals if practice.number in g.hicp_practices
        )
        views.append(
            HicpPracticeView(
                number=practice.number,
                title=practice.title,
                state=rollup([s for _, s in controls] + [s for _, s in cpgs]),
                controls=controls,
                cpgs=cpgs,
                sub_practices=tuple(
                    (sp.id, sp.title) for sp in hicp.sub_practices_for(practice, tier)
                ),
            )
        )
    return tuple(views)


@dataclass(frozen=True, slots=True)
class RegisterCounts:
    """The register counted: entries by kind, treatment and level (inherent, residual)."""

    technical: int
    control_gap: int
    treatments: tuple[tuple[str, int], ...]
    expired: int


def register_counts(result: AuditResult) -> RegisterCounts:
    """Counts of the register entries of ``result``."""
    entries = result.register
    treatments: dict[str, int] = {}
    for e in entries:
        treatments[e.treatment] = treatments.get(e.treatment, 0) + 1
    return RegisterCounts(
        technical=sum(1 for e in entries if e.kind is RegisterKind.TECHNICAL),
        control_gap=sum(1 for e in entries if e.kind is RegisterKind.CONTROL_GAP),
        treatments=tuple(sorted(treatments.items())),
        expired=sum(1 for e in entries if e.response is not None and e.response.expired),
    )


def cpg_by_tier(result: AuditResult, tier: str) -> Sequence[CpgStatus]:
    """The CPG statuses of one tier (``essential`` or ``enhanced``), in HHS order."""
    if result.controls is None:
        return ()
    return tuple(c for c in result.controls.cpg_status if c.tier == tier)
