"""Likelihood of the threat events a model-inventory finding enables (NIST SP 800-30 Rev. 1
Appendix G), so that ``model-risk`` findings enter the risk register with their own likelihood.

Two inputs per check, combined with Table G-5 (caresec's rules, documented in
docs/model-scanning.md "Likelihood"):

=======================  =========================  ======================  ===========
check                    initiation (Table G-2)     adverse impact (G-4)    G-5 overall
=======================  =========================  ======================  ===========
blocked-model, code      very high                  very high               very high
blocked-model, other     moderate                   high                    moderate
hash-mismatch            high                       high                    high
unscanned-model          moderate                   moderate                moderate
uninventoried-model      moderate                   moderate                moderate
unverified-model         low                        moderate                low
phi-training-data        low                        moderate                low
=======================  =========================  ======================  ===========

"code" means the scan found content able to run code or reach the system
(:data:`CODE_ISSUES`: a dangerous or computed import, an
unsafe pickle operation, a Keras executable layer, an ONNX custom operator or escaping external
data, a GGUF template reaching Python internals): the payload is already in the organization's
model folder and loading the file runs it, so no further attacker step is needed. Pure.
"""

from __future__ import annotations

from caresec.catalogs.nist800_30 import load_nist_800_30
from caresec.model.ai_model import IssueKind, ScanVerdict
from caresec.model.risk import Assessed, Level
from caresec.risk.scale import assessed, combine

#: Issue kinds that show content able to run code or read files (a blocked file with any of
#: them is ``critical`` and gets the ``blocked-model/code`` rule; other blocks are ``high``:
#: the file could not be shown safe).
CODE_ISSUES = frozenset({IssueKind.DANGEROUS_GLOBAL, IssueKind.EXECUTABLE_LAYER,
                         IssueKind.CUSTOM_OPERATOR, IssueKind.EXTERNAL_DATA,
                         IssueKind.TEMPLATE_CODE, IssueKind.UNSAFE_OPERATION,
                         IssueKind.UNRESOLVED_GLOBAL})

#: check id → (initiation, why; adverse impact, why). ``blocked-model`` is split by content.
RULES: dict[str, tuple[Level, str, Level, str]] = {
    "blocked-model/code": (
        Level.VERY_HIGH, "{reason}: the file is in the model folder and loading it runs that "
        "code, no further attacker step needed",
        Level.VERY_HIGH, "code runs with the privileges of the system that loads the model"),
    "blocked-model/other": (
        Level.MODERATE, "the file could not be shown safe ({reason}); no code-capable content "
        "identified",
        Level.HIGH, "a loader may run content the scan could not read"),
    "hash-mismatch": (
        Level.HIGH, "the file differs from the one the vendor published (tampered or "
        "substituted after release)",
        Level.HIGH, "a substituted model can run code or change clinical output"),
    "unscanned-model": (
        Level.MODERATE, "the inventoried file is absent, so the copy in use was neither "
        "scanned nor hash-checked",
        Level.MODERATE, "an unchecked model may run code or change clinical output"),
    "uninventoried-model": (
        Level.MODERATE, "a model file no inventory row names: no owner, vendor or expected "
        "hash",
        Level.MODERATE, "an unchecked model may run code or change clinical output"),
    "unverified-model": (
        Level.LOW, "no vendor hash recorded, so a substitution would go unnoticed; none seen",
        Level.MODERATE, "a substituted model can run code or change clinical output"),
    "phi-training-data": (
        Level.LOW, "membership inference or model inversion needs query access and expertise",
        Level.MODERATE, "could disclose that a patient was in the training data or parts of "
        "training records"),
}


def rule_key(check: str, verdict: ScanVerdict | None) -> str:
    """The :data:`RULES` key of a check: ``blocked-model`` becomes ``blocked-model/code`` when
    ``verdict`` has an issue of a kind in :data:`CODE_ISSUES`, else ``blocked-model/other``."""
    if check != "blocked-model":
        return check
    code = verdict is not None and any(i.kind in CODE_ISSUES for i in verdict.issues)
    return "blocked-model/code" if code else "blocked-model/other"


def model_likelihood(check: str, verdict: ScanVerdict | None = None) -> Assessed:
    """Overall likelihood (Table G-5) of the threat events one model finding enables.

    Args:
        check: the finding's check id (``blocked-model``, ``hash-mismatch`` …).
        verdict: the scan verdict of the file, for ``blocked-model`` (its issues decide between
            the two ``blocked-model`` rules; the first code-capable one, or else the first,
            is named in the rationale).

    Returns:
        The Table G-5 level with a score inside its range (:func:`caresec.risk.scale.combine`)
        and a rationale naming both inputs.

    Raises:
        KeyError: ``check`` has no rule.
    """
    key = rule_key(check, verdict)
    initiation_level, initiation_why, adverse_level, adverse_why = RULES[key]
    issues = verdict.issues if verdict is not None else ()
    shown = [i for i in issues if i.kind in CODE_ISSUES] or list(issues)
    reason = f"{shown[0].kind}: {shown[0].message}" if shown else "blocked"
    initiation = assessed(initiation_level, initiation_why.format(reason=reason))
    adverse = assessed(adverse_level, adverse_why)
    level, score = combine(load_nist_800_30().overall_likelihood, initiation, adverse)
    return Assessed(
        level=level,
        score=score,
        rationale=(f"initiation {initiation.level} ({initiation.rationale}) × adverse impact "
                   f"{adverse.level} ({adverse.rationale}) → Table G-5 {level}"),
    )
