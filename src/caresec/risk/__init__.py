"""caresec.risk: likelihood, impact and the risk register on the NIST SP 800-30 Rev. 1 scales.

Entry point: :func:`assess`. Pure functions; each assessed value carries a one-line rationale
naming its inputs. Rules: docs/risk-method.md.
"""

from caresec.risk.assess import assess
from caresec.risk.impact import assess_impact
from caresec.risk.likelihood import (
    adverse_impact,
    initiation,
    lifecycle_likelihood,
    vulnerability_likelihood,
)
from caresec.risk.register import build_register, level_of_risk

__all__ = [
    "adverse_impact",
    "assess",
    "assess_impact",
    "build_register",
    "initiation",
    "level_of_risk",
    "lifecycle_likelihood",
    "vulnerability_likelihood",
]
