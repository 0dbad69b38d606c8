"""Feed downloads against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import functools
import gzip
import io
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from caresec.collect import download
from caresec.collect.download import download_file, osv_archive_url, update_feeds
from caresec.errors import FeedError


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, served folder) of an HTTP server on 127.0.0.1 for the test's duration."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def serve_feeds(root: Path, fixtures: Path) -> None:
    (root / "PyPI").mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("CARESEC-TEST-VALID.yaml",
                         (fixtures / "osv" / "osv.valid.yaml").read_bytes())
    (root / "PyPI" / "all.zip").write_bytes(buffer.getvalue())
    (root / "kev.json").write_bytes((fixtures / "feeds" / "kev.bad-entries.json").read_bytes())
    (root / "epss.csv.gz").write_bytes(
        gzip.compress((fixtures / "feeds" / "epss.sample.csv").read_bytes()))


def test_update_feeds_writes_the_feeds_folder(
    server: tuple[str, Path], fixtures: Path, tmp_path: Path
) -> None:
    base, root = server
    serve_feeds(root, fixtures)
    feeds = tmp_path / "feeds"
    results = update_feeds(feeds, ecosystems=["PyPI", "npm"], osv_base_url=base,
                           kev_url=f"{base}/kev.json", epss_url=f"{base}/epss.csv.gz",
                           timeout=10)
    assert [(r.name, bool(r.error)) for r in results] == [
        ("OSV PyPI", False), ("OSV npm", True), ("CISA KEV", False), ("FIRST EPSS", False)]
    assert "HTTP 404" in results[1].error
    assert (feeds / "osv" / "PyPI.zip").read_bytes() == (root / "PyPI" / "all.zip").read_bytes()
    assert results[0].size == (root / "PyPI" / "all.zip").stat().st_size
    assert (feeds / "kev.json").is_file() and (feeds / "epss.csv.gz").is_file()
    assert not (feeds / "osv" / "npm.zip").exists()
    assert sorted(p.name for p in (feeds / "osv").iterdir()) == ["PyPI.zip"]  # no temp left


def test_a_bad_download_keeps_the_old_file(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    (root / "kev.json").write_text("<html>maintenance</html>", encoding="utf-8")
    dest = tmp_path / "feeds" / "kev.json"
    dest.parent.mkdir()
    dest.write_text('{"vulnerabilities": []}', encoding="utf-8")
    (result,) = [r for r in update_feeds(tmp_path / "feeds", ecosystems=[], osv_base_url=base,
                                         kev_url=f"{base}/kev.json",
                                         epss_url=f"{base}/missing.csv.gz", timeout=10)
                 if r.name == "CISA KEV"]
    assert "not a KEV catalog" in result.error
    assert dest.read_text(encoding="utf-8") == '{"vulnerabilities": []}'
    assert sorted(p.name for p in dest.parent.iterdir()) == ["kev.json"]


def test_size_limit(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    (root / "big.bin").write_bytes(b"x" * 5000)
    with pytest.raises(FeedError, match="5000 bytes is over the 1000-byte limit"):
        download_file(f"{base}/big.bin", tmp_path / "big.bin", max_bytes=1000, timeout=10)
    assert not (tmp_path / "big.bin").exists()


def test_unreachable_host_and_bad_scheme(tmp_path: Path) -> None:
    # Port 9 on the loopback address: nothing listens there; the refusal is immediate.
    with pytest.raises(FeedError, match="cannot download"):
        download_file("http://127.0.0.1:9/x", tmp_path / "x", max_bytes=10, timeout=5)
    with pytest.raises(FeedError, match="only https:// and http://"):
        download_file("file:///etc/passwd", tmp_path / "x", max_bytes=10)


def test_osv_archive_urls() -> None:
    assert osv_archive_url(download.OSV_BASE_URL, "PyPI") == (
        "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip")
    assert osv_archive_url("http://127.0.0.1:8000/", "Red Hat") == (
        "http://127.0.0.1:8000/Red%20Hat/all.zip")
