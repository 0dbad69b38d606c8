"""Control status: HIPAA Security Rule safeguards judged from evidence and answers.

Entry point: :func:`evaluate_controls`. Evidence rules live in
``caresec/catalogs/evidence-rules.yaml`` and are compiled into small composable objects
(:class:`Check`, :class:`AllOf`, :class:`AnyOf`, :class:`Not`, :class:`ControlRule`); how their
effects combine with answers is in :mod:`caresec.analyze.controls.combine`. Pure: no files read
here beyond the shipped catalogs. Documentation: docs/questionnaire.md.
"""

from caresec.analyze.controls.catalog import load_evidence_rules
from caresec.analyze.controls.combine import combine, rollup
from caresec.analyze.controls.context import (
    ACTIVITY_ACCESS_LOG_REVIEW,
    ACTIVITY_BACKUP_CHECK,
    ACTIVITY_ENCRYPTION_CHECK,
    EvidenceContext,
    KevExposure,
    build_context,
)
from caresec.analyze.controls.evaluate import evaluate_context, evaluate_controls
from caresec.analyze.controls.predicates import PREDICATES, Verdict
from caresec.analyze.controls.rules import (
    AllOf,
    AnyOf,
    Check,
    ControlRule,
    Effect,
    EvidenceRule,
    Not,
    RuleOutcome,
)

__all__ = [
    "ACTIVITY_ACCESS_LOG_REVIEW",
    "ACTIVITY_BACKUP_CHECK",
    "ACTIVITY_ENCRYPTION_CHECK",
    "PREDICATES",
    "AllOf",
    "AnyOf",
    "Check",
    "ControlRule",
    "Effect",
    "EvidenceContext",
    "EvidenceRule",
    "KevExposure",
    "Not",
    "RuleOutcome",
    "Verdict",
    "build_context",
    "combine",
    "evaluate_context",
    "evaluate_controls",
    "load_evidence_rules",
    "rollup",
]
