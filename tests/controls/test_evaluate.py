"""evaluate_controls (analyze/controls/evaluate.py): statuses for every HIPAA Security Rule
element, the required evidence rules, contradictions, CPG / NPRM / OCR views, and the shipped
example with its planted contradictions.

Regulation paragraphs named here are 45 CFR Part 164 Subpart C as in hipaa-security-rule.yaml;
NPRM figures are 90 FR 898 (proposed); KEV and lifecycle facts are in conftest.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from caresec.analyze.controls import evaluate_controls
from caresec.catalogs.registry import (
    load_cpgs,
    load_hipaa_security_rule,
    load_nprm,
    load_ocr_elements,
)
from caresec.collect.answers import collect_answers, inventory_file_dates
from caresec.collect.org import load_org
from caresec.model import Answer, AnswerValue, AssetKind, ControlState, KevEntry
from caresec.model.control import ControlEvaluation, NprmVerdict, OcrCoverage
from caresec.pipeline import run_audit

TODAY = date(2026, 11, 29)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
MET, PARTLY, NOT_MET = ControlState.MET, ControlState.PARTLY_MET, ControlState.NOT_MET
UNKNOWN, NA = ControlState.UNKNOWN, ControlState.NOT_APPLICABLE


def run(kit: SimpleNamespace, *, assets: Any = None, matches: Any = (), answers: Any = (),
        **kw: Any) -> ControlEvaluation:
    assets = [kit.asset("HL7-01")] if assets is None else assets
    return evaluate_controls(
        assets=assets, sboms=(), findings=kit.findings(assets, matches), matches=matches,
        answers=answers, today=TODAY, **kw,
    )


def yes(question_id: str, value: AnswerValue = AnswerValue.YES, note: str = "") -> Answer:
    return Answer(question_id, value, note=note, source=f"answers.yaml:{question_id}")


def test_one_status_per_standard_and_specification_in_order(kit: SimpleNamespace) -> None:
    rule = load_hipaa_security_rule()
    # 45 CFR 164.308-164.316: 22 standards and 46 implementation specifications.
    assert (len(rule.standards), len(rule.specifications)) == (22, 46)
    evaluation = run(kit)
    assert [s.control_id for s in evaluation.statuses] == [e.citation for e in rule.elements]
    assert len(evaluation.statuses) == 68
    assert all(s.rationale and s.title for s in evaluation.statuses)
    assert [c.cpg_id for c in evaluation.cpg_status] == [g.id for g in load_cpgs().goals]
    assert len(evaluation.cpg_status) == 20
    assert [n.requirement_id for n in evaluation.nprm_readiness] == [
        r.id for r in load_nprm().requirements
    ]
    assert [o.element_id for o in evaluation.ocr_elements] == [
        e.id for e in load_ocr_elements().elements
    ]
    assert evaluation.questions >= 80


Scenario = Callable[[SimpleNamespace], dict[str, Any]]
WIN7 = {"kind": AssetKind.WORKSTATION, "end_of_support": date(2020, 1, 14)}

# (control, scenario, expected state) — positives and negatives side by side.
RULE_CASES: list[tuple[str, str, Scenario, ControlState]] = [
    # 164.310(d)(2)(iii) Accountability: inventory present, current, owner and location.
    ("current inventory", "164.310(d)(2)(iii)",
     lambda k: {"inventory_mtimes": k.INVENTORY}, MET),
    ("stale inventory", "164.310(d)(2)(iii)",
     lambda k: {"inventory_mtimes": {"inventory/assets.csv": date(2024, 1, 2)}}, PARTLY),
    ("no inventory", "164.310(d)(2)(iii)", lambda k: {"assets": []}, NOT_MET),
    # 164.308(a)(1)(ii)(A) Risk analysis depends on the inventory.
    ("no inventory, risk analysis", "164.308(a)(1)(ii)(A)", lambda k: {"assets": []}, NOT_MET),
    # 164.308(a)(1)(ii)(B) Risk management: KEV open on an ePHI asset.
    ("KEV on ePHI asset", "164.308(a)(1)(ii)(B)",
     lambda k: {"matches": [k.log4shell()]}, NOT_MET),
    ("same CVE not in KEV", "164.308(a)(1)(ii)(B)",
     lambda k: {"matches": [k.log4shell(kev=None)]}, UNKNOWN),
    # 164.308(a)(5)(ii)(B) Protection from malicious software: end-of-support OS.
    ("Windows 7 workstation", "164.308(a)(5)(ii)(B)",
     lambda k: {"assets": [k.asset("WS-RAD-LEGACY", **WIN7)]}, PARTLY),
    ("supported workstation", "164.308(a)(5)(ii)(B)",
     lambda k: {"assets": [k.asset("WS-RAD-01", kind=AssetKind.WORKSTATION)]}, UNKNOWN),
    # 164.308(a)(1)(ii)(D) Information system activity review and 164.312(b) Audit controls.
    ("no access-log review", "164.308(a)(1)(ii)(D)", lambda k: {}, NOT_MET),
    ("access-log review ran", "164.308(a)(1)(ii)(D)",
     lambda k: {"activities": frozenset({"access-log-review"})}, MET),
    ("no access-log review, audit controls", "164.312(b)", lambda k: {}, NOT_MET),
    # 164.308(a)(8) Evaluation: this audit is a technical evaluation.
    ("this audit", "164.308(a)(8)", lambda k: {}, PARTLY),
    ("this audit, evaluation answered yes", "164.308(a)(8)",
     lambda k: {"answers": [yes(q) for q in (
         "Q-308-a8-01", "Q-308-a8-02", "Q-308-a1-iiA-05", "Q-308-a1-iiB-07")]}, MET),
    ("this audit, evaluation answered no", "164.308(a)(8)",
     lambda k: {"answers": [yes("Q-308-a8-01", AnswerValue.NO)]}, PARTLY),
    # 164.312(a)(2)(iv) / (e)(2)(ii) Encryption and 164.308(a)(7)(ii)(A) backup: no evidence.
    ("encryption, no evidence", "164.312(a)(2)(iv)", lambda k: {}, UNKNOWN),
    ("encryption answered yes", "164.312(a)(2)(iv)",
     lambda k: {"answers": [yes("Q-312-a2-iv-01")]}, MET),
    ("encryption in transit, no evidence", "164.312(e)(2)(ii)", lambda k: {}, UNKNOWN),
    ("backup, no evidence", "164.308(a)(7)(ii)(A)", lambda k: {}, UNKNOWN),
    # An addressable specification answered na with a note (164.310(a)(2)(iv) Maintenance
    # records, addressable).
    ("na with a note", "164.310(a)(2)(iv)",
     lambda k: {"answers": [yes("Q-310-a2-iv-01", AnswerValue.NOT_APPLICABLE, "leased")]}, NA),
]


@pytest.mark.parametrize(
    ("control_id", "scenario", "expected"), [c[1:] for c in RULE_CASES],
    ids=[c[0] for c in RULE_CASES],
)
def test_required_rules(
    kit: SimpleNamespace, control_id: str, scenario: Scenario, expected: ControlState
) -> None:
    status = run(kit, **scenario(kit)).status_of(control_id)
    assert status.state is expected, status.rationale
    if expected in (NOT_MET, PARTLY) and not status.answers:
        assert status.evidence and status.rule_ids  # an evidence-based state cites its evidence


def test_status_cites_findings_and_rules(kit: SimpleNamespace) -> None:
    status = run(kit, matches=[kit.log4shell()]).status_of("164.308(a)(1)(ii)(B)")
    assert "VULN-HL7-01-CVE-2021-44228" in status.finding_ids
    assert {"ER-KEV-OPEN-EPHI", "ER-PATCH-CRITICAL"} <= set(status.rule_ids)
    assert any("CISA KEV since 2021-12-10" in e.description for e in status.evidence)
    assert "CVE-2021-44228 open at least 1,815 days on HL7-01" in status.rationale


def test_standard_rolls_up_its_specifications(kit: SimpleNamespace) -> None:
    evaluation = run(kit, matches=[kit.log4shell()])
    # 164.308(a)(1) Security management process: (B) not met, (D) not met, (C) unknown.
    standard = evaluation.status_of("164.308(a)(1)")
    assert standard.state is NOT_MET or standard.state is PARTLY
    assert "164.308(a)(1)(ii)(B) not met" in standard.rationale
    assert evaluation.status_of("164.308(a)(1)(ii)(C)").state is UNKNOWN


def kev_days_ago(days: int) -> KevEntry:
    return KevEntry("CVE-2021-44228", TODAY - timedelta(days=days))


# Q-308-a1-iiB-02 asks whether critical patches are applied within a deadline; its NPRM figure
# (NPRM-PATCH-CRITICAL max_days) is 15 days.
CONTRADICTION_CASES: list[tuple[str, AnswerValue, KevEntry | None, bool]] = [
    ("yes, KEV known 1,815 days", AnswerValue.YES, None, True),
    ("yes, KEV known 16 days", AnswerValue.YES, kev_days_ago(16), True),
    ("yes, KEV known 10 days", AnswerValue.YES, kev_days_ago(10), False),
    ("partial admits misses", AnswerValue.PARTIAL, None, False),
    ("no admits misses", AnswerValue.NO, None, False),
]


@pytest.mark.parametrize(
    ("value", "kev", "contradicted"), [c[1:] for c in CONTRADICTION_CASES],
    ids=[c[0] for c in CONTRADICTION_CASES],
)
def test_patch_timeliness_contradiction(
    kit: SimpleNamespace, value: AnswerValue, kev: KevEntry | None, contradicted: bool
) -> None:
    match = kit.log4shell() if kev is None else kit.log4shell(kev=kev)
    evaluation = run(kit, matches=[match], answers=[yes("Q-308-a1-iiB-02", value)])
    found = [c for c in evaluation.contradictions if c.question_id == "Q-308-a1-iiB-02"]
    assert bool(found) is contradicted
    # Whatever the answer, the KEV open on an ePHI asset leaves risk management not met.
    assert evaluation.status_of("164.308(a)(1)(ii)(B)").state is NOT_MET
    if found:
        (c,) = found
        assert c.control_id == "164.308(a)(1)(ii)(B)"
        assert c.answer is AnswerValue.YES
        assert "CVE-2021-44228 open at least" in c.message and "HL7-01" in c.message
        assert c.evidence
        status = evaluation.status_of("164.308(a)(1)(ii)(B)")
        assert "contradicted answers: Q-308-a1-iiB-02=yes" in status.rationale


def test_na_contradicted_by_vendors_holding_ephi(kit: SimpleNamespace) -> None:
    vendor = kit.asset("VENDOR-BILLING", kind=AssetKind.VENDOR)
    answer = yes("Q-314-a2-i-02", AnswerValue.NOT_APPLICABLE, "no business associates")
    (c,) = run(kit, assets=[vendor], answers=[answer]).contradictions
    assert (c.question_id, c.answer) == ("Q-314-a2-i-02", AnswerValue.NOT_APPLICABLE)
    assert "VENDOR-BILLING" in c.message
    assert run(kit, assets=[kit.asset("A")], answers=[answer]).contradictions == ()


@pytest.mark.parametrize(
    ("matches", "answer", "verdict", "reason"),
    [
        ("log4shell", None, NprmVerdict.WOULD_FAIL,
         "critical patches within 15 days: CVE-2021-44228 open at least 1,815 days on HL7-01"),
        ("none", None, NprmVerdict.UNKNOWN, "unanswered: Q-308-a1-iiB-02"),
        ("none", AnswerValue.YES, NprmVerdict.WOULD_PASS, "answered yes to Q-308-a1-iiB-02"),
        ("none", AnswerValue.PARTIAL, NprmVerdict.WOULD_FAIL,
         "answered partial to Q-308-a1-iiB-02 (proposed: 15 days)"),
        ("log4shell", AnswerValue.YES, NprmVerdict.WOULD_FAIL, "CVE-2021-44228"),
    ],
)
def test_nprm_patch_critical(
    kit: SimpleNamespace, matches: str, answer: AnswerValue | None, verdict: NprmVerdict,
    reason: str,
) -> None:
    found = [kit.log4shell()] if matches == "log4shell" else []
    answers = [yes("Q-308-a1-iiB-02", answer)] if answer else []
    readiness = {
        n.requirement_id: n for n in run(kit, matches=found, answers=answers).nprm_readiness
    }["NPRM-PATCH-CRITICAL"]
    assert readiness.verdict is verdict
    assert reason in readiness.reason


def test_cpg_and_ocr_views(kit: SimpleNamespace) -> None:
    evaluation = run(kit, matches=[kit.log4shell()], inventory_mtimes=kit.INVENTORY)
    cpg = {c.cpg_id: c for c in evaluation.cpg_status}
    # CPG-ESS-01 Mitigate Known Vulnerabilities; CPG-ENH-01 Asset Inventory.
    assert cpg["CPG-ESS-01"].state is NOT_MET
    assert cpg["CPG-ENH-01"].state is MET  # current inventory with owner and location
    pump = kit.asset("IP-FLEET", kind=AssetKind.MEDICAL_DEVICE)  # no end-of-support date
    with_pump = run(kit, assets=[pump], inventory_mtimes=kit.INVENTORY)
    assert {c.cpg_id: c for c in with_pump.cpg_status}["CPG-ENH-01"].state is PARTLY
    ocr = {o.element_id: o for o in evaluation.ocr_elements}
    assert ocr["OCR-RA-1"].coverage is OcrCoverage.COVERED
    assert "1 assets, 1 holding ePHI" in ocr["OCR-RA-1"].summary
    assert ocr["OCR-RA-9"].coverage is OcrCoverage.NOT_COVERED
    again = run(kit, previous_run=True, answers=[yes("Q-308-a1-iiA-02")])
    assert {o.element_id: o for o in again.ocr_elements}["OCR-RA-9"].coverage is (
        OcrCoverage.COVERED
    )


def test_answers_to_unknown_questions_are_ignored(kit: SimpleNamespace) -> None:
    evaluation = run(kit, answers=[yes("Q-999-z-01"), yes("Q-308-a2-01")])
    assert [a.question_id for a in evaluation.answers] == ["Q-308-a2-01"]
    # 164.308(a)(2) Assigned security responsibility: answered yes, no evidence rule.
    status = evaluation.status_of("164.308(a)(2)")
    assert status.state is MET
    assert "self-reported" in status.rationale


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> ControlEvaluation:
    root = tmp_path_factory.mktemp("example") / "riverside"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".caresec", "models"))
    result = run_audit(root, today=TODAY)
    org = load_org(root)
    answers, problems = collect_answers(org)
    assert problems == []
    return evaluate_controls(
        assets=result.facts.assets, sboms=result.facts.sboms, findings=result.findings,
        matches=result.matches, answers=answers, today=TODAY,
        inventory_mtimes=inventory_file_dates(org), risks=result.risks,
    )


def test_example_planted_contradictions(example: ControlEvaluation) -> None:
    found = {c.question_id: c for c in example.contradictions}
    # log4j-core 2.14.1 on HL7-01: CVE-2021-44228, in CISA KEV since 2021-12-10 (1,815 days
    # before 2026-11-29), critical, fixed in 2.15.0: past the NPRM's 15 days.
    patch = found["Q-308-a1-iiB-02"]
    assert patch.control_id == "164.308(a)(1)(ii)(B)"
    assert "CVE-2021-44228 open at least 1,815 days on HL7-01" in patch.message
    # jQuery 3.4.1 on the internet-facing portal: CVE-2020-11023, in KEV since 2025-01-23.
    assert "CVE-2020-11023 open at least 675 days on PORTAL-WEB-01" in (
        found["Q-308-a1-iiB-04"].message
    )
    assert set(found) == {"Q-308-a1-iiB-02", "Q-308-a1-iiB-04"}


@pytest.mark.parametrize(
    ("control_id", "expected"),
    [
        ("164.308(a)(1)(ii)(B)", NOT_MET),  # KEV open on ePHI assets
        ("164.308(a)(1)(ii)(D)", NOT_MET),  # no access-log review ran
        ("164.312(b)", NOT_MET),
        ("164.310(d)(2)(iii)", MET),  # inventory current, answered yes
        ("164.308(a)(8)", PARTLY),  # answered no, but this audit evaluates
        ("164.308(a)(4)(ii)(A)", NA),  # no clearinghouse, with a note
        ("164.314(b)(1)", NA),  # every group health plan specification na
        ("164.310(d)(2)(iv)", UNKNOWN),  # unanswered, no backup evidence
    ],
)
def test_example_statuses(
    example: ControlEvaluation, control_id: str, expected: ControlState
) -> None:
    assert example.status_of(control_id).state is expected


def test_example_nprm_and_ocr(example: ControlEvaluation) -> None:
    nprm = {n.requirement_id: n for n in example.nprm_readiness}
    assert nprm["NPRM-PATCH-CRITICAL"].verdict is NprmVerdict.WOULD_FAIL
    assert "CVE-2021-44228" in nprm["NPRM-PATCH-CRITICAL"].reason
    assert nprm["NPRM-INCIDENT-RESPONSE-PLAN"].verdict is NprmVerdict.WOULD_PASS
    ocr = {o.element_id: o for o in example.ocr_elements}
    assert ocr["OCR-RA-2"].coverage is OcrCoverage.COVERED
    assert ocr["OCR-RA-3"].coverage is OcrCoverage.PARTLY_COVERED  # not-assessed components
