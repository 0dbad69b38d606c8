"""Fixtures for the intel tests: a real TAXII 2.1 server (medallion, memory backend) on
127.0.0.1, loaded with medallion's own test data and the OASIS STIX examples.

The shared data is never edited: a temporary copy has its discovery URLs (written for
localhost:5000) rewritten to the chosen port, and one collection added for the OASIS examples.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from caresec.intel.taxii import MEDIA_TYPE, TaxiiEndpoint

TRUSTGROUP = "trustgroup1"
HIGH_VALUE = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"  # 8 objects in medallion's data
WRITABLE = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"  # can_read and can_write, empty
NOT_READABLE = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"  # can_read false
NOT_WRITABLE = "52892447-4d7e-4f70-b94d-d7f22742ff63"  # can_write false
EXAMPLES = "6c0b6e9e-7f1a-4d39-9d2e-8d4f0a6b1c55"  # added here: the OASIS examples
USER, PASSWORD = "admin", "Password0"  # medallion's sample configuration
EXAMPLE_FILES = ("threat-reports/apt1.json", "threat-reports/poisonivy.json",
                 "indicators-for-C2-with-COA.json")


@dataclass(frozen=True)
class Taxii:
    """A running medallion: discovery URL and how to reach a collection."""

    url: str
    port: int

    def endpoint(self, collection: str, password: str = PASSWORD,
                 page_size: int = 100) -> TaxiiEndpoint:
        return TaxiiEndpoint(url=f"{self.url}taxii2/", collection=collection,
                             api_root=TRUSTGROUP, username=USER, password=password,
                             page_size=page_size, timeout=10)


def _shared_root() -> Path:
    """``../shared/data`` for module-scoped fixtures, with the ``shared_data`` rule: skip with
    a reason where absent, fail under CI (``CI=true``)."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data"
    path = Path(os.environ.get("CARESEC_SHARED_DATA", default))
    if not path.exists():
        reason = f"real-data test needs {path} (the shared data folder beside the checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI it must be present", pytrace=False)
        pytest.skip(reason)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _examples_collection(shared: Path) -> dict[str, object]:
    objects: list[dict[str, object]] = []
    for name in EXAMPLE_FILES:
        objects.extend(json.loads((shared / "intel" / "stix-examples" / name).read_text())
                       ["objects"])
    manifest = [{"id": o["id"], "date_added": f"2020-01-01T00:{i // 60:02d}:{i % 60:02d}.000000Z",
                 "version": o.get("modified", o.get("created")),
                 "media_type": "application/stix+json;version=2.1"}
                for i, o in enumerate(objects)]
    return {"id": EXAMPLES, "title": "OASIS STIX 2.1 examples", "can_read": True,
            "can_write": False, "media_types": ["application/stix+json;version=2.1"],
            "objects": objects, "manifest": manifest}


@pytest.fixture(scope="module")
def taxii_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Taxii]:
    """medallion 3 with the memory backend on 127.0.0.1:<free port> (a subprocess)."""
    shared = _shared_root()
    folder = tmp_path_factory.mktemp("medallion")
    port = _free_port()
    text = (shared / "intel" / "taxii-medallion" / "default_data.json").read_text()
    data = json.loads(text.replace("http://localhost:5000/", f"http://127.0.0.1:{port}/"))
    data[TRUSTGROUP]["collections"].append(_examples_collection(shared))
    (folder / "data.json").write_text(json.dumps(data))
    config = {"backend": {"module": "medallion.backends.memory_backend",
                          "module_class": "MemoryBackend",
                          "filename": str(folder / "data.json")},
              "users": {USER: PASSWORD}, "taxii": {"max_page_size": 50}}
    (folder / "config.json").write_text(json.dumps(config))
    log = (folder / "medallion.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "medallion.scripts.run", "--host", "127.0.0.1", "--port",
         str(port), str(folder / "config.json")], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = requests.get(f"{url}taxii2/", auth=(USER, PASSWORD), timeout=1,
                                      headers={"Accept": MEDIA_TYPE})
                if answer.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"medallion did not start: {(folder / 'medallion.log').read_text()}")
            time.sleep(0.2)
        yield Taxii(url=url, port=port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
