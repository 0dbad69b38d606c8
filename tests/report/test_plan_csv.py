"""The plan as CSV (RFC 4180): one row per item by rank, lists joined with '; ', formula-like
cells neutralized (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from caresec.model import AuditResult
from caresec.report import render_plan_csv
from caresec.report.plan_csv import COLUMNS


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_and_rows(audit: AuditResult) -> None:
    text = render_plan_csv(audit)
    assert text.startswith(",".join(COLUMNS) + "\r\n")
    rows = _rows(text)
    assert [r["item_id"] for r in rows] == [i.item_id for i in audit.plan]
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    mirth = next(r for r in rows if r["item_id"] == "PLAN-mirth-connect-4.4.0")
    assert mirth["action"] == "upgrade" and mirth["level"] == "very high"
    # very high: 15 days (CISA BOD 19-02) from 2026-11-30; NPRM proposes 15 days (90 FR 898).
    assert (mirth["due"], mirth["sla_days"]) == ("2026-12-15", "15")
    assert (mirth["nprm_requirement"], mirth["nprm_days"], mirth["nprm_exceeded_by_sla"]) == (
        "NPRM-PATCH-CRITICAL", "15", "no",
    )
    assert mirth["status"] == "remediating" and mirth["status_source"] == "plan-status.yaml:3"
    assert mirth["risk_ids"] == (
        "RISK-A-EHR-TE-RANSOMWARE-CVE-2023-43208; RISK-A-EHR-TE-VULN-EXPLOIT-CVE-2023-43208"
    )
    assert mirth["milestones"].startswith(
        "Test the fixed version outside production (2026-12-08, done); "
    )
    gap = next(r for r in rows if r["item_id"] == "PLAN-GAP-164.312(d)")
    assert gap["level"] == "very high" and gap["nprm_requirement"] == ""


def test_formula_like_cells_are_neutralized(audit: AuditResult) -> None:
    item = replace(audit.plan[0], title="=HYPERLINK(\"http://x\")", owner="+1 555", note="@x")
    rows = _rows(render_plan_csv(replace(audit, plan=(item,))))
    assert rows[0]["title"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["owner"] == "'+1 555" and rows[0]["note"] == "'@x"


def test_empty_plan_is_just_the_header(empty_audit: AuditResult) -> None:
    assert render_plan_csv(empty_audit) == ",".join(COLUMNS) + "\r\n"
