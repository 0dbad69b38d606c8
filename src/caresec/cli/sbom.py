"""``caresec sbom match``: check one SBOM against a feeds folder, without an organization."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from caresec.analyze.vulns import match_components
from caresec.cli.feeds import print_problems
from caresec.collect.sbom import read_sbom
from caresec.errors import InputError
from caresec.model import NotAssessed, VulnerabilityMatch
from caresec.report.sbom_match import render_sbom_match_json
from caresec.store import FeedStore

app = typer.Typer(help="Work with one SBOM file.", no_args_is_help=True, add_completion=False)

_out = Console()
_err = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Work with one SBOM file (keeps ``match`` a subcommand)."""


@app.command("match")
def match_command(
    sbom: Annotated[Path, typer.Argument(help="A CycloneDX or SPDX SBOM.")],
    feeds: Annotated[
        Path, typer.Option("--feeds", help="Feeds folder (osv/, kev.json, epss.csv[.gz]).")
    ],
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Feed store file to create or reuse (default: temporary)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
    = False,
) -> None:
    """Match the SBOM's components against the feeds: one row per vulnerability, then the
    components that could not be assessed and why.

    Exit codes: 0 done (vulnerabilities found or not; problems inside the files are printed);
    2 usage error, or the SBOM or feeds folder cannot be read.
    """
    if not feeds.is_dir():
        raise InputError(str(feeds), "", "no such feeds folder")
    document = read_sbom(sbom, sbom_id=sbom.name, display=str(sbom))
    with tempfile.TemporaryDirectory(prefix="caresec-") as scratch:
        store_file = cache if cache is not None else Path(scratch) / "feeds.sqlite"
        with FeedStore.open(store_file) as store:
            summaries, feed_problems = store.import_feeds(feeds)
            matches, not_assessed = match_components(
                document.components, store, store.kev(), store.epss_lookup(),
                covered=store.ecosystems(),
            )
    problems = [*document.problems, *feed_problems]
    if as_json:
        typer.echo(render_sbom_match_json(document, matches, not_assessed, summaries, problems),
                   nl=False)
        return
    _out.print(matches_table(matches))
    if not_assessed:
        _out.print(not_assessed_table(not_assessed))
    print_problems(problems, _err)


def matches_table(matches: list[VulnerabilityMatch]) -> Table:
    """One row per component and vulnerability."""
    table = Table(title=f"{len(matches)} vulnerabilities")
    table.add_column("Component", overflow="fold", ratio=3)
    table.add_column("Vulnerability", no_wrap=True)
    for column in ("Severity", "CVSS", "KEV", "EPSS"):
        table.add_column(column, no_wrap=True)
    table.add_column("Fixed in", overflow="fold", ratio=1)
    for m in matches:
        table.add_row(
            m.component.purl or m.component.name,
            m.vulnerability_id,
            str(m.severity),
            f"{m.cvss_score:.1f}" if m.cvss_score is not None else "",
            m.kev.date_added.isoformat() if m.kev else "",
            f"{m.epss.epss:.3f}" if m.epss else "",
            ", ".join(m.fixed_versions),
        )
    return table


def not_assessed_table(rows: list[NotAssessed]) -> Table:
    """Components the matcher could not judge, with the reason."""
    table = Table(title=f"{len(rows)} components not assessed (never read these as clean)")
    table.add_column("Component", overflow="fold")
    table.add_column("Reason")
    for row in rows:
        component = row.component
        table.add_row(component.purl or f"{component.name} {component.version}".strip(),
                      row.reason)
    return table
