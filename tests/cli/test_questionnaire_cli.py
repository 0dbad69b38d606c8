"""``caresec questionnaire new`` and ``check`` (cli/questionnaire.py): exit codes and output.
Problem texts are those of collect/answers.py (tests/collect/test_answers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from caresec.cli.questionnaire import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "answers"
runner = CliRunner()


def test_new_then_check(tmp_path: Path) -> None:
    first = runner.invoke(app, ["new", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "answers.yaml").is_file()
    again = runner.invoke(app, ["new", str(tmp_path)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    checked = runner.invoke(app, ["check", str(tmp_path)])
    assert checked.exit_code == 0, checked.output
    assert "0 of 87 questions answered; 0 errors, 0 warnings" in checked.output


def test_check_reports_errors_with_lines(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURES / "answers.bad-entries.yaml", tmp_path / "answers.yaml")
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "answers.yaml (line 6): question Q-308-a1-iiB-02: answer 'maybe'" in result.output
    assert "2 of 87 questions answered; 7 errors, 4 warnings" in result.output


def test_check_warnings_only_exit_zero(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text(
        "answers:\n  Q-308-a2-01:\n    answer: yes\n    evidence: Board minute\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "evidence must be a list" in result.output


def test_check_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "caresec questionnaire new" in result.output
