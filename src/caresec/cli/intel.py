"""``caresec intel``: pull threat intelligence, match logs, export and push what is shared.

Exit codes: 0 done; 1 ``match --fail-on-hit`` found hits; 2 a source failed, an input is
unreadable, or an export/push was blocked (PHI gate, TLP policy, invalid STIX).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from caresec.errors import CaresecError, InputError
from caresec.intel.config import IntelConfig, load_intel_config
from caresec.intel.logs import LogSource, load_mapping
from caresec.intel.matcher import match_logs
from caresec.intel.phi_gate import gate
from caresec.intel.sources import (
    downgrades,
    load_indicators,
    load_lists,
    log_internal_names,
    own_objects,
    pull_all,
)
from caresec.intel.stix_export import (
    ExportError,
    export_bundle,
    load_incidents,
    validate_export,
    value_tlps,
)
from caresec.intel.stix_import import bundle_markings, read_bundle
from caresec.intel.store import IntelStore, store_file
from caresec.intel.taxii import push
from caresec.intel.tlp import object_tlp, parse_tlp
from caresec.model.intel import IntelMatchResult, Tlp
from caresec.model.problems import InputProblem

EXIT_HITS = 1
EXIT_FAILED = 2
SHOWN = 20

app = typer.Typer(
    help="Threat intelligence: pull STIX/TAXII/MISP sources, match logs, export and push a "
         "PHI-free STIX 2.1 bundle. Sources and TLP policy come from caresec.toml [intel].",
    no_args_is_help=True,
    add_completion=False,
)

_out = Console()
_err = Console(stderr=True)

OrgOption = Annotated[Path, typer.Option("--org", help="Organization folder (holds "
                                                     "caresec.toml).")]


def _problems(problems: Sequence[InputProblem]) -> None:
    for problem in problems[:SHOWN]:
        _err.print(f"{problem.severity.value}: {problem}", highlight=False, markup=False)
    if len(problems) > SHOWN:
        _err.print(f"… and {len(problems) - SHOWN} more problems", highlight=False, markup=False)


@app.command("pull")
def pull_command(
    org: OrgOption = Path("."),
    source: Annotated[list[str] | None, typer.Option(
        "--source", "-s", help="Pull only this source (repeat for several).")] = None,
) -> None:
    """Pull every source of [intel] into ORG/.caresec/intel.sqlite. TAXII sources resume
    from the last X-TAXII-Date-Added-Last; exit 2 when a source failed (what it sent before
    failing is kept)."""
    config = load_intel_config(org)
    with IntelStore.open(store_file(config.root)) as store:
        reports = pull_all(config, store, names=source or (),
                           progress=lambda m: _err.print(m, highlight=False, markup=False))
    table = Table(title="Intelligence pulled")
    for column in ("Source", "Pages/files", "Received", "New", "added_after now", "Status"):
        table.add_column(column)
    for report in reports:
        table.add_row(report.source, str(report.pages), str(report.received),
                      str(report.stored), report.added_after_now or "-",
                      "error" if report.error else "ok")
    _out.print(table)
    for report in reports:
        _problems(report.problems)
        if report.error:
            _err.print(f"error: {report.source}: {report.error}", highlight=False, markup=False)
    if any(r.error for r in reports):
        raise typer.Exit(EXIT_FAILED)


def _mapping(config: IntelConfig, mapping: Path | None) -> tuple[LogSource, ...]:
    path = mapping or config.mapping
    if path is None:
        raise CaresecError("no log mapping: pass --mapping FILE or set [intel] mapping.",
                           hint="See docs/intel.md for the mapping file format.")
    return load_mapping(path)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def result_dict(result: IntelMatchResult) -> dict[str, Any]:
    """A JSON-ready dict of a match result (enum values and ISO times as strings)."""
    data = _plain(asdict(result))
    assert isinstance(data, dict)
    return data


def _match_tables(result: IntelMatchResult) -> None:
    table = Table(title=f"Intelligence hits ({len(result.hits)} shown; "
                        f"{sum(s.count for s in result.sightings)} lines in all)")
    for column in ("Log", "Where", "Column", "Value", "Indicator", "Source", "TLP", "Validity"):
        table.add_column(column)
    for hit in result.hits:
        table.add_row(Path(hit.file).name, hit.place, hit.column, hit.observed,
                      hit.indicator.indicator_id, hit.indicator.source,
                      hit.indicator.tlp.label, hit.validity)
    _out.print(table)
    if result.suppressed:
        sup = Table(title="Suppressed by warninglists (known false positives)")
        for column in ("Indicator value", "Source", "Warninglist", "Lines", "First line"):
            sup.add_column(column)
        for item in result.suppressed:
            sup.add_row(item.value, item.source, item.warninglist, str(item.count),
                        f"{Path(item.first_file).name} ({item.first_place})")
        _out.print(sup)
    _out.print(f"{len(result.suppressions)} indicator values are on a warninglist.",
               highlight=False)
    for pattern in result.not_evaluated:
        _err.print(f"not evaluated: {pattern.indicator_id} ({pattern.source}): "
                   f"{pattern.reason}", highlight=False, markup=False)
    _out.print(f"{result.lines} log lines from {len(result.files)} files against "
               f"{result.indicators} indicator values in {result.seconds:.2f} s; "
               f"{result.patterns_evaluated} stix2-matcher evaluations.", highlight=False)


@app.command("match")
def match_command(
    logs: Annotated[list[Path] | None, typer.Argument(
        help="Log files or folders (default: [intel] logs, else every file the mapping "
             "finds).")] = None,
    org: OrgOption = Path("."),
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", "-m", help="Column-mapping file (default: [intel] mapping).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    record: Annotated[bool, typer.Option(
        "--record/--no-record", help="Keep the sightings in the store for `intel export`.")]
    = True,
    fail_on_hit: Annotated[bool, typer.Option(
        "--fail-on-hit", help="Exit 1 when any unsuppressed hit is found.")] = False,
) -> None:
    """Match firewall, DNS, proxy and EDR logs against the pulled indicators and the
    organization's own; warninglisted indicators are suppressed and counted."""
    config = load_intel_config(org)
    sources = _mapping(config, mapping)
    with IntelStore.open(store_file(config.root)) as store:
        indicators = load_indicators(config, store)
        lists, list_problems = load_lists(config)
        paths = list(logs or config.logs)
        result = match_logs(indicators, paths, sources, lists)
        if record:
            store.record_sightings(result.sightings)
    if as_json:
        typer.echo(json.dumps(result_dict(result), indent=2, sort_keys=True))
    else:
        _match_tables(result)
    _problems([*list_problems, *result.problems])
    if fail_on_hit and result.sightings:
        raise typer.Exit(EXIT_HITS)


