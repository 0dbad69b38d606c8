"""Patient identifiers typed into the organization's free text never leave caresec.

Regression (found by a tester): "Patient Barnaby Quickfoot MRN RCH0004712 SSN 900-12-0002" in an
answers.yaml note, and a name, MRN and date of birth in a risk-responses.yaml justification and
a plan-status.yaml note, appeared verbatim in report.html, report.json, plan.csv and both OSCAL
files. Reports, logs, stores and exports carry no patient identifiers (HIPAA minimum necessary,
45 CFR 164.502(b)); the identifier types are the Safe Harbor ones of 45 CFR 164.514(b)(2)(i)
(names, dates related to an individual such as a birth date, phone numbers, SSNs, medical
record numbers, e-mail and street addresses). Runs the CLI on a private copy of the shipped
example hospital with the tester's strings planted.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caresec.cli.app import app
from caresec.model import ProblemSeverity
from caresec.pipeline import run_audit
from caresec.redact import redact_free_text, reveal_phi
from caresec.risk import parse_plan_status, parse_risk_responses

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "riverside-community-hospital"
TODAY = date(2026, 11, 29)

# The tester's identifiers (fictional; 900-12-0002 is in an SSN area SSA never issues).
NAME, SURNAME, MRN, SSN = "Barnaby", "Quickfoot", "RCH0004712", "900-12-0002"
DOB_US, DOB_ISO, PHONE = "03/14/1961", "1961-03-14", "410-555-0199"
PLANTED = (NAME, SURNAME, MRN, SSN, SSN.replace("-", ""), DOB_US, DOB_ISO, PHONE,
           PHONE.replace("-", ""))

ANSWER_NOTE = f"Patient {NAME} {SURNAME} MRN {MRN} SSN {SSN}"
JUSTIFICATION = (f"Reviewed after patient {NAME} {SURNAME} (MRN {MRN}, DOB {DOB_US}) was "
                 "affected by the outage.")
PLAN_NOTE = f"called patient {NAME} {SURNAME}, DOB {DOB_ISO}, at {PHONE}; MRN {MRN}"


@pytest.fixture
def org(tmp_path: Path) -> Path:
    """A copy of the example with the tester's strings in the three free-text files."""
    target = tmp_path / "riverside"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".caresec"))
    _replace(target / "answers.yaml",
             'note: "The 2025 risk analysis by Northgate IT Services covers both data centers',
             f'note: "{ANSWER_NOTE}. The 2025 risk analysis by Northgate IT Services covers '
             "both data centers")
    _replace(target / "risk-responses.yaml",
             "      The legacy radiology review workstation runs Windows 7",
             f"      {JUSTIFICATION} The legacy radiology review workstation runs Windows 7")
    _replace(target / "plan-status.yaml",
             "note: portal vendor asked whether jQuery 3.5 breaks the appointment widget",
             f"note: {PLAN_NOTE}; portal vendor asked whether jQuery 3.5 breaks the "
             "appointment widget")
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name} changed; re-plant the identifiers"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _leaks(data: bytes) -> list[str]:
    return [value for value in PLANTED if value.encode() in data]


