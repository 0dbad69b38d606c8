"""Findings of the model inventory check (pure: records in, findings out).

Every finding has kind ``model-risk``; ``details`` carries the check id, the model, the file, and
the MITRE ATLAS technique ids and OWASP Machine Learning Security Top 10 (2023) ids mapped in
``model-security.yaml`` (ids only). ``control_ids`` are HIPAA Security Rule citations,
``threat_event_ids`` come from the same mapping (``TE-AI-SUPPLY-CHAIN``,
``TE-AI-TRAINING-DATA-EXTRACTION``), and ``likelihood`` is set by
:func:`~caresec.analyze.modelscan.likelihood.model_likelihood`, so each finding on an inventory
asset enters the risk register with that asset's impact.
"""

from __future__ import annotations

from caresec.analyze.modelscan.catalog import FindingMapping, model_security
from caresec.analyze.modelscan.likelihood import CODE_ISSUES, model_likelihood
from caresec.model.ai_model import ModelInventoryResult, ScanVerdict
from caresec.model.finding import Evidence, Finding, Severity


def _finding(check: str, finding_id: str, subject: str, asset_ids: tuple[str, ...],
             evidence: Evidence, details: list[tuple[str, str]],
             severity: Severity | None = None, verdict: ScanVerdict | None = None) -> Finding:
    mapping: FindingMapping = model_security().findings[check]
    return Finding(
        finding_id=finding_id,
        kind="model-risk",
        title=f"{mapping.title}: {subject}",
        asset_ids=asset_ids,
        severity=severity or Severity(mapping.severity),
        evidence=(evidence,),
        threat_event_ids=mapping.threat_event_ids,
        control_ids=mapping.control_ids,
        likelihood=model_likelihood(check, verdict),
        details=(("check", check), *details, ("atlas", ", ".join(mapping.atlas)),
                 ("owasp_ml", ", ".join(mapping.owasp_ml))),
    )


def _scanners(verdict: ScanVerdict) -> str:
    return "; ".join(f"{s.name} {s.version or '-'} {s.status}" for s in verdict.scanners)


def blocked_severity(verdict: ScanVerdict) -> Severity:
    """``critical`` when an issue shows code-capable content, else ``high``."""
    return Severity.CRITICAL if any(i.kind in CODE_ISSUES for i in verdict.issues) else (
        Severity.HIGH)


def model_findings(results: list[ModelInventoryResult],
                   uninventoried: list[ScanVerdict]) -> list[Finding]:
    """Findings for inventoried models and for model files no inventory row names.

    Args:
        results: one :class:`ModelInventoryResult` per inventory entry.
        uninventoried: verdicts of files found in ``models/`` that no entry lists
            (``path`` relative to the organization folder).

    Returns:
        Findings in inventory order, then uninventoried files: ``blocked-model``,
        ``hash-mismatch``, ``unscanned-model``, ``unverified-model``, ``phi-training-data``,
        ``uninventoried-model``.
    """
    findings: list[Finding] = []
    for result in results:
        entry = result.entry
        assets = (entry.asset_id,) if entry.asset_id else ()
        base = [("model_id", entry.model_id), ("model", f"{entry.name} {entry.version}".strip())]
        for index, check in enumerate(result.files, start=1):
            ref = check.ref
            fid = f"MODEL-{entry.model_id}-F{index}"
            subject = f"{entry.name} ({ref.path})"
            details = [*base, ("file", ref.path)]
            if check.verdict is None:
                findings.append(_finding(
                    "unscanned-model", f"{fid}-UNSCANNED", subject, assets,
                    Evidence("model-scan", entry.source,
                             f"{ref.path} is listed but absent from the models folder"),
                    details))
                continue
            verdict = check.verdict
            details.append(("sha256", verdict.sha256))
            details.append(("scanners", _scanners(verdict)))
            if verdict.blocked:
                reasons = "; ".join(str(i) for i in verdict.issues[:5])
                findings.append(_finding(
                    "blocked-model", f"{fid}-BLOCKED", subject, assets,
                    Evidence("model-scan", verdict.path,
                             f"{verdict.format} file blocked: {reasons}"),
                    [*details, ("format", str(verdict.format)),
                     ("issues", str(len(verdict.issues)))],
                    blocked_severity(verdict), verdict))
            if check.hash_matches is False:
                findings.append(_finding(
                    "hash-mismatch", f"{fid}-HASH", subject, assets,
                    Evidence("model-scan", verdict.path,
                             f"SHA-256 {verdict.sha256} differs from the vendor's "
                             f"{ref.expected_sha256}"),
                    [*details, ("expected_sha256", ref.expected_sha256)]))
            elif check.hash_matches is None:
                findings.append(_finding(
                    "unverified-model", f"{fid}-UNVERIFIED", subject, assets,
                    Evidence("model-scan", entry.source,
                             f"no expected SHA-256 recorded for {ref.path}"),
                    details))
        if entry.training_data_phi:
            findings.append(_finding(
                "phi-training-data", f"MODEL-{entry.model_id}-PHI", entry.name, assets,
                Evidence("model-inventory", entry.source,
                         "the inventory records that the training data held PHI"),
                base))
    for verdict in uninventoried:
        details = [("file", verdict.path), ("sha256", verdict.sha256),
                   ("scanners", _scanners(verdict))]
        evidence = Evidence("model-scan", verdict.path,
                            f"{verdict.format} file not named by models/inventory.csv"
                            + (f"; blocked: {verdict.reason}" if verdict.blocked else ""))
        findings.append(_finding(
            "uninventoried-model", f"MODEL-UNLISTED-{verdict.sha256[:12]}", verdict.path, (),
            evidence, details))
        if verdict.blocked:
            findings.append(_finding(
                "blocked-model", f"MODEL-UNLISTED-{verdict.sha256[:12]}-BLOCKED", verdict.path,
                (), evidence, details, blocked_severity(verdict), verdict))
    return findings