@app.command("export")
def export_command(
    org: OrgOption = Path("."),
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the bundle.")]
    = Path("caresec-share.stix.json"),
    tlp: Annotated[str | None, typer.Option(
        "--tlp", help="TLP to mark with (default: [intel] export_tlp); never lowers a "
                      "stricter marking.")] = None,
    sightings: Annotated[bool, typer.Option("--sightings/--no-sightings",
                                            help="Include the last match's sightings.")] = True,
    own: Annotated[bool, typer.Option("--own/--no-own",
                                      help="Include the organization's own indicators.")] = True,
    incidents: Annotated[bool, typer.Option("--incidents/--no-incidents",
                                            help="Include the incident summaries.")] = True,
) -> None:
    """Write the organization's STIX 2.1 bundle: identity, own indicators, sightings (counts
    and time windows only) and incident summaries, TLP 2.0-marked, validated with
    stix2-validator, and blocked by the PHI gate if any string looks like PHI."""
    config = load_intel_config(org)
    requested = _tlp(tlp)
    own_list, own_problems = own_objects(config) if own else ([], [])
    if own_problems:
        _problems(own_problems)
        if any(p.severity.value == "error" for p in own_problems):
            raise ExportError(f"the organization's own bundle {config.own_indicators} has "
                              f"errors; fix them before sharing it.")
    incident_list = load_incidents(config.incidents) if incidents and config.incidents else []
    internal: set[str] = set()
    if config.mapping is not None:
        internal = log_internal_names(load_mapping(config.mapping), list(config.logs))
    with IntelStore.open(store_file(config.root)) as store:
        sighting_list = store.sightings() if sightings else []
        inherited = value_tlps(load_indicators(config, store, include_own=False))
    bundle, summary = export_bundle(org_name=config.org_name, policy=config.policy,
                                    requested=requested, own_objects=own_list,
                                    sightings=sighting_list, incidents=incident_list,
                                    inherited=inherited, internal=internal)
    out.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _out.print(f"Wrote {out}: {summary.indicators} indicators, {summary.sightings} sightings, "
               f"{summary.incidents} incident summaries.", highlight=False)
    for line in (*summary.raised, *summary.withheld, *summary.warnings):
        _err.print(line, highlight=False, markup=False)


