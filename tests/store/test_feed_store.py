"""The feed cache: import once, re-import only what changed, keep problems, answer lookups.

Real data: the PyPA advisory archive and the CISA KEV catalog from shared_data (see
tests/collect/test_osv.py and test_kev.py for their provenance); OSV fixtures from
tests/fixtures/osv.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from caresec.analyze.vulns import match_components
from caresec.errors import StoreError
from caresec.model import Component, ProblemSeverity
from caresec.store import STORE_FILE, FeedStore
from caresec.store import feeds as feeds_module


@pytest.fixture
def org(shared_data: Path, fixtures: Path, tmp_path: Path) -> Path:
    """An organization folder with feeds/: the PyPA archive, a folder of loose OSV files (one
    broken), the real KEV catalog and an EPSS sample."""
    root = tmp_path / "org"
    local = root / "feeds" / "osv" / "local"
    local.mkdir(parents=True)
    shutil.copy(shared_data / "vuln/pypa-advisory-db/pypa-vulns.tar.gz", root / "feeds" / "osv")
    for name in ("osv.log4shell.json", "osv.broken-range.json", "osv.valid.yaml"):
        shutil.copy(fixtures / "osv" / name, local / name)
    shutil.copy(shared_data / "vuln/kev/known_exploited_vulnerabilities.json",
                root / "feeds" / "kev.json")
    shutil.copy(fixtures / "feeds" / "epss.sample.csv", root / "feeds" / "epss.csv")
    return root


def imported(org: Path) -> tuple[FeedStore, list[str]]:
    lines: list[str] = []
    store = FeedStore.open(org / STORE_FILE)
    store.import_feeds(org / "feeds", progress=lines.append)
    return store, lines


@pytest.mark.realdata
def test_first_import_reads_every_unit(org: Path) -> None:
    with FeedStore.open(org / STORE_FILE) as store:
        summaries, problems = store.import_feeds(org / "feeds")
        assert [(s.name, s.records) for s in summaries] == [
            ("epss.csv", 2), ("kev.json", 1404), ("osv/local/", 2),
            ("osv/pypa-vulns.tar.gz", 2661)]
        assert all(len(s.digest) == 64 and s.imported_at for s in summaries)
        assert store.advisory_count() == 2663
        broken = [p for p in problems if p.collector == "osv"]
        assert [(p.file, p.place) for p in broken] == [
            ("feeds/osv/local/osv.broken-range.json", "/affected/0/ranges/1/events/2")]
        assert [p.place for p in problems if p.collector == "epss"] == [
            "line 5", "line 6", "line 7"]
    assert (org / ".caresec" / "feeds.sqlite").is_file()


@pytest.mark.realdata
def test_second_import_reads_nothing_and_still_reports_problems(
    org: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = imported(org)
    first = store.problems()
    store.close()

    def no_parsing(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an unchanged feed was parsed again")

    monkeypatch.setattr(feeds_module, "iter_osv", no_parsing)
    monkeypatch.setattr(feeds_module, "read_kev", no_parsing)
    monkeypatch.setattr(feeds_module, "read_epss", no_parsing)
    lines: list[str] = []
    with FeedStore.open(org / STORE_FILE) as again:
        summaries, problems = again.import_feeds(org / "feeds", progress=lines.append)
        assert problems == first and len(problems) == 4
        assert len(summaries) == 4
        assert lines == [f"{name}: unchanged (cached)" for name in (
            "epss.csv", "kev.json", "osv/local/", "osv/pypa-vulns.tar.gz")]


@pytest.mark.realdata
def test_a_changed_file_reimports_only_its_unit_and_a_removed_one_is_dropped(org: Path) -> None:
    store, _ = imported(org)
    digests = {s.name: s.digest for s in store.summaries()}
    (org / "feeds" / "epss.csv").write_text(
        "cve,epss,percentile\nCVE-2021-44228,0.9,0.99\n", encoding="utf-8")
    (org / "feeds" / "kev.json").unlink()
    lines: list[str] = []
    summaries, problems = store.import_feeds(org / "feeds", progress=lines.append)
    assert lines == [
        "kev.json: no longer in the feeds folder; dropped",
        "epss.csv: imported 1 records",
        "osv/local/: unchanged (cached)",
        "osv/pypa-vulns.tar.gz: unchanged (cached)",
    ]
    after = {s.name: s.digest for s in summaries}
    assert after["osv/pypa-vulns.tar.gz"] == digests["osv/pypa-vulns.tar.gz"]
    assert after["epss.csv"] != digests["epss.csv"]
    assert "kev.json" not in after
    assert store.kev() == {}
    assert store.epss_for(["CVE-2021-44228", "CVE-2019-11236"])["CVE-2021-44228"].epss == 0.9
    assert [p.collector for p in problems] == ["osv"]
    store.close()


@pytest.mark.realdata
def test_lookups(org: Path) -> None:
    store, _ = imported(org)
    with store:
        pillow = store.advisories_for("PyPI", "Pillow")
        assert pillow == store.advisories_for("pypi", "pillow")  # PEP 503 names, purl type
        assert "PYSEC-2014-10" in {a.advisory_id for a in pillow}
        (log4j,) = store.advisories_for("Maven", "org.apache.logging.log4j:log4j-core")
        assert log4j.aliases == ("CVE-2021-44228",)
        assert log4j.source == "feeds/osv/local/osv.log4shell.json"
        assert store.advisories_for("npm", "pillow") == []
        kev = store.kev()
        assert kev["CVE-2021-44228"].date_added.isoformat() == "2021-12-10"
        lookup = store.epss_lookup()
        assert lookup["CVE-2021-44228"].percentile == 0.99957
        assert "CVE-1999-0001" not in lookup
        assert len(lookup) == 2 == len(store.epss())
        matches, not_assessed = match_components(
            [Component(bom_ref="u", name="urllib3", version="1.24.1",
                       purl="pkg:pypi/urllib3@1.24.1")], store, kev, lookup)
        assert not_assessed == []
        assert "CVE-2019-11236" in {m.vulnerability_id for m in matches}


@pytest.mark.realdata
def test_the_same_advisory_in_two_units_is_returned_once(org: Path, shared_data: Path) -> None:
    shutil.copy(shared_data / "vuln/pypa-advisory-db/urllib3__PYSEC-2019-132.yaml",
                org / "feeds" / "osv" / "local")
    store, _ = imported(org)
    with store:
        ids = [a.advisory_id for a in store.advisories_for("PyPI", "urllib3")]
        assert ids.count("PYSEC-2019-132") == 1


def test_missing_feeds_folder_is_a_warning(tmp_path: Path) -> None:
    with FeedStore.open(tmp_path / STORE_FILE) as store:
        summaries, (problem,) = store.import_feeds(tmp_path / "feeds")
    assert summaries == []
    assert problem.severity is ProblemSeverity.WARNING
    assert "no feeds folder" in problem.message


def test_feeds_without_osv_warn_that_nothing_can_be_matched(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "epss.csv").write_text("cve,epss,percentile\n", encoding="utf-8")
    with FeedStore.open(tmp_path / STORE_FILE) as store:
        summaries, problems = store.import_feeds(tmp_path / "feeds")
    assert [s.name for s in summaries] == ["epss.csv"]
    assert [p.message for p in problems] == ["no OSV advisories: components cannot be matched"]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    FeedStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="written by a newer caresec"):
        FeedStore.open(path)


def test_an_older_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_version (version INTEGER)")
        db.execute("INSERT INTO schema_version VALUES (0)")
        db.execute("CREATE TABLE old_stuff (x)")
    with FeedStore.open(path) as store:
        assert store.summaries() == []
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "old_stuff" not in tables
        assert db.execute("SELECT version FROM schema_version").fetchone() == (1,)


def test_a_file_that_is_not_sqlite_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "feeds.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        FeedStore.open(path)
    assert "not a usable feed store" in str(caught.value)
    assert caught.value.hint and "delete it" in caught.value.hint
