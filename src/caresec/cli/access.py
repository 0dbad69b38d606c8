"""``caresec access``: review EHR access logs, and generate a synthetic hospital with a labelled
log to try it on.

Exit codes: 0 done; 2 usage error or unreadable input (problems inside the logs are reported,
not fatal).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from caresec.errors import CaresecError, InputError

app = typer.Typer(help="Review EHR access logs: explain normal access, rank what is left.",
                  no_args_is_help=True, add_completion=False)


class EngineName(StrEnum):
    """The SQL engine."""

    DUCKDB = "duckdb"
    SPARK = "spark"


class EventsFormat(StrEnum):
    """How ``generate`` writes the log."""

    CSV = "csv"
    PARQUET = "parquet"


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CaresecError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from exc


@app.callback()
def _group() -> None:
    """Review EHR access logs (keeps ``review`` and ``generate`` subcommands)."""


@app.command("review")
def review_command(
    events: Annotated[list[Path], typer.Option(
        "--events", help="A log file or folder (repeat for several): CSV, FHIR AuditEvent "
                         "JSON/NDJSON/Bundle, DICOM/ATNA XML or syslog, normalized Parquet.")],
    context: Annotated[Path, typer.Option(
        "--context", help="Folder with users.csv, patients.csv, encounters.csv, care_team.csv, "
                          "appointments.csv, orders.csv (or Synthea CSVs).")],
    engine: Annotated[EngineName, typer.Option("--engine", help="SQL engine.")] =
        EngineName.DUCKDB,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write review.json, review.txt and the normalized events (Parquet) "
                      "here.")] = None,
    timezone: Annotated[str, typer.Option(
        "--timezone", help="IANA time zone for local days and hours (and for timestamps "
                           "without an offset).")] = "UTC",
    mapping: Annotated[str | None, typer.Option(
        "--mapping", help="CSV column mapping: a YAML file or a preset id (default: detected "
                          "from each header).")] = None,
    org: Annotated[Path | None, typer.Option(
        "--org", help="The organization folder whose pseudonym key (.caresec/key, made on "
                      "first use) keys patient pseudonyms (default: a random key for this run "
                      "only).")] = None,
    show_patient_ids: Annotated[bool, typer.Option(
        "--show-patient-ids", help="Show patient ids instead of keyed pseudonyms "
                                   "(opt-in; outputs then carry identifiers).")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Cases shown in text.")] = 20,
    today: Annotated[str | None, typer.Option(
        "--today", help="Judge 'events in the future' against this date (YYYY-MM-DD).")] = None,
) -> None:
    """Explain every access the clinical record can explain, then rank the rest into cases
    (user, pattern, score, events, evidence)."""
    from caresec.access.ingest.mapping import load_mapping, preset_mapping
    from caresec.access.pseudonym import Identity, KeyedPseudonymizer, Pseudonymizer
    from caresec.access.render import render_json, render_text
    from caresec.access.review import review_access

    column_mapping = None
    if mapping:
        path = Path(mapping)
        column_mapping = load_mapping(path) if path.is_file() else preset_mapping(mapping)
    pseudonymizer: Pseudonymizer
    if show_patient_ids:
        pseudonymizer = Identity()
    elif org is not None:
        if not org.is_dir():
            raise InputError(str(org), "", "the organization folder does not exist")
        pseudonymizer = KeyedPseudonymizer.for_org(org)
    else:
        pseudonymizer = KeyedPseudonymizer.ephemeral()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    review = review_access(
        events, context, engine=engine.value, pseudonymizer=pseudonymizer,
        today=_date(today, "--today") if today else None, timezone=timezone,
        mapping=column_mapping, work_dir=out,
    )
    text = render_text(review, limit=limit)
    document = render_json(review)
    if out is not None:
        (out / "review.json").write_text(document, encoding="utf-8")
        (out / "review.txt").write_text(render_text(review, limit=len(review.cases)),
                                        encoding="utf-8")
        shutil.rmtree(out / "engine", ignore_errors=True)
    typer.echo(document if as_json else text, nl=False)
    if org is None and not show_patient_ids and not as_json:
        typer.echo("note: patients are shown as pseudonyms keyed for this run only; pass --org "
                   "DIR to key them with the organization's key.", err=True)


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write (created).")],
    patients: Annotated[int, typer.Option("--patients", help="Patients.")] = 2000,
    users: Annotated[int, typer.Option("--users", help="Workforce members.")] = 200,
    days: Annotated[int, typer.Option("--days", help="Days of log.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    synthea: Annotated[Path | None, typer.Option(
        "--synthea", help="A Synthea CSV folder to take patient demographics from.")] = None,
    start: Annotated[str, typer.Option("--start", help="First day (YYYY-MM-DD).")] =
        "2025-03-03",
    timezone: Annotated[str, typer.Option("--timezone", help="The hospital's time zone.")] =
        "America/Chicago",
    events_format: Annotated[EventsFormat, typer.Option(
        "--format", help="csv (one sorted file) or parquet (chunks, for large logs).")] =
        EventsFormat.CSV,
    incidents: Annotated[int, typer.Option(
        "--incidents-per-pattern", help="Planted incidents per pattern (0 = users / 40, at "
                                        "least 3).")] = 0,
    events_per_touch: Annotated[float, typer.Option(
        "--events-per-touch", help="Mean events each time a user opens a record.")] = 3.0,
) -> None:
    """Generate a hospital (departments, roles, shifts, encounters) and its access log, with
    planted misuse of every pattern listed in ground-truth.json."""
    from caresec.access.generator import GeneratorConfig, generate, write_generated

    if synthea is not None and not (synthea / "patients.csv").is_file():
        raise InputError(str(synthea), "", "no patients.csv in this Synthea folder")
    config = GeneratorConfig(patients=patients, users=users, days=days, seed=seed,
                             start=_date(start, "--start"), timezone=timezone,
                             incidents_per_pattern=incidents, events_per_touch=events_per_touch,
                             synthea=synthea)
    try:
        generated = generate(config)
    except ValueError as exc:
        raise CaresecError(str(exc)) from exc
    paths = write_generated(generated, out, events_format=events_format.value)
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    patterns: dict[str, int] = {}
    for incident in truth["incidents"]:
        patterns[incident["pattern"]] = patterns.get(incident["pattern"], 0) + 1
    planted = sum(len(i["event_ids"]) for i in truth["incidents"])
    typer.echo(f"Wrote {out}: {truth['legitimate_events'] + planted:,} events "
               f"({planted} planted in {len(truth['incidents'])} incidents: "
               + ", ".join(f"{k} {v}" for k, v in patterns.items()) + ")")
    for name, path in paths.items():
        typer.echo(f"  {name}: {path}")
