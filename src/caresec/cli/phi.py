"""``caresec phi``: find where ePHI lives (``scan``) and what one text holds (``detect``).

Output never carries an identifier: ``scan`` prints counts, keyed pseudonyms and value shapes;
``detect`` prints offsets, types and scores. ``--show-values`` (``detect`` only) is the explicit
opt-in to print the matched text, for checking the detector on test data.
"""

from __future__ import annotations

import json
import re
import stat
import sys
import tomllib
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated

import typer

from caresec import privacy
from caresec.collect.phi import (
    Limits,
    inventory_path,
    load_inventory,
    save_inventory,
    scan_sources,
    sniff,
)
from caresec.collect.phi.documents import decode_text
from caresec.collect.phi.names import (
    location_name,
    name_redactor,
    pseudonymize_locations,
    report_view,
)
from caresec.collect.phi.scan import not_regular
from caresec.collect.phi.store import inventory_dict
from caresec.errors import CaresecError, InputError
from caresec.model.phi import Change, DataSource, PhiInventory
from caresec.phi import DetectorConfig, PhiDetector
from caresec.phi import detect as detect_spans
from caresec.phi.mrn import learn_mrn_pattern

app = typer.Typer(help="Find ePHI: the 18 HIPAA identifiers in files, exports and databases.",
                  no_args_is_help=True, add_completion=False)

CONFIG_FILE = "caresec.toml"


@app.callback()
def _group() -> None:
    """Find ePHI (keeps ``scan`` and ``detect`` subcommands)."""


#: Formats ``phi detect`` refuses (it reads one text file), with their names.
_NOT_TEXT = {"pdf": "PDF file", "zip": "ZIP archive", "docx": "Word document",
             "xlsx": "Excel workbook", "dicom": "DICOM file", "binary": "binary file"}


#: Formats ``phi detect`` reads as free text although ``phi scan`` reads them by structure.
_STRUCTURED = {"hl7": "an HL7 v2 message", "json": "JSON", "ndjson": "NDJSON", "csv": "a CSV table",
               "tsv": "a TSV table", "eml": "an e-mail"}


