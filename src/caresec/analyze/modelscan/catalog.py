"""The model-security catalog: allow-lists per framework, Keras/ONNX lists, finding mappings.

Data lives in ``caresec/catalogs/model-security.yaml``; this module validates it (pydantic) and
turns it into lookups. The sources of each list are cited in the file's ``source`` field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from caresec.catalogs.loader import CatalogHeader, load_catalog, load_threat_events
from caresec.errors import CatalogError


class _Framework(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    description: str
    extends: tuple[str, ...] = ()
    persistent_ids: str = Field(default="reject", pattern=r"^(reject|torch)$")
    globals: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class _KnownDangerous(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    modules: tuple[str, ...]
    globals: tuple[str, ...]


class _Keras(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allowed_modules: tuple[str, ...]
    denied_classes: tuple[str, ...]
    legacy_classes: tuple[str, ...]


class _Onnx(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    standard_domains: tuple[str, ...]


class ReviewedFlag(BaseModel):
    """A public scanner's flag on one import that caresec reviewed and waives.

    Attributes:
        scanner: ``fickling``, ``picklescan`` or ``modelscan``.
        global_: the import, ``module.name``.
        reason: why the flag is a false positive.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    scanner: str = Field(pattern=r"^(picklescan|fickling|modelscan)$")
    global_: str = Field(alias="global")
    reason: str


class FindingMapping(BaseModel):
    """How one model-inventory check maps to controls and to AI threat taxonomies.

    Attributes:
        check: the check id (``blocked-model``, ``hash-mismatch`` …).
        title: finding title.
        severity: ``critical`` … ``low``.
        control_ids: HIPAA Security Rule citations.
        atlas: MITRE ATLAS technique ids.
        owasp_ml: OWASP Machine Learning Security Top 10 (2023) ids.
        threat_event_ids: threat events (``threat-events.yaml``, NIST SP 800-30 Rev. 1
            Appendix E terms) the finding enables; each must exist in that catalog.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    title: str
    severity: str = Field(pattern=r"^(critical|high|medium|low)$")
    control_ids: tuple[str, ...]
    atlas: tuple[Annotated[str, Field(pattern=r"^AML\.T\d{4}(\.\d{3})?$")], ...] = ()
    owasp_ml: tuple[Annotated[str, Field(pattern=r"^ML\d{2}:2023$")], ...] = ()
    threat_event_ids: tuple[Annotated[str, Field(pattern=r"^TE-[A-Z0-9-]+$")], ...] = Field(
        min_length=1)


class ModelSecurityCatalog(CatalogHeader):
    """The whole ``model-security.yaml`` file."""

    frameworks: tuple[_Framework, ...]
    torch_storage_element_sizes: dict[str, int]
    known_dangerous: _KnownDangerous
    reviewed_scanner_flags: tuple[ReviewedFlag, ...] = ()
    keras: _Keras
    onnx: _Onnx
    findings: tuple[FindingMapping, ...]


@dataclass(frozen=True, slots=True)
class AllowList:
    """The globals one framework admits (default deny).

    Attributes:
        framework: framework id.
        allowed: ``(module, name)`` pairs.
        persistent: ``reject`` or ``torch`` (how persistent ids are read).
    """

    framework: str
    allowed: frozenset[tuple[str, str]]
    persistent: str

    def admits(self, module: str, name: str) -> bool:
        """True when ``module.name`` is on the list (exact match; no wildcards)."""
        return (module, name) in self.allowed

    def extended(self, extra: frozenset[tuple[str, str]]) -> AllowList:
        """This list plus ``extra`` pairs (user-reviewed additions)."""
        return AllowList(self.framework, self.allowed | extra, self.persistent)


@dataclass(frozen=True, slots=True)
class ModelSecurity:
    """Validated catalog lookups.

    Attributes:
        allow_lists: framework id → :class:`AllowList` (``extends`` resolved).
        storage_sizes: PyTorch storage class name → element size in bytes.
        dangerous_modules, dangerous_globals: labels for reporting.
        keras_modules, keras_denied, keras_legacy: Keras lists.
        onnx_domains: standard ONNX operator domains.
        findings: check id → :class:`FindingMapping`.
        reviewed_flags: ``(scanner, module.name)`` pairs whose flags are waived.
    """

    allow_lists: dict[str, AllowList]
    storage_sizes: dict[str, int]
    dangerous_modules: frozenset[str]
    dangerous_globals: frozenset[str]
    keras_modules: frozenset[str]
    keras_denied: frozenset[str]
    keras_legacy: frozenset[str]
    onnx_domains: frozenset[str]
    findings: dict[str, FindingMapping]
    reviewed_flags: frozenset[tuple[str, str]] = frozenset()

    def is_dangerous(self, module: str, name: str) -> bool:
        """True when the import is on the known-dangerous label list (module or submodule)."""
        if f"{module}.{name}" in self.dangerous_globals:
            return True
        parts = module.split(".")
        return any(".".join(parts[:i]) in self.dangerous_modules for i in range(1, len(parts) + 1))


@cache
def model_security() -> ModelSecurity:
    """Load and check ``model-security.yaml`` once.

    Raises:
        CatalogError: invalid file, unknown ``extends`` target, a cycle, or a finding mapping
            naming a threat event missing from ``threat-events.yaml``.
    """
    catalog = load_catalog("model-security", ModelSecurityCatalog)
    events = load_threat_events()
    for mapping in catalog.findings:
        unknown = [te for te in mapping.threat_event_ids if te not in events]
        if unknown:
            raise CatalogError(f"model-security.yaml: finding {mapping.check} names unknown "
                               f"threat event(s) {', '.join(unknown)}")
    by_id = {fw.id: fw for fw in catalog.frameworks}
    if len(by_id) != len(catalog.frameworks):
        raise CatalogError("model-security.yaml: duplicate framework id")

    def resolve(fid: str, seen: tuple[str, ...]) -> set[tuple[str, str]]:
        if fid in seen:
            raise CatalogError(f"model-security.yaml: framework {fid} extends itself")
        if fid not in by_id:
            raise CatalogError(f"model-security.yaml: unknown framework {fid} in extends")
        fw = by_id[fid]
        pairs = {(module, name) for module, names in fw.globals.items() for name in names}
        for parent in fw.extends:
            pairs |= resolve(parent, (*seen, fid))
        return pairs

    allow_lists = {
        fid: AllowList(fid, frozenset(resolve(fid, ())), fw.persistent_ids)
        for fid, fw in by_id.items()
    }
    return ModelSecurity(
        allow_lists=allow_lists,
        storage_sizes=dict(catalog.torch_storage_element_sizes),
        dangerous_modules=frozenset(catalog.known_dangerous.modules),
        dangerous_globals=frozenset(catalog.known_dangerous.globals),
        keras_modules=frozenset(catalog.keras.allowed_modules),
        keras_denied=frozenset(catalog.keras.denied_classes),
        keras_legacy=frozenset(catalog.keras.legacy_classes),
        onnx_domains=frozenset(catalog.onnx.standard_domains),
        findings={f.check: f for f in catalog.findings},
        reviewed_flags=frozenset((r.scanner, r.global_) for r in catalog.reviewed_scanner_flags),
    )
