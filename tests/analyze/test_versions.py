"""Version ordering against osv-scanner's golden files.

Source: google/osv-scanner ``internal/semantic/fixtures/*.txt`` (commit 5058d477, copied to
``shared/data/vuln/osv-scanner/semantic-fixtures``): each line is ``A < B``, ``A > B`` or
``A = B``; ``//`` and ``#`` lines are comments. Every ecosystem caresec claims to support is
checked against the file(s) of its version scheme: no pair may be ordered differently. A pair
may only be *rejected* (an :class:`UnparseableVersionError`) where the version is invalid in the
ecosystem's own grammar; those pairs are counted exactly below so that a new rejection fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from univers.versions import ComposerVersion

from caresec.analyze.versions import (
    ECOSYSTEM_SCHEMES,
    PURL_TYPE_ECOSYSTEMS,
    UnparseableVersionError,
    compare,
    is_supported,
    scheme_for,
)

FIXTURES = "vuln/osv-scanner/semantic-fixtures"

# scheme → golden files, and a prefix to put before both sides (Go module versions carry "v").
SCHEME_FIXTURES: dict[str, tuple[tuple[str, str], ...]] = {
    "pypi": (("pypi-versions.txt", ""), ("pypi-versions-generated.txt", "")),
    "semver": (("semver-versions.txt", ""),),
    "go": (("semver-versions.txt", "v"),),
    "maven": (("maven-versions.txt", ""), ("maven-versions-generated.txt", "")),
    "nuget": (("nuget-versions.txt", ""),),
    "rubygems": (("rubygems-versions.txt", ""),),
    "debian": (("debian-versions.txt", ""), ("debian-versions-generated.txt", "")),
    "alpine": (("alpine-versions.txt", ""),),
    "rpm": (("redhat-versions.txt", ""),),
    "cran": (("cran-versions.txt", ""),),
}

# Pairs rejected because one side is invalid in the ecosystem's own grammar (never misordered):
# RubyGems: "1beta", "1gamma" do not match Gem::Version's pattern (a letter needs a "." before it).
# RPM: "a:1"-style non-numeric epochs (13 pairs) and "1-" (empty release, 3 pairs).
# Alpine: versions univers' AlpineLinuxVersion rejects: leading zeros ("006"), "p1" without "_",
#   "-r" without a number, unknown suffixes ("_blah", "_cvs1"), and leading dots or letters.
EXPECTED_REJECTED: dict[str, int] = {
    "rubygems-versions.txt": 2,
    "redhat-versions.txt": 16,
    "alpine-versions.txt": 39,
}

OPS = {"<": -1, "=": 0, ">": 1}


def read_pairs(path: Path) -> list[tuple[int, str, int, str]]:
    """(line number, a, expected compare result, b) for each golden line of ``path``."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith(("//", "#")):
            continue
        a, op, b = line.split(" ")
        pairs.append((number, a, OPS[op], b))
    return pairs


@pytest.mark.realdata
@pytest.mark.parametrize("ecosystem", sorted(ECOSYSTEM_SCHEMES))
def test_every_supported_ecosystem_orders_the_golden_pairs(
    shared_data: Path, ecosystem: str
) -> None:
    scheme = ECOSYSTEM_SCHEMES[ecosystem]
    assert scheme in SCHEME_FIXTURES, f"{ecosystem} is claimed but has no golden file"
    for filename, prefix in SCHEME_FIXTURES[scheme]:
        wrong, rejected = [], []
        pairs = read_pairs(shared_data / FIXTURES / filename)
        assert pairs, filename
        for number, a, expected, b in pairs:
            try:
                got = compare(ecosystem, prefix + a, prefix + b)
            except UnparseableVersionError:
                rejected.append(number)
                continue
            if got != expected:
                wrong.append(f"{filename}:{number}: {a} vs {b}: expected {expected}, got {got}")
        assert wrong == [], f"{ecosystem}: {len(wrong)} pairs misordered"
        assert len(rejected) == EXPECTED_REJECTED.get(filename, 0), (ecosystem, filename, rejected)


def test_distro_ecosystems_with_release_suffix_use_the_base_scheme() -> None:
    # OSV schema 1.6 §affected[].package: "Debian:12", "Alpine:v3.18", "Ubuntu:22.04:LTS".
    assert compare("Debian:12", "1.2.3-1", "1.2.3-1+deb12u1") == -1
    assert compare("Alpine:v3.18", "3.1.4-r5", "3.1.4-r6") == -1
    assert compare("Ubuntu:22.04:LTS", "1:2.0-1", "2.0-1") == 1
    assert compare("Maven:https://maven.google.com", "1.0", "1.0.0") == 0


@pytest.mark.parametrize(
    ("ecosystem", "supported"),
    [
        ("PyPI", True),
        ("pypi", True),
        ("npm", True),
        ("golang", True),
        ("SEMVER", True),
        ("Debian:11", True),
        ("Packagist", False),
        ("composer", False),
        ("Hex", False),
        ("GitHub Actions", False),
        ("conan", False),
    ],
)
def test_is_supported(ecosystem: str, supported: bool) -> None:
    assert is_supported(ecosystem) is supported


def test_every_purl_type_maps_to_an_osv_ecosystem_name() -> None:
    for purl_type, ecosystem in PURL_TYPE_ECOSYSTEMS.items():
        assert scheme_for(purl_type) == ECOSYSTEM_SCHEMES.get(ecosystem)


@pytest.mark.parametrize(
    ("ecosystem", "version"),
    [("RubyGems", "1beta"), ("Red Hat", "a:1"), ("Red Hat", "1-"), ("CRAN", "1.0a"),
     ("PyPI", ""), ("Maven", " "), ("Packagist", "1.0.0")],
)
def test_invalid_versions_raise_a_specific_error(ecosystem: str, version: str) -> None:
    with pytest.raises(UnparseableVersionError) as caught:
        compare(ecosystem, version, "1")
    assert repr(version) in str(caught.value)


@pytest.mark.realdata
def test_packagist_stays_unsupported_while_univers_misorders_it(shared_data: Path) -> None:
    """Why Packagist is not supported: univers' ComposerVersion disagrees with Composer on
    29 golden pairs (e.g. ``1.0-dev < 1.0a1``). When this starts failing, re-evaluate."""
    wrong = 0
    for _number, a, expected, b in read_pairs(shared_data / FIXTURES / "packagist-versions.txt"):
        try:
            va, vb = ComposerVersion(a), ComposerVersion(b)
        except ValueError:
            continue
        if ((va > vb) - (va < vb)) != expected:
            wrong += 1
    assert wrong == 29
    assert not is_supported("Packagist")
