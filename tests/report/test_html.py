"""The HTML report: sections, content, self-containment, escaping, empty states."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from caresec.model import AuditResult
from caresec.report import render_html

SECTIONS = (
    "summary",
    "heatmap",
    "top-risks",
    "assets",
    "severity",
    "not-assessed",
    "problems",
    "feeds",
)
PHI_LIKE = "MRN 00412345 Jane Q. Patient DOB 1950-01-01"


class _Sections(HTMLParser):
    """Collects the text of each ``<section id=…>`` and every attribute seen."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, list[str]] = {}
        self.attrs: list[tuple[str, str, str | None]] = []
        self.tags: list[str] = []
        self._current: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)
        if tag == "section":
            ident = dict(attrs).get("id")
            if ident:
                self._current, self._depth = ident, 0
                self.text[ident] = []
        if self._current is not None and tag == "section":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._current is not None and tag == "section":
            self._depth -= 1
            if self._depth == 0:
                self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None and data.strip():
            self.text[self._current].append(" ".join(data.split()))


def _parse(html: str) -> _Sections:
    parser = _Sections()
    parser.feed(html)
    return parser


def _section(html: str, ident: str) -> str:
    return " ".join(_parse(html).text[ident])


def test_every_section_present_with_content(audit: AuditResult) -> None:
    parsed = _parse(render_html(audit))
    for ident in SECTIONS:
        assert ident in parsed.text, ident
        # more than the heading: at least three text nodes
        assert len(parsed.text[ident]) >= 3, (ident, parsed.text[ident])


def test_executive_summary(audit: AuditResult) -> None:
    text = _section(render_html(audit), "summary")
    assert "Lakeside Community Hospital" in text
    assert "2026-11-30 14:05 UTC" in text
    assert "3 distinct known vulnerabilities" in text
    assert "2 listed in CISA KEV" in text
    assert (
        "Very high risk of “ransomware attack” on EHR integration engine (A-EHR): likelihood very "
        "high, impact very high. Driven by CVE-2023-43208 in mirth-connect 4.4.0." in text
    )
    assert (
        "High risk of “compromise of a connected medical device” on ICU infusion pump fleet"
        in text
    )


def test_heat_map_counts_and_colours_follow_table_i2(audit: AuditResult) -> None:
    html = render_html(audit)
    cells = re.findall(
        r"<title>likelihood ([a-z ]+) × impact ([a-z ]+): level ([a-z ]+), (\d+) risk\(s\)</title>",
        html,
    )
    assert len(cells) == 25
    counts = {(lk, im): int(n) for lk, im, _, n in cells if int(n)}
    assert counts == {
        ("very high", "very high"): 2,  # EHR: ransomware, vulnerability exploitation
        ("moderate", "very high"): 2,  # infusion pumps
        ("moderate", "high"): 1,  # PACS workstation
        ("very high", "low"): 2,  # HR server
    }
    levels = {(lk, im): lv for lk, im, lv, _ in cells}
    # Table I-2: likelihood moderate × impact very high = high; very high × low = low.
    assert levels[("moderate", "very high")] == "high"
    assert levels[("very high", "low")] == "low"
    assert levels[("low", "very high")] == "moderate"


def test_top_risks_table_in_register_order(audit: AuditResult) -> None:
    html = render_html(audit)
    start = html.index('<section id="top-risks">')
    block = html[start : html.index("</section>", start)]
    ids = re.findall(r'<td class="mono">(RISK-[^<]+)</td>', block)
    assert ids == [r.risk_id for r in audit.risks]
    assert "Table I-2: likelihood moderate × impact very high = high" in block


def test_asset_detail(audit: AuditResult) -> None:
    text = _section(render_html(audit), "assets")
    for fact in (
        "EHR integration engine",
        "about 250,000 individuals' records",
        "life-sustaining",
        "zone dmz, internet-facing",
        "added 2024-05-20",
        "due 2024-06-10",
        "ransomware use known",
        "94.0%",
        "percentile 99.9",
        "4.4.1",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "2.3.1, 2.12.2, 2.15.0",
        "no fix listed",  # CVE-2021-33885: no fixed version in the match
        "EOS-A-PACS",
        "past end of support since 2020-01-14",
        "No SBOM components are linked to this asset",  # A-NAS
    ):
        assert fact in text, fact


def test_severity_chart(audit: AuditResult) -> None:
    html = render_html(audit)
    assert "<title>critical: 3</title>" in html
    assert "<title>high: 0</title>" in html


def test_not_assessed_problems_feeds(audit: AuditResult) -> None:
    html = render_html(audit)
    assert "dicom-viewer" in _section(html, "not-assessed")
    assert "no version" in _section(html, "not-assessed")
    problems = _section(html, "problems")
    assert "sboms/lab.cdx.json" in problems and "/components/3" in problems
    assert "'many' is not a number; taken as 0" in problems
    feeds = _section(html, "feeds")
    assert "CISA KEV 2025.08.25" in feeds and "1,404" in feeds


def test_no_external_resources(audit: AuditResult) -> None:
    html = render_html(audit)
    parsed = _parse(html)
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert "iframe" not in parsed.tags and "img" not in parsed.tags
    for tag, name, value in parsed.attrs:
        assert name != "src", tag
        if name == "href":
            assert value is not None and value.startswith("#"), value
    lowered = html.lower()
    for forbidden in ("@import", "url(", "http://", "https://", "<script", "<link"):
        assert forbidden not in lowered, forbidden


def test_markup_is_escaped(audit: AuditResult) -> None:
    html = render_html(audit)
    assert "HR &lt;intranet&gt; &amp; payroll" in html
    assert "HR <intranet>" not in html


def test_owner_shown_as_given_and_no_phi_from_extra_columns(audit: AuditResult) -> None:
    html = render_html(audit)
    assert "Biomedical Engineering — Dr. Ana Ruiz" in html
    assert PHI_LIKE not in html
    assert "00412345" not in html


@pytest.mark.parametrize(
    ("section", "wording"),
    [
        ("summary", "No risks found"),
        ("heatmap", "No risks found"),
        ("top-risks", "No risks found."),
        ("assets", "No assets found in the inventory."),
        ("severity", "No known vulnerabilities found"),
        ("not-assessed", "No components left unassessed"),
        ("problems", "No input problems found"),
        ("feeds", "No feeds found"),
    ],
)
def test_empty_sections_say_so(empty_audit: AuditResult, section: str, wording: str) -> None:
    assert wording in _section(render_html(empty_audit), section)


def test_rendering_is_deterministic(audit: AuditResult) -> None:
    assert render_html(audit) == render_html(audit)
