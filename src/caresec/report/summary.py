"""The terminal summary: one rich table of what an audit found."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from caresec.model.control import ControlState
from caresec.model.org import AuditResult
from caresec.report.counts import count
from caresec.report.views import register_counts

#: Files listed by name under "inputs that could not be read" before summarizing the rest.
MAX_FILES_LISTED = 10

_LEVEL_STYLES = {
    "very high": "bold white on red3",
    "high": "bold black on dark_orange",
    "moderate": "black on gold1",
    "low": "black on dark_olive_green2",
    "very low": "white on dark_green",
}
_SEVERITY_STYLES = {
    "critical": "bold red3",
    "high": "red",
    "medium": "yellow",
    "low": "blue",
    "none": "dim",
    "unknown": "dim",
}


def summary_table(result: AuditResult) -> Table:
    """A two-column rich :class:`~rich.table.Table` summarizing ``result``.

    Sections: inventory (assets, SBOMs, components, components not assessed), vulnerabilities
    (distinct ids by severity, CISA KEV, matches), risks by NIST SP 800-30 Rev. 1 level (with
    register kinds and responses), controls and plan (safeguards not met / partly met,
    contradicted answers, plan items), and the inputs that could not be read (files with an
    ``error`` problem, then warnings).
    """
    c = count(result)
    table = Table(title=f"caresec audit: {result.org.name}", show_header=True, title_justify="left")
    # Labels and file names stay whole (the counts wrap instead); on a terminal too narrow for
    # even the labels they fold rather than being cut with an ellipsis.
    table.add_column("What", style="bold", no_wrap=True, overflow="fold")
    table.add_column("Count", justify="right", overflow="fold")

    table.add_row("Assets", str(c.assets))
    table.add_row("SBOMs", str(c.sboms))
    table.add_row("Components", str(c.components))
    table.add_row("Components not assessed", str(c.not_assessed))
    table.add_section()

    table.add_row("Vulnerabilities (distinct)", str(c.vulnerabilities))
    for severity, n in c.by_severity:
        table.add_row(Text(f"  {severity}", style=_SEVERITY_STYLES[str(severity)]), str(n))
    table.add_row("  in CISA KEV", str(c.kev))
    table.add_row("  with known ransomware use", str(c.ransomware))
    table.add_row("Matches (component × vulnerability)", str(c.matches))
    table.add_section()

    table.add_row("Risks", str(c.risks))
    for level, n in c.by_level:
        table.add_row(Text(f"  {level}", style=_LEVEL_STYLES[str(level)]), str(n))
    if result.register:
        rc = register_counts(result)
        table.add_row("  technical / control gap", f"{rc.technical} / {rc.control_gap}")
        for treatment, n in rc.treatments:
            if treatment != "open":
                table.add_row(f"  {treatment}", str(n))
    table.add_section()

    if result.controls is not None:
        states = [s.state for s in result.controls.statuses]
        gaps = f"{states.count(ControlState.NOT_MET)} / {states.count(ControlState.PARTLY_MET)}"
        table.add_row("Safeguards not met / partly met", gaps)
        table.add_row("Answers contradicted by evidence", str(len(result.controls.contradictions)))
    table.add_row("Plan items", str(len(result.plan)))
    table.add_section()

    for capability in result.capabilities:
        for label, value in capability.summary:
            table.add_row(label, value)
    if any(c.summary for c in result.capabilities):
        table.add_section()

    table.add_row("Inputs that could not be read", str(len(c.unreadable)))
    for name in c.unreadable[:MAX_FILES_LISTED]:
        table.add_row(Text(f"  {name}", style="red"), "")
    if len(c.unreadable) > MAX_FILES_LISTED:
        table.add_row(f"  … and {len(c.unreadable) - MAX_FILES_LISTED} more", "")
    problems = f"{c.problem_errors} / {c.problem_warnings}"
    table.add_row("Input problems (errors / warnings)", problems)
    return table
