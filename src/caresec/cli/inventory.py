"""``caresec inventory where PURL|CPE``: which assets run a component.

"Which of our pumps run OpenSSL?" is ``caresec inventory where pkg:conan/openssl --org ORG
--kind "medical device"``. The organization's inventory and SBOMs are read as the audit reads
them; nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from caresec.analyze.cpe import components_matching
from caresec.cli.feeds import print_problems
from caresec.collect.inventory import collect_inventory
from caresec.collect.org import load_org
from caresec.collect.sbom import collect_sboms
from caresec.errors import InputError
from caresec.model import Asset, AssetKind, Component

app = typer.Typer(help="Ask questions of the organization's inventory.", no_args_is_help=True,
                  add_completion=False)

_out = Console()
_err = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Ask questions of the organization's inventory (keeps ``where`` a subcommand)."""


@app.command("where")
def where_command(
    query: Annotated[str, typer.Argument(help="A package URL (pkg:conan/openssl, optionally "
                                              "@version) or a CPE 2.3 name.")],
    org: Annotated[Path, typer.Option("--org", help="Organization folder (holds caresec.toml).")]
    = Path("."),
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Only assets of this kind (for example 'medical device')."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
    = False,
) -> None:
    """List the assets whose SBOMs contain the component QUERY names, with the version each
    runs, its location and the number of units the inventory row stands for.

    Exit codes: 0 done (even when no asset runs it; unreadable SBOMs are printed as problems);
    2 usage error, a QUERY that is neither a purl nor a CPE, an unknown `--kind`, or an
    unreadable `caresec.toml`.
    """
    wanted_kind: AssetKind | None = None
    if kind is not None:
        try:
            wanted_kind = AssetKind(kind.strip())
        except ValueError as exc:
            choices = ", ".join(k.value for k in AssetKind)
            raise InputError("--kind", "", f"{kind!r} is not an asset kind ({choices})") from exc
    organization = load_org(org)
    assets, inventory_problems = collect_inventory(organization)
    sboms, sbom_problems = collect_sboms(organization, assets)
    try:
        found = components_matching(query, (c for s in sboms for c in s.components))
    except ValueError as exc:
        raise InputError("QUERY", "", f"{query!r} is neither a package URL nor a CPE name: "
                         f"{exc}") from exc
    by_id = {a.asset_id: a for a in assets}
    rows = [(by_id[asset_id], component) for component in found
            for asset_id in component.asset_ids if asset_id in by_id
            and (wanted_kind is None or by_id[asset_id].kind is wanted_kind)]
    if as_json:
        typer.echo(json.dumps([_row_json(a, c) for a, c in rows], indent=2))
    else:
        _out.print(_table(query, rows))
    print_problems([*inventory_problems, *sbom_problems], _err)


def _units(asset: Asset) -> str:
    return dict(asset.extra).get("units", "")


def _row_json(asset: Asset, component: Component) -> dict[str, str]:
    return {"asset_id": asset.asset_id, "name": asset.name, "kind": str(asset.kind),
            "criticality": str(asset.criticality), "units": _units(asset),
            "location": asset.location, "owner": asset.owner, "component": component.name,
            "version": component.version, "purl": component.purl, "cpe": component.cpe,
            "sbom": component.sbom_id}


def _table(query: str, rows: list[tuple[Asset, Component]]) -> Table:
    units = 0
    for asset, _component in rows:
        count = _units(asset)
        units += int(count) if count.isdigit() else 1
    table = Table(title=f"{len({a.asset_id for a, _ in rows})} assets ({units} units) run {query}")
    # The asset id is never cut (it is what the user looks up next); other columns fold.
    table.add_column("Asset", no_wrap=True,
                     min_width=max((len(a.asset_id) for a, _ in rows), default=len("Asset")))
    for column in ("Name", "Kind, criticality", "Units", "Location", "Package", "SBOM"):
        table.add_column(column, overflow="fold")
    for asset, component in rows:
        table.add_row(asset.asset_id, asset.name, f"{asset.kind}, {asset.criticality}",
                      _units(asset), asset.location,
                      f"{component.name} {component.version}".strip(), component.sbom_id)
    return table
