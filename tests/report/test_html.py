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
    "ocr-elements",
    "controls",
    "contradictions",
    "cpg",
    "hicp",
    "nprm",
    "register",
    "plan",
    "changes",
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
        "Very high risk of “theft and use of valid credentials” on the organization as a whole: "
        "likelihood high, impact very high. Driven by Person or entity authentication "
        "(164.312(d)) not met." in text
    )


def test_heat_map_counts_and_colours_follow_table_i2(audit: AuditResult) -> None:
    html = render_html(audit)
    cells = re.findall(
        r"<title>likelihood ([a-z ]+) × impact ([a-z ]+): level ([a-z ]+), (\d+) risk\(s\)</title>",
        html,
    )
    assert len(cells) == 25
    counts = {(lk, im): int(n) for lk, im, _, n in cells if int(n)}
    # Residual risks (docs/risk-method.md §8): a threat event whose counter-controls score
    # coverage ≥ ½ (here TE-VULN-EXPLOIT: risk management not met 0, malicious software met 1,
    # integrity partly met ½ → 1.5 / 3) loses one likelihood step.
    assert counts == {
        ("very high", "very high"): 1,  # EHR ransomware (coverage 1/3: no step)
        # EHR exploitation (VH → H) and five adversarial gaps not met (G-5 high × high = high)
        ("high", "very high"): 6,
        # pump device compromise; misconfiguration (accidental: moderate × high); exploitation
        # gap (high → moderate); web attack on integrity partly met (G-5 high × moderate)
        ("moderate", "very high"): 4,
        ("low", "very high"): 2,  # pump exploitation (moderate → low); gap 164.312(c)(1)
        ("low", "high"): 1,  # PACS end of support (moderate → low)
        ("very high", "low"): 1,  # HR ransomware
        ("high", "low"): 1,  # HR exploitation (VH → H)
    }
    levels = {(lk, im): lv for lk, im, lv, _ in cells}
    # Table I-2: likelihood moderate × impact very high = high; very high × low = low.
    assert levels[("moderate", "very high")] == "high"
    assert levels[("very high", "low")] == "low"
    assert levels[("low", "very high")] == "moderate"


def _block(html: str, ident: str) -> str:
    start = html.index(f'<section id="{ident}">')
    return html[start : html.index("</section>", start)]


def test_register_table_in_register_order(audit: AuditResult) -> None:
    block = _block(render_html(audit), "register")
    # Risk ids carry <wbr> line-break opportunities after their hyphens and dots.
    ids = re.findall(r'<td class="id">(RISK-.+?)</td>', block)
    assert [i.replace("<wbr>", "") for i in ids] == [r.risk_id for r in audit.risks]
    # Table I-2: likelihood high × impact very high = very high (the EHR after one step).
    assert "Table I-2: likelihood high × impact very high = very high" in block
    text = _section(render_html(audit), "register")
    assert "SRA high · 5×5 25" in text  # very high × very high = 5 × 5
    assert "SRA high · 5×5 20" in text  # high × very high = 4 × 5
    assert "accepted" in text and "acceptance expired" in text
    assert "accept decision by CISO expired on 2026-10-31: reverted to open" in text
    assert "Organization-wide" in text


def test_plan_section(audit: AuditResult) -> None:
    block = _block(render_html(audit), "plan")
    ids = re.findall(r'<span class="mono">(PLAN-[^<]+)</span>', block)
    assert ids == [i.item_id for i in audit.plan]
    text = _section(render_html(audit), "plan")
    # 15 days for very high (CISA BOD 19-02, critical): 2026-11-30 + 15 = 2026-12-15.
    assert "2026-12-15 15 days" in text
    assert "NPRM (proposed): 15 days, NPRM-PATCH-CRITICAL" in text
    assert "remediating change CHG-77 approved plan-status.yaml:3" in text
    assert "Test the fixed version outside production (done)" in text


