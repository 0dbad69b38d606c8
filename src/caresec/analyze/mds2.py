"""Compare MDS2 answers with what the audit observed about the same devices.

Pure: no files, no network. An MDS2 form (:mod:`caresec.collect.mds2`) is linked to every
inventory device whose vendor and model it names (DOC-1, DOC-3; compared as device advisories
are, :func:`caresec.analyze.devices.same_device`). Each comparison in
``catalogs/mds2-questions.yaml`` ties a question to a *fact*; a *Yes* or *No* answer states the
fact, and an observation of the other value is a contradiction. *N/A*, *See Note* and blank
answers state nothing.

Observations (:func:`device_observations`), each with its evidence:

* inventory columns: ``holds_ephi`` → ``handles_ephi``; ``internet_facing: yes`` →
  ``reachable_from_internet``; an ``os`` naming Windows, Linux, Android, macOS, iOS, VxWorks or
  QNX → ``has_operating_system``; a linked SBOM → ``sbom_available``; and, when the inventory
  has them, the columns ``encryption_at_rest``, ``encryption_in_transit``, ``anti_malware``,
  ``remote_service`` (yes/no) → ``encrypts_data_at_rest``, ``encrypts_data_in_transit``,
  ``supports_anti_malware``, ``permits_remote_service``;
* matched device advisories, by the CWE of a vulnerability (MITRE CWE definitions): CWE-798
  *Use of Hard-coded Credentials* and CWE-259 *Use of Hard-coded Password* →
  ``all_passwords_changeable`` false; CWE-311 *Missing Encryption of Sensitive Data* →
  ``encrypts_data_at_rest`` and ``encrypts_data_in_transit`` false; CWE-312 *Cleartext Storage
  of Sensitive Information* → ``encrypts_data_at_rest`` false; CWE-319 *Cleartext Transmission
  of Sensitive Information* → ``encrypts_data_in_transit`` false.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from pydantic import BaseModel, ConfigDict

from caresec.analyze.devices import VendorAliases, same_device, vendor_aliases
from caresec.catalogs.loader import CatalogHeader, load_catalog
from caresec.model import Asset, Evidence
from caresec.model.device import DeviceMatch, DeviceObservation, Mds2Contradiction, Mds2Form

__all__ = [
    "Mds2Catalog",
    "device_observations",
    "forms_for_assets",
    "mds2_catalog",
    "mds2_contradictions",
]


class _Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    question: str
    topic: str
    fact: str


class Mds2Catalog(CatalogHeader):
    """``catalogs/mds2-questions.yaml``."""

    document: dict[str, str]
    sections: dict[str, str]
    comparisons: list[_Comparison]


@cache
def mds2_catalog() -> Mds2Catalog:
    """The shipped MDS2 question catalog (cached).

    Raises:
        CatalogError: missing or invalid (a packaging bug).
    """
    return load_catalog("mds2-questions", Mds2Catalog)


_OS = re.compile(r"\b(windows|linux|android|macos|mac os|ios|vxworks|qnx|ubuntu|red hat|rhel|"
                 r"debian)\b", re.I)
_EXTRA_FACTS = {
    "encryption_at_rest": "encrypts_data_at_rest",
    "encryption_in_transit": "encrypts_data_in_transit",
    "anti_malware": "supports_anti_malware",
    "remote_service": "permits_remote_service",
}
_CWE_FACTS: dict[str, tuple[tuple[str, str], ...]] = {
    "CWE-798": (("all_passwords_changeable", "Use of Hard-coded Credentials"),),
    "CWE-259": (("all_passwords_changeable", "Use of Hard-coded Password"),),
    "CWE-311": (("encrypts_data_at_rest", "Missing Encryption of Sensitive Data"),
                ("encrypts_data_in_transit", "Missing Encryption of Sensitive Data")),
    "CWE-312": (("encrypts_data_at_rest", "Cleartext Storage of Sensitive Information"),),
    "CWE-319": (("encrypts_data_in_transit", "Cleartext Transmission of Sensitive Information"),),
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def device_observations(
    assets: Sequence[Asset], device_matches: Sequence[DeviceMatch] = ()
) -> list[DeviceObservation]:
    """What the audit observed about each asset (see the module docstring), inventory order."""
    found: list[DeviceObservation] = []
    for asset in assets:
        def inventory(fact: str, value: bool, what: str, a: Asset = asset) -> None:
            found.append(DeviceObservation(a.asset_id, fact, value, Evidence(
                collector="inventory", source=a.source, description=what)))

        inventory("handles_ephi", asset.holds_ephi,
                  f"inventory holds_ephi is {'yes' if asset.holds_ephi else 'no'}")
        if asset.internet_facing:
            inventory("reachable_from_internet", True, "inventory internet_facing is yes")
        extra = {k.lower(): v for k, v in asset.extra}
        os_name = extra.get("os", "")
        if _OS.search(os_name):
            inventory("has_operating_system", True, f"inventory os is {os_name!r}")
        if asset.sbom_files:
            inventory("sbom_available", True,
                      f"inventory links SBOM {', '.join(asset.sbom_files)}")
        for column, fact in _EXTRA_FACTS.items():
            value = extra.get(column, "").strip().lower()
            if value in _YES or value in _NO:
                inventory(fact, value in _YES, f"inventory {column} is {value}")
    for match in device_matches:
        for vulnerability in match.advisory.vulnerabilities:
            ident = vulnerability.vulnerability_id
            if ident not in match.cve_ids:
                continue
            for fact, title in _CWE_FACTS.get(vulnerability.cwe_id, ()):
                found.append(DeviceObservation(match.asset_id, fact, False, Evidence(
                    collector="csaf", source=match.advisory.source,
                    description=f"{match.advisory.advisory_id} reports {ident} "
                                f"({vulnerability.cwe_id} {title}) for {match.device}")))
    return found


def forms_for_assets(
    forms: Sequence[Mds2Form], assets: Sequence[Asset], *, aliases: VendorAliases | None = None
) -> dict[str, Mds2Form]:
    """The MDS2 form of each asset it names (asset id → form; an exact model name wins over a
    family match, then the first form given)."""
    table = aliases or vendor_aliases()
    linked: dict[str, tuple[int, Mds2Form]] = {}
    for form in forms:
        for asset in assets:
            level = same_device(form.manufacturer, form.model, asset, aliases=table)
            if not level:
                continue
            rank = 0 if level == "exact" else 1
            if asset.asset_id not in linked or rank < linked[asset.asset_id][0]:
                linked[asset.asset_id] = (rank, form)
    return {asset_id: form for asset_id, (_rank, form) in linked.items()}


def mds2_contradictions(
    forms: Sequence[Mds2Form],
    assets: Sequence[Asset],
    observations: Sequence[DeviceObservation],
    *,
    catalog: Mds2Catalog | None = None,
    aliases: VendorAliases | None = None,
) -> list[Mds2Contradiction]:
    """Every MDS2 answer that an observation of the same device contradicts.

    Args:
        forms: MDS2 forms.
        assets: the inventory.
        observations: :func:`device_observations`.
        catalog: the question catalog (default: the shipped one).
        aliases: the vendor alias table (default: the shipped one).

    Returns:
        Contradictions in inventory order, then question order of the catalog; one per asset ×
        question × distinct observation.
    """
    questions = (catalog or mds2_catalog()).comparisons
    linked = forms_for_assets(forms, assets, aliases=aliases)
    by_asset: dict[str, list[DeviceObservation]] = {}
    for observation in observations:
        by_asset.setdefault(observation.asset_id, []).append(observation)
    result: list[Mds2Contradiction] = []
    for asset in assets:
        form = linked.get(asset.asset_id)
        if form is None:
            continue
        for comparison in questions:
            answer = form.answer(comparison.question)
            if answer is None or answer.answer not in ("yes", "no"):
                continue
            stated = answer.answer == "yes"
            for observation in by_asset.get(asset.asset_id, []):
                if observation.fact != comparison.fact or observation.value == stated:
                    continue
                mds2_evidence = Evidence(
                    collector="mds2", source=f"{form.source} ({answer.place})",
                    description=f"MDS2 {comparison.question} ({form.manufacturer} {form.model}) "
                                f"answers {answer.answer}: {comparison.topic}")
                result.append(Mds2Contradiction(
                    asset_id=asset.asset_id, question_id=comparison.question,
                    answer=answer.answer, fact=comparison.fact,
                    message=(f"{asset.asset_id}: MDS2 {comparison.question} answers "
                             f"{answer.answer.upper()} ({comparison.topic}), but "
                             f"{observation.evidence.description}"),
                    evidence=(observation.evidence, mds2_evidence)))
    return result
