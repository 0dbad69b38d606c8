"""Adapters for the public scanners: picklescan, fickling and modelscan, used as libraries.

They are consulted on the exact parts caresec identified (each pickle's opcode bytes, with
joblib's inline array data removed; each Keras file), entirely in memory. A scanner can only add
reasons to block, never remove one: when it flags or fails on a part that caresec passed, that
is a ``scanner-disagreement`` and the file is blocked.

What counts as "flagged" for each scanner, by its own documented levels:

* picklescan (``picklescan.scanner.scan_pickle_bytes``): any global it rates ``Dangerous``
  (``issues_count > 0``); ``scan_err`` is an error.
* fickling (``fickling.fickle.Pickled`` + ``fickling.analysis.check_safety``): severity
  ``LIKELY_OVERTLY_MALICIOUS`` or ``OVERTLY_MALICIOUS``. Its lower levels (``LIKELY_UNSAFE``,
  ``SUSPICIOUS``) fire on every PyTorch checkpoint (any non-standard-library import), so they are
  recorded in the detail but are not a disagreement; caresec's allow-list already judges imports.
* modelscan (``modelscan.scanners`` ``PickleUnsafeOpScan``, ``KerasLambdaDetectScan``,
  ``H5LambdaDetectScan``): any issue; errors other than its own missing optional dependency
  (TensorFlow) are errors.

modelscan pins older ``rich``/``tomlkit`` releases, so it is the optional extra
``caresec[modelscan]``; picklescan and fickling are installed with caresec. A scanner that is
not installed is reported as ``not-installed`` in every verdict; when the policy requires it
(``--require-scanner``), its absence blocks.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from caresec.analyze.modelscan.catalog import model_security
from caresec.analyze.modelscan.context import ScanUnit
from caresec.model.ai_model import ScannerRun, ScannerStatus

SCANNERS = ("picklescan", "fickling", "modelscan")


@dataclass(slots=True)
class ExternalReport:
    """One scanner's run over the parts of a file.

    Attributes:
        run: the summary recorded in the verdict.
        flagged: ``(part, detail)`` for every part the scanner flagged.
        errors: ``(part, detail)`` for every part it failed on.
    """

    run: ScannerRun
    flagged: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def scanner_version(name: str) -> str:
    """The installed distribution version of ``name``, or ``""`` when not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(n) for n in names]
    before = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, was in zip(loggers, before, strict=True):
            lg.disabled = was


def run_external(name: str, units: list[ScanUnit]) -> ExternalReport:
    """Run one public scanner over ``units``.

    Args:
        name: ``picklescan``, ``fickling`` or ``modelscan``.
        units: the parts (pickle opcodes, Keras files).

    Returns:
        An :class:`ExternalReport`; ``not-installed`` when the package is absent and
        ``not-applicable`` when no unit is of a kind it reads.
    """
    version = scanner_version(name)
    if not version:
        return ExternalReport(ScannerRun(name, "", ScannerStatus.NOT_INSTALLED))
    runner: Callable[[ScanUnit], tuple[str, str] | None] | None
    runner = {"picklescan": _picklescan, "fickling": _fickling, "modelscan": _modelscan}[name]
    kinds = {"pickle"} if name != "modelscan" else {"pickle", "keras", "keras-h5"}
    applicable = [u for u in units if u.kind in kinds]
    if not applicable:
        return ExternalReport(ScannerRun(name, version, ScannerStatus.NOT_APPLICABLE))
    report = ExternalReport(ScannerRun(name, version, ScannerStatus.CLEAN))
    notes: list[str] = []
    skipped = 0
    with _quiet(name, "modelscan", "picklescan", "fickling"), redirect_stdout(io.StringIO()):
        for unit in applicable:
            try:
                outcome = runner(unit)
            except Exception as exc:
                report.errors.append((unit.part, f"{type(exc).__name__}: {exc}"[:200]))
                continue
            if outcome is None:
                continue
            status, detail = outcome
            if status == "flag":
                report.flagged.append((unit.part, detail))
            elif status == "error":
                report.errors.append((unit.part, detail))
            else:
                skipped += status == "skip"
                notes.append(detail)
    if report.errors:
        status = ScannerStatus.ERROR
    elif report.flagged:
        status = ScannerStatus.FLAGGED
    elif skipped == len(applicable):
        status = ScannerStatus.NOT_APPLICABLE
    else:
        status = ScannerStatus.CLEAN
    details = [f"{p}: {d}" for p, d in report.flagged + report.errors] or notes
    report.run = ScannerRun(name, version, status, "; ".join(details)[:500])
    return report


