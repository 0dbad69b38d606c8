"""``caresec feeds import`` and ``caresec feeds update`` (the latter against 127.0.0.1)."""

from __future__ import annotations

import functools
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caresec.cli.feeds import app
from caresec.errors import InputError
from caresec.store import STORE_FILE, FeedStore


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path, fixtures: Path) -> Iterator[str]:
    root = tmp_path / "served"
    (root / "PyPI").mkdir(parents=True)
    with zipfile.ZipFile(root / "PyPI" / "all.zip", "w") as archive:
        archive.write(fixtures / "osv" / "osv.valid.yaml", "CARESEC-TEST-VALID.yaml")
    (root / "kev.json").write_bytes((fixtures / "feeds" / "kev.bad-entries.json").read_bytes())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_import_builds_the_org_store(fixtures: Path, tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    (feeds / "osv").mkdir(parents=True)
    (feeds / "osv" / "log4shell.json").write_bytes(
        (fixtures / "osv" / "osv.log4shell.json").read_bytes())
    (feeds / "osv" / "broken.json").write_bytes(
        (fixtures / "osv" / "osv.broken-range.json").read_bytes())
    org = tmp_path / "org"
    result = CliRunner().invoke(app, ["import", str(feeds), "--org", str(org)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "osv/" in result.output
    assert "1 input problem(s)" in result.output
    assert "feeds/osv/broken.json (/affected/0/ranges/1/events/2)" in result.output
    with FeedStore.open(org / STORE_FILE) as store:
        assert [(s.name, s.records) for s in store.summaries()] == [("osv/", 1)]


def test_update_downloads_then_imports(served: str, tmp_path: Path) -> None:
    org = tmp_path / "org"
    result = CliRunner().invoke(app, [
        "update", "--org", str(org), "-e", "PyPI", "--osv-base-url", served,
        "--kev-url", f"{served}/kev.json", "--epss-url", f"{served}/no-such.csv.gz",
        "--timeout", "10",
    ], env={"COLUMNS": "200"})
    assert result.exit_code == 2  # the EPSS download failed (404); the rest is imported
    assert "FIRST EPSS: " in result.output and "HTTP 404" in result.output
    assert (org / "feeds" / "osv" / "PyPI.zip").is_file()
    with FeedStore.open(org / STORE_FILE) as store:
        assert [(s.name, s.records) for s in store.summaries()] == [
            ("kev.json", 1), ("osv/PyPI.zip", 1)]


def test_import_of_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(tmp_path / "nope"), "--org", str(tmp_path)])
    assert isinstance(result.exception, InputError)
    assert "no such feeds folder" in str(result.exception)
    assert not (tmp_path / STORE_FILE).exists()