def find_org(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``caresec.toml``."""
    here = start.resolve()
    for folder in (here, *here.parents) if here.is_dir() else here.parents:
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def read_asset_map(path: Path) -> dict[str, tuple[str, str]]:
    """``location,asset_id[,owner]`` rows of a CSV file (header row first) → mapping.

    Raises:
        InputError: the file cannot be read or lacks the ``location`` and ``asset_id`` columns.
    """
    import csv

    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"cannot read the asset map ({exc})") from exc
    if rows and not {"location", "asset_id"} <= set(rows[0]):
        raise InputError(str(path), "row 1", "the asset map needs columns location,asset_id "
                         "(and optionally owner)")
    return {r["location"].strip(): (r["asset_id"].strip(), (r.get("owner") or "").strip())
            for r in rows if r.get("location")}


def _linked(location: str, base: Path, mapping: dict[str, tuple[str, str]],
            folder: Path | None = None) -> DataSource:
    """The data source for one scanned PATH or URL: the asset of its own row in ``mapping``,
    else of the deepest mapped folder holding it (mapped paths relative to ``folder``)."""
    for key in (location, str(base)):
        if key in mapping:
            asset, owner = mapping[key]
            return DataSource(location, asset, owner)
    if "://" in location:
        return DataSource(location)
    target = base.resolve()
    best: tuple[int, str, str] | None = None
    for key, (asset, owner) in mapping.items():
        if "://" in key:
            continue
        mapped = Path(key)
        if folder is not None and not mapped.is_absolute():
            mapped = folder / mapped
        mapped = mapped.resolve()
        if (target == mapped or mapped in target.parents) and (
                best is None or len(mapped.parts) > best[0]):
            best = (len(mapped.parts), asset, owner)
    return DataSource(location, best[1], best[2]) if best else DataSource(location)


def org_mrn_patterns(root: Path) -> list[str]:
    """The MRN formats of the organization's ``[phi] mrn_patterns`` (``caresec.toml``), so a
    scan from the command line reads MRNs as ``caresec audit`` does.

    A wrong setting in the ``[phi]`` table is printed as a warning and ignored, as in the audit.

    Raises:
        InputError: ``caresec.toml`` cannot be read.
    """
    from caresec.capabilities.phi import NAME, read_settings

    config = root / "caresec.toml"
    if not config.is_file():
        return []
    try:
        table = tomllib.loads(config.read_text("utf-8")).get(NAME, {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(str(config), "", f"cannot be read ({exc})") from exc
    settings, problems = read_settings(table if isinstance(table, dict) else {})
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)
    return list(settings.mrn_patterns)


def render_text(inventory: PhiInventory) -> str:
    """The inventory as a table per location, then the ePHI map and skipped inputs."""
    present = [x for x in inventory.locations if x.change is not Change.REMOVED]
    lines = [f"ePHI inventory — {len(present)} location(s) with identifiers; "
             f"{inventory.files} file(s), {inventory.bytes} bytes read; key {inventory.key_id}"]
    for loc in inventory.locations:
        counts = ", ".join(f"{k.value} {n}" for k, n in loc.counts)
        asset = f" [{loc.asset_id}]" if loc.asset_id else ""
        change = "" if loc.change is Change.FIRST_SCAN else f" ({loc.change.value}" + (
            f": {loc.change_detail})" if loc.change_detail else ")")
        lines.append(f"{loc.sensitivity.value.upper():8} {loc.location}{asset}{change}")
        lines.append(f"         {counts}; ~{loc.individuals} individual(s)")
    by_asset = inventory.by_asset()
    if any(by_asset):
        lines.append("ePHI map (asset: identifiers):")
        for asset, held in sorted(by_asset.items()):
            lines.append(f"  {asset or '(not linked)'}: " + ", ".join(
                f"{k.value} {n}" for k, n in sorted(held.items(), key=lambda kv: -kv[1])))
    if inventory.problems:
        lines.append(f"Skipped or read in part ({len(inventory.problems)}):")
        lines.extend(f"  {p}" for p in inventory.problems)
    return "\n".join(lines) + "\n"


@app.command("scan")
def scan_command(
    paths: Annotated[list[Path] | None,
                     typer.Argument(help="Files or folders (recursive).")] = None,
    db: Annotated[list[str] | None, typer.Option(
        "--db", metavar="URL", help="SQLAlchemy database URL to sample (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    org: Annotated[Path | None, typer.Option(
        "--org", help="Organization folder (key and store); default: the nearest folder with "
                      "caresec.toml above the first PATH or the current folder.")] = None,
    asset_map: Annotated[Path | None, typer.Option(
        "--asset-map", help="CSV of location,asset_id[,owner] linking paths to assets "
                            "(default inside an organization folder: its phi-sources.csv).")
    ] = None,
    sample_rows: Annotated[int, typer.Option(
        "--sample-rows", help="Rows sampled per database table.")] = 1000,
    workers: Annotated[int, typer.Option("--workers", help="Processes (0 = one per CPU).")] = 0,
    no_save: Annotated[bool, typer.Option(
        "--no-save", help="Do not save the inventory in the organization's store.")] = False,
    mrn_pattern: Annotated[list[str] | None, typer.Option(
        "--mrn-pattern", metavar="REGEX",
        help="The organization's MRN format as a regular expression (repeatable).")] = None,
    mrn_sample: Annotated[Path | None, typer.Option(
        "--mrn-sample", help="A file of the organization's own MRNs, one a line, to learn "
                             "their format from.")] = None,
) -> None:
    """Scan files, folders and databases for the HIPAA identifiers and print an ePHI inventory
    (counts, estimated individuals, sensitivity, change since the previous scan). Identifiers
    are never printed or stored: only keyed pseudonyms and value shapes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    patterns = list(mrn_pattern or [])
    if mrn_sample is not None:
        try:
            patterns.append(learn_mrn_pattern(mrn_sample.read_text("utf-8").splitlines()))
        except (OSError, ValueError) as exc:
            raise InputError(str(mrn_sample), "", f"cannot learn an MRN format ({exc})") from exc
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise CaresecError(
                f"--mrn-pattern {pattern!r} is not a regular expression ({exc}).") from exc
    paths = paths or []
    if not paths and not db:
        raise CaresecError("nothing to scan.", hint="Give a PATH or --db URL.")
    for path in paths:
        if not path.exists():
            raise InputError(str(path), "", "no such file or folder")
    root = org or find_org(paths[0] if paths else Path.cwd()) or find_org(Path.cwd())
    key = privacy.load_or_create_key(root) if root else privacy.ephemeral_key()
    if root is not None:
        patterns = [*org_mrn_patterns(root), *patterns]
    if root is None:
        typer.echo("note: no organization folder found; pseudonyms are valid for this run only "
                   "and the inventory is not saved.", err=True)
    # without --asset-map, a scan inside the organization links paths as its audit does
    org_sources = root / "phi-sources.csv" if root is not None else None
    mapping, mapped_from = ({}, None) if not asset_map else (read_asset_map(asset_map), None)
    if not asset_map and org_sources is not None and org_sources.is_file():
        mapping, mapped_from = read_asset_map(org_sources), root
    sources = [_linked(str(p), p, mapping, mapped_from) for p in paths]
    dbs = [_linked(u, Path(u), mapping) for u in db or []]
    store = inventory_path(root) if root else None
    previous = load_inventory(store) if store else None
    if previous is not None and previous.key_id != privacy.key_id(key):
        previous = None
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), transient=True, disable=not sys.stderr.isatty(),
                  console=None) as bar:
        task = bar.add_task("Scanning", total=None)

        def progress(done: int, total: int, _name: str) -> None:
            bar.update(task, completed=done, total=total)

        config = DetectorConfig(mrn_patterns=tuple(patterns))
        scanned = scan_sources(sources, dbs=dbs, key=key, progress=progress, root=root,
                               limits=Limits(db_sample_rows=sample_rows), config=config,
                               workers=workers or None)
    roots = [location_name(p, root) for p in paths]
    roots += [s.location for s in scanned.sources[len(paths):]]
    scanned = replace(scanned, sources=tuple(
        replace(s, location=name) for s, name in zip(scanned.sources, roots, strict=True)))
    redact = name_redactor(PhiDetector(config), key)
    inventory = pseudonymize_locations(scanned, key=key, previous=previous, roots=roots,
                                       redact=redact)
    if store is not None and not no_save:
        save_inventory(store, pseudonymize_locations(
            scanned, key=key, previous=previous, roots=roots, redact=redact,
            keep_unscanned=True))
    shown = report_view(inventory)
    if as_json:
        typer.echo(json.dumps(inventory_dict(shown), indent=2))
    else:
        typer.echo(render_text(shown), nl=False)