def _picklescan(unit: ScanUnit) -> tuple[str, str] | None:
    from picklescan.scanner import SafetyLevel, scan_pickle_bytes

    result = scan_pickle_bytes(io.BytesIO(unit.data), unit.part, multiple_pickles=False)
    if result.scan_err:
        return ("error", "could not parse the pickle")
    if result.issues_count:
        dangerous = sorted({f"{g.module}.{g.name}" for g in result.globals
                            if g.safety == SafetyLevel.Dangerous})
        return ("flag", "dangerous " + ", ".join(dangerous))
    return None


def _fickling(unit: ScanUnit) -> tuple[str, str] | None:
    from fickling.analysis import Severity, check_safety
    from fickling.fickle import Pickled

    pickled = Pickled.load(unit.data)
    results = check_safety(pickled)
    severity: Any = results.severity
    if severity >= Severity.LIKELY_OVERTLY_MALICIOUS:
        triggers = [str(r.trigger or r.message) for r in results.results
                    if r.severity >= Severity.LIKELY_OVERTLY_MALICIOUS]
        waived = [t for t in triggers if _reviewed("fickling", t)]
        if triggers and len(waived) == len(triggers):
            return ("note", f"{unit.part}: {severity.name} for {', '.join(waived)} "
                            "(reviewed false positive, see model-security.yaml)")
        return ("flag", f"{severity.name}: " + "; ".join(triggers)[:200])
    if severity > Severity.LIKELY_SAFE:
        return ("note", f"{unit.part}: {severity.name} (below the flagging level)")
    return None


def _reviewed(scanner: str, trigger: str) -> bool:
    """True when ``trigger`` is ``from M import N`` and ``M.N`` is a reviewed flag."""
    words = trigger.split()
    if len(words) != 4 or words[0] != "from" or words[2] != "import":
        return False
    return (scanner, f"{words[1]}.{words[3]}") in model_security().reviewed_flags


def _modelscan(unit: ScanUnit) -> tuple[str, str] | None:
    from modelscan.error import DependencyError
    from modelscan.model import Model
    from modelscan.scanners import H5LambdaDetectScan, KerasLambdaDetectScan, PickleUnsafeOpScan
    from modelscan.settings import DEFAULT_SETTINGS, SupportedModelFormats

    scanner_class: Any
    if unit.kind == "pickle":
        scanner_class, fmt, suffix = PickleUnsafeOpScan, SupportedModelFormats.PICKLE, ".pkl"
    elif unit.kind == "keras":
        scanner_class, fmt, suffix = KerasLambdaDetectScan, SupportedModelFormats.KERAS, ".keras"
    else:
        scanner_class, fmt, suffix = H5LambdaDetectScan, SupportedModelFormats.KERAS_H5, ".h5"
    model = Model(f"{unit.part}{suffix}", io.BytesIO(unit.data))
    model.set_context("formats", [fmt])
    results = scanner_class(DEFAULT_SETTINGS).scan(model)
    if results is None:
        return None
    if results.issues:
        ops = sorted({str(getattr(i.details, "operator", "")) or "issue" for i in results.issues})
        return ("flag", "issues " + ", ".join(ops))
    real_errors = [e for e in results.errors if not isinstance(e, DependencyError)]
    if real_errors:
        return ("error", str(real_errors[0].to_dict().get("description", real_errors[0]))[:200])
    if results.errors:
        return ("skip", f"{unit.part}: needs an optional dependency (TensorFlow), not checked")
    return None
