"""``caresec catalog``: list the shipped catalogs and show one (as a table or as JSON)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import typer
from rich.console import Console
from rich.table import Table

from caresec.catalogs.loader import CatalogHeader, ThreatEventCatalog
from caresec.catalogs.models import (
    CpgCatalog,
    CsfCatalog,
    HicpCatalog,
    HipaaMappingsCatalog,
    HipaaSecurityRuleCatalog,
    NprmCatalog,
    OcrRiskAnalysisCatalog,
    QuestionBank,
)
from caresec.catalogs.registry import CATALOGS, as_json, list_catalogs, load

app = typer.Typer(
    help=(
        "The regulatory and framework catalogs caresec ships: HIPAA Security Rule, NPRM, "
        "NIST CSF 2.0, SP 800-66 mappings, HICP, HPH CPGs, OCR risk analysis elements, threat "
        "events, question bank."
    ),
    no_args_is_help=True,
)

Rows = tuple[Sequence[str], list[Sequence[str]]]


def _hipaa(c: HipaaSecurityRuleCatalog) -> Rows:
    return ("citation", "kind", "title", "status"), [
        (e.citation, e.kind.replace("_", " "), e.title, e.status) for e in c.elements
    ]


def _nprm(c: NprmCatalog) -> Rows:
    return ("id", "proposed", "title", "parameters"), [
        (
            r.id,
            r.proposed_citation or r.proposed_section or "",
            r.title,
            ", ".join(f"{p.name}={str(p.value).lower()}" for p in r.parameters),
        )
        for r in c.requirements
    ]


def _csf(c: CsfCatalog) -> Rows:
    return ("id", "title"), [(s.id, s.title) for s in c.subcategories]


def _mappings(c: HipaaMappingsCatalog) -> Rows:
    return ("citation", "CSF 2.0", "SP 800-53 Rev. 5"), [
        (m.citation, " ".join(m.csf_2_0), " ".join(m.sp800_53)) for m in c.mappings
    ]


def _hicp(c: HicpCatalog) -> Rows:
    rows: list[Sequence[str]] = []
    for p in c.practices:
        rows.append((str(p.number), "", p.title))
        rows += [(sp.id, sp.tier.value, sp.title) for sp in p.sub_practices]
    return ("id", "tier", "title"), rows


def _cpg(c: CpgCatalog) -> Rows:
    return ("id", "tier", "title"), [(g.id, g.tier, g.title) for g in c.goals]


def _ocr(c: OcrRiskAnalysisCatalog) -> Rows:
    return ("id", "title"), [(e.id, e.title) for e in c.elements]


def _threats(c: ThreatEventCatalog) -> Rows:
    return ("id", "source type", "title", "controls"), [
        (t.id, t.source_type, t.title, " ".join(t.control_ids)) for t in c.threat_events
    ]


def _questions(c: QuestionBank) -> Rows:
    return ("id", "controls", "question"), [
        (q.id, " ".join(q.control_ids), q.text) for q in c.questions
    ]


def _rows(catalog: CatalogHeader) -> Rows | None:
    renderers: list[tuple[type[CatalogHeader], Callable[..., Rows]]] = [
        (HipaaSecurityRuleCatalog, _hipaa),
        (NprmCatalog, _nprm),
        (CsfCatalog, _csf),
        (HipaaMappingsCatalog, _mappings),
        (HicpCatalog, _hicp),
        (CpgCatalog, _cpg),
        (OcrRiskAnalysisCatalog, _ocr),
        (ThreatEventCatalog, _threats),
        (QuestionBank, _questions),
    ]
    for model, render in renderers:
        if isinstance(catalog, model):
            return render(catalog)
    return None


def _check_name(name: str) -> str:
    if name not in CATALOGS:
        raise typer.BadParameter(f"unknown catalog '{name}'; known: {', '.join(CATALOGS)}")
    return name


@app.command("list")
def list_command() -> None:
    """List the shipped catalogs with their versions.

    Exit codes: 0 done; 2 a shipped catalog cannot be read (a packaging bug).
    """
    headers = list_catalogs()
    table = Table()
    table.add_column("name", no_wrap=True,
                     min_width=max((len(h.catalog) for h in headers), default=len("name")))
    table.add_column("version", no_wrap=True)
    table.add_column("title", overflow="fold")
    for header in headers:
        table.add_row(header.catalog, header.version, header.title)
    Console().print(table)


@app.command("show")
def show_command(
    name: str = typer.Argument(
        ..., help="Catalog name, as printed by 'caresec catalog list'.", callback=_check_name
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the whole catalog as JSON."),
) -> None:
    """Show one catalog: its source and entries, or the whole file as JSON.

    Exit codes: 0 done; 2 unknown catalog name (the known ones are listed) or usage error.
    """
    if json_output:
        typer.echo(as_json(name))
        return
    catalog = load(name)
    console = Console()
    console.print(
        f"[bold]{catalog.title}[/] ({catalog.catalog} {catalog.version})", highlight=False
    )
    status = getattr(catalog, "status", None)
    if isinstance(status, str):
        console.print(f"status: {status}", highlight=False)
    console.print(f"source: {catalog.source}", highlight=False)
    rows = _rows(catalog)
    if rows is None:
        console.print("Use --json to see the entries.")
        return
    headers, body = rows
    table = Table()
    # The first column is the entry's id or citation: never cut, as wide as the longest one.
    first, *others = headers
    table.add_column(first, no_wrap=True,
                     min_width=max((len(r[0]) for r in body), default=len(first)))
    for header in others:
        table.add_column(header, overflow="fold")
    for row in body:
        table.add_row(*row)
    console.print(table)
