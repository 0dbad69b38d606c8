"""nist-csf-2.0.yaml against NIST CSWP 29 (CSF 2.0, Feb. 26, 2024): 6 functions, 22 categories,
106 subcategories."""

from __future__ import annotations

from collections import Counter

import pytest

from caresec.catalogs.registry import load_csf

CSF = load_csf()
IDS = CSF.subcategory_ids()


def test_counts() -> None:
    assert [f.id for f in CSF.functions] == ["GV", "ID", "PR", "DE", "RS", "RC"]
    assert len(CSF.categories) == 22
    assert len(CSF.subcategories) == 106


def test_subcategories_per_function() -> None:
    # CSF 2.0 core: GV 31, ID 21, PR 22, DE 11, RS 13, RC 8 (sum 106).
    counts = Counter(s.id[:2] for s in CSF.subcategories)
    assert counts == {"GV": 31, "ID": 21, "PR": 22, "DE": 11, "RS": 13, "RC": 8}


@pytest.mark.parametrize(
    ("category", "name"),
    [
        ("GV.SC", "Cybersecurity Supply Chain Risk Management"),
        ("PR.AA", "Identity Management, Authentication, and Access Control"),
        ("PR.IR", "Technology Infrastructure Resilience"),
        ("RS.CO", "Incident Response Reporting and Communication"),
    ],
)
def test_category_names(category: str, name: str) -> None:
    assert {c.id: c.name for c in CSF.categories}[category] == name


@pytest.mark.parametrize(
    ("subcategory", "present"),
    [
        ("PR.AA-01", True),
        ("GV.SC-10", True),
        ("ID.AM-08", True),
        ("DE.AE-08", True),
        ("RC.CO-04", True),
        ("PR.DS-11", True),
        # Not in CSF 2.0 (numbers skipped where CSF 1.1 outcomes were withdrawn or moved):
        ("ID.AM-06", False),
        ("PR.DS-03", False),
        ("DE.CM-04", False),
        ("RS.AN-01", False),
        ("PR.AC-01", False),
    ],
)
def test_subcategory_ids(subcategory: str, present: bool) -> None:
    assert (subcategory in IDS) is present
