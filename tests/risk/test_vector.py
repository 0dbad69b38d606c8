"""Exploitability facts read from CVSS vectors (FIRST CVSS v2, v3.1 §2.1 and v4.0 §2.1)."""

from __future__ import annotations

import pytest

from caresec.risk.vector import UNKNOWN, read_vector


@pytest.mark.parametrize(
    ("vector", "version", "av", "barrier_free"),
    [
        # CVE-2023-43208, CISA ADP (cisagov/vulnrichment): no barrier.
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", "N", True),
        # CVE-2022-2119 (DCMTK), CVE record: adjacent, high complexity.
        ("CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", "A", False),
        # CVE-2021-33885 (B. Braun), ICSMA-21-294-01: network, high complexity.
        ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", "3.0", "N", False),
        # CVE-2020-12039 (Baxter Sigma Spectrum), ICSMA-20-170-04: physical.
        ("CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", "3.0", "P", True),
        # v4.0 base vector: AT:N and UI:N, no privileges.
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", "N", True),
        ("CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", "L", False),
        # v2 base vector: Au:N, AC:L.
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "2", "N", True),
        ("AV:N/AC:M/Au:N/C:P/I:P/A:P", "2", "N", False),
    ],
)
def test_read_vector(vector: str, version: str, av: str, barrier_free: bool) -> None:
    facts = read_vector(vector)
    assert (facts.version, facts.attack_vector, facts.barrier_free) == (version, av, barrier_free)


def test_v3_exploitability_subscore() -> None:
    """CVSS v3.1 §7.1: exploitability = 8.22 × AV × AC × PR × UI = 8.22 × 0.85 × 0.77 × 0.85 ×
    0.85 ≈ 3.9 for AV:N/AC:L/PR:N/UI:N."""
    assert read_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").exploitability == 3.9
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert read_vector(v4).exploitability is None


@pytest.mark.parametrize("vector", ["", "   ", "CVSS:3.1/AV:Q", "not a vector", "CVSS:4.0/AV:N"])
def test_unreadable_vector_is_unknown(vector: str) -> None:
    assert read_vector(vector) == UNKNOWN
