"""``caresec probe ORG_DIR [TARGETS]...``: safe probes of the organization's own DICOM, HL7 v2,
FHIR and TLS services, saved as timestamped evidence under ``ORG_DIR/probes/``.

The Typer app's callback is the command (no sub-commands). Exit codes: 0 done (findings or not);
2 usage error, a configuration error or a target out of scope (nothing probed); 130 interrupted
(the results so far are saved; ``--resume`` goes on).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from caresec.errors import CaresecError
from caresec.model.exposure import ProbeStatus, ServiceObservation
from caresec.probe.checks import CHECKS
from caresec.probe.scope import PlannedTarget, load_scope, resolve_targets

EXIT_INTERRUPTED = 130

_out = Console()
_err = Console(stderr=True)

app = typer.Typer(
    help="Probe the organization's own DICOM, HL7 v2 (MLLP), FHIR and TLS services safely.",
    add_completion=False,
    invoke_without_command=True,
    # A group's callback stops option parsing at the first argument by default; the command
    # takes options after ORG_DIR and TARGETS too.
    context_settings={"allow_interspersed_args": True},
)


@app.callback(invoke_without_command=True)
def probe_command(
    org_dir: Annotated[
        Path,
        typer.Argument(help="The organization folder (its `caresec.toml` holds the `[probe]` "
                            "table).",
                       show_default=False),
    ],
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Targets to probe (HOST, HOST:PORT, CIDR, PROTOCOL://HOST:PORT); "
                            "each must be in the probe scope. Default: the whole scope.",
                       show_default=False),
    ] = None,
    opt_in_phi_queries: Annotated[
        bool,
        typer.Option("--opt-in-phi-queries",
                     help="Allow queries that could return PHI (DICOM patient-level C-FIND, "
                          "FHIR Patient search) on targets whose entry has phi_queries = true. "
                          "Only counts are kept."),
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Resume the newest interrupted run.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no result table.")] = False,
) -> None:
    """Probe the services listed under `[probe]` in `ORG_DIR/caresec.toml`; save the results.

    Every connection is rate-limited (`rate`) and bounded by a timeout; no clinical content is
    sent. Results are written to `ORG_DIR/probes/probe-<stamp>.json` (`<stamp>`: the UTC start
    time, `YYYYMMDDTHHMMSSZ`) after every target, so an interrupted run can be resumed with
    `--resume`.

    Exit codes: 0 done (findings or not); 2 usage error, a configuration error or a target out
    of scope (nothing probed); 130 interrupted (the results so far are saved).
    """
    from caresec.probe.runner import (
        ProgressEvent,
        find_incomplete,
        new_run,
        resume_run,
        run_probes,
    )

    scope = load_scope(org_dir)
    if resume:
        if targets:
            raise CaresecError("--resume continues the interrupted run's own targets; give no "
                               "TARGETS with it.")
        path = find_incomplete(scope.results_dir)
        if path is None:
            raise CaresecError(f"no interrupted run in {scope.results_dir} to resume.")
        record, planned = resume_run(scope, path, phi_opt_in=opt_in_phi_queries)
        _err.print(f"Resuming {path.name}: {len(record.done)} of {len(record.planned)} targets "
                   "done.")
    else:
        planned = resolve_targets(scope, targets or [])
        record = new_run(scope, planned, phi_opt_in=opt_in_phi_queries)
    _phi_notes(planned, opt_in_phi_queries)

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=_err, transient=quiet) as bar:
        task = bar.add_task("Probing", total=len(record.planned),
                            completed=len(record.done))

        def show(event: ProgressEvent) -> None:
            if event.status is None:
                bar.update(task, description=f"Probing {event.key}")
            else:
                bar.update(task, completed=event.index, description=f"{event.key}: {event.status}")

        try:
            run_probes(scope, planned, record, phi_opt_in=opt_in_phi_queries, progress=show)
        except KeyboardInterrupt:
            bar.stop()
            _err.print(f"Interrupted after {len(record.done)} of {len(record.planned)} targets; "
                       f"results so far are in {record.path}. Resume with: caresec probe "
                       f"{org_dir} --resume" + (" --opt-in-phi-queries" if opt_in_phi_queries
                                                else ""))
            raise typer.Exit(EXIT_INTERRUPTED) from None
    if not quiet:
        _out.print(result_table(record.results))
    _out.print(f"Results saved to {record.path}")


def result_table(results: list[ServiceObservation]) -> Table:
    """A table of results: target, status, TLS versions, exposures found (check titles)."""
    table = Table(title="Probe results", show_lines=False)
    table.add_column("Target")
    table.add_column("Status")
    table.add_column("TLS")
    table.add_column("Exposures")
    for obs in results:
        issues = [CHECKS[c.check_id].title for c in obs.checks
                  if c.holds is True and c.check_id in CHECKS and CHECKS[c.check_id].exposure]
        tls = ", ".join(obs.tls.protocols) if obs.tls and obs.tls.protocols else (
            "no" if obs.encrypted is False else "")
        status = obs.status.value if obs.status is ProbeStatus.ANSWERED else (
            f"{obs.status.value}: {obs.error}")
        table.add_row(obs.key, status, tls, "\n".join(issues) or "none")
    return table


def _phi_notes(planned: Sequence[PlannedTarget], opt_in: bool) -> None:
    specs = {t.spec.index: t.spec for t in planned}
    allowed = [s for s in specs.values() if s.phi_queries]
    if opt_in and not allowed:
        _err.print("Note: --opt-in-phi-queries has no effect: no [[probe.targets]] entry in "
                   "scope has phi_queries = true.")
    if allowed and not opt_in:
        _err.print("Note: PHI-capable queries are allowed by caresec.toml on "
                   f"{len(allowed)} target entr{'y' if len(allowed) == 1 else 'ies'} but were not "
                   "run (add --opt-in-phi-queries).")
