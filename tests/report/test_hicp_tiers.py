"""HICP practice coverage for the organization's size tier (views.hicp_coverage, the HTML
``hicp`` section and report.json ``controls.hicp``).

The audit is the hand-built one of tests/report/conftest.py with only its size tier changed.
Expected sub-practices: HICP Technical Volume 1 (2018) for small organizations (1.S.A-1.S.C,
7.S.A, 10.S.A); Technical Volume 2 (2018) for medium (7.M.A-7.M.D) and large ones (M and L,
"medium sub-practices apply to both medium-sized and large organizations": 7.M.A-7.M.D,
7.L.A, 7.L.B).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from caresec.model import AuditResult, SizeTier
from caresec.report import render_html, render_json
from caresec.report.views import hicp_coverage


def _sized(audit: AuditResult, size: SizeTier) -> AuditResult:
    return replace(audit, org=replace(audit.org, size_tier=size))


def _hicp_section(html: str) -> str:
    match = re.search(r'<section id="hicp">(.*?)</section>', html, re.DOTALL)
    assert match is not None
    return match.group(1)


SMALL_PRACTICE_1 = [
    ("1.S.A", "Secure email service configuration"),
    ("1.S.B", "Staff education on email threats"),
    ("1.S.C", "Simulated phishing exercises"),
]


def test_small_org_sees_small_sub_practices(audit: AuditResult) -> None:
    views = hicp_coverage(_sized(audit, SizeTier.SMALL))
    # Technical Volume 1 covers all ten practices.
    assert [v.number for v in views] == list(range(1, 11))
    assert list(views[0].sub_practices) == SMALL_PRACTICE_1
    assert [i for i, _ in views[6].sub_practices] == ["7.S.A"]
    assert [i for i, _ in views[9].sub_practices] == ["10.S.A"]
    assert all(".S." in i for v in views for i, _ in v.sub_practices)


def test_small_org_html_section_lists_small_sub_practices(audit: AuditResult) -> None:
    section = _hicp_section(render_html(_sized(audit, SizeTier.SMALL)))
    assert "HICP practices for a small organization" in section
    for ident, title in SMALL_PRACTICE_1:
        assert ident in section and title in section
    assert "10.S.A" in section
    assert "1.M.A" not in section and "7.L.A" not in section
    assert "none listed for this tier" not in section


def test_small_org_json_lists_small_sub_practices(audit: AuditResult) -> None:
    hicp = json.loads(render_json(_sized(audit, SizeTier.SMALL)))["controls"]["hicp"]
    assert hicp["size_tier"] == "small"
    assert hicp["practices"][0]["sub_practices"] == [
        {"id": i, "title": t} for i, t in SMALL_PRACTICE_1
    ]


@pytest.mark.parametrize(
    ("size", "shown", "hidden"),
    [
        (SizeTier.SMALL, ["7.S.A"], ["7.M.A", "7.L.A"]),
        (SizeTier.MEDIUM, ["7.M.A", "7.M.B", "7.M.C", "7.M.D"], ["7.S.A", "7.L.A"]),
        (SizeTier.LARGE, ["7.M.A", "7.M.B", "7.M.C", "7.M.D", "7.L.A", "7.L.B"], ["7.S.A"]),
    ],
)
def test_vulnerability_management_sub_practices_by_size(
    audit: AuditResult, size: SizeTier, shown: list[str], hidden: list[str]
) -> None:
    result = _sized(audit, size)
    views = hicp_coverage(result)
    assert [i for i, _ in views[6].sub_practices] == shown
    section = _hicp_section(render_html(result))
    assert all(i in section for i in shown)
    assert not any(i in section for i in hidden)


def test_no_sub_practices_without_controls(empty_audit: AuditResult) -> None:
    assert hicp_coverage(_sized(empty_audit, SizeTier.SMALL)) == ()
