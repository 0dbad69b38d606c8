"""Shared test fixtures.

Real public data lives in ``../shared/data`` beside the checkout (see each folder's
PROVENANCE.md). Tests that need it take the ``shared_data`` fixture: where the folder is absent
they are skipped with a reason, except under CI (``CI=true``), where a skipped real-data test
would hide a broken promise and so fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_DATA = Path(os.environ.get("CARESEC_SHARED_DATA", _DEFAULT_SHARED))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _require_shared(sub: str = "") -> Path:
    path = SHARED_DATA / sub if sub else SHARED_DATA
    if not path.exists():
        reason = f"real-data test needs {path} (the shared data folder beside the checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI it must be present", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture
def shared_data() -> Path:
    """Path to ``../shared/data``; skips (locally) or fails (CI) when absent."""
    return _require_shared()


@pytest.fixture
def fixtures() -> Path:
    """Path to ``tests/fixtures``."""
    return FIXTURES
