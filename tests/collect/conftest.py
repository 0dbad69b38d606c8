"""Helpers for the collect tests: build an organization folder from named fixture files."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from caresec.collect.org import load_org
from caresec.model import OrgConfig

MakeOrg = Callable[..., OrgConfig]

TOML = """\
[organization]
name = "Riverside Community Hospital"
size_tier = "medium"
"""


@pytest.fixture
def make_org(tmp_path: Path, fixtures: Path) -> MakeOrg:
    """Return a builder: ``make_org(inventory={name: fixture}, sboms={relpath: fixture})``.

    Fixture names are relative to ``tests/fixtures/collect``; the files are copied into a fresh
    organization folder under ``tmp_path`` whose ``caresec.toml`` is :data:`TOML`.
    """

    def build(
        inventory: Mapping[str, str] | None = None,
        sboms: Mapping[str, str] | None = None,
    ) -> OrgConfig:
        root = tmp_path / "org"
        root.mkdir()
        (root / "caresec.toml").write_text(TOML, encoding="utf-8")
        for folder, files in (("inventory", inventory or {}), ("sboms", sboms or {})):
            (root / folder).mkdir()
            for name, source in files.items():
                target = root / folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fixtures / "collect" / source, target)
        return load_org(root)

    return build