def _tlp(text: str | None) -> Tlp | None:
    if text is None:
        return None
    try:
        return parse_tlp(text)
    except ValueError as exc:
        raise CaresecError(f"--tlp: {exc}.") from exc


@app.command("push")
def push_command(
    bundle_file: Annotated[Path, typer.Argument(help="The STIX 2.1 bundle to publish.")],
    org: OrgOption = Path("."),
) -> None:
    """Publish a bundle to the [intel.push] TAXII 2.1 collection, after the same checks as
    export: valid STIX 2.1, PHI gate, TLP policy, and no marking lower than received."""
    config = load_intel_config(org)
    if config.push is None:
        raise CaresecError(f"{config.root / 'caresec.toml'}: no [intel.push] table; caresec "
                           f"does not know where to publish.",
                           hint="Add url and collection of the TAXII 2.1 collection.")
    objects, problems = read_bundle(bundle_file, max_bytes=config.max_bundle_bytes)
    errors = [p for p in problems if p.severity.value == "error"]
    if errors:
        _problems(problems)
        raise InputError(str(bundle_file), errors[0].place, "the bundle is not valid STIX 2.1; "
                         "nothing was pushed")
    bundle = json.loads(bundle_file.read_bytes())
    validate_export(bundle)
    internal: set[str] = set()
    if config.mapping is not None:
        internal = log_internal_names(load_mapping(config.mapping), list(config.logs))
    gate(bundle, internal=internal, organization=config.org_name)
    own_list, _ = own_objects(config)
    with IntelStore.open(store_file(config.root)) as store:
        lowered = downgrades(bundle, store, own_list, config.source_tlp())
    markings = bundle_markings(objects)
    too_high = [f"{o['id']} is {t.label}" for o in objects
                if o.get("type") != "marking-definition"
                and (t := object_tlp(o, markings)) is not None
                and (t is Tlp.RED or t.rank > config.policy.max_share.rank)]
    if lowered or too_high:
        reasons = "; ".join([*lowered, *too_high][:10])
        raise ExportError(f"{bundle_file}: not pushed: {reasons} (a marking is never lowered "
                          f"on re-share; max_share_tlp is {config.policy.max_share.label}).")
    report = push(config.push.endpoint(), bundle, timeout=config.push.timeout)
    _out.print(f"TAXII status {report.status}: {report.success} added, {report.failure} "
               f"failed, {report.pending} pending of {report.total}.", highlight=False)
    for failure in report.failures:
        _err.print(f"failed: {failure}", highlight=False, markup=False)
    if report.failure:
        raise typer.Exit(EXIT_FAILED)
