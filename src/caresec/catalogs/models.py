"""Pydantic models of the regulatory and framework catalogs (``caresec/catalogs/*.yaml``).

Every model forbids unknown keys and is frozen. Validators check what one file can check on
its own (unique ids, well-formed ids, parent links, counts of kinds); references *between*
files (a question naming a HIPAA citation, a mapping naming a CSF id) are checked by
:func:`caresec.catalogs.registry.cross_reference_problems`.

Sources: 45 CFR 164.308-164.316; NIST CSWP 29 (CSF 2.0); NIST SP 800-66 Rev. 2 with the NIST
CPRT OLIR mappings; 90 FR 898 (HIPAA Security Rule NPRM); HHS 405(d) HICP 2023; HHS HPH
Cybersecurity Performance Goals (2024); HHS OCR Guidance on Risk Analysis (2010).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from caresec.catalogs.loader import CatalogHeader
from caresec.model.org import SizeTier

# A HIPAA Security Rule citation as caresec writes it: ``164.308(a)(1)(ii)(A)``, ``164.312(b)``.
HIPAA_CITATION = r"^164\.3(08|10|12|14|16)(\([a-z]\))(\(\d+\))?(\([ivx]+\))?(\([A-Z]\))?$"
CSF2_SUBCATEGORY = r"^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$"
CSF2_CATEGORY = r"^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}$"
CSF11_SUBCATEGORY = r"^(ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{1,2}$"
# NIST SP 800-53 Rev. 5 control or enhancement: ``AC-2``, ``SI-2(2)``, ``PE-3(1)``.
SP800_53_CONTROL = r"^[A-Z]{2}-[1-9]\d?(\([1-9]\d?\))?$"

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def _duplicates(values: list[str]) -> list[str]:
    return sorted(v for v, n in Counter(values).items() if n > 1)


def _require_unique(what: str, values: list[str]) -> None:
    dup = _duplicates(values)
    if dup:
        raise ValueError(f"duplicate {what}: {', '.join(dup)}")


# --------------------------------------------------------------------------- HIPAA Security Rule


class Safeguard(StrEnum):
    """Which section of 45 CFR Part 164 Subpart C an element sits in."""

    ADMINISTRATIVE = "administrative"  # § 164.308
    PHYSICAL = "physical"  # § 164.310
    TECHNICAL = "technical"  # § 164.312
    ORGANIZATIONAL = "organizational"  # § 164.314
    DOCUMENTATION = "documentation"  # § 164.316


SECTION_SAFEGUARD = {
    "164.308": Safeguard.ADMINISTRATIVE,
    "164.310": Safeguard.PHYSICAL,
    "164.312": Safeguard.TECHNICAL,
    "164.314": Safeguard.ORGANIZATIONAL,
    "164.316": Safeguard.DOCUMENTATION,
}


class HipaaElement(BaseModel):
    """One standard or implementation specification of the HIPAA Security Rule.

    Attributes:
        citation: the paragraph, ``164.308(a)(1)(ii)(A)`` (45 CFR omitted).
        kind: ``standard`` or ``implementation_specification``.
        title: the regulation's heading for the paragraph.
        safeguard: the section's category (§ 164.308 administrative ... § 164.316 documentation).
        status: ``required`` or ``addressable`` (§ 164.306(d)); standards are always required.
        standard: for an implementation specification, the citation of its standard.
        summary: what it asks, in caresec's words.
        aliases: other spellings of the citation found in official material (e.g. NIST's
            ``164.308(b)(4)`` for the paragraph renumbered (b)(3) in 2013, or ``164.312(a)``).
    """

    model_config = _FROZEN

    citation: str = Field(pattern=HIPAA_CITATION)
    kind: Literal["standard", "implementation_specification"]
    title: str = Field(min_length=1)
    safeguard: Safeguard
    status: Literal["required", "addressable"]
    standard: str | None = Field(default=None, pattern=HIPAA_CITATION)
    summary: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        section = self.citation[:7]
        if SECTION_SAFEGUARD[section] is not self.safeguard:
            raise ValueError(f"{self.citation}: safeguard {self.safeguard} is not § {section}'s")
        if self.kind == "standard":
            if self.standard is not None:
                raise ValueError(f"{self.citation}: a standard has no parent standard")
            if self.status != "required":
                raise ValueError(f"{self.citation}: every standard is required (§ 164.306(c))")
        elif self.standard is None or not self.citation.startswith(self.standard[:11]):
            raise ValueError(f"{self.citation}: implementation specification needs its standard")
        return self


class HipaaSecurityRuleCatalog(CatalogHeader):
    """``hipaa-security-rule.yaml``: every standard and implementation specification."""

    status: str
    elements: tuple[HipaaElement, ...]

    @model_validator(mode="after")
    def _links(self) -> Self:
        cites = [e.citation for e in self.elements]
        _require_unique("citation", cites + [a for e in self.elements for a in e.aliases])
        standards = {e.citation for e in self.elements if e.kind == "standard"}
        for e in self.elements:
            if e.standard is not None and e.standard not in standards:
                raise ValueError(f"{e.citation}: parent {e.standard} is not a standard here")
        return self

    @property
    def standards(self) -> tuple[HipaaElement, ...]:
        """The standards, in regulation order."""
        return tuple(e for e in self.elements if e.kind == "standard")

    @property
    def specifications(self) -> tuple[HipaaElement, ...]:
        """The implementation specifications, in regulation order."""
        return tuple(e for e in self.elements if e.kind == "implementation_specification")

    def specifications_of(self, standard: str) -> tuple[HipaaElement, ...]:
        """The implementation specifications of one standard (empty: the standard stands alone)."""
        return tuple(e for e in self.specifications if e.standard == standard)

    def index(self) -> dict[str, HipaaElement]:
        """Elements keyed by citation and by every alias."""
        out: dict[str, HipaaElement] = {}
        for e in self.elements:
            out[e.citation] = e
            for alias in e.aliases:
                out[alias] = e
        return out


# --------------------------------------------------------------------------- NPRM (proposed)


class NprmParameter(BaseModel):
    """A measurable value in a proposed requirement, for rules to test against.

    Attributes:
        name: what is measured: ``max_days``, ``max_hours``, ``max_months`` (an upper bound on
            an interval or age), or a boolean such as ``required``, ``written``, ``at_rest``.
        value: the proposed number, or ``true``/``false``.
        unit: ``days``, ``hours``, ``months`` or ``boolean``.
        applies_to: what the value bounds, in caresec's words.
    """

    model_config = _FROZEN

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    value: bool | int
    unit: Literal["days", "hours", "months", "boolean"]
    applies_to: str = Field(min_length=1)

    @model_validator(mode="after")
    def _typed(self) -> Self:
        is_bool = isinstance(self.value, bool)
        if is_bool != (self.unit == "boolean"):
            raise ValueError(f"{self.name}: unit {self.unit} does not fit value {self.value!r}")
        if not is_bool and self.value <= 0:
            raise ValueError(f"{self.name}: a duration must be positive")
        return self


class NprmRequirement(BaseModel):
    """A requirement proposed in the HIPAA Security Rule NPRM (90 FR 898). Not in force.

    Attributes:
        id: caresec's stable id, ``NPRM-PATCH-CRITICAL``.
        title: caresec's short title.
        proposed_section: the CFR section it would sit in (``164.312``), when known.
        proposed_citation: the proposed paragraph, only where caresec confirmed it.
        current_citations: the in-force HIPAA citations it builds on.
        description: what would be required, in caresec's words.
        parameters: measurable values (unique names).
    """

    model_config = _FROZEN

    id: str = Field(pattern=r"^NPRM-[A-Z0-9-]+$")
    title: str = Field(min_length=1)
    proposed_section: str | None = Field(default=None, pattern=r"^164\.3\d\d$")
    proposed_citation: str | None = Field(default=None, pattern=HIPAA_CITATION)
    current_citations: tuple[str, ...] = ()
    description: str = Field(min_length=1)
    parameters: tuple[NprmParameter, ...] = ()

    @model_validator(mode="after")
    def _unique_parameters(self) -> Self:
        _require_unique(f"{self.id} parameter", [p.name for p in self.parameters])
        if self.proposed_citation is not None and not self.proposed_citation.startswith(
            self.proposed_section or "-"
        ):
            raise ValueError(f"{self.id}: proposed citation outside proposed section")
        return self

    def parameter(self, name: str) -> NprmParameter:
        """The parameter called ``name``.

        Raises:
            KeyError: no such parameter.
        """
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"{self.id} has no parameter {name!r}")


class NprmCatalog(CatalogHeader):
    """``hipaa-security-rule-nprm.yaml``: proposed, not in force."""

    status: Literal["proposed, not in force"]
    federal_register: str
    published: date
    comments_closed: date
    requirements: tuple[NprmRequirement, ...]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        _require_unique("NPRM requirement id", [r.id for r in self.requirements])
        return self


# --------------------------------------------------------------------------- NIST CSF 2.0


class CsfFunction(BaseModel):
    """A CSF 2.0 function (``GV`` Govern)."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^(GV|ID|PR|DE|RS|RC)$")
    name: str = Field(min_length=1)


