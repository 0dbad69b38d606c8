"""Load and validate the shipped catalog files."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from caresec.errors import CatalogError

M = TypeVar("M", bound="CatalogHeader")


class CatalogHeader(BaseModel):
    """Fields every catalog file has.

    Attributes:
        catalog: the catalog's name (file stem).
        version: the catalog's own version (semver or date).
        source: citation of the document the data encodes.
        title: human title.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    catalog: str
    version: str
    title: str
    source: str


def _read(name: str) -> object:
    resource = files("caresec.catalogs").joinpath(f"{name}.yaml")
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(f"catalog '{name}' is not shipped with this caresec") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"catalog '{name}.yaml' is not valid YAML: {exc}") from exc


def load_catalog(name: str, model: type[M]) -> M:
    """Load ``caresec/catalogs/<name>.yaml`` and validate it against ``model``.

    Args:
        name: file stem, e.g. ``threat-events``.
        model: the pydantic model of the whole file (a :class:`CatalogHeader` subclass).

    Raises:
        CatalogError: the file is missing, not YAML, or fails validation.
    """
    data = _read(name)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"catalog '{name}.yaml' failed validation: {exc}") from exc


class ThreatEvent(BaseModel):
    """A threat event in NIST SP 800-30 Rev. 1 terms (Appendix D threat sources,
    Appendix E threat events).

    Attributes:
        id: stable id (``TE-RANSOMWARE``).
        title: short title.
        source_type: ``adversarial``, ``accidental``, ``structural`` or ``environmental``
            (SP 800-30 Rev. 1 Table D-2).
        description: what happens, in caresec's words.
        typical_vulnerabilities: conditions that enable it.
        control_ids: HIPAA Security Rule citations of the safeguards that counter it.
        needs_observation: True for a threat event that concerns a kind of asset or activity
            only some organizations have (clinical AI models, a malware sighting): control gaps
            are not mapped to it, so it enters the register only through findings that name it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^TE-[A-Z0-9-]+$")
    title: str
    source_type: str = Field(pattern=r"^(adversarial|accidental|structural|environmental)$")
    description: str
    typical_vulnerabilities: tuple[str, ...] = ()
    control_ids: tuple[str, ...] = ()
    needs_observation: bool = False


class ThreatEventCatalog(CatalogHeader):
    """The threat-events catalog file."""

    threat_events: tuple[ThreatEvent, ...]


@cache
def load_threat_events() -> dict[str, ThreatEvent]:
    """Threat events keyed by id, in catalog order.

    Raises:
        CatalogError: the catalog is invalid or has duplicate ids.
    """
    catalog = load_catalog("threat-events", ThreatEventCatalog)
    events: dict[str, ThreatEvent] = {}
    for event in catalog.threat_events:
        if event.id in events:
            raise CatalogError(f"threat-events.yaml: duplicate id {event.id}")
        events[event.id] = event
    return events
