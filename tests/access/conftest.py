"""A small generated hospital shared by the access tests (seeded: the same files every run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from caresec.access.generator import GeneratorConfig, generate, write_generated

SMALL = GeneratorConfig(patients=2000, users=200, days=30, seed=3, incidents_per_pattern=8)


@pytest.fixture(scope="session")
def small_hospital(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``context``, ``events`` (Parquet folder) and ``truth`` of :data:`SMALL`."""
    out = tmp_path_factory.mktemp("hospital")
    return write_generated(generate(SMALL), out, events_format="parquet")
