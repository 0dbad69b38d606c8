"""``caresec questionnaire``: write a commented ``answers.yaml`` and check a filled-in one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from caresec.catalogs.registry import load_question_bank
from caresec.collect.answers import ANSWERS_FILE, read_answers, write_answers_template
from caresec.errors import CaresecError
from caresec.model import AnswerValue, ProblemSeverity

EXIT_USAGE = 2

app = typer.Typer(
    help=(
        "The risk analysis questionnaire: write ORG_DIR/answers.yaml with every question of the "
        "question bank, and check the answers (errors name the line and the question id)."
    ),
    no_args_is_help=True,
    add_completion=False,
)

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)

OrgDir = Annotated[
    Path, typer.Argument(help="The organization folder (answers.yaml lives in it).",
                         show_default=False)
]


@app.command("new")
def new_command(org_dir: OrgDir) -> None:
    """Write ORG_DIR/answers.yaml: every question, commented, with the answer left empty.

    Never overwrites an existing file.

    Exit codes: 0 written; 2 the folder is missing or answers.yaml already exists.
    """
    try:
        path = write_answers_template(org_dir)
    except CaresecError as exc:
        _err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc
    _out.print(f"wrote {path}", highlight=False)
    _out.print(
        f"Fill in 'answer:' for each question, then run: caresec questionnaire check {org_dir}",
        highlight=False,
    )


@app.command("check")
def check_command(org_dir: OrgDir) -> None:
    """Validate ORG_DIR/answers.yaml and count the answers.

    Prints every problem with its line and question id.

    Exit codes: 0 no errors (warnings allowed); 2 errors found, or the file is missing.
    """
    path = org_dir / ANSWERS_FILE
    if not path.is_file():
        _err.print(
            f"[bold red]error:[/] {escape(str(path))} not found. Create it with: "
            f"caresec questionnaire new {escape(str(org_dir))}", highlight=False,
        )
        raise typer.Exit(EXIT_USAGE)
    answers, problems = read_answers(path, display=ANSWERS_FILE)
    for problem in problems:
        colour = "red" if problem.severity is ProblemSeverity.ERROR else "yellow"
        _err.print(f"[{colour}]{problem.severity}[/]: {escape(str(problem))}", highlight=False)
    total = len(load_question_bank().questions)
    counts = Counter(a.value for a in answers)
    _out.print(f"{path}:", highlight=False)
    table = Table("answer", "questions")
    for value in AnswerValue:
        table.add_row(value.value, str(counts.get(value, 0)))
    table.add_row("unanswered", str(total - len(answers)))
    _out.print(table)
    errors = sum(1 for p in problems if p.severity is ProblemSeverity.ERROR)
    warnings = len(problems) - errors
    _out.print(f"{len(answers)} of {total} questions answered; {errors} errors, "
               f"{warnings} warnings", highlight=False)
    if errors:
        raise typer.Exit(EXIT_USAGE)
