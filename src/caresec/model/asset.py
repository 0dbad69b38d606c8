"""Assets of the organization: systems, applications, data stores, devices, vendors."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class AssetKind(StrEnum):
    """What an inventory row describes."""

    SERVER = "server"
    WORKSTATION = "workstation"
    MEDICAL_DEVICE = "medical device"
    IOT = "IoT"
    APPLICATION = "application"
    DATA_STORE = "data store"
    CLOUD_SERVICE = "cloud service"
    VENDOR = "vendor"
    NETWORK_DEVICE = "network device"


class ClinicalCriticality(StrEnum):
    """Clinical criticality of an asset, most to least critical.

    ``life-sustaining`` (failure can cause death or serious injury: ventilator, infusion pump),
    ``patient-connected`` (attached to a patient: monitor), ``diagnostic`` (imaging, lab),
    ``clinical support`` (EHR, nurse call), ``business`` (billing, HR).
    """

    LIFE_SUSTAINING = "life-sustaining"
    PATIENT_CONNECTED = "patient-connected"
    DIAGNOSTIC = "diagnostic"
    CLINICAL_SUPPORT = "clinical support"
    BUSINESS = "business"

    @property
    def rank(self) -> int:
        """0 for life-sustaining … 4 for business."""
        return list(ClinicalCriticality).index(self)


class NetworkZone(StrEnum):
    """Where an asset sits on the network, most to least exposed."""

    INTERNET = "internet"
    DMZ = "dmz"
    CLINICAL = "clinical"
    MEDICAL_DEVICE = "medical-device"
    CORPORATE = "corporate"
    GUEST = "guest"
    MANAGEMENT = "management"
    ISOLATED = "isolated"
    CLOUD = "cloud"


@dataclass(frozen=True, slots=True)
class Asset:
    """One inventory entry.

    Attributes:
        asset_id: the organization's own identifier, unique within the inventory.
        name: human name ("Epic EHR production", "ICU infusion pump fleet").
        kind: :class:`AssetKind`.
        holds_ephi: whether the asset creates, receives, maintains or transmits ePHI
            (45 CFR 164.306(a)).
        ephi_records: approximate number of individuals' records held (0 when none/unknown).
        criticality: :class:`ClinicalCriticality`.
        internet_facing: reachable from the internet.
        end_of_support: the date the vendor stops security support, when known.
        sbom_files: SBOM paths (relative to the org's sboms folder) describing the software it runs.
        extra: unknown inventory columns, kept as given.
        source: ``file:row`` the asset was read from.
    """

    asset_id: str
    name: str
    kind: AssetKind
    criticality: ClinicalCriticality
    holds_ephi: bool = False
    ephi_records: int = 0
    vendor: str = ""
    model: str = ""
    version: str = ""
    department: str = ""
    location: str = ""
    owner: str = ""
    ip: str = ""
    network_zone: NetworkZone | None = None
    internet_facing: bool = False
    end_of_support: date | None = None
    sbom_files: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=())
    source: str = ""
