"""The questionnaire file (collect/answers.py): reading answers.yaml with line-accurate
problems, and writing the commented template.

Fixtures are tests/fixtures/answers/*.yaml; the line numbers asserted are the fixture's own.
Allowed answers per question come from catalogs/question-bank.yaml (e.g. Q-308-a1-iiA-01,
the written risk analysis of 45 CFR 164.308(a)(1)(ii)(A), a required specification, allows no
"na").
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from caresec.catalogs.registry import load_question_bank
from caresec.collect.answers import (
    ANSWERS_FILE,
    answers_template,
    collect_answers,
    inventory_file_dates,
    read_answers,
    write_answers_template,
)
from caresec.collect.org import load_org
from caresec.errors import ConfigError
from caresec.model import AnswerValue, ProblemSeverity

ANSWERS = Path(__file__).resolve().parents[1] / "fixtures" / "answers"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "riverside-community-hospital"
QUESTIONS = load_question_bank().questions


def read(name: str) -> tuple[list, list]:
    return read_answers(ANSWERS / name, display=name)


def test_valid_file_reads_every_field() -> None:
    answers, problems = read("answers.valid.yaml")
    assert problems == []
    by_id = {a.question_id: a for a in answers}
    # Q-312-d-01 has an empty answer: unanswered, not an error.
    assert list(by_id) == [
        "Q-308-a1-iiA-01", "Q-308-a1-iiB-02", "Q-308-a6-01", "Q-308-a4-iiA-01", "Q-312-b-01",
    ]
    first = by_id["Q-308-a1-iiA-01"]
    assert first.value is AnswerValue.PARTIAL
    assert first.note == "Covers the data centers only."
    assert first.evidence_refs == ("Risk analysis report 2025-03", "System list")
    assert first.answered_by == "Security Officer"
    assert first.answered_on == "2026-10-02"
    assert first.source == "answers.valid.yaml:3"
    # YAML 1.1 would turn yes/no into booleans; the words are kept as written.
    assert by_id["Q-308-a1-iiB-02"].value is AnswerValue.YES
    assert by_id["Q-308-a6-01"].value is AnswerValue.NO
    assert by_id["Q-312-b-01"].value is AnswerValue.YES  # "YES": case does not matter
    assert by_id["Q-308-a4-iiA-01"].value is AnswerValue.NOT_APPLICABLE


def test_bad_entries_name_line_and_question_and_keep_the_rest() -> None:
    answers, problems = read("answers.bad-entries.yaml")
    assert [(a.question_id, a.value, a.source) for a in answers] == [
        ("Q-312-b-01", AnswerValue.YES, "answers.bad-entries.yaml:12"),
        ("Q-312-d-01", AnswerValue.YES, "answers.bad-entries.yaml:23"),
    ]
    kept = answers[0]
    assert (kept.note, kept.evidence_refs, kept.answered_on) == ("", (), "")
    found = sorted((p.place, p.severity, p.message) for p in problems)
    expected = [
        ("line 11", ProblemSeverity.ERROR, "Q-308-a4-iiA-01", "'na' needs a note"),
        ("line 14", ProblemSeverity.WARNING, "Q-312-b-01", "evidence must be a list"),
        ("line 15", ProblemSeverity.WARNING, "Q-312-b-01", "note must be text"),
        ("line 16", ProblemSeverity.WARNING, "Q-312-b-01", "'2026-13-45' is not a date"),
        ("line 17", ProblemSeverity.WARNING, "Q-312-b-01", "unknown field 'reviewer'"),
        ("line 18", ProblemSeverity.ERROR, "Q-312-b-01", "answered twice (first at line 12)"),
        ("line 20", ProblemSeverity.ERROR, "Q-308-a6-01", "must be a mapping with 'answer:'"),
        ("line 22", ProblemSeverity.ERROR, "Q-308-a2-01", "answer a list or mapping"),
        ("line 3", ProblemSeverity.ERROR, "Q-308-a1-iiA-1",
         "unknown question id (did you mean Q-308-a1-iiA-01?)"),
        ("line 6", ProblemSeverity.ERROR, "Q-308-a1-iiB-02",
         "answer 'maybe' is not one of yes, partial, no"),
        ("line 8", ProblemSeverity.ERROR, "Q-308-a1-iiA-01",
         "answer 'na' is not allowed for this question (allowed: yes, partial, no)"),
    ]
    assert len(found) == len(expected)
    for (place, severity, message), (want_place, want_severity, qid, text) in zip(
        found, expected, strict=True
    ):
        assert (place, severity) == (want_place, want_severity)
        assert f"question {qid}:" in message
        assert text in message
    assert all(p.file == "answers.bad-entries.yaml" for p in problems)
    assert all(p.collector == "answers" for p in problems)


@pytest.mark.parametrize(
    ("name", "place", "text"),
    [
        ("answers.not-yaml.yaml", "line 5", "not valid YAML"),
        ("answers.not-mapping.yaml", "line 1", "must be a mapping with an 'answers:' key"),
        ("answers.latin1.yaml", "line 4", "not UTF-8"),
        ("answers.no-answers-key.yaml", "line 1", "no 'answers:' key"),
    ],
)
def test_unreadable_files_are_one_error(name: str, place: str, text: str) -> None:
    answers, problems = read(name)
    assert answers == []
    errors = [p for p in problems if p.severity is ProblemSeverity.ERROR]
    assert len(errors) == 1
    assert errors[0].place == place
    assert text in errors[0].message


def test_second_answers_block_is_an_error() -> None:
    answers, problems = read("answers.twice.yaml")
    assert [a.question_id for a in answers] == ["Q-308-a2-01"]
    assert [(p.place, p.severity) for p in problems] == [("line 4", ProblemSeverity.ERROR)]
    assert "given twice" in problems[0].message


def test_empty_file_is_a_warning_and_missing_file_is_nothing(tmp_path: Path) -> None:
    answers, problems = read("answers.empty.yaml")
    assert answers == []
    assert [p.severity for p in problems] == [ProblemSeverity.WARNING]
    assert read_answers(tmp_path / "answers.yaml", display="answers.yaml") == ([], [])


def test_template_lists_every_question_and_reads_back_empty(tmp_path: Path) -> None:
    path = write_answers_template(tmp_path)
    assert path == tmp_path / ANSWERS_FILE
    text = path.read_text(encoding="utf-8")
    for q in QUESTIONS:
        assert text.count(f"\n  {q.id}:\n") == 1, q.id
        assert q.text[:40] in text.replace("\n  # ", " ")
    assert len(QUESTIONS) >= 80
    # Required specifications say so in the comment, e.g. 164.308(a)(1)(ii)(A) Risk analysis.
    assert "164.308(a)(1)(ii)(A) Risk analysis (required)" in text
    assert read_answers(path, display=ANSWERS_FILE) == ([], [])
    assert max(len(line) for line in text.splitlines()) <= 100


def test_template_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / ANSWERS_FILE).write_text("answers:\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="already exists"):
        write_answers_template(tmp_path)
    assert (tmp_path / ANSWERS_FILE).read_text(encoding="utf-8") == "answers:\n"
    with pytest.raises(ConfigError, match="is not a folder"):
        write_answers_template(tmp_path / "missing")


def test_filled_template_is_read(tmp_path: Path) -> None:
    text = answers_template().replace(
        "  Q-308-a1-iiB-02:\n    answer:  ", "  Q-308-a1-iiB-02:\n    answer: no", 1
    )
    (tmp_path / ANSWERS_FILE).write_text(text, encoding="utf-8")
    answers, problems = read_answers(tmp_path / ANSWERS_FILE, display=ANSWERS_FILE)
    assert problems == []
    assert [(a.question_id, a.value) for a in answers] == [("Q-308-a1-iiB-02", AnswerValue.NO)]


def test_shipped_example_answers_are_clean() -> None:
    answers, problems = read_answers(EXAMPLE / ANSWERS_FILE, display=ANSWERS_FILE)
    assert problems == []
    values = {a.value for a in answers}
    assert values == set(AnswerValue)  # a realistic mix: yes, partial, no and na
    assert 40 <= len(answers) <= len(QUESTIONS)
    assert all(a.note for a in answers if a.value is AnswerValue.NOT_APPLICABLE)


def test_collect_answers_and_inventory_dates(tmp_path: Path) -> None:
    root = tmp_path / "org"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".caresec", "feeds", "models"))
    org = load_org(root)
    answers, problems = collect_answers(org)
    assert problems == [] and answers
    assert answers[0].source.startswith("answers.yaml:")
    stamp = datetime(2026, 3, 14, 12, 0, tzinfo=UTC).timestamp()
    os.utime(root / "inventory" / "assets.csv", (stamp, stamp))
    (root / "inventory" / "notes.txt").write_text("not an inventory file", encoding="utf-8")
    assert inventory_file_dates(org) == {"inventory/assets.csv": date(2026, 3, 14)}
