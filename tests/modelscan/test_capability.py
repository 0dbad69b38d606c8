"""The ``models`` capability end to end inside ``caresec audit``: the example hospital's ED
triage pickle is blocked (``os.system``) and fails the vendor's hash, its findings enter the
risk register with the EHR's impact, and the HTML and JSON reports carry the AI model section.

Runs on a private copy of examples/riverside-community-hospital with only this capability, so
other capabilities cannot change the figures. Expected values come from:

* the example's own files (models/inventory.csv, inventory/assets.csv: EHR-APP-01 holds
  250,000 ePHI records; the SHA-256 of each model file, computed here with hashlib);
* NIST SP 800-30 Rev. 1 Table G-5 (overall likelihood) and Table I-2 (level of risk), as
  transcribed in catalogs/nist-800-30.yaml;
* caresec's likelihood rules for model findings (docs/model-scanning.md "Likelihood").
"""

from __future__ import annotations

import hashlib
import json
import pkgutil
import shutil
from datetime import date
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest

from caresec.analyze.modelscan.catalog import model_security
from caresec.analyze.modelscan.likelihood import model_likelihood
from caresec.capabilities.models import ORDER, capability, scan_policy
from caresec.catalogs.loader import load_threat_events
from caresec.catalogs.registry import resolve_citation
from caresec.collect.model_inventory import check_models
from caresec.extension import BUILTIN_PACKAGE, Capability, CapabilityRegistry
from caresec.model import (
    AuditResult,
    CapabilityResult,
    Level,
    OrgConfig,
    ProblemSeverity,
    SizeTier,
)
from caresec.model.ai_model import IssueKind, ModelFormat, ScanIssue, ScanOutcome, ScanVerdict
from caresec.pipeline import run_audit
from caresec.report import render_html, render_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
TODAY = date(2026, 11, 29)
TRIAGE_BLOCKED = "MODEL-AI-TRIAGE-01-F1-BLOCKED"
TRIAGE_HASH = "MODEL-AI-TRIAGE-01-F1-HASH"
SEPSIS_PHI = "MODEL-AI-SEPSIS-01-PHI"


def _copy(target: Path) -> Path:
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".caresec"))
    return target


def _audit(root: Path) -> AuditResult:
    return run_audit(root, today=TODAY, record_run=False,
                     capabilities=CapabilityRegistry([capability()]))


def _models(result: AuditResult) -> CapabilityResult:
    return next(c for c in result.capabilities if c.name == "models")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = _copy(tmp_path_factory.mktemp("models-cap") / "riverside")
    result = _audit(root)
    return SimpleNamespace(root=root, result=result, cap=_models(result))


def test_capability_is_builtin_and_satisfies_the_protocol() -> None:
    # Discovered like every built-in (caresec.extension.builtin_capabilities): a module of the
    # caresec.capabilities package defining ORDER and capability(). Other capability modules
    # are not imported here, so their state cannot fail this test.
    package = import_module(BUILTIN_PACKAGE)
    assert "models" in {info.name for info in pkgutil.iter_modules(package.__path__)}
    assert ORDER == 60
    assert isinstance(capability(), Capability)
    assert capability().name == "models"


def test_applies_only_with_a_models_folder(tmp_path: Path) -> None:
    org = OrgConfig(root=tmp_path, name="x", size_tier=SizeTier.SMALL,
                    inventory_dir=tmp_path / "inventory", sbom_dir=tmp_path / "sboms",
                    feeds_dir=tmp_path / "feeds")
    assert not capability().applies(org)
    (tmp_path / "models").mkdir()
    assert capability().applies(org)


def test_ed_triage_pickle_is_blocked_naming_os_system(audited: SimpleNamespace) -> None:
    models = {m["model_id"]: m for m in audited.cap.data["models"]}
    triage = models["AI-TRIAGE-01"]
    assert triage["verdict"] == "block"
    assert any("os.system" in r and "dangerous-global" in r for r in triage["reasons"])
    # The inventory's expected hash (the vendor's) is not the file's SHA-256.
    data = (EXAMPLE / "models" / "ed-triage-1.4.pkl").read_bytes()
    [file] = triage["files"]
    assert file["sha256"] == hashlib.sha256(data).hexdigest()
    assert file["expected_sha256"] == (
        "9b128c44f4ec5e08d1558767aead028680f634d6eb52a3f9abafe738988e8583")
    assert triage["hash_check"] == "mismatch" and triage["hashes_match"] is False
    assert [s["name"] for s in file["scanners"]] == ["caresec", "picklescan", "fickling",
                                                     "modelscan"]
    # The other two pass with their vendor hashes matching.
    for model_id, name in (("AI-SEPSIS-01", "sepsis-ews-2.1.safetensors"),
                           ("AI-CXR-01", "cxr-triage-head-1.0.onnx")):
        model = models[model_id]
        digest = hashlib.sha256((EXAMPLE / "models" / name).read_bytes()).hexdigest()
        assert (model["verdict"], model["hash_check"]) == ("pass", "match")
        assert model["files"][0]["sha256"] == digest and model["reasons"] == []
    counts = audited.cap.data["counts"]
    assert (counts["models"], counts["blocked"], counts["files_scanned"],
            counts["hash_mismatches"], counts["phi_trained"], counts["uninventoried"]) == (
        3, 1, 3, 1, 1, 0)
    assert audited.cap.summary[0] == ("AI models", "3 scanned, 1 blocked")
    assert audited.cap.activities == frozenset({"model-scan"})
    assert [p for p in audited.cap.problems if p.severity is ProblemSeverity.ERROR] == []


