"""``caresec models scan`` and the example hospital's models folder."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from caresec.cli.models import app
from caresec.collect.model_inventory import scan_model_inventory
from caresec.errors import CaresecError, InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
BENIGN = b"\x80\x04]\x94(K\x01K\x02e."


def test_exit_codes_and_text(tmp_path: Path, build: SimpleNamespace) -> None:
    good = tmp_path / "good.pkl"
    good.write_bytes(BENIGN)
    result = CliRunner().invoke(app, ["scan", str(good)])
    assert result.exit_code == 0
    assert result.output.startswith("PASS ") and "picklescan" in result.output
    bad = tmp_path / "bad.bin"
    bad.write_bytes(build.exec_pickle("1", 2))
    result = CliRunner().invoke(app, ["scan", str(good), str(bad)])
    assert result.exit_code == 1
    assert "dangerous-global: imports builtins.exec" in result.output
    assert result.output.endswith("2 file(s): 1 passed, 1 blocked\n")


def test_json_output(tmp_path: Path, build: SimpleNamespace) -> None:
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(build.exec_pickle("1", 4))
    result = CliRunner().invoke(app, ["scan", "--json", str(bad)])
    document = json.loads(result.output)
    [entry] = document["files"]
    assert entry["outcome"] == "block" and entry["blocked"] is True
    assert entry["issues"][0]["kind"] == "dangerous-global"
    assert entry["issues"][0]["offset"] == 20  # PROTO 2 + two SHORT_BINUNICODE+MEMOIZE 17
    assert {s["name"] for s in entry["scanners"]} == {"caresec", "picklescan", "fickling",
                                                      "modelscan"}
    assert document["summary"] == {"files": 1, "passed": 0, "blocked": 1}


def test_allow_global_and_framework_options(tmp_path: Path) -> None:
    path = tmp_path / "est.pkl"
    module, name = b"sklearn.tree._classes", b"DecisionTreeClassifier"
    path.write_bytes(b"\x80\x04\x8c" + bytes([len(module)]) + module + b"\x8c"
                     + bytes([len(name)]) + name + b"\x93)\x81}b.")
    assert CliRunner().invoke(app, ["scan", str(path)]).exit_code == 1
    allowed = CliRunner().invoke(app, ["scan", "--allow-global",
                                       "sklearn.tree._classes:DecisionTreeClassifier",
                                       str(path)])
    assert allowed.exit_code == 0, allowed.output
    bad_option = CliRunner().invoke(app, ["scan", "--allow-global", "nocolon", str(path)])
    assert isinstance(bad_option.exception, CaresecError)
    bad_framework = CliRunner().invoke(app, ["scan", "--framework", "tensorflow", str(path)])
    assert isinstance(bad_framework.exception, CaresecError)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scan", str(tmp_path / "absent.pt")])
    assert isinstance(result.exception, InputError)


def test_example_hospital_has_one_blocked_model() -> None:
    results, findings, problems = scan_model_inventory(EXAMPLE)
    assert problems == []
    blocked = {r.entry.model_id for r in results if r.blocked}
    assert blocked == {"AI-TRIAGE-01"}
    triage = next(r for r in results if r.entry.model_id == "AI-TRIAGE-01")
    verdict = triage.files[0].verdict
    assert verdict is not None and "os.system" in verdict.reason
    assert triage.files[0].hash_matches is False
    assert [f.finding_id for f in findings] == [
        "MODEL-AI-SEPSIS-01-PHI", "MODEL-AI-TRIAGE-01-F1-BLOCKED", "MODEL-AI-TRIAGE-01-F1-HASH"]
    result = CliRunner().invoke(app, ["scan", str(EXAMPLE / "models")])
    assert result.exit_code == 1
    assert result.output.count("BLOCK") == 1
    assert "skipped 2 documentation file(s): " in result.output  # inventory.csv, README.md
