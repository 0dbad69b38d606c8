"""OSV advisory reading: real PyPA advisories, archives, and broken input named precisely.

Real data: shared_data/vuln/pypa-advisory-db (github.com/pypa/advisory-database at 3ccb6125,
CC-BY-4.0): ``pypa-vulns.tar.gz`` holds 2,661 advisories (PROVENANCE.md); the loose
``urllib3__PYSEC-2019-132.yaml`` is read field by field below.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from caresec.collect import osv
from caresec.collect.osv import iter_osv, parse_osv_document
from caresec.model import Advisory, InputProblem, ProblemSeverity

PYPA = "vuln/pypa-advisory-db"


def split(items: list[Advisory | InputProblem]) -> tuple[list[Advisory], list[InputProblem]]:
    advisories = [i for i in items if isinstance(i, Advisory)]
    problems = [i for i in items if isinstance(i, InputProblem)]
    return advisories, problems


@pytest.mark.realdata
def test_every_pypa_advisory_imports_without_problems(shared_data: Path) -> None:
    items = list(iter_osv(shared_data / PYPA / "pypa-vulns.tar.gz", display="pypa-vulns.tar.gz"))
    advisories, problems = split(items)
    assert problems == []
    # PROVENANCE.md: "2,661 OSV-YAML advisories"; the archive has 664 package folders under
    # vulns/ (`tar tzf` lists 664 of them; PROVENANCE.md's "665 packages" is one more).
    assert len(advisories) == 2661
    assert len({a.affected[0].name for a in advisories if a.affected}) == 664
    assert advisories[0].source.startswith("pypa-vulns.tar.gz!vulns/")


@pytest.mark.realdata
def test_loose_pypa_yaml_fields(shared_data: Path) -> None:
    path = shared_data / PYPA / "urllib3__PYSEC-2019-132.yaml"
    (advisory,) = list(iter_osv(path, display="urllib3__PYSEC-2019-132.yaml"))
    assert isinstance(advisory, Advisory)
    assert advisory.advisory_id == "PYSEC-2019-132"
    assert advisory.aliases == ("CVE-2019-11236", "GHSA-r64q-w8jr-g9qp")
    assert advisory.cve_ids == ("CVE-2019-11236",)
    assert advisory.published == date(2019, 4, 15)
    assert advisory.summary.startswith("In the urllib3 library through 1.24.1 for Python, CRLF")
    (package,) = advisory.affected
    assert (package.ecosystem, package.name) == ("PyPI", "urllib3")
    assert package.purl == "pkg:pypi/urllib3"
    (affected_range,) = package.ranges
    assert affected_range.type == "ECOSYSTEM"
    assert [(e.kind, e.version) for e in affected_range.events] == [
        ("introduced", "0"), ("fixed", "1.24.3")]
    assert package.versions[0] == "0.2" and package.versions[-1] == "1.24.2"
    assert len(package.versions) == 49
    assert "https://github.com/advisories/GHSA-r64q-w8jr-g9qp" in advisory.references
    assert advisory.severity == ()
    assert not advisory.withdrawn


@pytest.mark.realdata
def test_withdrawn_and_severity_from_the_pypa_archive(shared_data: Path) -> None:
    advisories, _ = split(list(iter_osv(shared_data / PYPA / "pypa-vulns.tar.gz")))
    by_id = {a.advisory_id: a for a in advisories}
    # vulns/redis/PYSEC-2023-73.yaml: "withdrawn: '2023-06-06T10:37:00Z'"
    assert by_id["PYSEC-2023-73"].withdrawn
    # vulns/urllib3/PYSEC-2023-192.yaml: one CVSS_V3 vector; GIT range kept beside ECOSYSTEM
    urllib3 = by_id["PYSEC-2023-192"]
    assert [(s.type, s.vector) for s in urllib3.severity] == [
        ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N")]
    assert [r.type for r in urllib3.affected[0].ranges] == ["GIT", "ECOSYSTEM"]


@pytest.mark.parametrize(
    ("fixture", "place", "message"),
    [
        ("osv.broken-range.json", "/affected/0/ranges/1/events/2", "unknown event key 'fixd'"),
        ("osv.no-events.json", "/affected/0/ranges/0/events", "the range has no events"),
        ("osv.bad-version.json", "/affected/0/ranges/0/events/1/fixed",
         "malformed version: version 'two'"),
        ("osv.missing-id.json", "/id", "missing or empty 'id'"),
        ("osv.malformed.json", "line 5, column 1", "not valid JSON"),
        ("osv.malformed.yaml", "line 4, column 11", "not valid YAML"),
        ("osv.latin1.json", "byte 45", "not valid UTF-8 (byte 0xe9"),
    ],
)
def test_broken_advisories_become_named_problems(
    fixtures: Path, fixture: str, place: str, message: str
) -> None:
    (problem,) = list(iter_osv(fixtures / "osv" / fixture, display=f"osv/{fixture}"))
    assert isinstance(problem, InputProblem)
    assert problem.file == f"osv/{fixture}"
    assert problem.place == place
    assert message in problem.message
    assert problem.severity is ProblemSeverity.ERROR
    assert problem.collector == "osv"


def test_a_folder_reads_the_rest_beside_broken_files(fixtures: Path) -> None:
    advisories, problems = split(list(iter_osv(fixtures / "osv", display="osv")))
    assert sorted(a.advisory_id for a in advisories) == [
        "CARESEC-TEST-VALID", "GHSA-jfh8-c2jp-5v3q"]
    assert len(problems) == 7
    assert {p.file for p in problems} >= {"osv/osv.broken-range.json", "osv/osv.latin1.json"}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_members_are_read_in_memory_and_named_in_problems(
    fixtures: Path, tmp_path: Path
) -> None:
    source = fixtures / "osv"
    archive = tmp_path / "PyPI.zip"
    archive.write_bytes(_zip({
        "GHSA-jfh8-c2jp-5v3q.json": (source / "osv.log4shell.json").read_bytes(),
        "BROKEN.json": (source / "osv.broken-range.json").read_bytes(),
        "README.txt": b"not an advisory",
    }))
    advisories, problems = split(list(iter_osv(archive, display="feeds/osv/PyPI.zip")))
    assert [a.advisory_id for a in advisories] == ["GHSA-jfh8-c2jp-5v3q"]
    assert advisories[0].source == "feeds/osv/PyPI.zip!GHSA-jfh8-c2jp-5v3q.json"
    (problem,) = problems
    assert problem.file == "feeds/osv/PyPI.zip!BROKEN.json"
    assert problem.place == "/affected/0/ranges/1/events/2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["PyPI.zip"]  # nothing extracted


def test_oversized_members_are_skipped(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(osv, "MAX_ADVISORY_BYTES", 300)
    archive = tmp_path / "npm.zip"
    archive.write_bytes(_zip({
        "big.json": (fixtures / "osv" / "osv.log4shell.json").read_bytes(),  # 1 kB
        "small.yaml": (fixtures / "osv" / "osv.valid.yaml").read_bytes(),  # 242 B
    }))
    advisories, problems = split(list(iter_osv(archive, display="npm.zip")))
    assert [a.advisory_id for a in advisories] == ["CARESEC-TEST-VALID"]
    assert problems[0].file == "npm.zip!big.json"
    assert "over the 300-byte limit" in problems[0].message


def test_a_corrupt_archive_is_one_problem(tmp_path: Path) -> None:
    archive = tmp_path / "Go.zip"
    archive.write_bytes(b"PK\x03\x04 this is not really a zip file")
    (problem,) = list(iter_osv(archive, display="Go.zip"))
    assert isinstance(problem, InputProblem)
    assert problem.file == "Go.zip"
    assert "not a readable archive" in problem.message


@pytest.mark.parametrize(
    ("document", "summary"),
    [
        ({"id": "X-1", "details": "First line.\nSecond line."}, "First line."),
        ({"id": "X-2", "summary": "Short", "details": "Long"}, "Short"),
        ({"id": "X-3", "summary": "a " * 150}, ("a " * 100)[:199].rstrip() + "…"),
        ({"id": "X-4"}, ""),
    ],
)
def test_summary_is_the_summary_or_first_line_of_details(
    document: dict[str, str], summary: str
) -> None:
    import json

    advisory = parse_osv_document(json.dumps(document).encode(), name="x.json", display="x")
    assert isinstance(advisory, Advisory)
    assert advisory.summary == summary


def test_upstream_ids_are_merged_into_aliases() -> None:
    data = (b'{"id": "DSA-1-1", "aliases": ["DEBIAN-CVE-2024-1"], '
            b'"upstream": ["CVE-2024-1", "DSA-1-1"]}')
    advisory = parse_osv_document(data, name="d.json", display="d.json")
    assert isinstance(advisory, Advisory)
    assert advisory.aliases == ("DEBIAN-CVE-2024-1", "CVE-2024-1")