class CsfCategory(BaseModel):
    """A CSF 2.0 category (``PR.AA``); its function is the prefix before the dot."""

    model_config = _FROZEN

    id: str = Field(pattern=CSF2_CATEGORY)
    name: str = Field(min_length=1)

    @property
    def function(self) -> str:
        """The function id (``PR``)."""
        return self.id.split(".")[0]


class CsfSubcategory(BaseModel):
    """A CSF 2.0 subcategory (``PR.AA-01``) with caresec's short title."""

    model_config = _FROZEN

    id: str = Field(pattern=CSF2_SUBCATEGORY)
    title: str = Field(min_length=1)

    @property
    def category(self) -> str:
        """The category id (``PR.AA``)."""
        return self.id.split("-")[0]


class CsfCatalog(CatalogHeader):
    """``nist-csf-2.0.yaml``: functions, categories, subcategories."""

    functions: tuple[CsfFunction, ...]
    categories: tuple[CsfCategory, ...]
    subcategories: tuple[CsfSubcategory, ...]

    @model_validator(mode="after")
    def _tree(self) -> Self:
        _require_unique("function", [f.id for f in self.functions])
        _require_unique("category", [c.id for c in self.categories])
        _require_unique("subcategory", [s.id for s in self.subcategories])
        functions = {f.id for f in self.functions}
        categories = {c.id for c in self.categories}
        for c in self.categories:
            if c.function not in functions:
                raise ValueError(f"{c.id}: unknown function {c.function}")
        for s in self.subcategories:
            if s.category not in categories:
                raise ValueError(f"{s.id}: unknown category {s.category}")
        return self

    def subcategory_ids(self) -> frozenset[str]:
        """Every subcategory id."""
        return frozenset(s.id for s in self.subcategories)


