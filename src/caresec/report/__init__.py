"""caresec.report: renderers of an :class:`~caresec.model.AuditResult`.

Pure: each returns text (or a rich renderable) and never writes files; the CLI writes them.
"""

from caresec.report.html import render_fragment, render_html
from caresec.report.json_report import render_json, report_schema
from caresec.report.oscal import render_oscal_assessment_results, render_oscal_poam
from caresec.report.plan_csv import render_plan_csv
from caresec.report.summary import summary_table

__all__ = [
    "render_fragment",
    "render_html",
    "render_json",
    "render_oscal_assessment_results",
    "render_oscal_poam",
    "render_plan_csv",
    "report_schema",
    "summary_table",
]