@pytest.mark.parametrize(
    ("finding_id", "likelihood", "level"),
    [
        # Code-capable content: initiation very high × adverse impact very high → G-5 very
        # high; × impact very high → I-2 very high.
        (TRIAGE_BLOCKED, Level.VERY_HIGH, Level.VERY_HIGH),
        # Hash mismatch: high × high → G-5 high; × very high → I-2 very high.
        (TRIAGE_HASH, Level.HIGH, Level.VERY_HIGH),
        # Trained on PHI: low × moderate → G-5 low; × very high → I-2 moderate.
        (SEPSIS_PHI, Level.LOW, Level.MODERATE),
    ],
)
def test_model_findings_enter_the_register_with_the_assets_impact(
    audited: SimpleNamespace, finding_id: str, likelihood: Level, level: Level
) -> None:
    [entry] = [e for e in audited.result.register if e.risk.finding_ids == (finding_id,)]
    assert entry.risk.asset_id == "EHR-APP-01"
    # EHR-APP-01 (inventory/assets.csv) holds 250,000 ePHI records ≥ 100,000 → very high.
    assert entry.inherent.impact.level is Level.VERY_HIGH
    assert "250,000" in entry.inherent.impact.rationale
    assert entry.inherent.likelihood.level is likelihood
    assert entry.inherent.level is level
    expected_te = ("TE-AI-TRAINING-DATA-EXTRACTION" if finding_id == SEPSIS_PHI
                   else "TE-AI-SUPPLY-CHAIN")
    assert entry.risk.threat_event_id == expected_te


def test_blocked_finding_rationale_names_its_inputs(audited: SimpleNamespace) -> None:
    finding = next(f for f in audited.cap.findings if f.finding_id == TRIAGE_BLOCKED)
    assert finding.severity == "critical"
    assert finding.likelihood is not None
    assert "os.system" in finding.likelihood.rationale
    assert "Table G-5 very high" in finding.likelihood.rationale
    # No finding for the two models that passed with matching hashes.
    assert {f.finding_id for f in audited.cap.findings} == {TRIAGE_BLOCKED, TRIAGE_HASH,
                                                           SEPSIS_PHI}


def test_html_has_the_ai_models_section_with_the_blocked_model(audited: SimpleNamespace) -> None:
    html = render_html(audited.result)
    assert 'href="#ai-models"' in html
    start = html.index('<section id="ai-models"')
    section = html[start:html.index("</section>", start)]
    row = section[section.index('<tr id="model-ai-triage-01">'):]
    row = row[:row.index("</tr>")]
    assert "ED triage acuity model" in row and ">block</span>" in row
    assert "os.system" in row and "mismatch" in row
    for column in ("Version", "Vendor", "Intended use", "FDA status", "Provenance",
                   "PHI in training", "Hash check", "Verdict and reasons", "Scanner versions"):
        assert f"<th>{column}</th>" in section
    assert "picklescan" in row and "fickling" in row


def test_json_report_has_the_models_capability(audited: SimpleNamespace) -> None:
    document = json.loads(render_json(audited.result))
    caps = {c["name"]: c for c in document["capabilities"]}
    models = caps["models"]
    assert sorted(models["finding_ids"]) == sorted([TRIAGE_BLOCKED, TRIAGE_HASH, SEPSIS_PHI])
    assert models["activities"] == ["model-scan"]
    triage = next(m for m in models["data"]["models"] if m["model_id"] == "AI-TRIAGE-01")
    assert triage["verdict"] == "block"
    assert any(r["finding_ids"] == [TRIAGE_BLOCKED] for r in document["register"])


def test_unknown_asset_is_a_warning_and_its_findings_enter_no_risk(tmp_path: Path) -> None:
    root = _copy(tmp_path / "riverside")
    inventory = root / "models" / "inventory.csv"
    text = inventory.read_text(encoding="utf-8")
    inventory.write_text(text.replace("unknown,EHR-APP-01", "unknown,ED-SRV-99"),
                         encoding="utf-8")
    result = _audit(root)
    cap = _models(result)
    [problem] = [p for p in cap.problems if "ED-SRV-99" in p.message]
    assert (problem.file, problem.place, problem.severity) == (
        "models/inventory.csv", "row 4, column asset_id", ProblemSeverity.WARNING)
    assert not any(TRIAGE_BLOCKED in e.risk.finding_ids for e in result.register)
    flagged = {f["finding_id"]: f["in_register"] for f in cap.data["findings"]}
    assert flagged[TRIAGE_BLOCKED] is False and flagged[SEPSIS_PHI] is True
    assert ("  findings on no inventory asset (no risk)", "2") in cap.summary


