"""Remediation policy: deadlines by level of risk, effort and milestones by action, NPRM timers.

Defaults come from ``catalogs/remediation-sla.yaml`` (sources in the file); an organization
overrides them in ``caresec.toml`` ``[settings]``:

* ``sla_very_high_days``, ``sla_high_days``, ``sla_moderate_days``, ``sla_low_days``,
  ``sla_very_low_days``, ``sla_compliance_gap_days``: whole days ≥ 1;
* ``effort_upgrade``, ``effort_vendor_fix``, ``effort_compensating_control``,
  ``effort_implement_control``, ``effort_policy``, ``effort_transfer``, ``effort_avoid``:
  whole points ≥ 1;
* ``plan_owner``: the role that owns organization-wide items.

A value that is not a whole number ≥ 1 is reported as a problem naming ``caresec.toml`` and the
key, and the default is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from caresec.catalogs.loader import CatalogHeader, load_catalog
from caresec.catalogs.registry import load_nprm
from caresec.errors import CatalogError
from caresec.model.plan import PlanAction
from caresec.model.problems import InputProblem, ProblemSeverity
from caresec.model.risk import Level

CATALOG_NAME = "remediation-sla"
CONFIG_FILE = "caresec.toml"


class MilestoneTemplate(BaseModel):
    """A milestone of an action: title and place in the window (0 = audit date, 1 = due)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    at: float = Field(gt=0, le=1)


class RemediationCatalog(CatalogHeader):
    """``remediation-sla.yaml``."""

    sla_days: dict[Level, int]
    compliance_gap_days: int = Field(ge=1)
    effort: dict[PlanAction, int]
    milestones: dict[PlanAction, tuple[MilestoneTemplate, ...]]
    nprm_patch_timers: dict[Level, str]
    nprm_patch_actions: tuple[PlanAction, ...]
    default_owner: str = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if set(self.sla_days) != set(Level) or min(self.sla_days.values()) < 1:
            raise ValueError("sla_days needs a positive number of days for every level")
        if set(self.effort) != set(PlanAction) or min(self.effort.values()) < 1:
            raise ValueError("effort needs a positive value for every action")
        if set(self.milestones) != set(PlanAction):
            raise ValueError("milestones needs a template for every action")
        return self


@dataclass(frozen=True, slots=True)
class NprmTimerSpec:
    """A proposed NPRM deadline (days) for patching items at one level."""

    requirement_id: str
    title: str
    days: int


@dataclass(frozen=True, slots=True)
class RemediationPolicy:
    """The deadlines, efforts, milestones and NPRM timers the plan uses.

    Attributes:
        sla_days: days allowed by residual level of risk.
        compliance_gap_days: days for a control gap that removes no register risk.
        effort: effort points by action.
        milestones: ``(title, fraction of the window)`` by action.
        nprm_timers: proposed NPRM patch timers by level.
        nprm_actions: actions the NPRM patch timers apply to.
        owner: owner of organization-wide items.
    """

    sla_days: Mapping[Level, int]
    compliance_gap_days: int
    effort: Mapping[PlanAction, int]
    milestones: Mapping[PlanAction, tuple[tuple[str, float], ...]]
    nprm_timers: Mapping[Level, NprmTimerSpec]
    nprm_actions: frozenset[PlanAction]
    owner: str


@cache
def load_remediation_catalog() -> RemediationCatalog:
    """The shipped ``remediation-sla.yaml``, validated (cached).

    Raises:
        CatalogError: the file is missing or invalid.
    """
    return load_catalog(CATALOG_NAME, RemediationCatalog)


@cache
def default_policy() -> RemediationPolicy:
    """The policy of the shipped data, with NPRM days read from the NPRM catalog.

    Raises:
        CatalogError: a catalog is invalid or names an NPRM requirement without ``max_days``.
    """
    data = load_remediation_catalog()
    nprm = {r.id: r for r in load_nprm().requirements}
    timers: dict[Level, NprmTimerSpec] = {}
    for level, requirement_id in data.nprm_patch_timers.items():
        requirement = nprm.get(requirement_id)
        if requirement is None:
            raise CatalogError(f"remediation-sla.yaml names unknown {requirement_id}")
        try:
            days = requirement.parameter("max_days").value
        except KeyError as exc:
            raise CatalogError(f"{requirement_id} has no max_days parameter") from exc
        timers[level] = NprmTimerSpec(requirement_id, requirement.title, int(days))
    return RemediationPolicy(
        sla_days=dict(data.sla_days),
        compliance_gap_days=data.compliance_gap_days,
        effort=dict(data.effort),
        milestones={a: tuple((m.title, m.at) for m in ms) for a, ms in data.milestones.items()},
        nprm_timers=timers,
        nprm_actions=frozenset(data.nprm_patch_actions),
        owner=data.default_owner,
    )


def _key(prefix: str, name: str, suffix: str = "") -> str:
    return f"{prefix}{name.replace(' ', '_').replace('-', '_')}{suffix}"


def remediation_policy(
    settings: Sequence[tuple[str, str]],
) -> tuple[RemediationPolicy, tuple[InputProblem, ...]]:
    """The default policy with the ``[settings]`` overrides applied (see module docstring).

    Args:
        settings: ``OrgConfig.settings`` (key, text) pairs.

    Returns:
        ``(policy, problems)``; an invalid value is a problem and leaves the default.
    """
    base = default_policy()
    values = dict(settings)
    problems: list[InputProblem] = []

    def whole(key: str, default: int) -> int:
        text = values.get(key)
        if text is None:
            return default
        if text.strip().isdigit() and int(text) >= 1:
            return int(text)
        problems.append(
            InputProblem(
                file=CONFIG_FILE,
                place=f"[settings] {key}",
                message=f"{text!r} is not a whole number ≥ 1; the default {default} is used",
                severity=ProblemSeverity.WARNING,
                collector="settings",
            )
        )
        return default

    sla = {lv: whole(_key("sla_", str(lv), "_days"), d) for lv, d in base.sla_days.items()}
    gap = whole("sla_compliance_gap_days", base.compliance_gap_days)
    effort = {a: whole(_key("effort_", str(a)), d) for a, d in base.effort.items()}
    owner = values.get("plan_owner", "").strip() or base.owner
    policy = RemediationPolicy(
        sla_days=sla,
        compliance_gap_days=gap,
        effort=effort,
        milestones=base.milestones,
        nprm_timers=base.nprm_timers,
        nprm_actions=base.nprm_actions,
        owner=owner,
    )
    return policy, tuple(problems)
