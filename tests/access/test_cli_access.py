"""``caresec access generate`` and ``caresec access review`` through the Typer app: outputs
carry keyed pseudonyms, never patient ids, unless the user opts in."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from caresec.cli.access import app

runner = CliRunner()


def test_generate_then_review(tmp_path: Path) -> None:
    out = tmp_path / "hospital"
    result = runner.invoke(app, ["generate", "--out", str(out), "--patients", "300",
                                 "--users", "40", "--days", "14", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert (out / "logs" / "events.csv").is_file() and (out / "ground-truth.json").is_file()
    truth = json.loads((out / "ground-truth.json").read_text())
    assert {i["pattern"] for i in truth["incidents"]} >= {"vip", "self", "after-termination"}

    org = tmp_path / "org"
    org.mkdir()
    review_dir = tmp_path / "review"
    result = runner.invoke(app, ["review", "--events", str(out / "logs"), "--context",
                                 str(out / "context"), "--timezone", "America/Chicago",
                                 "--org", str(org), "--json", "--out", str(review_dir)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["explained_share"] > 0.9 and document["cases"]
    patient_ids = {p for i in truth["incidents"] for p in i["patient_ids"]}
    assert not any(p in result.output for p in patient_ids)
    assert all(c["patient"].startswith("p:") for c in document["cases"] if c["patient"])
    assert (review_dir / "review.json").is_file() and (review_dir / "review.txt").is_file()
    assert list((review_dir / "events").glob("*.parquet"))

    opted = runner.invoke(app, ["review", "--events", str(out / "logs"), "--context",
                                str(out / "context"), "--timezone", "America/Chicago",
                                "--show-patient-ids", "--limit", "200"])
    assert opted.exit_code == 0, opted.output
    assert "Explained:" in opted.output and "(patient ids shown: opted in)" in opted.output
    assert any(p in opted.output for p in patient_ids)


def test_review_errors_exit_2(tmp_path: Path) -> None:
    from caresec.cli.app import main  # noqa: F401 - the root app turns errors into exit 2

    result = runner.invoke(app, ["review", "--events", str(tmp_path), "--context",
                                 str(tmp_path / "missing")])
    assert result.exit_code != 0
    assert "context folder does not exist" in str(result.exception)
