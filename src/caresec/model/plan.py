"""The risk register's treatment side: inherent and residual ratings, risk responses, the
remediation plan (plan of action and milestones) and the comparison with the previous run.

Sources: NIST SP 800-30 Rev. 1 (Tables G-5 and I-2 give the levels rated here; §3.4 risk
responses accept, avoid, mitigate, share/transfer); NIST SP 800-39 §3.3 (risk response types);
OSCAL 1.1 assessment-results and POA&M models (risk status tokens ``open`` … ``closed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from caresec.model.risk import Assessed, Level, Risk


class SraLevel(StrEnum):
    """The three risk levels of the HHS Security Risk Assessment (SRA) Tool."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class RiskRating:
    """One rating of a risk: likelihood and impact combined by NIST SP 800-30 Rev. 1 Table I-2.

    Attributes:
        likelihood: overall likelihood (Table G-5 scale).
        impact: impact (Table H-3 scale).
        level: level of risk (Table I-2).
        score: semi-quantitative level of risk 0–100 inside the Table I-3 range of ``level``.
        sra_level: ``level`` projected onto the SRA Tool's three levels.
        matrix_score: 5×5 matrix score 1–25, likelihood ordinal × impact ordinal (1 = very low
            … 5 = very high).
        rationale: one line, ``Table I-2: likelihood high × impact very high = very high``.
    """

    likelihood: Assessed
    impact: Assessed
    level: Level
    score: int
    sra_level: SraLevel
    matrix_score: int
    rationale: str


class RegisterKind(StrEnum):
    """What the vulnerability of a register entry is: a ``technical`` finding (a vulnerable
    component, an asset past end of support …) or a ``control-gap`` (a HIPAA safeguard not met
    or partly met)."""

    TECHNICAL = "technical"
    CONTROL_GAP = "control-gap"


class ResponseKind(StrEnum):
    """Risk responses (NIST SP 800-39 §3.3; SP 800-30 Rev. 1 §3.4): ``mitigate``, ``accept``,
    ``transfer`` (share) and ``avoid``."""

    MITIGATE = "mitigate"
    ACCEPT = "accept"
    TRANSFER = "transfer"
    AVOID = "avoid"


