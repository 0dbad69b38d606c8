"""``caresec feeds``: download the advisory feeds, or import a feeds folder offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from caresec.collect.csaf import collect_csaf
from caresec.collect.download import (
    DEFAULT_ECOSYSTEMS,
    EPSS_URL,
    KEV_URL,
    OSV_BASE_URL,
    TIMEOUT_SECONDS,
    update_feeds,
)
from caresec.collect.nvd import collect_cve_records
from caresec.errors import InputError
from caresec.model import FeedSummary, InputProblem
from caresec.store import STORE_FILE, FeedStore

EXIT_FAILED = 2
SHOWN_PROBLEMS = 20

app = typer.Typer(
    help=(
        "Download the advisory feeds (OSV ecosystem archives, CISA KEV, FIRST EPSS) or import "
        "a feeds folder into the organization's feed store (ORG/.caresec/feeds.sqlite)."
    ),
    no_args_is_help=True,
    add_completion=False,
)

_out = Console()
_err = Console(stderr=True)


@app.command("update")
def update_command(
    org: Annotated[Path, typer.Option("--org", help="Organization folder (holds the store).")]
    = Path("."),
    dest: Annotated[
        Path | None,
        typer.Option("--dest", help="Feeds folder to download into (default: ORG/feeds)."),
    ] = None,
    ecosystem: Annotated[
        list[str] | None,
        typer.Option("--ecosystem", "-e", help="OSV ecosystem to download (repeat for several; "
                     f"default: {', '.join(DEFAULT_ECOSYSTEMS)})."),
    ] = None,
    osv_base_url: Annotated[str, typer.Option("--osv-base-url", help="OSV archive host.")]
    = OSV_BASE_URL,
    kev_url: Annotated[str, typer.Option("--kev-url", help="CISA KEV catalog URL.")] = KEV_URL,
    epss_url: Annotated[str, typer.Option("--epss-url", help="FIRST EPSS daily CSV URL.")]
    = EPSS_URL,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")]
    = TIMEOUT_SECONDS,
    import_after: Annotated[
        bool, typer.Option("--import/--no-import", help="Import the folder afterwards.")
    ] = True,
) -> None:
    """Download the feeds into the feeds folder, then import it.

    Exit codes: 0 every feed downloaded (and imported); 2 a download failed (the feeds that did
    download are still imported), usage error, or the store cannot be written.
    """
    feeds_dir = dest if dest is not None else org / "feeds"
    results = update_feeds(
        feeds_dir,
        ecosystems=ecosystem or DEFAULT_ECOSYSTEMS,
        osv_base_url=osv_base_url,
        kev_url=kev_url,
        epss_url=epss_url,
        timeout=timeout,
        progress=lambda line: _err.print(line, highlight=False, markup=False),
    )
    if import_after:
        _import(feeds_dir, org)
    failed = [r for r in results if r.error]
    for result in failed:
        _err.print(f"[bold red]error:[/] {result.name}: {result.error}", highlight=False)
    if failed:
        raise typer.Exit(EXIT_FAILED)


@app.command("import")
def import_command(
    path: Annotated[
        Path, typer.Argument(help="The feeds folder (osv/, kev.json, epss.csv[.gz]; csaf/ and "
                             "nvd/ are validated, not stored).")
    ],
    org: Annotated[Path, typer.Option("--org", help="Organization folder (holds the store).")]
    = Path("."),
) -> None:
    """Import a feeds folder into `ORG/.caresec/feeds.sqlite` (offline; unchanged parts are
    not read again), and validate its device feeds (csaf/, nvd/), which the audit reads
    directly.

    Exit codes: 0 imported (problems inside feed files are printed); 2 usage error, no such
    feeds folder, or the store cannot be written.
    """
    if not path.is_dir():
        raise InputError(str(path), "", "no such feeds folder")
    _import(path, org)


def _import(feeds_dir: Path, org: Path) -> None:
    with FeedStore.open(org / STORE_FILE) as store:
        summaries, problems = store.import_feeds(
            feeds_dir, progress=lambda line: _err.print(line, highlight=False, markup=False)
        )
    _out.print(feeds_table(summaries))
    device_table, device_problems = device_feeds(feeds_dir)
    if device_table is not None:
        _out.print(device_table)
    print_problems([*problems, *device_problems], _err)


def device_feeds(feeds_dir: Path) -> tuple[Table | None, list[InputProblem]]:
    """Validate the device feeds of a feeds folder: CSAF 2.0 advisories and ROLIE feeds
    (``csaf/``) and CVE records (``nvd/``). They are small and read by ``caresec audit`` straight
    from the folder, so nothing is stored; this reads them as the audit does and reports counts
    and problems (docs/devices.md).

    Returns:
        A table of what was read (None when neither folder exists) and the problems met.
    """
    csaf_dir, nvd_dir = feeds_dir / "csaf", feeds_dir / "nvd"
    if not csaf_dir.is_dir() and not nvd_dir.is_dir():
        return None, []
    root = feeds_dir.parent
    advisories, csaf_problems = collect_csaf(csaf_dir, root)
    records, nvd_problems = collect_cve_records(nvd_dir, root)
    table = Table(title="Device feeds (read at audit time, not stored)")
    for column in ("Feed", "Records", "Detail"):
        table.add_column(column, justify="right" if column == "Records" else "left")
    if csaf_dir.is_dir():
        products = sum(len(a.products) for a in advisories)
        cves = len({v.vulnerability_id for a in advisories for v in a.vulnerabilities})
        table.add_row("csaf/", str(len(advisories)),
                      f"{products} products, {cves} vulnerabilities; "
                      f"{len(csaf_problems)} problem(s)")
    if nvd_dir.is_dir():
        with_cpe = sum(1 for r in records if r.configurations)
        table.add_row("nvd/", str(len(records)),
                      f"{with_cpe} with CPE applicability; {len(nvd_problems)} problem(s)")
    return table, [*csaf_problems, *nvd_problems]


def feeds_table(summaries: Sequence[FeedSummary]) -> Table:
    """A table of the feed units in the store: name, records, imported at, digest prefix."""
    table = Table(title="Feeds in the store")
    for column in ("Feed", "Records", "Imported (UTC)", "SHA-256"):
        table.add_column(column, justify="right" if column == "Records" else "left")
    for summary in summaries:
        table.add_row(summary.name, str(summary.records), summary.imported_at,
                      summary.digest[:12])
    return table


def print_problems(problems: Sequence[InputProblem], console: Console) -> None:
    """Print the first problems and how many there are in all."""
    if not problems:
        return
    console.print(f"{len(problems)} input problem(s):", highlight=False)
    for problem in problems[:SHOWN_PROBLEMS]:
        console.print(f"  {problem.severity}: {problem}", highlight=False, markup=False)
    if len(problems) > SHOWN_PROBLEMS:
        console.print(f"  … and {len(problems) - SHOWN_PROBLEMS} more", highlight=False)
