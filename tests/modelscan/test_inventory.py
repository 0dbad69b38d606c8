"""The model inventory (models/inventory.csv): parsing, hash checks, unscanned and
uninventoried files, and findings mapped to HIPAA citations, MITRE ATLAS and OWASP ML Top 10
ids (as recorded in model-security.yaml)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

from caresec.collect.model_inventory import read_model_inventory, scan_model_inventory
from caresec.model import ProblemSeverity
from caresec.model.ai_model import ProvenanceKind

HEADER = ("model_id,name,version,owner,vendor,intended_use,fda_status,provenance,provenance_ref,"
          "files,expected_sha256,signature,framework,training_data_phi,asset_id\n")
BENIGN = b"\x80\x04]\x94(K\x01K\x02e."


def write_org(root: Path, rows: list[str], files: dict[str, bytes]) -> None:
    models = root / "models"
    models.mkdir(parents=True)
    (models / "inventory.csv").write_text(HEADER + "".join(r + "\n" for r in rows),
                                          encoding="utf-8")
    for name, data in files.items():
        (models / name).parent.mkdir(parents=True, exist_ok=True)
        (models / name).write_bytes(data)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_inventory_fields_are_read(tmp_path: Path) -> None:
    write_org(tmp_path, [
        f"M1,Sepsis score,2.1,CMIO,Acme,sepsis alert,not a device,Vendor Portal,https://x,"
        f"a.pkl;b.pkl,{sha(b'a')};,,pytorch,yes,EHR-1",
    ], {})
    entries, problems = read_model_inventory(tmp_path / "models/inventory.csv", display="inv")
    assert problems == []
    [entry] = entries
    assert entry.provenance is ProvenanceKind.VENDOR_PORTAL
    assert [f.path for f in entry.files] == ["a.pkl", "b.pkl"]
    assert [f.expected_sha256 for f in entry.files] == [sha(b"a"), ""]
    assert entry.training_data_phi is True and entry.framework == "pytorch"
    assert entry.source == "inv:row 2"


def test_inventory_problems_name_row_and_column(tmp_path: Path) -> None:
    write_org(tmp_path, [
        "M1,One,,,,,,,,a.pkl,nothex,,,maybe,",
        "M1,Duplicate,,,,,,,,b.pkl,,,,,",
        ",No id,,,,,,,,c.pkl,,,,,",
        "M2,Two,,,,,,carrier pigeon,,d.pkl,,,tensorflow,,",
    ], {})
    entries, problems = read_model_inventory(tmp_path / "models/inventory.csv", display="inv")
    assert [e.model_id for e in entries] == ["M1", "M2"]
    places = {(p.place, p.severity) for p in problems}
    assert ("row 2, column expected_sha256", ProblemSeverity.WARNING) in places
    assert ("row 2, column training_data_phi", ProblemSeverity.WARNING) in places
    assert ("row 3, column model_id", ProblemSeverity.ERROR) in places
    assert ("row 4, column model_id", ProblemSeverity.ERROR) in places
    assert ("row 5, column provenance", ProblemSeverity.WARNING) in places
    assert ("row 5, column framework", ProblemSeverity.WARNING) in places


def test_missing_required_column(tmp_path: Path) -> None:
    (tmp_path / "inv.csv").write_text("model_id,name\nM1,x\n", encoding="utf-8")
    entries, [problem] = read_model_inventory(tmp_path / "inv.csv", display="inv.csv")
    assert entries == [] and problem.place == "row 1" and "files" in problem.message


def test_audit_findings(tmp_path: Path, build: SimpleNamespace) -> None:
    malicious = build.exec_pickle("print('x')", 4)
    write_org(tmp_path, [
        f"OK,Good model,1,,,,,,,good.pkl,{sha(BENIGN)},,,no,EHR-1",
        f"BAD,Tampered model,1,,,,,email,,bad.pkl,{sha(b'what the vendor published')},,,,EHR-1",
        "GONE,Missing model,1,,,,,,,gone.pkl,,,,,",
        "PHI,Trained on PHI,1,,,,,internal,,phi.pkl,,,,yes,",
    ], {"good.pkl": BENIGN, "bad.pkl": malicious, "phi.pkl": BENIGN,
        "stray/shadow.pt": malicious, "README.md": b"# models\n"})
    results, findings, problems = scan_model_inventory(tmp_path)
    assert problems == []
    by_id = {r.entry.model_id: r for r in results}
    assert not by_id["OK"].blocked
    assert by_id["OK"].files[0].hash_matches is True
    assert by_id["BAD"].blocked and by_id["BAD"].files[0].hash_matches is False
    assert by_id["GONE"].files[0].verdict is None and by_id["GONE"].blocked
    ids = [f.finding_id for f in findings]
    assert ids == [
        "MODEL-BAD-F1-BLOCKED", "MODEL-BAD-F1-HASH", "MODEL-GONE-F1-UNSCANNED",
        "MODEL-PHI-F1-UNVERIFIED", "MODEL-PHI-PHI",
        f"MODEL-UNLISTED-{sha(malicious)[:12]}", f"MODEL-UNLISTED-{sha(malicious)[:12]}-BLOCKED",
    ]
    blocked = findings[0]
    details = dict(blocked.details)
    assert blocked.kind == "model-risk" and blocked.severity == "critical"
    assert blocked.asset_ids == ("EHR-1",)
    assert blocked.control_ids == ("164.308(a)(5)(ii)(B)", "164.312(c)(1)",
                                   "164.308(a)(1)(ii)(B)")
    assert details["atlas"] == "AML.T0010.003, AML.T0011.000"
    assert details["owasp_ml"] == "ML06:2023"
    assert "picklescan" in details["scanners"]
    assert dict(findings[1].details)["owasp_ml"] == "ML06:2023, ML10:2023"
    assert dict(findings[4].details)["atlas"] == "AML.T0024.000, AML.T0024.001"
    assert findings[5].evidence[0].source == "models/stray/shadow.pt"


def test_path_outside_models_is_not_followed(tmp_path: Path) -> None:
    write_org(tmp_path, ["X,Escape,1,,,,,,,../secret.pkl,,,,,"], {})
    (tmp_path / "secret.pkl").write_bytes(BENIGN)
    results, findings, problems = scan_model_inventory(tmp_path)
    assert "outside the models folder" in problems[0].message
    assert results[0].files[0].verdict is None
    assert findings[0].finding_id == "MODEL-X-F1-UNSCANNED"


def test_no_models_folder_is_silent(tmp_path: Path) -> None:
    assert scan_model_inventory(tmp_path) == ([], [], [])
