"""TAXII failures a real server can produce, from a scripted server on 127.0.0.1: HTTP 406
(a TAXII 2.0-only server), a page that fails half-way through a pull, and a server that says
``more`` without a ``next`` token (TAXII 2.1 §3.4 paging). What was stored stays stored."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from caresec.errors import FeedError
from caresec.intel.store import IntelStore
from caresec.intel.taxii import MEDIA_TYPE, TaxiiEndpoint, pull, push

COLLECTION = "0c6e1d3a-5b2f-4e8d-9a7c-1b3d5f7e9a2c"


def indicator(number: int) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{number:012d}",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": f"[ipv4-addr:value = '203.0.113.{number}']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00.000Z"}


class Script:
    """What the scripted server answers: ``mode`` is ``406``, ``fail-page-2`` or ``no-next``."""

    def __init__(self) -> None:
        self.mode = ""
        self.requests: list[str] = []


def handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None,
                 ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", MEDIA_TYPE)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            script.requests.append(self.path)
            if script.mode == "406":
                self.send(406, {"title": "Not Acceptable", "http_status": "406"})
                return
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            if parts.path == "/root/":
                self.send(200, {"title": "root", "versions": [MEDIA_TYPE],
                                "max_content_length": 1000})
            elif parts.path == "/root/collections/":
                self.send(200, {"collections": [{"id": COLLECTION, "title": "feed",
                                                 "can_read": True, "can_write": True,
                                                 "media_types": [MEDIA_TYPE]}]})
            elif parts.path == f"/root/collections/{COLLECTION}/objects/":
                page = int(query.get("next", ["1"])[0])
                if page == 2 and script.mode == "fail-page-2":
                    self.send(500, {"title": "boom", "http_status": "500"})
                    return
                more = page == 1
                body: dict[str, Any] = {"objects": [indicator(page * 10 + i) for i in range(2)],
                                        "more": more}
                if more and script.mode != "no-next":
                    body["next"] = "2"
                self.send(200, body, {"X-TAXII-Date-Added-First": f"2026-01-0{page}T00:00:00Z",
                                      "X-TAXII-Date-Added-Last": f"2026-01-0{page}T12:00:00Z"})
            else:
                self.send(404, {"title": "Not Found", "http_status": "404"})

    return Handler


@pytest.fixture
def scripted() -> Iterator[tuple[Script, str]]:
    script = Script()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script, f"http://127.0.0.1:{server.server_address[1]}/root/"
    finally:
        server.shutdown()
        server.server_close()


def endpoint(url: str) -> TaxiiEndpoint:
    return TaxiiEndpoint(url=url, collection=COLLECTION, page_size=2, timeout=5)


def test_http_406_names_taxii_21(scripted: tuple[Script, str], tmp_path: Path) -> None:
    script, url = scripted
    script.mode = "406"
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        report = pull(endpoint(url), store, "old")
    assert "does not serve TAXII 2.1 (HTTP 406 Not Acceptable" in report.error
    with pytest.raises(FeedError, match="HTTP 406"):
        push(endpoint(url), {"objects": []})


def test_failed_page_keeps_earlier_pages_and_position(scripted: tuple[Script, str],
                                                      tmp_path: Path) -> None:
    script, url = scripted
    script.mode = "fail-page-2"
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        report = pull(endpoint(url), store, "feed")
        assert "(page 2): HTTP 500" in report.error
        assert (report.pages, report.stored) == (1, 2)
        assert store.state("feed", "added_after") == "2026-01-01T12:00:00Z"
        script.mode = ""
        resumed = pull(endpoint(url), store, "feed")
    assert resumed.error == ""
    # the next pull asks from where the first stopped
    assert "added_after=2026-01-01T12%3A00%3A00Z" in script.requests[-2]
    assert resumed.added_after_now == "2026-01-02T12:00:00Z"


def test_more_without_next_is_a_paging_error(scripted: tuple[Script, str],
                                             tmp_path: Path) -> None:
    script, url = scripted
    script.mode = "no-next"
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        report = pull(endpoint(url), store, "feed")
        assert store.counts()[0][1] == 2
    assert "gives no \"next\" token" in report.error


def test_envelope_above_max_content_length_is_not_pushed(scripted: tuple[Script, str]) -> None:
    _, url = scripted
    with pytest.raises(FeedError, match="above the API root's max_content_length of 1000"):
        push(endpoint(url), {"objects": [indicator(i) for i in range(20)]})


def test_unreachable_server(tmp_path: Path) -> None:
    with IntelStore.open(tmp_path / "intel.sqlite") as store:
        report = pull(TaxiiEndpoint(url="http://127.0.0.1:9/taxii2/", collection="x", timeout=2),
                      store, "down")
    assert "cannot connect" in report.error
