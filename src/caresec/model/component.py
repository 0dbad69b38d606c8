"""Software components, as listed by SBOMs."""

from __future__ import annotations

from dataclasses import dataclass

from caresec.model.problems import InputProblem


@dataclass(frozen=True, slots=True)
class Component:
    """One component of one SBOM.

    Attributes:
        bom_ref: the SBOM's own reference (CycloneDX ``bom-ref``, SPDX ``SPDXID``); unique per SBOM.
        name: component name.
        version: version string as written in the SBOM ("" when absent).
        purl: Package URL (``pkg:pypi/urllib3@1.24.1``) or "" when absent.
        cpe: CPE 2.3 string or "" when absent.
        supplier: supplier or publisher name when given.
        sbom_id: id of the :class:`Sbom` it came from.
        asset_ids: assets that run this SBOM.
    """

    bom_ref: str
    name: str
    version: str
    purl: str = ""
    cpe: str = ""
    supplier: str = ""
    sbom_id: str = ""
    asset_ids: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable identity within an audit: ``sbom_id#bom_ref``."""
        return f"{self.sbom_id}#{self.bom_ref}"


@dataclass(frozen=True, slots=True)
class Sbom:
    """One parsed SBOM document.

    Attributes:
        sbom_id: identifier, the SBOM's path relative to the org's sboms folder (or as given).
        path: file path as read.
        format: ``CycloneDX`` or ``SPDX``.
        spec_version: ``1.4``, ``2.3`` …
        serialization: ``json``, ``xml`` or ``tag-value``.
        subject: name (and version) of what the SBOM describes, when stated.
        components: every component, flattened (nested CycloneDX components included).
        asset_ids: inventory assets that name this SBOM.
        problems: warnings met while reading it (a value dropped, the document read leniently
            because the format library rejected it); the collector also returns them.
    """

    sbom_id: str
    path: str
    format: str
    spec_version: str
    serialization: str
    subject: str
    components: tuple[Component, ...]
    asset_ids: tuple[str, ...] = ()
    problems: tuple[InputProblem, ...] = ()
