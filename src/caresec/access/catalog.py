"""The two access-review catalogs: explanation templates and detectors
(``access-explanations.yaml``) and CSV column-mapping presets with action vocabularies
(``access-presets.yaml``). Validated with pydantic at load; a failure is a packaging bug
(:class:`~caresec.errors.CatalogError`).
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from caresec.catalogs.loader import CatalogHeader, load_catalog
from caresec.model.access import AccessAction, AccessPattern

Relation = Literal[
    "encounter-provider",
    "care-team",
    "order",
    "appointment",
    "encounter-department",
    "appointment-department",
    "appointment-role",
    "discharged-encounter",
    "repeat",
]
KEY_OF_RELATION: dict[str, str] = {
    "encounter-provider": "user",
    "care-team": "user",
    "order": "user",
    "appointment": "user",
    "encounter-department": "department",
    "appointment-department": "department",
    "appointment-role": "role",
    "discharged-encounter": "role",
    "repeat": "user",
}

FIELDS: tuple[str, ...] = (
    "event_id", "time", "user_id", "user_role", "user_department", "patient_id", "action",
    "object", "workstation", "outcome", "break_glass", "break_glass_reason", "purpose",
)
"""The event fields a CSV column can map to (docs/access-review.md §Event schema)."""
REQUIRED_FIELDS: tuple[str, ...] = ("time", "user_id", "action")


class Template(BaseModel):
    """One explanation template.

    Attributes:
        id: stable id (``treating-provider``).
        label: a short name for evidence sentences (``treating provider``).
        priority: lower wins when several explain the same access.
        relation: the context relation it reads.
        key: ``user``, ``department`` or ``role``: what of the user must match.
        roles: for ``role`` keys, the roles (lower case) it applies to.
        before_hours, after_hours: widen the relation's span [start, stop].
        care_evidence: counts as care evidence for a break-the-glass access.
        text: what it means, in words.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    label: str
    priority: int = Field(ge=1)
    relation: Relation
    key: Literal["user", "department", "role"]
    roles: tuple[str, ...] = ()
    before_hours: int = Field(ge=0)
    after_hours: int = Field(ge=0)
    care_evidence: bool
    text: str

    @model_validator(mode="after")
    def _key_fits_relation(self) -> Template:
        if KEY_OF_RELATION[self.relation] != self.key:
            raise ValueError(f"template {self.id}: relation {self.relation} has key "
                             f"{KEY_OF_RELATION[self.relation]}, not {self.key}")
        if self.key == "role" and not self.roles:
            raise ValueError(f"template {self.id}: a role template must list roles")
        return self


class Detector(BaseModel):
    """One detector's configuration: its pattern, scope, base weight, first evidence sentence
    and the next step it recommends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: AccessPattern
    scope: Literal["unexplained", "all"]
    weight: float = Field(ge=0, le=100)
    evidence: str
    next_step: str


class Parameters(BaseModel):
    """Detector thresholds (see ``access-explanations.yaml`` for each one's meaning)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    break_glass_hours: int = Field(ge=1)
    deceased_grace_days: int = Field(ge=0)
    termination_grace_days: int = Field(ge=0)
    after_hours_own_share: float = Field(gt=0, lt=1)
    after_hours_role_share: float = Field(gt=0, lt=1)
    after_hours_min_days: int = Field(ge=1)
    after_hours_min_patients: int = Field(ge=1)
    volume_z: float = Field(gt=0)
    volume_min_unexplained: int = Field(ge=1)
    volume_min_lookups: int = Field(ge=1)
    new_workstation_baseline_days: int = Field(ge=0)
    new_workstation_department_share: float = Field(gt=0, lt=1)
    new_workstation_min_patients: int = Field(ge=1)


class ExplanationCatalog(CatalogHeader):
    """``access-explanations.yaml``: templates, detectors and parameters."""

    templates: tuple[Template, ...]
    detectors: tuple[Detector, ...]
    parameters: Parameters

    @model_validator(mode="after")
    def _complete(self) -> ExplanationCatalog:
        ids = [t.id for t in self.templates]
        if len(set(ids)) != len(ids):
            raise ValueError("template ids must be unique")
        priorities = [t.priority for t in self.templates]
        if len(set(priorities)) != len(priorities):
            raise ValueError("template priorities must be unique")
        if sum(t.relation == "repeat" for t in self.templates) > 1:
            raise ValueError("at most one repeat-access template")
        patterns = [d.pattern for d in self.detectors]
        if sorted(patterns) != sorted(AccessPattern):
            raise ValueError("every pattern needs exactly one detector")
        return self

    def detector(self, pattern: AccessPattern) -> Detector:
        """The detector of ``pattern``."""
        return next(d for d in self.detectors if d.pattern is pattern)

    def ordered(self) -> tuple[Template, ...]:
        """Templates in priority order."""
        return tuple(sorted(self.templates, key=lambda t: t.priority))


class Preset(BaseModel):
    """A CSV column mapping: caresec field → column name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    description: str
    columns: dict[str, str]

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; fields are {list(FIELDS)}")
        missing = [f for f in REQUIRED_FIELDS if f not in value]
        if missing:
            raise ValueError(f"required field(s) {missing} not mapped")
        return value


class PresetCatalog(CatalogHeader):
    """``access-presets.yaml``: presets, action/outcome vocabularies, DICOM and FHIR codes."""

    presets: tuple[Preset, ...]
    actions: dict[AccessAction, tuple[str, ...]]
    outcomes: dict[Literal["success", "failure"], tuple[str, ...]]
    truthy: tuple[str, ...]
    break_glass_codes: tuple[str, ...]
    dicom_events: dict[str, str]
    fhir_events: dict[str, str]

    @field_validator("dicom_events", "fhir_events")
    @classmethod
    def _actions(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = {a.value for a in AccessAction} | {"by-action"}
        bad = sorted(v for v in value.values() if v not in allowed)
        if bad:
            raise ValueError(f"unknown action(s) {bad}")
        return value

    def preset(self, preset_id: str) -> Preset | None:
        """The preset called ``preset_id``, or None."""
        return next((p for p in self.presets if p.id == preset_id), None)

    def action_words(self) -> dict[str, str]:
        """Lower-case word → action value, for every word of :attr:`actions`."""
        return {w.lower(): a.value for a, words in self.actions.items() for w in words}

    def outcome_words(self) -> dict[str, str]:
        """Lower-case word → ``success`` or ``failure``."""
        return {w.lower(): o for o, words in self.outcomes.items() for w in words}


@cache
def explanations() -> ExplanationCatalog:
    """``access-explanations.yaml``, validated (cached).

    Raises:
        CatalogError: the file is missing or invalid.
    """
    return load_catalog("access-explanations", ExplanationCatalog)


@cache
def presets() -> PresetCatalog:
    """``access-presets.yaml``, validated (cached).

    Raises:
        CatalogError: the file is missing or invalid.
    """
    return load_catalog("access-presets", PresetCatalog)
