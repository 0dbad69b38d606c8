"""hipaa-security-rule.yaml against 45 CFR 164.308-164.316 (eCFR, current text) and the
Security Standards Matrix (Appendix A to Subpart C of Part 164)."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import ValidationError

from caresec.catalogs.models import HipaaElement
from caresec.catalogs.registry import load_hipaa_security_rule, resolve_citation
from caresec.errors import CatalogError

RULE = load_hipaa_security_rule()
BY_CITATION = {e.citation: e for e in RULE.elements}


def test_header_names_the_regulation() -> None:
    assert RULE.catalog == "hipaa-security-rule"
    assert "45 CFR Part 164" in RULE.source
    assert RULE.status == "in force"


def test_standard_counts_per_section() -> None:
    # 45 CFR: 164.308 (a)(1)-(a)(8) and (b)(1) = 9; 164.310 (a)-(d) = 4; 164.312 (a)-(e) = 5;
    # 164.314 (a), (b) = 2; 164.316 (a), (b) = 2. Total 22.
    counts = Counter(e.citation[:7] for e in RULE.standards)
    assert counts == {"164.308": 9, "164.310": 4, "164.312": 5, "164.314": 2, "164.316": 2}
    assert len(RULE.standards) == 22


def test_addressable_specification_counts() -> None:
    # Appendix A matrix, "(A)" entries: 11 administrative, 6 physical, 5 technical = 22.
    addressable = Counter(e.citation[:7] for e in RULE.specifications if e.status == "addressable")
    assert addressable == {"164.308": 11, "164.310": 6, "164.312": 5}
    assert sum(addressable.values()) == 22


def test_required_specification_counts() -> None:
    # "(R)" specifications: 164.308 10; 164.310 2 (d)(2)(i)-(ii); 164.312 2 (a)(2)(i)-(ii);
    # 164.314 (a)(2)(i)-(iii) and (b)(2)(i)-(iv) = 7; 164.316 (b)(2)(i)-(iii) = 3.
    required = Counter(e.citation[:7] for e in RULE.specifications if e.status == "required")
    assert required == {"164.308": 10, "164.310": 2, "164.312": 2, "164.314": 7, "164.316": 3}
    assert len(RULE.specifications) == 46


def test_standards_without_specifications() -> None:
    # Standards the regulation gives no implementation specifications (§ 164.306(d)(1)).
    alone = {s.citation for s in RULE.standards if not RULE.specifications_of(s.citation)}
    assert alone == {
        "164.308(a)(2)",
        "164.308(a)(8)",
        "164.310(b)",
        "164.310(c)",
        "164.312(b)",
        "164.312(d)",
        "164.316(a)",
    }


@pytest.mark.parametrize(
    ("citation", "kind", "title", "status"),
    [
        ("164.308(a)(1)(ii)(A)", "implementation_specification", "Risk analysis", "required"),
        ("164.308(a)(1)(ii)(B)", "implementation_specification", "Risk management", "required"),
        (
            "164.308(a)(3)(ii)(C)",
            "implementation_specification",
            "Termination procedures",
            "addressable",
        ),
        (
            "164.308(a)(4)(ii)(A)",
            "implementation_specification",
            "Isolating health care clearinghouse functions",
            "required",
        ),
        (
            "164.308(a)(5)(ii)(B)",
            "implementation_specification",
            "Protection from malicious software",
            "addressable",
        ),
        ("164.308(a)(6)(ii)", "implementation_specification", "Response and reporting", "required"),
        (
            "164.308(a)(7)(ii)(D)",
            "implementation_specification",
            "Testing and revision procedures",
            "addressable",
        ),
        (
            "164.308(b)(3)",
            "implementation_specification",
            "Written contract or other arrangement",
            "required",
        ),
        (
            "164.310(a)(2)(iii)",
            "implementation_specification",
            "Access control and validation procedures",
            "addressable",
        ),
        ("164.310(d)(2)(i)", "implementation_specification", "Disposal", "required"),
        ("164.310(d)(2)(ii)", "implementation_specification", "Media re-use", "required"),
        (
            "164.312(a)(2)(i)",
            "implementation_specification",
            "Unique user identification",
            "required",
        ),
        (
            "164.312(a)(2)(iv)",
            "implementation_specification",
            "Encryption and decryption",
            "addressable",
        ),
        ("164.312(b)", "standard", "Audit controls", "required"),
        ("164.312(d)", "standard", "Person or entity authentication", "required"),
        ("164.312(e)(2)(ii)", "implementation_specification", "Encryption", "addressable"),
        ("164.316(b)(2)(i)", "implementation_specification", "Time limit", "required"),
    ],
)
def test_sample_elements_match_the_regulation(
    citation: str, kind: str, title: str, status: str
) -> None:
    element = BY_CITATION[citation]
    assert (element.kind, element.title, element.status) == (kind, title, status)


@pytest.mark.parametrize(
    ("spec", "standard"),
    [
        ("164.308(a)(1)(ii)(D)", "164.308(a)(1)"),
        ("164.308(b)(3)", "164.308(b)(1)"),
        ("164.310(a)(2)(i)", "164.310(a)(1)"),
        ("164.312(c)(2)", "164.312(c)(1)"),
        ("164.312(e)(2)(i)", "164.312(e)(1)"),
        ("164.314(a)(2)(iii)", "164.314(a)(1)"),
        ("164.314(b)(2)(iv)", "164.314(b)(1)"),
        ("164.316(b)(2)(iii)", "164.316(b)(1)"),
    ],
)
def test_specification_parents(spec: str, standard: str) -> None:
    assert BY_CITATION[spec].standard == standard


@pytest.mark.parametrize(
    ("alias", "citation"),
    [
        # NIST SP 800-66r2 / CPRT numbering of the written-contract paragraph (pre-2013).
        ("164.308(b)(4)", "164.308(b)(3)"),
        ("164.312(a)", "164.312(a)(1)"),
        ("45 CFR 164.312(b)", "164.312(b)"),
        ("164.312(a)(2)(iv)", "164.312(a)(2)(iv)"),
    ],
)
def test_resolve_citation_accepts_aliases(alias: str, citation: str) -> None:
    assert resolve_citation(alias).citation == citation


@pytest.mark.parametrize("bad", ["164.312(f)", "164.308(a)(9)", "164.530(c)", "nonsense"])
def test_resolve_citation_rejects_unknown(bad: str) -> None:
    with pytest.raises(CatalogError):
        resolve_citation(bad)


BASE = {
    "citation": "164.312(b)",
    "kind": "standard",
    "title": "Audit controls",
    "safeguard": "technical",
    "status": "required",
    "summary": "x",
}


@pytest.mark.parametrize(
    "change",
    [
        {"status": "addressable"},  # a standard is always required (§ 164.306(c))
        {"safeguard": "physical"},  # 164.312 is technical
        {"standard": "164.312(a)(1)"},  # a standard has no parent
        {"kind": "implementation_specification"},  # a specification needs its standard
        {"citation": "164.312(B)"},  # malformed citation
        {"extra": 1},  # unknown key
    ],
)
def test_element_model_rejects_inconsistent_records(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HipaaElement.model_validate(BASE | change)


def test_element_model_accepts_a_valid_record() -> None:
    assert HipaaElement.model_validate(BASE).citation == "164.312(b)"