# --------------------------------------------------------------------------- HIPAA mappings


class CsfTranslation(BaseModel):
    """Where a CSF 1.1 subcategory went in CSF 2.0.

    Attributes:
        csf_1_1: the CSF 1.1 id (``PR.AC-1``).
        csf_2_0: the CSF 2.0 subcategories it was kept as, moved to or incorporated into.
        relation: ``retained`` (same outcome, renumbered ``-0n``) or ``withdrawn``.
    """

    model_config = _FROZEN

    csf_1_1: str = Field(pattern=CSF11_SUBCATEGORY)
    csf_2_0: tuple[str, ...]
    relation: Literal["retained", "withdrawn"]
    note: str | None = None


class HipaaMapping(BaseModel):
    """One HIPAA Security Rule element mapped to CSF and SP 800-53 Rev. 5.

    Attributes:
        citation: the HIPAA citation (as in ``hipaa-security-rule.yaml``).
        csf_1_1: the CSF 1.1 subcategories NIST's mapping gives.
        csf_2_0: the same, translated to CSF 2.0 through ``csf_translation``.
        sp800_53: SP 800-53 Rev. 5 controls NIST's mapping gives (``AC-2``, ``PE-3(1)``).
    """

    model_config = _FROZEN

    citation: str = Field(pattern=HIPAA_CITATION)
    csf_1_1: tuple[str, ...]
    csf_2_0: tuple[str, ...]
    sp800_53: tuple[str, ...]

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        for c in self.csf_1_1:
            if not re.match(CSF11_SUBCATEGORY, c):
                raise ValueError(f"{self.citation}: bad CSF 1.1 id {c!r}")
        for c in self.csf_2_0:
            if not re.match(CSF2_SUBCATEGORY, c):
                raise ValueError(f"{self.citation}: bad CSF 2.0 id {c!r}")
        for c in self.sp800_53:
            if not re.match(SP800_53_CONTROL, c):
                raise ValueError(f"{self.citation}: bad SP 800-53 id {c!r}")
        return self


