"""caresec.risk: likelihood, impact, the risk register and the remediation plan on the NIST
SP 800-30 Rev. 1 scales.

Entry points: :func:`assess_risks` (findings, register with inherent and residual ratings,
responses, plan) and :func:`assess` (findings and risks only). Pure functions; each assessed
value carries a one-line rationale naming its inputs. Rules: docs/risk-method.md.
"""

from caresec.risk.assess import RiskAssessment, assess, assess_risks
from caresec.risk.compare import compare_runs, summarize
from caresec.risk.impact import assess_impact
from caresec.risk.likelihood import (
    adverse_impact,
    initiation,
    lifecycle_likelihood,
    vulnerability_likelihood,
)
from caresec.risk.plan import build_plan
from caresec.risk.plan_status import parse_plan_status
from caresec.risk.rating import level_of_risk, matrix_score, rate, sra_level
from caresec.risk.register import build_entries, build_register
from caresec.risk.responses import apply_responses, parse_risk_responses
from caresec.risk.sla import RemediationPolicy, default_policy, remediation_policy

__all__ = [
    "RemediationPolicy",
    "RiskAssessment",
    "adverse_impact",
    "apply_responses",
    "assess",
    "assess_impact",
    "assess_risks",
    "build_entries",
    "build_plan",
    "build_register",
    "compare_runs",
    "default_policy",
    "initiation",
    "level_of_risk",
    "lifecycle_likelihood",
    "matrix_score",
    "parse_plan_status",
    "parse_risk_responses",
    "rate",
    "remediation_policy",
    "sra_level",
    "summarize",
    "vulnerability_likelihood",
]