def test_control_sections(audit: AuditResult) -> None:
    html = render_html(audit)
    controls = _section(html, "controls")
    assert "Administrative safeguards (§ 164.308)" in controls
    assert "164.312(d) Person or entity authentication" in controls
    assert "Q-312-d-01 no" in controls
    contradictions = _section(html, "contradictions")
    assert "Q-308-a1-iiB-02" in contradictions and "at least 924 days" in contradictions
    cpg = _section(html, "cpg")
    assert "CPG-ESS-03 Multifactor Authentication not met" in cpg
    hicp = _section(html, "hicp")
    # HICP Technical Volume 2: 7.M.A is a medium-tier sub-practice, 7.L.A a large-tier one.
    assert "HICP practices for a medium organization" in hicp
    assert "Vulnerability Management" in hicp and "7.M.A" in hicp and "7.L.A" not in hicp
    nprm = _section(html, "nprm")
    assert "Would fail (2)" in nprm and "NPRM-MFA" in nprm
    assert "Proposed, not in force" in nprm
    ocr = _section(html, "ocr-elements")
    assert "OCR-RA-9 Periodic Review and Updates to the Risk Assessment" in ocr
    assert "Compared with run 7 of 2026-08-31: 1 new, 1 resolved, 2 changed risks." in ocr


def test_changes_since_previous_run(audit: AuditResult) -> None:
    text = _section(render_html(audit), "changes")
    assert "Compared with run 7 of 2026-08-31T09:00:00+00:00" in text
    head = "Risk What Before Now"
    assert f"new 1 new risk(s) {head} RISK-A-EHR-TE-RANSOMWARE-CVE-2023-43208" in text
    assert f"resolved 1 resolved risk(s) {head} RISK-A-NAS-TE-VULN-EXPLOIT-CVE-2019-0708" in text
    assert (f"up 1 risk(s) with a higher level {head} "
            "RISK-A-PUMP-TE-VULN-EXPLOIT-CVE-2021-33885") in text
    assert (f"down 1 risk(s) with a lower level {head} "
            "RISK-A-PUMP-TE-MEDDEV-COMPROMISE-CVE-2021-33885") in text
    assert "low 15 moderate 28" in text  # before: low 15 (previous run); now moderate 28


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
        ("register", "No risks found"),
        ("plan", "No plan items"),
        ("changes", "No previous run"),
        ("controls", "Controls were not evaluated"),
        ("contradictions", "Controls were not evaluated"),
        ("cpg", "Controls were not evaluated"),
        ("hicp", "Controls were not evaluated"),
        ("nprm", "Controls were not evaluated"),
        ("ocr-elements", "Controls were not evaluated"),
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


@pytest.mark.parametrize(
    ("text", "markup"),
    [
        # UAX #14 LB25 keeps "APP-01" together; the filter adds the break after the hyphen.
        ("RISK-EHR-APP-01", "RISK-<wbr>EHR-<wbr>APP-<wbr>01"),
        ("GAP-164.312(b)", "GAP-<wbr>164.<wbr>312(b)"),
        ("HR <intranet> & x", "HR &lt;intranet&gt; &amp; x"),  # escaped, no break point
        ("", ""),
    ],
)
def test_breakable_escapes_and_adds_break_points(text: str, markup: str) -> None:
    from caresec.report.html import breakable

    assert str(breakable(text)) == markup


def test_long_lists_fold_past_the_visible_rows(
    audit: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caresec.report import html as html_module

    monkeypatch.setattr(html_module, "VISIBLE_ROWS", 5)
    page = render_html(audit)
    register = _block(page, "register")
    shown, folded = register.split('<details class="more">')
    assert len(re.findall(r'<td class="id">', shown)) == 5
    # every entry is still in the page, in register order
    ids = [i.replace("<wbr>", "") for i in re.findall(r'<td class="id">(RISK-.+?)</td>', register)]
    assert ids == [r.risk_id for r in audit.risks]
    assert f"{len(audit.risks) - 5} more register entries" in folded
    plan = _block(page, "plan")
    assert ('<details class="more">' in plan) == (len(audit.plan) > 5)


def test_ocr_evidence_does_not_repeat_what_covers_it(audit: AuditResult) -> None:
    assert audit.controls is not None
    section = _section(render_html(audit), "ocr-elements")
    for element in audit.controls.ocr_elements:
        assert section.count(element.summary) == 1, element.element_id
