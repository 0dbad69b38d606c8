"""``caresec sbom match`` on real SBOMs with the real PyPA feed.

Real data: shared_data/vuln/pypa-advisory-db/pypa-vulns.tar.gz (PyPA advisory database at
3ccb6125), the CISA KEV catalog 2025.08.25, and the CycloneDX bom-examples SBOMs (none has
pypi components, so the PyPI case uses ``fixtures/feeds/cyclonedx.pypi-components.json``,
real package versions). Expected ids were read in the advisory files under vulns/urllib3/ and
vulns/requests/ of the archive.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caresec.cli.sbom import app
from caresec.errors import InputError

SBOM_EXAMPLES = "vuln/cyclonedx-examples/SBOM"

# pypa-vulns.tar.gz, vulns/urllib3/*.yaml whose ECOSYSTEM ranges contain 1.24.1:
URLLIB3_1_24_1 = {
    "CVE-2019-11236": "PYSEC-2019-132", "CVE-2019-11324": "PYSEC-2019-133",
    "CVE-2020-26137": "PYSEC-2020-148", "CVE-2021-33503": "PYSEC-2021-108",
    "CVE-2023-43804": "PYSEC-2023-192", "CVE-2023-45803": "PYSEC-2023-212",
    "CVE-2018-25091": "PYSEC-2023-207",
}
# vulns/requests/PYSEC-2018-28.yaml [0, 2.20.0) and PYSEC-2023-74.yaml [2.3.0, 2.31.0)
REQUESTS_2_19_1 = {"CVE-2018-18074": "PYSEC-2018-28", "CVE-2023-32681": "PYSEC-2023-74"}


@pytest.fixture
def feeds(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    (folder / "osv").mkdir(parents=True)
    shutil.copy(shared_data / "vuln/pypa-advisory-db/pypa-vulns.tar.gz", folder / "osv")
    shutil.copy(shared_data / "vuln/kev/known_exploited_vulnerabilities.json",
                folder / "kev.json")
    return folder


def run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["match", *args, "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.output)
    return document


@pytest.mark.realdata
def test_pypi_sbom_matches_the_pysec_advisories(
    feeds: Path, fixtures: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.sqlite"
    sbom = fixtures / "feeds" / "cyclonedx.pypi-components.json"
    document = run(str(sbom), "--feeds", str(feeds), "--cache", str(cache))
    matches = document["matches"]
    assert isinstance(matches, list)
    found: dict[str, dict[str, str]] = {}
    for match in matches:
        purl = match["component"]["purl"]
        vuln = match["vulnerability"]
        found.setdefault(purl, {})[vuln["id"]] = vuln["advisory_ids"][0]
        assert match["component"]["bom_ref"] == purl
        assert vuln["advisory_ids"][0] in vuln["aliases"]
        assert match["kev"] is None and match["epss"] is None
    assert found == {
        "pkg:pypi/urllib3@1.24.1": URLLIB3_1_24_1,
        "pkg:pypi/requests@2.19.1": REQUESTS_2_19_1,
    }
    by_id = {m["vulnerability"]["id"]: m for m in matches}
    assert by_id["CVE-2019-11236"]["vulnerability"]["aliases"] == [
        "GHSA-r64q-w8jr-g9qp", "PYSEC-2019-132"]
    assert by_id["CVE-2019-11236"]["fixed_versions"] == ["1.24.3"]
    assert (by_id["CVE-2023-43804"]["severity"], by_id["CVE-2023-43804"]["cvss_score"]) == (
        "high", 8.1)
    assert [(n["component"]["bom_ref"], n["reason"]) for n in document["not_assessed"]] == [
        ("dcmtk", "no purl; CPE matching not available"),
        ("pkg:composer/laravel/framework@7.12.0",
         "Packagist (purl type 'composer') is not supported: its version ordering could not "
         "be verified"),
    ]
    assert [f["name"] for f in document["feeds"]] == ["kev.json", "osv/pypa-vulns.tar.gz"]
    assert cache.is_file()
    # A second run reuses the cache and gives the same answer.
    assert run(str(sbom), "--feeds", str(feeds), "--cache", str(cache))["matches"] == matches


@pytest.mark.realdata
def test_cyclonedx_examples_run_with_the_pypa_feed(feeds: Path, shared_data: Path,
                                                   tmp_path: Path) -> None:
    cache = str(tmp_path / "cache.sqlite")
    expected = {
        # name: (components, matches, not assessed) — no example has pypi components and the
        # PyPA feed holds only PyPI advisories, so nothing matches and every component is
        # "not assessed" (Packagist is unsupported; Maven, Go and npm are not in the feed),
        # never reported clean.
        "laravel-7.12.0/bom.1.4.json": (62, 0, 62),
        "dropwizard-1.3.15/bom.json": (167, 0, 167),
        "dropwizard-1.3.15/bom.xml": (167, 0, 167),
        "proton-bridge/proton-bridge-v1.8.0.bom.json": (201, 0, 201),
        "juice-shop/v11.1.2/bom.json": (840, 0, 840),
    }
    for name, (components, matches, not_assessed) in expected.items():
        document = run(str(shared_data / SBOM_EXAMPLES / name), "--feeds", str(feeds),
                       "--cache", cache)
        assert document["sbom"]["components"] == components, name
        assert len(document["matches"]) == matches, name
        assert len(document["not_assessed"]) == not_assessed, name


@pytest.mark.realdata
def test_table_output(feeds: Path, fixtures: Path) -> None:
    sbom = fixtures / "feeds" / "cyclonedx.pypi-components.json"
    result = CliRunner().invoke(app, ["match", str(sbom), "--feeds", str(feeds)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "9 vulnerabilities" in result.output
    assert "CVE-2019-11236" in result.output
    assert "2 components not assessed" in result.output


def test_an_unreadable_sbom_is_an_input_error(tmp_path: Path) -> None:
    sbom = tmp_path / "bom.json"
    sbom.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["match", str(sbom), "--feeds", str(tmp_path)])
    assert isinstance(result.exception, InputError)
    assert "line 1, column 2" in str(result.exception)