@app.command("detect")
def detect_command(
    file: Annotated[Path, typer.Argument(help="A text file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_values: Annotated[bool, typer.Option(
        "--show-values", help="Also print the matched text (opt-in: it prints identifiers).")
    ] = False,
) -> None:
    """Print the spans detected in one text file: start and end (character offsets), type,
    score and detector."""
    try:
        mode = file.stat().st_mode
        if not stat.S_ISREG(mode):
            raise InputError(str(file), "", not_regular(mode))
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(str(file), "", f"cannot read ({exc.strerror})") from exc
    kind = sniff(file.name, data[:8192])
    if kind in _NOT_TEXT:
        raise InputError(str(file), "", f"is a {_NOT_TEXT[kind]}, not text; "
                         "`caresec phi scan` reads it")
    if kind in _STRUCTURED:
        typer.echo(f"note: {file} is {_STRUCTURED[kind]}; `phi detect` reads it as free text, "
                   "`caresec phi scan` reads its fields (names, ids and dates by field).",
                   err=True)
    text = decode_text(data)
    spans = detect_spans(text)
    if as_json:
        rows = []
        for span in spans:
            row = {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(span).items()}
            if show_values:
                row["text"] = text[span.start:span.end]
            rows.append(row)
        typer.echo(json.dumps({"file": str(file), "spans": rows}, indent=2))
        return
    for span in spans:
        shown = f"  {text[span.start:span.end]!r}" if show_values else ""
        typer.echo(f"{span.start:>8} {span.end:>8}  {span.type.value:<16} {span.score:.2f}  "
                   f"{span.detector}{shown}")
    typer.echo(f"{len(spans)} span(s)")
