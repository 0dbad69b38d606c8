"""The shipped catalogs by name: listing, loading (cached), JSON export, cross-references.

Every catalog is a YAML file ``caresec/catalogs/<name>.yaml`` validated at load by the pydantic
model registered here (:data:`CATALOGS`). A file's own validators check what it can check
alone; :func:`cross_reference_problems` checks references between files (HIPAA citations, CSF
2.0 ids, CPG ids, HICP practice numbers, NPRM requirement ids).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TypeVar

from caresec.catalogs.loader import CatalogHeader, ThreatEventCatalog, load_catalog
from caresec.catalogs.models import (
    CpgCatalog,
    CsfCatalog,
    HicpCatalog,
    HipaaElement,
    HipaaMappingsCatalog,
    HipaaSecurityRuleCatalog,
    NprmCatalog,
    OcrRiskAnalysisCatalog,
    QuestionBank,
)
from caresec.catalogs.nist800_30 import Nist80030Catalog
from caresec.errors import CatalogError

M = TypeVar("M", bound=CatalogHeader)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """How to load one catalog.

    Attributes:
        model: the pydantic model of the whole file.
        title: a short human title for listings.
    """

    model: type[CatalogHeader]
    title: str


CATALOGS: Mapping[str, CatalogEntry] = MappingProxyType(
    {
        "hipaa-security-rule": CatalogEntry(
            HipaaSecurityRuleCatalog, "HIPAA Security Rule standards and specifications"
        ),
        "hipaa-security-rule-nprm": CatalogEntry(
            NprmCatalog, "HIPAA Security Rule NPRM (proposed, not in force)"
        ),
        "nist-csf-2.0": CatalogEntry(CsfCatalog, "NIST CSF 2.0"),
        "hipaa-mappings": CatalogEntry(
            HipaaMappingsCatalog, "HIPAA to CSF 2.0 and SP 800-53 Rev. 5 (SP 800-66 Rev. 2)"
        ),
        "hicp-2023": CatalogEntry(HicpCatalog, "HHS 405(d) HICP 2023"),
        "hph-cpg": CatalogEntry(CpgCatalog, "HHS HPH Cybersecurity Performance Goals"),
        "ocr-risk-analysis-elements": CatalogEntry(
            OcrRiskAnalysisCatalog, "OCR risk analysis elements (2010 guidance)"
        ),
        "threat-events": CatalogEntry(ThreatEventCatalog, "Healthcare threat events"),
        "question-bank": CatalogEntry(QuestionBank, "Interview question bank"),
        "nist-800-30": CatalogEntry(Nist80030Catalog, "NIST SP 800-30 Rev. 1 assessment scales"),
    }
)


@cache
def load(name: str) -> CatalogHeader:
    """Load and validate the catalog called ``name`` (cached).

    Returns:
        an instance of ``CATALOGS[name].model``.

    Raises:
        CatalogError: unknown name, missing or invalid file, or the file's ``catalog`` field is
            not ``name``.
    """
    entry = CATALOGS.get(name)
    if entry is None:
        known = ", ".join(CATALOGS)
        raise CatalogError(f"unknown catalog '{name}'", hint=f"known catalogs: {known}")
    catalog = load_catalog(name, entry.model)
    if catalog.catalog != name:
        raise CatalogError(f"catalog '{name}.yaml' names itself '{catalog.catalog}'")
    return catalog


def list_catalogs() -> list[CatalogHeader]:
    """The header (catalog, version, title, source) of every shipped catalog, in
    :data:`CATALOGS` order.

    Raises:
        CatalogError: a catalog fails to load.
    """
    return [
        CatalogHeader(catalog=c.catalog, version=c.version, title=c.title, source=c.source)
        for c in (load(name) for name in CATALOGS)
    ]


def as_json(name: str) -> str:
    """The whole catalog ``name`` as indented JSON (field names as in the YAML file).

    Raises:
        CatalogError: see :func:`load`.
    """
    return load(name).model_dump_json(indent=2)


def _typed(name: str, model: type[M]) -> M:
    catalog = load(name)
    if not isinstance(catalog, model):  # pragma: no cover - CATALOGS guarantees the type
        raise CatalogError(f"catalog '{name}' is not a {model.__name__}")
    return catalog


def load_hipaa_security_rule() -> HipaaSecurityRuleCatalog:
    """``hipaa-security-rule.yaml`` (45 CFR 164.308-164.316)."""
    return _typed("hipaa-security-rule", HipaaSecurityRuleCatalog)


def load_nprm() -> NprmCatalog:
    """``hipaa-security-rule-nprm.yaml`` (90 FR 898; proposed, not in force)."""
    return _typed("hipaa-security-rule-nprm", NprmCatalog)


def load_csf() -> CsfCatalog:
    """``nist-csf-2.0.yaml`` (NIST CSWP 29)."""
    return _typed("nist-csf-2.0", CsfCatalog)


def load_hipaa_mappings() -> HipaaMappingsCatalog:
    """``hipaa-mappings.yaml`` (NIST SP 800-66 Rev. 2 via CPRT)."""
    return _typed("hipaa-mappings", HipaaMappingsCatalog)


def load_hicp() -> HicpCatalog:
    """``hicp-2023.yaml`` (HHS 405(d) HICP)."""
    return _typed("hicp-2023", HicpCatalog)


def load_cpgs() -> CpgCatalog:
    """``hph-cpg.yaml`` (HHS HPH CPGs, 2024)."""
    return _typed("hph-cpg", CpgCatalog)


def load_ocr_elements() -> OcrRiskAnalysisCatalog:
    """``ocr-risk-analysis-elements.yaml`` (OCR risk analysis guidance, 2010)."""
    return _typed("ocr-risk-analysis-elements", OcrRiskAnalysisCatalog)


def load_question_bank() -> QuestionBank:
    """``question-bank.yaml``."""
    return _typed("question-bank", QuestionBank)


@cache
def _hipaa_index() -> dict[str, HipaaElement]:
    return load_hipaa_security_rule().index()


def resolve_citation(citation: str) -> HipaaElement:
    """The HIPAA Security Rule element for ``citation`` or one of its aliases
    (``164.308(b)(4)`` → the written-contract specification at 164.308(b)(3)).

    Raises:
        CatalogError: the citation names no standard or implementation specification.
    """
    element = _hipaa_index().get(citation.strip().removeprefix("45 CFR ").removeprefix("§ "))
    if element is None:
        raise CatalogError(f"'{citation}' is not a HIPAA Security Rule standard or specification")
    return element


def _unknown(where: str, refs: Iterable[str], known: Iterable[str]) -> list[str]:
    known_set = set(known)
    return [f"{where}: unknown {ref!r}" for ref in refs if ref not in known_set]


def cross_reference_problems() -> list[str]:
    """Every reference between catalogs that does not resolve, as sentences (empty: all good).

    Checks: HIPAA citations (canonical citations only, not aliases) in mappings, NPRM,
    threat events, HICP, CPGs, OCR elements and questions; CSF 2.0 ids in mappings, HICP and
    CPGs; HICP practice numbers in CPGs; CPG ids, NPRM requirement ids and NPRM parameter names
    in questions; and that every HIPAA element has a mapping.

    Raises:
        CatalogError: a catalog fails to load.
    """
    rule = load_hipaa_security_rule()
    cites = [e.citation for e in rule.elements]
    csf = load_csf().subcategory_ids()
    hicp = load_hicp()
    practices = [str(p.number) for p in hicp.practices]
    cpgs = load_cpgs()
    nprm = {r.id: r for r in load_nprm().requirements}
    problems: list[str] = []

    mappings = load_hipaa_mappings()
    for m in mappings.mappings:
        problems += _unknown(f"hipaa-mappings {m.citation}", [m.citation], cites)
        problems += _unknown(f"hipaa-mappings {m.citation}", m.csf_2_0, csf)
    for t in mappings.csf_translation:
        problems += _unknown(f"hipaa-mappings translation {t.csf_1_1}", t.csf_2_0, csf)
    problems += [
        f"hipaa-mappings: no mapping for {c}" for c in cites if c not in mappings.by_citation()
    ]
    for r in nprm.values():
        problems += _unknown(f"nprm {r.id}", r.current_citations, cites)
    for te in _typed("threat-events", ThreatEventCatalog).threat_events:
        problems += _unknown(f"threat-events {te.id}", te.control_ids, cites)
        if not te.control_ids:
            problems.append(f"threat-events {te.id}: no control ids")
    for p in hicp.practices:
        problems += _unknown(f"hicp practice {p.number}", p.hipaa_citations, cites)
        problems += _unknown(f"hicp practice {p.number}", p.csf_2_0, csf)
    for g in cpgs.goals:
        problems += _unknown(f"hph-cpg {g.id}", g.hipaa_citations, cites)
        problems += _unknown(f"hph-cpg {g.id}", g.csf_2_0, csf)
        problems += _unknown(f"hph-cpg {g.id}", [str(n) for n in g.hicp_practices], practices)
    for e in load_ocr_elements().elements:
        problems += _unknown(f"ocr {e.id}", e.control_ids, cites)
    cpg_ids = [g.id for g in cpgs.goals]
    for q in load_question_bank().questions:
        problems += _unknown(f"question {q.id}", q.control_ids, cites)
        problems += _unknown(f"question {q.id}", q.cpg_ids, cpg_ids)
        if q.nprm_requirement is not None:
            req = nprm.get(q.nprm_requirement)
            if req is None:
                problems.append(f"question {q.id}: unknown NPRM requirement {q.nprm_requirement}")
            elif q.nprm_parameter is not None and q.nprm_parameter not in {
                p.name for p in req.parameters
            }:
                problems.append(
                    f"question {q.id}: {q.nprm_requirement} has no parameter {q.nprm_parameter}"
                )
    return problems
