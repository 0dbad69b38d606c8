"""``caresec audit``, ``caresec init`` and ``caresec schema``: the main job and its helpers."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.status import Status

from caresec.cli.app import EXIT_THRESHOLD, EXIT_USAGE
from caresec.collect.init_skeleton import write_org_skeleton
from caresec.errors import CaresecError, ConfigError
from caresec.model import AuditResult, ChangeKind, Level, ProblemSeverity, SizeTier
from caresec.pipeline import run_audit
from caresec.report import (
    render_html,
    render_json,
    render_oscal_assessment_results,
    render_oscal_poam,
    render_plan_csv,
    report_schema,
    summary_table,
)

_out = Console()
_err = Console(stderr=True)
SHOWN_PROBLEMS = 10


class FailOn(StrEnum):
    """Risk levels accepted by ``--fail-on`` (NIST SP 800-30 Rev. 1 Table I-2 values)."""

    VERY_LOW = "very-low"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very-high"

    @property
    def level(self) -> Level:
        """The :class:`Level` this option value stands for."""
        return Level(self.value.replace("-", " "))


def audit_command(
    org_dir: Annotated[
        Path,
        typer.Argument(help="The organization folder (holds caresec.toml).", show_default=False),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o",
            help="Folder for report.html, report.json, plan.csv and the OSCAL files (created).",
        ),
    ] = Path("report"),
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when any risk is at or above this level (for CI and scheduled runs). "
            "Default: `fail_on` under [settings] in caresec.toml, if set.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no summary table.")] = False,
    no_history: Annotated[
        bool,
        typer.Option("--no-history", help="Do not record this run in ORG/.caresec/runs.sqlite."),
    ] = False,
) -> None:
    """Audit ORG_DIR and write the reports.

    Reads the inventory, SBOMs, feeds, answers.yaml, risk-responses.yaml and plan-status.yaml;
    matches vulnerabilities; judges controls; weighs risk (NIST SP 800-30 Rev. 1); plans
    remediation; compares with the previous run. Writes report.html, report.json, plan.csv,
    oscal-assessment-results.json and oscal-poam.json (OSCAL, validated with compliance-trestle)
    to --out and prints a summary. Inputs that cannot be read are listed in the report and the
    summary; the audit goes on.
    Exit codes: 0 done; 1 --fail-on reached; 2 usage error or unreadable caresec.toml.
    """
    with Status("Auditing…", console=_err) as status:
        result = run_audit(
            org_dir, progress=lambda msg: status.update(msg), record_run=not no_history
        )
        status.update("Writing reports")
        files = {
            "report.html": render_html(result),
            "report.json": render_json(result),
            "plan.csv": render_plan_csv(result),
            "oscal-assessment-results.json": render_oscal_assessment_results(result),
        }
        poam = render_oscal_poam(result)
        if poam is not None:
            files["oscal-poam.json"] = poam
        for capability in result.capabilities:
            for name, text in capability.artifacts:
                if Path(name).name != name or name in files:
                    raise CaresecError(
                        f"capability {capability.name} produced an invalid output name {name!r}"
                    )
                files[name] = text
    _write_reports(out, files)
    if not quiet:
        _out.print(summary_table(result))
        _print_problems(result)
        _print_changes(result)
        _out.print(f"Reports written to {out}: {', '.join(files)}")
        if poam is None:
            _out.print("No oscal-poam.json: the plan has no items (OSCAL needs at least one).")
    if not result.facts.assets and any(
        p.collector == "inventory" and p.severity is ProblemSeverity.ERROR for p in result.problems
    ):
        _err.print("No asset could be read from the inventory (see the input problems above); "
                   "the report has no risks to rank. Fix the inventory and run again.")
        raise typer.Exit(EXIT_USAGE)
    threshold = fail_on or _fail_on_setting(result)
    if threshold is not None and _reached(result, threshold.level):
        _err.print(f"At least one risk is {threshold.level} or higher (fail on {threshold.value}).")
        raise typer.Exit(EXIT_THRESHOLD)


def _fail_on_setting(result: AuditResult) -> FailOn | None:
    """``[settings] fail_on`` of caresec.toml ("high", "very high" …), when set.

    Raises:
        ConfigError: the value is not a NIST SP 800-30 level.
    """
    value = dict(result.org.settings).get("fail_on")
    if value is None:
        return None
    try:
        return FailOn(value.strip().lower().replace(" ", "-"))
    except ValueError as exc:
        levels = ", ".join(f'"{level}"' for level in Level)
        raise ConfigError(
            f"{result.org.root / 'caresec.toml'}: [settings] fail_on = {value!r} is not a risk "
            f"level; use one of {levels}."
        ) from exc


def _write_reports(out: Path, files: dict[str, str]) -> None:
    """Write each report file into ``out`` (created).

    Raises:
        CaresecError: ``out`` is not a folder or cannot be written.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            newline = "" if name.endswith(".csv") else None
            with (out / name).open("w", encoding="utf-8", newline=newline) as handle:
                handle.write(text)
    except FileExistsError as exc:
        raise CaresecError(f"--out {out}: a file of that name exists; name a folder.") from exc
    except OSError as exc:
        raise CaresecError(
            f"--out {out}: the reports cannot be written there ({exc.strerror})."
        ) from exc


