"""What the SBOM format readers hand back, and the checks every component goes through.

A format reader (CycloneDX, SPDX) produces :class:`ParsedSbom` with one :class:`Draft` per
component, in document order, each with ``place`` saying where it was found (a JSON pointer such
as ``/components/3``, an XML path, or an SPDXID). :func:`finish_components` then validates purls
(packageurl-python, purl specification) and CPE names (NISTIR 7695), and makes every
``bom_ref`` present and unique, so :attr:`Component.key` identifies one component.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packageurl import PackageURL

from caresec.collect._cpe import to_cpe23
from caresec.model import Component, InputProblem, ProblemSeverity

COLLECTOR = "sbom"


@dataclass(frozen=True, slots=True)
class Draft:
    """A component as read, before checks. ``purl``/``cpe`` are the raw strings ("" = none)."""

    name: str
    version: str
    purl: str
    cpe: str
    supplier: str
    bom_ref: str
    place: str
    purl_place: str = ""
    cpe_place: str = ""


@dataclass(slots=True)
class ParsedSbom:
    """One SBOM document as a format reader understood it (see :class:`~caresec.model.Sbom`)."""

    format: str
    spec_version: str
    serialization: str
    subject: str
    drafts: list[Draft] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)


def warning(display: str, place: str, message: str) -> InputProblem:
    """A warning-level SBOM problem."""
    return InputProblem(file=display, place=place, message=message,
                        severity=ProblemSeverity.WARNING, collector=COLLECTOR)


def finish_components(
    drafts: list[Draft], *, sbom_id: str, display: str
) -> tuple[list[Component], list[InputProblem]]:
    """Turn drafts into :class:`Component` records.

    Rules:
        * a purl that packageurl-python cannot parse is dropped (warning at its place); a valid
          one is kept in the library's canonical form (``PackageURL.to_string()``);
        * a CPE that is neither a 2.3 formatted string nor a 2.2 URI is dropped (warning);
          a 2.2 URI is converted to 2.3 (NISTIR 7695 §6.1.3, §6.2.2);
        * a component without name uses the purl's name, else the CPE's product; one with no
          name, purl or CPE is skipped (warning);
        * a missing ``bom_ref`` becomes ``component-<n>`` (``n`` = 0-based position in the
          flattened list); a repeated one gets ``~2``, ``~3`` … appended (warning).

    Returns:
        ``(components, problems)`` in draft order.
    """
    problems: list[InputProblem] = []
    components: list[Component] = []
    declared = {d.bom_ref for d in drafts if d.bom_ref}
    taken: set[str] = set()
    for index, draft in enumerate(drafts):
        purl = ""
        purl_name = ""
        if draft.purl:
            try:
                parsed = PackageURL.from_string(draft.purl)
            except ValueError as exc:
                problems.append(warning(
                    display, draft.purl_place or draft.place,
                    f"invalid purl {draft.purl!r} ({exc}); the component was kept without a purl",
                ))
            else:
                purl = parsed.to_string()
                purl_name = parsed.name
        cpe = ""
        if draft.cpe:
            try:
                cpe = to_cpe23(draft.cpe)
            except ValueError as exc:
                problems.append(warning(
                    display, draft.cpe_place or draft.place,
                    f"{exc}; the component was kept without a CPE",
                ))
        name = draft.name or purl_name or (cpe.split(":")[4] if cpe else "")
        if not name and not cpe:
            problems.append(warning(display, draft.place,
                                    "component has no name, purl or CPE; it was skipped"))
            continue
        bom_ref = draft.bom_ref
        if not bom_ref:
            bom_ref = generated_ref(index, declared | taken)
        elif bom_ref in taken:
            suffix = 2
            while f"{bom_ref}~{suffix}" in taken or f"{bom_ref}~{suffix}" in declared:
                suffix += 1
            renamed = f"{bom_ref}~{suffix}"
            problems.append(warning(
                display, draft.place,
                f"bom-ref {bom_ref!r} is used by an earlier component too; this one is "
                f"identified as {renamed!r}",
            ))
            bom_ref = renamed
        taken.add(bom_ref)
        components.append(Component(
            bom_ref=bom_ref, name=name, version=draft.version, purl=purl, cpe=cpe,
            supplier=draft.supplier, sbom_id=sbom_id,
        ))
    return components, problems


def generated_ref(index: int, taken: set[str]) -> str:
    """The bom-ref given to the component at 0-based ``index`` of the flattened list when it has
    none: ``component-<index>``, with ``-generated`` appended while that is already taken."""
    ref = f"component-{index}"
    while ref in taken:
        ref += "-generated"
    return ref


def text_of(value: object) -> str:
    """A JSON scalar as stripped text ("" for null, objects and lists)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""