def _verdict(*kinds: IssueKind) -> ScanVerdict:
    issues = tuple(ScanIssue(k, f"{k} seen") for k in kinds)
    return ScanVerdict("m.pkl", 10, "0" * 64, ModelFormat.PICKLE, "pickle",
                       ScanOutcome.BLOCK if issues else ScanOutcome.PASS, issues)


@pytest.mark.parametrize(
    ("check", "verdict", "level", "named"),
    [
        # Table G-5 cells: (initiation, adverse impact) → overall.
        ("blocked-model", _verdict(IssueKind.DANGEROUS_GLOBAL), Level.VERY_HIGH,  # VH × VH
         "dangerous-global"),
        # Any code-capable issue decides, and is the one named.
        ("blocked-model", _verdict(IssueKind.UNLISTED_GLOBAL, IssueKind.UNSAFE_OPERATION),
         Level.VERY_HIGH, "unsafe-operation"),
        ("blocked-model", _verdict(IssueKind.UNLISTED_GLOBAL), Level.MODERATE,  # M × H
         "unlisted-global"),
        ("blocked-model", _verdict(IssueKind.PARSE_ERROR), Level.MODERATE, "parse-error"),
        ("hash-mismatch", None, Level.HIGH, "vendor published"),  # H × H
        ("unscanned-model", None, Level.MODERATE, "absent"),  # M × M
        ("uninventoried-model", None, Level.MODERATE, "no inventory row"),  # M × M
        ("unverified-model", None, Level.LOW, "no vendor hash"),  # L × M
        ("phi-training-data", None, Level.LOW, "membership inference"),  # L × M
    ],
)
def test_likelihood_rules(check: str, verdict: ScanVerdict | None, level: Level,
                          named: str) -> None:
    got = model_likelihood(check, verdict)
    assert got.level is level
    assert got.rationale.endswith(f"→ Table G-5 {level}")
    assert named in got.rationale


def test_every_model_finding_mapping_resolves() -> None:
    events = load_threat_events()
    for mapping in model_security().findings.values():
        assert mapping.threat_event_ids
        for te in mapping.threat_event_ids:
            assert te in events
        for control in mapping.control_ids:
            assert resolve_citation(control).citation == control
    assert events["TE-AI-SUPPLY-CHAIN"].source_type == "adversarial"


@pytest.mark.parametrize(
    ("settings", "globals_", "scanners", "places"),
    [
        ({}, set(), {"fickling", "picklescan"}, []),
        ({"allow_globals": ["sklearn.linear_model._logistic:LogisticRegression"],
          "require_scanners": ["modelscan"]},
         {("sklearn.linear_model._logistic", "LogisticRegression")},
         {"fickling", "picklescan", "modelscan"}, []),
        ({"allow_globals": ["ok.mod:Name", "nocolon"], "require_scanners": ["clamav"]},
         {("ok.mod", "Name")}, {"fickling", "picklescan"},
         ["[models] allow_globals[1]", "[models] require_scanners[0]"]),
        ({"allow_globals": "os:system", "framework": "pickle"}, set(),
         {"fickling", "picklescan"}, ["[models] framework", "[models] allow_globals"]),
    ],
)
def test_models_settings(settings: dict[str, object], globals_: set[tuple[str, str]],
                         scanners: set[str], places: list[str]) -> None:
    policy, problems = scan_policy(settings)
    assert set(policy.extra_globals) == globals_
    assert set(policy.required_scanners) == scanners
    assert [p.place for p in problems] == places
    assert all(p.file == "caresec.toml" for p in problems)


def test_reviewed_import_from_settings_reaches_the_scan(tmp_path: Path) -> None:
    # A protocol-2 pickle calling fractions.Fraction("1/2"), written opcode by opcode
    # (pickletools opcodes PROTO, GLOBAL, BINUNICODE, TUPLE1, REDUCE, STOP); fractions is on no
    # shipped allow-list, so it blocks until a person admits it.
    fraction = b"\x80\x02cfractions\nFraction\nX\x03\x00\x00\x001/2\x85R."
    root = _copy(tmp_path / "riverside")
    (root / "models" / "fraction.pkl").write_bytes(fraction)
    blocked = scan_policy({})[0]
    admitted = scan_policy({"allow_globals": ["fractions:Fraction"]})[0]
    _, [before], _ = check_models(root, policy=blocked)
    _, [after], _ = check_models(root, policy=admitted)
    assert before.path == after.path == "models/fraction.pkl"
    assert before.blocked and [i.kind for i in before.issues] == [IssueKind.UNLISTED_GLOBAL]
    assert not after.blocked
