"""AI model security in ``caresec audit`` (issue 9): a fail-closed scan of every file in
``ORG/models/`` and the clinical AI model inventory (``models/inventory.csv``).

The capability applies when the organization folder has a ``models/`` folder. It checks every
inventoried model (hashes against the vendor's, a static scan that never loads the file; see
docs/model-scanning.md), scans the files no inventory row names, and returns:

* findings of kind ``model-risk`` with threat events (``TE-AI-SUPPLY-CHAIN``,
  ``TE-AI-TRAINING-DATA-EXTRACTION``), HIPAA Security Rule citations and their own likelihood
  (:mod:`caresec.analyze.modelscan.likelihood`), on the inventory asset that runs the model
  (column ``asset_id``), so they enter the register with that asset's impact;
* input problems (inventory rows, unreadable files, an ``asset_id`` missing from the asset
  inventory, bad ``[models]`` settings);
* summary lines, the ``report.json`` object (:func:`models_data`) and the HTML section
  ``ai-models``.

Settings, the ``[models]`` table of ``caresec.toml`` (both optional)::

    [models]
    allow_globals = ["sklearn.linear_model._logistic:LogisticRegression"]  # reviewed imports
    require_scanners = ["modelscan"]  # block when this public scanner is not installed
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from caresec.analyze.modelscan import DEFAULT_REQUIRED, ScanPolicy
from caresec.analyze.modelscan.context import KNOWN_SCANNERS, parse_global
from caresec.analyze.modelscan.findings import model_findings
from caresec.collect.model_inventory import COLLECTOR, check_models
from caresec.extension import AuditContext, Capability
from caresec.model import (
    CapabilityResult,
    Finding,
    InputProblem,
    OrgConfig,
    ProblemSeverity,
    ReportSection,
)
from caresec.model.ai_model import ModelFileCheck, ModelInventoryResult, ScanVerdict
from caresec.report import render_fragment

#: Run order among the built-in capabilities (:func:`caresec.extension.builtin_capabilities`).
ORDER = 60
NAME = "models"
SECTION_ID = "ai-models"
SETTINGS_FILE = "caresec.toml"
SETTINGS = ("allow_globals", "require_scanners")
#: The evidence activity this capability performs.
ACTIVITY_MODEL_SCAN = "model-scan"


def capability() -> Capability:
    """The built-in AI model capability (:class:`ModelsCapability`)."""
    return ModelsCapability()


class ModelsCapability:
    """Fail-closed AI model scanning and the model inventory, as an audit capability.

    Attributes:
        name: ``models`` (the ``[models]`` table of ``caresec.toml``, the ``report.json``
            capability name).
    """

    def __init__(self) -> None:
        self.name: str = NAME

    def applies(self, org: OrgConfig) -> bool:
        """True when ``ORG/models/`` is a folder."""
        return (org.root / "models").is_dir()

    def run(self, context: AuditContext) -> CapabilityResult:
        """Scan ``ORG/models/`` and check the inventory (see the module docstring).

        Raises:
            CatalogError: ``model-security.yaml`` or ``threat-events.yaml`` is invalid (a
                packaging bug; the pipeline records it as a problem of this capability).
        """
        policy, problems = scan_policy(context.org.section(NAME))
        results, uninventoried, scan_problems = check_models(context.org.root, policy=policy)
        problems.extend(scan_problems)
        known_assets = {a.asset_id for a in context.assets}
        problems.extend(asset_problems(results, known_assets))
        findings = tuple(model_findings(results, uninventoried))
        data = models_data(results, uninventoried, findings, known_assets, policy)
        html = render_fragment("models.html.j2", data=data)
        return CapabilityResult(
            name=NAME,
            findings=findings,
            activities=frozenset({ACTIVITY_MODEL_SCAN}),
            problems=tuple(problems),
            summary=summary_lines(data),
            data=data,
            sections=(ReportSection(SECTION_ID, "AI models", html),),
        )


def scan_policy(settings: Mapping[str, Any]) -> tuple[ScanPolicy, list[InputProblem]]:
    """The scan policy from the ``[models]`` table of ``caresec.toml``.

    Args:
        settings: the table (:meth:`OrgConfig.section`); keys ``allow_globals`` (list of
            ``MODULE:NAME``) and ``require_scanners`` (list of ``picklescan``, ``fickling``,
            ``modelscan``).

    Returns:
        ``(policy, problems)``: the default fail-closed policy plus what the table adds; a bad
        value is left out with an error naming ``caresec.toml`` and ``[models] key[index]``, an
        unknown key gives a warning. picklescan and fickling are always required.
    """
    problems: list[InputProblem] = []

    def problem(place: str, message: str,
                severity: ProblemSeverity = ProblemSeverity.ERROR) -> None:
        problems.append(InputProblem(SETTINGS_FILE, place, message, severity, COLLECTOR))

    for key in sorted(set(settings) - set(SETTINGS)):
        problem(f"[{NAME}] {key}", f"unknown setting ignored (known: {', '.join(SETTINGS)})",
                ProblemSeverity.WARNING)
    pairs: set[tuple[str, str]] = set()
    for index, value in enumerate(_strings(settings, "allow_globals", problem)):
        try:
            pairs.add(parse_global(value))
        except ValueError as exc:
            problem(f"[{NAME}] allow_globals[{index}]", f"{exc}; ignored")
    required = set(DEFAULT_REQUIRED)
    for index, value in enumerate(_strings(settings, "require_scanners", problem)):
        if value.lower() in KNOWN_SCANNERS:
            required.add(value.lower())
        else:
            problem(f"[{NAME}] require_scanners[{index}]",
                    f"unknown scanner {value!r} ignored (known: "
                    f"{', '.join(sorted(KNOWN_SCANNERS))})")
    return ScanPolicy(extra_globals=frozenset(pairs),
                      required_scanners=frozenset(required)), problems


def _strings(settings: Mapping[str, Any], key: str,
             problem: Callable[[str, str], None]) -> list[str]:
    value = settings.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problem(f"[{NAME}] {key}", "must be a list of strings; ignored")
        return []
    return value


def asset_problems(results: Sequence[ModelInventoryResult],
                   known_assets: set[str]) -> list[InputProblem]:
    """Warnings for inventory rows whose model cannot be tied to an inventory asset: no
    ``asset_id``, or one that ``inventory/assets.csv`` does not list. Their findings are still
    reported but enter no risk (a risk needs an asset's impact)."""
    problems: list[InputProblem] = []
    for result in results:
        entry = result.entry
        file, _, row = entry.source.rpartition(":")
        place = f"{row}, column asset_id"
        if not entry.asset_id:
            message = (f"model {entry.model_id} names no asset_id; its findings enter no risk "
                       "(name the inventory asset that runs it)")
        elif entry.asset_id not in known_assets:
            message = (f"asset_id {entry.asset_id!r} of model {entry.model_id} is not in the "
                       "asset inventory; its findings enter no risk")
        else:
            continue
        problems.append(InputProblem(file, place, message, ProblemSeverity.WARNING, COLLECTOR))
    return problems


def _scanners(verdict: ScanVerdict) -> list[dict[str, str]]:
    return [{"name": s.name, "version": s.version, "status": str(s.status)}
            for s in verdict.scanners]


def _file_data(check: ModelFileCheck) -> dict[str, Any]:
    verdict = check.verdict
    return {
        "path": check.ref.path,
        "present": check.present,
        "scanned": verdict is not None,
        "format": str(verdict.format) if verdict else None,
        "size": verdict.size if verdict else None,
        "sha256": check.sha256 or None,
        "expected_sha256": check.ref.expected_sha256 or None,
        "hash_matches": check.hash_matches,
        "outcome": str(verdict.outcome) if verdict else None,
        "issues": [str(i) for i in verdict.issues] if verdict else [],
        "scanners": _scanners(verdict) if verdict else [],
    }


def _reasons(check: ModelFileCheck) -> list[str]:
    path = check.ref.path
    if check.verdict is None:
        return [f"{path}: listed but absent or unreadable, so not scanned"]
    reasons = [f"{path}: {issue}" for issue in check.verdict.issues]
    if check.hash_matches is False:
        reasons.append(f"{path}: SHA-256 {check.sha256[:16]}… differs from the vendor's "
                       f"{check.ref.expected_sha256[:16]}…")
    return reasons


def _hash_check(files: Sequence[ModelFileCheck]) -> str:
    states = [f.hash_matches for f in files]
    if any(s is False for s in states):
        return "mismatch"
    if states and all(s is True for s in states):
        return "match"
    return "no vendor hash" if any(f.verdict is not None for f in files) else "not checked"


def _scanner_versions(verdicts: Sequence[ScanVerdict]) -> list[str]:
    seen: dict[str, str] = {}
    for verdict in verdicts:
        for run in verdict.scanners:
            seen.setdefault(run.name, run.version or "not installed")
    return [f"{name} {version}" for name, version in seen.items()]


def models_data(
    results: Sequence[ModelInventoryResult],
    uninventoried: Sequence[ScanVerdict],
    findings: Sequence[Finding],
    known_assets: set[str],
    policy: ScanPolicy,
) -> dict[str, Any]:
    """The capability's ``report.json`` object (JSON values only; documented in
    docs/model-scanning.md "In the audit").

    Returns:
        ``{"counts": {...}, "models": [...], "uninventoried": [...], "findings": [...],
        "policy": {...}}``; each model has its inventory fields, ``verdict`` (``pass`` or
        ``block``: blocked when any file is blocked, absent or fails its vendor hash),
        ``reasons``, ``hash_check`` (``match``, ``mismatch``, ``no vendor hash``, ``not
        checked``), ``hashes_match`` (true/false/null), ``scanner_versions`` and per-file
        details.
    """
    models: list[dict[str, Any]] = []
    for result in results:
        entry = result.entry
        verdicts = [c.verdict for c in result.files if c.verdict is not None]
        hash_check = _hash_check(result.files)
        models.append({
            "model_id": entry.model_id,
            "name": entry.name,
            "version": entry.version,
            "owner": entry.owner,
            "vendor": entry.vendor,
            "intended_use": entry.intended_use,
            "fda_status": entry.fda_status,
            "provenance": str(entry.provenance),
            "provenance_ref": entry.provenance_ref,
            "training_data_phi": entry.training_data_phi,
            "asset_id": entry.asset_id,
            "asset_in_inventory": entry.asset_id in known_assets,
            "source": entry.source,
            "verdict": "block" if result.blocked else "pass",
            "reasons": [r for c in result.files for r in _reasons(c)],
            "hash_check": hash_check,
            "hashes_match": {"match": True, "mismatch": False}.get(hash_check),
            "scanner_versions": _scanner_versions(verdicts),
            "files": [_file_data(c) for c in result.files],
        })
    stray = [{
        "path": v.path,
        "format": str(v.format),
        "sha256": v.sha256,
        "outcome": str(v.outcome),
        "issues": [str(i) for i in v.issues],
        "scanners": _scanners(v),
    } for v in uninventoried]
    files = [c for r in results for c in r.files]
    rated = {f.finding_id for f in findings if any(a in known_assets for a in f.asset_ids)}
    counts = {
        "models": len(results),
        "blocked": sum(r.blocked for r in results),
        "files": len(files) + len(uninventoried),
        "files_scanned": sum(c.verdict is not None for c in files) + len(uninventoried),
        "files_blocked": (sum(c.verdict is not None and c.verdict.blocked for c in files)
                          + sum(v.blocked for v in uninventoried)),
        "files_absent": sum(c.verdict is None for c in files),
        "hash_mismatches": sum(c.hash_matches is False for c in files),
        "uninventoried": len(uninventoried),
        "uninventoried_blocked": sum(v.blocked for v in uninventoried),
        "phi_trained": sum(r.entry.training_data_phi is True for r in results),
        "findings": len(findings),
        "findings_without_asset": len(findings) - len(rated),
    }
    return {
        "counts": counts,
        "models": models,
        "uninventoried": stray,
        "findings": [{
            "finding_id": f.finding_id,
            "check": dict(f.details).get("check", ""),
            "title": f.title,
            "severity": str(f.severity),
            "asset_ids": list(f.asset_ids),
            "threat_event_ids": list(f.threat_event_ids),
            "likelihood": str(f.likelihood.level) if f.likelihood else None,
            "likelihood_rationale": f.likelihood.rationale if f.likelihood else None,
            "in_register": f.finding_id in rated,
        } for f in findings],
        "policy": {
            "allow_globals": sorted(f"{m}:{n}" for m, n in policy.extra_globals),
            "required_scanners": sorted(policy.required_scanners),
        },
    }


def summary_lines(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Terminal and executive summary lines from :func:`models_data`: always ``AI models``
    (``3 scanned, 1 blocked``); the others only when non-zero."""
    counts = data["counts"]
    lines = [("AI models", f"{counts['models']} scanned, {counts['blocked']} blocked")]
    optional = (
        ("  model files not in the inventory", "uninventoried"),
        ("  of those, blocked", "uninventoried_blocked"),
        ("  model files listed but absent", "files_absent"),
        ("  vendor hash mismatches", "hash_mismatches"),
        ("  trained on PHI", "phi_trained"),
        ("  findings on no inventory asset (no risk)", "findings_without_asset"),
    )
    lines.extend((label, str(counts[key])) for label, key in optional if counts[key])
    return tuple(lines)