def _reached(result: AuditResult, threshold: Level) -> bool:
    return any(risk.level.ordinal >= threshold.ordinal for risk in result.risks)


def _print_changes(result: AuditResult) -> None:
    comparison = result.comparison
    if comparison is None:
        _out.print("First recorded run of this organization: nothing to compare with.")
        return
    parts = [f"{len(comparison.of(kind))} {kind}" for kind in ChangeKind]
    _out.print(
        f"Since run {comparison.previous_run_id} ({comparison.previous_started_at[:19]}): "
        f"risks {', '.join(parts)}; {comparison.unchanged} unchanged."
    )


def _print_problems(result: AuditResult) -> None:
    if not result.problems:
        return
    _err.print(f"[yellow]{len(result.problems)} input problem(s):[/]")
    for problem in result.problems[:SHOWN_PROBLEMS]:
        _err.print(f"  {problem.severity}: {problem}", highlight=False, markup=False)
    if len(result.problems) > SHOWN_PROBLEMS:
        _err.print(f"  … and {len(result.problems) - SHOWN_PROBLEMS} more in the report.")


def init_command(
    org_dir: Annotated[Path, typer.Argument(help="Folder to create the skeleton in.")],
    name: Annotated[str, typer.Option("--name", help="Organization name.")] = "My Hospital",
    size_tier: Annotated[
        SizeTier, typer.Option("--size", help="Size tier (HHS 405(d) HICP).")
    ] = SizeTier.MEDIUM,
) -> None:
    """Write a documented skeleton of an organization folder.

    Writes caresec.toml, inventory/, sboms/ and feeds/ with README files explaining each column
    and file. Never overwrites an existing file.

    Exit codes: 0 written; 2 usage error, an empty `--name`, ORG_DIR is a file, or one of the
    files already exists (nothing is written).
    """
    written = write_org_skeleton(org_dir, name=name, size_tier=size_tier)
    for path in written:
        _out.print(f"wrote {path}")


class SchemaName(StrEnum):
    """Schemas ``caresec schema`` can print."""

    REPORT = "report"


def schema_command(
    name: Annotated[SchemaName, typer.Argument(help="Which schema.")] = SchemaName.REPORT,
) -> None:
    """Print the JSON Schema (draft 2020-12) that report.json is validated against.

    Exit codes: 0 printed; 2 usage error (an unknown schema name).
    """
    typer.echo(json.dumps(report_schema(), indent=2))


__all__ = ["EXIT_USAGE", "audit_command", "init_command", "schema_command"]
