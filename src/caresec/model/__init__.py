"""The domain model: frozen, typed records shared by every pipeline stage."""

from caresec.model.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EpssScore,
    KevEntry,
    RangeEvent,
    SeverityVector,
)
from caresec.model.asset import Asset, AssetKind, ClinicalCriticality, NetworkZone
from caresec.model.component import Component, Sbom
from caresec.model.control import (
    Answer,
    AnswerValue,
    Contradiction,
    ControlState,
    ControlStatus,
)
from caresec.model.finding import (
    Evidence,
    Finding,
    FindingStatus,
    NotAssessed,
    Severity,
    VulnerabilityMatch,
)
from caresec.model.org import AuditResult, Facts, FeedSummary, OrgConfig, SizeTier
from caresec.model.problems import InputProblem, ProblemSeverity
from caresec.model.risk import Assessed, Level, Risk

__all__ = [
    "Advisory",
    "AffectedPackage",
    "AffectedRange",
    "Answer",
    "AnswerValue",
    "Assessed",
    "Asset",
    "AssetKind",
    "AuditResult",
    "ClinicalCriticality",
    "Component",
    "Contradiction",
    "ControlState",
    "ControlStatus",
    "EpssScore",
    "Evidence",
    "Facts",
    "FeedSummary",
    "Finding",
    "FindingStatus",
    "InputProblem",
    "KevEntry",
    "Level",
    "NetworkZone",
    "NotAssessed",
    "OrgConfig",
    "ProblemSeverity",
    "RangeEvent",
    "Risk",
    "Sbom",
    "Severity",
    "SeverityVector",
    "SizeTier",
    "VulnerabilityMatch",
]
