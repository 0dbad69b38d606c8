"""Medical-device records: CSAF advisories, CVE/CPE records, VEX, MDS2, SSVC and the patch plan.

Sources the records follow: OASIS CSAF 2.0 (§3.1 product tree, §3.2.3 vulnerabilities),
CVE JSON 5.1 record format, NVD CVE API 2.0 (``configurations``), CPE 2.3 (NISTIR 7695/7696),
CycloneDX 1.4–1.6 ``vulnerabilities[].analysis``, OpenVEX 0.2.0, MDS2 (ANSI/NEMA HN 1-2019),
and SSVC (CISA Coordinator decision table 2.0.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from caresec.model.advisory import SeverityVector
from caresec.model.asset import ClinicalCriticality
from caresec.model.finding import Evidence

# --- CSAF 2.0 --------------------------------------------------------------------------------


class ProductStatus(StrEnum):
    """CSAF 2.0 §3.2.3.9 ``product_status`` groups."""

    FIRST_AFFECTED = "first_affected"
    FIRST_FIXED = "first_fixed"
    FIXED = "fixed"
    KNOWN_AFFECTED = "known_affected"
    KNOWN_NOT_AFFECTED = "known_not_affected"
    LAST_AFFECTED = "last_affected"
    RECOMMENDED = "recommended"
    UNDER_INVESTIGATION = "under_investigation"

    @property
    def affected(self) -> bool:
        """True for the groups that say the product is vulnerable."""
        return self in {ProductStatus.FIRST_AFFECTED, ProductStatus.KNOWN_AFFECTED,
                        ProductStatus.LAST_AFFECTED}


class RemediationCategory(StrEnum):
    """CSAF 2.0 §3.2.3.12.1 remediation categories."""

    MITIGATION = "mitigation"
    NO_FIX_PLANNED = "no_fix_planned"
    NONE_AVAILABLE = "none_available"
    VENDOR_FIX = "vendor_fix"
    WORKAROUND = "workaround"


@dataclass(frozen=True, slots=True)
class CsafProduct:
    """One leaf of a CSAF product tree (CSAF 2.0 §3.1.2).

    Attributes:
        product_id: the document's ``product_id`` (``CSAFPID-0001``).
        name: the full product name (``product.name``).
        vendor: the ``vendor`` branch name above it ("" when none).
        product_name: the ``product_name`` branch names above it, joined by `` / ``.
        version: the ``product_version`` or ``product_version_range`` branch name ("" = none).
        version_is_range: True when ``version`` came from a ``product_version_range`` branch.
        cpe: ``product_identification_helper.cpe`` when given.
        purls: ``product_identification_helper.purl`` (or ``purls``) when given.
        place: JSON pointer of the product in the document.
    """

    product_id: str
    name: str
    vendor: str = ""
    product_name: str = ""
    version: str = ""
    version_is_range: bool = False
    cpe: str = ""
    purls: tuple[str, ...] = ()
    place: str = ""


@dataclass(frozen=True, slots=True)
class CsafRemediation:
    """CSAF 2.0 §3.2.3.12 remediation: category, the advisory's text and URL, its products."""

    category: RemediationCategory
    details: str
    url: str = ""
    product_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CsafScore:
    """CSAF 2.0 §3.2.3.13 score: one CVSS vector (``CVSS_V3``/``CVSS_V2``), the base score the
    document states (None when absent) and the products it applies to."""

    vector_type: str
    vector: str
    base_score: float | None
    product_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CsafVulnerability:
    """CSAF 2.0 §3.2.3 vulnerability.

    Attributes:
        cve: the CVE id ("" when the document gives none).
        ids: other ids (``ids[].text``).
        title: ``title`` or the first summary note ("" when none).
        cwe_id: ``cwe.id`` (``CWE-798``) or "".
        product_status: each status group with its product ids.
        remediations: remediations in document order.
        scores: CVSS scores.
        impacts: CSAF VEX impact statements: ``threats[category=impact]`` details with their
            product ids.
        flags: CSAF VEX ``flags`` labels (``vulnerable_code_not_present`` …) with product ids.
    """

    cve: str
    product_status: tuple[tuple[ProductStatus, tuple[str, ...]], ...]
    remediations: tuple[CsafRemediation, ...] = ()
    scores: tuple[CsafScore, ...] = ()
    ids: tuple[str, ...] = ()
    title: str = ""
    cwe_id: str = ""
    impacts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    flags: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def vulnerability_id(self) -> str:
        """The CVE id, else the first other id."""
        return self.cve or (self.ids[0] if self.ids else "")

    def products_with(self, *statuses: ProductStatus) -> tuple[str, ...]:
        """Product ids listed under any of ``statuses``, in document order."""
        found: list[str] = []
        for status, ids in self.product_status:
            if status in statuses:
                found.extend(i for i in ids if i not in found)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class CsafAdvisory:
    """One CSAF 2.0 document (security advisory or VEX).

    Attributes:
        advisory_id: ``document.tracking.id`` (``ICSMA-22-174-01``).
        title: ``document.title``.
        category: ``document.category`` (``csaf_security_advisory``, ``csaf_vex`` …).
        publisher: ``document.publisher.name``.
        initial_release, current_release: ``document.tracking`` dates.
        products: every product-tree leaf.
        vulnerabilities: every vulnerability.
        exploitability: the text of a ``document.notes`` entry titled "Exploitability"
            (CISA ICS advisories state known public exploits there), "" when none.
        references: ``document.references`` URLs of category ``self``.
        source: the file it was read from.
    """

    advisory_id: str
    title: str
    category: str
    products: tuple[CsafProduct, ...]
    vulnerabilities: tuple[CsafVulnerability, ...]
    publisher: str = ""
    initial_release: date | None = None
    current_release: date | None = None
    exploitability: str = ""
    references: tuple[str, ...] = ()
    source: str = ""

    def product(self, product_id: str) -> CsafProduct | None:
        """The product with ``product_id``, or None."""
        return next((p for p in self.products if p.product_id == product_id), None)


