"""Public scanners as a second opinion: they can add blocks, never remove one; absence of a
required scanner blocks; the one reviewed fickling flag (model-security.yaml) is waived."""

from __future__ import annotations

import io
from collections.abc import Callable

import joblib
import numpy as np
import pytest

from caresec.analyze.modelscan import external
from caresec.analyze.modelscan.context import ScanUnit
from caresec.model.ai_model import IssueKind, ScannerStatus, ScanVerdict

OS_SYSTEM = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R."


def test_a_reviewed_admission_still_meets_the_public_scanners(
        scan: Callable[..., ScanVerdict]) -> None:
    # A person adds os:system to the allow-list; picklescan and fickling still flag the call.
    verdict = scan(OS_SYSTEM, extra_globals=frozenset({("os", "system")}))
    disagreements = [i for i in verdict.issues if i.kind is IssueKind.SCANNER_DISAGREEMENT]
    assert {i.message.split()[0] for i in disagreements} >= {"picklescan", "fickling"}
    status = {s.name: s.status for s in verdict.scanners}
    assert status["caresec"] is ScannerStatus.CLEAN
    assert status["picklescan"] is ScannerStatus.FLAGGED


def test_missing_required_scanner_blocks(scan: Callable[..., ScanVerdict],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = external.scanner_version
    monkeypatch.setattr(external, "scanner_version",
                        lambda name: "" if name in ("picklescan", "modelscan") else real(name))
    verdict = scan(b"\x80\x04N.")
    assert [i.kind for i in verdict.issues] == [IssueKind.SCANNER_UNAVAILABLE]
    assert "picklescan" in verdict.issues[0].message
    runs = {s.name: s for s in verdict.scanners}
    assert runs["modelscan"].status is ScannerStatus.NOT_INSTALLED  # optional: recorded only
    verdict = scan(b"\x80\x04N.", required_scanners=frozenset({"fickling", "modelscan"}))
    assert "modelscan" in verdict.reason


def test_scanners_not_applicable_to_safetensors(scan: Callable[..., ScanVerdict]) -> None:
    verdict = scan(b"\x02\x00\x00\x00\x00\x00\x00\x00{}")  # header {} and no tensors
    assert not verdict.blocked, verdict.issues
    status = {s.name: s.status for s in verdict.scanners}
    assert status["picklescan"] is ScannerStatus.NOT_APPLICABLE


def test_fickling_joblib_flag_is_the_only_waiver() -> None:
    buffer = io.BytesIO()
    joblib.dump({"w": np.ones(3)}, buffer)
    from caresec.analyze.modelscan.context import Context, ScanPolicy
    from caresec.analyze.modelscan.engine import _inspect

    ctx = Context(ScanPolicy(), inspect_part=_inspect)
    _inspect(ctx, buffer.getvalue(), "", 0)
    report = external.run_external("fickling", ctx.units)
    assert report.run.status is ScannerStatus.CLEAN and not report.flagged
    assert "reviewed false positive" in report.run.detail
    # The same scanner on a joblib stream that also imports os.system is not waived.
    bad = ScanUnit("x", "pickle", ctx.units[0].data[:-1] + b"0cos\nsystem\n0N.")
    assert external.run_external("fickling", [bad]).flagged


def test_crashing_scanner_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(unit: ScanUnit) -> None:
        raise RuntimeError("scanner bug")

    monkeypatch.setattr(external, "_picklescan", boom)
    report = external.run_external("picklescan", [ScanUnit("p", "pickle", b"N.")])
    assert report.run.status is ScannerStatus.ERROR and report.errors[0][0] == "p"
