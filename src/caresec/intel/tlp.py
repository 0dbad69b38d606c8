"""Traffic Light Protocol: reading markings in, writing TLP 2.0 markings out, never downgrading.

Sources:

* FIRST TLP 2.0 (2022): labels CLEAR, GREEN, AMBER, AMBER+STRICT, RED; TLP 1.0 WHITE is CLEAR.
* OASIS TLP 2.0 marking extension ``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``
  (cti-stix-common-objects, ``extension-definition-specifications/tlp-2.0``): five
  ``marking-definition`` objects with fixed ids, names and ``created`` time.
* STIX 2.1 §7.2.1.4: the four TLP 1.0 marking definitions (ids taken from the stix2 library).
* MISP taxonomy ``tlp``: event and attribute tags ``tlp:white`` … ``tlp:red``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stix2.v21 import common as stix_common

from caresec.errors import ConfigError
from caresec.model.intel import Tlp

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

TLP2_MARKING_IDS: Mapping[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

TLP1_MARKING_IDS: Mapping[str, Tlp] = {
    str(stix_common.TLP_WHITE.id): Tlp.CLEAR,
    str(stix_common.TLP_GREEN.id): Tlp.GREEN,
    str(stix_common.TLP_AMBER.id): Tlp.AMBER,
    str(stix_common.TLP_RED.id): Tlp.RED,
}

KNOWN_MARKINGS: Mapping[str, Tlp] = {
    **{marking_id: tlp for tlp, marking_id in TLP2_MARKING_IDS.items()},
    **TLP1_MARKING_IDS,
}

_WORDS = {"white": Tlp.CLEAR, **{t.value: t for t in Tlp}}


def parse_tlp(text: str) -> Tlp:
    """``"amber"``, ``"TLP:AMBER+STRICT"``, ``"white"`` (TLP 1.0) → :class:`Tlp`.

    Raises:
        ValueError: not a TLP label.
    """
    word = text.strip().lower().removeprefix("tlp:")
    try:
        return _WORDS[word]
    except KeyError:
        raise ValueError(f"{text!r} is not a TLP label (clear, green, amber, amber+strict, "
                         f"red)") from None


def marking_definition(tlp: Tlp) -> dict[str, Any]:
    """The OASIS TLP 2.0 ``marking-definition`` object for ``tlp`` (as a JSON dict)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[tlp],
        "created": TLP2_CREATED,
        "name": tlp.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value},
        },
    }


def marking_tlp(obj: Mapping[str, Any]) -> Tlp | None:
    """The TLP a ``marking-definition`` object states, or None when it is not a TLP marking.

    TLP 2.0: the extension's ``tlp_2_0`` value; TLP 1.0: ``definition_type`` ``tlp`` and
    ``definition.tlp``. An id known from the specifications wins over the content.
    """
    known = KNOWN_MARKINGS.get(str(obj.get("id", "")))
    if known is not None:
        return known
    extensions = obj.get("extensions")
    if isinstance(extensions, Mapping):
        ext = extensions.get(TLP2_EXTENSION_ID)
        if isinstance(ext, Mapping) and isinstance(ext.get("tlp_2_0"), str):
            try:
                return parse_tlp(ext["tlp_2_0"])
            except ValueError:
                return None
    definition = obj.get("definition")
    if obj.get("definition_type") == "tlp" and isinstance(definition, Mapping):
        value = definition.get("tlp")
        if isinstance(value, str):
            try:
                return parse_tlp(value)
            except ValueError:
                return None
    return None


def object_tlp(obj: Mapping[str, Any], markings: Mapping[str, Tlp]) -> Tlp | None:
    """The strictest TLP among an object's ``object_marking_refs`` and granular markings.

    Args:
        obj: a STIX object (JSON dict).
        markings: marking-definition id → TLP, for the bundle's own markings; the ids of the
            specifications are always known.

    Returns:
        The TLP, or None when the object carries no TLP marking.
    """
    refs: list[str] = []
    object_refs = obj.get("object_marking_refs")
    if isinstance(object_refs, list):
        refs.extend(str(r) for r in object_refs)
    granular = obj.get("granular_markings")
    if isinstance(granular, list):
        refs.extend(str(g.get("marking_ref", "")) for g in granular if isinstance(g, Mapping))
    found = [t for r in refs if (t := markings.get(r) or KNOWN_MARKINGS.get(r)) is not None]
    return Tlp.strictest(found) if found else None


def misp_tags_tlp(tags: Iterable[str]) -> Tlp | None:
    """The strictest TLP among MISP tags (``tlp:white``, ``tlp:amber+strict`` …), or None."""
    found: list[Tlp] = []
    for tag in tags:
        name = tag.strip().lower()
        if name.startswith("tlp:"):
            try:
                found.append(parse_tlp(name))
            except ValueError:
                continue
    return Tlp.strictest(found) if found else None


def reshare_tlp(inherited: Tlp, requested: Tlp) -> Tlp:
    """The TLP to put on a re-shared object: never less restrictive than what it came with
    (FIRST TLP 2.0: recipients may not lower a label).

    Returns:
        The stricter of ``inherited`` and ``requested``.
    """
    return inherited if inherited.rank >= requested.rank else requested


@dataclass(frozen=True, slots=True)
class TlpPolicy:
    """The organization's TLP policy (``[intel]`` in ``caresec.toml``).

    Attributes:
        default_tlp: TLP given to incoming objects that carry no TLP marking (and no source
            default); ``amber`` unless configured, so unmarked data is never shared widely.
        export_tlp: TLP put on what the organization shares when nothing stricter applies.
        max_share: the most restrictive TLP an export may carry; an object needing more is
            refused. TLP:RED is never exported, whatever this says.
    """

    default_tlp: Tlp = Tlp.AMBER
    export_tlp: Tlp = Tlp.GREEN
    max_share: Tlp = Tlp.AMBER

    def __post_init__(self) -> None:
        if self.max_share is Tlp.RED:
            raise ConfigError("[intel] max_share_tlp cannot be red: TLP:RED information is "
                              "for named recipients only and is never exported.")
        if self.export_tlp.rank > self.max_share.rank:
            raise ConfigError(
                f"[intel] export_tlp ({self.export_tlp.value}) is more restrictive than "
                f"max_share_tlp ({self.max_share.value}); nothing could be exported.")