class HipaaMappingsCatalog(CatalogHeader):
    """``hipaa-mappings.yaml``: HIPAA citation → CSF 2.0 and SP 800-53 Rev. 5.

    The ``csf_2_0`` of every mapping must equal, as a set, the union of the translations of
    its ``csf_1_1`` ids.
    """

    notes: str
    csf_translation: tuple[CsfTranslation, ...]
    mappings: tuple[HipaaMapping, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _require_unique("CSF 1.1 translation", [t.csf_1_1 for t in self.csf_translation])
        _require_unique("mapped citation", [m.citation for m in self.mappings])
        table = {t.csf_1_1: t.csf_2_0 for t in self.csf_translation}
        for m in self.mappings:
            missing = [c for c in m.csf_1_1 if c not in table]
            if missing:
                raise ValueError(f"{m.citation}: no CSF 2.0 translation for {missing}")
            expected = {t for c in m.csf_1_1 for t in table[c]}
            if expected != set(m.csf_2_0):
                raise ValueError(f"{m.citation}: csf_2_0 is not the translation of csf_1_1")
        return self

    def by_citation(self) -> dict[str, HipaaMapping]:
        """Mappings keyed by HIPAA citation."""
        return {m.citation: m for m in self.mappings}


# --------------------------------------------------------------------------- HICP 2023

#: Where a sub-practice's id, tier and heading were last checked: HICP Technical Volume 1
#: (small organizations) or 2 (medium and large), and the edition (``TV1-2018``, ``TV2-2023``).
HICP_CHECKED_AGAINST = r"^TV[12]-(2018|2023)$"


class HicpThreat(BaseModel):
    """One of the five threats HICP is built around."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^HICP-T[1-5]$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)


class HicpSubPractice(BaseModel):
    """A sub-practice (``7.M.D``): practice number, size letter, letter in the practice.

    ``S`` sub-practices are HICP Technical Volume 1's ("Sub-Practices for Small
    Organizations"); ``M`` and ``L`` ones Technical Volume 2's, where medium sub-practices
    apply to medium and large organizations and large ones mainly to large organizations
    (Technical Volume 2, "Document Guide"). Which tiers an organization is shown is the
    catalog's ``tier_rule`` (:meth:`HicpCatalog.sub_practices_for`).

    Attributes:
        id: ``<practice>.<S|M|L>.<letter>``.
        title: a short heading (the publication's for ``M``/``L``, caresec's words for ``S``).
        tier: the organization size the sub-practice is written for; must match the letter.
        checked_against: the volume and edition the id and tier were checked against
            (``TV1-2018``: Technical Volume 1, 2018 edition); ``None`` when no copy of the
            text was at hand to check it. The volume must match the tier (``S`` → TV1).
    """

    model_config = _FROZEN

    id: str = Field(pattern=r"^([1-9]|10)\.[SML]\.[A-Z]$")
    title: str = Field(min_length=1)
    tier: SizeTier
    checked_against: Annotated[str, Field(pattern=HICP_CHECKED_AGAINST)] | None

    @model_validator(mode="after")
    def _tier_letter(self) -> Self:
        if self.id.split(".")[1] != self.tier.value[0].upper():
            raise ValueError(f"{self.id}: tier {self.tier} does not match the id")
        if self.checked_against is not None:
            volume = "TV1" if self.tier is SizeTier.SMALL else "TV2"
            if not self.checked_against.startswith(volume):
                raise ValueError(
                    f"{self.id}: a {self.tier} sub-practice is in {volume}, "
                    f"not {self.checked_against}"
                )
        return self

    @property
    def practice(self) -> int:
        """The practice number (``7``)."""
        return int(self.id.split(".")[0])


class HicpPractice(BaseModel):
    """One of the ten HICP cybersecurity practices.

    Attributes:
        number: 1-10.
        title: the practice name in the 2023 edition.
        tiers: organization sizes it is written for; every sub-practice's tier is one of them.
        threats: ids of the threats it mitigates.
        sub_practices: its sub-practices (see :class:`HicpSubPractice`), ``S`` then ``M``
            then ``L``.
        hipaa_citations, csf_2_0: caresec's alignment, not the publication's mapping.
    """

    model_config = _FROZEN

    number: int = Field(ge=1, le=10)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    tiers: tuple[SizeTier, ...]
    threats: tuple[str, ...]
    sub_practices: tuple[HicpSubPractice, ...] = ()
    hipaa_citations: tuple[str, ...] = ()
    csf_2_0: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _own_sub_practices(self) -> Self:
        for sp in self.sub_practices:
            if sp.practice != self.number:
                raise ValueError(f"{sp.id} listed under practice {self.number}")
            if sp.tier not in self.tiers:
                raise ValueError(f"{sp.id}: practice {self.number} is not written for {sp.tier}")
        return self


class HicpCatalog(CatalogHeader):
    """``hicp-2023.yaml``: the 10 practices, their sub-practices and the 5 threats.

    Attributes:
        sub_practice_source: where the sub-practice ids, tiers and headings come from.
        tier_rule: for each organization size, the sub-practice tiers it is shown, e.g.
            ``large: [medium, large]``; every size is a key and is in its own list.
        tier_rule_basis: why (the HICP text the rule follows).
        mapping_basis: what the HIPAA and CSF 2.0 alignment is.
    """

    sub_practice_source: str
    tier_rule: dict[SizeTier, tuple[SizeTier, ...]]
    tier_rule_basis: str = Field(min_length=1)
    mapping_basis: str
    threats: tuple[HicpThreat, ...]
    practices: tuple[HicpPractice, ...]

    @model_validator(mode="after")
    def _links(self) -> Self:
        _require_unique("threat", [t.id for t in self.threats])
        _require_unique("practice", [str(p.number) for p in self.practices])
        _require_unique("sub-practice", [s.id for p in self.practices for s in p.sub_practices])
        threats = {t.id for t in self.threats}
        for p in self.practices:
            unknown = [t for t in p.threats if t not in threats]
            if unknown:
                raise ValueError(f"practice {p.number}: unknown threats {unknown}")
        missing = [t.value for t in SizeTier if t not in self.tier_rule]
        if missing:
            raise ValueError(f"tier_rule: no rule for {', '.join(missing)}")
        for size, shown in self.tier_rule.items():
            if size not in shown:
                raise ValueError(f"tier_rule: a {size} organization must see {size} sub-practices")
        return self

    def sub_practices_for(
        self, practice: HicpPractice, size: SizeTier
    ) -> tuple[HicpSubPractice, ...]:
        """The sub-practices of ``practice`` an organization of ``size`` is shown, in file order
        (``tier_rule``: small → ``S``; medium → ``M``; large → ``M`` and ``L``)."""
        shown = self.tier_rule[size]
        return tuple(sp for sp in practice.sub_practices if sp.tier in shown)


# --------------------------------------------------------------------------- HPH CPGs


class Cpg(BaseModel):
    """One HHS Healthcare and Public Health Cybersecurity Performance Goal.

    Attributes:
        id: ``CPG-ESS-01``..``CPG-ESS-10`` (essential), ``CPG-ENH-01``..``CPG-ENH-10`` (enhanced),
            numbered in the order HHS lists the goals.
        tier: ``essential`` or ``enhanced``.
        title: the goal's name.
        description: what it asks, in caresec's words.
        hicp_practices, csf_2_0, hipaa_citations: caresec's alignment (see ``mapping_basis``).
    """

    model_config = _FROZEN

    id: str = Field(pattern=r"^CPG-(ESS|ENH)-\d{2}$")
    tier: Literal["essential", "enhanced"]
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    hicp_practices: tuple[int, ...] = ()
    csf_2_0: tuple[str, ...] = ()
    hipaa_citations: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _tier_prefix(self) -> Self:
        if (self.id[4:7] == "ESS") != (self.tier == "essential"):
            raise ValueError(f"{self.id}: tier {self.tier} does not match the id")
        return self


class CpgCatalog(CatalogHeader):
    """``hph-cpg.yaml``: the 10 essential and 10 enhanced goals."""

    mapping_basis: str
    goals: tuple[Cpg, ...]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        _require_unique("CPG id", [g.id for g in self.goals])
        return self


# --------------------------------------------------------------------------- OCR risk analysis


class OcrElement(BaseModel):
    """One of the nine elements of a risk analysis in HHS OCR's 2010 guidance.

    Attributes:
        number: 1-9, in the guidance's order.
        id: ``OCR-RA-1``..``OCR-RA-9``.
        title: the element's heading.
        description: what it asks, in caresec's words.
        control_ids: HIPAA citations it serves.
    """

    model_config = _FROZEN

    number: int = Field(ge=1, le=9)
    id: str = Field(pattern=r"^OCR-RA-[1-9]$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    control_ids: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _id_number(self) -> Self:
        if self.id != f"OCR-RA-{self.number}":
            raise ValueError(f"{self.id}: does not match number {self.number}")
        return self


class OcrRiskAnalysisCatalog(CatalogHeader):
    """``ocr-risk-analysis-elements.yaml``."""

    elements: tuple[OcrElement, ...]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if [e.number for e in self.elements] != list(range(1, len(self.elements) + 1)):
            raise ValueError("elements must be numbered 1, 2, 3 ... in order")
        return self


# --------------------------------------------------------------------------- question bank


class Answer(StrEnum):
    """An answer to a question-bank question."""

    YES = "yes"
    PARTIAL = "partial"
    NO = "no"
    NA = "na"


QUESTION_ID = r"^Q-3(08|10|12|14|16)-[a-z]\d*(-[ivx]+[A-Z]?)?(-[ivx]+)?-\d{2}$"


def question_stem(citation: str) -> str:
    """The id stem caresec derives from a HIPAA citation for question ids.

    ``164.308(a)(1)(ii)(A)`` → ``308-a1-iiA``; ``164.312(b)`` → ``312-b``;
    ``164.314(b)(2)(iv)`` → ``314-b2-iv``.
    """
    section, _, rest = citation.partition("(")
    parts: list[str] = re.findall(r"\(([^)]+)\)", "(" + rest)
    head = parts[0] + (parts[1] if len(parts) > 1 else "")
    tail = "".join(parts[2:])
    return section[4:] + "-" + head + (f"-{tail}" if tail else "")


class Question(BaseModel):
    """One question of the interview question bank.

    Attributes:
        id: ``Q-<stem of the first control id>-<nn>`` (see :func:`question_stem`).
        text: the question, in caresec's words.
        help: what a good answer looks like.
        answers: allowed answers (``yes``, ``partial``, ``no``, ``na``).
        control_ids: HIPAA citations the answer is evidence for (first one names the id).
        cpg_ids: HPH CPG ids it also evidences.
        evidence: documents or records that prove a ``yes``.
        nprm_requirement, nprm_parameter: a proposed (not in force) NPRM requirement and, when
            the question measures one, its parameter name (``max_days``).
    """

    model_config = _FROZEN

    id: str = Field(pattern=QUESTION_ID)
    text: str = Field(min_length=1)
    help: str = Field(min_length=1)
    answers: tuple[Answer, ...] = (Answer.YES, Answer.PARTIAL, Answer.NO, Answer.NA)
    control_ids: tuple[str, ...] = Field(min_length=1)
    cpg_ids: tuple[str, ...] = ()
    evidence: tuple[str, ...] = Field(min_length=1)
    nprm_requirement: str | None = None
    nprm_parameter: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        stem = question_stem(self.control_ids[0])
        if not self.id.startswith(f"Q-{stem}-") or len(self.id) != len(stem) + 5:
            raise ValueError(f"{self.id}: id must be Q-{stem}-NN (first control id)")
        if self.nprm_parameter is not None and self.nprm_requirement is None:
            raise ValueError(f"{self.id}: nprm_parameter needs nprm_requirement")
        if Answer.YES not in self.answers or Answer.NO not in self.answers:
            raise ValueError(f"{self.id}: answers must include yes and no")
        return self


class QuestionBank(CatalogHeader):
    """``question-bank.yaml``."""

    questions: tuple[Question, ...]

    @model_validator(mode="after")
    def _unique(self) -> Self:
        _require_unique("question id", [q.id for q in self.questions])
        return self