def test_planted_identifiers_reach_no_output_store_or_console(
    org: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["audit", str(org), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _leaks(result.output.encode()) == []
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.name for p in written} >= {"report.html", "report.json", "plan.csv",
                                          "oscal-assessment-results.json", "oscal-poam.json"}
    stores = sorted(p for p in (org / ".caresec").rglob("*") if p.is_file())
    assert any(p.name == "runs.sqlite" for p in stores)
    for path in (*written, *stores):
        assert _leaks(path.read_bytes()) == [], path.name
    # The notes themselves still reach the reports, with the identifiers replaced.
    report = (out / "report.json").read_text(encoding="utf-8")
    for placeholder in ("[redacted NAME]", "[redacted MRN]", "[redacted SSN]",
                        "[redacted DATE]", "[redacted PHONE]"):
        assert placeholder in report
    assert "affected by the outage" in report and "[redacted NAME]" in (
        out / "report.html").read_text(encoding="utf-8")
    warnings = [p for p in json.loads(report)["problems"]
                if "looked like it contained PHI" in p["message"]]
    assert sorted((p["file"], p["place"]) for p in warnings) == [
        ("answers.yaml", "line 28"), ("plan-status.yaml", "line 13"),
        ("risk-responses.yaml", "line 8"),
    ]
    by_file = {p["file"]: p["message"] for p in warnings}
    assert by_file["answers.yaml"].startswith(
        "the note of Q-308-a1-iiA-01 looked like it contained PHI (NAME, MRN, SSN); it was "
        "redacted in every report.")
    assert "(NAME, DATE, PHONE, MRN)" in by_file["plan-status.yaml"]
    assert "(NAME, MRN, DATE)" in by_file["risk-responses.yaml"]


def test_the_shipped_example_has_no_redaction(tmp_path: Path) -> None:
    """The example's notes are PHI-free: dates, vendor names (Northgate), policy (PAT-02) and
    change numbers (CHG-2291) stay as written."""
    clean = tmp_path / "clean"
    shutil.copytree(EXAMPLE, clean, ignore=shutil.ignore_patterns(".caresec"))
    result = run_audit(clean, today=TODAY, record_run=False)
    assert [p for p in result.problems if "looked like it contained PHI" in p.message] == []


def test_reveal_phi_turns_redaction_off_with_one_warning() -> None:
    reveal, problems = reveal_phi([("fail_on", "high"), ("reveal_phi", "true")])
    assert reveal is True
    assert [(p.file, p.place, p.severity) for p in problems] == [
        ("caresec.toml", "[settings] reveal_phi", ProblemSeverity.WARNING)]
    assert problems[0].message.startswith("PHI redaction is off (reveal_phi)")
    text = ("responses:\n  - risk: R-1\n    response: mitigate\n"
            f"    justification: {JUSTIFICATION}\n")
    shown, notes = parse_risk_responses(text, reveal_phi=True)
    assert shown[0].justification == JUSTIFICATION and notes == ()
    hidden, notes = parse_risk_responses(text)
    assert MRN not in hidden[0].justification
    assert [(p.place, p.severity) for p in notes] == [("line 4", ProblemSeverity.WARNING)]


@pytest.mark.parametrize(("setting", "reveal", "warned"), [
    ([], False, False),
    ([("reveal_phi", "false")], False, False),
    ([("reveal_phi", "true")], True, True),
    ([("reveal_phi", "perhaps")], False, True),  # not a yes/no: redaction stays on
])
def test_reveal_phi_setting(setting: list[tuple[str, str]], reveal: bool, warned: bool) -> None:
    got, problems = reveal_phi(setting)
    assert (got, bool(problems)) == (reveal, warned)


def test_plan_status_owner_keeps_a_workforce_name() -> None:
    text = ("items:\n  PLAN-1:\n    status: open\n    owner: Dr. Jane Rakusin\n"
            f"    note: {PLAN_NOTE}\n")
    entries, problems = parse_plan_status(text)
    assert entries["PLAN-1"].owner == "Dr. Jane Rakusin"
    assert entries["PLAN-1"].note == ("called patient [redacted NAME], DOB [redacted DATE], at "
                                      "[redacted PHONE]; MRN [redacted MRN]")
    assert [p.place for p in problems] == ["line 5"]


@pytest.mark.parametrize(("field", "text", "expected", "types"), [
    # positives: patient identifiers (45 CFR 164.514(b)(2)(i) items A, C, D, F, G, H, B)
    ("note", ANSWER_NOTE, "Patient [redacted NAME] MRN [redacted MRN] SSN [redacted SSN]",
     ["NAME", "MRN", "SSN"]),
    ("note", "SSN 123-45-6789 on the form", "SSN [redacted SSN] on the form", ["SSN"]),
    ("justification", f"DOB {DOB_US} per chart", "DOB [redacted DATE] per chart", ["DATE"]),
    ("note", "Date of birth: 14 March 1961", "Date of birth: [redacted DATE]", ["DATE"]),
    ("note", "Dr. Rakusin reviewed; daughter Helen at 410-555-9876.",
     "Dr. [redacted NAME] reviewed; daughter [redacted NAME] at [redacted PHONE].",
     ["NAME", "PHONE"]),
    ("note", "reply to jane.roe@example.com, 12 Elm Street",
     "reply to [redacted EMAIL], [redacted STREET ADDRESS]", ["EMAIL", "STREET ADDRESS"]),
    ("evidence", "Chart review MRN RCH0004712", "Chart review MRN [redacted MRN]", ["MRN"]),
    # negatives: the example's own kinds of text (schedule dates, vendors, policies, tickets)
    ("note", "change request CHG-2291 approved; Mirth Connect upgrade window 2026-12-05",
     "change request CHG-2291 approved; Mirth Connect upgrade window 2026-12-05", []),
    ("note", "Policy PAT-02: 15 days for critical patches.",
     "Policy PAT-02: 15 days for critical patches.", []),
    ("note", "The 2025 risk analysis by Northgate IT Services covers both data centers",
     "The 2025 risk analysis by Northgate IT Services covers both data centers", []),
    ("justification", "accepted until the platform update promised for October 2026",
     "accepted until the platform update promised for October 2026", []),
    ("evidence", "Risk analysis report 2024-06-12", "Risk analysis report 2024-06-12", []),
    ("owner", "Dr. Jane Rakusin", "Dr. Jane Rakusin", []),  # a workforce member, not a patient
    ("owner", "Chief Information Security Officer", "Chief Information Security Officer", []),
    ("note", "", "", []),
])
def test_redact_free_text(field: str, text: str, expected: str, types: list[str]) -> None:
    assert redact_free_text(text, field=field) == (expected, types)
