"""Fixtures for the probe tests: the test PKI and real servers on loopback (see probe_servers)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from caresec.probe.net import ProbeContext
from caresec.probe.ratelimit import RateLimiter


def _load_servers() -> ModuleType:
    name = "caresec_probe_test_servers"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(
        "probe_servers.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


servers = _load_servers()


@pytest.fixture(scope="session")
def srv() -> ModuleType:
    """The probe_servers module."""
    return servers


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> object:
    """The test PKI (CA, strong and weak server certificates, client certificate)."""
    return servers.make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def probe() -> ProbeContext:
    """A probe context for tests: fast rate limit, 2 s timeout, no PHI queries."""
    return ProbeContext(limiter=RateLimiter(500), timeout=2.0)


@pytest.fixture
def phi_probe() -> ProbeContext:
    """As ``probe``, with PHI-capable queries allowed."""
    return ProbeContext(limiter=RateLimiter(500), timeout=2.0, phi_queries=True)


@pytest.fixture
def start(request: pytest.FixtureRequest) -> Iterator[object]:
    """``start(server)`` registers a started server to stop at teardown and returns it."""
    started: list[object] = []

    def register(server: object) -> object:
        started.append(server)
        return server

    yield register
    for server in reversed(started):
        server.stop()  # type: ignore[attr-defined]