# --- device matching ---------------------------------------------------------------------------


class MatchBasis(StrEnum):
    """Why an inventory device was matched to an advisory product.

    ``exact version``: the device version equals a listed ``product_version``;
    ``range``: it lies in a ``vers:`` range (``vers:all/*`` included);
    ``parsed free text``: it lies in a range read from text such as ``< 3.1``, ``3.0 and prior``,
    ``versions 2.x``; ``name only``: vendor and product match but the version could not be
    judged (unparseable advisory text, or no device version), so the match is a lead to check.
    """

    EXACT_VERSION = "exact version"
    RANGE = "range"
    FREE_TEXT = "parsed free text"
    NAME_ONLY = "name only"


class Confidence(StrEnum):
    """How sure a device match is: ``high``, ``medium``, ``low``."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class DeviceMatch:
    """One inventory device matched to one product of one CSAF advisory.

    Attributes:
        asset_id: the inventory asset.
        advisory: the advisory.
        product: the matched product leaf.
        cve_ids: the vulnerabilities (CVE or other id) listing the product as affected.
        basis: :class:`MatchBasis`.
        confidence: :class:`Confidence`.
        reason: a sentence naming vendor, product and version evidence.
        fixed_versions: versions the advisory range names as the first unaffected ones.
        remediations: the advisory's remediations for this product, every vulnerability.
        device: the device as the inventory names it (``vendor model``).
        device_version: the inventory version ("" when none).
    """

    asset_id: str
    advisory: CsafAdvisory
    product: CsafProduct
    cve_ids: tuple[str, ...]
    basis: MatchBasis
    confidence: Confidence
    reason: str
    fixed_versions: tuple[str, ...] = ()
    remediations: tuple[CsafRemediation, ...] = ()
    device: str = ""
    device_version: str = ""

    @property
    def mitigation_only(self) -> bool:
        """True when the advisory offers this product no ``vendor_fix``."""
        return not any(r.category is RemediationCategory.VENDOR_FIX for r in self.remediations)


@dataclass(frozen=True, slots=True)
class UnparsedVersion:
    """An advisory product version that could not be read as a version or range.

    Attributes:
        advisory_id, product_id: where it is.
        product: ``vendor / product`` as the advisory spells it.
        text: the version text (``< august 28``).
        reason: why it was not read.
        asset_ids: devices that match the product by name (reported as ``name only``).
        source: the advisory file.
    """

    advisory_id: str
    product_id: str
    product: str
    text: str
    reason: str
    asset_ids: tuple[str, ...] = ()
    source: str = ""


# --- CVE records and CPE applicability --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpeCriterion:
    """One NVD ``cpeMatch`` entry (NVD CVE API 2.0) or one CVE 5 ``affected`` version entry.

    Attributes:
        criteria: CPE 2.3 formatted string.
        vulnerable: False for platforms the vulnerable product runs on/with (not targets).
        version_start_including, version_start_excluding, version_end_including,
            version_end_excluding: range bounds ("" when absent).
        origin: where it came from (``NVD configurations``, ``CVE 5 affected[0]`` …).
    """

    criteria: str
    vulnerable: bool = True
    version_start_including: str = ""
    version_start_excluding: str = ""
    version_end_including: str = ""
    version_end_excluding: str = ""
    origin: str = ""

    def describe(self) -> str:
        """``cpe:2.3:a:nextgen:mirth_connect:*:… versions [4.0, 4.4.1)`` style text."""
        bounds: list[str] = []
        if self.version_start_including:
            bounds.append(f">= {self.version_start_including}")
        if self.version_start_excluding:
            bounds.append(f"> {self.version_start_excluding}")
        if self.version_end_including:
            bounds.append(f"<= {self.version_end_including}")
        if self.version_end_excluding:
            bounds.append(f"< {self.version_end_excluding}")
        return self.criteria + (f" ({', '.join(bounds)})" if bounds else "")


@dataclass(frozen=True, slots=True)
class CpeNode:
    """NVD configuration node: ``operator`` (``OR``/``AND``), ``negate``, its criteria."""

    operator: str
    matches: tuple[CpeCriterion, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class CpeConfiguration:
    """NVD configuration: nodes combined by ``operator`` (``AND`` for "running on/with")."""

    nodes: tuple[CpeNode, ...]
    operator: str = "OR"
    negate: bool = False


@dataclass(frozen=True, slots=True)
class SsvcOptions:
    """SSVC decision points a record states (CISA ADP ``other.type = ssvc``).

    Values as SSVC spells them: exploitation ``none``/``poc``/``active``, automatable
    ``yes``/``no``, technical impact ``partial``/``total`` ("" when not stated).
    """

    exploitation: str = ""
    automatable: str = ""
    technical_impact: str = ""
    role: str = ""


@dataclass(frozen=True, slots=True)
class CveRecord:
    """One CVE with its CPE applicability, from a CVE JSON 5 record or NVD CVE API 2.0 JSON.

    Attributes:
        cve_id: ``CVE-YYYY-NNNN``.
        summary: the English description.
        configurations: CPE applicability.
        severity: CVSS vectors (CNA, ADP or NVD metrics).
        cwe_ids: CWE ids of the problem types.
        published: publication date when given.
        kev_date_added: the CISA KEV date an ADP container states, when any.
        ssvc: SSVC options an ADP container states, when any.
        references: reference URLs.
        source: file (and JSON pointer) it was read from.
        record_format: ``CVE JSON 5`` or ``NVD API 2.0``.
    """

    cve_id: str
    summary: str
    configurations: tuple[CpeConfiguration, ...]
    severity: tuple[SeverityVector, ...] = ()
    cwe_ids: tuple[str, ...] = ()
    published: date | None = None
    kev_date_added: date | None = None
    ssvc: SsvcOptions | None = None
    references: tuple[str, ...] = ()
    source: str = ""
    record_format: str = ""


# --- VEX -----------------------------------------------------------------------------------


class VexStatus(StrEnum):
    """The four VEX statuses (CISA *Minimum Requirements for VEX*, 2023; OpenVEX 0.2.0)."""

    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


@dataclass(frozen=True, slots=True)
class VexProduct:
    """What a VEX statement is about: any of bom-ref, purl, CPE, name; with versions.

    Attributes:
        ref: a bom-ref (a BOM-Link's fragment after ``#``).
        purl: package URL; without a version it covers every version.
        cpe: CPE 2.3 name.
        name: component or product name.
        versions: exact versions or ``vers:`` ranges the statement is limited to (empty = any).
    """

    ref: str = ""
    purl: str = ""
    cpe: str = ""
    name: str = ""
    versions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VexStatement:
    """One VEX statement, whatever the format it came from.

    Attributes:
        vulnerability_id: the vulnerability (CVE, GHSA …).
        status: :class:`VexStatus`.
        products: products (components) it covers; empty = every product of ``supplier``.
        scope: the product the statement is about (CycloneDX ``metadata.component`` name,
            OpenVEX product, CSAF product name); findings from an SBOM of another product are
            not covered. "" = any product.
        justification: CycloneDX justification / OpenVEX justification / CSAF flag label.
        detail: impact statement or analysis detail.
        response: CycloneDX responses / OpenVEX action statement.
        owner: who made the statement (organization statements: a role or team).
        expires: after this date the statement no longer suppresses anything.
        issued: when it was made.
        supplier: the issuer (used when ``products`` is empty).
        state: the status word as the format spelled it (``exploitable``, ``in_triage`` …).
        aliases: other ids of the vulnerability.
        vex_format: ``CycloneDX``, ``OpenVEX`` or ``CSAF``.
        source: file and place.
    """

    vulnerability_id: str
    status: VexStatus
    products: tuple[VexProduct, ...] = ()
    scope: str = ""
    justification: str = ""
    detail: str = ""
    response: tuple[str, ...] = ()
    owner: str = ""
    expires: date | None = None
    issued: date | None = None
    supplier: str = ""
    state: str = ""
    aliases: tuple[str, ...] = ()
    vex_format: str = ""
    source: str = ""


# --- MDS2 ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mds2Answer:
    """One MDS2 answer.

    Attributes:
        question_id: the form's id (``STCF-1``, ``MPII-2.3``).
        answer: ``yes``, ``no``, ``n/a``, ``see note`` or the text written (DOC questions).
        question: the question text as written in the workbook.
        note: the note column, when any.
        place: ``sheet!row N``.
    """

    question_id: str
    answer: str
    question: str = ""
    note: str = ""
    place: str = ""


@dataclass(frozen=True, slots=True)
class Mds2Form:
    """One MDS2 form (one device model), keyed by DOC-1 manufacturer and DOC-3 model.

    Attributes:
        manufacturer: DOC-1.
        model: DOC-3.
        document_id: DOC-4.
        release_date: DOC-7 as written.
        answers: every answer in workbook order.
        source: the workbook file.
    """

    manufacturer: str
    model: str
    answers: tuple[Mds2Answer, ...]
    document_id: str = ""
    release_date: str = ""
    source: str = ""

    def answer(self, question_id: str) -> Mds2Answer | None:
        """The answer to ``question_id`` (case-insensitive), or None."""
        wanted = question_id.upper()
        return next((a for a in self.answers if a.question_id.upper() == wanted), None)


@dataclass(frozen=True, slots=True)
class DeviceObservation:
    """A fact the audit observed about a device, comparable with an MDS2 answer.

    Attributes:
        asset_id: the device.
        fact: the fact key (``encrypts_data_at_rest``, ``all_passwords_changeable`` …; see
            ``catalogs/mds2-questions.yaml``).
        value: what was observed.
        evidence: where it was observed.
    """

    asset_id: str
    fact: str
    value: bool
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Mds2Contradiction:
    """An MDS2 answer that an observation contradicts.

    Attributes:
        asset_id: the device.
        question_id: the MDS2 question.
        answer: the manufacturer's answer.
        fact: the fact compared.
        message: a sentence stating both sides.
        evidence: the observation's evidence, then the MDS2 answer's.
    """

    asset_id: str
    question_id: str
    answer: str
    fact: str
    message: str
    evidence: tuple[Evidence, ...]


# --- SSVC and the patch plan ----------------------------------------------------------------


class SsvcOutcome(StrEnum):
    """CISA SSVC decisions, least to most urgent."""

    TRACK = "Track"
    TRACK_STAR = "Track*"
    ATTEND = "Attend"
    ACT = "Act"


@dataclass(frozen=True, slots=True)
class SsvcDecision:
    """An SSVC decision (CISA Coordinator decision table 2.0.3) with the reason per point.

    Attributes:
        exploitation: ``none``, ``poc`` or ``active``.
        automatable: ``yes`` or ``no``.
        technical_impact: ``partial`` or ``total``.
        mission_wellbeing: ``low``, ``medium`` or ``high``.
        outcome: :class:`SsvcOutcome`.
        rationale: one line per decision point, saying where its value came from.
    """

    exploitation: str
    automatable: str
    technical_impact: str
    mission_wellbeing: str
    outcome: SsvcOutcome
    rationale: tuple[str, ...] = ()

    @property
    def vector(self) -> str:
        """Compact form: ``E:A/A:Y/TI:T/MWI:H → Act``."""
        return (f"E:{self.exploitation[0].upper()}/A:{self.automatable[0].upper()}/"
                f"TI:{self.technical_impact[0].upper()}/MWI:{self.mission_wellbeing[0].upper()}"
                f" → {self.outcome}")


class PlanAction(StrEnum):
    """What a device plan item asks for."""

    VENDOR_FIX = "vendor fix"
    COMPENSATING_CONTROLS = "compensating controls"
    REPLACE = "replace or isolate"


@dataclass(frozen=True, slots=True)
class CompensatingControl:
    """A control from an advisory's mitigation or workaround text.

    Attributes:
        category: ``segmentation``, ``disable service``, ``monitoring``, ``physical access``,
            ``access control``, ``remote access``, ``update software`` or ``other``.
        text: the advisory's sentence.
        advisory_id: where it came from.
    """

    category: str
    text: str
    advisory_id: str


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One device's patch-plan item.

    Attributes:
        asset_id, asset_name: the device.
        criticality: its clinical criticality.
        units: how many units the row stands for (inventory ``units``), "" when not given.
        owner: the inventory owner (the team that carries it out).
        action: :class:`PlanAction`.
        due: the date it is due.
        vulnerability_ids: what it addresses.
        advisory_ids: the advisories behind it.
        ssvc: the most urgent SSVC decision among the vulnerabilities (None when none judged).
        vendor_fix: the vendor's fix text(s), with URLs.
        controls: compensating controls (always listed while the fix is pending).
        manufacturer_validation: the manufacturer must validate the change first (medical
            devices: FDA *Postmarket Management of Cybersecurity in Medical Devices*, 2016).
        downtime: the downtime window to plan.
        rationale: one line: why this action and date.
    """

    asset_id: str
    asset_name: str
    criticality: ClinicalCriticality
    action: PlanAction
    due: date
    vulnerability_ids: tuple[str, ...]
    advisory_ids: tuple[str, ...] = ()
    units: str = ""
    owner: str = ""
    ssvc: SsvcDecision | None = None
    vendor_fix: tuple[str, ...] = ()
    controls: tuple[CompensatingControl, ...] = ()
    manufacturer_validation: bool = True
    downtime: str = ""
    rationale: str = ""