@dataclass(frozen=True, slots=True)
class RiskResponse:
    """One decision of the organization's ``risk-responses.yaml``.

    Exactly one selector is set: ``risk_id``, or ``asset_id`` with ``threat_event_id`` (every
    register entry of that asset and threat event).

    Attributes:
        response: :class:`ResponseKind`.
        justification: why (required for accept and transfer).
        owner: who decided and owns the risk (a role; required for accept and transfer).
        expires: the last day the decision applies (required for accept); on an audit date after
            it the decision has lapsed and the risk reverts to open.
        decided_on: when it was decided, when given.
        risk_id, asset_id, threat_event_id: the selector.
        source: ``risk-responses.yaml:LINE``.
    """

    response: ResponseKind
    justification: str = ""
    owner: str = ""
    expires: date | None = None
    decided_on: date | None = None
    risk_id: str = ""
    asset_id: str = ""
    threat_event_id: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class AppliedResponse:
    """A :class:`RiskResponse` as it applies on the audit date.

    Attributes:
        decision: the recorded decision.
        expired: True when the audit date is after ``decision.expires``; the risk is then
            treated as open (its response no longer applies) and flagged.
        note: one line for reports (``accepted by CISO until 2027-06-30: …`` or
            ``acceptance expired on 2026-01-31: reverted to open``).
    """

    decision: RiskResponse
    expired: bool
    note: str

    @property
    def effective(self) -> ResponseKind | None:
        """The response in force, or None when it expired."""
        return None if self.expired else self.decision.response


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One row of the risk register: asset × threat event × vulnerability.

    Attributes:
        risk: the risk as rated now (residual), as reporters and ``--fail-on`` read it; its
            ``finding_ids`` hold the one finding that is the vulnerability of this row.
        kind: :class:`RegisterKind`.
        vulnerability: the vulnerability in one line (the finding's title).
        inherent: rating without crediting any safeguard.
        residual: rating after the threat event's counter-controls (their control status);
            equal to ``risk``'s likelihood, impact, level and score.
        control_ids: the threat event's counter-controls (HIPAA citations).
        control_effect: one line naming the control statuses and the likelihood step applied.
        response: the response that applies, if any (accepted risks stay in the register).
    """

    risk: Risk
    kind: RegisterKind
    vulnerability: str
    inherent: RiskRating
    residual: RiskRating
    control_ids: tuple[str, ...] = ()
    control_effect: str = ""
    response: AppliedResponse | None = None

    @property
    def risk_id(self) -> str:
        """The risk id (``RISK-<asset>-<threat event>-<vulnerability>``)."""
        return self.risk.risk_id

    @property
    def treatment(self) -> str:
        """``open``, or the response in force (``accepted``, ``transferred``, ``avoided``,
        ``mitigating``), or ``acceptance expired`` (and so open)."""
        if self.response is None:
            return "open"
        if self.response.expired:
            return f"{_PAST[self.response.decision.response]} expired"
        return _STATE[self.response.decision.response]


_STATE = {
    ResponseKind.MITIGATE: "mitigating",
    ResponseKind.ACCEPT: "accepted",
    ResponseKind.TRANSFER: "transferred",
    ResponseKind.AVOID: "avoided",
}
_PAST = {
    ResponseKind.MITIGATE: "mitigation decision",
    ResponseKind.ACCEPT: "acceptance",
    ResponseKind.TRANSFER: "transfer",
    ResponseKind.AVOID: "avoidance decision",
}


class PlanAction(StrEnum):
    """What a plan item does.

    ``upgrade`` (to a version that fixes it), ``vendor-fix`` (the manufacturer must validate
    and supply the fix: medical devices and IoT), ``compensating-control`` (restrict or
    isolate while no fixed version is known), ``implement-control`` (put a missing
    technical or physical safeguard in place), ``policy`` (write, approve and apply a policy or
    procedure), ``transfer`` (contract, business associate agreement or insurance), ``avoid``
    (retire the asset or stop the activity).
    """

    UPGRADE = "upgrade"
    VENDOR_FIX = "vendor-fix"
    COMPENSATING_CONTROL = "compensating-control"
    IMPLEMENT_CONTROL = "implement-control"
    POLICY = "policy"
    TRANSFER = "transfer"
    AVOID = "avoid"


class PlanStatus(StrEnum):
    """Status of a plan item, with the OSCAL risk status tokens: ``open``, ``investigating``,
    ``remediating``, ``deviation-requested``, ``deviation-approved``, ``closed``."""

    OPEN = "open"
    INVESTIGATING = "investigating"
    REMEDIATING = "remediating"
    DEVIATION_REQUESTED = "deviation-requested"
    DEVIATION_APPROVED = "deviation-approved"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated step of a plan item.

    Attributes:
        title: what is to be done.
        due: when.
        done: recorded as done in ``plan-status.yaml``.
    """

    title: str
    due: date
    done: bool = False


@dataclass(frozen=True, slots=True)
class NprmTimer:
    """A deadline the HIPAA Security Rule NPRM (90 FR 898) proposes; not in force.

    Attributes:
        requirement_id: the NPRM catalog id (``NPRM-PATCH-CRITICAL``).
        title: its title.
        days: the proposed maximum, in calendar days from the patch becoming available.
        exceeded_by_sla: True when the plan's own deadline is longer than the proposal allows.
    """

    requirement_id: str
    title: str
    days: int
    exceeded_by_sla: bool


@dataclass(frozen=True, slots=True)
class PlanStatusEntry:
    """What the organization recorded about one plan item in ``plan-status.yaml``.

    Attributes:
        item_id: the plan item id.
        status: :class:`PlanStatus`.
        owner: a different owner, or ``""``.
        note: free text (ticket, decision).
        milestones_done: titles of milestones done.
        source: ``plan-status.yaml:LINE``.
    """

    item_id: str
    status: PlanStatus
    owner: str = ""
    note: str = ""
    milestones_done: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One item of the remediation plan (plan of action and milestones).

    Attributes:
        item_id: stable id (``PLAN-<component>-<version>``, ``PLAN-EOS-<asset>``,
            ``PLAN-GAP-<citation>``, ``PLAN-<finding id>``).
        title: one line.
        description: what to do, naming the vulnerabilities and fixed versions.
        action: :class:`PlanAction`.
        risk_ids: register entries the item removes.
        finding_ids: findings it fixes.
        asset_ids: assets concerned (``ORG`` for organization-wide items).
        control_ids: HIPAA citations it serves.
        owner: accountable role (asset owner, else the configured plan owner).
        level: the highest residual level of its risks; None when it removes no register risk
            (a control gap no threat event names).
        sla_days: days allowed for ``level`` (configurable).
        due: audit date + ``sla_days``.
        nprm: the NPRM patch timer that would apply, when one is proposed.
        milestones: dated steps.
        status: :class:`PlanStatus`.
        status_source: ``plan-status.yaml:LINE`` when the status was recorded there.
        note: why the status is what it is, or a warning (``marked closed but still found``).
        risk_reduction: drop of the register's residual score (sum over its risks, 0–100
            each) once done.
        effort: effort estimate of the action (caresec's relative points).
        priority: ``risk_reduction / effort``.
        rank: 1 for the highest priority.
    """

    item_id: str
    title: str
    description: str
    action: PlanAction
    risk_ids: tuple[str, ...]
    finding_ids: tuple[str, ...]
    asset_ids: tuple[str, ...]
    control_ids: tuple[str, ...]
    owner: str
    level: Level | None
    sla_days: int
    due: date
    nprm: NprmTimer | None
    milestones: tuple[Milestone, ...]
    status: PlanStatus
    status_source: str
    note: str
    risk_reduction: int
    effort: int
    priority: float
    rank: int


@dataclass(frozen=True, slots=True)
class RiskSnapshot:
    """What the run history keeps of one risk.

    Attributes:
        risk_id: the register id.
        level: residual level.
        score: residual score 0–100.
        title: ``<threat event> on <asset>: <vulnerability>``.
    """

    risk_id: str
    level: Level
    score: int
    title: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One audit run as the history keeps it.

    Attributes:
        run_id: the store's id (0 before it is recorded).
        started_at: ISO 8601 UTC start of the run.
        judged_on: the audit date (ISO).
        risks: every register entry, rated.
        finding_ids: every finding id.
    """

    run_id: int
    started_at: str
    judged_on: str
    risks: tuple[RiskSnapshot, ...]
    finding_ids: tuple[str, ...]


class ChangeKind(StrEnum):
    """How a risk changed since the previous run: ``new``, ``resolved``, ``up`` (higher level),
    ``down`` (lower level)."""

    NEW = "new"
    RESOLVED = "resolved"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class RiskChange:
    """One risk that is new, resolved or changed level since the previous run.

    Attributes:
        risk_id: the register id.
        change: :class:`ChangeKind`.
        before: the previous run's snapshot (None when new).
        after: this run's snapshot (None when resolved).
    """

    risk_id: str
    change: ChangeKind
    before: RiskSnapshot | None
    after: RiskSnapshot | None


@dataclass(frozen=True, slots=True)
class RunComparison:
    """This run against the previous run of the same organization.

    Attributes:
        previous_run_id: the previous run's store id.
        previous_started_at: its ISO start time.
        changes: new, resolved and changed risks, in that order (each by risk id).
        unchanged: risks present in both at the same level.
        new_findings, resolved_findings: finding ids that appeared or disappeared.
    """

    previous_run_id: int
    previous_started_at: str
    changes: tuple[RiskChange, ...]
    unchanged: int
    new_findings: tuple[str, ...] = ()
    resolved_findings: tuple[str, ...] = ()

    def of(self, kind: ChangeKind) -> tuple[RiskChange, ...]:
        """The changes of one kind."""
        return tuple(c for c in self.changes if c.change is kind)
