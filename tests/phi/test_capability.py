"""PHI discovery in ``caresec audit`` (capability ``phi``, issue 5): the ePHI inventory and map of
the shipped example hospital, its effect on impact, and that no planted identifier leaves the
scan.

The expected counts are read from the example's synthetic data sources
(``examples/riverside-community-hospital/data-sources``). The planted case: the visitor log of
the badge server BADGE-01, which ``inventory/assets.csv`` lists with ``holds_ephi`` no. The 18
identifier items are those of 45 CFR 164.514(b)(2)(i)(A)–(R); likelihood levels are NIST SP
800-30 Rev. 1 Table G-5.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import socket
import sqlite3
import stat
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caresec.capabilities.phi import (
    CONTROL_IDS,
    THREAT_EVENT_IDS,
    PhiCapability,
    ephi_likelihood,
    read_settings,
    read_sources,
)
from caresec.catalogs.loader import load_threat_events
from caresec.cli.app import app
from caresec.extension import CapabilityRegistry
from caresec.model import Asset, AssetKind, ClinicalCriticality, Level, NetworkZone
from caresec.model.phi import Sensitivity
from caresec.pipeline import run_audit

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
SOURCES = EXAMPLE / "data-sources"
TODAY = date(2026, 11, 29)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def planted_values() -> set[str]:
    """Every person identifier planted in the example's data sources, as written and (for
    numbers) as bare digits."""
    values: set[str] = set()
    for row in _rows(SOURCES / "ehr-exports" / "patients-2024-06.csv"):
        for column in ("mrn", "first_name", "last_name", "dob", "ssn", "phone", "email",
                       "street_address", "insurance_member_id"):
            values.add(row[column])
    for row in _rows(SOURCES / "visitor-badges" / "visitor-log-2024-06.csv"):
        for column in ("visitor_name", "visiting_patient"):
            values.update(row[column].split())
        values.add(row["patient_mrn"])
    with sqlite3.connect(SOURCES / "billing" / "billing.sqlite") as db:
        for name, phone, account in db.execute(
                "SELECT patient_name, guarantor_phone, account_number FROM accounts"):
            values.update(name.split())
            values.update((phone, account))
    values |= {re.sub(r"\D", "", v) for v in values if len(re.sub(r"\D", "", v)) >= 9}
    return {v for v in values if v}


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The CLI audit of a private copy of the example (first scan), then a second audit of
    the same folder with only this capability and every socket refused (second scan)."""
    base = tmp_path_factory.mktemp("phi-audit")
    org = base / "riverside"
    shutil.copytree(EXAMPLE, org, ignore=shutil.ignore_patterns(".caresec"))
    out = base / "out"
    cli = CliRunner().invoke(app, ["audit", str(org), "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    opened: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        opened.append(args)
        raise OSError("network disabled by test")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        again = run_audit(org, today=TODAY, record_run=False,
                          capabilities=CapabilityRegistry([PhiCapability()]))
    return {"org": org, "out": out, "cli": cli.output, "again": again, "opened": opened}


def _asset(report: dict[str, Any], asset_id: str) -> dict[str, Any]:
    data = next(c["data"] for c in report["capabilities"] if c["name"] == "phi")
    row: dict[str, Any] = next(a for a in data["assets"] if a["asset_id"] == asset_id)
    return row


def test_planted_identifiers_per_asset_in_report_json(audited: dict[str, Any]) -> None:
    report = json.loads((audited["out"] / "report.json").read_text(encoding="utf-8"))
    visits = _rows(SOURCES / "visitor-badges" / "visitor-log-2024-06.csv")
    badge = _asset(report, "BADGE-01")
    # Each visit row: one patient MRN, two names (visitor, patient), one date (issued_at).
    assert badge["types"] == {"mrn": len(visits), "name": 2 * len(visits),
                              "date": len(visits)}
    assert badge["items"] == {"H": len(visits), "A": 2 * len(visits), "C": len(visits)}
    assert badge["individuals"] == len({r["patient_mrn"] for r in visits})
    assert badge["status"] == "unlisted" and badge["sensitivity"] == "high"
    patients = _rows(SOURCES / "ehr-exports" / "patients-2024-06.csv")
    ehr = _asset(report, "EHR-DB-02")
    for kind in ("ssn", "mrn", "email", "phone", "health plan id"):
        assert ehr["types"][kind] == len(patients), kind
    assert ehr["items"]["G"] == len(patients)  # item G: Social Security numbers
    assert ehr["individuals"] == len(patients) and ehr["status"] == "consistent"
    with sqlite3.connect(SOURCES / "billing" / "billing.sqlite") as db:
        claims = db.execute("SELECT COUNT(DISTINCT member_id) FROM claims").fetchone()[0]
    assert _asset(report, "BILLING-CLOUD")["types"]["health plan id"] == claims


def test_html_ephi_map_shows_the_planted_identifiers(audited: dict[str, Any]) -> None:
    html = (audited["out"] / "report.html").read_text(encoding="utf-8")
    assert '<section id="ephi"' in html and 'href="#ephi"' in html
    row = html.split('<tr id="ephi-badge-01">', 1)[1].split("</tr>", 1)[0]
    cells = dict(re.findall(r'data-item="([A-R])">(.*?)</td>', row))
    assert len(cells) == 18
    visits = len(_rows(SOURCES / "visitor-badges" / "visitor-log-2024-06.csv"))
    assert cells["H"] == f"✓ {visits}" and cells["A"] == f"✓ {2 * visits}"
    assert cells["C"] == f"✓ {visits}"
    assert all("✓" not in cells[i] for i in "BDEFGIJKLMNOPQR")
    # A file name holding an MRN is shown with the MRN replaced by its type.
    assert "discharge-summary-[mrn].txt" in html


def test_observed_individuals_raise_the_assets_ephi_records(audited: dict[str, Any]) -> None:
    inventory = {r["asset_id"]: r for r in _rows(EXAMPLE / "inventory" / "assets.csv")}
    assert (inventory["BADGE-01"]["holds_ephi"], inventory["BADGE-01"]["ephi_records"]) == (
        "no", "0")
    report = json.loads((audited["out"] / "report.json").read_text(encoding="utf-8"))
    badge = next(a for a in report["assets"] if a["asset_id"] == "BADGE-01")
    distinct = len({r["patient_mrn"]
                    for r in _rows(SOURCES / "visitor-badges" / "visitor-log-2024-06.csv")})
    assert (badge["holds_ephi"], badge["ephi_records"]) == (True, distinct)
    assert any("BADGE-01: the inventory says 0 ePHI records (holds ePHI: no)" in p["message"]
               for p in report["problems"])
    # The inventory's larger figures are kept (EHR-DB-02 states 250,000).
    assert next(a for a in report["assets"] if a["asset_id"] == "EHR-DB-02")[
        "ephi_records"] == 250000


def test_unlisted_ephi_enters_the_register(audited: dict[str, Any]) -> None:
    result = audited["again"]
    finding = next(f for f in result.findings if f.finding_id == "EPHI-BADGE-01-UNLISTED")
    assert finding.kind == "ephi-location"
    assert set(finding.threat_event_ids) <= set(load_threat_events())
    assert finding.control_ids == ("164.308(a)(1)(ii)(A)", "164.310(d)(1)",
                                   "164.312(a)(2)(iv)")
    assert finding.likelihood is not None and finding.likelihood.level is Level.MODERATE
    risks = {e.risk.threat_event_id for e in result.register
             if e.risk.finding_ids == ("EPHI-BADGE-01-UNLISTED",)}
    assert risks == set(THREAT_EVENT_IDS)
    # The inventory accounts for every other asset's ePHI: no other finding.
    assert [f.finding_id for f in result.findings if f.kind == "ephi-location"] == [
        "EPHI-BADGE-01-UNLISTED"]


def test_second_scan_is_unchanged_and_offline(audited: dict[str, Any]) -> None:
    data = audited["again"].capabilities[0].data
    assert audited["opened"] == []
    assert data["previous_scan_at"] is not None
    assert {loc["change"] for loc in data["locations"]} == {"unchanged"}
    assert data["skipped"] == []


def test_no_planted_value_in_outputs_console_or_store(audited: dict[str, Any]) -> None:
    values = planted_values()
    assert len(values) > 80
    org, out = audited["org"], audited["out"]
    written = sorted(p for p in out.rglob("*") if p.is_file())
    stores = sorted(p for p in (org / ".caresec").rglob("*") if p.is_file())
    assert {p.name for p in stores} >= {"key", "phi-inventory.json", "runs.sqlite"}
    key = org / ".caresec" / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    texts = {"console": audited["cli"]}
    texts.update({p.name: p.read_bytes().decode("utf-8", "replace")
                  for p in (*written, *stores) if p != key})
    for name, text in texts.items():
        folded = text.casefold()
        assert [v for v in values if v.casefold() in folded] == [], name
    data = audited["again"].capabilities[0].data
    assert "pseudonym" not in json.dumps(data) and "p:" not in json.dumps(data["locations"])


def _asset_record(holds: bool, records: int, *, internet: bool = False) -> Asset:
    return Asset(asset_id="A-1", name="share", kind=AssetKind("server"),
                 criticality=ClinicalCriticality("business"), holds_ephi=holds,
                 ephi_records=records, internet_facing=internet,
                 network_zone=NetworkZone.CORPORATE)


@pytest.mark.parametrize(("holds", "internet", "sensitivity", "level"), [
    # Table G-5: initiation moderate × adverse impact high → moderate
    (False, False, Sensitivity.HIGH, Level.MODERATE),
    # high × high → high (internet-facing raises initiation one level)
    (False, True, Sensitivity.HIGH, Level.HIGH),
    # moderate × moderate → moderate
    (False, False, Sensitivity.MODERATE, Level.MODERATE),
    # low × moderate → low (an ePHI system whose volume is under-stated)
    (True, False, Sensitivity.MODERATE, Level.LOW),
    # low × high → moderate
    (True, False, Sensitivity.HIGH, Level.MODERATE),
])
def test_likelihood_follows_table_g5(holds: bool, internet: bool, sensitivity: Sensitivity,
                                     level: Level) -> None:
    assessed = ephi_likelihood(_asset_record(holds, 10, internet=internet), sensitivity)
    assert assessed.level is level
    assert f"Table G-5 {level}" in assessed.rationale


def test_constants_exist_in_the_catalogs() -> None:
    assert set(THREAT_EVENT_IDS) <= set(load_threat_events())
    assert CONTROL_IDS == ("164.308(a)(1)(ii)(A)", "164.310(d)(1)", "164.312(a)(2)(iv)")


@pytest.mark.parametrize(("table", "places"), [
    ({}, []),
    ({"sources": "x.csv", "mrn_patterns": ["RCH\\d{7}"], "sample_rows": 5}, []),
    ({"mrn_patterns": ["("]}, ["[phi] mrn_patterns[0]"]),
    ({"sample_rows": 0, "workers": "two"}, ["[phi] sample_rows", "[phi] workers"]),
    ({"colour": "red"}, ["[phi] colour"]),
])
def test_settings(table: dict[str, Any], places: list[str]) -> None:
    settings, problems = read_settings(table)
    assert sorted(p.place for p in problems) == places
    assert all(p.file == "caresec.toml" for p in problems)
    assert settings.sample_rows >= 1


def test_sources_rows(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(
        "location,asset_id,owner\n"
        "shares/a,FS-01,\n"
        ",FS-01,x\n"
        "shares/b,NOPE,\n"
        "sqlite:///db/billing.sqlite,FS-01,Revenue\n"
        "postgresql://reader@db.example/ehr,FS-01,\n", encoding="utf-8")
    assets = {"FS-01": Asset(asset_id="FS-01", name="files", kind=AssetKind("server"),
                             criticality=ClinicalCriticality("business"), owner="IT")}
    paths, urls, problems = read_sources(tmp_path, "list.csv", assets)
    assert [(p.location, p.asset_id, p.owner) for p in paths] == [
        (str(tmp_path / "shares/a"), "FS-01", "IT"), (str(tmp_path / "shares/b"), "", ""),
        (str(tmp_path / "db/billing.sqlite"), "FS-01", "Revenue")]
    assert [u.location for u in urls] == ["postgresql://reader@db.example/ehr"]
    assert [(p.place, p.severity.value) for p in problems] == [
        ("row 3, column location", "error"), ("row 4, column asset_id", "warning")]
    _, _, missing = read_sources(tmp_path, "absent.csv", assets)
    assert missing[0].file == "absent.csv" and missing[0].severity.value == "error"


def test_overlapping_source_rows_are_a_warning_naming_both(tmp_path: Path) -> None:
    (tmp_path / "shares" / "billing").mkdir(parents=True)
    (tmp_path / "list.csv").write_text(
        "location,asset_id,owner\n"
        "shares,FS-01,\n"
        "shares/billing,BILL-01,\n"
        "other,FS-01,\n"
        "shares,FS-02,\n", encoding="utf-8")
    assets = {a: Asset(asset_id=a, name=a, kind=AssetKind("server"),
                       criticality=ClinicalCriticality("business"), owner="IT")
              for a in ("FS-01", "FS-02", "BILL-01")}
    _, _, problems = read_sources(tmp_path, "list.csv", assets)
    assert sorted((p.file, p.place, p.severity.value) for p in problems) == [
        ("list.csv", "rows 2 and 3", "warning"), ("list.csv", "rows 2 and 5", "warning"),
        ("list.csv", "rows 3 and 5", "warning")]
    inside = next(p for p in problems if p.place == "rows 2 and 3")
    assert "shares/billing (asset BILL-01) lies inside shares (asset FS-01)" in inside.message
    assert "for row 3" in inside.message
    same = next(p for p in problems if p.place == "rows 2 and 5")
    assert "for row 2" in same.message
    # negative: rows that do not overlap give no warning
    (tmp_path / "apart.csv").write_text("location,asset_id\nshares/billing,BILL-01\n"
                                        "other,FS-01\n", encoding="utf-8")
    assert read_sources(tmp_path, "apart.csv", assets)[2] == []


def test_identifiers_in_data_source_names_never_leave_the_scan(tmp_path: Path) -> None:
    """A data-source folder named after a patient (with an SSN) and files named after patients
    (a labelled name, a DOB and a bare phone number): the audit's console, reports, problems
    and store show ``[name]``/``[ssn]``/``[date]``/``[phone]`` (second user test, leaks 1–3)."""
    org = tmp_path / "riverside"
    shutil.copytree(EXAMPLE, org, ignore=shutil.ignore_patterns(".caresec"))
    folder = org / "data-sources" / "notes" / "Zebulon Quagmirewood 123-45-6789"
    folder.mkdir()
    (folder / "Patient Zebulon Quagmirewood.txt").write_text("SSN 123-45-6789 on file\n")
    (folder / "DOB 1951-02-03 4105550199.txt").write_text("Call 410-555-0199 re: labs\n")
    with (org / "phi-sources.csv").open("a") as sources:
        sources.write("data-sources/notes/Zebulon Quagmirewood 123-45-6789,NO-SUCH-ASSET,\n")
    out = tmp_path / "out"
    cli = CliRunner().invoke(app, ["audit", str(org), "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    texts = {"console": cli.output}
    texts.update({p.name: p.read_bytes().decode("utf-8", "replace")
                  for p in (*out.rglob("*"), *(org / ".caresec").rglob("*"))
                  if p.is_file() and p.name != "key"})
    for name, text in texts.items():
        for value in ("Quagmirewood", "Zebulon", "123-45-6789", "1951-02-03", "4105550199"):
            assert value not in text, (name, value)
    report = json.loads((out / "report.json").read_text())
    locations = {loc["location"] for c in report["capabilities"] if c["name"] == "phi"
                 for loc in c["data"]["locations"]}
    assert "data-sources/notes/[name] [ssn]/Patient [name].txt" in locations
    assert "data-sources/notes/[name] [ssn]/DOB [date] [phone].txt" in locations
    messages = [p["message"] for p in report["problems"]]
    assert any("NO-SUCH-ASSET" in m and "[name] [ssn]" in m for m in messages), messages
