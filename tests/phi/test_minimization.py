"""PHI minimization: identifiers planted in every input format appear in no output, log or
store file (45 CFR 164.502(b) minimum necessary); only keyed pseudonyms and shapes do."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caresec.cli.phi import app

PLANTED = ["Zephyrine", "Quillfeather", "Barnabus", "RCH0099123", "123-45-6789", "123456789",
           "555-0199", "4105550199", "zquill@example.org", "Wren Hollow", "1930-02-14",
           "19300214", "21299", "1EG4-TE5-MK73", "Hollowell"]


@pytest.fixture
def org(tmp_path: Path, fixtures: Path, documents: dict[str, Callable[..., bytes]]) -> Path:
    root = tmp_path / "org"
    data = root / "data"
    data.mkdir(parents=True)
    (root / "caresec.toml").write_text('[organization]\nname = "Test"\nsize_tier = "small"\n')
    for name in ("note.planted.txt", "adt.planted.hl7", "bundle.planted.json",
                 "patients.planted.csv"):
        shutil.copy(fixtures / "phi" / name, data / name)
    line = "Zephyrine Quillfeather MRN RCH0099123 SSN 123-45-6789 phone (410) 555-0199"
    (data / "letter.pdf").write_bytes(documents["pdf"](line))
    (data / "letter.docx").write_bytes(documents["docx"]([line, "Medicare MBI 1EG4-TE5-MK73"]))
    (data / "sheet.xlsx").write_bytes(documents["xlsx"](
        [["patient_name", "ssn", "dob"], ["Zephyrine Quillfeather", "123-45-6789", "1930-02-14"]]))
    (data / "mail.eml").write_bytes(documents["eml"](
        "Zephyrine Quillfeather <zquill@example.org>", "MRN RCH0099123 results",
        "Please call (410) 555-0199.", ("note.txt", line.encode())))
    (data / "export.zip").write_bytes(documents["zip"]({"inner/note.txt": line.encode()}))
    with sqlite3.connect(data / "billing.sqlite") as con:
        con.execute("CREATE TABLE accounts (patient_name TEXT, ssn TEXT, phone TEXT)")
        con.execute("INSERT INTO accounts VALUES (?, ?, ?)",
                    ("Zephyrine Quillfeather", "123-45-6789", "(410) 555-0199"))
    return root


def _leaks(text: str) -> list[str]:
    low = text.lower()
    return [value for value in PLANTED if value.lower() in low]


def test_no_identifier_in_output_logs_or_store(org: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(org / "data"), "--org", str(org), "--json",
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    found = {loc["location"]: loc for loc in document["locations"]}
    # every format was read and found its identifiers
    for name in ("data/note.planted.txt", "data/adt.planted.hl7", "data/bundle.planted.json",
                 "data/letter.pdf", "data/letter.docx", "data/mail.eml",
                 "data/export.zip!inner/note.txt", "data/mail.eml!note.txt"):
        assert name in found, name
    assert "data/patients.planted.csv#ssn" in found
    assert "data/sheet.xlsx!Sheet#ssn" in found
    assert "data/billing.sqlite#accounts#ssn" in found
    assert document["problems"] == []
    # …and nothing planted leaked anywhere
    assert _leaks(result.output) == []
    assert _leaks("\n".join(r.getMessage() for r in caplog.records)) == []
    store = org / ".caresec"
    files = [p for p in store.rglob("*") if p.is_file()]
    assert {p.name for p in files} == {"key", "phi-inventory.json"}
    for path in files:
        assert _leaks(path.read_bytes().decode("utf-8", "replace")) == []
    text = runner.invoke(app, ["scan", str(org / "data"), "--org", str(org), "--workers", "1"])
    assert _leaks(text.output) == []


def test_second_scan_reports_change(org: Path) -> None:
    runner = CliRunner()
    args = ["scan", str(org / "data"), "--org", str(org), "--json", "--workers", "1"]
    first = json.loads(runner.invoke(app, args).output)
    assert {loc["change"] for loc in first["locations"]} == {"first scan"}
    (org / "data" / "note.planted.txt").write_text("Nothing here but vital signs.\n")
    (org / "data" / "new.txt").write_text("SSN 123-45-6780 on file\n")
    second = {loc["location"]: loc for loc in json.loads(runner.invoke(app, args).output)[
        "locations"]}
    assert second["data/new.txt"]["change"] == "new"
    assert second["data/note.planted.txt"]["change"] == "removed"
    assert second["data/adt.planted.hl7"]["change"] == "unchanged"


def test_detect_prints_offsets_not_values(fixtures: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["detect", str(fixtures / "phi" / "note.planted.txt"), "--json"])
    assert result.exit_code == 0
    spans = json.loads(result.output)["spans"]
    assert {"start", "end", "type", "score", "detector"} <= set(spans[0])
    assert _leaks(result.output) == []
    shown = runner.invoke(app, ["detect", str(fixtures / "phi" / "note.planted.txt"),
                                "--show-values"])
    assert "123-45-6789" in shown.output  # the explicit opt-in prints values


def test_identifiers_in_file_names_are_pseudonymized(tmp_path: Path) -> None:
    """A file named after a patient's MRN or SSN names a patient: the CLI shows ``[mrn]`` and
    ``[ssn]`` in its place and the store keeps ``[mrn:p:…]`` (keyed), so a rescan still
    matches the file (unchanged). The MRN format comes from the org's ``[phi] mrn_patterns``."""
    org = tmp_path / "org"
    data = org / "exports" / "RCH0004712"
    data.mkdir(parents=True)
    (org / "caresec.toml").write_text(
        "[organization]\nname = 'Test'\n\n[phi]\nmrn_patterns = ['RCH\\d{7}']\n")
    (data / "summary-123-45-6789.txt").write_text("SSN 123-45-6789, MRN RCH0004712\n")
    runner = CliRunner()
    args = ["scan", str(org / "exports"), "--org", str(org), "--json", "--workers", "1"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    locations = [loc["location"] for loc in json.loads(first.output)["locations"]]
    assert locations == ["exports/[mrn]/summary-[ssn].txt"]
    stored = (org / ".caresec" / "phi-inventory.json").read_text()
    assert re.search(r"exports/\[mrn:p:[0-9a-f]+\]/summary-\[ssn:p:[0-9a-f]+\]\.txt", stored)
    plain = runner.invoke(app, [a for a in args if a != "--json"])
    for text in (first.output, stored, plain.output):
        assert "RCH0004712" not in text and "123-45-6789" not in text
    second = json.loads(runner.invoke(app, args).output)["locations"]
    assert [loc["change"] for loc in second] == ["unchanged"]


@pytest.mark.parametrize(("name", "shown"), [
    ("Zebulon_Quagmirewood_labs.txt", "[name]_labs.txt"),        # capitalised, in no dictionary
    ("zebulon.quagmire@example.com.txt", "[email].txt"),         # e-mail before the extension
    ("Throckbottom-Philomena.txt", "[name].txt"),                 # census first name
    ("Oracle__001_Oracle_ORM_O01.txt", "Oracle__001_Oracle_ORM_O01.txt"),  # HL7 message type
    ("50x11-common_determine-startup.txt", "50x11-common_determine-startup.txt"),
])
def test_names_and_emails_in_file_names(tmp_path: Path, name: str, shown: str) -> None:
    (tmp_path / name).write_text("Patient: Zebulon Quagmirewood, SSN 123-45-6789\n")
    result = CliRunner().invoke(app, ["scan", str(tmp_path / name), "--json", "--workers", "1",
                                      "--no-save"])
    assert result.exit_code == 0, result.output
    assert [loc["location"].rsplit("/", 1)[-1]
            for loc in json.loads(result.stdout)["locations"]] == [shown]


def test_json_key_holding_an_identifier_is_not_stored(tmp_path: Path) -> None:
    """A JSON object keyed by patient name: the key is part of each example's place
    (``/Philomena Throckbottom/ssn``) and must be pseudonymized there too."""
    org = tmp_path / "org"
    org.mkdir()
    (org / "caresec.toml").write_text("[organization]\nname = 'Test'\n")
    (org / "by-patient.json").write_text(json.dumps(
        {"Philomena Throckbottom": {"ssn": "123-45-6789", "phone": "(410) 555-0199"}}))
    result = CliRunner().invoke(app, ["scan", str(org / "by-patient.json"), "--org", str(org),
                                      "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    stored = (org / ".caresec" / "phi-inventory.json").read_text()
    assert "ssn" in stored
    for text in (result.output, stored):
        assert "Throckbottom" not in text and "Philomena" not in text


def test_scan_of_one_folder_keeps_the_rest_of_the_saved_inventory(tmp_path: Path) -> None:
    org = tmp_path / "org"
    for folder in ("a", "b"):
        (org / folder).mkdir(parents=True)
        (org / folder / "note.txt").write_text("SSN 123-45-6789 on file\n")
    (org / "caresec.toml").write_text("[organization]\nname = 'Test'\n")
    runner = CliRunner()
    runner.invoke(app, ["scan", str(org / "a"), str(org / "b"), "--org", str(org), "--json"])
    only_a = runner.invoke(app, ["scan", str(org / "a"), "--org", str(org), "--json"])
    assert [loc["location"] for loc in json.loads(only_a.output)["locations"]] == ["a/note.txt"]
    saved = json.loads((org / ".caresec" / "phi-inventory.json").read_text())
    assert sorted(loc["location"] for loc in saved["locations"]) == ["a/note.txt", "b/note.txt"]


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    """README exit codes: 2 for unreadable input, with a sentence naming it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "from caresec.cli.app import main; main()", "phi", "scan",
         str(tmp_path / "absent"), "--no-save"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "absent: no such file or folder" in " ".join(done.stderr.split()).replace("/ ", "/")
    assert "Traceback" not in done.stderr


def test_scan_inside_the_org_links_assets_from_its_phi_sources(tmp_path: Path) -> None:
    """Without --asset-map, a path inside a folder listed in the org's phi-sources.csv takes
    that row's asset (the deepest listed folder), as the audit links it."""
    org = tmp_path / "org"
    (org / "shares" / "billing" / "2024").mkdir(parents=True)
    (org / "caresec.toml").write_text("[organization]\nname = 'Test'\n")
    (org / "phi-sources.csv").write_text(
        "location,asset_id,owner\nshares,FS-01,IT\nshares/billing,BILLING-01,Revenue Cycle\n")
    (org / "shares" / "billing" / "2024" / "note.txt").write_text("SSN 123-45-6789\n")
    result = CliRunner().invoke(app, ["scan", str(org / "shares" / "billing" / "2024"),
                                      "--org", str(org), "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    [location] = json.loads(result.stdout)["locations"]
    assert (location["asset_id"], location["owner"]) == ("BILLING-01", "Revenue Cycle")


def test_problem_messages_quoting_a_location_are_pseudonymized(tmp_path: Path) -> None:
    """The overlap warning quotes both sources: a folder named after a patient is shown as
    ``[name] [ssn]`` there too."""
    folder = tmp_path / "Zebulon Quagmirewood 123-45-6789"
    folder.mkdir()
    (folder / "a.txt").write_text("SSN 123-45-6789\n")
    result = CliRunner().invoke(app, ["scan", str(tmp_path), str(folder), "--no-save",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "overlaps the data source" in result.stdout
    assert "Quagmirewood" not in result.output and "123-45-6789" not in result.output


def test_scanned_root_named_after_a_patient_is_not_stored(tmp_path: Path) -> None:
    """The inventory's ``sources`` (the scanned roots) go through the same redaction as the
    locations: a root folder named after a patient is ``[name] [ssn]`` in --json and store."""
    org = tmp_path / "org"
    root = org / "Zebulon Quagmirewood 123-45-6789"
    root.mkdir(parents=True)
    (org / "caresec.toml").write_text("[organization]\nname = 'Test'\n")
    (root / "a.txt").write_text("SSN 123-45-6789\n")
    result = CliRunner().invoke(app, ["scan", str(root), "--org", str(org), "--json",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert [s["location"] for s in json.loads(result.stdout)["sources"]] == ["[name] [ssn]"]
    stored = (org / ".caresec" / "phi-inventory.json").read_text()
    for text in (result.output, stored):
        assert "Quagmirewood" not in text and "123-45-6789" not in text
