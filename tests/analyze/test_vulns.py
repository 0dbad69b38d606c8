"""The matcher, checked against real advisories read by hand.

Real data: shared_data/vuln/pypa-advisory-db (pypa/advisory-database at 3ccb6125): the loose
``urllib3__PYSEC-*.yaml`` / ``pillow__PYSEC-*.yaml`` files and ``pypa-vulns.tar.gz``; the CISA
KEV catalog 2025.08.25 (shared_data/vuln/kev). Expected ranges, aliases and fixed versions are
those written in the files named in each case. Range semantics: OSV schema 1.6 §Evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from caresec.analyze.versions import normalize_name, osv_ecosystem
from caresec.analyze.vulns import cvss_base_score, match_components, rating
from caresec.collect.kev import read_kev
from caresec.collect.osv import iter_osv
from caresec.model import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    Component,
    EpssScore,
    NotAssessed,
    RangeEvent,
    Severity,
    SeverityVector,
    VulnerabilityMatch,
)

PYPA = "vuln/pypa-advisory-db"


class FakeSource:
    """An in-memory AdvisorySource."""

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        self.index: dict[tuple[str, str], list[Advisory]] = {}
        for advisory in advisories:
            for key in {(osv_ecosystem(p.ecosystem), normalize_name(p.ecosystem, p.name))
                        for p in advisory.affected}:
                self.index.setdefault(key, []).append(advisory)

    def advisories_for(self, ecosystem: str, name: str) -> Sequence[Advisory]:
        return self.index.get((osv_ecosystem(ecosystem), normalize_name(ecosystem, name)), [])


def read(path: Path) -> list[Advisory]:
    return [item for item in iter_osv(path) if isinstance(item, Advisory)]


@cache
def pypa_archive(root: Path) -> tuple[Advisory, ...]:
    return tuple(read(root / PYPA / "pypa-vulns.tar.gz"))


def component(purl: str, version: str = "", cpe: str = "", ref: str = "c1") -> Component:
    return Component(bom_ref=ref, name=purl.split("/")[-1].split("@")[0] if purl else "x",
                     version=version, purl=purl, cpe=cpe, sbom_id="test.cdx.json")


def match_one(
    advisories: Iterable[Advisory], purl: str, **kwargs: str
) -> tuple[list[VulnerabilityMatch], list[NotAssessed]]:
    return match_components([component(purl, **kwargs)], FakeSource(advisories), {}, {})


# --- hand-checked PyPA cases -------------------------------------------------------------------

HAND_CHECKED = [
    # file, purl, vulnerability id (None: no match), aliases, fixed versions
    ("urllib3__PYSEC-2019-132.yaml", "pkg:pypi/urllib3@1.24.1", "CVE-2019-11236",
     ("GHSA-r64q-w8jr-g9qp", "PYSEC-2019-132"), ("1.24.3",)),
    ("urllib3__PYSEC-2019-132.yaml", "pkg:pypi/urllib3@1.24.3", None, (), ()),
    ("urllib3__PYSEC-2018-32.yaml", "pkg:pypi/urllib3@1.22", "CVE-2018-20060",
     ("GHSA-www2-v7xj-xrc6", "PYSEC-2018-32"), ("1.23",)),
    ("urllib3__PYSEC-2018-32.yaml", "pkg:pypi/urllib3@1.23", None, (), ()),
    ("urllib3__PYSEC-2017-98.yaml", "pkg:pypi/urllib3@1.16", None, (), ()),
    ("urllib3__PYSEC-2017-98.yaml", "pkg:pypi/urllib3@1.17", "CVE-2016-9015",
     ("PYSEC-2017-98",), ("1.18.1",)),
    ("urllib3__PYSEC-2017-98.yaml", "pkg:pypi/urllib3@1.18", "CVE-2016-9015",
     ("PYSEC-2017-98",), ("1.18.1",)),
    ("urllib3__PYSEC-2017-98.yaml", "pkg:pypi/urllib3@1.18.1", None, (), ()),
    ("urllib3__PYSEC-2019-133.yaml", "pkg:pypi/urllib3@1.24", "CVE-2019-11324",
     ("GHSA-mh33-7rrq-662w", "PYSEC-2019-133"), ("1.24.2",)),
    ("urllib3__PYSEC-2019-133.yaml", "pkg:pypi/urllib3@1.24.2", None, (), ()),
    # two intervals: [0, 2.3.2) and [2.5, 2.5.2); the name is spelled "Pillow" in the purl
    ("pillow__PYSEC-2014-10.yaml", "pkg:pypi/Pillow@2.3.1", "CVE-2014-3589",
     ("PYSEC-2014-10",), ("2.3.2", "2.5.2")),
    ("pillow__PYSEC-2014-10.yaml", "pkg:pypi/Pillow@2.4.0", None, (), ()),
    ("pillow__PYSEC-2014-10.yaml", "pkg:pypi/pillow@2.5.1", "CVE-2014-3589",
     ("PYSEC-2014-10",), ("2.5.2",)),
    ("pillow__PYSEC-2014-10.yaml", "pkg:pypi/pillow@2.5.2", None, (), ()),
    ("pillow__PYSEC-2014-23.yaml", "pkg:pypi/pillow@2.3.0", "CVE-2014-1933",
     ("GHSA-r854-96gq-rfg3", "PYSEC-2014-23"), ("2.3.1",)),
    ("pillow__PYSEC-2014-23.yaml", "pkg:pypi/pillow@2.3.1", None, (), ()),
    ("pillow__PYSEC-2014-22.yaml", "pkg:pypi/pillow@1.7.8", "CVE-2014-1932",
     ("PYSEC-2014-22",), ("2.3.1",)),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("filename", "purl", "vuln_id", "aliases", "fixed"), HAND_CHECKED)
def test_hand_checked_pypa_advisories(
    shared_data: Path, filename: str, purl: str, vuln_id: str | None,
    aliases: tuple[str, ...], fixed: tuple[str, ...],
) -> None:
    matches, not_assessed = match_one(read(shared_data / PYPA / filename), purl)
    assert not_assessed == []
    if vuln_id is None:
        assert matches == []
        return
    (match,) = matches
    assert match.vulnerability_id == vuln_id
    assert match.aliases == aliases
    assert match.fixed_versions == fixed
    assert match.advisory_ids == (filename.split("__")[1].removesuffix(".yaml"),)
    assert match.severity is Severity.UNKNOWN  # these files carry no CVSS vector
    assert match.component.purl == purl


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("version", "matched", "fixed"),
    [("2.0.5", True, ("2.0.6",)), ("1.26.16", True, ("1.26.17", "2.0.6")),
     ("1.26.17", False, ()), ("2.0.6", False, ())],
)
def test_unsorted_events_and_cvss_from_the_archive(
    shared_data: Path, version: str, matched: bool, fixed: tuple[str, ...]
) -> None:
    # vulns/urllib3/PYSEC-2023-192.yaml lists "introduced 2.0.0, fixed 2.0.6, introduced 0,
    # fixed 1.26.17" in that order, and CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N (8.1).
    (advisory,) = [a for a in pypa_archive(shared_data) if a.advisory_id == "PYSEC-2023-192"]
    matches, _ = match_one([advisory], f"pkg:pypi/urllib3@{version}")
    assert bool(matches) is matched
    if matched:
        assert matches[0].vulnerability_id == "CVE-2023-43804"
        assert matches[0].fixed_versions == fixed
        assert (matches[0].cvss_score, matches[0].severity) == (8.1, Severity.HIGH)
        assert matches[0].cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"


@pytest.mark.realdata
def test_withdrawn_advisories_are_skipped(shared_data: Path) -> None:
    # vulns/redis/PYSEC-2023-73.yaml: introduced "0" (every version) but withdrawn 2023-06-06.
    (advisory,) = [a for a in pypa_archive(shared_data) if a.advisory_id == "PYSEC-2023-73"]
    assert advisory.withdrawn
    assert match_one([advisory], "pkg:pypi/redis@0.6.0") == ([], [])


@pytest.mark.realdata
@pytest.mark.parametrize(("version", "matched"), [("1.11.0", True), ("1.11.1", False)])
def test_last_affected_is_inclusive(shared_data: Path, version: str, matched: bool) -> None:
    # vulns/py/PYSEC-2022-42969.yaml: introduced "0", last_affected "1.11.0".
    (advisory,) = [a for a in pypa_archive(shared_data) if a.advisory_id == "PYSEC-2022-42969"]
    matches, _ = match_one([advisory], f"pkg:pypi/py@{version}")
    assert bool(matches) is matched
    if matched:
        assert "is in [0, 1.11.0] (ECOSYSTEM range of PYSEC-2022-42969)" in matches[0].basis


@pytest.mark.realdata
def test_whole_archive_urllib3_1_24_1(shared_data: Path) -> None:
    # Loose file and archive both carry PYSEC-2019-132: one vulnerability, one advisory id.
    loose = read(shared_data / PYPA / "urllib3__PYSEC-2019-132.yaml")
    matches, not_assessed = match_one([*loose, *pypa_archive(shared_data)],
                                      "pkg:pypi/urllib3@1.24.1")
    assert not_assessed == []
    by_id = {m.vulnerability_id: m for m in matches}
    assert len(by_id) == len(matches)
    assert by_id["CVE-2019-11236"].advisory_ids == ("PYSEC-2019-132",)
    # urllib3 advisories in the archive whose ECOSYSTEM ranges hold 1.24.1 (read from the files)
    assert {"CVE-2019-11236", "CVE-2019-11324", "CVE-2020-26137", "CVE-2021-33503",
            "CVE-2023-43804", "CVE-2023-45803", "CVE-2018-25091"} == set(by_id)


# --- alias merging, KEV, EPSS, CVSS ------------------------------------------------------------


def advisory(
    advisory_id: str, aliases: tuple[str, ...], ecosystem: str, name: str,
    events: tuple[tuple[str, str], ...], range_type: str = "ECOSYSTEM",
    severity: tuple[SeverityVector, ...] = (), versions: tuple[str, ...] = (),
) -> Advisory:
    return Advisory(
        advisory_id=advisory_id, aliases=aliases, summary=f"summary of {advisory_id}",
        affected=(AffectedPackage(
            ecosystem=ecosystem, name=name, versions=versions,
            ranges=(AffectedRange(range_type, tuple(RangeEvent(k, v) for k, v in events)),)
            if events else ()),),
        severity=severity,
    )


@pytest.mark.realdata
def test_github_and_pypa_records_of_one_cve_merge(shared_data: Path) -> None:
    # GitHub's record of the same flaw (facts: GHSA-r64q-w8jr-g9qp aliases CVE-2019-11236).
    ghsa = advisory("GHSA-r64q-w8jr-g9qp", ("CVE-2019-11236",), "PyPI", "urllib3",
                    (("introduced", "0"), ("fixed", "1.24.3")))
    pysec = read(shared_data / PYPA / "urllib3__PYSEC-2019-132.yaml")
    (match,), _ = match_one([ghsa, *pysec], "pkg:pypi/urllib3@1.24.1")
    assert match.vulnerability_id == "CVE-2019-11236"
    assert match.advisory_ids == ("GHSA-r64q-w8jr-g9qp", "PYSEC-2019-132")
    assert match.aliases == ("GHSA-r64q-w8jr-g9qp", "PYSEC-2019-132")
    assert match.basis.count("is in [0, 1.24.3)") == 2


def test_chains_of_aliases_merge_and_the_lowest_id_names_a_cve_less_group() -> None:
    a = advisory("PYSEC-1", ("GHSA-aaaa",), "PyPI", "demo", (("introduced", "0"),))
    b = advisory("OSV-2", ("GHSA-aaaa",), "PyPI", "demo", (("introduced", "0"),))
    c = advisory("PYSEC-9", (), "PyPI", "demo", (("introduced", "0"),))
    matches, _ = match_one([a, b, c], "pkg:pypi/demo@1.0")
    assert [(m.vulnerability_id, m.aliases) for m in matches] == [
        ("GHSA-aaaa", ("OSV-2", "PYSEC-1")), ("PYSEC-9", ())]


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("version", "matched"),
    [("2.14.1", True), ("2.15.0", False), ("2.12.2", False), ("2.12.1", True), ("2.3", True),
     ("2.3.1", False), ("2.0-beta9", True), ("2.0-beta8", False)],
)
def test_log4shell_with_kev_enrichment(
    shared_data: Path, fixtures: Path, version: str, matched: bool
) -> None:
    # fixtures/osv/osv.log4shell.json: GHSA-jfh8-c2jp-5v3q ranges [2.13.0, 2.15.0),
    # [2.4, 2.12.2), [2.0-beta9, 2.3.1) and NVD's vector for CVE-2021-44228 (10.0 critical).
    kev, _ = read_kev(shared_data / "vuln/kev/known_exploited_vulnerabilities.json")
    matches, _ = match_components(
        [component(f"pkg:maven/org.apache.logging.log4j/log4j-core@{version}")],
        FakeSource(read(fixtures / "osv" / "osv.log4shell.json")), kev, {},
    )
    assert bool(matches) is matched
    if matched:
        (match,) = matches
        assert (match.vulnerability_id, match.aliases) == ("CVE-2021-44228",
                                                           ("GHSA-jfh8-c2jp-5v3q",))
        assert (match.cvss_score, match.severity) == (10.0, Severity.CRITICAL)
        assert match.kev is not None
        assert match.kev.date_added == date(2021, 12, 10)  # dateAdded in the KEV file
        assert match.kev.ransomware


def test_epss_is_the_highest_among_the_cve_ids() -> None:
    adv = advisory("GHSA-x", ("CVE-2024-1111", "CVE-2024-2222"), "npm", "demo",
                   (("introduced", "0"),), range_type="SEMVER")
    epss = {"CVE-2024-1111": EpssScore("CVE-2024-1111", 0.2, 0.9),
            "CVE-2024-2222": EpssScore("CVE-2024-2222", 0.7, 0.99)}
    (match,), _ = match_components([component("pkg:npm/demo@1.0.0")], FakeSource([adv]), {}, epss)
    assert match.vulnerability_id == "CVE-2024-1111"
    assert match.epss == epss["CVE-2024-2222"]
    assert match.kev is None


def test_highest_cvss_of_v3_and_v4_wins() -> None:
    vectors = (
        SeverityVector("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"),  # 8.1
        SeverityVector(
            "CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
        ),  # 9.3, FIRST CVSS v4.0 calculator
    )
    adv = advisory("GHSA-y", (), "PyPI", "demo", (("introduced", "0"),), severity=vectors)
    (match,), _ = match_one([adv], "pkg:pypi/demo@1")
    assert (match.cvss_score, match.severity) == (9.3, Severity.CRITICAL)
    assert match.cvss_vector.startswith("CVSS:4.0/")


@pytest.mark.parametrize(
    ("score", "severity"),
    [(10.0, Severity.CRITICAL), (9.0, Severity.CRITICAL), (8.9, Severity.HIGH),
     (7.0, Severity.HIGH), (6.9, Severity.MEDIUM), (4.0, Severity.MEDIUM), (3.9, Severity.LOW),
     (0.1, Severity.LOW), (0.0, Severity.NONE), (None, Severity.UNKNOWN)],
)
def test_first_qualitative_rating(score: float | None, severity: Severity) -> None:
    # FIRST CVSS v3.1 specification §5, Table 14 (same bands in v4.0).
    assert rating(score) is severity


def test_malformed_vectors_give_no_score() -> None:
    assert cvss_base_score("CVSS_V3", "CVSS:3.1/AV:X") is None
    assert cvss_base_score("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P") is None


# --- ranges, ecosystems, distributions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "version", "matched"),
    [
        ((("introduced", "1.0.0"), ("limit", "1.5.0")), "1.4.9", True),
        ((("introduced", "1.0.0"), ("limit", "1.5.0")), "1.5.0", False),
        ((("introduced", "0"), ("limit", "*")), "9.9.9", True),
        ((("introduced", "1.0.0"), ("fixed", "1.0.2"), ("introduced", "3.0.0"),
          ("fixed", "3.2.5")), "2.0.0", False),
        ((("introduced", "1.0.0"), ("fixed", "1.0.2"), ("introduced", "3.0.0"),
          ("fixed", "3.2.5")), "3.2.4", True),
        ((("introduced", "1.0.0-rc.1"), ("fixed", "1.0.0")), "1.0.0-beta", False),
        ((("introduced", "1.0.0-rc.1"), ("fixed", "1.0.0")), "1.0.0-rc.2", True),
    ],
)
def test_semver_range_examples(
    events: tuple[tuple[str, str], ...], version: str, matched: bool
) -> None:
    # Examples after OSV schema 1.6 §Examples; SemVer 2.0.0 §11 pre-release precedence.
    adv = advisory("GHSA-s", (), "npm", "@scope/pkg", events, range_type="SEMVER")
    matches, _ = match_one([adv], f"pkg:npm/%40scope/pkg@{version}")
    assert bool(matches) is matched


def test_go_module_versions_with_v_prefix_match_semver_ranges() -> None:
    adv = advisory("GO-2020-0001", ("CVE-2020-28483",), "Go", "github.com/gin-gonic/gin",
                   (("introduced", "0"), ("fixed", "1.7.7")), range_type="SEMVER")
    matches, _ = match_one([adv], "pkg:golang/github.com/gin-gonic/gin@v1.6.3")
    assert [m.vulnerability_id for m in matches] == ["CVE-2020-28483"]
    assert match_one([adv], "pkg:golang/github.com/gin-gonic/gin@v1.7.7")[0] == []


def test_versions_list_alone_matches_by_ecosystem_equality() -> None:
    adv = advisory("PYSEC-x", (), "PyPI", "demo", (), versions=("1.0", "1.1"))
    assert len(match_one([adv], "pkg:pypi/demo@1.0.0")[0]) == 1  # PEP 440: 1.0.0 == 1.0
    assert match_one([adv], "pkg:pypi/demo@1.2")[0] == []


def test_version_comes_from_the_component_when_the_purl_has_none() -> None:
    adv = advisory("PYSEC-v", (), "PyPI", "demo", (("introduced", "0"), ("fixed", "2")))
    assert len(match_one([adv], "pkg:pypi/demo", version="1.5")[0]) == 1


@pytest.mark.parametrize(
    ("purl", "fixed"),
    [
        ("pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12",
         ("3.0.11-1~deb12u2",)),
        ("pkg:deb/debian/libssl3@3.0.11-1~deb12u1?upstream=openssl&distro=bookworm",
         ("3.0.11-1~deb12u2",)),
        ("pkg:deb/debian/openssl@1.1.1n-0+deb11u4?distro=debian-11.7", ("1.1.1n-0+deb11u5",)),
    ],
)
def test_debian_release_chooses_the_affected_entry(purl: str, fixed: tuple[str, ...]) -> None:
    adv = Advisory(
        advisory_id="DSA-TEST", aliases=("CVE-2023-0000",), summary="",
        affected=(
            AffectedPackage("Debian:11", "openssl", ranges=(AffectedRange("ECOSYSTEM", (
                RangeEvent("introduced", "0"), RangeEvent("fixed", "1.1.1n-0+deb11u5"))),)),
            AffectedPackage("Debian:12", "openssl", ranges=(AffectedRange("ECOSYSTEM", (
                RangeEvent("introduced", "0"), RangeEvent("fixed", "3.0.11-1~deb12u2"))),)),
        ),
    )
    (match,), _ = match_one([adv], purl)
    assert match.fixed_versions == fixed


def test_alpine_release_from_the_distro_qualifier() -> None:
    adv = Advisory(
        advisory_id="ALPINE-TEST", aliases=(), summary="",
        affected=(AffectedPackage("Alpine:v3.18", "openssl", ranges=(AffectedRange(
            "ECOSYSTEM", (RangeEvent("introduced", "0"), RangeEvent("fixed", "3.1.4-r1"))),)),),
    )
    assert len(match_one([adv], "pkg:apk/alpine/openssl@3.1.4-r0?distro=alpine-3.18.4")[0]) == 1
    assert match_one([adv], "pkg:apk/alpine/openssl@3.1.4-r0?distro=alpine-3.19.0")[0] == []


@pytest.mark.parametrize(
    ("purl", "version", "cpe", "reason"),
    [
        ("", "1.0", "", "no purl or CPE"),
        ("", "1.0", "cpe:2.3:a:offis:dcmtk:3.6.6:*:*:*:*:*:*:*",
         "no purl; CPE matching not available"),
        ("pkg:pypi/demo", "", "", "no version"),
        ("pkg:composer/laravel/framework@7.12.0", "", "", "Packagist (purl type 'composer')"),
        ("pkg:conan/openssl@3.0.0", "", "", "purl type 'conan' (ConanCenter) is not supported"),
        ("pkg:gem/rails@1beta", "", "", "version '1beta' is not a valid RubyGems version"),
        ("pkg:generic/lwip@2.1.2", "", "", "purl type 'generic' is not supported"),
        ("pkg:rpm/redhat/openssl@1.1.1k-7.el8", "", "", "rpm purls are not matched"),
        ("pkg:deb/debian/openssl@3.0.11-1", "", "", "no usable distro qualifier"),
        ("pkg:deb/raspbian/openssl@3.0.11-1?distro=raspbian-12", "", "",
         "deb namespace 'raspbian' is not supported"),
        ("pkg:/broken", "", "", "is not a valid package URL"),
    ],
)
def test_not_assessed_reasons(purl: str, version: str, cpe: str, reason: str) -> None:
    matches, (row,) = match_components([component(purl, version=version, cpe=cpe)],
                                       FakeSource([]), {}, {})
    assert matches == []
    assert reason in row.reason


def test_git_only_advisories_leave_the_component_not_assessed() -> None:
    adv = advisory("OSV-GIT", (), "PyPI", "demo",
                   (("introduced", "0"), ("fixed", "9" * 40)), range_type="GIT")
    matches, (row,) = match_one([adv], "pkg:pypi/demo@1.0")
    assert matches == []
    assert "OSV-GIT give only GIT commit ranges for demo" in row.reason


def test_an_unparseable_advisory_version_is_reported_not_guessed() -> None:
    adv = advisory("GHSA-bad", (), "RubyGems", "demo", (("introduced", "0"), ("fixed", "2beta")))
    ok = advisory("GHSA-ok", (), "RubyGems", "demo", (("introduced", "0"), ("fixed", "3.0")))
    matches, (row,) = match_one([adv, ok], "pkg:gem/demo@1.0")
    assert [m.vulnerability_id for m in matches] == ["GHSA-ok"]
    assert "GHSA-bad (/affected/0: ranges/0:" in row.reason
    assert "'2beta'" in row.reason


def test_a_bad_range_does_not_hide_a_good_one_of_the_same_advisory() -> None:
    adv = Advisory(
        advisory_id="GHSA-two", aliases=(), summary="",
        affected=(AffectedPackage("RubyGems", "demo", ranges=(
            AffectedRange("ECOSYSTEM", (RangeEvent("introduced", "0"),
                                        RangeEvent("fixed", "2beta"))),
            AffectedRange("ECOSYSTEM", (RangeEvent("introduced", "0"),
                                        RangeEvent("fixed", "3.0"))),
        )),),
    )
    matches, not_assessed = match_one([adv], "pkg:gem/demo@1.0")
    assert [m.fixed_versions for m in matches] == [("3.0",)]
    assert not_assessed == []


def test_a_component_of_an_ecosystem_the_feeds_do_not_cover_is_not_assessed() -> None:
    # Regression: a Maven SBOM matched against a PyPI-only feed was reported with
    # "0 vulnerabilities" and no not-assessed entry, i.e. as clean.
    adv = advisory("PYSEC-c", (), "PyPI", "demo", (("introduced", "0"), ("fixed", "2")))
    components = [
        component("pkg:pypi/demo@1.0", ref="py"),
        component("pkg:maven/org.example/lib@1.0", ref="mvn"),
    ]
    matches, not_assessed = match_components(
        components, FakeSource([adv]), {}, {}, covered=frozenset({"PyPI"})
    )
    assert [m.component.bom_ref for m in matches] == ["py"]
    assert [(n.component.bom_ref, n.reason) for n in not_assessed] == [
        ("mvn", "the feeds hold no Maven advisories, so this component was not checked")
    ]
    # Without the coverage set the caller vouches for the source: no not-assessed entry.
    assert match_components(components[1:], FakeSource([adv]), {}, {})[1] == []
